/* Emitters: resolved IR -> artifact bytes. Each is a pure function of the IR. */
#ifndef MVM_EMIT_H
#define MVM_EMIT_H
#include "../lib/buf.h"
#include "../lib/diag.h"
#include "ir.h"

struct mvm_artifact {
	char name[64];       /* file name inside the output directory */
	struct mvm_buf data;
};

/* seccomp.<arch>.bpf: raw struct sock_filter[], host byte order. */
int mvm_emit_bpf(struct mvm_diag *d, const struct mvm_arch_filter *f, struct mvm_buf *out);
/* seccomp.json: the OCI runtime-spec linux.seccomp object for every arch of the profile. */
int mvm_emit_oci(struct mvm_diag *d, const struct mvm_profile *p, struct mvm_buf *out);
/* plan.json: canonical JSON binding the profile's admission fields and every artifact digest. */
int mvm_emit_plan(struct mvm_diag *d, const struct mvm_profile *p, const struct mvm_artifact *arts, size_t n,
		  struct mvm_buf *out);
/* The bundle validity written into plan.json as not_before/not_after (unix seconds). */
struct mvm_plan_validity {
	int64_t not_before, not_after;
};
/* As mvm_emit_plan, adding not_before/not_after when v is not NULL. */
int mvm_emit_plan_valid(struct mvm_diag *d, const struct mvm_profile *p, const struct mvm_artifact *arts, size_t n,
			const struct mvm_plan_validity *v, struct mvm_buf *out);
/* egress.nft: the body of one nftables `table inet` for the profile's network.egress (the
 * shape and what the runtime adds: docs/egress.md). -ENOENT when the profile has no egress
 * section (then the sandbox gets no network device). */
int mvm_emit_nft(struct mvm_diag *d, const struct mvm_profile *p, struct mvm_buf *out);
/* A CIDR rule inside an always-dropped range (link-local, CGNAT, ...): allowed because it is explicit. */
bool mvm_egress_rule_is_explicit_exception(const struct mvm_egress_rule *r);
/* The i-th always-dropped range as "ADDR/PREFIX" (and its family), or NULL past the last. */
const char *mvm_egress_always_dropped(size_t i, int *family);
#endif

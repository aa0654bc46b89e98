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
#endif

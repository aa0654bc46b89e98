/* Egress for the sandbox backend (docs/egress.md): the signed egress.nft applied as one
 * nftables table per sandbox in the runtime's network namespace, where the workload cannot
 * see or change it; the sandbox's address slot; host names pinned through the plan's resolver
 * while the workload runs; the ruleset in force compared with the compiled one; cleanup, and a
 * sweep of what dead runtimes left behind.
 *
 * Addressing: slot S (0..MVM_EGRESS_SLOTS-1) owns table `inet mvm_S`, the device `mvmS` (the
 * runtime's end of the veth pair), 10.222.0.0/16's S-th /30 (.1 the runtime's end, .2 the
 * sandbox) and fd6d:766d:6567:S::/64 (::1, ::2). The table is the slot's lock: it is created
 * with `create table` (which fails when it exists) and carries its owner in its comment
 * ("mvm pid=P start=T pidns=N"), so a table whose owner is gone can be recognised and swept. */
#ifndef MVM_EGRESS_H
#define MVM_EGRESS_H
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/buf.h"
#include "../lib/digest.h"
#include "../lib/dns.h"
#include "backends/sandbox.h"

#define MVM_EGRESS_POOL4 "10.222.0.0/16"
#define MVM_EGRESS_POOL6 "fd6d:766d:6567::/48"
#define MVM_EGRESS_SLOTS 16384
#define MVM_EGRESS_MAX_BODY (1u << 20)  /* egress.nft larger than this is refused */
#define MVM_EGRESS_MAX_NAMES 1024
#define MVM_EGRESS_PIN_MIN_S 1          /* a pin lives at least this long (a TTL of 0 gets 1 s) */
#define MVM_EGRESS_PIN_MAX_S 3600       /* and at most this long: names are re-resolved at least hourly */

struct mvm_bundle;

/* One host-name rule of plan.json's network.egress.allow: its index there (which names its
 * sets n<rule>_4 and n<rule>_6 in egress.nft) and the name. */
struct mvm_egress_name {
	size_t rule;
	char host[256];
};

/* What a verified bundle asks for. body points into the bundle's verified bytes. */
struct mvm_egress_spec {
	const char *body;
	size_t body_len;
	char resolver[INET6_ADDRSTRLEN]; /* "" when none */
	size_t nname;
	struct mvm_egress_name *name;    /* malloc'ed */
	bool ipv6;                       /* some rule or the resolver may need IPv6 forwarding */
};

/* Reads network.egress from the bundle's plan.json and egress.nft (never the disk). -ENOENT:
 * the plan has no egress section (no network device at all); -EINVAL: malformed, or the plan
 * and the artifacts disagree (egress without egress.nft or the reverse), or the body is not
 * a table body (mvm_egress_body_check). Free with mvm_egress_spec_free in every case. */
int mvm_egress_spec_from_bundle(const struct mvm_bundle *b, struct mvm_egress_spec *s, char *err, size_t errlen);
void mvm_egress_spec_free(struct mvm_egress_spec *s);

/* Checks that bytes can only ever be the body of the table they are wrapped in: printable
 * ASCII, tabs and newlines; braces balanced and never closing the table; no `include`,
 * `define`, `redefine` or `undefine` (which could read files or rebind $mvm_iface); no
 * variable but $mvm_iface, $mvm_addr4, $mvm_addr6. Comments and strings are skipped. 0 or
 * -EINVAL with a reason. */
int mvm_egress_body_check(const char *body, size_t len, char *err, size_t errlen);

/* The names and addresses of slot S. */
struct mvm_egress_slot {
	unsigned slot;
	char table[24];   /* "mvm_S" */
	char iface[16];   /* "mvmS" */
	uint8_t host4[4], addr4[4], host6[16], addr6[16];
	char addr4_text[INET_ADDRSTRLEN], addr6_text[INET6_ADDRSTRLEN];
};
int mvm_egress_slot(unsigned slot, struct mvm_egress_slot *out);

/* The text applied for a sandbox: the defines, `table inet mvm_S { BODY }` and the elements
 * of host4/host6 (the host's own addresses, given, and the sandbox pool). */
int mvm_egress_wrap(const struct mvm_egress_slot *s, const char *body, size_t len, const char *host_elements4,
		    const char *host_elements6, struct mvm_buf *out);
/* The text that claims slot S for the calling process: `create table` with its owner. */
int mvm_egress_claim_text(const struct mvm_egress_slot *s, struct mvm_buf *out);

/* A listing of a table (`nft -s list table`) with what legitimately changes while a sandbox
 * runs taken out: the elements of the per-name sets n<i>_4 / n<i>_6. */
int mvm_egress_normalize(const char *listing, struct mvm_buf *out);

/* Audit sink for dns.pin / dns.refused entries: non-zero means the entry could not be written
 * (then nothing is opened for that answer). */
typedef int (*mvm_egress_audit_fn)(void *ctx, const char *event, const char *detail);

struct mvm_egress_config {
	const struct mvm_egress_spec *spec;
	mvm_egress_audit_fn audit;
	void *audit_ctx;
	int dns_timeout_ms;  /* per query at launch; 0 = 2000 */
};

struct mvm_egress_pin;

/* One sandbox's egress state, from setup to teardown. */
struct mvm_egress_run {
	const struct mvm_egress_config *cfg;
	struct nft_ctx *nft;
	struct mvm_egress_slot slot;
	bool claimed;                          /* the table exists and is ours */
	uint64_t handle;                       /* the table's nftables handle */
	char expected[MVM_DIGEST_STRLEN];      /* sha256 of the normalized listing of what was compiled */
	struct mvm_sandbox_net net;            /* for mvm_sandbox_config.net */
	size_t npin;
	struct mvm_egress_pin *pin;            /* one per host name */
	int timer_fd;
	int monitor_fd;                        /* nftables change notifications */
	int epoll_fd;                          /* both: the sandbox's tick_fd */
	char violation[320];                   /* why the last integrity check failed */
};

/* Before the launch: sweeps tables of dead runtimes, claims a slot, checks the wrapped text in
 * a scratch network namespace (it must load and produce exactly one table) and records its
 * listing, enables forwarding, applies the text atomically, checks the listing in force, and
 * pins every host name through the resolver (each audited: dns.pin, or dns.refused for a name
 * that does not resolve, which opens nothing). Needs root. 0, or -errno with err: nothing is
 * left behind then. Call mvm_egress_teardown in every case. */
int mvm_egress_setup(struct mvm_egress_run *e, const struct mvm_egress_config *cfg, char *err, size_t errlen);

/* The ruleset in force against the compiled one: 0 when equal; -EPERM with expected and
 * observed digests (or why it could not be listed) otherwise. */
int mvm_egress_verify(struct mvm_egress_run *e, char *expected, size_t elen, char *observed, size_t olen);
/* For mvm_sandbox_hooks.add_checks: adds "egress.ruleset" to the verdict. */
void mvm_egress_posture_check(struct mvm_egress_run *e, struct mvm_posture_verdict *v);
/* For mvm_sandbox_hooks.tick_fd / on_tick: re-resolves names that are due (at half their
 * TTL), re-checks the ruleset in force on every tick and every nftables change. Non-zero when
 * the ruleset is no longer the compiled one (e->violation says why): the sandbox must die. */
int mvm_egress_tick_fd(const struct mvm_egress_run *e);
int mvm_egress_tick(struct mvm_egress_run *e);

/* Deletes the table (by handle) and frees everything. Safe on a partly set-up e. */
void mvm_egress_teardown(struct mvm_egress_run *e);

/* Deletes every `inet mvm_*` table whose owner (comment) is a process of this pid namespace
 * that no longer exists. Tables of other pid namespaces or without an owner are left alone.
 * Returns the number deleted, or -errno. */
int mvm_egress_sweep(struct nft_ctx *nft);
#endif

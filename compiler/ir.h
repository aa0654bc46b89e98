/* The intermediate representation of one compiled profile: plain structs, fully resolved,
 * allocated from one arena (lib/arena.h) and freed at once. Both front ends (YAML, DSL)
 * produce `struct mvm_profile`; everything after it never sees syntax. */
#ifndef MVM_IR_H
#define MVM_IR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/syscall_table.h"

struct mvm_loc {
	const char *file; /* arena string; NULL when built in (no source) */
	int line;         /* 1-based; 0 when unknown */
	int col;          /* 1-based */
};

enum mvm_action_kind {
	MVM_ACT_ALLOW,
	MVM_ACT_LOG,
	MVM_ACT_ERRNO, /* errno_val holds the value; enosys is ERRNO with ENOSYS */
	MVM_ACT_TRAP,
	MVM_ACT_KILL_THREAD,
	MVM_ACT_KILL_PROCESS,
};

struct mvm_action {
	enum mvm_action_kind kind;
	uint16_t errno_val;
};

/* "allow", "errno(1)", ... into buf. */
const char *mvm_action_name(struct mvm_action a, char *buf, size_t len);
/* Severity order used by ceilings and lint: allow < log < errno < trap < kill-thread < kill-process. */
int mvm_action_rank(struct mvm_action a);
bool mvm_action_eq(struct mvm_action a, struct mvm_action b);

enum mvm_cmp_op { MVM_OP_EQ, MVM_OP_NE, MVM_OP_LT, MVM_OP_LE, MVM_OP_GT, MVM_OP_GE, MVM_OP_MASKED_EQ };

/* One comparison on one argument, already reduced to the argument's width: for a 32-bit
 * argument, mask and value fit in 32 bits and only the low half of the register is
 * compared (the kernel ABI leaves the high half undefined). */
struct mvm_cond {
	uint8_t arg;   /* 0..5 */
	uint8_t width; /* 32 or 64 */
	enum mvm_cmp_op op;
	uint64_t mask; /* MVM_OP_MASKED_EQ only */
	uint64_t value;
};

#define MVM_MAX_ARGS 6

/* One alternative of a rule: a conjunction of conditions, at most one per argument. */
struct mvm_conj {
	uint8_t ncond;
	struct mvm_cond cond[MVM_MAX_ARGS];
};

/* A rule as written (after `in (...)` lists and constants are expanded), resolved for one
 * arch. Rules are ordered; the first rule whose syscall and conditions match decides. */
struct mvm_rule {
	struct mvm_action action;
	int nr;                 /* syscall number on this arch */
	const char *syscall;    /* the syscall's name */
	size_t nalt;            /* 0 = unconditional; otherwise an OR of conjunctions */
	struct mvm_conj *alt;
	struct mvm_loc loc;     /* where the rule was written */
	const char *origin;     /* "profile", "tier standard", "group @basic-io", ... */
	const char *why;        /* justification text, NULL if none */
};

/* The decision for one syscall on one arch, in the normal form every backend can express
 * exactly: entries whose actions differ are pairwise disjoint, and anything no entry matches
 * gets the filter's default action. nentry == 0 means `action` applies unconditionally. */
struct mvm_entry {
	struct mvm_action action;
	struct mvm_conj conj;
};

struct mvm_decision {
	int nr;
	const char *name;
	struct mvm_action action; /* unconditional action when nentry == 0 */
	size_t nentry;
	struct mvm_entry *entry;
	struct mvm_loc loc;       /* the rule that decided; line 0 for the default */
};

struct mvm_arch_filter {
	const struct mvm_arch *arch;
	struct mvm_action default_action;
	size_t nrule;
	struct mvm_rule *rule;
	/* Normal form: one decision per syscall whose outcome differs from the default,
	 * sorted by syscall number. */
	size_t ndecision;
	struct mvm_decision *decision;
};

enum mvm_secret_release { MVM_SECRETS_NONE, MVM_SECRETS_PLAN_BOUND, MVM_SECRETS_ATTESTATION_BOUND };

enum mvm_proto { MVM_PROTO_ANY, MVM_PROTO_TCP, MVM_PROTO_UDP, MVM_PROTO_ICMP };

struct mvm_port_range {
	uint16_t lo, hi;
};

struct mvm_egress_rule {
	const char *host;      /* a DNS name, or NULL */
	int family;            /* AF_INET / AF_INET6 when cidr is set, 0 otherwise */
	uint8_t addr[16];
	uint8_t prefix;
	enum mvm_proto proto;
	size_t nport;
	struct mvm_port_range *port;
	struct mvm_loc loc;
};

struct mvm_egress {
	bool present;          /* the profile has a network.egress section */
	const char *resolver;  /* textual IP address of the pinned resolver, NULL if none */
	size_t nrule;
	struct mvm_egress_rule *rule;
	struct mvm_loc loc;
};

struct mvm_share {
	const char *host, *guest;
	bool writable;
	struct mvm_loc loc;
};

struct mvm_filesystem {
	bool root_writable;    /* false: read-only root (the default) */
	const char *rootfs;    /* a rootfs directory, NULL for the host's / */
	size_t nshare;
	struct mvm_share *share;
};

struct mvm_process {
	uint32_t uid, gid;
	uint64_t caps;         /* capability bits to keep (bit n = CAP n) */
};

struct mvm_label {
	const char *key, *value;
};

struct mvm_profile {
	int schema;
	const char *name;
	const char *intent;     /* NULL when none */
	const char *tier;       /* the stdlib tier this profile reaches through `extends` */
	const char *extends;    /* as written: a tier name or a profile path; NULL if none */
	struct mvm_loc extends_loc, intent_loc;
	unsigned arch_mask;     /* bit per enum mvm_arch_id */
	struct mvm_arch_filter filter[MVM_ARCH_COUNT];
	struct mvm_egress egress;
	struct mvm_filesystem fs;
	struct mvm_process proc;
	enum mvm_secret_release secrets;
	size_t ntool;
	const char **tool;
	size_t nlabel;
	struct mvm_label *label;
	uint64_t valid_for_s;   /* admission window in seconds; 0 = runtime default */
};

#endif

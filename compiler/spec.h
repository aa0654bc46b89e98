/* What a front end (YAML or DSL) produces: the profile as written, syntax-free but not yet
 * resolved (names are still names, with their locations). compiler/resolve.c turns a spec
 * and its `extends` chain into the resolved IR (ir.h). */
#ifndef MVM_SPEC_H
#define MVM_SPEC_H
#include "ir.h"
#include "../lib/arena.h"
#include "../lib/diag.h"

struct mvm_sym {
	const char *name;
	struct mvm_loc loc;
};

/* An integer literal or a constant expression NAME|NAME|literal. */
struct mvm_value {
	size_t nterm;
	struct mvm_sym *term;   /* each term is a constant name or an integer literal text */
	struct mvm_loc loc;
};

enum mvm_spec_op { SOP_EQ, SOP_NE, SOP_LT, SOP_LE, SOP_GT, SOP_GE, SOP_IN };

struct mvm_spec_cond {
	struct mvm_sym arg;
	enum mvm_spec_op op;
	bool has_mask;
	struct mvm_value mask;
	size_t nvalue;         /* 1, or the list of `in` */
	struct mvm_value *value;
	struct mvm_loc loc;
};

/* An action as written; errno(NAME) keeps NAME for the resolver. */
struct mvm_spec_action {
	struct mvm_action act;
	const char *errno_name;
	struct mvm_loc loc;
};

struct mvm_spec_rule {
	struct mvm_spec_action action;
	struct mvm_loc loc;
	size_t nsys;
	struct mvm_sym *sys;    /* syscall names and @groups */
	size_t ncond;
	struct mvm_spec_cond *cond;
	unsigned arch_mask;     /* 0 = every arch of the profile */
	const char *why;
};

/* A user constant: `const NAME = VALUE;` (DSL) or `constants: {NAME: VALUE}` (YAML). The
 * resolver looks a name up in the profile's own constants before the stdlib's. */
struct mvm_spec_const {
	struct mvm_sym name;
	struct mvm_value value;
};

/* A user syscall group: `group @NAME = a, b;` (DSL) or `groups: {NAME: [a, b]}` (YAML).
 * name is written without '@'; members are syscall names and @groups. */
struct mvm_spec_group {
	struct mvm_sym name;
	size_t nsys;
	struct mvm_sym *sys;
};

/* Where a section or a single-valued key was written (line 0 when it was not): diagnostics
 * point there, and `mvmc fmt` keeps comments beside it. */
enum mvm_spec_at {
	MVM_AT_SCHEMA, MVM_AT_PROFILE, MVM_AT_SECCOMP, MVM_AT_NETWORK, MVM_AT_RESOLVER, MVM_AT_FILESYSTEM,
	MVM_AT_ROOT, MVM_AT_ROOTFS, MVM_AT_PROCESS, MVM_AT_UID, MVM_AT_GID, MVM_AT_SECRETS, MVM_AT_TOOLS,
	MVM_AT_AUDIT, MVM_AT_ADMISSION,
	/* the closing '}' of the DSL's blocks (YAML has none): comments before it stay inside */
	MVM_AT_SECCOMP_END, MVM_AT_EGRESS_END, MVM_AT_FILESYSTEM_END, MVM_AT_PROCESS_END, MVM_AT_PROFILE_END,
	MVM_AT_COUNT
};

struct mvm_spec {
	const char *file;
	int schema;
	struct mvm_sym name, intent, extends;  /* name NULL when absent */
	unsigned arch_mask;                    /* 0 = not given */
	struct mvm_loc arch_loc;
	bool has_default;
	struct mvm_spec_action default_action;
	size_t nrule;
	struct mvm_spec_rule *rule;
	struct mvm_egress egress;              /* already syntax-free */
	struct mvm_filesystem fs;
	bool has_uid, has_gid;
	struct mvm_process proc;
	size_t ncap;
	struct mvm_sym *cap;
	bool has_secrets;
	enum mvm_secret_release secrets;
	struct mvm_loc secrets_loc;
	size_t ntool;
	const char **tool;
	size_t nlabel;
	struct mvm_label *label;
	uint64_t valid_for_s;
	/* Files whose constants and groups this one imports (`include "f";` / `include: [f]`),
	 * as written; compiler/spec_include.c merges their definitions into constant/group. */
	size_t ninclude;
	struct mvm_sym *include;
	size_t nconst;
	struct mvm_spec_const *constant;
	size_t ngroup;
	struct mvm_spec_group *group;
	struct mvm_loc at[MVM_AT_COUNT];
};

/* Parses an action keyword: allow, log, trap, kill-thread, kill-process, enosys, errno(N),
 * errno(NAME). Returns 0, or -EINVAL with *err set to a message. NAME is kept in out. */
int mvm_parse_action(struct mvm_arena *a, const char *s, struct mvm_spec_action *out, const char **err);

/* Front end: YAML. Returns 0 or -EINVAL after reporting to diag. */
int mvm_yaml_load_spec(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text,
		       size_t len, struct mvm_spec **out);
/* Front end: the mvm DSL (grammar/). Same contract as mvm_yaml_load_spec. */
int mvm_dsl_load_spec(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text,
		      size_t len, struct mvm_spec **out);
/* The front end for a file name: ".mvm" -> the DSL, anything else -> YAML. */
int mvm_load_spec(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text,
		  size_t len, struct mvm_spec **out);
/* "ADDR[/PREFIX]" (IPv4 or IPv6) into r's family, addr and prefix. 0, or -EINVAL with why set. */
int mvm_parse_cidr(const char *s, struct mvm_egress_rule *r, char *why, size_t whylen);
/* A DNS name: labels of [A-Za-z0-9-], not starting or ending with '-', at most 253 bytes. */
bool mvm_valid_hostname(const char *h);
/* "15m" -> 900. 0, -EINVAL or -ERANGE. */
int mvm_parse_duration(const char *s, uint64_t *seconds);
#endif

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
};

/* Parses an action keyword: allow, log, trap, kill-thread, kill-process, enosys, errno(N),
 * errno(NAME). Returns 0, or -EINVAL with *err set to a message. NAME is kept in out. */
int mvm_parse_action(struct mvm_arena *a, const char *s, struct mvm_spec_action *out, const char **err);

/* Front end: YAML. Returns 0 or -EINVAL after reporting to diag. */
int mvm_yaml_load_spec(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text,
		       size_t len, struct mvm_spec **out);
/* "15m" -> 900. 0, -EINVAL or -ERANGE. */
int mvm_parse_duration(const char *s, uint64_t *seconds);
#endif

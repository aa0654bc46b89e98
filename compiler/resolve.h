/* Profile file -> resolved IR: loads the `extends` chain, expands groups and tiers, resolves
 * syscall names, arguments and constants per architecture, builds the normal form of every
 * decision, and enforces the intent ceiling. */
#ifndef MVM_RESOLVE_H
#define MVM_RESOLVE_H
#include "stdlib.h"

#define MVM_MAX_EXTENDS_DEPTH 8
#define MVM_MAX_ALTERNATIVES 1024

/* Compiles the profile at path. arch_override: 0, or a mask that replaces the profile's
 * `arch`. Returns 0, or -EINVAL after reporting every error found to diag. */
int mvm_compile_profile(struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st,
			const char *path, unsigned arch_override, struct mvm_profile **out);

/* Compiles a stdlib tier as a profile of its own (for ceilings, tests and `explain`). */
int mvm_compile_tier(struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st,
		     const char *tier, unsigned arch_mask, struct mvm_profile **out);

/* Decides one call against the ordered rules (first match wins): the reference semantics that
 * the normal form and every backend must agree with. */
struct mvm_action mvm_eval_rules(const struct mvm_arch_filter *f, int nr, const uint64_t args[6]);
/* Decides one call against the normal form. */
struct mvm_action mvm_eval_decisions(const struct mvm_arch_filter *f, int nr, const uint64_t args[6]);
bool mvm_cond_holds(const struct mvm_cond *c, uint64_t arg);
#endif

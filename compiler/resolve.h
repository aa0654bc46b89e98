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

/* What a lenient compile found beyond the IR (for lint and explain). */
struct mvm_compile_info {
	size_t nlink;                                  /* the extends chain, the profile first */
	const struct mvm_spec *spec[MVM_MAX_EXTENDS_DEPTH + 1];
	const char *origin[MVM_MAX_EXTENDS_DEPTH + 1]; /* "profile", "profile PATH", "tier standard" */
	struct mvm_loc default_loc;                    /* where the default action is written */
	const char *default_origin;                    /* NULL: none is written (kill-process) */
};

/* As mvm_compile_profile, but keeps going (for `mvmc lint`): errors of the intent ceiling go to
 * ceiling_d (NULL: d), and *out is set whenever the extends chain loaded, even after errors:
 * it holds every rule that resolved, and the normal form of every syscall whose rules could be
 * normalized. info may be NULL. 0 when nothing was reported to either diag, else -EINVAL
 * (-ENOMEM, -errno of the file when *out is NULL). */
int mvm_compile_profile_lenient(struct mvm_arena *a, struct mvm_diag *d, struct mvm_diag *ceiling_d,
				const struct mvm_stdlib *st, const char *path, unsigned arch_override,
				struct mvm_profile **out, struct mvm_compile_info *info);

/* Proofs over conjunctions (false = not proved): no call satisfies both; every call that
 * satisfies p satisfies q. */
bool mvm_conj_disjoint(const struct mvm_conj *x, const struct mvm_conj *y);
bool mvm_conj_implies(const struct mvm_conj *p, const struct mvm_conj *q);
#endif

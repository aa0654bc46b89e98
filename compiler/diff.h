/* mvmc diff: what changed in meaning between two compiled profiles. Seccomp is compared on the
 * normal forms, per architecture and syscall, exactly: every argument region the conditions of
 * either profile tell apart is tried (see compiler/diff.c); egress, intent, tier, secrets and
 * the rest of the posture field by field. A change widens when NEW lets through something OLD
 * refused, narrows when the reverse. */
#ifndef MVM_DIFF_H
#define MVM_DIFF_H
#include <stdbool.h>

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "stdlib.h"

enum { MVM_DIFF_WIDEN = 1, MVM_DIFF_NARROW = 2 };

enum mvm_diff_kind { MVM_DIFF_SYSCALL, MVM_DIFF_DEFAULT, MVM_DIFF_ARCH, MVM_DIFF_EGRESS, MVM_DIFF_POSTURE };

#define MVM_DIFF_MAX_EXAMPLES 3

struct mvm_diff_change {
	enum mvm_diff_kind kind;
	unsigned effect;          /* MVM_DIFF_WIDEN | MVM_DIFF_NARROW; 0: changed, neither */
	const char *arch;         /* syscall, default and arch changes; NULL otherwise */
	const char *subject;      /* the syscall, "default", the egress rule, the posture field */
	const char *old_text;     /* NULL when the subject is new */
	const char *new_text;     /* NULL when the subject is gone */
	size_t nexample;          /* syscall changes: calls that now decide differently */
	const char *example[MVM_DIFF_MAX_EXAMPLES];
	bool unproven;            /* too many regions to try them all; with no difference seen, the
	                           * change is still reported, as widening and narrowing */
};

struct mvm_diff {
	size_t n, cap;
	struct mvm_diff_change *v;
	unsigned effect;          /* the union of every change's */
};

/* Compares old and new (both compiled, with their normal forms). 0 or -ENOMEM. */
int mvm_diff_profiles(struct mvm_arena *a, const struct mvm_stdlib *st, const struct mvm_profile *old,
		      const struct mvm_profile *new, struct mvm_diff *out);

/* The seccomp part alone (compiler/diff.c), appended to out. */
int mvm_diff_seccomp(struct mvm_arena *a, const struct mvm_stdlib *st, const struct mvm_profile *old,
		     const struct mvm_profile *new, struct mvm_diff *out);

void mvm_diff_write_text(const struct mvm_diff *d, struct mvm_buf *out);
int mvm_diff_write_json(const struct mvm_diff *d, const char *old_path, const char *new_path, struct mvm_buf *out);
#endif

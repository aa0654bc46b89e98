/* Checks that the seccomp and egress targets of one profile agree (docs/egress.md). */
#ifndef MVM_CONSISTENCY_H
#define MVM_CONSISTENCY_H
#include <errno.h>
#include <stdbool.h>

#include "emit.h"
#include "stdlib.h"

/* Reports to d: warnings (errors when strict) where seccomp and egress contradict each other
 * or an egress rule cannot do what it says; an error, always, for an egress section the
 * profile's intent forbids (st may be NULL: that check is skipped). Returns -EINVAL when an
 * error was reported. */
int mvm_check_consistency(struct mvm_diag *d, const struct mvm_stdlib *st, const struct mvm_profile *p, bool strict);
#endif

/* Checks that the seccomp and egress targets of one profile agree. */
#ifndef MVM_CONSISTENCY_H
#define MVM_CONSISTENCY_H
#include <errno.h>
#include <stdbool.h>

#include "emit.h"

/* Reports warnings (errors when strict) to d. Returns -EINVAL when an error was reported. */
int mvm_check_consistency(struct mvm_diag *d, const struct mvm_profile *p, bool strict);
#endif

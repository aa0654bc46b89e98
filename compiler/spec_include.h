/* `include`: a profile (DSL or YAML) imports the constants and groups of library files. */
#ifndef MVM_SPEC_INCLUDE_H
#define MVM_SPEC_INCLUDE_H
#include "stdlib.h"

#define MVM_MAX_INCLUDE_DEPTH 8  /* levels of include below the profile */
#define MVM_MAX_CONST_DEPTH 16   /* a user constant defined through others */

/* Loads the files spec includes, recursively, and appends their constants and groups to spec's.
 * A file is looked up beside the including file, then in the stdlib search path (-I, MVMC_PATH,
 * the built-in stdlib). An included file may only declare constants, groups and includes; a
 * file reached twice is imported once; a cycle, a chain deeper than MVM_MAX_INCLUDE_DEPTH and a
 * name defined twice are errors. Returns 0, -EINVAL after reporting, or -ENOMEM. */
int mvm_spec_include(struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st, struct mvm_spec *spec);
#endif

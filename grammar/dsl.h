/* The mvm DSL front end (docs/dsl.md): text -> struct mvm_spec, the same spec the YAML front
 * end builds. A reentrant flex scanner and a pure bison parser; no global state.
 * Bounds: input at most MVM_DSL_MAX_BYTES, names and numbers at most MVM_DSL_MAX_WORD bytes,
 * strings at most MVM_DSL_MAX_STRING bytes; the grammar nests at most three blocks deep
 * (profile { seccomp { } }) and includes are resolved after parsing (compiler/spec_include.c). */
#ifndef MVM_DSL_H
#define MVM_DSL_H
#include <stdbool.h>

#include "../compiler/spec.h"
#include "../compiler/spec_print.h"

#define MVM_DSL_MAX_BYTES (1u << 20)
#define MVM_DSL_MAX_WORD 255
#define MVM_DSL_MAX_STRING 4096

/* Parses text into *out. comments: NULL, or where to keep the `#` comments (for fmt).
 * Returns 0, -EINVAL after reporting every error found to d, or -ENOMEM. */
int mvm_dsl_parse(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text, size_t len,
		  struct mvm_spec **out, struct mvm_comments *comments);

/* How s reads back as one token: a name (keywords included), a number-like word (digit-led:
 * numbers, addresses, port ranges, durations), or not as one token (it must be quoted). */
enum { MVM_DSL_NOT_A_WORD, MVM_DSL_NAME, MVM_DSL_NUMBER };
int mvm_dsl_word_kind(const char *s);
/* s is a reserved word of the DSL. */
bool mvm_dsl_is_keyword(const char *s);
#endif

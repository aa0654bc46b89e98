/* The property the two profile front ends share (fuzz_yaml.c, fuzz_dsl.c). */
#ifndef MVM_FUZZ_SPEC_H
#define MVM_FUZZ_SPEC_H
#include "compiler/spec_print.h"

/* A spec that was read prints, in both syntaxes (with its source's comments), as text that reads
 * back into an equal spec: the contract `mvmc fmt` relies on (compiler/spec_print.h). */
void fuzz_spec_roundtrip(const struct mvm_spec *s, const char *text, size_t len, const struct mvm_comments *comments);
#endif

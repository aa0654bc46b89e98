/* Shared by the libFuzzer harnesses in fuzz/ (fuzz/README.md). Each harness defines
 * LLVMFuzzerTestOneInput; the same file links either with libFuzzer (clang, `make fuzz`) or with
 * fuzz/replay_main.c (any compiler, `make check` replays the seed corpus and every regression).
 *
 * Harness-level state: a few harnesses keep what is costly and never changes between inputs (the
 * embedded stdlib, a fixed signing key, a scratch directory) in function-level statics, set up on
 * the first input. The project code itself keeps no global state; this is libFuzzer glue only. */
#ifndef MVM_FUZZ_H
#define MVM_FUZZ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/stdlib.h"
#include "lib/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property every input must keep; a violation aborts, which libFuzzer reports as a crash. */
#define FUZZ_CHECK(cond)                                                                                    \
	do {                                                                                                \
		if (!(cond))                                                                                \
			fuzz_fail(__FILE__, __LINE__, #cond);                                               \
	} while (0)
__attribute__((noreturn)) void fuzz_fail(const char *file, int line, const char *what);

/* Diagnostics go here unless MVM_FUZZ_VERBOSE is set (then to stderr). Opened once. */
FILE *fuzz_sink(void);
/* The embedded stdlib, loaded once. */
const struct mvm_stdlib *fuzz_stdlib(void);
/* A fixed key of each role (derived from a constant seed, so inputs replay identically). */
const struct mvm_seckey *fuzz_key(enum mvm_key_role role);
/* A private scratch directory, created once and removed at exit. */
const char *fuzz_scratch_dir(void);

/* Structured inputs: bytes taken from the front of the data, zeros once it is used up. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};
uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* Splits the rest at the next occurrence of sep (consumed), or takes it all. */
bool fuzz_take_until(struct fuzz_in *in, const char *sep, const uint8_t **p, size_t *n);

/* A malloc'd, NUL-terminated copy, for interfaces that take a C string. Parsers that take text
 * and a length get libFuzzer's exact-size buffer, so that ASan sees any read past the end. */
char *fuzz_dup(const uint8_t *data, size_t size);
#endif

/* Differential testing of mvmc's BPF generator against libseccomp (tests/oracle_libseccomp.c):
 * both compile the same normal form (ir.h); both programs run in lib/'s interpreter on the same
 * seccomp_data, and must return the same 32-bit value, which must also be what the normal form
 * decides (mvm_eval_decisions). Inputs: every syscall number 0..1023, on x86_64 the x32 numbers
 * (nr | 0x40000000) and edge numbers, foreign arch tokens, and per number argument vectors made
 * of zeros, all-ones, witnesses of every entry, values around every constant (+-1, garbage in the
 * high half, bits in and out of masks), and pseudo-random vectors (splitmix64, fixed seed). */
#ifndef MVM_TESTS_BPF_DIFFERENTIAL_H
#define MVM_TESTS_BPF_DIFFERENTIAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/bpf_gen.h"

struct diff_case {
	uint32_t arch_token;
	uint32_t nr;
	uint64_t args[6];
	uint32_t mvmc, libseccomp, normal_form;
};

struct diff_opts {
	const struct mvm_bpf_opts *gen;  /* mvmc's generator options; NULL for none */
	int level;                       /* libseccomp's optimize level: 1 or 2 */
	uint64_t seed;
	unsigned random_per_nr;          /* pseudo-random argument vectors per syscall number */
};

struct diff_stats {
	size_t cases;
	size_t mvmc_len, libseccomp_len;
	size_t oracle_wrong;     /* cases where libseccomp alone departs from the normal form */
	struct diff_case oracle_case; /* the first of them */
	bool oracle_over_limit; /* libseccomp's program exceeds 4096 instructions, or libseccomp hung:
				 * mvmc is checked against the normal form only */
};

/* 0: mvmc decides every case as the normal form does, and libseccomp agrees except in
 * st->oracle_wrong cases (where libseccomp alone departs from the normal form: its bugs);
 * 1: *bad holds the first case where mvmc departs from the normal form or from libseccomp while
 * libseccomp follows the normal form; negative errno: a compiler failed (message on stderr), or
 * mvmc's program is one the kernel would refuse. */
int diff_filter(const struct mvm_arch_filter *f, const struct diff_opts *o, struct diff_case *bad, struct diff_stats *st);

/* A mutable copy of an arch filter's normal form (malloc'd; rules are not copied). */
struct mvm_arch_filter *diff_copy_filter(const struct mvm_arch_filter *f);
void diff_free_filter(struct mvm_arch_filter *f);

/* Shrinks a diverging filter in place (decisions, entries, conditions) while it still diverges
 * (oracle: while libseccomp alone is still wrong), so that the reproducer printed is minimal. */
void diff_minimize(struct mvm_arch_filter *f, const struct diff_opts *o, struct diff_case *bad, bool oracle);

/* Prints the normal form and the diverging case. */
void diff_print(FILE *out, const struct mvm_arch_filter *f, const struct diff_case *bad);
#endif

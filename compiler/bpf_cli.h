/* The BPF side of mvmc's commands: `mvmc build`'s --weights and --report, and reading filter
 * files for `mvmc disasm` and `mvmc sim`. */
#ifndef MVM_BPF_CLI_H
#define MVM_BPF_CLI_H
#include <stdbool.h>
#include <stdio.h>

#include "bpf_gen.h"
#include "stdlib.h"

/* `mvmc build` options for the BPF step. */
struct mvmc_bpf_opts {
	const char *weights; /* --weights FILE; NULL: stdlib/syscall-freq.yaml */
	bool report;         /* --report: print the figures of every filter to stdout */
};

/* Emits f's filter into out with the frequency table the options name (loaded once into *freq
 * from a or the stdlib), and prints its report when asked. 0, or -EINVAL after reporting. */
int mvmc_bpf_emit(const struct mvmc_bpf_opts *o, struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st,
		  const struct mvm_arch_filter *f, struct mvm_bpf_freq **freq, struct mvm_buf *out);

/* One line per filter: length, allowed paths (mean, weighted mean, longest), cache-eligible
 * count against unconditional allows. */
void mvmc_bpf_report(FILE *out, const struct mvm_arch_filter *f, const struct mvm_bpf_stats *s);

/* Reads a raw struct sock_filter[] file into a. 0, or an MVMC_EXIT_* code after a message. */
int mvmc_load_bpf(const char *path, struct mvm_arena *a, const struct sock_filter **prog, size_t *len);
/* The arch whose AUDIT_ARCH token the program's arch check compares with, or NULL. */
const struct mvm_arch *mvmc_bpf_arch_of(const struct sock_filter *prog, size_t len);
#endif

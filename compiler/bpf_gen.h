/* mvmc's own seccomp BPF generator: the normal form of one architecture's filter (ir.h) ->
 * struct sock_filter[], with no libseccomp in the path. See docs/bpf.md for the shape of the
 * program and the proof obligations the tests check. */
#ifndef MVM_BPF_GEN_H
#define MVM_BPF_GEN_H
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "../lib/bpf_interp.h"
#include "../lib/buf.h"
#include "../lib/diag.h"
#include "ir.h"

/* A syscall frequency table (stdlib/syscall-freq.yaml or `--weights FILE`): counts by name,
 * sorted by name. */
struct mvm_bpf_freq_entry {
	const char *name;
	uint64_t count;
};
struct mvm_bpf_freq {
	const char *source;  /* where the table came from, for messages */
	size_t n;
	struct mvm_bpf_freq_entry *e;
};

#define MVM_BPF_FREQ_MAX_ENTRIES 4096

/* Parses a frequency table (YAML: `mvm: 1`, optional `source: TEXT`, `counts: {NAME: N, ...}`).
 * Names must be syscalls of at least one supported architecture. 0, or -EINVAL after
 * reporting FILE:LINE:COL errors to d. */
int mvm_bpf_freq_parse(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text, size_t len,
		       struct mvm_bpf_freq **out);
/* The count for a name, 0 when absent. */
uint64_t mvm_bpf_freq_count(const struct mvm_bpf_freq *fq, const char *name);

struct mvm_bpf_opts {
	/* Syscall frequencies; NULL: every syscall the filter lets through weighs the same. */
	const struct mvm_bpf_freq *freq;
};

/* Generates the filter for f->arch into out (room for MVM_BPF_MAXINSNS instructions).
 * Returns 0 with *len set; -E2BIG after reporting when the program would exceed the kernel's
 * 4096 instructions; -ENOMEM. The output depends only on f and the options. */
int mvm_bpf_generate(struct mvm_diag *d, const struct mvm_arch_filter *f, const struct mvm_bpf_opts *o,
		     struct sock_filter *out, size_t *len);

/* mvm_emit_bpf (emit.h) with options; o may be NULL. Appends the program's bytes to out. */
int mvm_emit_bpf_opts(struct mvm_diag *d, const struct mvm_arch_filter *f, const struct mvm_bpf_opts *o,
		      struct mvm_buf *out);

/* The SECCOMP_RET_* value of an action. */
uint32_t mvm_bpf_ret(struct mvm_action a);

/* Quality figures of a program for one arch filter (see `mvmc build --report`). An "allowed
 * syscall" is a syscall of the arch's table that the normal form lets through for some
 * arguments; its path is measured with arguments that satisfy its first allowing entry. */
struct mvm_bpf_stats {
	size_t length;
	size_t allowed;               /* allowed syscalls measured */
	double mean_insns, weighted_mean_insns;
	size_t max_insns;
	const char *max_name;         /* an allowed syscall with the longest path */
	size_t cache_eligible;        /* syscalls the kernel's action cache would always allow */
	size_t unconditional_allows;  /* syscalls the normal form allows whatever the arguments */
};
int mvm_bpf_measure(const struct mvm_arch_filter *f, const struct sock_filter *prog, size_t len,
		    const struct mvm_bpf_freq *freq, struct mvm_bpf_stats *st);

/* Would the kernel's constant-action cache always allow nr under this arch? True when the path
 * from the start reaches RET ALLOW using only loads of nr/arch, JA, JEQ/JGE/JGT/JSET with K and
 * AND with K (the instructions the kernel emulates when it builds the cache). */
bool mvm_bpf_cache_allows(const struct sock_filter *prog, size_t len, uint32_t audit_arch, uint32_t nr);

/* A vector of arguments that satisfies every condition of cj. */
void mvm_conj_witness(const struct mvm_conj *cj, uint64_t args[6]);

/* Writes a readable listing of prog (labels, syscall names for comparisons of the syscall
 * number when arch is known, decoded actions) to out. arch may be NULL. */
void mvm_bpf_disasm(const struct sock_filter *prog, size_t len, const struct mvm_arch *arch, struct mvm_buf *out);
/* "allow", "errno(1)", "kill-process", ... for a SECCOMP_RET_* value. */
const char *mvm_bpf_ret_name(uint32_t ret, char *buf, size_t len);
#endif

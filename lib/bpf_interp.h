/* A classic-BPF interpreter with the kernel's seccomp semantics: the program reads a
 * struct seccomp_data, may use every instruction seccomp_check_filter() accepts, and returns
 * a 32-bit SECCOMP_RET_* value. Used by tests, `mvmc sim` and the benchmarks. */
#ifndef MVM_BPF_INTERP_H
#define MVM_BPF_INTERP_H
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

#define MVM_BPF_MAXINSNS 4096

/* Checks a program the way the kernel does before accepting it as a seccomp filter:
 * length 1..4096, only the opcodes seccomp allows, absolute loads inside seccomp_data and
 * 4-byte aligned, jumps inside the program, scratch memory indices < 16, last instruction
 * a RET. Returns 0, or -EINVAL with *bad_pc set to the first offending instruction. */
int mvm_bpf_check(const struct sock_filter *prog, size_t len, size_t *bad_pc);

/* Runs a program that passed mvm_bpf_check on one seccomp_data. Returns 0 with *ret set
 * to the filter's return value and *executed (if not NULL) to the number of instructions
 * executed, including the final RET; -EINVAL if the program misbehaves at run time. */
int mvm_bpf_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d,
		uint32_t *ret, size_t *executed);

/* Reads a raw struct sock_filter array file image (host byte order); the buffer must be
 * 4-byte aligned (malloc memory is). Returns 0 or -EINVAL
 * when the size is not a multiple of 8 or is out of range. Does not allocate. */
int mvm_bpf_from_bytes(const void *bytes, size_t n, const struct sock_filter **prog, size_t *len);

#endif

/* lib/'s classic-BPF checker and interpreter (lib/bpf_interp.c) and mvmc's disassembler and
 * cache emulation (compiler/bpf_disasm.c, compiler/bpf_stats.c) on arbitrary programs. Input:
 * one byte of flags, a struct seccomp_data (64 bytes), then the program's bytes (as a .bpf
 * file holds them; a tail that is not a whole instruction is dropped). Properties:
 *   - the interpreter never fails on a program the checker accepted (it ends at a RET within
 *     len steps), and stays memory-safe on programs the checker refused;
 *   - if the kernel-cache emulation says a call is always allowed, the program allows it
 *     whatever the arguments;
 *   - when the flags' low nibble is 1 (one input in 16: a fork each): the running kernel's
 *     seccomp(2) accepts exactly what mvm_bpf_check accepts (in a child, with no_new_privs;
 *     skipped where the kernel refuses filters altogether). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/bpf_cli.h"
#include "compiler/bpf_gen.h"
#include "lib/bpf_interp.h"
#include "fuzz.h"

/* The errno of seccomp(SECCOMP_SET_MODE_FILTER) for prog in a child (0: accepted), or -1 when
 * the kernel cannot tell (no seccomp, no fork). Once the filter is in, the child may not be
 * allowed any system call, not even exit: it reports through shared memory and spins until
 * the parent kills it. */
static int kernel_verdict(const struct sock_filter *prog, size_t len)
{
	int *shared = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	*shared = -1;
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_fprog fp = { (unsigned short)len, (struct sock_filter *)prog };
		int v = -2;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
			v = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == 0 ? 0 : errno;
		__atomic_store_n(shared, v, __ATOMIC_SEQ_CST);
		for (;;)
			;
	}
	int v = -1;
	if (pid > 0) {
		for (int i = 0; i < 200000 && (v = __atomic_load_n(shared, __ATOMIC_SEQ_CST)) == -1; i++)
			usleep(20);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	munmap(shared, sizeof(int));
	return v == 0 || v == EINVAL ? v : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seccomp_data sd;
	if (size < 1 + sizeof(sd))
		return 0;
	uint8_t flags = data[0];
	memcpy(&sd, data + 1, sizeof(sd));
	size_t n = size - 1 - sizeof(sd);
	n -= n % sizeof(struct sock_filter);
	if (n == 0 || n > MVM_BPF_MAXINSNS * sizeof(struct sock_filter))
		return 0;
	/* an aligned copy of exactly the program's size */
	struct sock_filter *copy = malloc(n);
	FUZZ_CHECK(copy);
	memcpy(copy, data + 1 + sizeof(sd), n);
	const struct sock_filter *prog;
	size_t len, bad = 0;
	FUZZ_CHECK(mvm_bpf_from_bytes(copy, n, &prog, &len) == 0 && prog == copy);

	bool ok = mvm_bpf_check(prog, len, &bad) == 0;
	FUZZ_CHECK(ok || bad < len || bad == MVM_BPF_MAXINSNS);
	uint32_t ret;
	size_t steps = 0;
	int r = mvm_bpf_run(prog, len, &sd, &ret, &steps);
	if (ok)
		FUZZ_CHECK(r == 0 && steps >= 1 && steps <= len);
	/* the same call on each supported arch token, as seccomp sees it */
	for (int a = 0; a < MVM_ARCH_COUNT && ok; a++) {
		const struct mvm_arch *ar = mvm_arch_by_id((enum mvm_arch_id)a);
		struct seccomp_data s2 = sd;
		s2.arch = ar->audit_arch;
		FUZZ_CHECK(mvm_bpf_run(prog, len, &s2, &ret, NULL) == 0);
		if (mvm_bpf_cache_allows(prog, len, ar->audit_arch, (uint32_t)s2.nr))
			FUZZ_CHECK(ret == SECCOMP_RET_ALLOW);
	}

	const struct mvm_arch *guess = mvmc_bpf_arch_of(prog, len);
	const struct mvm_arch *archs[] = { guess, mvm_arch_by_id(MVM_ARCH_X86_64), mvm_arch_by_id(MVM_ARCH_AARCH64) };
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		struct mvm_buf out = { 0 };
		mvm_bpf_disasm(prog, len, archs[i], &out);
		FUZZ_CHECK(!out.oom && out.len > 0);
		size_t lines = 0;
		for (size_t k = 0; k < out.len; k++)
			lines += out.data[k] == '\n';
		FUZZ_CHECK(lines >= len + 1); /* a header, then one line per instruction (and labels) */
		mvm_buf_free(&out);
	}
	char rb[32];
	FUZZ_CHECK(mvm_bpf_ret_name(sd.nr, rb, sizeof(rb)) != NULL);

	if ((flags & 0x0f) == 1) {
		int k = kernel_verdict(prog, len);
		if (k >= 0 && (k == 0) != ok) {
			fprintf(stderr, "fuzz: the kernel says %s, mvm_bpf_check says %s (instruction %zu)\n",
				k == 0 ? "accepted" : "refused", ok ? "accepted" : "refused", bad);
			FUZZ_CHECK((k == 0) == ok);
		}
	}
	free(copy);
	return 0;
}

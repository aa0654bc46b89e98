/* bench/syscall_overhead [--json] [--iterations N] [--passes P]
 *
 * Nanoseconds per system call under Docker's default seccomp profile (imported, capabilities
 * none), for the host's architecture, with no filter, libseccomp's filter (optimize level 1 and
 * level 2) and mvmc's, all built from the same resolved rules in this run. Two calls: getpid, an
 * unconditional allow that the kernel's action cache answers without running the filter, and
 * personality(0xffffffff), whose argument the filter checks, so the filter runs on every call.
 *
 * Each configuration runs in its own child (a seccomp filter cannot be removed), pinned to one
 * CPU, P passes in rotation so that drift hits every configuration alike. Within a child a call's
 * figure is the fastest of 20 slices of the loop (interference only ever slows a slice down); a
 * figure is the median of its passes and the noise is the spread of the no-filter passes. The
 * instructions each filter executes for the call (in mvm's interpreter) are printed beside.
 * Verdict: mvmc's filter is never slower than libseccomp's beyond that noise. Exit 1 when it
 * is (or a filter cannot be installed). */
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "bench_common.h"
#include "oracle_libseccomp.h"

enum { CFG_NONE, CFG_LSC1, CFG_LSC2, CFG_MVMC, NCFG };
static const char *const cfg_name[NCFG] = { "none", "libseccomp-1", "libseccomp-2", "mvmc" };
enum { CALL_GETPID, CALL_PERSONALITY, NCALL };
static const char *const call_name[NCALL] = { "getpid", "personality(0xffffffff)" };

#define MAX_PASSES 64

struct prog {
	struct sock_filter *insn;
	size_t len;
};

#define CHUNKS 20

/* The fastest of CHUNKS equal slices of the loop, per call: a slice that an interrupt or another
 * process hit is slower, never faster, so the minimum is the call's own cost. */
static double per_call_ns(int call, long iterations)
{
	long slice = iterations / CHUNKS > 0 ? iterations / CHUNKS : 1;
	double best = 0;
	for (int c = 0; c < CHUNKS; c++) {
		double t0 = bench_now_us();
		for (long i = 0; i < slice; i++) {
			if (call == CALL_GETPID)
				syscall(SYS_getpid);
			else
				syscall(SYS_personality, 0xffffffffUL);
		}
		double ns = (bench_now_us() - t0) * 1000.0 / (double)slice;
		if (c == 0 || ns < best)
			best = ns;
	}
	return best;
}

/* In a child: install the filter, time both calls, write the two figures to fd. */
static int measure(const struct prog *p, long iterations, int cpu, double out[NCALL])
{
	int fd[2];
	if (pipe(fd))
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		double r[NCALL];
		close(fd[0]);
		/* every configuration on the same CPU */
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
		if (p) {
			struct sock_fprog fp = { (unsigned short)p->len, p->insn };
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
				_exit(2);
		}
		/* the argument-checked call must be allowed, or the figure would time a refusal */
		if (syscall(SYS_personality, 0xffffffffUL) < 0)
			_exit(3);
		for (int c = 0; c < NCALL; c++) {
			per_call_ns(c, iterations / 10); /* warm-up */
			r[c] = per_call_ns(c, iterations);
		}
		_exit(write(fd[1], r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 4);
	}
	close(fd[1]);
	ssize_t got = read(fd[0], out, NCALL * sizeof(double));
	close(fd[0]);
	int status;
	waitpid(pid, &status, 0);
	if (got != (ssize_t)(NCALL * sizeof(double)) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "syscall_overhead: a measurement child failed (status %d)\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

static int build_programs(const struct mvm_arch_filter *f, const struct mvm_bpf_freq *freq, struct prog p[NCFG],
			  struct mvm_buf lsc[2])
{
	struct mvm_diag d;
	struct mvm_bpf_opts o = { freq };
	mvm_diag_init(&d, "syscall_overhead", stderr);
	p[CFG_MVMC].insn = malloc(MVM_BPF_MAXINSNS * sizeof(struct sock_filter));
	if (!p[CFG_MVMC].insn || mvm_bpf_generate(&d, f, &o, p[CFG_MVMC].insn, &p[CFG_MVMC].len))
		return -1;
	for (int l = 0; l < 2; l++) {
		const struct sock_filter *insn;
		if (oracle_libseccomp_bpf(&d, f, l + 1, &lsc[l]) || mvm_bpf_from_bytes(lsc[l].data, lsc[l].len, &insn, &p[CFG_LSC1 + l].len))
			return -1;
		p[CFG_LSC1 + l].insn = (struct sock_filter *)insn;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool json = false;
	long iterations = 200000;
	int passes = 7;
	const char *docker = getenv("MVM_DOCKER_JSON") ? getenv("MVM_DOCKER_JSON") : BENCH_DOCKER_JSON_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--iterations") && i + 1 < argc && atol(argv[i + 1]) > 0)
			iterations = atol(argv[++i]);
		else if (!strcmp(argv[i], "--passes") && i + 1 < argc && atoi(argv[i + 1]) > 0 && atoi(argv[i + 1]) <= MAX_PASSES)
			passes = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--docker") && i + 1 < argc)
			docker = argv[++i];
		else {
			fprintf(stderr, "usage: syscall_overhead [--json] [--iterations N] [--passes P] [--docker FILE]\n");
			return 2;
		}
	}
	struct utsname u;
	const struct mvm_arch *arch = uname(&u) == 0 ? mvm_arch_by_name(u.machine) : NULL;
	if (!arch) {
		fprintf(stderr, "syscall_overhead: host architecture '%s' has no mvm filter\n", u.machine);
		return 1;
	}
	struct mvm_arena a;
	struct mvm_profile *p;
	struct mvm_bpf_freq *freq;
	struct prog prog[NCFG] = { { NULL, 0 } };
	struct mvm_buf lsc[2] = { { 0 }, { 0 } };
	double ns[NCFG][NCALL][MAX_PASSES];
	int code = 1;
	mvm_arena_init(&a, 0);
	if (bench_load_docker(&a, docker, &p, &freq) || build_programs(&p->filter[arch->id], freq, prog, lsc))
		goto out;
	int cpu = sched_getcpu();
	if (cpu < 0)
		cpu = 0;
	size_t steps[NCFG][NCALL] = { { 0 } };
	for (int c = CFG_LSC1; c < NCFG; c++) {
		static const int call_nr[NCALL] = { SYS_getpid, SYS_personality };
		for (int k = 0; k < NCALL; k++) {
			struct seccomp_data sd = { .nr = call_nr[k], .arch = arch->audit_arch, .args = { k ? 0xffffffffUL : 0 } };
			uint32_t ret;
			mvm_bpf_run(prog[c].insn, prog[c].len, &sd, &ret, &steps[c][k]);
		}
	}
	for (int pass = 0; pass < passes; pass++) {
		for (int c = 0; c < NCFG; c++) {
			double r[NCALL];
			if (measure(c == CFG_NONE ? NULL : &prog[c], iterations, cpu, r))
				goto out;
			for (int k = 0; k < NCALL; k++)
				ns[c][k][pass] = r[k];
		}
	}
	double med[NCFG][NCALL], noise[NCALL];
	for (int k = 0; k < NCALL; k++) {
		for (int c = 0; c < NCFG; c++)
			med[c][k] = bench_median(ns[c][k], (size_t)passes); /* sorts the passes */
		noise[k] = ns[CFG_NONE][k][passes - 1] - ns[CFG_NONE][k][0];
	}
	bool ok = true;
	for (int k = 0; k < NCALL; k++)
		for (int l = CFG_LSC1; l <= CFG_LSC2; l++)
			ok = ok && med[CFG_MVMC][k] <= med[l][k] + noise[k];
	if (json) {
		printf("{\"arch\":\"%s\",\"iterations\":%ld,\"passes\":%d,\"results\":[", arch->name, iterations, passes);
		for (int c = 0; c < NCFG; c++)
			for (int k = 0; k < NCALL; k++)
				printf("%s{\"filter\":\"%s\",\"call\":\"%s\",\"ns_per_call\":%.2f,\"length\":%zu,"
				       "\"insns_executed\":%zu}", c || k ? "," : "", cfg_name[c],
				       k == CALL_GETPID ? "getpid" : "personality", med[c][k], prog[c].len, steps[c][k]);
		printf("],\"noise_ns\":{\"getpid\":%.2f,\"personality\":%.2f},\"mvmc_never_slower\":%s}\n", noise[0], noise[1],
		       ok ? "true" : "false");
	} else {
		printf("Docker's default profile on %s: ns per call, median of %d passes of %ld calls\n\n", arch->name, passes,
		       iterations);
		printf("%-14s %7s %10s %26s   (instructions executed: getpid, personality)\n", "filter", "length", "getpid",
		       "personality(0xffffffff)");
		for (int c = 0; c < NCFG; c++)
			printf("%-14s %7zu %10.1f %26.1f   (%zu, %zu)\n", cfg_name[c], prog[c].len, med[c][0], med[c][1], steps[c][0],
			       steps[c][1]);
		printf("\nnoise (spread of the no-filter passes): getpid %.1f ns, personality %.1f ns\n", noise[0], noise[1]);
		for (int k = 0; k < NCALL; k++)
			printf("%s: filter cost (minus no filter) mvmc %.1f ns, libseccomp-1 %.1f ns, libseccomp-2 %.1f ns; "
			       "mvmc / libseccomp-1 %.2f, mvmc / libseccomp-2 %.2f\n", call_name[k], med[CFG_MVMC][k] - med[CFG_NONE][k],
			       med[CFG_LSC1][k] - med[CFG_NONE][k], med[CFG_LSC2][k] - med[CFG_NONE][k], med[CFG_MVMC][k] / med[CFG_LSC1][k],
			       med[CFG_MVMC][k] / med[CFG_LSC2][k]);
		printf("verdict: mvmc's filter is %s than libseccomp's beyond noise\n", ok ? "never slower" : "SLOWER");
	}
	code = ok ? 0 : 1;
out:
	free(prog[CFG_MVMC].insn);
	mvm_buf_free(&lsc[0]);
	mvm_buf_free(&lsc[1]);
	mvm_arena_free(&a);
	return code;
}

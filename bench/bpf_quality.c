/* bench/bpf_quality [--json] [--check] [--docker FILE] [--runs N]
 *
 * Compiles Docker's default seccomp profile (imported with `mvmc import oci`, capabilities none)
 * for x86_64 and aarch64 with mvmc's generator, libseccomp at optimize level 1 (linear list) and
 * at level 2 (binary tree), in one run and from the same resolved rules, and prints for each:
 * program length, mean and max instructions executed over allowed syscalls (uniform, and weighted
 * by stdlib/syscall-freq.yaml), cache-eligible count, unconditional allows, and the median BPF
 * generation time (libseccomp: context creation, rule adds and export). Then the ratios of mvmc
 * against libseccomp and the targets of issue 4. --check: exit 1 when a target is missed. */
#include "bench_common.h"
#include "oracle_libseccomp.h"

struct result {
	const char *arch, *compiler;
	struct mvm_bpf_stats st;
	double compile_us;
};

static int time_mvmc(const struct mvm_arch_filter *f, const struct mvm_bpf_freq *freq, int runs, struct result *res)
{
	struct mvm_diag d;
	struct mvm_bpf_opts o = { freq };
	struct sock_filter *prog = malloc(MVM_BPF_MAXINSNS * sizeof(*prog));
	double *t = calloc((size_t)runs, sizeof(*t));
	size_t len = 0;
	int r = -1;
	mvm_diag_init(&d, "bench", stderr);
	if (!prog || !t || mvm_bpf_generate(&d, f, &o, prog, &len)) /* warm-up */
		goto out;
	for (int i = 0; i < runs; i++) {
		double t0 = bench_now_us();
		if (mvm_bpf_generate(&d, f, &o, prog, &len))
			goto out;
		t[i] = bench_now_us() - t0;
	}
	res->compile_us = bench_median(t, (size_t)runs);
	r = mvm_bpf_measure(f, prog, len, freq, &res->st);
out:
	free(prog);
	free(t);
	return r;
}

static int time_libseccomp(const struct mvm_arch_filter *f, const struct mvm_bpf_freq *freq, int level, int runs,
			   struct result *res)
{
	struct mvm_diag d;
	struct mvm_buf b = { 0 };
	double *t = calloc((size_t)runs, sizeof(*t));
	int r = -1;
	mvm_diag_init(&d, "bench", stderr);
	if (!t || oracle_libseccomp_bpf(&d, f, level, &b))
		goto out;
	for (int i = 0; i < runs; i++) {
		b.len = 0;
		double t0 = bench_now_us();
		if (oracle_libseccomp_bpf(&d, f, level, &b))
			goto out;
		t[i] = bench_now_us() - t0;
	}
	res->compile_us = bench_median(t, (size_t)runs);
	const struct sock_filter *prog;
	size_t len;
	if (mvm_bpf_from_bytes(b.data, b.len, &prog, &len) == 0)
		r = mvm_bpf_measure(f, prog, len, freq, &res->st);
out:
	mvm_buf_free(&b);
	free(t);
	return r;
}

static void print_json(const struct result *res, size_t n)
{
	printf("{\"results\":[");
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &res[i];
		printf("%s{\"arch\":\"%s\",\"compiler\":\"%s\",\"length\":%zu,\"mean_insns\":%.3f,\"max_insns\":%zu,"
		       "\"weighted_mean_insns\":%.3f,\"cache_eligible\":%zu,\"unconditional_allows\":%zu,\"compile_us\":%.1f}",
		       i ? "," : "", r->arch, r->compiler, r->st.length, r->st.mean_insns, r->st.max_insns,
		       r->st.weighted_mean_insns, r->st.cache_eligible, r->st.unconditional_allows, r->compile_us);
	}
	printf("]}\n");
}

static bool print_text(const struct result *res, size_t n)
{
	bool all = true;
	printf("Docker's default seccomp profile (capabilities: none); libseccomp measured in the same run\n\n");
	printf("%-8s %-13s %7s %8s %5s %10s %6s %7s %11s\n", "arch", "compiler", "length", "mean", "max", "w.mean",
	       "cache", "uncond", "compile_us");
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &res[i];
		printf("%-8s %-13s %7zu %8.2f %5zu %10.2f %6zu %7zu %11.1f\n", r->arch, r->compiler, r->st.length,
		       r->st.mean_insns, r->st.max_insns, r->st.weighted_mean_insns, r->st.cache_eligible,
		       r->st.unconditional_allows, r->compile_us);
	}
	for (size_t i = 0; i + 2 < n; i += 3) {
		const struct result *m = &res[i], *l1 = &res[i + 1], *l2 = &res[i + 2];
		double fastest = l1->compile_us < l2->compile_us ? l1->compile_us : l2->compile_us;
		printf("\n%s: mvmc / libseccomp-2: length %.2f, mean %.2f, weighted mean %.2f, max %.2f, compile time %.3f\n",
		       m->arch, (double)m->st.length / (double)l2->st.length, m->st.mean_insns / l2->st.mean_insns,
		       m->st.weighted_mean_insns / l2->st.weighted_mean_insns, (double)m->st.max_insns / (double)l2->st.max_insns,
		       m->compile_us / l2->compile_us);
		printf("%s: mvmc / libseccomp-1: length %.2f, mean %.2f, weighted mean %.2f, max %.2f, compile time %.3f\n",
		       m->arch, (double)m->st.length / (double)l1->st.length, m->st.mean_insns / l1->st.mean_insns,
		       m->st.weighted_mean_insns / l1->st.weighted_mean_insns, (double)m->st.max_insns / (double)l1->st.max_insns,
		       m->compile_us / l1->compile_us);
		bool t1 = m->st.mean_insns <= 11.0, t2 = 3 * m->st.length <= l2->st.length,
		     t3 = 5 * m->compile_us <= fastest, t4 = m->st.cache_eligible == m->st.unconditional_allows;
		printf("%s: targets: mean <= 11 %s (%.2f); length <= 1/3 of libseccomp-2 %s (%zu vs %zu); "
		       "compile <= 1/5 of libseccomp %s (%.1f vs %.1f us); cache-eligible = unconditional allows %s (%zu/%zu)\n",
		       m->arch, t1 ? "ok" : "MISSED", m->st.mean_insns, t2 ? "ok" : "MISSED", m->st.length, l2->st.length,
		       t3 ? "ok" : "MISSED", m->compile_us, fastest, t4 ? "ok" : "MISSED", m->st.cache_eligible,
		       m->st.unconditional_allows);
		all = all && t1 && t2 && t3 && t4;
	}
	return all;
}

static bool targets_met(const struct result *res, size_t n)
{
	bool all = true;
	for (size_t i = 0; i + 2 < n; i += 3) {
		const struct result *m = &res[i], *l1 = &res[i + 1], *l2 = &res[i + 2];
		double fastest = l1->compile_us < l2->compile_us ? l1->compile_us : l2->compile_us;
		all = all && m->st.mean_insns <= 11.0 && 3 * m->st.length <= l2->st.length && 5 * m->compile_us <= fastest &&
		      m->st.cache_eligible == m->st.unconditional_allows;
	}
	return all;
}

int main(int argc, char **argv)
{
	bool json = false, check = false;
	const char *docker = getenv("MVM_DOCKER_JSON") ? getenv("MVM_DOCKER_JSON") : BENCH_DOCKER_JSON_DEFAULT;
	int runs = 51;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--check")) {
			check = true;
		} else if (!strcmp(argv[i], "--docker") && i + 1 < argc) {
			docker = argv[++i];
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc && atoi(argv[i + 1]) > 0) {
			runs = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: bpf_quality [--json] [--check] [--docker FILE] [--runs N]\n");
			return 2;
		}
	}
	struct mvm_arena a;
	struct mvm_profile *p;
	struct mvm_bpf_freq *freq;
	struct result res[3 * MVM_ARCH_COUNT];
	size_t n = 0;
	int code = 1;
	mvm_arena_init(&a, 0);
	if (bench_load_docker(&a, docker, &p, &freq))
		goto out;
	for (int ai = 0; ai < MVM_ARCH_COUNT; ai++) {
		const struct mvm_arch_filter *f = &p->filter[ai];
		const char *an = f->arch->name;
		res[n] = (struct result){ an, "mvmc", { 0 }, 0 };
		if (time_mvmc(f, freq, runs, &res[n++]))
			goto out;
		res[n] = (struct result){ an, "libseccomp-1", { 0 }, 0 };
		if (time_libseccomp(f, freq, 1, runs, &res[n++]))
			goto out;
		res[n] = (struct result){ an, "libseccomp-2", { 0 }, 0 };
		if (time_libseccomp(f, freq, 2, runs, &res[n++]))
			goto out;
	}
	bool met;
	if (json) {
		print_json(res, n);
		met = targets_met(res, n);
	} else {
		met = print_text(res, n);
	}
	code = check && !met ? 1 : 0;
out:
	mvm_arena_free(&a);
	return code;
}

/* bench/admission: what one admission costs, and whether an audit append grows with the log.
 *
 *   full admission  read + verify the bundle (python-runner profile) + intent ceiling + issue and
 *                   verify a host-signed plan + fsynced nonce check-and-insert + fsynced audit
 *                   append (entry, head, directory)
 *   audit append    one fsynced append once the log holds 1k, 10k and 100k entries; the peer is
 *                   an append that first verifies the whole log (what a log without a signed head
 *                   would need to notice truncation), measured on the same log
 *
 * usage: admission [--quick] [--mvmc PATH] [--dir DIR]   (make bench-admission)
 * --quick: 200 entries instead of 1k/10k/100k, for a smoke run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/runtime.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(p * (double)(n - 1))];
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int r = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) || r ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *mvmc = "build/bin/mvmc", *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	bool quick = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--mvmc") && i + 1 < argc)
			mvmc = argv[++i];
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			base = argv[++i];
		else {
			fprintf(stderr, "usage: admission [--quick] [--mvmc PATH] [--dir DIR]\n");
			return 2;
		}
	}
	char dir[512], bundle[600], cmd[2048], state[600], audit[600], err[512];
	snprintf(dir, sizeof(dir), "%s/mvm-bench-admission-XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror(dir);
		return 3;
	}
	snprintf(bundle, sizeof(bundle), "%s/bundle", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(audit, sizeof(audit), "%s/audit", dir);
	int64_t t0 = (int64_t)time(NULL);
	snprintf(cmd, sizeof(cmd), "%s build profiles/python-runner.yaml -o %s --not-before %lld --valid-for 1d", mvmc,
		 bundle, (long long)(t0 - 60));
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: %s failed\n", cmd);
		return 3;
	}
	struct mvm_seckey pub, host;
	mvm_key_generate(MVM_ROLE_PUBLISHER, &pub);
	mvm_key_generate(MVM_ROLE_HOST, &host);
	struct mvm_pubkey keys[2] = { pub.pub, host.pub };
	struct mvm_trust trust = { .nkey = 2, .key = keys };
	char path[700], *plan;
	size_t plan_len;
	snprintf(path, sizeof(path), "%s/plan.json", bundle);
	if (mvm_read_small_file(path, 1u << 20, true, &plan, &plan_len))
		return 3;
	struct mvm_buf env = { 0 };
	mvm_dsse_sign_envelope(&pub, MVM_TYPE_PLAN, plan, plan_len, &env);
	snprintf(path, sizeof(path), "%s/bundle.dsse.json", bundle);
	if (write_file(path, env.data, env.len))
		return 3;
	free(plan);
	mvm_buf_free(&env);

	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_stdlib *st;
	mvm_arena_init(&arena, 0);
	mvm_diag_init(&diag, "bench", stderr);
	double ts = now_us();
	if (mvm_stdlib_load(&arena, &diag, NULL, 0, &st))
		return 3;
	double stdlib_us = now_us() - ts;

	/* ---- full admission ---- */
	enum { N = 200 };
	double full[N], verify_only[N];
	struct mvm_admission_config cfg = {
		.trust = &trust, .host_key = &host, .stdlib = st, .state_dir = state, .audit_dir = audit,
		.tenant = "bench", .clock = { t0, MVM_DEFAULT_SKEW_S },
		.policy = { MVM_DEFAULT_MAX_WINDOW_S, MVM_DEFAULT_SKEW_S },
	};
	struct mvm_admission_request req = { .bundle_dir = bundle };
	for (int i = 0; i < N; i++) {
		struct mvm_admission a;
		struct mvm_verdict v;
		double s = now_us();
		int r = mvm_admit(&cfg, &req, &a, &v);
		full[i] = now_us() - s;
		mvm_admission_free(&a);
		if (r) {
			fprintf(stderr, "bench: admission refused: %s\n", v.detail);
			return 1;
		}
		struct mvm_bundle b;
		s = now_us();
		r = mvm_bundle_load_dir(bundle, &trust, &cfg.clock, &b, &v);
		verify_only[i] = now_us() - s;
		mvm_bundle_free(&b);
	}
	printf("full admission (verify bundle + ceiling + plan + fsynced nonce + fsynced audit append), %d runs:\n", N);
	printf("  median %.0f us, p90 %.0f us\n", median(full, N), pct(full, N, 0.9));
	printf("  of which bundle read + verify: median %.0f us; stdlib load (once per process): %.0f us\n",
	       median(verify_only, N), stdlib_us);

	/* ---- audit append vs log length ---- */
	struct mvm_audit log;
	char adir[700];
	snprintf(adir, sizeof(adir), "%s/audit-growth", dir);
	if (mvm_audit_init(&log, adir, "bench", &host, &trust, err, sizeof(err)))
		return 3;
	const long sizes_full[] = { 1000, 10000, 100000 }, sizes_quick[] = { 100, 200 };
	const long *sizes = quick ? sizes_quick : sizes_full;
	size_t nsizes = quick ? 2 : 3;
	enum { M = 100 };
	double med[3] = { 0 }, peer[3] = { 0 };
	long have = 0;
	struct mvm_audit_event ev = { "plan.admitted",
				      "sha256:1111111111111111111111111111111111111111111111111111111111111111",
				      "sha256:2222222222222222222222222222222222222222222222222222222222222222",
				      "{\"team\":\"platform\",\"workload\":\"python-runner\"}", 46, NULL, t0 };
	printf("audit append (fsynced entry + head + directory), median of %d, by entries already in the log:\n", M);
	for (size_t k = 0; k < nsizes; k++) {
		log.nosync = true; /* filling only */
		while (have < sizes[k] - M / 2) {
			if (mvm_audit_append(&log, &ev, NULL, err, sizeof(err)))
				return fprintf(stderr, "bench: %s\n", err), 3;
			have++;
		}
		log.nosync = false;
		double t[M];
		for (int i = 0; i < M; i++) {
			double s = now_us();
			if (mvm_audit_append(&log, &ev, NULL, err, sizeof(err)))
				return fprintf(stderr, "bench: %s\n", err), 3;
			t[i] = now_us() - s;
			have++;
		}
		med[k] = median(t, M);
		struct mvm_audit_report rep;
		double s = now_us();
		if (mvm_audit_verify(adir, "bench", &trust, &rep) != 0)
			return fprintf(stderr, "bench: log does not verify: %s\n", rep.detail), 1;
		peer[k] = now_us() - s + med[k];
		printf("  %6ld entries: %7.0f us   (peer: verify-whole-log-then-append %9.0f us = %.0fx)\n", sizes[k], med[k],
		       peer[k], peer[k] / med[k]);
	}
	printf("  append at %ld / at %ld entries: %.2fx (1.00 = does not grow with the log)\n", sizes[nsizes - 1], sizes[0],
	       med[nsizes - 1] / med[0]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
	mvm_arena_free(&arena);
	return 0;
}

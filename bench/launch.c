/* bench/launch: median wall time of launching /bin/true through the sandbox backend (posture
 * check included) against `bwrap --unshare-all --ro-bind / / --seccomp FD /bin/true` with the
 * same filter, measured interleaved in one run, and the ratio (target <= 1.5x).
 *
 *   launch --filter FILE [--runs N] [--driver PATH] [--bwrap PATH]
 *
 * Three timings: the backend called in-process (mvm_sandbox_run), the same through a process
 * (--driver, tests/sandbox_driver: exec + the backend, as a CLI launch pays), and bwrap. The
 * ratio printed last compares the process launch with bwrap. Exits 1 if any launch fails. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/digest.h"
#include "../runtime/backends/sandbox.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Runs argv with the filter file open as fd 3 (for bwrap --seccomp 3); 0 when it exits 0. */
static int run_process(char *const *argv, const char *filter_path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (filter_path) {
			int fd = open(filter_path, O_RDONLY);
			if (fd < 0 || dup2(fd, 3) < 0)
				_exit(126);
		}
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(MVM_SANDBOX_MAX_FILTER * sizeof(struct sock_filter) + 1);
	*len = buf ? fread(buf, 1, MVM_SANDBOX_MAX_FILTER * sizeof(struct sock_filter) + 1, f) : 0;
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filter", required_argument, NULL, 'f' }, { "runs", required_argument, NULL, 'n' },
		{ "driver", required_argument, NULL, 'd' }, { "bwrap", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *filter_path = NULL, *driver = NULL, *bwrap = "bwrap";
	int runs = 50, o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'f': filter_path = optarg; break;
		case 'n': runs = atoi(optarg); break;
		case 'd': driver = optarg; break;
		case 'b': bwrap = optarg; break;
		default: return 2;
		}
	}
	if (!filter_path || runs < 1 || runs > 10000) {
		fprintf(stderr, "usage: launch --filter FILE [--runs N] [--driver PATH] [--bwrap PATH]\n");
		return 2;
	}
	size_t len;
	struct sock_filter *filter = read_file(filter_path, &len);
	char digest[MVM_DIGEST_STRLEN];
	if (!filter || len == 0 || len % sizeof(*filter) || mvm_sha256_str(filter, len, digest)) {
		fprintf(stderr, "launch: %s is not a BPF program\n", filter_path);
		return 2;
	}
	char *true_argv[] = { "/bin/true", NULL };
	struct mvm_sandbox_config cfg;
	mvm_sandbox_config_init(&cfg);
	cfg.argv = true_argv;
	cfg.filter = filter;
	cfg.filter_len = len / sizeof(*filter);
	cfg.filter_digest = digest;
	char *drv_argv[] = { (char *)driver, "--filter", (char *)filter_path, "--", "/bin/true", NULL };
	char *bw_argv[] = { (char *)bwrap, "--unshare-all", "--ro-bind", "/", "/", "--seccomp", "3", "/bin/true", NULL };
	bool have_bwrap = run_process(bw_argv, filter_path) == 0;
	if (!have_bwrap)
		printf("SKIP bwrap comparison: `%s --unshare-all --ro-bind / / --seccomp 3 /bin/true` does not run here\n", bwrap);

	double *t_lib = calloc((size_t)runs, sizeof(double)), *t_drv = calloc((size_t)runs, sizeof(double)),
	       *t_bw = calloc((size_t)runs, sizeof(double));
	if (!t_lib || !t_drv || !t_bw)
		return 1;
	int failed = 0;
	/* Interleaved, so that load on the machine hits every variant alike. */
	for (int i = 0; i < runs; i++) {
		struct mvm_sandbox_result res;
		double t0 = now_ms();
		int rc = mvm_sandbox_run(&cfg, NULL, &res);
		t_lib[i] = now_ms() - t0;
		if (rc || res.posture.status != MVM_POSTURE_VERIFIED || res.wait_status != 0) {
			fprintf(stderr, "launch: sandbox run %d: %s (%s) posture %s\n", i, mvm_sandbox_outcome_name(res.outcome),
				res.error, mvm_posture_status_name(res.posture.status));
			failed = 1;
			break;
		}
		if (driver) {
			t0 = now_ms();
			if (run_process(drv_argv, NULL)) {
				fprintf(stderr, "launch: %s run %d failed\n", driver, i);
				failed = 1;
				break;
			}
			t_drv[i] = now_ms() - t0;
		}
		if (have_bwrap) {
			t0 = now_ms();
			if (run_process(bw_argv, filter_path)) {
				fprintf(stderr, "launch: bwrap run %d failed\n", i);
				failed = 1;
				break;
			}
			t_bw[i] = now_ms() - t0;
		}
	}
	if (!failed) {
		double lib = median(t_lib, runs);
		printf("runs: %d, /bin/true under %s (%zu instructions)\n", runs, filter_path, cfg.filter_len);
		printf("sandbox backend, in-process, posture verified: median %.2f ms\n", lib);
		double drv = 0, bw = 0;
		if (driver)
			printf("sandbox backend via %s (exec + launch):  median %.2f ms\n", driver, drv = median(t_drv, runs));
		if (have_bwrap) {
			printf("bwrap --unshare-all --ro-bind / / --seccomp:      median %.2f ms\n", bw = median(t_bw, runs));
			printf("ratio in-process / bwrap: %.2fx\n", lib / bw);
			if (driver)
				printf("ratio process / bwrap:    %.2fx (target <= 1.5x)\n", drv / bw);
		}
	}
	free(t_lib);
	free(t_drv);
	free(t_bw);
	free(filter);
	return failed;
}

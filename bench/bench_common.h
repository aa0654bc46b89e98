/* Shared by the benchmarks: Docker's default seccomp profile, imported and compiled into mvmc's
 * normal form, and the default frequency table. */
#ifndef MVM_BENCH_COMMON_H
#define MVM_BENCH_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "compiler/bpf_gen.h"
#include "compiler/import_oci.h"
#include "compiler/resolve.h"

#define BENCH_DOCKER_JSON_DEFAULT "../shared/data/moby/default.json"

static inline double bench_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Docker's default profile (capabilities: none) as mvmc's IR, and the stdlib's frequency table.
 * Everything lives in arena a. 0, or -1 after a message. */
static inline int bench_load_docker(struct mvm_arena *a, const char *json_path, struct mvm_profile **p,
				    struct mvm_bpf_freq **freq)
{
	struct mvm_diag d;
	struct mvm_stdlib *st;
	struct mvm_buf yaml = { 0 };
	char *json, path[64];
	size_t len;
	const char *text, *display;
	int fd = -1, r = -1;
	mvm_diag_init(&d, "bench", stderr);
	if (mvm_read_file(a, json_path, MVM_IMPORT_MAX_JSON, &json, &len)) {
		fprintf(stderr, "bench: cannot read %s (give --docker FILE)\n", json_path);
		return -1;
	}
	if (mvm_stdlib_load(a, &d, NULL, 0, &st))
		return -1;
	struct mvm_import_opts o = { "docker-default", json_path, 0, NULL };
	if (mvm_import_oci(&d, st, json_path, json, len, &o, &yaml))
		goto out;
	fd = memfd_create("bench-docker", MFD_CLOEXEC);
	if (fd < 0 || write(fd, yaml.data, yaml.len) != (ssize_t)yaml.len)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mvm_compile_profile(a, &d, st, path, 0, p))
		goto out;
	if (mvm_stdlib_read(st, a, "syscall-freq.yaml", &text, &len, &display) ||
	    mvm_bpf_freq_parse(a, &d, display, text, len, freq))
		goto out;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	mvm_buf_free(&yaml);
	return r;
}
#endif

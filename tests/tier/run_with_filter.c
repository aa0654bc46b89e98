/* run_with_filter FILTER.bpf -- CMD [ARGS...]
 *
 * Installs a raw seccomp BPF program (the struct sock_filter array mvmc writes as
 * seccomp.<arch>.bpf, host byte order) on itself and execs CMD under it, the way the runtime
 * launches a workload: no_new_privs first, then seccomp(SECCOMP_SET_MODE_FILTER), then exec.
 * Exits 126 with a message when any setup step fails, so a test can tell "the filter refused
 * the workload" (the workload's own status) from "the filter was never installed". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SETUP_FAILED 126
#define MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel refuses longer programs */

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "run_with_filter: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(SETUP_FAILED);
}

/* Reads the whole filter file; it must be a non-empty whole number of instructions. */
static struct sock_filter *read_filter(const char *path, unsigned short *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0)
		die(path, strerror(errno));
	size_t size = (size_t)st.st_size;
	if (size == 0 || size % sizeof(struct sock_filter) != 0)
		die(path, "not a whole number of struct sock_filter (8 bytes each)");
	size_t n = size / sizeof(struct sock_filter);
	if (n > MAX_INSNS)
		die(path, "more than 4096 instructions");
	struct sock_filter *insns = malloc(size);
	if (!insns)
		die("out of memory", NULL);
	if (fread(insns, 1, size, f) != size)
		die(path, "short read");
	fclose(f);
	*len = (unsigned short)n;
	return insns;
}

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: run_with_filter FILTER.bpf -- CMD [ARGS...]\n");
		return SETUP_FAILED;
	}
	struct sock_fprog prog;
	prog.filter = read_filter(argv[1], &prog.len);

	/* Without CAP_SYS_ADMIN the kernel only accepts a filter after no_new_privs. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die("prctl(PR_SET_NO_NEW_PRIVS)", strerror(errno));
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		die("seccomp(SECCOMP_SET_MODE_FILTER)", strerror(errno));
	free(prog.filter);

	execvp(argv[3], &argv[3]);
	/* Reaching here means exec failed, possibly because the filter refused execve: report it
	 * as a setup failure, with the errno the filter or the kernel gave. */
	fprintf(stderr, "run_with_filter: exec %s: %s\n", argv[3], strerror(errno));
	return SETUP_FAILED;
}

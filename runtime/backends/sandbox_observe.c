/* Reads what is really in force on a process: /proc/PID/status, its namespaces, its id maps
 * and its seccomp filter (PTRACE_SECCOMP_GET_FILTER, index 0: the filter installed last). The
 * process must be a stopped tracee of the caller. Everything that cannot be read is recorded
 * as such in the observation; runtime/posture.c decides what that means. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/digest.h"

#define PROC_TEXT_MAX 16384

/* The whole (small) file into buf, NUL-terminated; its length or -errno. */
static long read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	for (;;) {
		if (off + 1 >= cap) {
			close(fd);
			return -EFBIG;
		}
		ssize_t r = read(fd, buf + off, cap - 1 - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = 0;
	return (long)off;
}

static void read_ns(const char *proc_dir, struct mvm_ns_id ids[MVM_NS_COUNT])
{
	for (int n = 0; n < MVM_NS_COUNT; n++) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "%s/ns/%s", proc_dir, mvm_ns_name((enum mvm_ns)n));
		if (stat(path, &st) == 0) {
			ids[n].dev = (uint64_t)st.st_dev;
			ids[n].ino = (uint64_t)st.st_ino;
		}
	}
}

static void read_filter(pid_t pid, struct mvm_posture_observed *o)
{
	errno = 0;
	long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
	if (n < 0) {
		o->filter_errno = errno;
		switch (errno) {
		case EACCES: /* the runtime lacks CAP_SYS_ADMIN, or is itself under seccomp */
		case EPERM:
		case EIO:    /* a kernel without CONFIG_CHECKPOINT_RESTORE does not know the request */
			o->filter = MVM_FILTER_UNAVAILABLE;
			break;
		case EINVAL: /* not in filter mode */
		case ENOENT: /* no filter at that index */
			o->filter = MVM_FILTER_ABSENT;
			break;
		default:
			o->filter = MVM_FILTER_ERROR;
		}
		return;
	}
	if (n == 0 || n > MVM_SANDBOX_MAX_FILTER) {
		o->filter = MVM_FILTER_ERROR;
		o->filter_errno = E2BIG;
		return;
	}
	struct sock_filter *insns = calloc((size_t)n, sizeof(*insns));
	if (!insns) {
		o->filter = MVM_FILTER_ERROR;
		o->filter_errno = ENOMEM;
		return;
	}
	long got = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, insns);
	if (got != n) {
		o->filter = MVM_FILTER_ERROR;
		o->filter_errno = got < 0 ? errno : EIO;
	} else if (mvm_sha256_str(insns, (size_t)n * sizeof(*insns), o->filter_digest)) {
		o->filter = MVM_FILTER_ERROR;
		o->filter_errno = EIO;
	} else {
		o->filter = MVM_FILTER_READ;
		o->filter_insns = (unsigned)n;
	}
	free(insns);
}

int sbx_observe(pid_t pid, struct mvm_posture_observed *o)
{
	char dir[32], path[64];
	char *text = malloc(PROC_TEXT_MAX);
	memset(o, 0, sizeof(*o));
	o->seccomp_filters = -1;
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	snprintf(path, sizeof(path), "%s/status", dir);
	long len = text ? read_text(path, text, PROC_TEXT_MAX) : -ENOMEM;
	if (len >= 0 && mvm_posture_parse_status(text, (size_t)len, o) != 0)
		o->have_status = false;
	read_ns(dir, o->ns);
	read_ns("/proc/self", o->runtime_ns);
	snprintf(path, sizeof(path), "%s/uid_map", dir);
	long ul = text ? read_text(path, text, PROC_TEXT_MAX) : -ENOMEM;
	bool uid_ok = ul >= 0 && mvm_posture_parse_idmap(text, (size_t)ul, &o->uid_map) == 0;
	snprintf(path, sizeof(path), "%s/gid_map", dir);
	long gl = text ? read_text(path, text, PROC_TEXT_MAX) : -ENOMEM;
	bool gid_ok = gl >= 0 && mvm_posture_parse_idmap(text, (size_t)gl, &o->gid_map) == 0;
	o->have_idmap = uid_ok && gid_ok;
	free(text);
	read_filter(pid, o);
	return 0;
}

int sbx_observe_self(struct mvm_posture_observed *o, int *seccomp_filters, size_t *ngroups, uint32_t *groups)
{
	char *text = malloc(PROC_TEXT_MAX);
	if (!text)
		return -ENOMEM;
	memset(o, 0, sizeof(*o));
	long len = read_text("/proc/self/status", text, PROC_TEXT_MAX);
	int rc = len < 0 ? (int)len : mvm_posture_parse_status(text, (size_t)len, o);
	free(text);
	if (rc)
		return rc;
	read_ns("/proc/self", o->runtime_ns);
	*seccomp_filters = o->seccomp_filters; /* -1 when the kernel does not report it */
	*ngroups = o->ngroups;
	memcpy(groups, o->groups, o->ngroups * sizeof(groups[0]));
	return 0;
}

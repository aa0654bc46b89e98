/* The sandbox backend, runtime side: validates the launch, clones the sandbox's pid 1 into new
 * namespaces, writes the user namespace maps, seizes the workload with ptrace before it
 * installs its filter, checks its posture at the exec stop, then releases or kills it, and
 * forwards signals until the workload's status comes back. docs/sandbox.md. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/digest.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* struct clone_args of clone3(2), declared here to keep <linux/sched.h> out of the build. */
struct sbx_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void mvm_sandbox_config_init(struct mvm_sandbox_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->uid = MVM_SANDBOX_DEFAULT_ID;
	cfg->gid = MVM_SANDBOX_DEFAULT_ID;
}

const char *mvm_sandbox_outcome_name(enum mvm_sandbox_outcome o)
{
	switch (o) {
	case MVM_SANDBOX_RAN: return "ran";
	case MVM_SANDBOX_REFUSED_FILTER: return "refused-filter";
	case MVM_SANDBOX_REFUSED_POSTURE: return "refused-posture";
	case MVM_SANDBOX_SETUP_FAILED: return "setup-failed";
	case MVM_SANDBOX_NOT_FOUND: return "not-found";
	case MVM_SANDBOX_EXEC_FAILED: return "exec-failed";
	}
	return "?";
}

int mvm_sandbox_exit_code(const struct mvm_sandbox_result *res)
{
	switch (res->outcome) {
	case MVM_SANDBOX_RAN:
		if (WIFEXITED(res->wait_status))
			return WEXITSTATUS(res->wait_status);
		if (WIFSIGNALED(res->wait_status))
			return 128 + WTERMSIG(res->wait_status);
		return MVM_SANDBOX_EXIT_SETUP;
	case MVM_SANDBOX_REFUSED_FILTER:
	case MVM_SANDBOX_REFUSED_POSTURE: return MVM_SANDBOX_EXIT_POSTURE;
	case MVM_SANDBOX_SETUP_FAILED: return MVM_SANDBOX_EXIT_SETUP;
	case MVM_SANDBOX_NOT_FOUND: return MVM_SANDBOX_EXIT_NOTFOUND;
	case MVM_SANDBOX_EXEC_FAILED: return MVM_SANDBOX_EXIT_NOEXEC;
	}
	return MVM_SANDBOX_EXIT_SETUP;
}

void sbx_forwarded_signals(sigset_t *set)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(set, sigs[i]);
}

int sbx_send(int fd, uint32_t kind, int err, int status, const char *step)
{
	struct sbx_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.err = err;
	m.status = status;
	if (step)
		snprintf(m.step, sizeof(m.step), "%s", step);
	for (;;) {
		ssize_t w = send(fd, &m, sizeof(m), MSG_NOSIGNAL);
		if (w == (ssize_t)sizeof(m))
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		return w < 0 ? -errno : -EIO;
	}
}

/* ---- validation ---- */

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* Absolute, no empty, "." or ".." component, no trailing slash (except "/" itself). */
static bool normalized_abs(const char *p)
{
	if (!p || p[0] != '/' || strlen(p) >= 4096)
		return false;
	if (!strcmp(p, "/"))
		return true;
	const char *c = p + 1;
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!slash)
			return true;
		c = slash + 1;
	}
}

int mvm_sandbox_check_share(const struct mvm_sandbox_share *s, char *err, size_t errlen)
{
	if (!s->host || !normalized_abs(s->host))
		return errf(err, errlen, -EINVAL, "share host path '%s' is not an absolute, normalized path",
			    s->host ? s->host : "");
	if (!s->guest || !normalized_abs(s->guest) || !strcmp(s->guest, "/"))
		return errf(err, errlen, -EINVAL,
			    "share guest path '%s' is not an absolute, normalized path below /", s->guest ? s->guest : "");
	return 0;
}

int mvm_sandbox_parse_share(char *spec, struct mvm_sandbox_share *s, char *err, size_t errlen)
{
	char *c1 = strchr(spec, ':');
	if (!c1)
		return errf(err, errlen, -EINVAL, "share '%s': expected HOST:GUEST[:ro|rw]", spec);
	*c1 = 0;
	char *guest = c1 + 1, *c2 = strchr(guest, ':');
	s->host = spec;
	s->guest = guest;
	s->rw = false;
	if (c2) {
		*c2 = 0;
		if (!strcmp(c2 + 1, "rw"))
			s->rw = true;
		else if (strcmp(c2 + 1, "ro"))
			return errf(err, errlen, -EINVAL, "share mode '%s': expected ro or rw", c2 + 1);
	}
	return mvm_sandbox_check_share(s, err, errlen);
}

static bool digest_wellformed(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != MVM_DIGEST_STRLEN - 1)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int check_config(const struct mvm_sandbox_config *c, int cap_last, char *err, size_t errlen)
{
	size_t n = 0;
	if (!c->argv || !c->argv[0] || !c->argv[0][0])
		return errf(err, errlen, -EINVAL, "no command");
	while (c->argv[n] && n <= MVM_SANDBOX_MAX_ARGS)
		n++;
	if (n > MVM_SANDBOX_MAX_ARGS)
		return errf(err, errlen, -EINVAL, "more than %d arguments", MVM_SANDBOX_MAX_ARGS);
	if (!c->filter || c->filter_len == 0 || c->filter_len > MVM_SANDBOX_MAX_FILTER)
		return errf(err, errlen, -EINVAL, "the seccomp filter must have 1..%d instructions", MVM_SANDBOX_MAX_FILTER);
	if (!digest_wellformed(c->filter_digest))
		return errf(err, errlen, -EINVAL, "the filter digest must be sha256:<64 lower-case hex>");
	if (c->rootfs && !normalized_abs(c->rootfs))
		return errf(err, errlen, -EINVAL, "rootfs '%s' is not an absolute, normalized path", c->rootfs);
	if (c->cwd && !normalized_abs(c->cwd))
		return errf(err, errlen, -EINVAL, "working directory '%s' is not an absolute, normalized path", c->cwd);
	if (c->nshares > MVM_SANDBOX_MAX_SHARES || (c->nshares && !c->shares))
		return errf(err, errlen, -EINVAL, "at most %d shares", MVM_SANDBOX_MAX_SHARES);
	for (size_t i = 0; i < c->nshares; i++) {
		int r = mvm_sandbox_check_share(&c->shares[i], err, errlen);
		if (r)
			return r;
	}
	if (c->uid == (uid_t)-1 || c->gid == (gid_t)-1)
		return errf(err, errlen, -EINVAL, "uid and gid must not be -1");
	if (cap_last < 63 && (c->keep_caps >> (cap_last + 1)))
		return errf(err, errlen, -EINVAL, "keep_caps names a capability this kernel does not have");
	if (c->nrlimits > MVM_SANDBOX_MAX_RLIMITS || (c->nrlimits && !c->rlimits))
		return errf(err, errlen, -EINVAL, "at most %d rlimits", MVM_SANDBOX_MAX_RLIMITS);
	for (size_t i = 0; i < c->nrlimits; i++)
		if (c->rlimits[i].resource < 0 || c->rlimits[i].resource >= RLIMIT_NLIMITS ||
		    c->rlimits[i].soft > c->rlimits[i].hard)
			return errf(err, errlen, -EINVAL, "rlimit %zu is invalid", i);
	n = 0;
	for (const char *const *e = c->env; e && *e; e++, n++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e || n >= MVM_SANDBOX_MAX_ENV)
			return errf(err, errlen, -EINVAL, "environment entry '%s' is not KEY=VALUE (or too many)", *e);
	}
	if (c->hostname && (strlen(c->hostname) == 0 || strlen(c->hostname) > 64))
		return errf(err, errlen, -EINVAL, "hostname must be 1..64 bytes");
	if (c->net) {
		size_t n = strnlen(c->net->host_ifname, sizeof(c->net->host_ifname));
		bool name_ok = n > 0 && n < sizeof(c->net->host_ifname);
		for (size_t i = 0; name_ok && i < n; i++)
			name_ok = (c->net->host_ifname[i] >= 'a' && c->net->host_ifname[i] <= 'z') ||
				  (c->net->host_ifname[i] >= '0' && c->net->host_ifname[i] <= '9');
		if (!name_ok || c->net->prefix4 < 8 || c->net->prefix4 > 30 ||
		    (c->net->ipv6 && (c->net->prefix6 < 64 || c->net->prefix6 > 126)))
			return errf(err, errlen, -EINVAL, "network device: a name of [a-z0-9]{1,15}, an IPv4 prefix 8..30, an IPv6 prefix 64..126");
		if (geteuid() != 0)
			return errf(err, errlen, -EPERM, "a network device for the sandbox needs the runtime to run as root");
	}
	return 0;
}

/* ---- the workload's environment ---- */

struct env {
	const char *v[MVM_SANDBOX_MAX_ENV + 8];
	size_t n;
};

static void env_set(struct env *e, const char *kv)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv);
	for (size_t i = 0; i < e->n; i++)
		if (!strncmp(e->v[i], kv, klen + 1)) {
			e->v[i] = kv;
			return;
		}
	e->v[e->n++] = kv;
	e->v[e->n] = NULL;
}

static bool term_sane(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 64)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || strchr("+-._", *t)))
			return false;
	return true;
}

/* The minimal environment (docs/sandbox.md), then the config's entries, which replace a
 * default of the same name. term holds "TERM=..." when the caller's TERM is passed on. */
static void build_env(const struct mvm_sandbox_config *c, struct env *e, char term[80])
{
	e->n = 0;
	e->v[0] = NULL;
	env_set(e, "PATH=" DEFAULT_PATH);
	env_set(e, "HOME=/tmp");
	env_set(e, "TMPDIR=/tmp");
	env_set(e, "LANG=C.UTF-8");
	const char *t = getenv("TERM");
	if (t && term_sane(t)) {
		snprintf(term, 80, "TERM=%s", t);
		env_set(e, term);
	}
	for (const char *const *kv = c->env; kv && *kv; kv++)
		env_set(e, *kv);
}

static const char *env_path(const struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strncmp(e->v[i], "PATH=", 5))
			return e->v[i] + 5;
	return "";
}

/* ---- the runtime's side of a launch ---- */

struct run {
	int ctl, wl, sfd, pidfd;
	int net_ifindex;        /* the runtime's end of the veth pair, 0 when none */
	bool killed_by_tick;
	pid_t init_pid, wl_pid;
	bool masked;
	sigset_t oldmask;
	bool have_status;
	int status;
	struct mvm_sandbox_result *res;
};

static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	while (off + 1 < cap) {
		ssize_t r = read(fd, buf + off, cap - 1 - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = 0;
	return (int)off;
}

static int cap_last_cap(void)
{
	char buf[32];
	if (read_small("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) <= 0)
		return 40; /* CAP_CHECKPOINT_RESTORE, the last one in Linux 5.9..6.x */
	int v = atoi(buf);
	return v > 0 && v < 64 ? v : 40;
}

static void fail(struct run *r, enum mvm_sandbox_outcome o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct run *r, enum mvm_sandbox_outcome o, const char *fmt, ...)
{
	va_list ap;
	r->res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(r->res->error, sizeof(r->res->error), fmt, ap);
	va_end(ap);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Kills what is left of the sandbox (its pid 1 takes the whole pid namespace with it), reaps
 * it, closes every descriptor and restores the signal mask. */
static void run_cleanup(struct run *r)
{
	if (r->init_pid > 0) {
		kill(r->init_pid, SIGKILL);
		while (waitpid(r->init_pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->init_pid = 0;
	}
	/* The pair goes with the sandbox's namespace anyway, but that happens asynchronously;
	 * deleting it here makes the end of a launch the end of its device. */
	sbx_net_detach(r->net_ifindex);
	r->net_ifindex = 0;
	close_fd(&r->ctl);
	close_fd(&r->wl);
	close_fd(&r->sfd);
	close_fd(&r->pidfd);
	if (r->masked)
		sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
	r->masked = false;
}

static pid_t clone_init(unsigned long flags, int *pidfd)
{
	struct sbx_clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = flags | CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)pidfd;
	a.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0 && errno == ENOSYS) {
		/* A runtime under a filter that hides clone3 (as docker's default does). */
		pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
		if (pid > 0) {
			*pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
			if (*pidfd < 0) {
				int e = errno;
				kill((pid_t)pid, SIGKILL);
				waitpid((pid_t)pid, NULL, 0);
				errno = e;
				return -1;
			}
		}
	}
	return (pid_t)pid;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	if (w != (ssize_t)strlen(text))
		return w < 0 ? -e : -EIO;
	return 0;
}

/* Maps exactly the workload's uid and gid: to the caller's own ids when unprivileged (the
 * only mapping the kernel allows then, after setgroups is denied), to the same ids when root. */
static int write_maps(pid_t pid, const struct mvm_sandbox_config *c, bool privileged, uid_t out_uid, gid_t out_gid,
		      char *step, size_t steplen)
{
	char path[64], text[64];
	int rc;
	if (!privileged) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if ((rc = write_file(path, "deny")))
			return snprintf(step, steplen, "write %s", path), rc;
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(text, sizeof(text), "%u %u 1\n", (unsigned)c->uid, (unsigned)out_uid);
	if ((rc = write_file(path, text)))
		return snprintf(step, steplen, "write %s", path), rc;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(text, sizeof(text), "%u %u 1\n", (unsigned)c->gid, (unsigned)out_gid);
	if ((rc = write_file(path, text)))
		return snprintf(step, steplen, "write %s", path), rc;
	return 0;
}

/* Receives one message; *pid is the sender's pid in our pid namespace when the kernel passed
 * credentials (SO_PASSCRED). 0, -EAGAIN (nothing, with nonblock), -EPIPE (peer gone) or -errno. */
static int recv_msg(int fd, struct sbx_msg *m, pid_t *pid, bool nonblock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cbuf;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -EPIPE;
	if (n != (ssize_t)sizeof(*m))
		return -EBADMSG;
	m->step[sizeof(m->step) - 1] = 0;
	if (pid) {
		*pid = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred uc;
				memcpy(&uc, CMSG_DATA(c), sizeof(uc));
				*pid = uc.pid;
			}
	}
	return 0;
}

/* Turns a child's error message into the result. */
static int child_error(struct run *r, const char *who, const struct sbx_msg *m)
{
	if (m->kind == SBX_NOTFOUND) {
		fail(r, MVM_SANDBOX_NOT_FOUND, "%s: command not found inside the sandbox", m->step);
		return -ENOENT;
	}
	if (!strcmp(m->step, "execve")) {
		fail(r, MVM_SANDBOX_EXEC_FAILED, "execve: %s", strerror(m->err));
		return m->err > 0 ? -m->err : -EIO;
	}
	fail(r, MVM_SANDBOX_SETUP_FAILED, "%s: %s: %s", who, m->step, strerror(m->err));
	return m->err > 0 ? -m->err : -EIO;
}

/* Waits for the workload's READY (its pid comes with it) or for a setup error from either child. */
static int wait_ready(struct run *r)
{
	for (;;) {
		struct pollfd p[3] = { { r->wl, POLLIN, 0 }, { r->ctl, POLLIN, 0 }, { r->pidfd, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(r, MVM_SANDBOX_SETUP_FAILED, "poll: %s", strerror(errno));
			return -errno;
		}
		struct sbx_msg m;
		if (p[0].revents) {
			pid_t pid = 0;
			int rc = recv_msg(r->wl, &m, &pid, true);
			if (rc == -EAGAIN)
				continue;
			if (rc == 0 && m.kind == SBX_READY && pid > 0) {
				r->wl_pid = pid;
				return 0;
			}
			if (rc == 0 && (m.kind == SBX_ERROR || m.kind == SBX_NOTFOUND))
				return child_error(r, "workload", &m);
			if (rc != -EPIPE) {
				fail(r, MVM_SANDBOX_SETUP_FAILED, "workload: unexpected message (%d)", rc);
				return -EPROTO;
			}
			/* The workload is gone without a word: init will say why below. */
		}
		if (p[1].revents) {
			int rc = recv_msg(r->ctl, &m, NULL, true);
			if (rc == -EAGAIN)
				continue;
			if (rc == 0 && m.kind == SBX_ERROR)
				return child_error(r, "sandbox init", &m);
			if (rc == 0 && m.kind == SBX_EXITED) {
				fail(r, MVM_SANDBOX_SETUP_FAILED, "the workload exited before it was ready (status 0x%x)", m.status);
				return -ECHILD;
			}
		}
		if (p[2].revents || (p[0].revents & POLLHUP) || (p[1].revents & POLLHUP)) {
			fail(r, MVM_SANDBOX_SETUP_FAILED, "the sandbox exited during setup");
			return -ECHILD;
		}
	}
}

/* After the tracee died before its exec: the workload's last word, if any. */
static int died_before_exec(struct run *r, int st)
{
	struct sbx_msg m;
	if (recv_msg(r->wl, &m, NULL, true) == 0 && (m.kind == SBX_ERROR || m.kind == SBX_NOTFOUND))
		return child_error(r, "workload", &m);
	if (WIFEXITED(st) && WEXITSTATUS(st) == MVM_SANDBOX_EXIT_NOTFOUND) {
		fail(r, MVM_SANDBOX_NOT_FOUND, "%s: command not found inside the sandbox", "workload");
		return -ENOENT;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == MVM_SANDBOX_EXIT_NOEXEC) {
		fail(r, MVM_SANDBOX_EXEC_FAILED, "execve failed (status %d)", WEXITSTATUS(st));
		return -ENOEXEC;
	}
	if (WIFSIGNALED(st)) {
		/* For example SIGSYS: the filter refused execve itself. */
		fail(r, MVM_SANDBOX_EXEC_FAILED, "the workload was killed by signal %d before its exec", WTERMSIG(st));
		return -ENOEXEC;
	}
	fail(r, MVM_SANDBOX_SETUP_FAILED, "the workload exited (status 0x%x) before its exec", st);
	return -ECHILD;
}

/* Lets the seized workload run to its exec stop: the kernel stops it there, after execve has
 * replaced the image and before the first instruction of the new program. */
static int wait_exec_stop(struct run *r)
{
	for (;;) {
		int st;
		pid_t w = waitpid(r->wl_pid, &st, __WALL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			fail(r, MVM_SANDBOX_SETUP_FAILED, "waitpid(workload): %s", strerror(errno));
			return -errno;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return died_before_exec(r, st);
		if (!WIFSTOPPED(st))
			continue;
		int event = (st >> 16) & 0xff, sig = WSTOPSIG(st);
		if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC)
			return 0;
		/* A signal-delivery stop passes the signal on; a group-stop (PTRACE_EVENT_STOP) or
		 * any other trap is resumed: the workload does not stop before its exec. */
		int inject = (event == 0 && sig != SIGTRAP) ? sig : 0;
		if (ptrace(PTRACE_CONT, r->wl_pid, 0, (void *)(long)inject) < 0 && errno != ESRCH) {
			fail(r, MVM_SANDBOX_SETUP_FAILED, "ptrace(PTRACE_CONT): %s", strerror(errno));
			return -errno;
		}
	}
}

static int expected_posture(const struct mvm_sandbox_config *c, bool userns, bool privileged, int cap_last,
			    struct mvm_posture_expected *e, char *err, size_t errlen)
{
	struct mvm_posture_observed self;
	int filters;
	size_t ngroups;
	uint32_t groups[MVM_POSTURE_MAX_GROUPS];
	memset(e, 0, sizeof(*e));
	int rc = sbx_observe_self(&self, &filters, &ngroups, groups);
	if (rc)
		return errf(err, errlen, rc, "reading the runtime's own status: %s", strerror(-rc));
	snprintf(e->filter_digest, sizeof(e->filter_digest), "%s", c->filter_digest);
	e->seccomp_filters = filters < 0 ? -1 : filters + 1;
	uid_t out_uid = userns && !privileged ? geteuid() : c->uid;
	gid_t out_gid = userns && !privileged ? getegid() : c->gid;
	e->uid = (uint32_t)out_uid;
	e->gid = (uint32_t)out_gid;
	/* Supplementary groups are emptied, except in an unprivileged user namespace, where the
	 * kernel does not allow setgroups: the workload keeps the runtime's (docs/sandbox.md). */
	if (userns && !privileged) {
		e->ngroups = ngroups;
		memcpy(e->groups, groups, ngroups * sizeof(groups[0]));
	}
	uint64_t all = cap_last >= 63 ? UINT64_MAX : ((1ull << (cap_last + 1)) - 1);
	for (int s = 0; s < MVM_CAP_SETS; s++)
		e->cap[s] = c->keep_caps & all;
	for (int n = 0; n < MVM_NS_COUNT; n++)
		e->ns[n] = MVM_NS_EXPECT_DIFFERENT;
	if (!userns)
		e->ns[MVM_NS_USER] = MVM_NS_EXPECT_SAME;
	if (userns) {
		e->check_idmap = true;
		e->uid_map.n = e->gid_map.n = 1;
		e->uid_map.r[0] = (struct mvm_idmap_range){ (uint32_t)c->uid, (uint32_t)out_uid, 1 };
		e->gid_map.r[0] = (struct mvm_idmap_range){ (uint32_t)c->gid, (uint32_t)out_gid, 1 };
	}
	return 0;
}

int mvm_sandbox_posture_add(struct mvm_posture_verdict *v, const char *name, bool ok, const char *expected,
			    const char *observed)
{
	if (v->n >= MVM_POSTURE_MAX_CHECKS) {
		v->nmismatch++;
		v->status = MVM_POSTURE_MISMATCH;
		return -ENOSPC;
	}
	struct mvm_posture_check *c = &v->check[v->n++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->result = ok ? MVM_CHECK_OK : MVM_CHECK_MISMATCH;
	snprintf(c->expected, sizeof(c->expected), "%s", expected ? expected : "");
	snprintf(c->observed, sizeof(c->observed), "%s", observed ? observed : "");
	if (!ok) {
		v->nmismatch++;
		v->status = MVM_POSTURE_MISMATCH;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The network devices of pid's namespace, sorted and comma-separated (from /proc/PID/net/dev,
 * whose first two lines are headers). */
static int net_devices(pid_t pid, char *out, size_t outlen)
{
	char path[64], text[4096];
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	int n = read_small(path, text, sizeof(text));
	if (n < 0)
		return n;
	const char *name[32];
	size_t count = 0;
	char *save = NULL;
	int line = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (line++ < 2)
			continue;
		char *colon = strchr(l, ':');
		if (!colon || count == sizeof(name) / sizeof(name[0]))
			return -EINVAL;
		*colon = 0;
		while (*l == ' ')
			l++;
		name[count++] = l;
	}
	qsort(name, count, sizeof(name[0]), cmp_str);
	out[0] = 0;
	for (size_t i = 0; i < count; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "", name[i]);
	return 0;
}

/* The workload's namespace has exactly the devices the plan gives it: loopback, and eth0 when
 * egress is allowed (claim 10). */
static void check_devices(struct mvm_posture_verdict *v, pid_t pid, const struct mvm_sandbox_config *c)
{
	const char *want = c->net ? MVM_SANDBOX_NET_IFNAME ",lo" : "lo";
	char got[MVM_POSTURE_VALUE_MAX];
	int rc = net_devices(pid, got, sizeof(got));
	if (rc)
		snprintf(got, sizeof(got), "unreadable: %s", strerror(-rc));
	mvm_sandbox_posture_add(v, "net.devices", rc == 0 && !strcmp(got, want), want, got);
}

/* The posture check at the exec stop, and the decision. 0: released; -EPERM: killed. */
static int check_posture(struct run *r, const struct mvm_sandbox_config *c, const struct mvm_posture_expected *e,
			 const struct mvm_sandbox_hooks *hooks)
{
	struct mvm_posture_observed o;
	sbx_observe(r->wl_pid, &o);
	mvm_posture_compare(e, &o, &r->res->posture);
	check_devices(&r->res->posture, r->wl_pid, c);
	if (hooks && hooks->add_checks)
		hooks->add_checks(hooks->ctx, &r->res->posture);
	r->res->posture_checked = true;
	bool ok = mvm_posture_acceptable(&r->res->posture, c->require_full_posture);
	bool hook_refused = false;
	if (hooks && hooks->on_posture && hooks->on_posture(hooks->ctx, &r->res->posture, ok) != 0)
		hook_refused = true;
	if (ok && !hook_refused) {
		if (ptrace(PTRACE_DETACH, r->wl_pid, 0, 0) < 0) {
			int e2 = errno;
			kill(r->wl_pid, SIGKILL);
			fail(r, MVM_SANDBOX_SETUP_FAILED, "ptrace(PTRACE_DETACH): %s", strerror(e2));
			return -e2;
		}
		return 0;
	}
	/* Killed at the exec stop: not one instruction of the workload runs. The tracer collects
	 * the death so that init, its parent, can reap it. */
	kill(r->wl_pid, SIGKILL);
	while (waitpid(r->wl_pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	if (hook_refused && ok)
		fail(r, MVM_SANDBOX_REFUSED_POSTURE, "posture %s, but the caller refused the launch",
		     mvm_posture_status_name(r->res->posture.status));
	else if (r->res->posture.status == MVM_POSTURE_PARTIAL)
		fail(r, MVM_SANDBOX_REFUSED_POSTURE, "posture partial (%zu checks could not run) and a full posture is required",
		     r->res->posture.nunchecked);
	else
		fail(r, MVM_SANDBOX_REFUSED_POSTURE, "posture mismatch (%zu checks failed)", r->res->posture.nmismatch);
	return -EPERM;
}

/* Forwards the signals sent to the runtime, and waits for init to report and exit. */
static int supervise(struct run *r, const struct mvm_sandbox_hooks *hooks)
{
	bool ctl_open = true;
	bool ticking = hooks && hooks->on_tick && hooks->tick_fd >= 0;
	for (;;) {
		/* A negative fd is skipped by poll: ctl, once init has closed it, would never stop
		 * reporting POLLHUP. */
		struct pollfd p[4] = { { r->sfd, POLLIN, 0 }, { ctl_open ? r->ctl : -1, POLLIN, 0 }, { r->pidfd, POLLIN, 0 },
				       { ticking ? hooks->tick_fd : -1, POLLIN, 0 } };
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				/* Only signals sent to the runtime on purpose: one the terminal sent to the
				 * whole foreground process group has reached the workload already. */
				if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE || si.ssi_code == SI_TKILL)
					syscall(SYS_pidfd_send_signal, r->pidfd, (int)si.ssi_signo, NULL, 0);
		}
		if (p[1].revents) {
			struct sbx_msg m;
			int rc = recv_msg(r->ctl, &m, NULL, true);
			if (rc == 0 && m.kind == SBX_EXITED) {
				r->have_status = true;
				r->status = m.status;
			} else if (rc != 0 && rc != -EAGAIN) {
				ctl_open = false;
			}
		}
		if (p[3].revents && hooks->on_tick(hooks->ctx) != 0) {
			/* Fail closed: what the workload runs under is no longer what was checked. */
			syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
			r->killed_by_tick = true;
			ticking = false;
		}
		if (p[2].revents) {
			int st;
			while (waitpid(r->init_pid, &st, 0) < 0 && errno == EINTR)
				;
			r->init_pid = 0;
			struct sbx_msg m;
			while (!r->have_status && recv_msg(r->ctl, &m, NULL, true) == 0)
				if (m.kind == SBX_EXITED) {
					r->have_status = true;
					r->status = m.status;
				}
			return 0;
		}
	}
}

/* fail() for a failed system call: the outcome is a setup failure, the return value -errno. */
static int fail_errno(struct run *r, const char *what)
{
	int e = errno ? errno : EIO;
	fail(r, MVM_SANDBOX_SETUP_FAILED, "%s: %s", what, strerror(e));
	return -e;
}

/* Everything from the socket pairs to the workload's status. r is cleaned up by the caller. */
static int launch(struct run *r, const struct mvm_sandbox_config *cfg, const struct mvm_sandbox_hooks *hooks,
		  struct sbx_launch *l, const struct mvm_posture_expected *expected, bool privileged)
{
	int ctl[2], wl[2], rc;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return fail_errno(r, "socketpair");
	r->ctl = ctl[0];
	int child_ctl __attribute__((cleanup(close_fd))) = ctl[1];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, wl) < 0)
		return fail_errno(r, "socketpair");
	r->wl = wl[0];
	int child_wl __attribute__((cleanup(close_fd))) = wl[1];
	int one = 1;
	if (setsockopt(r->wl, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return fail_errno(r, "setsockopt(SO_PASSCRED)");

	/* Blocked before the clone so that init starts with them blocked (no window where pid 1
	 * would drop them); read from a signalfd while the workload runs. */
	if (sigprocmask(SIG_BLOCK, &l->forwarded, &r->oldmask) < 0)
		return fail_errno(r, "sigprocmask");
	r->masked = true;
	if ((r->sfd = signalfd(-1, &l->forwarded, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return fail_errno(r, "signalfd");

	unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	if (l->userns)
		flags |= CLONE_NEWUSER;
	l->ctl = child_ctl;
	l->wl = child_wl;
	fflush(NULL); /* nothing buffered is written twice */
	pid_t pid = clone_init(flags, &r->pidfd);
	if (pid < 0)
		return fail_errno(r, "clone (new namespaces)");
	if (pid == 0) {
		close(r->ctl);
		close(r->wl);
		close(r->sfd);
		sbx_init_main(l);
	}
	r->init_pid = pid;
	close_fd(&child_ctl);
	close_fd(&child_wl);

	if (cfg->net) {
		char step[96];
		if ((rc = sbx_net_attach(cfg->net, pid, &r->net_ifindex, step, sizeof(step)))) {
			fail(r, MVM_SANDBOX_SETUP_FAILED, "%s: %s", step, strerror(-rc));
			return rc;
		}
	}
	if (l->userns) {
		char step[96];
		uid_t out_uid = privileged ? cfg->uid : geteuid();
		gid_t out_gid = privileged ? cfg->gid : getegid();
		if ((rc = write_maps(pid, cfg, privileged, out_uid, out_gid, step, sizeof(step)))) {
			fail(r, MVM_SANDBOX_SETUP_FAILED, "%s: %s", step, strerror(-rc));
			return rc;
		}
	}
	if ((rc = sbx_send(r->ctl, SBX_GO, 0, 0, NULL))) {
		fail(r, MVM_SANDBOX_SETUP_FAILED, "sandbox init: %s", strerror(-rc));
		return rc;
	}
	if ((rc = wait_ready(r)))
		return rc;

	/* Seized while it waits for GO, before it installs its filter and calls execve. */
	if (ptrace(PTRACE_SEIZE, r->wl_pid, 0, (void *)(long)(PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)) < 0)
		return fail_errno(r, "ptrace(PTRACE_SEIZE, workload)");
	if ((rc = sbx_send(r->wl, SBX_GO, 0, 0, NULL))) {
		fail(r, MVM_SANDBOX_SETUP_FAILED, "workload: %s", strerror(-rc));
		return rc;
	}
	if ((rc = wait_exec_stop(r)))
		return rc;
	if ((rc = check_posture(r, cfg, expected, hooks))) {
		supervise(r, NULL); /* init reports the kill and exits: nothing is left behind */
		return rc;
	}
	if ((rc = supervise(r, hooks))) {
		fail(r, MVM_SANDBOX_SETUP_FAILED, "waiting for the sandbox: %s", strerror(-rc));
		return rc;
	}
	if (r->killed_by_tick) {
		/* What the workload ran under stopped being what was checked (the egress rules in
		 * force, for one): it was killed, as a posture mismatch would have been. */
		fail(r, MVM_SANDBOX_REFUSED_POSTURE, "killed while it ran: the caller's check failed (see its audit entries)");
		return -EPERM;
	}
	if (!r->have_status) {
		fail(r, MVM_SANDBOX_SETUP_FAILED, "the sandbox's init exited without the workload's status");
		return -ECHILD;
	}
	r->res->outcome = MVM_SANDBOX_RAN;
	r->res->wait_status = r->status;
	r->res->error[0] = 0;
	return 0;
}

int mvm_sandbox_run(const struct mvm_sandbox_config *cfg, const struct mvm_sandbox_hooks *hooks,
		    struct mvm_sandbox_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = MVM_SANDBOX_SETUP_FAILED;
	int cap_last = cap_last_cap();
	int rc = check_config(cfg, cap_last, res->error, sizeof(res->error));
	if (rc)
		return rc;

	/* The bytes must be the signed ones before anything is launched. */
	char digest[MVM_DIGEST_STRLEN];
	if ((rc = mvm_sha256_str(cfg->filter, cfg->filter_len * sizeof(struct sock_filter), digest)))
		return errf(res->error, sizeof(res->error), rc, "sha256: %s", strerror(-rc));
	if (strcmp(digest, cfg->filter_digest)) {
		res->outcome = MVM_SANDBOX_REFUSED_FILTER;
		return errf(res->error, sizeof(res->error), -EPERM,
			    "the filter bytes hash to %s, not to the signed %s", digest, cfg->filter_digest);
	}

	bool privileged = geteuid() == 0;
	bool userns = !privileged || cfg->force_userns;
	res->user_namespace = userns;
	struct mvm_posture_expected expected;
	if ((rc = expected_posture(cfg, userns, privileged, cap_last, &expected, res->error, sizeof(res->error))))
		return rc;

	struct env env;
	char term[80];
	build_env(cfg, &env, term);
	struct sbx_launch l = { .cfg = cfg, .userns = userns, .privileged = privileged, .cap_last = cap_last, .envp = (char *const *)env.v,
				.path = env_path(&env), .ctl = -1, .wl = -1 };
	sbx_forwarded_signals(&l.forwarded);

	struct run r __attribute__((cleanup(run_cleanup))) = { .ctl = -1, .wl = -1, .sfd = -1, .pidfd = -1, .res = res };
	return launch(&r, cfg, hooks, &l, &expected, privileged);
}

/* `mvm doctor`: host probes, backend selection and the report. The probes that need a
 * process of their own (namespaces, seccomp, ptrace) fork a child that tries the real thing
 * and reports with its exit status. */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/canon_json.h"

static const char *const probe_names[MVM_PROBE_COUNT] = {
	[MVM_PROBE_KVM_PRESENT] = "kvm.present", [MVM_PROBE_KVM_USABLE] = "kvm.usable",
	[MVM_PROBE_QEMU] = "qemu",               [MVM_PROBE_FIRECRACKER] = "firecracker",
	[MVM_PROBE_DOCKER] = "docker",           [MVM_PROBE_USERNS] = "userns",
	[MVM_PROBE_PIDNS] = "pidns",             [MVM_PROBE_NETNS] = "netns",
	[MVM_PROBE_MOUNT_API] = "mount_api",     [MVM_PROBE_SECCOMP] = "seccomp",
	[MVM_PROBE_SECCOMP_GET_FILTER] = "seccomp.get_filter",
	[MVM_PROBE_NFT] = "nft",                 [MVM_PROBE_CGROUP_V1] = "cgroup.v1",
	[MVM_PROBE_CGROUP_V2] = "cgroup.v2",
};

const char *mvm_probe_name(enum mvm_probe_id id)
{
	return (unsigned)id < MVM_PROBE_COUNT ? probe_names[id] : "?";
}

static void set(struct mvm_probe *p, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(struct mvm_probe *p, bool ok, const char *fmt, ...)
{
	va_list ap;
	p->ok = ok;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
}

/* ---- binaries, devices, sockets, mounts ---- */

static void probe_binary(struct mvm_probe *p, const char *path_list, const char *name)
{
	const char *s = path_list ? path_list : "";
	while (*s) {
		const char *colon = strchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		char full[4096];
		struct stat st;
		if (n > 0 && snprintf(full, sizeof(full), "%.*s/%s", (int)n, s, name) < (int)sizeof(full) &&
		    stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
			set(p, true, "%s", full);
			return;
		}
		if (!colon)
			break;
		s = colon + 1;
	}
	set(p, false, "%s not found in PATH", name);
}

static void probe_kvm(struct mvm_probes *out, const char *dev)
{
	struct stat st;
	if (stat(dev, &st) < 0 || !S_ISCHR(st.st_mode)) {
		set(&out->p[MVM_PROBE_KVM_PRESENT], false, "%s: %s", dev, errno ? strerror(errno) : "not a character device");
		set(&out->p[MVM_PROBE_KVM_USABLE], false, "no %s", dev);
		return;
	}
	set(&out->p[MVM_PROBE_KVM_PRESENT], true, "%s is a character device", dev);
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		set(&out->p[MVM_PROBE_KVM_USABLE], false, "open %s: %s", dev, strerror(errno));
		return;
	}
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION)
		set(&out->p[MVM_PROBE_KVM_USABLE], false, "KVM_GET_API_VERSION answered %d, not %d", v, KVM_API_VERSION);
	else
		set(&out->p[MVM_PROBE_KVM_USABLE], true, "opens read-write, API version %d", v);
}

/* The engine's /_ping over its unix socket, with a 2 s bound. */
static void probe_docker(struct mvm_probe *p, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		set(p, false, "%s: path too long", path);
		return;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		set(p, false, "connect %s: %s", path, strerror(errno));
		if (s >= 0)
			close(s);
		return;
	}
	static const char req[] = "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
	char buf[512];
	size_t n = 0;
	bool ok = send(s, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(req) - 1;
	while (ok && n < sizeof(buf) - 1) {
		struct pollfd pf = { s, POLLIN, 0 };
		if (poll(&pf, 1, 2000) <= 0)
			break;
		ssize_t r = recv(s, buf + n, sizeof(buf) - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(s);
	buf[n] = 0;
	char *body = strstr(buf, "\r\n\r\n");
	if (!strncmp(buf, "HTTP/1.", 7) && strstr(buf, " 200 ") && body && !strncmp(body + 4, "OK", 2))
		set(p, true, "the engine at %s answers /_ping", path);
	else
		set(p, false, "%s did not answer /_ping with OK", path);
}

static void probe_cgroups(struct mvm_probes *out, const char *mountinfo)
{
	FILE *f = fopen(mountinfo, "re");
	char v1[200] = "", v2[200] = "";
	if (!f) {
		set(&out->p[MVM_PROBE_CGROUP_V1], false, "%s: %s", mountinfo, strerror(errno));
		set(&out->p[MVM_PROBE_CGROUP_V2], false, "%s: %s", mountinfo, strerror(errno));
		return;
	}
	char line[4096];
	int nv1 = 0;
	while (fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char fstype[32] = "", mnt[1024] = "";
		if (sscanf(sep + 3, "%31s", fstype) != 1 || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		if (!strcmp(fstype, "cgroup2") && !v2[0])
			snprintf(v2, sizeof(v2), "cgroup2 at %.150s", mnt);
		else if (!strcmp(fstype, "cgroup") && nv1++ == 0)
			snprintf(v1, sizeof(v1), "cgroup (v1) at %.150s", mnt);
	}
	fclose(f);
	if (nv1)
		set(&out->p[MVM_PROBE_CGROUP_V1], true, "%s (%d hierarchies)", v1, nv1);
	else
		set(&out->p[MVM_PROBE_CGROUP_V1], false, "no cgroup (v1) hierarchy mounted");
	if (v2[0])
		set(&out->p[MVM_PROBE_CGROUP_V2], true, "%s", v2);
	else
		set(&out->p[MVM_PROBE_CGROUP_V2], false, "no cgroup2 hierarchy mounted");
}

static void probe_mount_api(struct mvm_probe *p)
{
	/* An invalid descriptor: EBADF (or EINVAL) from a kernel that has the call, ENOSYS otherwise. */
	errno = 0;
	long r = syscall(SYS_mount_setattr, -1, "", 0, NULL, 0);
	if (r < 0 && errno == ENOSYS)
		set(p, false, "mount_setattr(2) is missing (Linux 5.12 or later is needed)");
	else if (r < 0 && errno == EPERM)
		set(p, false, "mount_setattr(2) is refused here (EPERM): a seccomp filter on the runtime?");
	else
		set(p, true, "open_tree, move_mount and mount_setattr are available");
}

/* ---- probes in a child process ---- */

/* Runs fn in a child; its return value (0 or an errno) is the exit status. 0 or the errno. */
static int in_child(int (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return EINTR;
}

static int try_unshare(void *arg)
{
	return unshare((int)(long)arg) < 0 ? errno : 0;
}

static const struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };

static int try_seccomp(void *arg)
{
	(void)arg;
	struct sock_fprog prog = { .len = 1, .filter = (struct sock_filter *)allow_all };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return errno;
	return 0;
}

static void probe_namespaces(struct mvm_probes *out)
{
	int user = in_child(try_unshare, (void *)(long)CLONE_NEWUSER);
	if (user)
		set(&out->p[MVM_PROBE_USERNS], false, "unshare(CLONE_NEWUSER): %s", strerror(user));
	else
		set(&out->p[MVM_PROBE_USERNS], true, "a child can create a user namespace");
	/* Without root, pid and network namespaces come inside a user namespace, as the sandbox makes them. */
	long extra = out->root ? 0 : CLONE_NEWUSER;
	int pid = in_child(try_unshare, (void *)(CLONE_NEWPID | extra));
	set(&out->p[MVM_PROBE_PIDNS], pid == 0, "unshare(CLONE_NEWPID%s): %s", extra ? "|CLONE_NEWUSER" : "",
	    pid ? strerror(pid) : "ok");
	int net = in_child(try_unshare, (void *)(CLONE_NEWNET | extra));
	set(&out->p[MVM_PROBE_NETNS], net == 0, "unshare(CLONE_NEWNET%s): %s", extra ? "|CLONE_NEWUSER" : "",
	    net ? strerror(net) : "ok");
}

static int own_seccomp_mode(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int mode = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	if (f)
		fclose(f);
	return mode;
}

/* Seizes a child that installs a filter and stops, then asks for the filter back. */
static void probe_get_filter(struct mvm_probe *p)
{
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		set(p, false, "pipe: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		set(p, false, "fork: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return;
	}
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if (try_seccomp(NULL))
			_exit(2);
		raise(SIGSTOP);
		_exit(0);
	}
	close(go[0]);
	long n = -1;
	int err = 0;
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) {
		err = errno;
		set(p, false, "ptrace(PTRACE_SEIZE): %s", strerror(err));
	} else if (write(go[1], "g", 1) != 1) {
		set(p, false, "could not start the probe child");
	} else {
		int st;
		while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
			;
		if (!WIFSTOPPED(st)) {
			set(p, false, "the probe child could not install a filter");
		} else {
			errno = 0;
			n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
			err = errno;
			if (n == 1)
				set(p, true, "PTRACE_SECCOMP_GET_FILTER reads a tracee's filter back");
			else if (err == EACCES)
				set(p, false, "PTRACE_SECCOMP_GET_FILTER: EACCES (needs CAP_SYS_ADMIN%s): postures are partial",
				    own_seccomp_mode() > 0 ? ", and this process is itself under seccomp" : "");
			else
				set(p, false, "PTRACE_SECCOMP_GET_FILTER: %s", n < 0 ? strerror(err) : "unexpected length");
		}
	}
	close(go[1]);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

static const char *docker_socket_default(char buf[256])
{
	const char *h = getenv("DOCKER_HOST");
	if (h && !strncmp(h, "unix://", 7) && strlen(h + 7) < 256) {
		snprintf(buf, 256, "%s", h + 7);
		return buf;
	}
	return "/var/run/docker.sock";
}

int mvm_doctor_probe(const struct mvm_doctor_env *env, struct mvm_probes *out)
{
	struct mvm_doctor_env none = { 0 };
	if (!env)
		env = &none;
	memset(out, 0, sizeof(*out));
	out->root = geteuid() == 0;
	const char *path = env->path ? env->path : getenv("PATH");
	struct utsname u;
	const char *arch = env->arch ? env->arch : (uname(&u) == 0 ? u.machine : "x86_64");
	char qemu[96], sock[256];
	snprintf(qemu, sizeof(qemu), "qemu-system-%s", arch);

	probe_kvm(out, env->dev_kvm ? env->dev_kvm : "/dev/kvm");
	probe_binary(&out->p[MVM_PROBE_QEMU], path, qemu);
	probe_binary(&out->p[MVM_PROBE_FIRECRACKER], path, "firecracker");
	probe_docker(&out->p[MVM_PROBE_DOCKER], env->docker_socket ? env->docker_socket : docker_socket_default(sock));
	probe_binary(&out->p[MVM_PROBE_NFT], path, "nft");
	probe_cgroups(out, env->mountinfo ? env->mountinfo : "/proc/self/mountinfo");
	probe_mount_api(&out->p[MVM_PROBE_MOUNT_API]);
	if (env->skip_process_probes) {
		static const enum mvm_probe_id skipped[] = { MVM_PROBE_USERNS, MVM_PROBE_PIDNS, MVM_PROBE_NETNS,
							     MVM_PROBE_SECCOMP, MVM_PROBE_SECCOMP_GET_FILTER };
		for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
			set(&out->p[skipped[i]], false, "not probed");
		return 0;
	}
	probe_namespaces(out);
	int sc = in_child(try_seccomp, NULL);
	set(&out->p[MVM_PROBE_SECCOMP], sc == 0, "%s", sc ? strerror(sc) : "a child can install a seccomp filter");
	if (sc == 0) {
		int mode = own_seccomp_mode();
		if (mode > 0)
			snprintf(out->p[MVM_PROBE_SECCOMP].detail, sizeof(out->p[0].detail),
				 "a child can install a filter (this process is itself in seccomp mode %d)", mode);
	}
	probe_get_filter(&out->p[MVM_PROBE_SECCOMP_GET_FILTER]);
	return 0;
}

/* ---- selection ---- */

static void backend_status(const struct mvm_probes *p, enum mvm_backend b, struct mvm_backend_status *s)
{
	s->built = mvm_backend_built(b);
	switch (b) {
	case MVM_BACKEND_FIRECRACKER:
		s->available = p->p[MVM_PROBE_KVM_USABLE].ok && p->p[MVM_PROBE_FIRECRACKER].ok;
		snprintf(s->why, sizeof(s->why), "%s", !p->p[MVM_PROBE_KVM_USABLE].ok ? "needs a usable /dev/kvm"
						       : !p->p[MVM_PROBE_FIRECRACKER].ok ? "needs the firecracker binary"
											 : "KVM and firecracker present");
		break;
	case MVM_BACKEND_QEMU:
		s->available = p->p[MVM_PROBE_QEMU].ok;
		snprintf(s->why, sizeof(s->why), "%s", !s->available ? "needs qemu-system-<arch>"
						       : p->p[MVM_PROBE_KVM_USABLE].ok ? "QEMU with KVM"
										      : "QEMU without KVM (software emulation: slow)");
		break;
	case MVM_BACKEND_SANDBOX: {
		const char *miss = !p->root && !p->p[MVM_PROBE_USERNS].ok ? "needs user namespaces (or root)"
				   : !p->p[MVM_PROBE_PIDNS].ok			? "needs pid namespaces"
				   : !p->p[MVM_PROBE_NETNS].ok			? "needs network namespaces"
				   : !p->p[MVM_PROBE_MOUNT_API].ok		? "needs the new mount API (Linux 5.12)"
				   : !p->p[MVM_PROBE_SECCOMP].ok		? "needs seccomp filters"
									: NULL;
		s->available = miss == NULL;
		snprintf(s->why, sizeof(s->why), "%s",
			 miss ? miss
			 : p->p[MVM_PROBE_SECCOMP_GET_FILTER].ok ? "namespaces and seccomp; full posture check"
								 : "namespaces and seccomp; posture partial (filter not readable)");
		break;
	}
	case MVM_BACKEND_DOCKER:
		s->available = p->p[MVM_PROBE_DOCKER].ok;
		snprintf(s->why, sizeof(s->why), "%s", s->available ? "Docker engine reachable" : "needs a reachable Docker engine");
		break;
	default:
		break;
	}
}

int mvm_backend_select(const struct mvm_probes *p, const char *requested, struct mvm_selection *out)
{
	memset(out, 0, sizeof(*out));
	for (int b = 0; b < MVM_BACKEND_COUNT; b++)
		backend_status(p, (enum mvm_backend)b, &out->backend[b]);
	if (!requested || !strcmp(requested, "auto")) {
		/* The enum is ordered by preference: tier 1 first, docker after the sandbox. */
		for (int b = 0; b < MVM_BACKEND_COUNT; b++)
			if (out->backend[b].built && out->backend[b].available) {
				out->found = true;
				out->chosen = (enum mvm_backend)b;
				return 0;
			}
		snprintf(out->error, sizeof(out->error), "no backend this build has can run on this host (sandbox: %s)",
			 out->backend[MVM_BACKEND_SANDBOX].why);
		return -ENOENT;
	}
	enum mvm_backend b;
	if (mvm_backend_parse(requested, &b)) {
		snprintf(out->error, sizeof(out->error), "unknown backend '%s' (auto, firecracker, qemu, sandbox, docker)",
			 requested);
		return -EINVAL;
	}
	if (!out->backend[b].built) {
		snprintf(out->error, sizeof(out->error), "backend %s (tier %d) is not built yet", mvm_backend_name(b),
			 mvm_backend_tier(b));
		return -ENOSYS;
	}
	if (!out->backend[b].available) {
		snprintf(out->error, sizeof(out->error), "backend %s cannot run on this host: %s", mvm_backend_name(b),
			 out->backend[b].why);
		return -ENODEV;
	}
	out->found = true;
	out->chosen = b;
	return 0;
}

/* ---- report ---- */

static const char *backend_state(const struct mvm_backend_status *s)
{
	return !s->built ? "not built yet" : s->available ? "available" : "unavailable";
}

void mvm_doctor_report_text(const struct mvm_probes *p, const struct mvm_selection *s, struct mvm_buf *out)
{
	mvm_buf_printf(out, "mvm doctor: what isolation this host can give (running as %s)\n\nprobes:\n",
		       p->root ? "root" : "a user");
	for (int i = 0; i < MVM_PROBE_COUNT; i++)
		mvm_buf_printf(out, "  %-3s  %-19s %s\n", p->p[i].ok ? "yes" : "no", probe_names[i], p->p[i].detail);
	mvm_buf_puts(out, "\nbackends, in the order auto-selection prefers them:\n");
	for (int b = 0; b < MVM_BACKEND_COUNT; b++) {
		const struct mvm_backend_status *st = &s->backend[b];
		mvm_buf_printf(out, "  %-11s  tier %d  %-13s  host: %s%s\n", mvm_backend_name((enum mvm_backend)b),
			       mvm_backend_tier((enum mvm_backend)b), backend_state(st), st->why,
			       s->found && s->chosen == (enum mvm_backend)b ? "  <- selected" : "");
	}
	if (!s->found) {
		mvm_buf_printf(out, "\nselected: none: %s\n", s->error);
		return;
	}
	struct mvm_claim_status c[MVM_CLAIM_COUNT];
	mvm_claims_for(s->chosen, p->p[MVM_PROBE_SECCOMP_GET_FILTER].ok, c);
	mvm_buf_printf(out, "\nselected: %s, tier %d\nlayers: %s\n\nclaims (ARCHITECTURE.md) on %s:\n",
		       mvm_backend_name(s->chosen), mvm_backend_tier(s->chosen), mvm_backend_layers(s->chosen),
		       mvm_backend_name(s->chosen));
	for (int i = 0; i < MVM_CLAIM_COUNT; i++) {
		mvm_buf_printf(out, "  %2d  %-14s %s\n      %s", c[i].id, mvm_claim_state_name(c[i].state), c[i].claim, c[i].why);
		if (c[i].gate)
			mvm_buf_printf(out, " [gate: %s]", c[i].gate);
		mvm_buf_puts(out, "\n");
	}
}

int mvm_doctor_report_json(const struct mvm_probes *p, const struct mvm_selection *s, struct mvm_buf *out)
{
	struct mvm_cjw w;
	mvm_cjw_init(&w, out);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "backends");
	mvm_cjw_begin_array(&w);
	for (int b = 0; b < MVM_BACKEND_COUNT; b++) {
		const struct mvm_backend_status *st = &s->backend[b];
		mvm_cjw_begin_object(&w);
		mvm_cjw_key(&w, "host");
		mvm_cjw_str(&w, st->why);
		mvm_cjw_key(&w, "name");
		mvm_cjw_str(&w, mvm_backend_name((enum mvm_backend)b));
		mvm_cjw_key(&w, "state");
		mvm_cjw_str(&w, !st->built ? "not-built-yet" : st->available ? "available" : "unavailable");
		mvm_cjw_key(&w, "tier");
		mvm_cjw_int(&w, mvm_backend_tier((enum mvm_backend)b));
		mvm_cjw_end_object(&w);
	}
	mvm_cjw_end_array(&w);
	mvm_cjw_key(&w, "claims");
	mvm_cjw_begin_array(&w);
	if (s->found) {
		struct mvm_claim_status c[MVM_CLAIM_COUNT];
		mvm_claims_for(s->chosen, p->p[MVM_PROBE_SECCOMP_GET_FILTER].ok, c);
		for (int i = 0; i < MVM_CLAIM_COUNT; i++) {
			mvm_cjw_begin_object(&w);
			mvm_cjw_key(&w, "claim");
			mvm_cjw_str(&w, c[i].claim);
			if (c[i].gate) {
				mvm_cjw_key(&w, "gate");
				mvm_cjw_str(&w, c[i].gate);
			}
			mvm_cjw_key(&w, "id");
			mvm_cjw_int(&w, c[i].id);
			mvm_cjw_key(&w, "state");
			mvm_cjw_str(&w, mvm_claim_state_name(c[i].state));
			mvm_cjw_key(&w, "why");
			mvm_cjw_str(&w, c[i].why);
			mvm_cjw_end_object(&w);
		}
	}
	mvm_cjw_end_array(&w);
	if (!s->found) {
		mvm_cjw_key(&w, "error");
		mvm_cjw_str(&w, s->error);
	}
	mvm_cjw_key(&w, "layers");
	mvm_cjw_str(&w, s->found ? mvm_backend_layers(s->chosen) : "");
	mvm_cjw_key(&w, "probes");
	mvm_cjw_begin_array(&w);
	for (int i = 0; i < MVM_PROBE_COUNT; i++) {
		mvm_cjw_begin_object(&w);
		mvm_cjw_key(&w, "detail");
		mvm_cjw_str(&w, p->p[i].detail);
		mvm_cjw_key(&w, "name");
		mvm_cjw_str(&w, probe_names[i]);
		mvm_cjw_key(&w, "ok");
		mvm_cjw_str(&w, p->p[i].ok ? "yes" : "no");
		mvm_cjw_end_object(&w);
	}
	mvm_cjw_end_array(&w);
	mvm_cjw_key(&w, "root");
	mvm_cjw_str(&w, p->root ? "yes" : "no");
	mvm_cjw_key(&w, "selected");
	mvm_cjw_str(&w, s->found ? mvm_backend_name(s->chosen) : "");
	mvm_cjw_key(&w, "tier");
	mvm_cjw_int(&w, s->found ? mvm_backend_tier(s->chosen) : 0);
	mvm_cjw_end_object(&w);
	return mvm_cjw_finish(&w);
}

int mvm_doctor_command(int argc, char **argv, FILE *out, FILE *err)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			fprintf(err, "usage: mvm doctor [--json]\n");
			return 2;
		}
	}
	struct mvm_probes p;
	struct mvm_selection s;
	mvm_doctor_probe(NULL, &p);
	int rc = mvm_backend_select(&p, "auto", &s);
	struct mvm_buf b = { 0 };
	if (json) {
		if (mvm_doctor_report_json(&p, &s, &b) == 0)
			mvm_buf_puts(&b, "\n");
	} else {
		mvm_doctor_report_text(&p, &s, &b);
	}
	if (b.oom || !b.data) {
		mvm_buf_free(&b);
		fprintf(err, "mvm doctor: out of memory\n");
		return 1;
	}
	fputs(b.data, out);
	mvm_buf_free(&b);
	return rc == 0 ? 0 : 1;
}

/* The workload's last steps, from init's fork to execve, in this order (each checked; any
 * failure is reported to the runtime and the process exits before running anything):
 *
 *   signals reset -> umask 022 -> rlimits (RLIMIT_CORE 0) -> bounding set dropped ->
 *   securebits locked -> supplementary groups emptied -> gid -> uid -> permitted, effective,
 *   inheritable set -> ambient cleared, then raised for kept capabilities only ->
 *   no_new_privs -> working directory -> command looked up -> READY, wait for the runtime's
 *   ptrace seize -> seccomp filter (the exact bytes given) -> execve.
 *
 * Test-only and mutation builds (docs/sandbox.md) change the seccomp step, and only that. */
#include "sandbox_internal.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Noreturn void wl_fail(const struct sbx_launch *l, const char *step, int err)
{
	sbx_send(l->wl, SBX_ERROR, err > 0 ? err : EIO, 0, step);
	_exit(MVM_SANDBOX_EXIT_SETUP);
}

static void reset_signals(const struct sbx_launch *l)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL); /* fails (EINVAL) only for the libc-reserved real-time signals */
	sigset_t none;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		wl_fail(l, "sigprocmask", errno);
}

static void set_rlimits(const struct sbx_launch *l)
{
	const struct mvm_sandbox_config *c = l->cfg;
	for (size_t i = 0; i < c->nrlimits; i++) {
		struct rlimit rl = { .rlim_cur = c->rlimits[i].soft, .rlim_max = c->rlimits[i].hard };
		if (setrlimit(c->rlimits[i].resource, &rl) < 0)
			wl_fail(l, "setrlimit", errno);
	}
	/* No core dumps: a dump would write the workload's memory outside the sandbox's control. */
	struct rlimit core = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &core) < 0)
		wl_fail(l, "setrlimit(RLIMIT_CORE)", errno);
}

static bool kept(const struct sbx_launch *l, int cap)
{
	return cap < 64 && (l->cfg->keep_caps >> cap) & 1;
}

static void drop_bounding_set(const struct sbx_launch *l)
{
	for (int cap = 0; cap <= l->cap_last; cap++) {
		if (kept(l, cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			wl_fail(l, "prctl(PR_CAPBSET_DROP)", errno);
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0)
			wl_fail(l, "bounding set still holds a capability", EPERM);
	}
}

/* NOROOT (locked): uid 0 gains no capabilities through execve. KEEP_CAPS only when some
 * capabilities are kept, so that the uid change below does not clear them; execve clears it. */
static void lock_securebits(const struct sbx_launch *l)
{
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED;
	if (l->cfg->keep_caps)
		bits |= SECBIT_KEEP_CAPS;
	else
		bits |= SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		wl_fail(l, "prctl(PR_SET_SECUREBITS)", errno);
	int got = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (got < 0 || ((unsigned long)got & bits) != bits)
		wl_fail(l, "securebits not set", EPERM);
}

static void set_ids(const struct sbx_launch *l)
{
	const struct mvm_sandbox_config *c = l->cfg;
	/* An unprivileged runtime had to deny setgroups to write gid_map, so the kernel refuses
	 * it here: the groups stay as they are, and the posture check compares them with the
	 * runtime's own (docs/sandbox.md). */
	if (l->privileged && setgroups(0, NULL) < 0)
		wl_fail(l, "setgroups", errno);
	if (setresgid(c->gid, c->gid, c->gid) < 0)
		wl_fail(l, "setresgid", errno);
	if (setresuid(c->uid, c->uid, c->uid) < 0)
		wl_fail(l, "setresuid", errno);
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) < 0 || r != c->uid || e != c->uid || s != c->uid)
		wl_fail(l, "uid not set", EPERM);
	if (getresgid(&rg, &eg, &sg) < 0 || rg != c->gid || eg != c->gid || sg != c->gid)
		wl_fail(l, "gid not set", EPERM);
}

static void set_capabilities(const struct sbx_launch *l)
{
	uint64_t keep = l->cfg->keep_caps;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	for (int i = 0; i < 2; i++)
		d[i].effective = d[i].permitted = d[i].inheritable = (uint32_t)(keep >> (32 * i));
	if (syscall(SYS_capset, &h, d) < 0)
		wl_fail(l, "capset", errno);
	struct __user_cap_data_struct got[2];
	memset(got, 0, sizeof(got));
	if (syscall(SYS_capget, &h, got) < 0)
		wl_fail(l, "capget", errno);
	for (int i = 0; i < 2; i++)
		if (got[i].effective != d[i].effective || got[i].permitted != d[i].permitted ||
		    got[i].inheritable != d[i].inheritable)
			wl_fail(l, "capability sets not as configured", EPERM);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		wl_fail(l, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);
	for (int cap = 0; cap <= l->cap_last; cap++) {
		if (kept(l, cap) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			wl_fail(l, "prctl(PR_CAP_AMBIENT_RAISE)", errno);
		int is = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
		if (is < 0 || (is == 1) != kept(l, cap))
			wl_fail(l, "ambient set not as configured", EPERM);
	}
}

static void set_no_new_privs(const struct sbx_launch *l)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		wl_fail(l, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		wl_fail(l, "no_new_privs not set", EPERM);
}

/* argv[0] as execve will take it: a path when it has a '/', else the first executable regular
 * file of that name in PATH (inside the sandbox). */
static const char *find_command(const struct sbx_launch *l, char *buf, size_t cap)
{
	const char *name = l->cfg->argv[0];
	if (strchr(name, '/')) {
		struct stat st;
		return stat(name, &st) == 0 ? name : NULL;
	}
	const char *p = l->path;
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		if (n > 0 && snprintf(buf, cap, "%.*s/%s", (int)n, p, name) < (int)cap) {
			struct stat st;
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return buf;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	return NULL;
}

#ifdef MVM_TEST_SWAP_FILTER
/* Test builds only (tests/sandbox_claim9.sh): installs an allow-everything filter instead of
 * the signed one, which the posture check must catch. */
void mvm_sandbox_test_swapped_filter(struct sock_fprog *prog)
{
	static const char marker[] = "mvm sandbox: MVM_TEST_SWAP_FILTER build: installing a filter other than the signed one\n";
	static const struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	if (write(2, marker, sizeof(marker) - 1) < 0) {
		/* nothing to do: the marker is informative */
	}
	prog->filter = (struct sock_filter *)allow_all;
	prog->len = 1;
}
#endif

static void install_filter(const struct sbx_launch *l)
{
	struct sock_fprog prog = { .len = (unsigned short)l->cfg->filter_len, .filter = (struct sock_filter *)l->cfg->filter };
#ifdef MVM_TEST_SWAP_FILTER
	mvm_sandbox_test_swapped_filter(&prog);
#endif
#ifdef MVM_MUTATION_NO_SECCOMP
	/* Mutation build (make mutation-no-seccomp): the seccomp step is skipped on purpose, and
	 * the claim-9 and tier tests must fail against it. */
	(void)prog;
	return;
#else
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		wl_fail(l, "seccomp(SECCOMP_SET_MODE_FILTER)", errno);
#endif
}

_Noreturn void sbx_workload_main(const struct sbx_launch *l)
{
	reset_signals(l);
	umask(022);
	set_rlimits(l);
	drop_bounding_set(l);
	lock_securebits(l);
	set_ids(l);
	set_capabilities(l);
	set_no_new_privs(l);
	if (chdir(l->cfg->cwd ? l->cfg->cwd : "/") < 0)
		wl_fail(l, "chdir (working directory)", errno);
	char buf[4096];
	const char *path = find_command(l, buf, sizeof(buf));
	if (!path) {
		sbx_send(l->wl, SBX_NOTFOUND, ENOENT, 0, l->cfg->argv[0]);
		_exit(MVM_SANDBOX_EXIT_NOTFOUND);
	}

	/* The runtime seizes this process now; GO means it is attached. */
	if (sbx_send(l->wl, SBX_READY, 0, 0, NULL) < 0)
		_exit(MVM_SANDBOX_EXIT_SETUP);
	struct sbx_msg m;
	ssize_t n;
	do
		n = recv(l->wl, &m, sizeof(m), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(m) || m.kind != SBX_GO)
		_exit(MVM_SANDBOX_EXIT_SETUP);

	install_filter(l);
	execve(path, l->cfg->argv, l->envp);
	int e = errno;
	sbx_send(l->wl, SBX_ERROR, e, 0, "execve"); /* may itself be refused by the filter */
	_exit(e == ENOENT ? MVM_SANDBOX_EXIT_NOTFOUND : MVM_SANDBOX_EXIT_NOEXEC);
}

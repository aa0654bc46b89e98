/* The sandbox's pid 1. It starts in the new namespaces with the forwarded signals blocked
 * (the runtime blocked them before the clone), builds the sandbox, forks the workload, then
 * only forwards signals and reaps until the workload is gone. As pid 1 of its namespace it
 * would ignore every signal without a handler; it handles none and reads them from a
 * signalfd instead. */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


static _Noreturn void init_fail(const struct sbx_launch *l, const char *step, int err)
{
	sbx_send(l->ctl, SBX_ERROR, err > 0 ? err : EIO, 0, step);
	_exit(MVM_SANDBOX_EXIT_SETUP);
}

/* Closes every descriptor above 2 except the two the sandbox needs. */
static int close_other_fds(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	if (lo < 3)
		return -EBADF;
	if (lo > 3 && syscall(SYS_close_range, 3u, (unsigned)lo - 1, 0u) < 0)
		return -errno;
	if (hi > lo + 1 && syscall(SYS_close_range, (unsigned)lo + 1, (unsigned)hi - 1, 0u) < 0)
		return -errno;
	if (syscall(SYS_close_range, (unsigned)hi + 1, ~0u, 0u) < 0)
		return -errno;
	return 0;
}

/* The network namespace starts with a loopback interface that is down; bring it up. */
static int loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int rc = 0;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
	close(s);
	return rc;
}

/* Waits for the workload, forwarding the signals sent to init on purpose, and returns its
 * wait status. Other processes of the namespace are reaped as they exit. */
static int supervise(pid_t workload, int sfd)
{
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return -1;
		if (si.ssi_signo == SIGCHLD) {
			int st;
			pid_t p;
			while ((p = waitpid(-1, &st, WNOHANG)) > 0)
				if (p == workload)
					return st;
			continue;
		}
		/* SI_KERNEL: the terminal signalled the whole foreground process group, the
		 * workload included; passing it on would deliver it twice. */
		if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE || si.ssi_code == SI_TKILL)
			kill(workload, (int)si.ssi_signo);
	}
}

/* Exits when the runtime is gone (ctl hung up). */
static void runtime_alive_or_exit(const struct sbx_launch *l)
{
	struct pollfd p = { l->ctl, POLLIN, 0 };
	if (poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLERR)))
		_exit(MVM_SANDBOX_EXIT_SETUP);
}

_Noreturn void sbx_init_main(const struct sbx_launch *l)
{
	/* If the runtime dies, the sandbox goes with it. A runtime that died before this line
	 * is seen as end-of-file on ctl below. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		init_fail(l, "prctl(PR_SET_PDEATHSIG)", errno);
	struct sbx_msg m;
	ssize_t n;
	do
		n = recv(l->ctl, &m, sizeof(m), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(m) || m.kind != SBX_GO)
		_exit(MVM_SANDBOX_EXIT_SETUP);

	/* In a user namespace, init takes the workload's (mapped) ids now: files it creates while
	 * building the sandbox need an owner the namespace can represent. It keeps its
	 * capabilities in the namespace (it never was the namespace's root). The id change
	 * clears the parent-death signal, so it is set again and the runtime checked once more. */
	if (l->userns) {
		if (setresgid(l->cfg->gid, l->cfg->gid, l->cfg->gid) < 0)
			init_fail(l, "setresgid (init)", errno);
		if (setresuid(l->cfg->uid, l->cfg->uid, l->cfg->uid) < 0)
			init_fail(l, "setresuid (init)", errno);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			init_fail(l, "prctl(PR_SET_PDEATHSIG)", errno);
		runtime_alive_or_exit(l);
	}

	int rc = close_other_fds(l->ctl, l->wl);
	if (rc)
		init_fail(l, "close_range", -rc);
	const char *host = l->cfg->hostname ? l->cfg->hostname : "mvm";
	if (sethostname(host, strlen(host)) < 0)
		init_fail(l, "sethostname", errno);
	char step[96] = "";
	if ((rc = sbx_setup_root(l, step, sizeof(step))))
		init_fail(l, step, -rc);
	if ((rc = loopback_up()))
		init_fail(l, "bring up loopback", -rc);
	if (l->cfg->net && (rc = sbx_net_configure_inside(l->cfg->net, step, sizeof(step))))
		init_fail(l, step, -rc);

	sigset_t set = l->forwarded;
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		init_fail(l, "sigprocmask", errno);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		init_fail(l, "signalfd", errno);

	pid_t w = fork();
	if (w < 0)
		init_fail(l, "fork workload", errno);
	if (w == 0) {
		close(sfd);
		close(l->ctl);
		sbx_workload_main(l);
	}
	close(l->wl);
	int st = supervise(w, sfd);
	if (st < 0)
		init_fail(l, "signalfd read", errno);
	sbx_send(l->ctl, SBX_EXITED, 0, st, NULL);
	/* Leaving takes every other process of the namespace with it. */
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0));
}

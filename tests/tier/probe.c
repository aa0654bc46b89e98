/* Makes one named system call and prints how the kernel answered: "ok" or "errno=N".
 * Used under a real seccomp filter to check that a denied call gets its declared action. */
#include <errno.h>
#include <linux/sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static long call(const char *what)
{
	char c = 'x';
	if (!strcmp(what, "getpid"))
		return syscall(SYS_getpid);
	if (!strcmp(what, "getppid"))
		return syscall(SYS_getppid);
	if (!strcmp(what, "ptrace"))
		return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	if (!strcmp(what, "clone3")) {
		struct clone_args args = { .exit_signal = 17 };
		return syscall(SYS_clone3, &args, sizeof(args));
	}
	if (!strcmp(what, "clone-newns"))
		return syscall(SYS_clone, CLONE_NEWNS | 17, 0, 0, 0, 0);
	if (!strcmp(what, "socket-netlink"))
		return syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0);
	if (!strcmp(what, "socket-packet"))
		return syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0);
	if (!strcmp(what, "socket-unix"))
		return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	if (!strcmp(what, "tiocsti"))
		return syscall(SYS_ioctl, 0, TIOCSTI, &c);
	/* The kernel truncates ioctl's cmd to 32 bits: garbage above must not slip past the filter. */
	if (!strcmp(what, "tiocsti-high-bits"))
		return syscall(SYS_ioctl, 0, 0xdead000000000000ul | TIOCSTI, &c);
	if (!strcmp(what, "tioclinux"))
		return syscall(SYS_ioctl, 0, TIOCLINUX, &c);
	if (!strcmp(what, "personality-query"))
		return syscall(SYS_personality, 0xffffffff);
	if (!strcmp(what, "personality-addr-no-randomize"))
		return syscall(SYS_personality, ADDR_NO_RANDOMIZE);
	if (!strcmp(what, "unshare-user"))
		return syscall(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */);
	if (!strcmp(what, "mount"))
		return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0);
	fprintf(stderr, "probe: unknown call '%s'\n", what);
	_exit(2);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: probe CALL\n");
		return 2;
	}
	errno = 0;
	long r = call(argv[1]);
	if (r == -1)
		printf("errno=%d\n", errno);
	else
		printf("ok\n");
	return 0;
}

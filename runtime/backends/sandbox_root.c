/* The sandbox's filesystem view, built by init in its own mount namespace:
 *
 *   1. every mount made private, so nothing propagates to or from the host;
 *   2. each share cloned (open_tree) from the host while its path still means the host's;
 *   3. a small tmpfs as the new root; each top-level entry of the host's / (or of the rootfs
 *      directory) cloned with its submounts and attached read-only, nosuid, nodev, except
 *      proc, sys, dev, run and tmp; top-level symlinks recreated;
 *   4. a fresh /proc (this pid namespace's), with /proc/sys, /proc/sysrq-trigger, /proc/irq
 *      and /proc/bus read-only;
 *   5. a minimal /dev: null zero full random urandom tty (bound from the host), a private
 *      devpts instance, a tmpfs /dev/shm, fd/stdin/stdout/stderr symlinks; then read-only;
 *   6. a private tmpfs /tmp; empty /run and /sys;
 *   7. pivot_root into the new root, the host's root detached;
 *   8. the shares attached at their guest paths (resolved inside the new root);
 *   9. the root tmpfs itself made read-only.
 *
 * Attributes are only ever added (mount_setattr), so flags the kernel locked on a mount that
 * came from a more privileged namespace (nosuid, nodev, noexec, ro) are kept by construction. */
#include "sandbox_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NEWROOT "/tmp" /* where the new root is assembled: any directory, the clones are taken first */

static int stepf(char *step, size_t steplen, int rc, const char *what, const char *path)
{
	snprintf(step, steplen, "%s%s%s", what, path ? " " : "", path ? path : "");
	return rc;
}

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define __cleanup_fd __attribute__((cleanup(closep)))

/* A detached copy of the mount tree at path (relative to dfd), with attributes added. */
static int clone_tree(int dfd, const char *path, bool recursive, uint64_t attrs)
{
	int fd = open_tree(dfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (fd < 0)
		return -errno;
	struct mount_attr a = { .attr_set = attrs, .propagation = MS_PRIVATE };
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int attach(int tree, int dfd, const char *path)
{
	if (move_mount(tree, "", dfd, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* An empty file to mount a non-directory on. */
static int make_file(int dfd, const char *name, mode_t mode)
{
	int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static bool excluded(const char *name)
{
	static const char *const names[] = { ".", "..", "proc", "sys", "dev", "run", "tmp" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* Step 3: each top-level entry of the root directory, read-only, into the new root. */
static int bind_root_entries(int rootfd, int newroot, char *step, size_t steplen)
{
	int dupfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dupfd < 0)
		return stepf(step, steplen, -errno, "open rootfs", NULL);
	DIR *d = fdopendir(dupfd);
	if (!d) {
		int e = errno;
		close(dupfd);
		return stepf(step, steplen, -e, "opendir rootfs", NULL);
	}
	int rc = 0, count = 0;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (excluded(de->d_name))
			continue;
		if (++count > MVM_SANDBOX_MAX_ROOT_ENTRIES) {
			rc = stepf(step, steplen, -E2BIG, "too many top-level entries in rootfs", NULL);
			break;
		}
		struct stat st;
		if (fstatat(rootfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = stepf(step, steplen, -errno, "stat rootfs entry", de->d_name);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(rootfd, de->d_name, target, sizeof(target) - 1);
			if (n < 0) {
				rc = stepf(step, steplen, -errno, "readlink rootfs entry", de->d_name);
				break;
			}
			target[n] = 0;
			if (symlinkat(target, newroot, de->d_name) < 0) {
				rc = stepf(step, steplen, -errno, "symlink", de->d_name);
				break;
			}
			continue;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			continue; /* sockets, fifos, device nodes at the top level are not carried over */
		int tree __cleanup_fd =
			clone_tree(rootfd, de->d_name, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		if (tree < 0) {
			rc = stepf(step, steplen, tree, "clone rootfs entry", de->d_name);
			break;
		}
		int mk = S_ISDIR(st.st_mode) ? (mkdirat(newroot, de->d_name, 0755) < 0 ? -errno : 0)
					     : make_file(newroot, de->d_name, 0444);
		if (mk) {
			rc = stepf(step, steplen, mk, "mountpoint", de->d_name);
			break;
		}
		if ((rc = attach(tree, newroot, de->d_name))) {
			stepf(step, steplen, rc, "attach rootfs entry", de->d_name);
			break;
		}
	}
	if (!rc && errno)
		rc = stepf(step, steplen, -errno, "readdir rootfs", NULL);
	closedir(d);
	return rc;
}

static int mount_at(const char *src, const char *target, const char *type, unsigned long flags, const char *data,
		    char *step, size_t steplen)
{
	if (mount(src, target, type, flags, data) < 0)
		return stepf(step, steplen, -errno, "mount", target);
	return 0;
}

/* A read-only bind of a path onto itself (used inside /proc). Missing paths are skipped. */
static int read_only_in_place(const char *path, char *step, size_t steplen)
{
	int tree = clone_tree(AT_FDCWD, path, true,
			      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (tree == -ENOENT)
		return 0;
	if (tree < 0)
		return stepf(step, steplen, tree, "clone", path);
	int rc = attach(tree, AT_FDCWD, path);
	close(tree);
	return rc ? stepf(step, steplen, rc, "read-only bind", path) : 0;
}

/* Step 4. */
static int setup_proc(char *step, size_t steplen)
{
	static const char *const ro[] = { NEWROOT "/proc/sys", NEWROOT "/proc/sysrq-trigger", NEWROOT "/proc/irq",
					  NEWROOT "/proc/bus" };
	int rc;
	if (mkdir(NEWROOT "/proc", 0555) < 0)
		return stepf(step, steplen, -errno, "mkdir", "/proc");
	if ((rc = mount_at("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, step, steplen)))
		return rc;
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		if ((rc = read_only_in_place(ro[i], step, steplen)))
			return rc;
	return 0;
}

/* Step 5. */
static int setup_dev(char *step, size_t steplen)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = { { "ptmx", "pts/ptmx" },       { "fd", "/proc/self/fd" },
						{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
						{ "stderr", "/proc/self/fd/2" } };
	int rc;
	if (mkdir(NEWROOT "/dev", 0755) < 0)
		return stepf(step, steplen, -errno, "mkdir", "/dev");
	if ((rc = mount_at("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			   "mode=0755,size=64k,nr_inodes=64", step, steplen)))
		return rc;
	int dev __cleanup_fd = open(NEWROOT "/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dev < 0)
		return stepf(step, steplen, -errno, "open", "/dev");
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		char host[32];
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		int tree __cleanup_fd = clone_tree(AT_FDCWD, host, false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
		if (tree < 0)
			return stepf(step, steplen, tree, "clone", host);
		if ((rc = make_file(dev, nodes[i], 0666)) || (rc = attach(tree, dev, nodes[i])))
			return stepf(step, steplen, rc, "bind", host);
	}
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		return stepf(step, steplen, -errno, "mkdir", "/dev/pts or /dev/shm");
	if ((rc = mount_at("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			   "newinstance,ptmxmode=0666,mode=0620", step, steplen)))
		return rc;
	if ((rc = mount_at("tmpfs", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", step, steplen)))
		return rc;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			return stepf(step, steplen, -errno, "symlink /dev/", links[i][0]);
	/* The /dev tmpfs itself read-only; pts and shm stay writable. */
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(AT_FDCWD, NEWROOT "/dev", 0, &a, sizeof(a)) < 0)
		return stepf(step, steplen, -errno, "read-only", "/dev");
	return 0;
}

/* Creates every missing directory of path (inside the new root, after the pivot). */
static int mkdir_parents(const char *path, char *step, size_t steplen)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return stepf(step, steplen, -ENAMETOOLONG, "share guest path", path);
	for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return stepf(step, steplen, -errno, "create share mountpoint parent", buf);
		struct stat st;
		if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
			return stepf(step, steplen, -ENOTDIR, "share mountpoint parent", buf);
		*p = '/';
	}
	return 0;
}

/* Step 8: a share's guest path must exist with the right type or be creatable. Host
 * directories are read-only, so a missing guest path can only be created on the sandbox's
 * own tmpfs (the root, /tmp, /dev/shm). */
static int attach_share(int tree, const struct mvm_sandbox_share *s, bool dir, char *step, size_t steplen)
{
	int rc = mkdir_parents(s->guest, step, steplen);
	if (rc)
		return rc;
	struct stat st;
	if (lstat(s->guest, &st) == 0) {
		if (S_ISDIR(st.st_mode) != dir || S_ISLNK(st.st_mode))
			return stepf(step, steplen, dir ? -ENOTDIR : -EISDIR, "share guest path has the wrong type", s->guest);
	} else if (errno != ENOENT) {
		return stepf(step, steplen, -errno, "share guest path", s->guest);
	} else if (dir ? mkdir(s->guest, 0755) < 0 : make_file(AT_FDCWD, s->guest, 0444) != 0) {
		return stepf(step, steplen, -(errno ? errno : EIO), "create share mountpoint (the guest path must exist or be creatable)",
			     s->guest);
	}
	if ((rc = attach(tree, AT_FDCWD, s->guest)))
		return stepf(step, steplen, rc, "attach share", s->guest);
	return 0;
}

int sbx_setup_root(const struct sbx_launch *l, char *step, size_t steplen)
{
	const struct mvm_sandbox_config *c = l->cfg;
	int rc;
	/* 1. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return stepf(step, steplen, -errno, "make mounts private", NULL);

	/* 2. Shares are cloned first: their host paths may lie where the new root is assembled. */
	int shares[MVM_SANDBOX_MAX_SHARES];
	bool share_dir[MVM_SANDBOX_MAX_SHARES];
	for (size_t i = 0; i < c->nshares; i++) {
		struct stat st;
		if (stat(c->shares[i].host, &st) < 0)
			return stepf(step, steplen, -errno, "share host path", c->shares[i].host);
		share_dir[i] = S_ISDIR(st.st_mode);
		uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (c->shares[i].rw ? 0 : MOUNT_ATTR_RDONLY);
		shares[i] = clone_tree(AT_FDCWD, c->shares[i].host, true, attrs);
		if (shares[i] < 0)
			return stepf(step, steplen, shares[i], "clone share", c->shares[i].host);
	}
	int rootfd __cleanup_fd = open(c->rootfs ? c->rootfs : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return stepf(step, steplen, -errno, "open rootfs", c->rootfs ? c->rootfs : "/");

	/* 3. */
	if ((rc = mount_at("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m,nr_inodes=4096", step,
			   steplen)))
		return rc;
	int newroot __cleanup_fd = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (newroot < 0)
		return stepf(step, steplen, -errno, "open new root", NULL);
	if ((rc = bind_root_entries(rootfd, newroot, step, steplen)))
		return rc;
	/* 4.-6. */
	if ((rc = setup_proc(step, steplen)) || (rc = setup_dev(step, steplen)))
		return rc;
	if (mkdir(NEWROOT "/tmp", 01777) < 0 || mkdir(NEWROOT "/run", 0755) < 0 || mkdir(NEWROOT "/sys", 0555) < 0)
		return stepf(step, steplen, -errno, "mkdir /tmp /run /sys", NULL);
	if ((rc = mount_at("tmpfs", NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", step, steplen)))
		return rc;

	/* 7. pivot_root(".", "."): the old root ends up stacked on the new one and is detached. */
	if (chdir(NEWROOT) < 0)
		return stepf(step, steplen, -errno, "chdir new root", NULL);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return stepf(step, steplen, -errno, "pivot_root", NULL);
	if (umount2(".", MNT_DETACH) < 0)
		return stepf(step, steplen, -errno, "detach the host's root", NULL);
	if (chdir("/") < 0)
		return stepf(step, steplen, -errno, "chdir /", NULL);

	/* 8. */
	for (size_t i = 0; i < c->nshares; i++) {
		rc = attach_share(shares[i], &c->shares[i], share_dir[i], step, steplen);
		close(shares[i]);
		shares[i] = -1;
		if (rc) {
			for (size_t j = i + 1; j < c->nshares; j++)
				close(shares[j]);
			return rc;
		}
	}

	/* 9. */
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof(a)) < 0)
		return stepf(step, steplen, -errno, "read-only root", NULL);
	return 0;
}

#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Removes dir and the files in it. dir is never followed: when something swapped it for a
 * symbolic link (which RENAME_EXCHANGE then hands back under the temporary name), only the
 * link goes, never the files of the directory it points to. */
static int remove_tree_flat(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return unlink(dir) < 0 ? -errno : 0;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	struct dirent *e;
	int dfd = dirfd(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dfd, e->d_name, 0);
	closedir(d);
	return rmdir(dir) < 0 ? -errno : 0;
}

static int check_replaceable(const char *dir, int (*ok)(const char *), char *err, size_t errlen)
{
	struct stat st;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link; refusing to write through it", dir);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a directory", dir);
		return -ENOTDIR;
	}
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *e;
	while ((e = readdir(d)) && !r) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat fst;
		if (fstatat(dirfd(d), e->d_name, &fst, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(fst.st_mode) ||
		    (ok && !ok(e->d_name))) {
			snprintf(err, errlen, "%s holds '%s', which this tool did not write; refusing to replace it", dir,
				 e->d_name);
			r = -EEXIST;
		}
	}
	closedir(d);
	return r;
}

int mvm_write_dir_atomic(const char *dir, const struct mvm_file *files, size_t n,
			 int (*replaceable)(const char *name), char *err, size_t errlen)
{
	char parent_buf[PATH_MAX], base_buf[PATH_MAX], tmp[PATH_MAX];
	if (strlen(dir) >= PATH_MAX - 32) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	strcpy(parent_buf, dir);
	strcpy(base_buf, dir);
	const char *parent = dirname(parent_buf), *base = basename(base_buf);
	int r = check_replaceable(dir, replaceable, err, errlen);
	if (r)
		return r;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.XXXXXX", parent, base);
	if (!mkdtemp(tmp)) {
		r = -errno;
		snprintf(err, errlen, "cannot create a temporary directory in %s: %s", parent, strerror(errno));
		return r;
	}
	/* mkdtemp makes 0700; the output is meant to be read by runtimes and reviewers. */
	mode_t um = umask(0);
	umask(um);
	chmod(tmp, 0777 & ~um);
	int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0) {
		r = -errno;
		goto fail;
	}
	for (size_t i = 0; i < n && !r; i++) {
		int fd = openat(tfd, files[i].name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			r = -errno;
			break;
		}
		r = write_all(fd, files[i].data, files[i].len);
		if (!r && fsync(fd) < 0)
			r = -errno;
		if (close(fd) < 0 && !r)
			r = -errno;
		if (r)
			snprintf(err, errlen, "writing %s: %s", files[i].name, strerror(-r));
	}
	if (!r && fsync(tfd) < 0)
		r = -errno;
	close(tfd);
	if (r)
		goto fail;
	/* Swap when the target exists, so there is no moment without a complete directory. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0) {
		if (errno != EEXIST) {
			r = -errno;
			snprintf(err, errlen, "cannot move the output into %s: %s", dir, strerror(errno));
			goto fail;
		}
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot replace %s: %s", dir, strerror(errno));
			goto fail;
		}
		/* tmp now names the previous output. */
		remove_tree_flat(tmp);
	}
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0) {
		fsync(pfd);
		close(pfd);
	}
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "writing %s: %s", dir, strerror(-r));
	remove_tree_flat(tmp);
	return r;
}

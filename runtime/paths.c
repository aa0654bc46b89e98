/* Where the runtime keeps its state, and the small file helpers every part of it uses. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../compiler/spec.h"
#include "runtime.h"

static int set(char *dst, const char *fmt, const char *a, const char *b)
{
	int n = snprintf(dst, PATH_MAX, fmt, a, b);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int mvm_paths_init(struct mvm_paths *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	const char *home = getenv("MVM_HOME"), *uhome = getenv("HOME");
	int r;
	if (home && *home) {
		r = set(p->home, "%s%s", home, "");
	} else if (uhome && *uhome) {
		r = set(p->home, "%s/%s", uhome, ".mvm");
		if (!r)
			strcpy(p->system_trust, "/etc/mvm/trust");
	} else {
		snprintf(err, errlen, "neither MVM_HOME nor HOME is set");
		return -EINVAL;
	}
	if (!r)
		r = set(p->trust, "%s/%s", p->home, "trust");
	if (!r)
		r = set(p->audit, "%s/%s", p->home, "audit");
	if (!r)
		r = set(p->state, "%s/%s", p->home, "state");
	const char *hk = getenv("MVM_HOST_KEY");
	if (!r && hk && *hk) {
		r = set(p->host_key, "%s%s", hk, "");
	} else if (!r) {
		r = set(p->host_key, "%s/%s", p->home, "host.key");
		if (!r && p->system_trust[0] && access(p->host_key, F_OK) != 0)
			strcpy(p->host_key, "/etc/mvm/host.key");
	}
	if (r)
		snprintf(err, errlen, "path too long under %s", p->home);
	return r;
}

void mvm_paths_trust(const struct mvm_paths *p, struct mvm_trust *t)
{
	memset(t, 0, sizeof(*t));
	t->root[t->nroot++] = p->trust;
	if (p->system_trust[0])
		t->root[t->nroot++] = p->system_trust;
}

int mvm_mkdir_private(const char *dir, unsigned mode, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s is not a directory", dir);
			return -ENOTDIR;
		}
		if (st.st_mode & 07777 & ~mode) {
			snprintf(err, errlen, "%s has mode %04o, looser than %04o; refusing to use it", dir,
				 (unsigned)(st.st_mode & 07777), mode);
			return -EPERM;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *pd = dirname(parent);
	if (strcmp(pd, dir) != 0 && access(pd, F_OK) != 0) {
		/* Parents get 0755 at most: they hold nothing secret themselves. */
		int r = mvm_mkdir_private(pd, mode | 0755, err, errlen);
		if (r)
			return r;
	}
	if (mkdir(dir, mode) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	chmod(dir, mode); /* umask may have removed bits we want; never adds beyond mode */
	return 0;
}

int mvm_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	int r = 0;
	const char *p = data;
	size_t off = 0;
	while (off < len && !r) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (!r && fchmod(fd, mode) < 0)
		r = -errno;
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = fsync(dfd) < 0 ? -errno : 0;
	close(dfd);
	return r;
}

int mvm_pathf(char out[PATH_MAX], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int mvm_duration(const char *s, int64_t *out)
{
	uint64_t v;
	if (mvm_parse_duration(s, &v))
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

bool mvm_tenant_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MVM_TENANT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

int mvm_host_key_load(const char *path, struct mvm_seckey *k)
{
	char err[512];
	if (mvm_seckey_load(path, k, err, sizeof(err))) {
		fprintf(stderr, "mvm: host key: %s\n", err);
		return -1;
	}
	if (k->pub.role != MVM_ROLE_HOST) {
		fprintf(stderr, "mvm: %s is a %s key; plans and audit entries are signed with a host key\n", path,
			mvm_role_name(k->pub.role));
		mvm_seckey_wipe(k);
		return -1;
	}
	return 0;
}

/* Trust store management: ROOT/ROLE/KEYID.pub, retired keys in ROOT/ROLE/retired/. Lookups
 * (what admission and the audit verifier do) are in lib/keys.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

int mvm_trust_add(const char *root, const char *pubfile, enum mvm_key_role role, struct mvm_pubkey *added, char *err,
		  size_t errlen)
{
	struct mvm_pubkey k;
	int r = mvm_pubkey_load(pubfile, &k, err, errlen);
	if (r)
		return r;
	if (role && k.role != role) {
		snprintf(err, errlen, "%s is a %s key, not a %s key", pubfile, mvm_role_name(k.role), mvm_role_name(role));
		return -EINVAL;
	}
	char dir[PATH_MAX], path[PATH_MAX], retired[PATH_MAX], text[128];
	mvm_pathf(dir, "%s/%s", root, mvm_role_name(k.role));
	if ((r = mvm_mkdir_private(dir, 0755, err, errlen)))
		return r;
	mvm_pathf(path, "%s/%s.pub", dir, k.keyid);
	mvm_pathf(retired, "%s/retired/%s.pub", dir, k.keyid);
	if ((r = mvm_pubkey_format(&k, text, sizeof(text))) ||
	    (r = mvm_write_file_atomic(path, text, strlen(text), 0644))) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	unlink(retired);
	if (added)
		*added = k;
	return 0;
}

int mvm_trust_remove(const char *root, const char *keyid, bool purge, char *err, size_t errlen)
{
	if (!mvm_keyid_valid(keyid)) {
		snprintf(err, errlen, "'%s' is not a key id (32 hex digits)", keyid);
		return -EINVAL;
	}
	for (int ro = MVM_ROLE_PUBLISHER; ro <= MVM_ROLE_HOST; ro++) {
		char path[PATH_MAX], rdir[PATH_MAX], rpath[PATH_MAX];
		const char *rn = mvm_role_name((enum mvm_key_role)ro);
		mvm_pathf(path, "%s/%s/%s.pub", root, rn, keyid);
		mvm_pathf(rdir, "%s/%s/retired", root, rn);
		mvm_pathf(rpath, "%s/%s.pub", rdir, keyid);
		if (access(path, F_OK) != 0) {
			if (purge && access(rpath, F_OK) == 0) {
				if (unlink(rpath) < 0) {
					snprintf(err, errlen, "%s: %s", rpath, strerror(errno));
					return -errno;
				}
				return 0;
			}
			continue;
		}
		int r = 0;
		if (purge) {
			if (unlink(path) < 0)
				r = -errno;
		} else if (!(r = mvm_mkdir_private(rdir, 0755, err, errlen))) {
			if (rename(path, rpath) < 0)
				r = -errno;
		}
		if (r && !err[0])
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	snprintf(err, errlen, "key %s is not in %s", keyid, root);
	return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the .pub files of DIR sorted; each must parse, have the role of its directory and be named for its key id. */
static int list_dir(const char *root, const char *dir, enum mvm_key_role role, enum mvm_trust_state st,
		    mvm_trust_visit_fn fn, void *ctx, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	char *names[1024];
	size_t n = 0;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d)) && n < 1024) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".pub") == 0 && (names[n] = strdup(e->d_name)))
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct mvm_pubkey k;
		mvm_pathf(path, "%s/%s", dir, names[i]);
		if (!r && (r = mvm_pubkey_load(path, &k, err, errlen)) == 0) {
			size_t l = strlen(names[i]) - 4;
			if (k.role != role || l != MVM_KEYID_LEN || strncmp(names[i], k.keyid, l) != 0) {
				snprintf(err, errlen, "%s: malformed trust store entry (role or key id disagree)", path);
				r = -EINVAL;
			} else {
				r = fn(ctx, root, &k, st);
			}
		}
		free(names[i]);
	}
	return r;
}

int mvm_trust_list(const char *root, mvm_trust_visit_fn fn, void *ctx, char *err, size_t errlen)
{
	for (int ro = MVM_ROLE_PUBLISHER; ro <= MVM_ROLE_HOST; ro++) {
		for (int retired = 0; retired < 2; retired++) {
			char dir[PATH_MAX];
			mvm_pathf(dir, "%s/%s%s", root, mvm_role_name((enum mvm_key_role)ro), retired ? "/retired" : "");
			int r = list_dir(root, dir, (enum mvm_key_role)ro, retired ? MVM_TRUST_RETIRED : MVM_TRUST_ACTIVE, fn,
					 ctx, err, errlen);
			if (r)
				return r;
		}
	}
	return 0;
}

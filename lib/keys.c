#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEC_MAGIC "mvm-secret-key-v1 "
#define PUB_MAGIC "mvm-public-key-v1 "
#define B64_SEC_LEN 88 /* base64 of 64 bytes, padded */
#define B64_PUB_LEN 44 /* base64 of 32 bytes, padded */

const char *mvm_role_name(enum mvm_key_role r)
{
	return r == MVM_ROLE_PUBLISHER ? "publisher" : r == MVM_ROLE_HOST ? "host" : "?";
}

int mvm_role_parse(const char *s, enum mvm_key_role *out)
{
	if (strcmp(s, "publisher") == 0)
		*out = MVM_ROLE_PUBLISHER;
	else if (strcmp(s, "host") == 0)
		*out = MVM_ROLE_HOST;
	else
		return -EINVAL;
	return 0;
}

void mvm_keyid(const uint8_t pk[MVM_PUBKEY_BYTES], char out[MVM_KEYID_LEN + 1])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, pk, MVM_PUBKEY_BYTES);
	sodium_bin2hex(out, MVM_KEYID_LEN + 1, h, MVM_KEYID_LEN / 2);
}

bool mvm_keyid_valid(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == MVM_KEYID_LEN;
}

int mvm_key_generate(enum mvm_key_role role, struct mvm_seckey *out)
{
	if (sodium_init() < 0)
		return -EIO;
	memset(out, 0, sizeof(*out));
	crypto_sign_ed25519_keypair(out->pub.pk, out->sk);
	out->pub.role = role;
	mvm_keyid(out->pub.pk, out->pub.keyid);
	return 0;
}

void mvm_seckey_wipe(struct mvm_seckey *k)
{
	sodium_memzero(k->sk, sizeof(k->sk));
}

/* Canonical base64 only: decodes exactly `want` bytes from exactly `len` characters (checked to
 * be the alphabet first: libsodium 1.0.18 reads some bytes from 0x80 up as digits). */
static int b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t want)
{
	size_t got;
	const char *end;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '+' || s[i] == '/' || s[i] == '='))
			return -EINVAL;
	if (sodium_base642bin(out, want, s, len, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != want || end != s + len)
		return -EINVAL;
	return 0;
}

static size_t file_size(bool secret, enum mvm_key_role role)
{
	return strlen(secret ? SEC_MAGIC : PUB_MAGIC) + strlen(mvm_role_name(role)) + 1 +
	       (secret ? B64_SEC_LEN : B64_PUB_LEN) + 1;
}

/* "MAGIC ROLE B64\n" -> role and key bytes. */
static int parse_key_text(const char *text, size_t len, bool secret, enum mvm_key_role *role, uint8_t *key)
{
	const char *magic = secret ? SEC_MAGIC : PUB_MAGIC;
	size_t ml = strlen(magic), b64len = secret ? B64_SEC_LEN : B64_PUB_LEN;
	if (len < ml || memcmp(text, magic, ml) != 0)
		return -EINVAL;
	const enum mvm_key_role roles[] = { MVM_ROLE_PUBLISHER, MVM_ROLE_HOST };
	for (size_t i = 0; i < 2; i++) {
		const char *rn = mvm_role_name(roles[i]);
		size_t rl = strlen(rn);
		if (len != file_size(secret, roles[i]) || memcmp(text + ml, rn, rl) != 0 || text[ml + rl] != ' ')
			continue;
		if (text[len - 1] != '\n')
			return -EINVAL;
		*role = roles[i];
		return b64_decode_exact(text + ml + rl + 1, b64len, key, secret ? MVM_SECKEY_BYTES : MVM_PUBKEY_BYTES);
	}
	return -EINVAL;
}

static int format_key_text(bool secret, enum mvm_key_role role, const uint8_t *key, char *out, size_t outlen)
{
	char b64[B64_SEC_LEN + 1];
	sodium_bin2base64(b64, sizeof(b64), key, secret ? MVM_SECKEY_BYTES : MVM_PUBKEY_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(out, outlen, "%s%s %s\n", secret ? SEC_MAGIC : PUB_MAGIC, mvm_role_name(role), b64);
	sodium_memzero(b64, sizeof(b64));
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : 0;
}

int mvm_pubkey_format(const struct mvm_pubkey *k, char *out, size_t outlen)
{
	return format_key_text(false, k->role, k->pk, out, outlen);
}

int mvm_pubkey_parse(const char *text, size_t len, struct mvm_pubkey *out)
{
	if (sodium_init() < 0)
		return -EIO;
	memset(out, 0, sizeof(*out));
	int r = parse_key_text(text, len, false, &out->role, out->pk);
	if (r)
		return r;
	mvm_keyid(out->pk, out->keyid);
	return 0;
}

static int read_fd_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* shrank under us */
		got += (size_t)r;
	}
	char extra;
	ssize_t r = read(fd, &extra, 1);
	return r == 0 ? 0 : r > 0 ? -EFBIG : -errno;
}

static int read_fd_all(int fd, size_t max, char **data, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	size_t n = (size_t)st.st_size;
	char *buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	int r = read_fd_exact(fd, buf, n);
	if (r) {
		free(buf);
		return r;
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
	return 0;
}

int mvm_read_small_file(const char *path, size_t max, bool nofollow, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	int r = read_fd_all(fd, max, data, len);
	close(fd);
	return r;
}

int mvm_read_small_fileat(int dirfd, const char *name, size_t max, char **data, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	int r = read_fd_all(fd, max, data, len);
	close(fd);
	return r;
}

__attribute__((format(printf, 3, 4))) static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return 0;
}

int mvm_seckey_load(const char *path, struct mvm_seckey *out, char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return -EIO;
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int r = -errno;
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	struct stat st;
	char text[256];
	int r = 0;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		errf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		errf(err, errlen, "%s: not a regular file", path);
	} else if (st.st_mode & 07177) {
		r = -EPERM;
		errf(err, errlen, "%s: mode %04o is looser than 0600; refusing to use this secret key", path,
		     (unsigned)(st.st_mode & 07777));
	} else if (st.st_uid != geteuid()) {
		r = -EPERM;
		errf(err, errlen, "%s: owned by uid %u, not by this user; refusing to use this secret key", path,
		     (unsigned)st.st_uid);
	} else if ((uint64_t)st.st_size != file_size(true, MVM_ROLE_PUBLISHER) &&
		   (uint64_t)st.st_size != file_size(true, MVM_ROLE_HOST)) {
		r = -EINVAL;
		errf(err, errlen, "%s: wrong size (%lld bytes) for an mvm secret key", path, (long long)st.st_size);
	} else if ((r = read_fd_exact(fd, text, (size_t)st.st_size)) != 0) {
		errf(err, errlen, "%s: %s", path, strerror(-r));
	} else if (parse_key_text(text, (size_t)st.st_size, true, &out->pub.role, out->sk) != 0) {
		r = -EINVAL;
		errf(err, errlen, "%s: not an mvm secret key file", path);
	} else {
		/* The public half stored in the secret key must be the one the seed derives. */
		uint8_t pk[MVM_PUBKEY_BYTES], sk[MVM_SECKEY_BYTES];
		crypto_sign_ed25519_seed_keypair(pk, sk, out->sk);
		if (sodium_memcmp(pk, out->sk + 32, MVM_PUBKEY_BYTES) != 0) {
			r = -EINVAL;
			errf(err, errlen, "%s: the public half does not match the secret key", path);
		} else {
			memcpy(out->pub.pk, pk, sizeof(pk));
			mvm_keyid(out->pub.pk, out->pub.keyid);
		}
		sodium_memzero(sk, sizeof(sk));
	}
	sodium_memzero(text, sizeof(text));
	close(fd);
	if (r)
		mvm_seckey_wipe(out);
	return r;
}

int mvm_pubkey_load(const char *path, struct mvm_pubkey *out, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int r = mvm_read_small_file(path, 4096, false, &text, &len);
	if (r) {
		errf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = mvm_pubkey_parse(text, len, out);
	free(text);
	if (r)
		errf(err, errlen, "%s: not an mvm public key file", path);
	return r;
}

static int write_file_linked(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = mkstemp(tmp); /* 0600 from the start */
	if (fd < 0)
		return -errno;
	int r = 0;
	size_t off = 0;
	while (off < len && !r) {
		ssize_t w = write(fd, data + off, len - off);
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
	if (!r && link(tmp, path) < 0) /* never replaces an existing file */
		r = -errno;
	unlink(tmp);
	return r;
}

static void fsync_parent(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int mvm_key_write_files(const char *base, const struct mvm_seckey *k, char *err, size_t errlen)
{
	char kpath[PATH_MAX], ppath[PATH_MAX], text[256];
	if (snprintf(kpath, sizeof(kpath), "%s.key", base) >= (int)sizeof(kpath) ||
	    snprintf(ppath, sizeof(ppath), "%s.pub", base) >= (int)sizeof(ppath))
		return -ENAMETOOLONG;
	if (access(kpath, F_OK) == 0 || access(ppath, F_OK) == 0) {
		errf(err, errlen, "%s.key or %s.pub exists; refusing to overwrite a key", base, base);
		return -EEXIST;
	}
	int r = format_key_text(true, k->pub.role, k->sk, text, sizeof(text));
	if (!r && (r = write_file_linked(kpath, text, strlen(text), 0600)) != 0)
		errf(err, errlen, "%s: %s", kpath, strerror(-r));
	sodium_memzero(text, sizeof(text));
	if (r)
		return r;
	if ((r = mvm_pubkey_format(&k->pub, text, sizeof(text))) == 0 &&
	    (r = write_file_linked(ppath, text, strlen(text), 0644)) != 0) {
		errf(err, errlen, "%s: %s", ppath, strerror(-r));
		unlink(kpath);
	}
	fsync_parent(kpath);
	return r;
}

/* ---- trust store ---- */

static int check_dir_mode(const char *path, bool *exists, char *err, size_t errlen)
{
	struct stat st;
	*exists = false;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return errf(err, errlen, "%s: not a directory", path), -EINVAL;
	if (st.st_mode & 022)
		return errf(err, errlen, "%s: writable by group or others; refusing to trust keys in it", path), -EPERM;
	*exists = true;
	return 0;
}

/* Loads ROOT/ROLE[/retired]/KEYID.pub if it exists: 0 found, -ENOENT absent, other errors fail closed. */
static int load_store_entry(const char *root, enum mvm_key_role role, bool retired, const char *keyid,
			    struct mvm_pubkey *out, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool exists;
	snprintf(dir, sizeof(dir), "%s/%s%s", root, mvm_role_name(role), retired ? "/retired" : "");
	int r = check_dir_mode(dir, &exists, err, errlen);
	if (r || !exists)
		return r ? r : -ENOENT;
	if (snprintf(path, sizeof(path), "%s/%s.pub", dir, keyid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	char *text;
	size_t len;
	r = mvm_read_small_file(path, 4096, true, &text, &len);
	if (r == -ENOENT)
		return r;
	if (r)
		return errf(err, errlen, "%s: %s", path, strerror(-r)), r;
	r = mvm_pubkey_parse(text, len, out);
	free(text);
	if (r || out->role != role || strcmp(out->keyid, keyid) != 0)
		return errf(err, errlen, "%s: malformed trust store entry (format, role or key id disagree)", path),
		       -EINVAL;
	return 0;
}

int mvm_trust_lookup(const struct mvm_trust *t, enum mvm_key_role role, const char *keyid, unsigned accept,
		     struct mvm_pubkey *out, enum mvm_trust_state *state, char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return -EIO;
	if (err && errlen)
		err[0] = 0;
	if (!mvm_keyid_valid(keyid))
		return errf(err, errlen, "malformed key id"), -ENOKEY;
	bool elsewhere = false;
	for (size_t i = 0; i < t->nkey; i++) {
		if (strcmp(t->key[i].keyid, keyid) != 0)
			continue;
		if (t->key[i].role == role && (accept & MVM_TRUST_ACTIVE)) {
			*out = t->key[i];
			*state = MVM_TRUST_ACTIVE;
			return 0;
		}
		elsewhere = true;
	}
	for (size_t i = 0; i < t->nroot; i++) {
		bool exists;
		int r = check_dir_mode(t->root[i], &exists, err, errlen);
		if (r)
			return r;
		if (!exists)
			continue;
		for (int retired = 0; retired < 2; retired++) {
			for (int ro = MVM_ROLE_PUBLISHER; ro <= MVM_ROLE_HOST; ro++) {
				struct mvm_pubkey k;
				r = load_store_entry(t->root[i], (enum mvm_key_role)ro, retired, keyid, &k, err, errlen);
				if (r == -ENOENT)
					continue;
				if (r)
					return r;
				unsigned st = retired ? MVM_TRUST_RETIRED : MVM_TRUST_ACTIVE;
				if ((enum mvm_key_role)ro == role && (accept & st)) {
					*out = k;
					*state = (enum mvm_trust_state)st;
					return 0;
				}
				elsewhere = true;
			}
		}
	}
	if (elsewhere)
		return errf(err, errlen, "key %s is not trusted as a %s key", keyid, mvm_role_name(role)), -EKEYREJECTED;
	return errf(err, errlen, "key %s is not in the trust store", keyid), -ENOKEY;
}

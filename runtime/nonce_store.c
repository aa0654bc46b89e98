/* The persistent nonce store: one file of fixed-size records, each checksummed, behind a
 * 16-byte header; every check-and-insert runs under flock on a separate lock file (the data
 * file is replaced when it is compacted) and is fsynced before it returns. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

#define MAGIC "mvm-nonce-v1\n\0\0\0"
#define HEADER 16
#define RECORD 48 /* nonce[32], expires (int64, little endian), check[8] */
#define COMPACT_MIN 256

static void put_le64(uint8_t *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

static int64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return (int64_t)v;
}

static void record_check(const uint8_t *rec, uint8_t out[8])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)"mvm-nonce-record", 16);
	crypto_hash_sha256_update(&st, rec, 40);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, 8);
}

static void make_record(uint8_t rec[RECORD], const uint8_t nonce[MVM_NONCE_BYTES], int64_t expires)
{
	memcpy(rec, nonce, MVM_NONCE_BYTES);
	put_le64(rec + 32, expires);
	record_check(rec, rec + 40);
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
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

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* A file of the store must be ours and private: anyone else who can write it could erase a nonce. */
static int check_private(int fd, const char *what, struct mvm_verdict *v)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: %s", what, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s is not a private regular file of this user", what);
	return 0;
}

/* Rewrites the store with the live records plus `rec`, via a temporary file and rename. */
static int compact(const char *state_dir, const uint8_t *data, size_t nrec, int64_t now, const uint8_t *rec,
		   struct mvm_verdict *v)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	snprintf(path, sizeof(path), "%s/nonces.db", state_dir);
	snprintf(tmp, sizeof(tmp), "%s/nonces.db.tmp", state_dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: %s", tmp, strerror(errno));
	int r = write_all(fd, MAGIC, HEADER);
	for (size_t i = 0; i < nrec && !r; i++)
		if (get_le64(data + i * RECORD + 32) >= now)
			r = write_all(fd, data + i * RECORD, RECORD);
	if (!r)
		r = write_all(fd, rec, RECORD);
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (!r)
		r = fsync_dir(state_dir);
	if (r) {
		unlink(tmp);
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "compacting %s: %s", path, strerror(-r));
	}
	return 0;
}

static int read_store(int fd, uint8_t **data, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size > (off_t)(256u << 20))
		return -EFBIG;
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return r < 0 ? -errno : -EIO;
		}
		got += (size_t)r;
	}
	*data = buf;
	*len = n;
	return 0;
}

int mvm_nonce_store_scan(const uint8_t *data, size_t len, const uint8_t nonce[MVM_NONCE_BYTES], int64_t now,
			 struct mvm_nonce_scan *out)
{
	memset(out, 0, sizeof(*out));
	if (len < HEADER || memcmp(data, MAGIC, HEADER) != 0)
		return -EBADMSG;
	out->torn = (len - HEADER) % RECORD;
	size_t nrec = (len - HEADER) / RECORD;
	const uint8_t *recs = data + HEADER;
	for (size_t i = 0; i < nrec; i++) {
		const uint8_t *rec = recs + i * RECORD;
		uint8_t check[8];
		record_check(rec, check);
		if (memcmp(check, rec + 40, 8) != 0) {
			out->bad = i;
			return -EUCLEAN;
		}
		if (sodium_memcmp(rec, nonce, MVM_NONCE_BYTES) == 0) {
			out->bad = i;
			return -EEXIST;
		}
		if (get_le64(rec + 32) < now)
			out->expired++;
		out->nrec++;
	}
	return 0;
}

/* Runs with the lock held. */
static int check_insert_locked(const char *state_dir, const uint8_t nonce[MVM_NONCE_BYTES], int64_t expires,
			       int64_t now, struct mvm_verdict *v)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/nonces.db", state_dir);
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: %s", path, strerror(errno));
	uint8_t *data = NULL;
	size_t len = 0;
	int r = check_private(fd, path, v);
	if (!r && (r = read_store(fd, &data, &len)) != 0)
		r = mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: %s", path, strerror(-r));
	if (!r && len == 0) {
		/* A new store: the header goes down (and is durable) before the first record. */
		if ((r = write_all(fd, MAGIC, HEADER)) != 0 || fsync(fd) < 0 || fsync_dir(state_dir))
			r = mvm_refuse(v, MVM_REJECT_NONCE_STORE, "cannot initialise %s", path);
		len = HEADER;
		free(data);
		data = malloc(HEADER);
		if (!r && data)
			memcpy(data, MAGIC, HEADER);
		else if (!r)
			r = mvm_refuse(v, MVM_REJECT_IO, "out of memory");
	}
	struct mvm_nonce_scan sc = { 0 };
	int e = r ? 0 : mvm_nonce_store_scan(data, len, nonce, now, &sc);
	if (e == -EBADMSG)
		r = mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: not a nonce store (bad header); refusing to admit", path);
	else if (e == -EUCLEAN) /* a corrupt store is left as it is, torn tail included */
		r = mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: record %zu is corrupt; refusing to admit", path, sc.bad);
	if (!r && sc.torn) {
		/* A torn record from an insert that crashed before its fsync returned: that admission
		 * never completed, so cutting it off cannot admit anything twice. */
		len -= sc.torn;
		if (ftruncate(fd, (off_t)len) < 0 || fsync(fd) < 0)
			r = mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: cannot cut a torn record: %s", path, strerror(errno));
	}
	if (!r && e == -EEXIST)
		r = mvm_refuse(v, MVM_REJECT_REPLAY, "this plan's nonce was already admitted");
	size_t nrec = sc.nrec, expired = sc.expired;
	const uint8_t *recs = data ? data + HEADER : NULL;
	if (!r) {
		uint8_t rec[RECORD];
		make_record(rec, nonce, expires);
		if (expired >= COMPACT_MIN && expired * 2 >= nrec) {
			r = compact(state_dir, recs, nrec, now, rec, v);
		} else if ((r = write_all(fd, rec, RECORD)) != 0 || fsync(fd) < 0) {
			/* The record may be half there; the next insert cuts it off. */
			r = mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: cannot record the nonce: %s", path,
				       strerror(r ? -r : errno));
		}
	}
	free(data);
	close(fd);
	return r;
}

static int lock_store(const char *state_dir, struct mvm_verdict *v)
{
	char err[256] = "", path[PATH_MAX];
	if (mvm_mkdir_private(state_dir, 0700, err, sizeof(err)))
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s", err);
	snprintf(path, sizeof(path), "%s/nonces.lock", state_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "%s: %s", path, strerror(errno));
	int r;
	while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		close(fd);
		return mvm_refuse(v, MVM_REJECT_NONCE_STORE, "cannot lock %s: %s", path, strerror(errno));
	}
	return fd;
}

int mvm_nonce_check_insert(const char *state_dir, const uint8_t nonce[MVM_NONCE_BYTES], int64_t expires, int64_t now,
			   struct mvm_verdict *v)
{
	if (sodium_init() < 0)
		return mvm_refuse(v, MVM_REJECT_IO, "libsodium cannot initialise");
	int lfd = lock_store(state_dir, v);
	if (lfd < 0)
		return lfd;
	int r = check_insert_locked(state_dir, nonce, expires, now, v);
	close(lfd); /* releases the lock */
	return r;
}

long mvm_nonce_count(const char *state_dir)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/nonces.db", state_dir);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return st.st_size < HEADER ? 0 : (long)((st.st_size - HEADER) / RECORD);
}

/* The chain-signed audit log. In DIR, per tenant T:
 *   T.jsonl          the live segment: one line per entry
 *   T.NNNNNN.jsonl   rotated segments, oldest first
 *   T.head           signed head: last seq, its line's hash, offset and the segment's size
 *   T.lock           flock: exclusive for appends, shared for verification
 * A line is {"entry":{...},"sig":"<base64>"}; the signature is over the exact bytes of the
 * entry object as stored (DSSE PAE, type application/vnd.mvm.audit-entry+json); each entry's
 * "prev" is the sha256 of the previous line's bytes (without its newline). An append reads
 * only the head and the last line, so its cost does not depend on the log's length. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/canon_json.h"
#include "../lib/dsse.h"
#include "runtime.h"

#define GENESIS "sha256:0000000000000000000000000000000000000000000000000000000000000000"
#define MAX_LINE (64u << 10)
#define MAX_HEAD 4096

struct head {
	uint64_t seq, size, offset, segment;
	int64_t ts;
	char hash[MVM_DIGEST_STRLEN];
	char keyid[MVM_KEYID_LEN + 1];
};

struct link {
	char prev_file[96];
	uint64_t prev_last_seq, prev_size, segment;
};

struct entry {
	uint64_t seq;
	char prev[MVM_DIGEST_STRLEN];
	char event[64];
	bool has_link;
	struct link link;
};

/* Keys already looked up during one verification. */
struct keycache {
	size_t n;
	struct mvm_pubkey k[8];
};

const char *mvm_audit_status_name(enum mvm_audit_status s)
{
	switch (s) {
	case MVM_AUDIT_CLEAN: return "clean";
	case MVM_AUDIT_IO: return "io";
	case MVM_AUDIT_TAMPERED: return "tampered";
	case MVM_AUDIT_BROKEN_CHAIN: return "broken-chain";
	case MVM_AUDIT_TRUNCATED: return "truncated";
	case MVM_AUDIT_MISSING: return "missing";
	case MVM_AUDIT_UNKNOWN_KEY: return "unknown-key";
	case MVM_AUDIT_TORN: return "torn";
	}
	return "?";
}

static void file_path(char out[PATH_MAX], const char *dir, const char *tenant, const char *suffix)
{
	mvm_pathf(out, "%s/%s%s", dir, tenant, suffix);
}

static void segment_name(char *out, size_t len, const char *tenant, uint64_t seg)
{
	snprintf(out, len, "%s.%06llu.jsonl", tenant, (unsigned long long)seg);
}

static void segment_path(char out[PATH_MAX], const char *dir, const char *tenant, uint64_t seg)
{
	char name[96];
	segment_name(name, sizeof(name), tenant, seg);
	mvm_pathf(out, "%s/%s", dir, name);
}

static void line_hash(const char *line, size_t len, char out[MVM_DIGEST_STRLEN])
{
	mvm_sha256_str(line, len, out);
}

/* Reads one line into buf (MAX_LINE + 1 bytes): 1 with *len (the newline included, when the
 * line has one), 0 at the end of the file, -E2BIG for a line longer than MAX_LINE bytes. A log
 * that is corrupt (or a sparse hole of any size) is never read into memory whole. */
static int read_line(FILE *f, char *buf, size_t *len)
{
	size_t n = 0;
	int c;
	while ((c = getc_unlocked(f)) != EOF) {
		if (n == MAX_LINE + 1)
			return -E2BIG;
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	*len = n;
	return n ? 1 : 0;
}

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

static int pread_all(int fd, void *buf, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		got += (size_t)r;
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

/* ---- keys ---- */

static enum mvm_audit_status find_key(const struct mvm_trust *t, const struct mvm_seckey *own, struct keycache *c,
				      const char *keyid, struct mvm_pubkey *out, char *detail, size_t dlen)
{
	if (own && strcmp(own->pub.keyid, keyid) == 0) {
		*out = own->pub;
		return MVM_AUDIT_CLEAN;
	}
	for (size_t i = 0; c && i < c->n; i++)
		if (strcmp(c->k[i].keyid, keyid) == 0) {
			*out = c->k[i];
			return MVM_AUDIT_CLEAN;
		}
	enum mvm_trust_state st;
	char err[200];
	int r = t ? mvm_trust_lookup(t, MVM_ROLE_HOST, keyid, MVM_TRUST_ACTIVE | MVM_TRUST_RETIRED, out, &st, err, sizeof(err))
		  : -ENOKEY;
	if (r == -ENOKEY || r == -EKEYREJECTED) {
		snprintf(detail, dlen, "signed by key %s, which is not a trusted or retired host key", keyid);
		return MVM_AUDIT_UNKNOWN_KEY;
	}
	if (r) {
		snprintf(detail, dlen, "trust store: %s", err);
		return MVM_AUDIT_IO;
	}
	if (c && c->n < sizeof(c->k) / sizeof(c->k[0]))
		c->k[c->n++] = *out;
	return MVM_AUDIT_CLEAN;
}

/* ---- head ---- */

static int head_encode(const struct mvm_seckey *k, const char *tenant, const struct head *h, struct mvm_buf *out)
{
	struct mvm_buf body = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &body);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "hash");
	mvm_cjw_str(&w, h->hash);
	mvm_cjw_key(&w, "keyid");
	mvm_cjw_str(&w, k->pub.keyid);
	mvm_cjw_key(&w, "offset");
	mvm_cjw_int(&w, (int64_t)h->offset);
	mvm_cjw_key(&w, "segment");
	mvm_cjw_int(&w, (int64_t)h->segment);
	mvm_cjw_key(&w, "seq");
	mvm_cjw_int(&w, (int64_t)h->seq);
	mvm_cjw_key(&w, "size");
	mvm_cjw_int(&w, (int64_t)h->size);
	mvm_cjw_key(&w, "tenant");
	mvm_cjw_str(&w, tenant);
	mvm_cjw_key(&w, "ts");
	mvm_cjw_int(&w, h->ts);
	mvm_cjw_end_object(&w);
	int r = mvm_cjw_finish(&w);
	uint8_t sig[MVM_SIG_BYTES];
	if (!r)
		r = mvm_sign_typed(k, MVM_TYPE_AUDIT_HEAD, body.data, body.len, sig);
	if (!r) {
		mvm_buf_puts(out, "{\"head\":");
		mvm_buf_put(out, body.data, body.len);
		mvm_buf_puts(out, ",\"sig\":\"");
		mvm_b64_put(out, sig, sizeof(sig));
		mvm_buf_puts(out, "\"}\n");
		r = out->oom ? -ENOMEM : 0;
	}
	mvm_buf_free(&body);
	return r;
}

static int head_write(const struct mvm_audit *a, struct head *h)
{
	char path[PATH_MAX];
	struct mvm_buf b = { 0 };
	h->ts = (int64_t)time(NULL);
	int r = head_encode(a->key, a->tenant, h, &b);
	file_path(path, a->dir, a->tenant, ".head");
	if (!r) {
		if (a->nosync) {
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
			r = fd < 0 ? -errno : write_all(fd, b.data, b.len);
			if (fd >= 0)
				close(fd);
		} else {
			r = mvm_write_file_atomic(path, b.data, b.len, 0600);
		}
	}
	mvm_buf_free(&b);
	return r;
}

static int get_uint(const struct mvm_cj *o, const char *key, uint64_t *out)
{
	const struct mvm_cj *v = mvm_cj_get(o, key);
	if (!v || v->kind != MVM_CJ_INT || v->i < 0)
		return -EINVAL;
	*out = (uint64_t)v->i;
	return 0;
}

static int get_strn(const struct mvm_cj *o, const char *key, char *out, size_t len)
{
	const struct mvm_cj *v = mvm_cj_get(o, key);
	if (!v || v->kind != MVM_CJ_STRING || v->n >= len)
		return -EINVAL;
	memcpy(out, v->str, v->n + 1);
	return 0;
}

/* Parses and verifies head bytes. */
static enum mvm_audit_status head_parse(const char *bytes, size_t len, const char *tenant, const struct mvm_trust *t,
					const struct mvm_seckey *own, struct keycache *kc, struct head *h, char *detail,
					size_t dlen)
{
	static const char *const outer[] = { "head", "sig", NULL };
	static const char *const inner[] = { "hash", "keyid", "offset", "segment", "seq", "size", "tenant", "ts", NULL };
	struct mvm_arena ar;
	struct mvm_cj *root;
	enum mvm_audit_status s = MVM_AUDIT_TAMPERED;
	char tn[MVM_TENANT_MAX + 2];
	uint64_t ts;
	uint8_t sig[MVM_SIG_BYTES];
	mvm_arena_init(&ar, 1u << 20);
	memset(h, 0, sizeof(*h));
	snprintf(detail, dlen, "the head file is malformed");
	if (len == 0 || bytes[len - 1] != '\n' || mvm_cj_parse(&ar, bytes, len - 1, &root, NULL, 0) ||
	    root->kind != MVM_CJ_OBJECT || mvm_cj_unknown_key(root, outer))
		goto out;
	const struct mvm_cj *body = mvm_cj_get(root, "head"), *sg = mvm_cj_get(root, "sig");
	if (!body || body->kind != MVM_CJ_OBJECT || mvm_cj_unknown_key(body, inner) || !sg || sg->kind != MVM_CJ_STRING ||
	    mvm_b64_decode_exact(sg->str, sg->n, sig, sizeof(sig)) || get_strn(body, "hash", h->hash, sizeof(h->hash)) ||
	    get_strn(body, "keyid", h->keyid, sizeof(h->keyid)) || get_uint(body, "offset", &h->offset) ||
	    get_uint(body, "segment", &h->segment) || get_uint(body, "seq", &h->seq) || get_uint(body, "size", &h->size) ||
	    get_strn(body, "tenant", tn, sizeof(tn)) || get_uint(body, "ts", &ts) || h->segment < 1)
		goto out;
	h->ts = (int64_t)ts;
	struct mvm_pubkey k;
	if ((s = find_key(t, own, kc, h->keyid, &k, detail, dlen)) != MVM_AUDIT_CLEAN)
		goto out;
	s = MVM_AUDIT_TAMPERED;
	if (mvm_verify_typed(&k, MVM_TYPE_AUDIT_HEAD, bytes + body->off, body->end - body->off, sig)) {
		snprintf(detail, dlen, "the head's signature does not verify");
		goto out;
	}
	if (strcmp(tn, tenant) != 0) {
		snprintf(detail, dlen, "the head belongs to tenant '%s'", tn);
		goto out;
	}
	s = MVM_AUDIT_CLEAN;
	detail[0] = 0;
out:
	mvm_arena_free(&ar);
	return s;
}

/* ---- entries ---- */

static int entry_encode(const struct mvm_audit *a, const struct mvm_audit_event *e, uint64_t seq, const char *prev,
			const struct link *link, struct mvm_buf *line)
{
	struct mvm_buf body = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &body);
	mvm_cjw_begin_object(&w);
	if (e->bundle) {
		mvm_cjw_key(&w, "bundle");
		mvm_cjw_str(&w, e->bundle);
	}
	if (e->detail) {
		mvm_cjw_key(&w, "detail");
		mvm_cjw_str(&w, e->detail);
	}
	mvm_cjw_key(&w, "event");
	mvm_cjw_str(&w, e->event);
	mvm_cjw_key(&w, "keyid");
	mvm_cjw_str(&w, a->key->pub.keyid);
	mvm_cjw_key(&w, "labels");
	if (e->labels_json)
		mvm_cjw_raw(&w, e->labels_json, e->labels_len);
	else
		mvm_cjw_raw(&w, "{}", 2);
	if (link) {
		mvm_cjw_key(&w, "link");
		mvm_cjw_begin_object(&w);
		mvm_cjw_key(&w, "prev_file");
		mvm_cjw_str(&w, link->prev_file);
		mvm_cjw_key(&w, "prev_last_seq");
		mvm_cjw_int(&w, (int64_t)link->prev_last_seq);
		mvm_cjw_key(&w, "prev_size");
		mvm_cjw_int(&w, (int64_t)link->prev_size);
		mvm_cjw_key(&w, "segment");
		mvm_cjw_int(&w, (int64_t)link->segment);
		mvm_cjw_end_object(&w);
	}
	if (e->plan) {
		mvm_cjw_key(&w, "plan");
		mvm_cjw_str(&w, e->plan);
	}
	mvm_cjw_key(&w, "prev");
	mvm_cjw_str(&w, prev);
	mvm_cjw_key(&w, "seq");
	mvm_cjw_int(&w, (int64_t)seq);
	mvm_cjw_key(&w, "tenant");
	mvm_cjw_str(&w, a->tenant);
	mvm_cjw_key(&w, "ts");
	mvm_cjw_int(&w, e->ts);
	mvm_cjw_end_object(&w);
	int r = mvm_cjw_finish(&w);
	uint8_t sig[MVM_SIG_BYTES];
	if (!r)
		r = mvm_sign_typed(a->key, MVM_TYPE_AUDIT_ENTRY, body.data, body.len, sig);
	if (!r) {
		mvm_buf_puts(line, "{\"entry\":");
		mvm_buf_put(line, body.data, body.len);
		mvm_buf_puts(line, ",\"sig\":\"");
		mvm_b64_put(line, sig, sizeof(sig));
		mvm_buf_puts(line, "\"}\n");
		r = line->oom ? -ENOMEM : 0;
	}
	mvm_buf_free(&body);
	return r;
}

/* Parses and verifies one line (without its newline): format, key, signature, tenant. */
static enum mvm_audit_status entry_parse(const char *line, size_t len, const char *tenant, const struct mvm_trust *t,
					 const struct mvm_seckey *own, struct keycache *kc, struct entry *e, char *detail,
					 size_t dlen)
{
	static const char *const outer[] = { "entry", "sig", NULL };
	static const char *const inner[] = { "bundle", "detail", "event", "keyid", "labels", "link",
					     "plan", "prev", "seq", "tenant", "ts", NULL };
	static const char *const link_keys[] = { "prev_file", "prev_last_seq", "prev_size", "segment", NULL };
	struct mvm_arena ar;
	struct mvm_cj *root;
	enum mvm_audit_status s = MVM_AUDIT_TAMPERED;
	char keyid[MVM_KEYID_LEN + 2], tn[MVM_TENANT_MAX + 2], jerr[120];
	uint64_t ts;
	uint8_t sig[MVM_SIG_BYTES];
	mvm_arena_init(&ar, 1u << 20);
	memset(e, 0, sizeof(*e));
	if (mvm_cj_parse(&ar, line, len, &root, jerr, sizeof(jerr))) {
		snprintf(detail, dlen, "not a canonical entry: %s", jerr);
		goto out;
	}
	snprintf(detail, dlen, "malformed entry");
	if (root->kind != MVM_CJ_OBJECT || mvm_cj_unknown_key(root, outer))
		goto out;
	const struct mvm_cj *body = mvm_cj_get(root, "entry"), *sg = mvm_cj_get(root, "sig");
	if (!body || body->kind != MVM_CJ_OBJECT || mvm_cj_unknown_key(body, inner) || !sg || sg->kind != MVM_CJ_STRING ||
	    mvm_b64_decode_exact(sg->str, sg->n, sig, sizeof(sig)) || get_strn(body, "keyid", keyid, sizeof(keyid)) ||
	    get_uint(body, "seq", &e->seq) || get_strn(body, "prev", e->prev, sizeof(e->prev)) ||
	    get_strn(body, "event", e->event, sizeof(e->event)) || get_strn(body, "tenant", tn, sizeof(tn)) ||
	    get_uint(body, "ts", &ts))
		goto out;
	const struct mvm_cj *labels = mvm_cj_get(body, "labels"), *link = mvm_cj_get(body, "link");
	if (!labels || labels->kind != MVM_CJ_OBJECT)
		goto out;
	if (link) {
		if (link->kind != MVM_CJ_OBJECT || mvm_cj_unknown_key(link, link_keys) ||
		    get_strn(link, "prev_file", e->link.prev_file, sizeof(e->link.prev_file)) ||
		    get_uint(link, "prev_last_seq", &e->link.prev_last_seq) ||
		    get_uint(link, "prev_size", &e->link.prev_size) || get_uint(link, "segment", &e->link.segment))
			goto out;
		e->has_link = true;
	}
	struct mvm_pubkey k;
	if ((s = find_key(t, own, kc, keyid, &k, detail, dlen)) != MVM_AUDIT_CLEAN)
		goto out;
	s = MVM_AUDIT_TAMPERED;
	if (mvm_verify_typed(&k, MVM_TYPE_AUDIT_ENTRY, line + body->off, body->end - body->off, sig)) {
		snprintf(detail, dlen, "the entry's signature does not verify");
		goto out;
	}
	if (strcmp(tn, tenant) != 0) {
		snprintf(detail, dlen, "the entry belongs to tenant '%s'", tn);
		goto out;
	}
	s = MVM_AUDIT_CLEAN;
	detail[0] = 0;
out:
	mvm_arena_free(&ar);
	return s;
}

enum mvm_audit_status mvm_audit_parse_line(const char *line, size_t len, const char *tenant, const struct mvm_trust *t,
					   uint64_t *seq, char *detail, size_t dlen)
{
	struct entry e;
	enum mvm_audit_status s = entry_parse(line, len, tenant, t, NULL, NULL, &e, detail, dlen);
	*seq = s == MVM_AUDIT_CLEAN ? e.seq : 0;
	return s;
}

enum mvm_audit_status mvm_audit_parse_head(const char *bytes, size_t len, const char *tenant, const struct mvm_trust *t,
					   uint64_t *seq, char *detail, size_t dlen)
{
	struct head h;
	enum mvm_audit_status s = head_parse(bytes, len, tenant, t, NULL, NULL, &h, detail, dlen);
	*seq = s == MVM_AUDIT_CLEAN ? h.seq : 0;
	return s;
}

/* ---- append ---- */

struct state {
	struct head h;
	int fd;               /* live segment, O_APPEND */
	uint64_t discarded;   /* bytes of an unfinished append cut off while loading */
};

static void hook(const struct mvm_audit *a, enum mvm_audit_stage s)
{
	if (a->fault)
		a->fault(s, a->fault_ctx);
}

/* Writes one entry at the end of the live segment and commits it in the head. */
static int write_entry(struct mvm_audit *a, struct state *st, const struct mvm_audit_event *e, const struct link *link,
		       char *err, size_t errlen)
{
	struct mvm_buf line = { 0 };
	int r = entry_encode(a, e, st->h.seq + 1, st->h.hash, link, &line);
	if (r) {
		snprintf(err, errlen, "cannot encode the audit entry: %s", strerror(-r));
		mvm_buf_free(&line);
		return r;
	}
	r = write_all(st->fd, line.data, line.len);
	hook(a, MVM_AUDIT_STAGE_LINE_WRITTEN);
	if (!r && !a->nosync && fsync(st->fd) < 0)
		r = -errno;
	hook(a, MVM_AUDIT_STAGE_LINE_SYNCED);
	if (r) {
		snprintf(err, errlen, "cannot write the audit log: %s", strerror(-r));
		mvm_buf_free(&line);
		return r;
	}
	struct head nh = st->h;
	nh.seq++;
	nh.offset = st->h.size;
	nh.size = st->h.size + line.len;
	line_hash(line.data, line.len - 1, nh.hash);
	mvm_buf_free(&line);
	if ((r = head_write(a, &nh))) {
		snprintf(err, errlen, "cannot write the audit head: %s", strerror(-r));
		return r;
	}
	st->h = nh;
	return 0;
}

/* Starts the next segment: the live one is renamed, a new one begins with an audit.segment
 * entry that links to the old one by name, last seq and size (and by the chain's prev hash). */
static int finish_rotation(struct mvm_audit *a, struct state *st, char *err, size_t errlen)
{
	char live[PATH_MAX];
	file_path(live, a->dir, a->tenant, ".jsonl");
	if (st->fd >= 0)
		close(st->fd);
	st->fd = open(live, O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->fd < 0 || (!a->nosync && fsync_dir(a->dir))) {
		snprintf(err, errlen, "cannot start a new audit segment: %s", strerror(errno));
		return -EIO;
	}
	struct link link = { "", st->h.seq, st->h.size, st->h.segment + 1 };
	segment_name(link.prev_file, sizeof(link.prev_file), a->tenant, st->h.segment);
	char detail[160];
	snprintf(detail, sizeof(detail), "segment %llu follows %s", (unsigned long long)link.segment, link.prev_file);
	struct mvm_audit_event ev = { "audit.segment", NULL, NULL, NULL, 0, detail, (int64_t)time(NULL) };
	st->h.segment++;
	st->h.size = 0;
	return write_entry(a, st, &ev, &link, err, errlen);
}

static int rotate(struct mvm_audit *a, struct state *st, char *err, size_t errlen)
{
	char live[PATH_MAX], seg[PATH_MAX];
	file_path(live, a->dir, a->tenant, ".jsonl");
	segment_path(seg, a->dir, a->tenant, st->h.segment);
	if (rename(live, seg) < 0 || (!a->nosync && fsync_dir(a->dir))) {
		snprintf(err, errlen, "cannot rotate the audit log: %s", strerror(errno));
		return -EIO;
	}
	return finish_rotation(a, st, err, errlen);
}

/* Bytes beyond the head: one complete valid entry that continues the chain is committed;
 * anything else is cut off. */
static int repair_tail(struct mvm_audit *a, struct state *st, uint64_t size, char *err, size_t errlen)
{
	uint64_t extra = size - st->h.size;
	if (extra <= MAX_LINE) {
		char *buf = malloc(extra + 1);
		if (!buf)
			return -ENOMEM;
		int r = pread_all(st->fd, buf, extra, (off_t)st->h.size);
		struct entry e;
		char detail[256];
		if (!r && extra > 1 && buf[extra - 1] == '\n' && !memchr(buf, '\n', extra - 1) &&
		    entry_parse(buf, extra - 1, a->tenant, a->trust, a->key, NULL, &e, detail, sizeof(detail)) ==
			    MVM_AUDIT_CLEAN &&
		    e.seq == st->h.seq + 1 && strcmp(e.prev, st->h.hash) == 0) {
			struct head nh = st->h;
			nh.seq++;
			nh.offset = st->h.size;
			nh.size = size;
			line_hash(buf, extra - 1, nh.hash);
			free(buf);
			if ((r = head_write(a, &nh))) {
				snprintf(err, errlen, "cannot write the audit head: %s", strerror(-r));
				return r;
			}
			st->h = nh;
			return 0;
		}
		free(buf);
	}
	if (ftruncate(st->fd, (off_t)st->h.size) < 0 || fsync(st->fd) < 0) {
		snprintf(err, errlen, "cannot cut an unfinished append: %s", strerror(errno));
		return -errno;
	}
	st->discarded = extra;
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static bool any_segment(const char *dir, const char *tenant)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	size_t tl = strlen(tenant);
	bool found = false;
	struct dirent *e;
	while ((e = readdir(d)) && !found)
		found = strncmp(e->d_name, tenant, tl) == 0 && e->d_name[tl] == '.' && strstr(e->d_name, ".jsonl");
	closedir(d);
	return found;
}

/* With the lock held: the head and live segment, consistent, with an interrupted append or
 * rotation finished or undone. */
static int load_state(struct mvm_audit *a, struct state *st, char *err, size_t errlen)
{
	char hpath[PATH_MAX], live[PATH_MAX], seg[PATH_MAX], detail[256];
	file_path(hpath, a->dir, a->tenant, ".head");
	file_path(live, a->dir, a->tenant, ".jsonl");
	memset(st, 0, sizeof(*st));
	st->fd = -1;
	char *hb;
	size_t hlen;
	int r = mvm_read_small_file(hpath, MAX_HEAD, true, &hb, &hlen);
	if (r == -ENOENT) {
		if (any_segment(a->dir, a->tenant)) {
			snprintf(err, errlen, "%s is missing but the log exists; refusing to append", hpath);
			return -EBADMSG;
		}
		/* A new log: the head first, so that a log never exists without one. */
		st->h.segment = 1;
		strcpy(st->h.hash, GENESIS);
		if ((r = head_write(a, &st->h))) {
			snprintf(err, errlen, "cannot create %s: %s", hpath, strerror(-r));
			return r;
		}
	} else if (r) {
		snprintf(err, errlen, "%s: %s", hpath, strerror(-r));
		return r;
	} else {
		enum mvm_audit_status s =
			head_parse(hb, hlen, a->tenant, a->trust, a->key, NULL, &st->h, detail, sizeof(detail));
		free(hb);
		if (s != MVM_AUDIT_CLEAN) {
			snprintf(err, errlen, "%s: %s; refusing to append", hpath, detail);
			return s == MVM_AUDIT_IO ? -EIO : -EBADMSG;
		}
	}
	segment_path(seg, a->dir, a->tenant, st->h.segment);
	if (exists(seg)) {
		/* A rotation stopped after the rename: the renamed segment must be the committed one. */
		struct stat sst;
		if (stat(seg, &sst) < 0 || (uint64_t)sst.st_size != st->h.size) {
			snprintf(err, errlen, "%s does not match the head; refusing to append", seg);
			return -EBADMSG;
		}
		return finish_rotation(a, st, err, errlen);
	}
	st->fd = open(live, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (st->fd < 0 && errno == ENOENT && st->h.seq == 0 && st->h.segment == 1) {
		st->fd = open(live, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (st->fd >= 0 && !a->nosync)
			fsync_dir(a->dir);
	}
	if (st->fd < 0) {
		snprintf(err, errlen, "%s: %s; refusing to append", live, strerror(errno));
		return errno == ENOENT ? -EBADMSG : -errno;
	}
	struct stat fst;
	if (fstat(st->fd, &fst) < 0 || !S_ISREG(fst.st_mode) || (fst.st_mode & 077)) {
		snprintf(err, errlen, "%s is not a private regular file; refusing to append", live);
		return -EBADMSG;
	}
	uint64_t size = (uint64_t)fst.st_size;
	if (size < st->h.size) {
		snprintf(err, errlen, "%s is shorter than its head says (truncated); refusing to append", live);
		return -EBADMSG;
	}
	if (size > st->h.size && (r = repair_tail(a, st, size, err, errlen)))
		return r;
	if (st->h.seq > 0 && st->h.size > st->h.offset) {
		/* The committed last line must be the one the head signed. */
		uint64_t n = st->h.size - st->h.offset;
		char *buf = n <= MAX_LINE ? malloc(n) : NULL;
		char h[MVM_DIGEST_STRLEN];
		if (!buf || pread_all(st->fd, buf, n, (off_t)st->h.offset) || buf[n - 1] != '\n' ||
		    (line_hash(buf, n - 1, h), strcmp(h, st->h.hash) != 0)) {
			free(buf);
			snprintf(err, errlen, "the last entry of %s does not match its head; refusing to append", live);
			return -EBADMSG;
		}
		free(buf);
	}
	return 0;
}

static int lock_log(const struct mvm_audit *a, int op, bool create, char *err, size_t errlen)
{
	char path[PATH_MAX];
	file_path(path, a->dir, a->tenant, ".lock");
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	int r;
	while ((r = flock(fd, op)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = -errno;
		close(fd);
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-r));
		return r;
	}
	return fd;
}

int mvm_audit_init(struct mvm_audit *a, const char *dir, const char *tenant, const struct mvm_seckey *key,
		   const struct mvm_trust *trust, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (!mvm_tenant_valid(tenant)) {
		snprintf(err, errlen, "tenant '%s' is not a valid name (1..64 of A-Z a-z 0-9 _ -)", tenant);
		return -EINVAL;
	}
	if (!key || key->pub.role != MVM_ROLE_HOST) {
		snprintf(err, errlen, "the audit log is signed with a host key");
		return -EINVAL;
	}
	if (snprintf(a->dir, sizeof(a->dir), "%s", dir) >= (int)sizeof(a->dir))
		return -ENAMETOOLONG;
	snprintf(a->tenant, sizeof(a->tenant), "%s", tenant);
	a->key = key;
	a->trust = trust;
	a->segment_max = MVM_AUDIT_DEFAULT_SEGMENT_MAX;
	return 0;
}

static int locked_op(struct mvm_audit *a, const struct mvm_audit_event *e, uint64_t *seq, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = 0;
	int r = mvm_mkdir_private(a->dir, 0700, err, errlen);
	if (r)
		return r;
	int lfd = lock_log(a, LOCK_EX, true, err, errlen);
	if (lfd < 0)
		return lfd;
	struct state st;
	r = load_state(a, &st, err, errlen);
	if (!r && st.discarded) {
		char detail[128];
		snprintf(detail, sizeof(detail), "discarded %llu bytes of an unfinished append",
			 (unsigned long long)st.discarded);
		struct mvm_audit_event rec = { "audit.recovered", NULL, NULL, NULL, 0, detail, (int64_t)time(NULL) };
		r = write_entry(a, &st, &rec, NULL, err, errlen);
	}
	if (!r && e && st.h.size >= a->segment_max)
		r = rotate(a, &st, err, errlen);
	if (!r && e)
		r = write_entry(a, &st, e, NULL, err, errlen);
	if (!r && seq)
		*seq = st.h.seq;
	if (st.fd >= 0)
		close(st.fd);
	close(lfd);
	return r;
}

int mvm_audit_append(struct mvm_audit *a, const struct mvm_audit_event *e, uint64_t *seq, char *err, size_t errlen)
{
	return locked_op(a, e, seq, err, errlen);
}

int mvm_audit_recover(struct mvm_audit *a, char *err, size_t errlen)
{
	return locked_op(a, NULL, NULL, err, errlen);
}

/* ---- verification ---- */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Numbers of the rotated segments of tenant in dir, sorted. */
static int list_segments(const char *dir, const char *tenant, uint64_t **out, size_t *n)
{
	DIR *d = opendir(dir);
	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	size_t cap = 0, tl = strlen(tenant);
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		if (strncmp(s, tenant, tl) != 0 || s[tl] != '.')
			continue;
		char *end;
		unsigned long long v = strtoull(s + tl + 1, &end, 10);
		if (end == s + tl + 1 || strcmp(end, ".jsonl") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(*out, cap * sizeof(**out));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			*out = nv;
		}
		(*out)[(*n)++] = v;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_u64);
	return r;
}

struct walk {
	const char *tenant;
	const struct mvm_trust *trust;
	struct keycache kc;
	struct mvm_audit_report *rep;
	uint64_t next_seq;
	char prev[MVM_DIGEST_STRLEN];
	/* the segment before this one: its name, size and last seq, for the link check */
	char prev_file[96];
	uint64_t prev_size, prev_last_seq;
};

static enum mvm_audit_status report(struct mvm_audit_report *rep, enum mvm_audit_status s, uint64_t seq,
				    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum mvm_audit_status report(struct mvm_audit_report *rep, enum mvm_audit_status s, uint64_t seq,
				    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->detail, sizeof(rep->detail), fmt, ap);
	va_end(ap);
	rep->status = s;
	rep->at_seq = seq;
	return s;
}

/* Walks one segment. limit: the committed size for the live segment (UINT64_MAX otherwise). */
static enum mvm_audit_status walk_segment(struct walk *w, const char *path, const char *name, uint64_t segno,
					  bool first_segment, bool live, uint64_t limit, uint64_t *size_out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return report(w->rep, errno == ENOENT ? MVM_AUDIT_MISSING : MVM_AUDIT_IO, 0, "%s: %s", path,
			      strerror(errno));
	char *line = malloc(MAX_LINE + 1);
	size_t off = 0, len;
	int n;
	enum mvm_audit_status s = MVM_AUDIT_CLEAN;
	bool first_line = true;
	char detail[256];
	if (!line) {
		fclose(f);
		return report(w->rep, MVM_AUDIT_IO, 0, "out of memory");
	}
	while ((n = read_line(f, line, &len)) != 0) {
		if (live && off >= limit) {
			s = report(w->rep, MVM_AUDIT_TORN, w->next_seq, "%s: bytes beyond the head: an append did not finish",
				   name);
			break;
		}
		if (n == -E2BIG) {
			s = report(w->rep, MVM_AUDIT_TAMPERED, w->next_seq, "%s: a line of more than %u bytes at byte %zu",
				   name, MAX_LINE, off);
			break;
		}
		bool complete = line[len - 1] == '\n';
		if (!complete) {
			/* (past the head it was reported as torn above) */
			s = report(w->rep, MVM_AUDIT_TRUNCATED, w->next_seq, "%s: the log ends inside an entry at byte %zu",
				   name, off);
			break;
		}
		struct entry e;
		enum mvm_audit_status es = entry_parse(line, len - 1, w->tenant, w->trust, NULL, &w->kc, &e, detail, sizeof(detail));
		if (es != MVM_AUDIT_CLEAN) {
			s = report(w->rep, es, w->next_seq, "%s: entry at byte %zu (expected seq %llu): %s", name, off,
				   (unsigned long long)w->next_seq, detail);
			break;
		}
		if (e.seq != w->next_seq) {
			s = report(w->rep, MVM_AUDIT_BROKEN_CHAIN, w->next_seq, "%s: seq %llu where %llu was expected", name,
				   (unsigned long long)e.seq, (unsigned long long)w->next_seq);
			break;
		}
		if (strcmp(e.prev, w->prev) != 0) {
			s = report(w->rep, MVM_AUDIT_BROKEN_CHAIN, e.seq, "%s: seq %llu does not follow the previous entry's hash",
				   name, (unsigned long long)e.seq);
			break;
		}
		if (first_line && !first_segment &&
		    (!e.has_link || strcmp(e.event, "audit.segment") != 0 || e.link.segment != segno ||
		     strcmp(e.link.prev_file, w->prev_file) != 0 || e.link.prev_last_seq != w->prev_last_seq ||
		     e.link.prev_size != w->prev_size)) {
			s = report(w->rep, MVM_AUDIT_BROKEN_CHAIN, e.seq, "%s does not begin with a link to %s", name,
				   w->prev_file);
			break;
		}
		if (e.has_link && !(first_line && !first_segment)) {
			s = report(w->rep, MVM_AUDIT_BROKEN_CHAIN, e.seq, "%s: a segment link in the middle of a segment", name);
			break;
		}
		line_hash(line, len - 1, w->prev);
		w->prev_last_seq = e.seq;
		w->next_seq++;
		w->rep->entries++;
		off += len;
		first_line = false;
	}
	free(line);
	if (s == MVM_AUDIT_CLEAN && ferror(f))
		s = report(w->rep, MVM_AUDIT_IO, 0, "%s: read error", path);
	fclose(f);
	*size_out = off;
	return s;
}

static enum mvm_audit_status verify_log(const char *dir, const char *tenant, const struct mvm_trust *t,
					struct mvm_audit_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (!mvm_tenant_valid(tenant))
		return report(rep, MVM_AUDIT_IO, 0, "tenant '%s' is not a valid name", tenant);
	char hpath[PATH_MAX], live[PATH_MAX], lpath[PATH_MAX], detail[256];
	file_path(hpath, dir, tenant, ".head");
	file_path(live, dir, tenant, ".jsonl");
	file_path(lpath, dir, tenant, ".lock");
	int lfd = open(lpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lfd >= 0)
		while (flock(lfd, LOCK_SH) < 0 && errno == EINTR)
			;
	enum mvm_audit_status s;
	uint64_t *segs = NULL;
	size_t nseg = 0;
	char *hb = NULL;
	size_t hlen;
	struct head h;
	struct walk w = { .tenant = tenant, .trust = t, .rep = rep, .next_seq = 1 };
	strcpy(w.prev, GENESIS);
	int r = mvm_read_small_file(hpath, MAX_HEAD, true, &hb, &hlen);
	if (r == -ENOENT) {
		s = exists(live) || any_segment(dir, tenant)
			    ? report(rep, MVM_AUDIT_MISSING, 0, "%s is missing: the log's end cannot be checked", hpath)
			    : report(rep, MVM_AUDIT_MISSING, 0, "no audit log for tenant '%s' in %s", tenant, dir);
		goto out;
	}
	if (r) {
		s = report(rep, MVM_AUDIT_IO, 0, "%s: %s", hpath, strerror(-r));
		goto out;
	}
	if ((s = head_parse(hb, hlen, tenant, t, NULL, &w.kc, &h, detail, sizeof(detail))) != MVM_AUDIT_CLEAN) {
		report(rep, s, 0, "%s: %s", hpath, detail);
		goto out;
	}
	rep->head_seq = h.seq;
	if ((r = list_segments(dir, tenant, &segs, &nseg))) {
		s = report(rep, MVM_AUDIT_IO, 0, "%s: %s", dir, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < nseg; i++) {
		if (segs[i] == h.segment) {
			s = report(rep, MVM_AUDIT_TORN, h.seq + 1, "a rotation to segment %llu did not finish",
				   (unsigned long long)h.segment + 1);
			goto out;
		}
		if (segs[i] != i + 1) {
			s = report(rep, MVM_AUDIT_BROKEN_CHAIN, 0, "rotated segment %zu is missing", i + 1);
			goto out;
		}
	}
	if (nseg != h.segment - 1) {
		s = report(rep, MVM_AUDIT_BROKEN_CHAIN, 0, "rotated segment %zu is missing", nseg + 1);
		goto out;
	}
	if (!exists(live)) {
		s = report(rep, MVM_AUDIT_MISSING, 0, "%s is missing but its head exists (seq %llu)", live,
			   (unsigned long long)h.seq);
		goto out;
	}
	rep->segments = (unsigned)h.segment;
	for (uint64_t sg = 1; sg <= h.segment; sg++) {
		char path[PATH_MAX], name[96];
		bool is_live = sg == h.segment;
		if (is_live)
			snprintf(name, sizeof(name), "%s.jsonl", tenant);
		else
			segment_name(name, sizeof(name), tenant, sg);
		mvm_pathf(path, "%s/%s", dir, name);
		uint64_t size = 0;
		s = walk_segment(&w, path, name, sg, sg == 1, is_live, is_live ? h.size : UINT64_MAX, &size);
		if (s != MVM_AUDIT_CLEAN)
			goto out;
		if (!is_live) {
			struct stat st;
			if (stat(path, &st) < 0 || (uint64_t)st.st_size != size) {
				s = report(rep, MVM_AUDIT_TRUNCATED, w.next_seq, "%s ends inside an entry", name);
				goto out;
			}
			memcpy(w.prev_file, name, sizeof(w.prev_file));
			w.prev_size = size;
		} else if (size < h.size || w.next_seq - 1 < h.seq) {
			s = report(rep, MVM_AUDIT_TRUNCATED, w.next_seq,
				   "the log ends at seq %llu (byte %llu) but its head says seq %llu (byte %llu)",
				   (unsigned long long)(w.next_seq - 1), (unsigned long long)size, (unsigned long long)h.seq,
				   (unsigned long long)h.size);
			goto out;
		} else if (w.next_seq - 1 != h.seq || strcmp(w.prev, h.hash) != 0) {
			s = report(rep, MVM_AUDIT_TAMPERED, h.seq, "the last entry does not match the signed head");
			goto out;
		} else {
			struct stat st;
			if (stat(path, &st) == 0 && (uint64_t)st.st_size > h.size) {
				s = report(rep, MVM_AUDIT_TORN, h.seq + 1, "%llu byte(s) beyond the head: an append did not finish",
					   (unsigned long long)((uint64_t)st.st_size - h.size));
				goto out;
			}
		}
	}
	s = report(rep, MVM_AUDIT_CLEAN, 0, "%llu entries in %llu segment(s) verified", (unsigned long long)rep->entries,
		   (unsigned long long)h.segment);
out:
	free(hb);
	free(segs);
	if (lfd >= 0)
		close(lfd);
	return s;
}

int mvm_audit_verify(const char *dir, const char *tenant, const struct mvm_trust *t, struct mvm_audit_report *rep)
{
	enum mvm_audit_status s = verify_log(dir, tenant, t, rep);
	return s == MVM_AUDIT_CLEAN ? 0 : s == MVM_AUDIT_IO ? -EIO : -EBADMSG;
}

int mvm_audit_each_line(const char *dir, const char *tenant, int (*fn)(void *ctx, const char *line, size_t len),
			void *ctx)
{
	uint64_t *segs;
	size_t nseg;
	int r = list_segments(dir, tenant, &segs, &nseg);
	if (r)
		return r;
	for (size_t i = 0; i <= nseg && !r; i++) {
		char path[PATH_MAX];
		if (i < nseg)
			segment_path(path, dir, tenant, segs[i]);
		else
			file_path(path, dir, tenant, ".jsonl");
		FILE *f = fopen(path, "re");
		if (!f) {
			r = -errno;
			break;
		}
		char *line = malloc(MAX_LINE + 1);
		size_t n;
		int got;
		if (!line)
			r = -ENOMEM;
		while (!r && (got = read_line(f, line, &n)) != 0)
			if (got < 0)
				r = -EBADMSG; /* a line longer than any entry: `mvm audit verify` says more */
			else if (line[n - 1] == '\n')
				r = fn(ctx, line, n - 1);
		free(line);
		fclose(f);
	}
	free(segs);
	return r;
}

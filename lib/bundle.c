#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "canon_json.h"

static const char *const reject_names[MVM_REJECT_COUNT] = {
	[MVM_REJECT_NONE] = "none",
	[MVM_REJECT_IO] = "io",
	[MVM_REJECT_MALFORMED] = "malformed",
	[MVM_REJECT_WRONG_TYPE] = "wrong-type",
	[MVM_REJECT_UNKNOWN_KEY] = "unknown-key",
	[MVM_REJECT_WRONG_ROLE] = "wrong-role",
	[MVM_REJECT_TRUST_STORE] = "trust-store",
	[MVM_REJECT_BAD_SIGNATURE] = "bad-signature",
	[MVM_REJECT_NEWER_SCHEMA] = "newer-schema",
	[MVM_REJECT_UNKNOWN_FIELD] = "unknown-field",
	[MVM_REJECT_NOT_YET_VALID] = "not-yet-valid",
	[MVM_REJECT_EXPIRED] = "expired",
	[MVM_REJECT_INVERTED_WINDOW] = "inverted-window",
	[MVM_REJECT_WINDOW_TOO_LONG] = "window-too-long",
	[MVM_REJECT_PLAN_MISMATCH] = "plan-mismatch",
	[MVM_REJECT_ARTIFACT_MISSING] = "artifact-missing",
	[MVM_REJECT_ARTIFACT_DIGEST] = "artifact-digest",
	[MVM_REJECT_UNEXPECTED_FILE] = "unexpected-file",
	[MVM_REJECT_INTENT_CEILING] = "intent-ceiling",
	[MVM_REJECT_BUNDLE_MISMATCH] = "bundle-mismatch",
	[MVM_REJECT_TENANT_MISMATCH] = "tenant-mismatch",
	[MVM_REJECT_REPLAY] = "replay",
	[MVM_REJECT_NONCE_STORE] = "nonce-store",
	[MVM_REJECT_AUDIT] = "audit",
	[MVM_REJECT_NO_HOST_KEY] = "no-host-key",
};

const char *mvm_reject_name(enum mvm_reject r)
{
	return (unsigned)r < MVM_REJECT_COUNT && reject_names[r] ? reject_names[r] : "unknown";
}

int mvm_refuse(struct mvm_verdict *v, enum mvm_reject reason, const char *fmt, ...)
{
	if (v) {
		v->reason = reason;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
		va_end(ap);
	}
	return -EPERM;
}

/* ---- plan.json schema ---- */

struct walk {
	struct mvm_arena *a;
	struct mvm_verdict *v;
};

static int unknown(struct walk *w, const struct mvm_cj *obj, const char *where, const char *const *allowed)
{
	if (obj->kind != MVM_CJ_OBJECT)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: %s is not an object", where);
	const char *k = mvm_cj_unknown_key(obj, allowed);
	if (k)
		return mvm_refuse(w->v, MVM_REJECT_UNKNOWN_FIELD, "plan: unknown field '%s%s%s'", where, *where ? "." : "", k);
	return 0;
}

static int get_str(struct walk *w, const struct mvm_cj *obj, const char *key, bool required, const char **out)
{
	const struct mvm_cj *v = mvm_cj_get(obj, key);
	*out = NULL;
	if (!v)
		return required ? mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: missing '%s'", key) : 0;
	if (v->kind != MVM_CJ_STRING)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: '%s' is not a string", key);
	*out = v->str;
	return 0;
}

static int get_int(struct walk *w, const struct mvm_cj *obj, const char *key, bool required, int64_t *out, bool *has)
{
	const struct mvm_cj *v = mvm_cj_get(obj, key);
	if (has)
		*has = v != NULL;
	if (!v)
		return required ? mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: missing '%s'", key) : 0;
	if (v->kind != MVM_CJ_INT)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: '%s' is not an integer", key);
	*out = v->i;
	return 0;
}

static int str_list(struct walk *w, const struct mvm_cj *arr, const char *where, size_t *n, const char ***out)
{
	if (!arr || arr->kind != MVM_CJ_ARRAY)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: '%s' is not a list", where);
	const char **l = mvm_arena_array(w->a, arr->n ? arr->n : 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < arr->n; i++) {
		if (arr->val[i]->kind != MVM_CJ_STRING)
			return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: '%s' holds a non-string", where);
		l[i] = arr->val[i]->str;
	}
	*n = arr->n;
	if (out)
		*out = l;
	return 0;
}

static int str_map(struct walk *w, const struct mvm_cj *obj, const char *where, size_t *n, const char ***keys,
		   const char ***vals)
{
	if (!obj || obj->kind != MVM_CJ_OBJECT)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: '%s' is not an object", where);
	const char **vs = mvm_arena_array(w->a, obj->n ? obj->n : 1, sizeof(*vs));
	if (!vs)
		return -ENOMEM;
	for (size_t i = 0; i < obj->n; i++) {
		if (obj->val[i]->kind != MVM_CJ_STRING)
			return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: '%s.%s' is not a string", where, obj->key[i]);
		vs[i] = obj->val[i]->str;
	}
	*n = obj->n;
	*keys = obj->key;
	*vals = vs;
	return 0;
}

static bool artifact_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '.' || !strcmp(s, MVM_BUNDLE_PLAN) || !strcmp(s, MVM_BUNDLE_ENVELOPE))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static bool digest_ok(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != MVM_DIGEST_STRLEN - 1)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int parse_network(struct walk *w, const struct mvm_cj *net, struct mvm_plan *p)
{
	static const char *const net_keys[] = { "egress", NULL };
	static const char *const eg_keys[] = { "allow", "resolver", NULL };
	static const char *const rule_keys[] = { "cidr", "host", "ports", "proto", NULL };
	int r;
	if (!net)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: missing 'network'");
	if ((r = unknown(w, net, "network", net_keys)))
		return r;
	const struct mvm_cj *eg = mvm_cj_get(net, "egress");
	if (!eg)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: missing 'network.egress'");
	if (eg->kind == MVM_CJ_STRING) {
		if (strcmp(eg->str, "none") != 0)
			return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: network.egress is '%s'", eg->str);
		return 0;
	}
	if ((r = unknown(w, eg, "network.egress", eg_keys)))
		return r;
	const char *resolver;
	if ((r = get_str(w, eg, "resolver", false, &resolver)))
		return r;
	const struct mvm_cj *allow = mvm_cj_get(eg, "allow");
	if (!allow || allow->kind != MVM_CJ_ARRAY)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: network.egress.allow is not a list");
	for (size_t i = 0; i < allow->n; i++) {
		const struct mvm_cj *rule = allow->val[i];
		const char *host, *cidr, *proto;
		if ((r = unknown(w, rule, "network.egress.allow[]", rule_keys)) ||
		    (r = get_str(w, rule, "host", false, &host)) || (r = get_str(w, rule, "cidr", false, &cidr)) ||
		    (r = get_str(w, rule, "proto", true, &proto)))
			return r;
		if (!host == !cidr)
			return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: an egress rule needs exactly one of host, cidr");
		size_t np;
		const struct mvm_cj *ports = mvm_cj_get(rule, "ports");
		if (ports && (r = str_list(w, ports, "network.egress.allow[].ports", &np, NULL)))
			return r;
	}
	p->egress = true;
	p->negress_rules = allow->n;
	p->egress_resolver = resolver != NULL;
	return 0;
}

static int parse_process_fs(struct walk *w, const struct mvm_cj *root, struct mvm_plan *p)
{
	static const char *const proc_keys[] = { "capabilities", "gid", "uid", NULL };
	static const char *const fs_keys[] = { "root", "rootfs", "shares", NULL };
	static const char *const share_keys[] = { "guest", "host", "mode", NULL };
	static const char *const sec_keys[] = { "release", NULL };
	static const char *const adm_keys[] = { "valid_for_s", NULL };
	const struct mvm_cj *proc = mvm_cj_get(root, "process"), *fs = mvm_cj_get(root, "filesystem"),
			    *sec = mvm_cj_get(root, "secrets"), *adm = mvm_cj_get(root, "admission");
	const char *s;
	size_t n;
	int r;
	if (!proc || !fs || !sec || !adm)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: missing process, filesystem, secrets or admission");
	if ((r = unknown(w, proc, "process", proc_keys)) || (r = get_int(w, proc, "uid", true, &p->uid, NULL)) ||
	    (r = get_int(w, proc, "gid", true, &p->gid, NULL)) ||
	    (r = str_list(w, mvm_cj_get(proc, "capabilities"), "process.capabilities", &n, NULL)))
		return r;
	if ((r = unknown(w, fs, "filesystem", fs_keys)) || (r = get_str(w, fs, "root", true, &s)) ||
	    (r = get_str(w, fs, "rootfs", false, &s)))
		return r;
	const struct mvm_cj *shares = mvm_cj_get(fs, "shares");
	if (!shares || shares->kind != MVM_CJ_ARRAY)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: filesystem.shares is not a list");
	for (size_t i = 0; i < shares->n; i++)
		if ((r = unknown(w, shares->val[i], "filesystem.shares[]", share_keys)) ||
		    (r = get_str(w, shares->val[i], "host", true, &s)) || (r = get_str(w, shares->val[i], "guest", true, &s)) ||
		    (r = get_str(w, shares->val[i], "mode", true, &s)))
			return r;
	if ((r = unknown(w, sec, "secrets", sec_keys)) || (r = get_str(w, sec, "release", true, &p->secrets)))
		return r;
	if (strcmp(p->secrets, "none") && strcmp(p->secrets, "plan-bound") && strcmp(p->secrets, "attestation-bound"))
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: secrets.release '%s' is not known", p->secrets);
	if ((r = unknown(w, adm, "admission", adm_keys)) || (r = get_int(w, adm, "valid_for_s", true, &p->valid_for_s, NULL)))
		return r;
	if (p->valid_for_s < 0 || p->valid_for_s > MVM_TIME_MAX)
		return mvm_refuse(w->v, MVM_REJECT_MALFORMED, "plan: admission.valid_for_s is negative");
	return 0;
}

int mvm_plan_parse(struct mvm_arena *a, const char *bytes, size_t len, struct mvm_plan *p, struct mvm_verdict *v)
{
	static const char *const top_keys[] = { "admission", "arch", "artifacts", "compiler", "filesystem", "intent",
						"labels", "name", "network", "not_after", "not_before", "process",
						"schema", "secrets", "tier", "tools", NULL };
	struct walk w = { a, v };
	struct mvm_cj *root;
	char jerr[160];
	int r = mvm_cj_parse(a, bytes, len, &root, jerr, sizeof(jerr));
	memset(p, 0, sizeof(*p));
	if (r == -ENOMEM)
		return mvm_refuse(v, MVM_REJECT_IO, "out of memory");
	if (r)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "plan is not canonical JSON: %s", jerr);
	if (root->kind != MVM_CJ_OBJECT)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "plan is not an object");
	/* The schema first: a newer plan is refused as newer, whatever fields it has. */
	if ((r = get_int(&w, root, "schema", true, &p->schema, NULL)))
		return r;
	if (p->schema > MVM_PLAN_SCHEMA)
		return mvm_refuse(v, MVM_REJECT_NEWER_SCHEMA, "plan schema %lld is newer than this runtime's %d",
				  (long long)p->schema, MVM_PLAN_SCHEMA);
	if (p->schema < 1)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "plan schema %lld is not valid", (long long)p->schema);
	if ((r = unknown(&w, root, "", top_keys)))
		return r;
	bool has_nb, has_na;
	size_t ntools;
	if ((r = get_str(&w, root, "name", true, &p->name)) || (r = get_str(&w, root, "compiler", true, &p->compiler)) ||
	    (r = get_str(&w, root, "intent", false, &p->intent)) || (r = get_str(&w, root, "tier", false, &p->tier)) ||
	    (r = get_int(&w, root, "not_before", false, &p->not_before, &has_nb)) ||
	    (r = get_int(&w, root, "not_after", false, &p->not_after, &has_na)) ||
	    (r = str_list(&w, mvm_cj_get(root, "arch"), "arch", &p->narch, &p->arch)) ||
	    (r = str_list(&w, mvm_cj_get(root, "tools"), "tools", &ntools, NULL)) ||
	    (r = str_map(&w, mvm_cj_get(root, "artifacts"), "artifacts", &p->nartifact, &p->artifact_name,
			 &p->artifact_digest)) ||
	    (r = str_map(&w, mvm_cj_get(root, "labels"), "labels", &p->nlabel, &p->label_key, &p->label_value)) ||
	    (r = parse_network(&w, mvm_cj_get(root, "network"), p)) || (r = parse_process_fs(&w, root, p)))
		return r;
	if (has_nb != has_na)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "plan has only one of not_before, not_after");
	if (has_nb && (p->not_before < 0 || p->not_before > MVM_TIME_MAX || p->not_after < 0 || p->not_after > MVM_TIME_MAX))
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "plan: not_before/not_after out of range");
	p->has_validity = has_nb;
	for (size_t i = 0; i < p->nartifact; i++) {
		if (!artifact_name_ok(p->artifact_name[i]))
			return mvm_refuse(v, MVM_REJECT_MALFORMED, "plan: artifact name '%s' is not a plain file name",
					  p->artifact_name[i]);
		if (!digest_ok(p->artifact_digest[i]))
			return mvm_refuse(v, MVM_REJECT_MALFORMED, "plan: digest of '%s' is not sha256:<64 hex>",
					  p->artifact_name[i]);
	}
	const struct mvm_cj *labels = mvm_cj_get(root, "labels");
	p->labels_json = bytes + labels->off;
	p->labels_json_len = labels->end - labels->off;
	return 0;
}

/* ---- bundle ---- */

static int check_window(const struct mvm_plan *p, const struct mvm_clock *c, struct mvm_verdict *v)
{
	if (!p->has_validity)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "bundle plan has no not_before/not_after");
	if (p->not_after <= p->not_before)
		return mvm_refuse(v, MVM_REJECT_INVERTED_WINDOW, "bundle not_after %lld is not after not_before %lld",
				  (long long)p->not_after, (long long)p->not_before);
	if (c->now + c->skew_s < p->not_before)
		return mvm_refuse(v, MVM_REJECT_NOT_YET_VALID, "bundle is valid from %lld; now is %lld",
				  (long long)p->not_before, (long long)c->now);
	if (c->now - c->skew_s >= p->not_after)
		return mvm_refuse(v, MVM_REJECT_EXPIRED, "bundle expired at %lld; now is %lld", (long long)p->not_after,
				  (long long)c->now);
	return 0;
}

static int lookup_signer(const struct mvm_trust *t, const char *keyid, struct mvm_pubkey *out, struct mvm_verdict *v)
{
	enum mvm_trust_state st;
	char err[200];
	int r = mvm_trust_lookup(t, MVM_ROLE_PUBLISHER, keyid, MVM_TRUST_ACTIVE, out, &st, err, sizeof(err));
	switch (r) {
	case 0: return 0;
	case -ENOKEY: return mvm_refuse(v, MVM_REJECT_UNKNOWN_KEY, "bundle signed by %s: %s", keyid, err);
	case -EKEYREJECTED: return mvm_refuse(v, MVM_REJECT_WRONG_ROLE, "bundle signed by %s: %s", keyid, err);
	default: return mvm_refuse(v, MVM_REJECT_TRUST_STORE, "%s", err[0] ? err : strerror(-r));
	}
}

int mvm_bundle_verify(const struct mvm_bundle_input *in, const struct mvm_trust *t, const struct mvm_clock *c,
		      struct mvm_bundle *b, struct mvm_verdict *v)
{
	char err[200];
	memset(b, 0, sizeof(*b));
	mvm_arena_init(&b->arena, 256u << 20);
	v->reason = MVM_REJECT_NONE;
	v->detail[0] = 0;
	if (sodium_init() < 0)
		return mvm_refuse(v, MVM_REJECT_IO, "libsodium cannot initialise");
	int r = mvm_dsse_parse(&b->arena, in->envelope, in->envelope_len, &b->env, err, sizeof(err));
	if (r)
		return mvm_refuse(v, r == -ENOMEM ? MVM_REJECT_IO : MVM_REJECT_MALFORMED, "%s: %s", MVM_BUNDLE_ENVELOPE, err);
	if (strcmp(b->env.payload_type, MVM_TYPE_PLAN) != 0)
		return mvm_refuse(v, MVM_REJECT_WRONG_TYPE, "payloadType is '%s', expected '%s'", b->env.payload_type,
				  MVM_TYPE_PLAN);
	if ((r = lookup_signer(t, b->env.keyid, &b->signer, v)))
		return r;
	if (mvm_dsse_verify(&b->env, &b->signer))
		return mvm_refuse(v, MVM_REJECT_BAD_SIGNATURE, "the signature by %s does not match the bundle", b->env.keyid);
	if ((r = mvm_plan_parse(&b->arena, (const char *)b->env.payload, b->env.payload_len, &b->plan, v)))
		return r;
	if ((r = check_window(&b->plan, c, v)))
		return r;
	mvm_sha256_str(in->envelope, in->envelope_len, b->digest);
	mvm_sha256_str(b->env.payload, b->env.payload_len, b->plan_digest);

	/* Every file must be plan.json (equal to the payload) or a listed artifact. */
	bool plan_seen = false;
	for (size_t i = 0; i < in->nfile; i++) {
		const struct mvm_named_bytes *f = &in->file[i];
		if (strcmp(f->name, MVM_BUNDLE_PLAN) == 0) {
			if (f->len != b->env.payload_len || memcmp(f->data, b->env.payload, f->len) != 0)
				return mvm_refuse(v, MVM_REJECT_PLAN_MISMATCH, "plan.json differs from the signed payload");
			plan_seen = true;
			continue;
		}
		bool listed = false;
		for (size_t k = 0; k < b->plan.nartifact && !listed; k++)
			listed = strcmp(b->plan.artifact_name[k], f->name) == 0;
		if (!listed)
			return mvm_refuse(v, MVM_REJECT_UNEXPECTED_FILE, "'%s' is not listed in the signed plan", f->name);
	}
	if (!plan_seen)
		return mvm_refuse(v, MVM_REJECT_PLAN_MISMATCH, "plan.json is missing");
	for (size_t k = 0; k < b->plan.nartifact; k++) {
		const struct mvm_named_bytes *f = NULL;
		for (size_t i = 0; i < in->nfile && !f; i++)
			if (strcmp(in->file[i].name, b->plan.artifact_name[k]) == 0)
				f = &in->file[i];
		if (!f)
			return mvm_refuse(v, MVM_REJECT_ARTIFACT_MISSING, "artifact '%s' is missing", b->plan.artifact_name[k]);
		char dig[MVM_DIGEST_STRLEN];
		mvm_sha256_str(f->data, f->len, dig);
		if (sodium_memcmp(dig, b->plan.artifact_digest[k], MVM_DIGEST_STRLEN - 1) != 0)
			return mvm_refuse(v, MVM_REJECT_ARTIFACT_DIGEST, "artifact '%s' has %s, the plan says %s",
					  f->name, dig, b->plan.artifact_digest[k]);
	}
	b->envelope = in->envelope;
	b->envelope_len = in->envelope_len;
	b->file = mvm_arena_array(&b->arena, in->nfile ? in->nfile : 1, sizeof(*b->file));
	if (!b->file)
		return mvm_refuse(v, MVM_REJECT_IO, "out of memory");
	memcpy(b->file, in->file, in->nfile * sizeof(*b->file));
	b->nfile = in->nfile;
	return 0;
}

void mvm_bundle_free(struct mvm_bundle *b)
{
	if (b->owned) {
		free((void *)b->envelope);
		for (size_t i = 0; i < b->nfile; i++) {
			free((void *)b->file[i].name);
			free((void *)b->file[i].data);
		}
	}
	mvm_arena_free(&b->arena);
	memset(b, 0, sizeof(*b));
}

const struct mvm_named_bytes *mvm_bundle_file(const struct mvm_bundle *b, const char *name)
{
	for (size_t i = 0; i < b->nfile; i++)
		if (strcmp(b->file[i].name, name) == 0)
			return &b->file[i];
	return NULL;
}

static void free_files(struct mvm_named_bytes *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)f[i].name);
		free((void *)f[i].data);
	}
}

int mvm_bundle_load_dir(const char *dir, const struct mvm_trust *t, const struct mvm_clock *c, struct mvm_bundle *out,
			struct mvm_verdict *v)
{
	struct mvm_named_bytes files[MVM_BUNDLE_MAX_FILES];
	size_t nfile = 0;
	char *env = NULL;
	size_t envlen = 0;
	int r = 0;
	memset(out, 0, sizeof(*out));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		mvm_arena_init(&out->arena, 0);
		return mvm_refuse(v, MVM_REJECT_IO, "%s: %s", dir, strerror(-r)), r;
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		mvm_arena_init(&out->arena, 0);
		return mvm_refuse(v, MVM_REJECT_IO, "%s: %s", dir, strerror(-r)), r;
	}
	struct dirent *e;
	while ((e = readdir(d)) && !r) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
			r = mvm_refuse(v, MVM_REJECT_UNEXPECTED_FILE, "'%s' is not a regular file", e->d_name);
			break;
		}
		char *data;
		size_t len;
		bool is_env = strcmp(e->d_name, MVM_BUNDLE_ENVELOPE) == 0;
		if (!is_env && nfile == MVM_BUNDLE_MAX_FILES) {
			r = mvm_refuse(v, MVM_REJECT_UNEXPECTED_FILE, "more than %d files", MVM_BUNDLE_MAX_FILES);
			break;
		}
		int rr = mvm_read_small_fileat(dfd, e->d_name, is_env ? MVM_DSSE_MAX_BYTES : MVM_BUNDLE_MAX_FILE_BYTES,
					       &data, &len);
		if (rr) {
			r = mvm_refuse(v, MVM_REJECT_IO, "%s/%s: %s", dir, e->d_name, strerror(-rr));
			break;
		}
		if (is_env) {
			env = data;
			envlen = len;
			continue;
		}
		char *name = strdup(e->d_name);
		if (!name) {
			free(data);
			r = mvm_refuse(v, MVM_REJECT_IO, "out of memory");
			break;
		}
		files[nfile++] = (struct mvm_named_bytes){ name, (const uint8_t *)data, len };
	}
	closedir(d);
	if (!r && !env)
		r = mvm_refuse(v, MVM_REJECT_MALFORMED, "%s/%s is missing (not a signed bundle)", dir, MVM_BUNDLE_ENVELOPE);
	if (r) {
		free(env);
		free_files(files, nfile);
		mvm_arena_init(&out->arena, 0);
		return r;
	}
	struct mvm_bundle_input in = { env, envlen, nfile, files };
	r = mvm_bundle_verify(&in, t, c, out, v);
	if (r || !out->file) {
		/* out does not own the bytes yet */
		free(env);
		free_files(files, nfile);
		out->nfile = 0;
		out->envelope = NULL;
		return r ? r : -ENOMEM;
	}
	out->owned = true;
	return 0;
}

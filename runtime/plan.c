/* Execution plans: one per launch, signed by a host key, binding a bundle digest, a tenant, a
 * random nonce and a short validity window. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../lib/canon_json.h"
#include "../lib/dsse.h"
#include "runtime.h"

#define EXEC_PLAN_SCHEMA 1

int mvm_exec_plan_issue(const struct mvm_seckey *host, const struct mvm_bundle *b, const char *bundle_path,
			const char *tenant, int64_t now, int64_t valid_for, const struct mvm_plan_policy *pol,
			struct mvm_buf *out, char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return -EIO;
	if (host->pub.role != MVM_ROLE_HOST) {
		snprintf(err, errlen, "execution plans are signed with a host key, not a %s key", mvm_role_name(host->pub.role));
		return -EINVAL;
	}
	if (valid_for < 1 || valid_for > pol->max_window_s) {
		snprintf(err, errlen, "a plan window of %llds is outside 1..%llds (the maximum window)", (long long)valid_for,
			 (long long)pol->max_window_s);
		return -EINVAL;
	}
	if (!mvm_tenant_valid(tenant)) {
		snprintf(err, errlen, "tenant '%s' is not a valid name", tenant);
		return -EINVAL;
	}
	int64_t until = now + valid_for;
	if (b->plan.has_validity && until > b->plan.not_after)
		until = b->plan.not_after; /* a plan never outlives its bundle */
	uint8_t nonce[MVM_NONCE_BYTES];
	char nonce_hex[2 * MVM_NONCE_BYTES + 1];
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(nonce_hex, sizeof(nonce_hex), nonce, sizeof(nonce));

	struct mvm_buf payload = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &payload);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "bundle");
	mvm_cjw_str(&w, b->digest);
	if (bundle_path) {
		mvm_cjw_key(&w, "bundle_path");
		mvm_cjw_str(&w, bundle_path);
	}
	mvm_cjw_key(&w, "issued_at");
	mvm_cjw_int(&w, now);
	mvm_cjw_key(&w, "nonce");
	mvm_cjw_str(&w, nonce_hex);
	mvm_cjw_key(&w, "plan");
	mvm_cjw_str(&w, b->plan_digest);
	mvm_cjw_key(&w, "schema");
	mvm_cjw_int(&w, EXEC_PLAN_SCHEMA);
	mvm_cjw_key(&w, "tenant");
	mvm_cjw_str(&w, tenant);
	mvm_cjw_key(&w, "valid_from");
	mvm_cjw_int(&w, now);
	mvm_cjw_key(&w, "valid_until");
	mvm_cjw_int(&w, until);
	mvm_cjw_end_object(&w);
	int r = mvm_cjw_finish(&w);
	if (r)
		snprintf(err, errlen, "cannot write the plan (bundle path not UTF-8?)");
	else if ((r = mvm_dsse_sign_envelope(host, MVM_TYPE_EXEC_PLAN, payload.data, payload.len, out)))
		snprintf(err, errlen, "cannot sign the plan: %s", strerror(-r));
	mvm_buf_free(&payload);
	return r;
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

static int need(const struct mvm_cj *root, const char *key, enum mvm_cj_kind kind, const struct mvm_cj **out,
		struct mvm_verdict *v)
{
	*out = mvm_cj_get(root, key);
	if (!*out || (*out)->kind != kind)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan: '%s' is missing or of the wrong type", key);
	return 0;
}

int mvm_exec_plan_verify(struct mvm_arena *a, const char *bytes, size_t len, const struct mvm_trust *t,
			 struct mvm_exec_plan *p, struct mvm_verdict *v)
{
	static const char *const keys[] = { "bundle", "bundle_path", "issued_at", "nonce", "plan", "schema",
					    "tenant", "valid_from", "valid_until", NULL };
	char err[200];
	struct mvm_dsse env;
	memset(p, 0, sizeof(*p));
	int r = mvm_dsse_parse(a, bytes, len, &env, err, sizeof(err));
	if (r)
		return mvm_refuse(v, r == -ENOMEM ? MVM_REJECT_IO : MVM_REJECT_MALFORMED, "execution plan: %s", err);
	if (strcmp(env.payload_type, MVM_TYPE_EXEC_PLAN) != 0)
		return mvm_refuse(v, MVM_REJECT_WRONG_TYPE, "execution plan: payloadType is '%s'", env.payload_type);
	enum mvm_trust_state st;
	r = mvm_trust_lookup(t, MVM_ROLE_HOST, env.keyid, MVM_TRUST_ACTIVE, &p->signer, &st, err, sizeof(err));
	if (r == -ENOKEY)
		return mvm_refuse(v, MVM_REJECT_UNKNOWN_KEY, "execution plan signed by %s: %s", env.keyid, err);
	if (r == -EKEYREJECTED)
		return mvm_refuse(v, MVM_REJECT_WRONG_ROLE, "execution plan signed by %s: %s", env.keyid, err);
	if (r)
		return mvm_refuse(v, MVM_REJECT_TRUST_STORE, "%s", err);
	if (mvm_dsse_verify(&env, &p->signer))
		return mvm_refuse(v, MVM_REJECT_BAD_SIGNATURE, "the execution plan's signature does not verify");

	struct mvm_cj *root;
	if ((r = mvm_cj_parse(a, (const char *)env.payload, env.payload_len, &root, err, sizeof(err))))
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan payload: %s", err);
	if (root->kind != MVM_CJ_OBJECT)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan payload is not an object");
	const struct mvm_cj *schema, *bundle, *plan, *nonce, *tenant, *issued, *from, *until;
	if ((r = need(root, "schema", MVM_CJ_INT, &schema, v)))
		return r;
	if (schema->i > EXEC_PLAN_SCHEMA)
		return mvm_refuse(v, MVM_REJECT_NEWER_SCHEMA, "execution plan schema %lld is newer than %d",
				  (long long)schema->i, EXEC_PLAN_SCHEMA);
	if (schema->i < 1)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan schema %lld is not valid", (long long)schema->i);
	const char *unknown = mvm_cj_unknown_key(root, keys);
	if (unknown)
		return mvm_refuse(v, MVM_REJECT_UNKNOWN_FIELD, "execution plan: unknown field '%s'", unknown);
	if ((r = need(root, "bundle", MVM_CJ_STRING, &bundle, v)) || (r = need(root, "plan", MVM_CJ_STRING, &plan, v)) ||
	    (r = need(root, "nonce", MVM_CJ_STRING, &nonce, v)) || (r = need(root, "tenant", MVM_CJ_STRING, &tenant, v)) ||
	    (r = need(root, "issued_at", MVM_CJ_INT, &issued, v)) ||
	    (r = need(root, "valid_from", MVM_CJ_INT, &from, v)) || (r = need(root, "valid_until", MVM_CJ_INT, &until, v)))
		return r;
	const struct mvm_cj *times[] = { issued, from, until };
	for (size_t i = 0; i < 3; i++)
		if (times[i]->i < 0 || times[i]->i > MVM_TIME_MAX)
			return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan: a time is out of range");
	const struct mvm_cj *path = mvm_cj_get(root, "bundle_path");
	if (path && path->kind != MVM_CJ_STRING)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan: 'bundle_path' is not a string");
	size_t nlen;
	if (!digest_ok(bundle->str) || !digest_ok(plan->str))
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan: a digest is not sha256:<64 hex>");
	if (nonce->n != 2 * MVM_NONCE_BYTES ||
	    sodium_hex2bin(p->nonce, sizeof(p->nonce), nonce->str, nonce->n, NULL, &nlen, NULL) != 0 ||
	    nlen != MVM_NONCE_BYTES || strspn(nonce->str, "0123456789abcdef") != nonce->n)
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan: nonce is not 64 lower-case hex digits");
	if (!mvm_tenant_valid(tenant->str))
		return mvm_refuse(v, MVM_REJECT_MALFORMED, "execution plan: tenant is not a valid name");
	memcpy(p->bundle, bundle->str, MVM_DIGEST_STRLEN);
	memcpy(p->plan, plan->str, MVM_DIGEST_STRLEN);
	snprintf(p->tenant, sizeof(p->tenant), "%s", tenant->str);
	p->bundle_path = path ? path->str : NULL;
	p->issued_at = issued->i;
	p->valid_from = from->i;
	p->valid_until = until->i;
	mvm_sha256_str(env.payload, env.payload_len, p->digest);
	return 0;
}

int mvm_exec_plan_check(const struct mvm_exec_plan *p, const struct mvm_bundle *b, const char *tenant,
			const struct mvm_clock *c, const struct mvm_plan_policy *pol, struct mvm_verdict *v)
{
	if (strcmp(p->bundle, b->digest) != 0 || strcmp(p->plan, b->plan_digest) != 0)
		return mvm_refuse(v, MVM_REJECT_BUNDLE_MISMATCH, "the execution plan is for bundle %s, not %s", p->bundle,
				  b->digest);
	if (strcmp(p->tenant, tenant) != 0)
		return mvm_refuse(v, MVM_REJECT_TENANT_MISMATCH, "the execution plan is for tenant '%s', not '%s'", p->tenant,
				  tenant);
	if (p->valid_until <= p->valid_from)
		return mvm_refuse(v, MVM_REJECT_INVERTED_WINDOW, "valid_until %lld is not after valid_from %lld",
				  (long long)p->valid_until, (long long)p->valid_from);
	if (p->valid_until - p->valid_from > pol->max_window_s)
		return mvm_refuse(v, MVM_REJECT_WINDOW_TOO_LONG, "the plan's window of %llds exceeds the maximum of %llds",
				  (long long)(p->valid_until - p->valid_from), (long long)pol->max_window_s);
	if (c->now + c->skew_s < p->valid_from)
		return mvm_refuse(v, MVM_REJECT_NOT_YET_VALID, "the plan is valid from %lld; now is %lld",
				  (long long)p->valid_from, (long long)c->now);
	if (c->now - c->skew_s >= p->valid_until)
		return mvm_refuse(v, MVM_REJECT_EXPIRED, "the plan expired at %lld; now is %lld", (long long)p->valid_until,
				  (long long)c->now);
	return 0;
}

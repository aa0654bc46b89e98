#include "dsse.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon_json.h"

void mvm_dsse_pae(struct mvm_buf *out, const char *type, const void *body, size_t len)
{
	mvm_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len);
	mvm_buf_put(out, body, len);
}

int mvm_sign_typed(const struct mvm_seckey *k, const char *type, const void *body, size_t len,
		   uint8_t sig[MVM_SIG_BYTES])
{
	if (sodium_init() < 0)
		return -EIO;
	struct mvm_buf pae = { 0 };
	mvm_dsse_pae(&pae, type, body, len);
	if (pae.oom) {
		mvm_buf_free(&pae);
		return -ENOMEM;
	}
	crypto_sign_ed25519_detached(sig, NULL, (const unsigned char *)pae.data, pae.len, k->sk);
	mvm_buf_free(&pae);
	return 0;
}

int mvm_verify_typed(const struct mvm_pubkey *k, const char *type, const void *body, size_t len,
		     const uint8_t sig[MVM_SIG_BYTES])
{
	if (sodium_init() < 0)
		return -EIO;
	struct mvm_buf pae = { 0 };
	mvm_dsse_pae(&pae, type, body, len);
	int r = pae.oom ? -ENOMEM
			: crypto_sign_ed25519_verify_detached(sig, (const unsigned char *)pae.data, pae.len, k->pk) == 0
			? 0
			: -EBADMSG;
	mvm_buf_free(&pae);
	return r;
}

void mvm_b64_put(struct mvm_buf *b, const void *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *tmp = malloc(n);
	if (!tmp) {
		b->oom = true;
		return;
	}
	sodium_bin2base64(tmp, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	mvm_buf_put(b, tmp, n - 1);
	free(tmp);
}

/* libsodium 1.0.18 decodes some bytes outside the alphabet (0x80 and up) as if they were
 * digits: "\xc3\xa9" reads as "//". Only the alphabet and padding may reach it. */
static bool b64_alphabet(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		      c == '='))
			return false;
	}
	return true;
}

/* libsodium rejects non-zero padding bits and bad padding; with the alphabet and length checks
 * below, a single text is accepted per byte string. */
int mvm_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t want)
{
	size_t got;
	const char *end;
	if (len != sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL) - 1 || !b64_alphabet(s, len))
		return -EINVAL;
	if (sodium_base642bin(out, want, s, len, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != want || end != s + len)
		return -EINVAL;
	return 0;
}

int mvm_b64_decode_alloc(struct mvm_arena *a, const char *s, size_t len, uint8_t **out, size_t *outlen)
{
	if (len % 4 || !b64_alphabet(s, len))
		return -EINVAL;
	size_t max = len / 4 * 3;
	uint8_t *buf = mvm_arena_alloc(a, max + 1);
	if (!buf)
		return -ENOMEM;
	size_t got;
	const char *end;
	if (sodium_base642bin(buf, max, s, len, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len || sodium_base64_ENCODED_LEN(got, sodium_base64_VARIANT_ORIGINAL) - 1 != len)
		return -EINVAL;
	buf[got] = 0;
	*out = buf;
	*outlen = got;
	return 0;
}

int mvm_dsse_sign_envelope(const struct mvm_seckey *k, const char *type, const void *payload, size_t len,
			   struct mvm_buf *out)
{
	uint8_t sig[MVM_SIG_BYTES];
	int r = mvm_sign_typed(k, type, payload, len, sig);
	if (r)
		return r;
	struct mvm_buf p64 = { 0 }, s64 = { 0 };
	mvm_b64_put(&p64, payload, len);
	mvm_b64_put(&s64, sig, sizeof(sig));
	struct mvm_cjw w;
	mvm_cjw_init(&w, out);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "payload");
	mvm_cjw_str(&w, p64.data ? p64.data : "");
	mvm_cjw_key(&w, "payloadType");
	mvm_cjw_str(&w, type);
	mvm_cjw_key(&w, "signatures");
	mvm_cjw_begin_array(&w);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "keyid");
	mvm_cjw_str(&w, k->pub.keyid);
	mvm_cjw_key(&w, "sig");
	mvm_cjw_str(&w, s64.data ? s64.data : "");
	mvm_cjw_end_object(&w);
	mvm_cjw_end_array(&w);
	mvm_cjw_end_object(&w);
	r = p64.oom || s64.oom ? -ENOMEM : mvm_cjw_finish(&w);
	mvm_buf_put(out, "\n", 1);
	mvm_buf_free(&p64);
	mvm_buf_free(&s64);
	return r ? r : out->oom ? -ENOMEM : 0;
}

static int bad(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

int mvm_dsse_parse(struct mvm_arena *a, const char *bytes, size_t len, struct mvm_dsse *out, char *err,
		   size_t errlen)
{
	static const char *const env_keys[] = { "payload", "payloadType", "signatures", NULL };
	static const char *const sig_keys[] = { "keyid", "sig", NULL };
	char jerr[160];
	memset(out, 0, sizeof(*out));
	if (len > MVM_DSSE_MAX_BYTES)
		return bad(err, errlen, "envelope too large");
	if (len == 0 || bytes[len - 1] != '\n')
		return bad(err, errlen, "envelope does not end with exactly one newline");
	struct mvm_cj *root;
	int r = mvm_cj_parse(a, bytes, len - 1, &root, jerr, sizeof(jerr));
	if (r == -ENOMEM)
		return r;
	if (r) {
		if (err && errlen)
			snprintf(err, errlen, "envelope is not canonical JSON: %s", jerr);
		return -EINVAL;
	}
	if (root->kind != MVM_CJ_OBJECT)
		return bad(err, errlen, "envelope is not an object");
	const char *unknown = mvm_cj_unknown_key(root, env_keys);
	if (unknown) {
		if (err && errlen)
			snprintf(err, errlen, "envelope has an unknown field '%s'", unknown);
		return -EINVAL;
	}
	const struct mvm_cj *payload = mvm_cj_get(root, "payload"), *type = mvm_cj_get(root, "payloadType"),
			    *sigs = mvm_cj_get(root, "signatures");
	if (!payload || payload->kind != MVM_CJ_STRING || !type || type->kind != MVM_CJ_STRING || !sigs ||
	    sigs->kind != MVM_CJ_ARRAY)
		return bad(err, errlen, "envelope lacks payload, payloadType or signatures");
	if (sigs->n != 1)
		return bad(err, errlen, "envelope must carry exactly one signature");
	const struct mvm_cj *s = sigs->val[0];
	if (s->kind != MVM_CJ_OBJECT || mvm_cj_unknown_key(s, sig_keys))
		return bad(err, errlen, "signature has an unknown field");
	const struct mvm_cj *keyid = mvm_cj_get(s, "keyid"), *sig = mvm_cj_get(s, "sig");
	if (!keyid || keyid->kind != MVM_CJ_STRING || !mvm_keyid_valid(keyid->str))
		return bad(err, errlen, "signature keyid is missing or malformed");
	if (!sig || sig->kind != MVM_CJ_STRING || mvm_b64_decode_exact(sig->str, sig->n, out->sig, MVM_SIG_BYTES))
		return bad(err, errlen, "signature is missing or not canonical base64 of 64 bytes");
	uint8_t *p;
	size_t plen;
	r = mvm_b64_decode_alloc(a, payload->str, payload->n, &p, &plen);
	if (r == -ENOMEM)
		return r;
	if (r)
		return bad(err, errlen, "payload is not canonical base64");
	out->payload_type = type->str;
	out->payload = p;
	out->payload_len = plen;
	memcpy(out->keyid, keyid->str, MVM_KEYID_LEN + 1);
	return 0;
}

int mvm_dsse_verify(const struct mvm_dsse *e, const struct mvm_pubkey *k)
{
	if (strcmp(e->keyid, k->keyid) != 0)
		return -EBADMSG;
	return mvm_verify_typed(k, e->payload_type, e->payload, e->payload_len, e->sig);
}

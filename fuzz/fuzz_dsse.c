/* The DSSE / plan verifier (lib/dsse.c, lib/bundle.c, lib/canon_json.c, runtime/plan.c) on
 * in-memory input. The first byte picks a mode:
 *   0  the rest is bundle.dsse.json as received, followed by the bundle's other files;
 *   1  the rest is a plan.json payload that the harness signs with its trusted publisher key
 *      (so that verification gets past the signature into the plan and artifact checks),
 *      followed by the other files; bit 2 of the mode byte adds plan.json = the payload;
 *   2  the rest is an execution-plan payload the harness signs with its trusted host key;
 *   3  the rest is one canonical JSON value (or a public key file: mvm_pubkey_parse).
 * Files follow the first section as "\n--file NAME\n" + bytes, repeated. Properties: nothing
 * verifies unless the signature is the trusted key's over the exact bytes; a canonical value
 * re-encodes to exactly its bytes (one value, one encoding). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bundle.h"
#include "lib/canon_json.h"
#include "lib/dsse.h"
#include "runtime/runtime.h"
#include "fuzz.h"

#define FILE_SEP "\n--file "
#define MAX_FILES 16
#define NOW 1700000000

static void reencode(struct mvm_cjw *w, const struct mvm_cj *v)
{
	switch (v->kind) {
	case MVM_CJ_OBJECT:
		mvm_cjw_begin_object(w);
		for (size_t i = 0; i < v->n; i++) {
			mvm_cjw_key(w, v->key[i]);
			reencode(w, v->val[i]);
		}
		mvm_cjw_end_object(w);
		break;
	case MVM_CJ_ARRAY:
		mvm_cjw_begin_array(w);
		for (size_t i = 0; i < v->n; i++)
			reencode(w, v->val[i]);
		mvm_cjw_end_array(w);
		break;
	case MVM_CJ_STRING: mvm_cjw_str(w, v->str); break;
	case MVM_CJ_INT: mvm_cjw_int(w, v->i); break;
	}
}

/* Parses text as canonical JSON; if it is, writing the tree back gives the same bytes. */
static void canonical_roundtrip(const char *text, size_t len)
{
	struct mvm_arena a;
	struct mvm_cj *root;
	char err[160];
	mvm_arena_init(&a, 64u << 20);
	if (mvm_cj_parse(&a, text, len, &root, err, sizeof(err)) == 0) {
		FUZZ_CHECK(root->off == 0 && root->end == len);
		struct mvm_buf b = { 0 };
		struct mvm_cjw w;
		mvm_cjw_init(&w, &b);
		reencode(&w, root);
		FUZZ_CHECK(mvm_cjw_finish(&w) == 0);
		FUZZ_CHECK(b.len == len && memcmp(b.data, text, len) == 0);
		mvm_buf_free(&b);
	}
	mvm_arena_free(&a);
}

static void plan_parse(const char *text, size_t len)
{
	struct mvm_arena a;
	struct mvm_plan p;
	struct mvm_verdict v = { 0 };
	mvm_arena_init(&a, 64u << 20);
	int r = mvm_plan_parse(&a, text, len, &p, &v);
	FUZZ_CHECK(r == 0 || v.reason != MVM_REJECT_NONE);
	mvm_arena_free(&a);
}

struct files {
	size_t n, named; /* files; how many names were allocated */
	struct mvm_named_bytes f[MAX_FILES + 1];
	char *name[MAX_FILES + 1];
};

static void take_files(struct fuzz_in *in, struct files *fs)
{
	while (in->n && fs->n < MAX_FILES) {
		const uint8_t *p;
		size_t n;
		fuzz_take_until(in, "\n", &p, &n);
		fs->name[fs->n] = fuzz_dup(p, n);
		fuzz_take_until(in, FILE_SEP, &p, &n);
		fs->f[fs->n] = (struct mvm_named_bytes){ fs->name[fs->n], p, n };
		fs->named = ++fs->n;
	}
}

static void free_files(struct files *fs)
{
	for (size_t i = 0; i < fs->named; i++)
		free(fs->name[i]);
}

static void verify_bundle(const char *env, size_t envlen, const struct files *fs, bool signed_by_us)
{
	const struct mvm_pubkey *pub = &fuzz_key(MVM_ROLE_PUBLISHER)->pub;
	struct mvm_trust t = { .nkey = 1, .key = pub };
	struct mvm_clock c = { NOW, 60 };
	struct mvm_bundle_input in = { env, envlen, fs->n, fs->f };
	struct mvm_bundle b;
	struct mvm_verdict v = { 0 };
	int r = mvm_bundle_verify(&in, &t, &c, &b, &v);
	FUZZ_CHECK(r == 0 || v.reason != MVM_REJECT_NONE);
	if (r == 0) {
		/* verified: the envelope really is our key's signature over the payload it carries */
		FUZZ_CHECK(strcmp(b.env.keyid, pub->keyid) == 0);
		FUZZ_CHECK(mvm_dsse_verify(&b.env, pub) == 0);
		FUZZ_CHECK(mvm_bundle_file(&b, MVM_BUNDLE_PLAN) != NULL);
	} else if (signed_by_us) {
		FUZZ_CHECK(v.reason != MVM_REJECT_BAD_SIGNATURE && v.reason != MVM_REJECT_UNKNOWN_KEY);
	}
	mvm_bundle_free(&b);
}

static void verify_exec_plan(const char *env, size_t envlen, bool signed_by_us)
{
	const struct mvm_pubkey *pub = &fuzz_key(MVM_ROLE_HOST)->pub;
	struct mvm_trust t = { .nkey = 1, .key = pub };
	struct mvm_arena a;
	struct mvm_exec_plan p;
	struct mvm_verdict v = { 0 };
	mvm_arena_init(&a, 64u << 20);
	int r = mvm_exec_plan_verify(&a, env, envlen, &t, &p, &v);
	FUZZ_CHECK(r == 0 || v.reason != MVM_REJECT_NONE);
	if (signed_by_us && r)
		FUZZ_CHECK(v.reason != MVM_REJECT_BAD_SIGNATURE && v.reason != MVM_REJECT_UNKNOWN_KEY);
	mvm_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	struct fuzz_in in = { data + 1, size - 1 };
	const uint8_t *first;
	size_t nfirst;
	fuzz_take_until(&in, FILE_SEP, &first, &nfirst);
	struct files fs = { 0 };
	take_files(&in, &fs);
	const char *text = (const char *)first;
	struct mvm_buf env = { 0 };

	switch (mode & 3) {
	case 0: {
		struct mvm_arena a;
		struct mvm_dsse e;
		char err[160];
		mvm_arena_init(&a, 64u << 20);
		if (mvm_dsse_parse(&a, text, nfirst, &e, err, sizeof(err)) == 0) {
			canonical_roundtrip(text, nfirst - 1); /* the envelope is canonical JSON + "\n" */
			plan_parse((const char *)e.payload, e.payload_len);
		}
		mvm_arena_free(&a);
		verify_bundle(text, nfirst, &fs, false);
		verify_exec_plan(text, nfirst, false);
		break;
	}
	case 1:
		canonical_roundtrip(text, nfirst);
		plan_parse(text, nfirst);
		FUZZ_CHECK(mvm_dsse_sign_envelope(fuzz_key(MVM_ROLE_PUBLISHER), MVM_TYPE_PLAN, first, nfirst, &env) == 0);
		if (mode & 4)
			fs.f[fs.n++] = (struct mvm_named_bytes){ MVM_BUNDLE_PLAN, first, nfirst };
		verify_bundle(env.data, env.len, &fs, true);
		break;
	case 2:
		canonical_roundtrip(text, nfirst);
		FUZZ_CHECK(mvm_dsse_sign_envelope(fuzz_key(MVM_ROLE_HOST), MVM_TYPE_EXEC_PLAN, first, nfirst, &env) == 0);
		verify_exec_plan(env.data, env.len, true);
		/* a host signature never passes for a bundle */
		verify_bundle(env.data, env.len, &fs, false);
		break;
	case 3: {
		canonical_roundtrip(text, nfirst);
		plan_parse(text, nfirst);
		/* a trust store's public key file: exact, so it formats back to the same bytes */
		struct mvm_pubkey k;
		char back[256];
		if (mvm_pubkey_parse(text, nfirst, &k) == 0) {
			FUZZ_CHECK(mvm_pubkey_format(&k, back, sizeof(back)) == 0);
			FUZZ_CHECK(strlen(back) == nfirst && memcmp(back, text, nfirst) == 0);
		}
		break;
	}
	}
	mvm_buf_free(&env);
	free_files(&fs);
	return 0;
}

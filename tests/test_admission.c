/* Admission: the rejection ladder (each refusal named by its reason), exhaustive bit flips
 * of a signed bundle, replay protection across processes and restarts, and concurrency. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/canon_json.h"
#include "runtime/runtime.h"

#ifndef MVM_BUILD_DIR
#define MVM_BUILD_DIR "build"
#endif

#define NFILE_MAX 8

struct fx {
	char dir[64], home[128], state[160], audit[160], bundle_dir[160];
	struct mvm_seckey pub, pub2, host, host2;
	struct mvm_pubkey trusted[2];
	struct mvm_trust trust;
	char *plan;           /* plan.json as built */
	size_t plan_len;
	struct mvm_buf env;   /* bundle.dsse.json signed by pub */
	size_t nfile;
	struct mvm_named_bytes file[NFILE_MAX];
	struct mvm_arena arena;
	struct mvm_stdlib *st;
	int64_t now;
};

static void run(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void sign_plan(struct fx *f, const struct mvm_seckey *k, const char *plan, size_t len, struct mvm_buf *out)
{
	mvm_buf_free(out);
	assert_int_equal(mvm_dsse_sign_envelope(k, MVM_TYPE_PLAN, plan, len, out), 0);
	(void)f;
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mvm-test-admission-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->home);
	snprintf(f->audit, sizeof(f->audit), "%s/audit", f->home);
	snprintf(f->bundle_dir, sizeof(f->bundle_dir), "%s/bundle", f->dir);
	f->now = (int64_t)time(NULL);
	/* A small profile (few bytes, so that flipping every bit stays fast) with an intent. */
	char cmd[1024], path[256];
	snprintf(path, sizeof(path), "%s/small.yaml", f->dir);
	const char *profile = "mvm: 1\nname: small\nintent: code:execute\nextends: essential\naudit:\n  labels: {team: t}\n";
	write_file(path, profile, strlen(profile));
	snprintf(cmd, sizeof(cmd), "%s/bin/mvmc build %s -o %s --not-before %lld --valid-for 1d", MVM_BUILD_DIR, path,
		 f->bundle_dir, (long long)(f->now - 3600));
	run(cmd);
	if (mvm_key_generate(MVM_ROLE_PUBLISHER, &f->pub) || mvm_key_generate(MVM_ROLE_PUBLISHER, &f->pub2) ||
	    mvm_key_generate(MVM_ROLE_HOST, &f->host) || mvm_key_generate(MVM_ROLE_HOST, &f->host2))
		return -1;
	f->trusted[0] = f->pub.pub;
	f->trusted[1] = f->host.pub;
	f->trust.nkey = 2;
	f->trust.key = f->trusted;
	/* Read the directory (each file once). */
	const char *names[] = { "plan.json", "seccomp.json", "seccomp.x86_64.bpf", "seccomp.aarch64.bpf" };
	for (size_t i = 0; i < 4; i++) {
		char *data;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", f->bundle_dir, names[i]);
		if (mvm_read_small_file(path, 1u << 24, true, &data, &len))
			return -1;
		f->file[f->nfile++] = (struct mvm_named_bytes){ names[i], (const uint8_t *)data, len };
		if (i == 0) {
			f->plan = data;
			f->plan_len = len;
		}
	}
	sign_plan(f, &f->pub, f->plan, f->plan_len, &f->env);
	snprintf(path, sizeof(path), "%s/bundle.dsse.json", f->bundle_dir);
	write_file(path, f->env.data, f->env.len);
	struct mvm_diag d;
	mvm_arena_init(&f->arena, 0);
	mvm_diag_init(&d, "test", stderr);
	if (mvm_stdlib_load(&f->arena, &d, NULL, 0, &f->st))
		return -1;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	for (size_t i = 0; i < f->nfile; i++)
		free((void *)f->file[i].data);
	mvm_buf_free(&f->env);
	mvm_arena_free(&f->arena);
	free(f);
	return 0;
}

/* Each test starts with empty state and audit directories. */
static int clean_state(void **state)
{
	struct fx *f = *state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->home);
	return system(cmd) == 0 ? 0 : -1;
}

static struct mvm_clock clock_now(const struct fx *f)
{
	return (struct mvm_clock){ f->now, MVM_DEFAULT_SKEW_S };
}

static struct mvm_admission_config config(const struct fx *f)
{
	return (struct mvm_admission_config){
		.trust = &f->trust,
		.host_key = &f->host,
		.stdlib = f->st,
		.state_dir = f->state,
		.audit_dir = f->audit,
		.tenant = "default",
		.clock = clock_now(f),
		.policy = { MVM_DEFAULT_MAX_WINDOW_S, MVM_DEFAULT_SKEW_S },
	};
}

/* Verifies the fixture's files with the envelope `env`. */
static enum mvm_reject verify_with(const struct fx *f, const char *env, size_t len, const struct mvm_named_bytes *files,
				   size_t nfile)
{
	struct mvm_bundle_input in = { env, len, nfile, files };
	struct mvm_bundle b;
	struct mvm_verdict v;
	struct mvm_clock c = clock_now(f);
	int r = mvm_bundle_verify(&in, &f->trust, &c, &b, &v);
	mvm_bundle_free(&b);
	return r == 0 ? MVM_REJECT_NONE : v.reason;
}

/* A plan.json variant (key "key" set to integer/raw value), signed by k. */
static char *plan_with(const struct fx *f, const char *from, const char *to)
{
	const char *p = strstr(f->plan, from);
	assert_non_null(p);
	size_t n = f->plan_len - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(p - f->plan), f->plan, to, p + strlen(from));
	return out;
}

/* plan.json with one integer field replaced. */
static char *plan_with_int(const struct fx *f, const char *key, int64_t value)
{
	char pat[64], repl[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(f->plan, pat);
	assert_non_null(p);
	const char *q = p + strlen(pat);
	while (*q == '-' || (*q >= '0' && *q <= '9'))
		q++;
	snprintf(repl, sizeof(repl), "\"%s\":%lld", key, (long long)value);
	size_t n = f->plan_len + 64;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(p - f->plan), f->plan, repl, q);
	return out;
}

/* Signs a variant of plan.json and verifies it together with a matching plan.json file. */
static enum mvm_reject verify_plan_variant(const struct fx *f, const struct mvm_seckey *k, const char *plan)
{
	struct mvm_buf env = { 0 };
	assert_int_equal(mvm_dsse_sign_envelope(k, MVM_TYPE_PLAN, plan, strlen(plan), &env), 0);
	struct mvm_named_bytes files[NFILE_MAX];
	memcpy(files, f->file, f->nfile * sizeof(files[0]));
	files[0].data = (const uint8_t *)plan;
	files[0].len = strlen(plan);
	enum mvm_reject r = verify_with(f, env.data, env.len, files, f->nfile);
	mvm_buf_free(&env);
	return r;
}

#define assert_reason(got, want)                                                                              \
	do {                                                                                                  \
		enum mvm_reject g_ = (got), w_ = (want);                                                      \
		if (g_ != w_)                                                                                 \
			fail_msg("refused as '%s', expected '%s'", mvm_reject_name(g_), mvm_reject_name(w_)); \
	} while (0)

/* ---- the bundle ---- */

static void test_signed_bundle_verifies(void **state)
{
	struct fx *f = *state;
	assert_reason(verify_with(f, f->env.data, f->env.len, f->file, f->nfile), MVM_REJECT_NONE);
	struct mvm_bundle b;
	struct mvm_verdict v;
	struct mvm_clock c = clock_now(f);
	assert_int_equal(mvm_bundle_load_dir(f->bundle_dir, &f->trust, &c, &b, &v), 0);
	assert_int_equal(b.plan.nartifact, 3);
	assert_non_null(mvm_bundle_file(&b, "seccomp.x86_64.bpf"));
	mvm_bundle_free(&b);
}

static void test_every_bit_flip_in_the_envelope_is_refused(void **state)
{
	struct fx *f = *state;
	char *copy = malloc(f->env.len);
	size_t refused = 0;
	for (size_t i = 0; i < f->env.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, f->env.data, f->env.len);
			copy[i] ^= (char)(1u << bit);
			if (verify_with(f, copy, f->env.len, f->file, f->nfile) == MVM_REJECT_NONE)
				fail_msg("flipping bit %d of byte %zu of bundle.dsse.json was accepted", bit, i);
			refused++;
		}
	}
	assert_int_equal(refused, f->env.len * 8);
	free(copy);
	print_message("    %zu flips of bundle.dsse.json (%zu bytes), all refused\n", refused, f->env.len);
}

static void test_every_bit_flip_in_every_artifact_is_refused(void **state)
{
	struct fx *f = *state;
	struct mvm_named_bytes files[NFILE_MAX];
	for (size_t k = 0; k < f->nfile; k++) {
		size_t len = f->file[k].len, refused = 0;
		uint8_t *copy = malloc(len);
		memcpy(files, f->file, f->nfile * sizeof(files[0]));
		files[k].data = copy;
		for (size_t i = 0; i < len; i++) {
			for (int bit = 0; bit < 8; bit++) {
				memcpy(copy, f->file[k].data, len);
				copy[i] ^= (uint8_t)(1u << bit);
				enum mvm_reject r = verify_with(f, f->env.data, f->env.len, files, f->nfile);
				if (r == MVM_REJECT_NONE)
					fail_msg("flipping bit %d of byte %zu of %s was accepted", bit, i, f->file[k].name);
				if (r != (k == 0 ? MVM_REJECT_PLAN_MISMATCH : MVM_REJECT_ARTIFACT_DIGEST))
					fail_msg("flip in %s refused as %s", f->file[k].name, mvm_reject_name(r));
				refused++;
			}
		}
		free(copy);
		assert_int_equal(refused, len * 8);
		print_message("    %zu flips of %s (%zu bytes), all refused\n", refused, f->file[k].name, len);
	}
}

static void test_missing_or_extra_file_is_refused(void **state)
{
	struct fx *f = *state;
	struct mvm_named_bytes files[NFILE_MAX];
	memcpy(files, f->file, f->nfile * sizeof(files[0]));
	assert_reason(verify_with(f, f->env.data, f->env.len, files, f->nfile - 1), MVM_REJECT_ARTIFACT_MISSING);
	assert_reason(verify_with(f, f->env.data, f->env.len, files + 1, f->nfile - 1), MVM_REJECT_PLAN_MISMATCH);
	files[f->nfile] = (struct mvm_named_bytes){ "extra.bin", (const uint8_t *)"x", 1 };
	assert_reason(verify_with(f, f->env.data, f->env.len, files, f->nfile + 1), MVM_REJECT_UNEXPECTED_FILE);
}

static void test_bundle_signed_with_the_wrong_key_is_refused(void **state)
{
	struct fx *f = *state;
	/* signed by pub2 but claiming pub's key id */
	struct mvm_buf env = { 0 };
	assert_int_equal(mvm_dsse_sign_envelope(&f->pub2, MVM_TYPE_PLAN, f->plan, f->plan_len, &env), 0);
	char *p = strstr(env.data, f->pub2.pub.keyid);
	assert_non_null(p);
	memcpy(p, f->pub.pub.keyid, MVM_KEYID_LEN);
	assert_reason(verify_with(f, env.data, env.len, f->file, f->nfile), MVM_REJECT_BAD_SIGNATURE);
	mvm_buf_free(&env);
}

static void test_bundle_signed_by_an_unknown_key_is_refused(void **state)
{
	struct fx *f = *state;
	struct mvm_buf env = { 0 };
	sign_plan(f, &f->pub2, f->plan, f->plan_len, &env);
	assert_reason(verify_with(f, env.data, env.len, f->file, f->nfile), MVM_REJECT_UNKNOWN_KEY);
	mvm_buf_free(&env);
}

static void test_host_key_used_as_publisher_is_refused(void **state)
{
	struct fx *f = *state;
	struct mvm_buf env = { 0 };
	sign_plan(f, &f->host, f->plan, f->plan_len, &env); /* host is trusted, but as a host key */
	assert_reason(verify_with(f, env.data, env.len, f->file, f->nfile), MVM_REJECT_WRONG_ROLE);
	mvm_buf_free(&env);
}

static void test_execution_plan_presented_as_bundle_is_refused(void **state)
{
	struct fx *f = *state;
	struct mvm_buf env = { 0 };
	assert_int_equal(mvm_dsse_sign_envelope(&f->pub, MVM_TYPE_EXEC_PLAN, f->plan, f->plan_len, &env), 0);
	assert_reason(verify_with(f, env.data, env.len, f->file, f->nfile), MVM_REJECT_WRONG_TYPE);
	mvm_buf_free(&env);
}

static void test_expired_bundle_is_refused(void **state)
{
	struct fx *f = *state;
	char *a = plan_with_int(f, "not_before", f->now - 7200);
	struct fx g = *f;
	g.plan = a;
	g.plan_len = strlen(a);
	char *b = plan_with_int(&g, "not_after", f->now - 3600);
	assert_reason(verify_plan_variant(f, &f->pub, b), MVM_REJECT_EXPIRED);
	free(a);
	free(b);
}

static void test_bundle_not_yet_valid_is_refused(void **state)
{
	struct fx *f = *state;
	char *a = plan_with_int(f, "not_before", f->now + 3600);
	struct fx g = *f;
	g.plan = a;
	g.plan_len = strlen(a);
	char *b = plan_with_int(&g, "not_after", f->now + 7200);
	assert_reason(verify_plan_variant(f, &f->pub, b), MVM_REJECT_NOT_YET_VALID);
	free(a);
	free(b);
}

static void test_bundle_with_inverted_window_is_refused(void **state)
{
	struct fx *f = *state;
	char *a = plan_with_int(f, "not_after", f->now - 7200); /* before not_before */
	assert_reason(verify_plan_variant(f, &f->pub, a), MVM_REJECT_INVERTED_WINDOW);
	free(a);
}

static void test_unknown_field_in_the_plan_is_refused(void **state)
{
	struct fx *f = *state;
	char *top = plan_with(f, "\"tools\":[]}", "\"tools\":[],\"zzz\":1}");
	assert_reason(verify_plan_variant(f, &f->pub, top), MVM_REJECT_UNKNOWN_FIELD);
	char *nested = plan_with(f, "\"secrets\":{\"release\"", "\"secrets\":{\"extra\":1,\"release\"");
	assert_reason(verify_plan_variant(f, &f->pub, nested), MVM_REJECT_UNKNOWN_FIELD);
	free(top);
	free(nested);
}

static void test_newer_schema_is_refused(void **state)
{
	struct fx *f = *state;
	char *p = plan_with(f, "\"schema\":1", "\"schema\":2");
	assert_reason(verify_plan_variant(f, &f->pub, p), MVM_REJECT_NEWER_SCHEMA);
	free(p);
}

static void test_non_canonical_plan_is_refused_even_when_signed(void **state)
{
	struct fx *f = *state;
	char *p = plan_with(f, "\"schema\":1", "\"schema\": 1");
	assert_reason(verify_plan_variant(f, &f->pub, p), MVM_REJECT_MALFORMED);
	free(p);
}

/* ---- admission ---- */

static int admit_dir(const struct fx *f, const struct mvm_admission_config *cfg, const char *plan, size_t plan_len,
		     struct mvm_verdict *v)
{
	struct mvm_admission_request req = { .bundle_dir = f->bundle_dir, .plan = plan, .plan_len = plan_len };
	struct mvm_admission a;
	int r = mvm_admit(cfg, &req, &a, v);
	mvm_admission_free(&a);
	return r;
}

/* An execution plan with arbitrary fields, signed by k. */
static void craft_plan(const struct fx *f, const struct mvm_seckey *k, const char *tenant, int64_t from, int64_t until,
		       int64_t schema, bool extra_field, struct mvm_buf *out)
{
	struct mvm_bundle b;
	struct mvm_verdict v;
	struct mvm_clock c = clock_now(f);
	assert_int_equal(mvm_bundle_load_dir(f->bundle_dir, &f->trust, &c, &b, &v), 0);
	uint8_t nonce[32];
	char hex[65];
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(hex, sizeof(hex), nonce, sizeof(nonce));
	struct mvm_buf p = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &p);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "bundle");
	mvm_cjw_str(&w, b.digest);
	mvm_cjw_key(&w, "issued_at");
	mvm_cjw_int(&w, from);
	mvm_cjw_key(&w, "nonce");
	mvm_cjw_str(&w, hex);
	mvm_cjw_key(&w, "plan");
	mvm_cjw_str(&w, b.plan_digest);
	mvm_cjw_key(&w, "schema");
	mvm_cjw_int(&w, schema);
	mvm_cjw_key(&w, "tenant");
	mvm_cjw_str(&w, tenant);
	mvm_cjw_key(&w, "valid_from");
	mvm_cjw_int(&w, from);
	mvm_cjw_key(&w, "valid_until");
	mvm_cjw_int(&w, until);
	if (extra_field) {
		mvm_cjw_key(&w, "zz");
		mvm_cjw_int(&w, 1);
	}
	mvm_cjw_end_object(&w);
	assert_int_equal(mvm_cjw_finish(&w), 0);
	mvm_buf_free(out);
	assert_int_equal(mvm_dsse_sign_envelope(k, MVM_TYPE_EXEC_PLAN, p.data, p.len, out), 0);
	mvm_buf_free(&p);
	mvm_bundle_free(&b);
}

static enum mvm_reject admit_crafted(const struct fx *f, const struct mvm_seckey *k, const char *tenant, int64_t from,
				     int64_t until, int64_t schema, bool extra)
{
	struct mvm_buf plan = { 0 };
	craft_plan(f, k, tenant, from, until, schema, extra, &plan);
	struct mvm_admission_config cfg = config(f);
	struct mvm_verdict v;
	int r = admit_dir(f, &cfg, plan.data, plan.len, &v);
	mvm_buf_free(&plan);
	return r == 0 ? MVM_REJECT_NONE : v.reason;
}

static void test_bundle_is_admitted_with_an_issued_plan(void **state)
{
	struct fx *f = *state;
	struct mvm_admission_config cfg = config(f);
	struct mvm_admission_request req = { .bundle_dir = f->bundle_dir };
	struct mvm_admission a;
	struct mvm_verdict v;
	assert_int_equal(mvm_admit(&cfg, &req, &a, &v), 0);
	assert_int_equal(a.audit_seq, 1);
	assert_string_equal(a.plan.signer.keyid, f->host.pub.keyid);
	assert_int_equal(a.plan.valid_until - a.plan.valid_from, MVM_DEFAULT_WINDOW_S);
	/* the artifact bytes that were verified are kept for the launch */
	assert_non_null(mvm_bundle_file(&a.bundle, "seccomp.x86_64.bpf"));
	mvm_admission_free(&a);
	assert_int_equal(mvm_nonce_count(f->state), 1);
}

static void test_external_plan_from_a_trusted_host_is_admitted(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", f->now, f->now + 60, 1, false), MVM_REJECT_NONE);
}

static void test_plan_from_an_unknown_host_key_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host2, "default", f->now, f->now + 60, 1, false), MVM_REJECT_UNKNOWN_KEY);
}

static void test_plan_signed_by_a_publisher_key_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->pub, "default", f->now, f->now + 60, 1, false), MVM_REJECT_WRONG_ROLE);
}

static void test_expired_plan_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", f->now - 600, f->now - 300, 1, false), MVM_REJECT_EXPIRED);
}

static void test_plan_not_yet_valid_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", f->now + 300, f->now + 600, 1, false), MVM_REJECT_NOT_YET_VALID);
}

static void test_plan_window_longer_than_the_maximum_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", f->now, f->now + MVM_DEFAULT_MAX_WINDOW_S + 1, 1, false),
		      MVM_REJECT_WINDOW_TOO_LONG);
}

static void test_plan_with_inverted_window_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", f->now + 10, f->now - 10, 1, false), MVM_REJECT_INVERTED_WINDOW);
}

static void test_plan_with_unknown_field_or_newer_schema_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", f->now, f->now + 60, 1, true), MVM_REJECT_UNKNOWN_FIELD);
	assert_reason(admit_crafted(f, &f->host, "default", f->now, f->now + 60, 2, false), MVM_REJECT_NEWER_SCHEMA);
}

static void test_plan_with_times_out_of_range_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", -10, f->now + 60, 1, false), MVM_REJECT_MALFORMED);
	assert_reason(admit_crafted(f, &f->host, "default", f->now, INT64_MAX, 1, false), MVM_REJECT_MALFORMED);
}

static void test_plan_for_another_tenant_is_refused(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "other", f->now, f->now + 60, 1, false), MVM_REJECT_TENANT_MISMATCH);
}

static void test_every_bit_flip_in_an_execution_plan_is_refused(void **state)
{
	struct fx *f = *state;
	struct mvm_buf plan = { 0 };
	craft_plan(f, &f->host, "default", f->now, f->now + 60, 1, false, &plan);
	struct mvm_arena a;
	char *copy = malloc(plan.len);
	for (size_t i = 0; i < plan.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, plan.data, plan.len);
			copy[i] ^= (char)(1u << bit);
			struct mvm_exec_plan ep;
			struct mvm_verdict v;
			mvm_arena_init(&a, 0);
			if (mvm_exec_plan_verify(&a, copy, plan.len, &f->trust, &ep, &v) == 0)
				fail_msg("flipping bit %d of byte %zu of the execution plan was accepted", bit, i);
			mvm_arena_free(&a);
		}
	}
	free(copy);
	mvm_buf_free(&plan);
}

static void test_intent_ceiling_is_rechecked_from_the_signed_plan(void **state)
{
	struct fx *f = *state;
	/* a plan that claims code:execute at tier network, signed by a trusted publisher */
	char *p = plan_with(f, "\"tier\":\"essential\"", "\"tier\":\"network\"");
	struct mvm_arena a;
	struct mvm_plan plan;
	struct mvm_verdict v;
	mvm_arena_init(&a, 0);
	assert_int_equal(mvm_plan_parse(&a, p, strlen(p), &plan, &v), 0);
	assert_int_equal(mvm_plan_check_ceiling(f->st, &plan, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_INTENT_CEILING);
	mvm_arena_free(&a);
	free(p);
	p = plan_with(f, "\"intent\":\"code:execute\"", "\"intent\":\"no:such\"");
	mvm_arena_init(&a, 0);
	assert_int_equal(mvm_plan_parse(&a, p, strlen(p), &plan, &v), 0);
	assert_int_equal(mvm_plan_check_ceiling(f->st, &plan, &v), -EPERM);
	mvm_arena_free(&a);
	free(p);
	/* DNS to a resolver is egress too: a resolver alone under a deny intent is refused. */
	p = plan_with(f, "\"network\":{\"egress\":\"none\"}", "\"network\":{\"egress\":{\"allow\":[],\"resolver\":\"10.0.2.3\"}}");
	mvm_arena_init(&a, 0);
	assert_int_equal(mvm_plan_parse(&a, p, strlen(p), &plan, &v), 0);
	assert_true(plan.egress_resolver);
	assert_int_equal(mvm_plan_check_ceiling(f->st, &plan, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_INTENT_CEILING);
	mvm_arena_free(&a);
	free(p);
}

/* ---- replay ---- */

static void test_replayed_plan_is_refused_by_a_second_process_and_after_restart(void **state)
{
	struct fx *f = *state;
	struct mvm_buf plan = { 0 };
	craft_plan(f, &f->host, "default", f->now, f->now + 60, 1, false, &plan);
	struct mvm_admission_config cfg = config(f);
	struct mvm_verdict v;
	assert_int_equal(admit_dir(f, &cfg, plan.data, plan.len, &v), 0);
	/* another process, which shares nothing in memory with this one */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mvm_verdict cv;
		int r = admit_dir(f, &cfg, plan.data, plan.len, &cv);
		_exit(r == 0 ? 0 : cv.reason == MVM_REJECT_REPLAY ? 7 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	/* "restart": the runtime keeps no replay state in memory; only what is on disk counts */
	assert_int_equal(admit_dir(f, &cfg, plan.data, plan.len, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_REPLAY);
	mvm_buf_free(&plan);
}

static void test_32_concurrent_admissions_of_one_plan_admit_exactly_one(void **state)
{
	struct fx *f = *state;
	struct mvm_buf plan = { 0 };
	craft_plan(f, &f->host, "default", f->now, f->now + 60, 1, false, &plan);
	struct mvm_admission_config cfg = config(f);
	int gate[2];
	assert_int_equal(pipe(gate), 0);
	pid_t pids[32];
	for (int i = 0; i < 32; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c;
			close(gate[1]);
			if (read(gate[0], &c, 1) < 0) /* returns 0 when the parent opens the gate */
				_exit(2);
			struct mvm_verdict v;
			int r = admit_dir(f, &cfg, plan.data, plan.len, &v);
			_exit(r == 0 ? 0 : v.reason == MVM_REJECT_REPLAY ? 7 : 1);
		}
	}
	close(gate[0]);
	close(gate[1]);
	int admitted = 0, replays = 0;
	for (int i = 0; i < 32; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		admitted += WEXITSTATUS(status) == 0;
		replays += WEXITSTATUS(status) == 7;
	}
	assert_int_equal(admitted, 1);
	assert_int_equal(replays, 31);
	assert_int_equal(mvm_nonce_count(f->state), 1);
	struct mvm_audit_report rep;
	mvm_audit_verify(f->audit, "default", &f->trust, &rep);
	assert_int_equal(rep.status, MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 32); /* one plan.admitted, 31 plan.rejected.replay */
	mvm_buf_free(&plan);
}

static void test_corrupt_or_unreadable_nonce_store_refuses(void **state)
{
	struct fx *f = *state;
	struct mvm_admission_config cfg = config(f);
	struct mvm_verdict v;
	assert_int_equal(admit_dir(f, &cfg, NULL, 0, &v), 0);
	char path[256];
	snprintf(path, sizeof(path), "%s/nonces.db", f->state);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t byte;
	assert_int_equal(pread(fd, &byte, 1, 20), 1);
	byte ^= 0x10;
	assert_int_equal(pwrite(fd, &byte, 1, 20), 1);
	close(fd);
	assert_int_equal(admit_dir(f, &cfg, NULL, 0, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_NONCE_STORE);
	/* a store that cannot be read at all */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(admit_dir(f, &cfg, NULL, 0, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_NONCE_STORE);
	/* a store others may write */
	assert_int_equal(rmdir(path), 0);
	fd = open(path, O_WRONLY | O_CREAT, 0666);
	assert_true(fd >= 0);
	fchmod(fd, 0666);
	close(fd);
	assert_int_equal(admit_dir(f, &cfg, NULL, 0, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_NONCE_STORE);
}

static void test_nonce_store_collects_expired_entries(void **state)
{
	struct fx *f = *state;
	struct mvm_verdict v;
	uint8_t nonce[32];
	for (int i = 0; i < 300; i++) {
		randombytes_buf(nonce, sizeof(nonce));
		assert_int_equal(mvm_nonce_check_insert(f->state, nonce, f->now - 1, f->now - 100, &v), 0);
	}
	assert_int_equal(mvm_nonce_count(f->state), 300);
	randombytes_buf(nonce, sizeof(nonce));
	assert_int_equal(mvm_nonce_check_insert(f->state, nonce, f->now + 100, f->now, &v), 0);
	assert_int_equal(mvm_nonce_count(f->state), 1);
	/* and the live one is still a replay */
	assert_int_equal(mvm_nonce_check_insert(f->state, nonce, f->now + 100, f->now, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_REPLAY);
}

static void test_admission_is_refused_when_plan_admitted_cannot_be_audited(void **state)
{
	struct fx *f = *state;
	struct mvm_admission_config cfg = config(f);
	struct mvm_verdict v;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && touch %s", f->home, f->audit); /* a file where the directory goes */
	run(cmd);
	assert_int_equal(admit_dir(f, &cfg, NULL, 0, &v), -EPERM);
	assert_reason(v.reason, MVM_REJECT_AUDIT);
}

static int find_event(void *ctx, const char *line, size_t len)
{
	const char *want = ctx;
	(void)len;
	return strstr(line, want) ? 1 : 0;
}

static void test_refusals_are_audited_with_their_reason(void **state)
{
	struct fx *f = *state;
	assert_reason(admit_crafted(f, &f->host, "default", f->now - 600, f->now - 300, 1, false), MVM_REJECT_EXPIRED);
	assert_int_equal(mvm_audit_each_line(f->audit, "default", find_event, "\"event\":\"plan.rejected.expired\""), 1);
	struct mvm_audit_report rep;
	mvm_audit_verify(f->audit, "default", &f->trust, &rep);
	assert_int_equal(rep.status, MVM_AUDIT_CLEAN);
}

#define T(fn) cmocka_unit_test_setup(fn, clean_state)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_signed_bundle_verifies),
		T(test_every_bit_flip_in_the_envelope_is_refused),
		T(test_every_bit_flip_in_every_artifact_is_refused),
		T(test_missing_or_extra_file_is_refused),
		T(test_bundle_signed_with_the_wrong_key_is_refused),
		T(test_bundle_signed_by_an_unknown_key_is_refused),
		T(test_host_key_used_as_publisher_is_refused),
		T(test_execution_plan_presented_as_bundle_is_refused),
		T(test_expired_bundle_is_refused),
		T(test_bundle_not_yet_valid_is_refused),
		T(test_bundle_with_inverted_window_is_refused),
		T(test_unknown_field_in_the_plan_is_refused),
		T(test_newer_schema_is_refused),
		T(test_non_canonical_plan_is_refused_even_when_signed),
		T(test_bundle_is_admitted_with_an_issued_plan),
		T(test_external_plan_from_a_trusted_host_is_admitted),
		T(test_plan_from_an_unknown_host_key_is_refused),
		T(test_plan_signed_by_a_publisher_key_is_refused),
		T(test_expired_plan_is_refused),
		T(test_plan_not_yet_valid_is_refused),
		T(test_plan_window_longer_than_the_maximum_is_refused),
		T(test_plan_with_inverted_window_is_refused),
		T(test_plan_with_unknown_field_or_newer_schema_is_refused),
		T(test_plan_with_times_out_of_range_is_refused),
		T(test_plan_for_another_tenant_is_refused),
		T(test_every_bit_flip_in_an_execution_plan_is_refused),
		T(test_intent_ceiling_is_rechecked_from_the_signed_plan),
		T(test_replayed_plan_is_refused_by_a_second_process_and_after_restart),
		T(test_32_concurrent_admissions_of_one_plan_admit_exactly_one),
		T(test_corrupt_or_unreadable_nonce_store_refuses),
		T(test_nonce_store_collects_expired_entries),
		T(test_admission_is_refused_when_plan_admitted_cannot_be_audited),
		T(test_refusals_are_audited_with_their_reason),
	};
	return cmocka_run_group_tests_name("admission", tests, group_setup, group_teardown);
}

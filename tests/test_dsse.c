/* DSSE envelopes and the canonical JSON they are made of: one accepted encoding per value. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/canon_json.h"
#include "lib/dsse.h"

static int parse(const char *text)
{
	struct mvm_arena a;
	struct mvm_cj *v;
	mvm_arena_init(&a, 0);
	int r = mvm_cj_parse(&a, text, strlen(text), &v, NULL, 0);
	mvm_arena_free(&a);
	return r;
}

static void test_canonical_json_accepts_only_the_canonical_form(void **state)
{
	(void)state;
	const char *good[] = { "{}", "[]", "0", "-1", "9223372036854775807", "-9223372036854775808", "\"\"",
			       "{\"a\":1,\"b\":[1,\"x\"]}", "{\"a\":{\"b\":{}}}", "\"\\\"\\\\\\n\\t\\u001F\\b\\f\\r\"",
			       "\"caf\xc3\xa9 \xf0\x9f\x99\x82 /\"", "{\"A\":1,\"a\":2}", "{\"a\":1,\"ab\":2}" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (parse(good[i]) != 0)
			fail_msg("refused canonical %s", good[i]);
	const char *bad[] = {
		"{\"b\":1,\"a\":2}",       /* unsorted */
		"{\"a\":1,\"a\":2}",       /* duplicate */
		"{\"ab\":1,\"a\":2}",      /* prefix after longer */
		"{ \"a\":1}", "[1, 2]", "{\"a\" :1}", " 1", "1 ", "1\n", /* white space */
		"1.0", "1e3", "-0", "01", "+1", "9223372036854775808", "-9223372036854775809",
		"true", "false", "null",
		"\"\\/\"",                 /* escaped slash */
		"\"\\u0041\"",             /* escape of a printable character */
		"\"\\u00e9\"",             /* escape of non-ASCII */
		"\"\\u001f\"",             /* lower-case hex */
		"\"\\u000A\"",             /* \n has a short form */
		"\"\\u0000\"",             /* NUL */
		"\"a\x01\"",               /* raw control character */
		"\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", /* bad UTF-8 */
		"\"abc", "[1,]", "{\"a\":}", "{,}", "", "[1][2]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i]) != -EINVAL)
			fail_msg("accepted non-canonical %s", bad[i]);
}

static void test_canonical_json_depth_is_bounded(void **state)
{
	(void)state;
	char deep[2 * MVM_CJ_MAX_DEPTH + 8];
	size_t n = 0;
	for (int i = 0; i < MVM_CJ_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < MVM_CJ_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = 0;
	assert_int_equal(parse(deep), 0);
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	strcat(deep, "]");
	assert_int_equal(parse(deep), -EINVAL);
}

/* What jansson writes with JSON_SORT_KEYS | JSON_COMPACT (plan.json) is canonical, and our
 * writer produces the same bytes for the same value. */
static void test_jansson_output_and_our_writer_agree(void **state)
{
	(void)state;
	const char *strs[] = { "plain", "quote\" back\\slash", "ctl\x01\x1f\x7f", "tab\tnl\n", "\xc3\xa9t\xc3\xa9", "/x" };
	json_t *o = json_object();
	struct mvm_buf b = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &b);
	mvm_cjw_begin_object(&w);
	char keys[6][8];
	for (size_t i = 0; i < 6; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		json_object_set_new(o, keys[i], json_string(strs[i]));
		mvm_cjw_key(&w, keys[i]);
		mvm_cjw_str(&w, strs[i]);
	}
	json_object_set_new(o, "n", json_integer(-42));
	mvm_cjw_key(&w, "n");
	mvm_cjw_int(&w, -42);
	mvm_cjw_end_object(&w);
	assert_int_equal(mvm_cjw_finish(&w), 0);
	char *j = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(j, b.data);
	assert_int_equal(parse(j), 0);
	free(j);
	json_decref(o);
	mvm_buf_free(&b);
}

static void test_writer_refuses_keys_out_of_order(void **state)
{
	(void)state;
	struct mvm_buf b = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &b);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "b");
	mvm_cjw_int(&w, 1);
	mvm_cjw_key(&w, "a");
	mvm_cjw_int(&w, 2);
	mvm_cjw_end_object(&w);
	assert_int_equal(mvm_cjw_finish(&w), -EINVAL);
	mvm_buf_free(&b);
}

static void test_pae_matches_the_dsse_specification(void **state)
{
	(void)state;
	struct mvm_buf b = { 0 };
	mvm_dsse_pae(&b, "http://example.com/HelloWorld", "hello world", 11);
	assert_string_equal(b.data, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	mvm_buf_free(&b);
}

static void test_envelope_round_trip_and_signature_domain(void **state)
{
	(void)state;
	struct mvm_seckey k;
	assert_int_equal(mvm_key_generate(MVM_ROLE_PUBLISHER, &k), 0);
	const char *payload = "{\"schema\":1}";
	struct mvm_buf env = { 0 };
	assert_int_equal(mvm_dsse_sign_envelope(&k, MVM_TYPE_PLAN, payload, strlen(payload), &env), 0);
	assert_int_equal(env.data[env.len - 1], '\n');
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_dsse d;
	char err[200];
	assert_int_equal(mvm_dsse_parse(&a, env.data, env.len, &d, err, sizeof(err)), 0);
	assert_string_equal(d.payload_type, MVM_TYPE_PLAN);
	assert_int_equal(d.payload_len, strlen(payload));
	assert_memory_equal(d.payload, payload, d.payload_len);
	assert_string_equal(d.keyid, k.pub.keyid);
	assert_int_equal(mvm_dsse_verify(&d, &k.pub), 0);
	/* the same signature does not verify for another payload type */
	assert_int_equal(mvm_verify_typed(&k.pub, MVM_TYPE_EXEC_PLAN, payload, strlen(payload), d.sig), -EBADMSG);
	/* nor with another key */
	struct mvm_seckey other;
	mvm_key_generate(MVM_ROLE_PUBLISHER, &other);
	assert_int_equal(mvm_dsse_verify(&d, &other.pub), -EBADMSG);
	mvm_arena_free(&a);
	mvm_buf_free(&env);
}

static int parse_env(const char *text)
{
	struct mvm_arena a;
	struct mvm_dsse d;
	char err[200];
	mvm_arena_init(&a, 0);
	int r = mvm_dsse_parse(&a, text, strlen(text), &d, err, sizeof(err));
	mvm_arena_free(&a);
	return r;
}

static void test_envelope_parse_is_strict(void **state)
{
	(void)state;
	const char *sig = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
	const char *kid = "0123456789abcdef0123456789abcdef";
	char good[600], t[700];
	snprintf(good, sizeof(good),
		 "{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}\n", kid, sig);
	assert_int_equal(parse_env(good), 0);
	/* no trailing newline, two newlines */
	snprintf(t, sizeof(t), "%.*s", (int)strlen(good) - 1, good);
	assert_int_equal(parse_env(t), -EINVAL);
	snprintf(t, sizeof(t), "%s\n", good);
	assert_int_equal(parse_env(t), -EINVAL);
	/* an extra field, an extra signature field, two signatures, none */
	snprintf(t, sizeof(t),
		 "{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}],\"x\":1}\n", kid, sig);
	assert_int_equal(parse_env(t), -EINVAL);
	snprintf(t, sizeof(t),
		 "{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\",\"x\":1}]}\n", kid, sig);
	assert_int_equal(parse_env(t), -EINVAL);
	snprintf(t, sizeof(t),
		 "{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"},{\"keyid\":\"%s\",\"sig\":\"%s\"}]}\n",
		 kid, sig, kid, sig);
	assert_int_equal(parse_env(t), -EINVAL);
	assert_int_equal(parse_env("{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[]}\n"), -EINVAL);
	/* non-canonical base64: unpadded, URL-safe, non-zero padding bits */
	snprintf(t, sizeof(t), "{\"payload\":\"e30\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}\n", kid, sig);
	assert_int_equal(parse_env(t), -EINVAL);
	snprintf(t, sizeof(t), "{\"payload\":\"e31=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}\n", kid, sig);
	assert_int_equal(parse_env(t), -EINVAL);
	snprintf(t, sizeof(t), "{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%.86sB==\"}]}\n", kid, sig);
	assert_int_equal(parse_env(t), -EINVAL);
	/* upper-case key id */
	snprintf(t, sizeof(t), "{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"0123456789ABCDEF0123456789abcdef\",\"sig\":\"%s\"}]}\n", sig);
	assert_int_equal(parse_env(t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_json_accepts_only_the_canonical_form),
		cmocka_unit_test(test_canonical_json_depth_is_bounded),
		cmocka_unit_test(test_jansson_output_and_our_writer_agree),
		cmocka_unit_test(test_writer_refuses_keys_out_of_order),
		cmocka_unit_test(test_pae_matches_the_dsse_specification),
		cmocka_unit_test(test_envelope_round_trip_and_signature_domain),
		cmocka_unit_test(test_envelope_parse_is_strict),
	};
	return cmocka_run_group_tests_name("dsse", tests, NULL, NULL);
}

/* Bad inputs, class by class, at the decoders' own interfaces (docs/robustness.md): the runtime's
 * config.toml reader, the canonical JSON / DSSE / plan verifier, the audit log's line parser and
 * verifier, the nonce store and the DNS response parser. Each class gets a refusal with a reason
 * (and a position where the format has one); nothing is admitted, written or allocated without
 * bound. The command-line side of the same classes is tests/robustness.sh. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/bundle.h"
#include "lib/canon_json.h"
#include "lib/dns.h"
#include "lib/dsse.h"
#include "runtime/config_toml.h"
#include "runtime/runtime.h"

#define HUGE_FILE (100u << 20)
#define DEEP 10000

static const char garbage[] = "\x7f" "ELF\x02\x01\x01\x00\xff\xfe\x00\x9d\x80garbage\x01\x02";

/* A scratch directory for one test, removed after it. */
static int make_dir(void **state)
{
	char *dir = strdup("/tmp/mvm-test-robust-XXXXXX");
	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int remove_dir(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", (char *)*state);
	int r = system(cmd);
	free(*state);
	return r == 0 ? 0 : -1;
}

/* A sparse file of `size` bytes (no disk used) holding `head` at its start. */
static void sparse_file(const char *path, const char *head, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (head)
		assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static char *repeat(const char *open, size_t n, const char *middle, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close), lm = strlen(middle);
	char *s = malloc(n * (lo + lc) + lm + 1), *p = s;
	assert_non_null(s);
	for (size_t i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, middle, lm);
	p += lm;
	for (size_t i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = 0;
	return s;
}

/* ---- config.toml ---- */

static int toml(const char *text, size_t len, char *err)
{
	struct mvm_toml t;
	int r = mvm_toml_parse(text, len, &t, err, 256);
	mvm_toml_free(&t);
	return r;
}

static void test_toml_empty_file_is_an_empty_config(void **state)
{
	(void)state;
	struct mvm_toml t;
	char err[256] = "";
	assert_int_equal(mvm_toml_parse("", 0, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 0);
	mvm_toml_free(&t);
}

static void test_toml_binary_garbage_is_refused_with_its_position(void **state)
{
	(void)state;
	char err[256] = "";
	assert_int_equal(toml(garbage, sizeof(garbage) - 1, err), -EINVAL);
	assert_true(strncmp(err, "1:1: ", 5) == 0);
}

static void test_toml_invalid_utf8_is_refused_with_its_position(void **state)
{
	(void)state;
	char err[256] = "";
	static const char text[] = "[security]\nname = \"caf\xe9\"\n";
	assert_int_equal(toml(text, sizeof(text) - 1, err), -EINVAL);
	assert_true(strncmp(err, "2:", 2) == 0);
}

static void test_toml_100mb_file_is_refused_before_reading(void **state)
{
	char path[256], err[256] = "";
	struct mvm_toml t;
	snprintf(path, sizeof(path), "%s/config.toml", (char *)*state);
	sparse_file(path, "[security]\nack_docker_tier = true\n", HUGE_FILE);
	assert_int_equal(mvm_toml_load(path, &t, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "larger than"));
	mvm_toml_free(&t);
	/* and in memory: the bound is checked before a byte is read */
	char *big = calloc(1, HUGE_FILE);
	assert_non_null(big);
	assert_int_equal(toml(big, HUGE_FILE, err), -EFBIG);
	free(big);
}

static void test_toml_deep_nesting_is_refused(void **state)
{
	(void)state;
	char err[256] = "";
	char *text = repeat("", 0, "a = ", "");
	char *deep = repeat("[", DEEP, "1", "]");
	char *doc = malloc(strlen(text) + strlen(deep) + 1);
	assert_non_null(doc);
	strcpy(doc, text);
	strcat(doc, deep);
	assert_int_equal(toml(doc, strlen(doc), err), -EINVAL);
	assert_true(strncmp(err, "1:5: ", 5) == 0);
	char *tables = repeat("[a.", DEEP, "b", "]");
	assert_int_equal(toml(tables, strlen(tables), err), -EINVAL);
	free(text);
	free(deep);
	free(doc);
	free(tables);
}

static void test_toml_duplicate_key_or_table_is_refused(void **state)
{
	(void)state;
	char err[256] = "";
	static const char key[] = "[security]\nack_docker_tier = false\nack_docker_tier = true\n";
	static const char table[] = "[security]\n[security]\n";
	assert_int_equal(toml(key, sizeof(key) - 1, err), -EINVAL);
	assert_true(strncmp(err, "3:", 2) == 0);
	assert_int_equal(toml(table, sizeof(table) - 1, err), -EINVAL);
	assert_true(strncmp(err, "2:", 2) == 0);
}

static void test_toml_integer_overflow_is_refused(void **state)
{
	(void)state;
	char err[256] = "";
	static const char *const bad[] = { "n = 9223372036854775808\n", "n = -9223372036854775809\n",
					   "n = 99999999999999999999999999\n", "n = 1_000_000_000_000_000_000_0\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(toml(bad[i], strlen(bad[i]), err), -EINVAL);
		assert_true(strncmp(err, "1:", 2) == 0);
	}
	struct mvm_toml t;
	assert_int_equal(mvm_toml_parse("n = -9223372036854775808\n", 25, &t, err, sizeof(err)), 0);
	assert_true(t.entry[0].i == INT64_MIN);
	mvm_toml_free(&t);
}

static void test_toml_nul_in_a_name_or_string_is_refused(void **state)
{
	(void)state;
	char err[256] = "";
	static const char raw_key[] = "ack\0x = true\n", raw_string[] = "s = \"a\0b\"\n", escaped[] = "s = \"a\\u0000b\"\n";
	assert_int_equal(toml(raw_key, sizeof(raw_key) - 1, err), -EINVAL);
	assert_int_equal(toml(raw_string, sizeof(raw_string) - 1, err), -EINVAL);
	assert_int_equal(toml(escaped, sizeof(escaped) - 1, err), -EINVAL);
}

/* ---- canonical JSON, DSSE envelopes, plans, bundles ---- */

static int cj(const char *text, size_t len, char *err)
{
	struct mvm_arena a;
	struct mvm_cj *root;
	mvm_arena_init(&a, 64u << 20);
	int r = mvm_cj_parse(&a, text, len, &root, err, 160);
	mvm_arena_free(&a);
	return r;
}

/* Verifies a bundle made of one envelope (and no other file) against a key no one holds. */
static enum mvm_reject bundle(const char *env, size_t len)
{
	struct mvm_seckey k;
	assert_int_equal(mvm_key_generate(MVM_ROLE_PUBLISHER, &k), 0);
	struct mvm_trust t = { .nkey = 1, .key = &k.pub };
	struct mvm_clock c = { time(NULL), 60 };
	struct mvm_bundle_input in = { env, len, 0, NULL };
	struct mvm_bundle b;
	struct mvm_verdict v = { 0 };
	int r = mvm_bundle_verify(&in, &t, &c, &b, &v);
	mvm_bundle_free(&b);
	assert_int_equal(r, -EPERM);
	assert_true(v.detail[0] != 0);
	return v.reason;
}

static void test_empty_envelope_is_malformed(void **state)
{
	(void)state;
	char err[160];
	assert_int_equal(bundle("", 0), MVM_REJECT_MALFORMED);
	assert_int_equal(cj("", 0, err), -EINVAL);
}

static void test_garbage_envelope_is_malformed(void **state)
{
	(void)state;
	char err[160];
	assert_int_equal(bundle(garbage, sizeof(garbage) - 1), MVM_REJECT_MALFORMED);
	assert_int_equal(cj(garbage, sizeof(garbage) - 1, err), -EINVAL);
	assert_non_null(strstr(err, "byte 0"));
}

static void test_invalid_utf8_in_canonical_json_is_refused(void **state)
{
	(void)state;
	char err[160];
	static const char *const bad[] = { "\"caf\xe9\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cj(bad[i], strlen(bad[i]), err), -EINVAL);
	assert_int_equal(cj("\"caf\xc3\xa9\"", 7, err), 0);
}

/* Bytes outside the base64 alphabet (libsodium 1.0.18 reads "\xc3\xa9" as "//"): an envelope
 * whose payload text differs from the signed one's must not parse, or its bytes (and digest)
 * would be malleable while it still verifies. */
static void test_base64_outside_the_alphabet_is_refused(void **state)
{
	(void)state;
	uint8_t out[3];
	assert_int_equal(mvm_b64_decode_exact("////", 4, out, 3), 0);
	assert_int_equal(mvm_b64_decode_exact("\xc3\xa9\xc3\xa9", 4, out, 3), -EINVAL);
	struct mvm_seckey k;
	struct mvm_buf env = { 0 };
	assert_int_equal(mvm_key_generate(MVM_ROLE_PUBLISHER, &k), 0);
	assert_int_equal(mvm_dsse_sign_envelope(&k, MVM_TYPE_PLAN, "\xff\xff\xff", 3, &env), 0);
	char *slashes = strstr(env.data, "\"////\"");
	assert_non_null(slashes);
	memcpy(slashes + 1, "\xc3\xa9", 2);
	struct mvm_arena a;
	struct mvm_dsse e;
	char err[160];
	mvm_arena_init(&a, 1u << 20);
	assert_int_equal(mvm_dsse_parse(&a, env.data, env.len, &e, err, sizeof(err)), -EINVAL);
	mvm_arena_free(&a);
	mvm_buf_free(&env);
	/* a public key file (trust store) the same way */
	struct mvm_pubkey pk;
	char text[256];
	assert_int_equal(mvm_pubkey_format(&k.pub, text, sizeof(text)), 0);
	assert_int_equal(mvm_pubkey_parse(text, strlen(text), &pk), 0);
	char *b64 = strchr(strchr(text, ' ') + 1, ' ') + 1;
	memcpy(b64, "\xc3\xa9", 2);
	assert_int_equal(mvm_pubkey_parse(text, strlen(text), &pk), -EINVAL);
}

static void test_bundle_with_a_100mb_file_is_refused_without_reading_it(void **state)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/bundle", (char *)*state);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/bundle/bundle.dsse.json", (char *)*state);
	sparse_file(path, "{", HUGE_FILE);
	struct mvm_trust t = { 0 };
	struct mvm_clock c = { time(NULL), 60 };
	struct mvm_bundle b;
	struct mvm_verdict v = { 0 };
	snprintf(path, sizeof(path), "%s/bundle", (char *)*state);
	assert_int_equal(mvm_bundle_load_dir(path, &t, &c, &b, &v), -EPERM);
	assert_int_equal(v.reason, MVM_REJECT_IO);
	assert_non_null(strstr(v.detail, "too large"));
	mvm_bundle_free(&b);
}

static void test_canonical_json_nesting_10k_deep_is_refused(void **state)
{
	(void)state;
	char err[160];
	char *arrays = repeat("[", DEEP, "", "]"), *objects = repeat("{\"a\":", DEEP, "1", "}");
	assert_int_equal(cj(arrays, strlen(arrays), err), -EINVAL);
	assert_non_null(strstr(err, "deep"));
	assert_int_equal(cj(objects, strlen(objects), err), -EINVAL);
	/* the same as a bundle payload: refused as malformed, never followed down */
	struct mvm_arena a;
	struct mvm_plan p;
	struct mvm_verdict v = { 0 };
	mvm_arena_init(&a, 64u << 20);
	assert_int_equal(mvm_plan_parse(&a, objects, strlen(objects), &p, &v), -EPERM);
	assert_int_equal(v.reason, MVM_REJECT_MALFORMED);
	mvm_arena_free(&a);
	free(arrays);
	free(objects);
}

static void test_canonical_json_duplicate_key_is_refused(void **state)
{
	(void)state;
	char err[160];
	assert_int_equal(cj("{\"a\":1,\"a\":2}", 13, err), -EINVAL);
	struct mvm_arena a;
	struct mvm_plan p;
	struct mvm_verdict v = { 0 };
	static const char plan[] = "{\"schema\":1,\"schema\":1}";
	mvm_arena_init(&a, 1u << 20);
	assert_int_equal(mvm_plan_parse(&a, plan, sizeof(plan) - 1, &p, &v), -EPERM);
	assert_int_equal(v.reason, MVM_REJECT_MALFORMED);
	mvm_arena_free(&a);
}

static void test_canonical_json_integer_overflow_is_refused(void **state)
{
	(void)state;
	char err[160];
	static const char *const bad[] = { "9223372036854775808", "-9223372036854775809", "99999999999999999999999",
					   "1e3", "-0", "01" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cj(bad[i], strlen(bad[i]), err), -EINVAL);
	assert_int_equal(cj("-9223372036854775808", 20, err), 0);
}

static void test_canonical_json_nul_is_refused(void **state)
{
	(void)state;
	char err[160];
	static const char raw[] = "\"a\0b\"", escaped[] = "\"a\\u0000b\"", key[] = "{\"a\\u0000\":1}";
	assert_int_equal(cj(raw, sizeof(raw) - 1, err), -EINVAL);
	assert_int_equal(cj(escaped, sizeof(escaped) - 1, err), -EINVAL);
	assert_int_equal(cj(key, sizeof(key) - 1, err), -EINVAL);
}

/* ---- the audit log ---- */

static enum mvm_audit_status audit_line(const char *line, size_t len)
{
	struct mvm_seckey k;
	assert_int_equal(mvm_key_generate(MVM_ROLE_HOST, &k), 0);
	struct mvm_trust t = { .nkey = 1, .key = &k.pub };
	char detail[256] = "";
	uint64_t seq;
	enum mvm_audit_status s = mvm_audit_parse_line(line, len, "acme", &t, &seq, detail, sizeof(detail));
	assert_true(s != MVM_AUDIT_CLEAN && detail[0]);
	return s;
}

static void test_audit_line_bad_inputs_are_tampered_entries(void **state)
{
	(void)state;
	char *deep = repeat("{\"entry\":", DEEP, "1", "}");
	assert_int_equal(audit_line("", 0), MVM_AUDIT_TAMPERED);
	assert_int_equal(audit_line(garbage, sizeof(garbage) - 1), MVM_AUDIT_TAMPERED);
	assert_int_equal(audit_line("{\"entry\":\"\xff\"}", 14), MVM_AUDIT_TAMPERED);
	assert_int_equal(audit_line(deep, strlen(deep)), MVM_AUDIT_TAMPERED);
	assert_int_equal(audit_line("{\"entry\":{},\"entry\":{}}", 23), MVM_AUDIT_TAMPERED);
	static const char overflow[] = "{\"entry\":{\"seq\":18446744073709551616},\"sig\":\"\"}";
	assert_int_equal(audit_line(overflow, sizeof(overflow) - 1), MVM_AUDIT_TAMPERED);
	static const char nul[] = "{\"entry\":{\"event\":\"plan\\u0000.admitted\"},\"sig\":\"\"}";
	assert_int_equal(audit_line(nul, sizeof(nul) - 1), MVM_AUDIT_TAMPERED);
	free(deep);
}

/* The peak RSS of a child running the verifier on a log with a 100 MB line in the middle of its
 * committed part: the verifier reads at most one entry's worth of a line. */
static void test_audit_verify_of_a_100mb_line_reads_a_bounded_amount(void **state)
{
	char dir[256], live[300], err[256];
	snprintf(dir, sizeof(dir), "%s/audit", (char *)*state);
	struct mvm_seckey k;
	assert_int_equal(mvm_key_generate(MVM_ROLE_HOST, &k), 0);
	struct mvm_trust t = { .nkey = 1, .key = &k.pub };
	struct mvm_audit a;
	assert_int_equal(mvm_audit_init(&a, dir, "acme", &k, &t, err, sizeof(err)), 0);
	struct mvm_audit_event e = { "plan.admitted", NULL, NULL, NULL, 0, NULL, (int64_t)time(NULL) };
	assert_int_equal(mvm_audit_append(&a, &e, NULL, err, sizeof(err)), 0);
	/* the first line becomes 100 MB of NULs (sparse), the size the head expects stays put */
	snprintf(live, sizeof(live), "%s/acme.jsonl", dir);
	struct stat st;
	assert_int_equal(stat(live, &st), 0);
	sparse_file(live, NULL, HUGE_FILE);
	pid_t pid = fork();
	if (pid == 0) {
		struct rusage before, after;
		struct mvm_audit_report rep;
		getrusage(RUSAGE_SELF, &before);
		int r = mvm_audit_verify(dir, "acme", &t, &rep);
		getrusage(RUSAGE_SELF, &after);
		/* ru_maxrss is in KiB */
		bool bounded = after.ru_maxrss - before.ru_maxrss < 16 * 1024;
		_exit(r == -EBADMSG && rep.status == MVM_AUDIT_TAMPERED && strstr(rep.detail, "a line of more than") && bounded
			      ? 0
			      : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	(void)st;
}

/* ---- the nonce store ---- */

static void test_nonce_store_bad_files_fail_closed(void **state)
{
	static const uint8_t nonce[MVM_NONCE_BYTES] = { 1 };
	struct mvm_nonce_scan sc;
	assert_int_equal(mvm_nonce_store_scan((const uint8_t *)"", 0, nonce, 0, &sc), -EBADMSG);
	assert_int_equal(mvm_nonce_store_scan((const uint8_t *)garbage, sizeof(garbage) - 1, nonce, 0, &sc), -EBADMSG);
	/* a 100 MB store (the header, then zeros): refused at its first record, admission refused */
	char state_dir[256], db[300];
	snprintf(state_dir, sizeof(state_dir), "%s/state", (char *)*state);
	assert_int_equal(mkdir(state_dir, 0700), 0);
	snprintf(db, sizeof(db), "%s/nonces.db", state_dir);
	sparse_file(db, "mvm-nonce-v1\n", HUGE_FILE);
	struct mvm_verdict v = { 0 };
	assert_int_equal(mvm_nonce_check_insert(state_dir, nonce, time(NULL) + 60, time(NULL), &v), -EPERM);
	assert_int_equal(v.reason, MVM_REJECT_NONCE_STORE);
	assert_non_null(strstr(v.detail, "record 0 is corrupt"));
	struct stat st;
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_size, HUGE_FILE); /* nothing written */
}

/* ---- DNS responses ---- */

static void test_dns_bad_responses_are_protocol_errors(void **state)
{
	(void)state;
	struct mvm_dns_answer ans;
	assert_int_equal(mvm_dns_parse_response((const uint8_t *)"", 0, 0x1234, "example.com", 1, &ans), -EPROTO);
	assert_int_equal(mvm_dns_parse_response((const uint8_t *)garbage, sizeof(garbage) - 1, 0x7f45, "example.com", 1, &ans),
			 -EPROTO);
	/* header (id 0x1234, a response, one question) + a question name */
	uint8_t msg[600] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0 };
	size_t n = 12;
	/* complete answers (name: a pointer to the question) for names that print as the name asked
	 * but are not it: a label holding a NUL byte, a label holding a dot */
	static const uint8_t answer[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };
	static const uint8_t nul_label[] = { 9, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 'x', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	memcpy(msg + n, nul_label, sizeof(nul_label));
	memcpy(msg + n + sizeof(nul_label), answer, sizeof(answer));
	assert_int_equal(mvm_dns_parse_response(msg, n + sizeof(nul_label) + sizeof(answer), 0x1234, "example", 1, &ans),
			 -EPROTO);
	static const uint8_t dot_label[] = { 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	memcpy(msg + n, dot_label, sizeof(dot_label));
	memcpy(msg + n + sizeof(dot_label), answer, sizeof(answer));
	assert_int_equal(mvm_dns_parse_response(msg, n + sizeof(dot_label) + sizeof(answer), 0x1234, "example.com", 1, &ans),
			 -EPROTO);
	/* an answer whose name is a compression pointer to itself: a loop, refused */
	static const uint8_t question[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	memcpy(msg + n, question, sizeof(question));
	size_t q = n + sizeof(question);
	msg[q] = 0xc0;
	msg[q + 1] = (uint8_t)q;
	memset(msg + q + 2, 0, 10);
	assert_int_equal(mvm_dns_parse_response(msg, q + 12, 0x1234, "example.com", 1, &ans), -EPROTO);
	/* the same message with the answer's name pointing at the question: accepted */
	msg[q + 1] = (uint8_t)n;
	static const uint8_t rr[] = { 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };
	memcpy(msg + q + 2, rr, sizeof(rr));
	assert_int_equal(mvm_dns_parse_response(msg, q + 2 + sizeof(rr), 0x1234, "example.com", 1, &ans), 0);
	assert_int_equal(ans.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toml_empty_file_is_an_empty_config),
		cmocka_unit_test(test_toml_binary_garbage_is_refused_with_its_position),
		cmocka_unit_test(test_toml_invalid_utf8_is_refused_with_its_position),
		cmocka_unit_test_setup_teardown(test_toml_100mb_file_is_refused_before_reading, make_dir, remove_dir),
		cmocka_unit_test(test_toml_deep_nesting_is_refused),
		cmocka_unit_test(test_toml_duplicate_key_or_table_is_refused),
		cmocka_unit_test(test_toml_integer_overflow_is_refused),
		cmocka_unit_test(test_toml_nul_in_a_name_or_string_is_refused),
		cmocka_unit_test(test_empty_envelope_is_malformed),
		cmocka_unit_test(test_garbage_envelope_is_malformed),
		cmocka_unit_test(test_invalid_utf8_in_canonical_json_is_refused),
		cmocka_unit_test(test_base64_outside_the_alphabet_is_refused),
		cmocka_unit_test_setup_teardown(test_bundle_with_a_100mb_file_is_refused_without_reading_it, make_dir, remove_dir),
		cmocka_unit_test(test_canonical_json_nesting_10k_deep_is_refused),
		cmocka_unit_test(test_canonical_json_duplicate_key_is_refused),
		cmocka_unit_test(test_canonical_json_integer_overflow_is_refused),
		cmocka_unit_test(test_canonical_json_nul_is_refused),
		cmocka_unit_test(test_audit_line_bad_inputs_are_tampered_entries),
		cmocka_unit_test_setup_teardown(test_audit_verify_of_a_100mb_line_reads_a_bounded_amount, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_nonce_store_bad_files_fail_closed, make_dir, remove_dir),
		cmocka_unit_test(test_dns_bad_responses_are_protocol_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

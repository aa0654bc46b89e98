/* The strict TOML subset reader (runtime/config_toml.c): what it accepts, and that everything
 * outside the subset is an error at the right LINE:COL. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/config_toml.h"

static void test_subset_parses_tables_booleans_integers_and_strings(void **state)
{
	(void)state;
	static const char text[] = "# mvm config\n"
				   "top = 1\n"
				   "\n"
				   "[security]   # trailing comment\n"
				   "ack_docker_tier = true\n"
				   "other-key=false\r\n"
				   "[limits]\n"
				   "max = -9_223_372_036_854_775_808\n"
				   "big = 9223372036854775807\n"
				   "name = \"tab\\there \\u00e9 \\\"q\\\"\"\n"
				   "lit = 'C:\\path'\n"
				   "utf8 = \"h\xc3\xa9\"\n";
	struct mvm_toml t;
	char err[128] = "";
	assert_int_equal(mvm_toml_parse(text, strlen(text), &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 8);
	bool b = false;
	assert_int_equal(mvm_toml_get_bool(&t, "security", "ack_docker_tier", &b), 0);
	assert_true(b);
	assert_int_equal(mvm_toml_get_bool(&t, "security", "other-key", &b), 0);
	assert_false(b);
	assert_int_equal(mvm_toml_get(&t, "", "top")->i, 1);
	assert_int_equal(mvm_toml_get(&t, "limits", "max")->i, INT64_MIN);
	assert_int_equal(mvm_toml_get(&t, "limits", "big")->i, INT64_MAX);
	assert_string_equal(mvm_toml_get(&t, "limits", "name")->s, "tab\there \xc3\xa9 \"q\"");
	assert_string_equal(mvm_toml_get(&t, "limits", "lit")->s, "C:\\path");
	assert_int_equal(mvm_toml_get(&t, "limits", "name")->line, 10);
	assert_int_equal(mvm_toml_get_bool(&t, "limits", "max", &b), -EINVAL);
	assert_int_equal(mvm_toml_get_bool(&t, "security", "absent", &b), -ENOENT);
	assert_null(mvm_toml_get(&t, "limits", "ack_docker_tier"));
	mvm_toml_free(&t);
}

static void test_everything_outside_the_subset_is_an_error_at_line_and_column(void **state)
{
	(void)state;
	static const struct {
		const char *text, *where;
	} bad[] = {
		{ "a = [1, 2]\n", "1:5:" },
		{ "a = {b = 1}\n", "1:5:" },
		{ "a = 1.5\n", "1:6:" },
		{ "a = 1979-05-27\n", "1:9:" },
		{ "a = 0x10\n", "1:6:" },
		{ "a = 007\n", "1:5:" },
		{ "a = 1__0\n", "1:7:" },
		{ "a = 99999999999999999999\n", "1:5:" },
		{ "a = \"\"\"x\"\"\"\n", "1:6:" },
		{ "a = \"open\n", "1:10:" },
		{ "a = \"bad \\q\"\n", "1:10:" },
		{ "a = \"\\ud800\"\n", "1:6:" },
		{ "a = yes\n", "1:5:" },
		{ "a = truex\n", "1:5:" },
		{ "\n[[tables]]\n", "2:2:" },
		{ "[a.b]\n", "1:3:" },
		{ "a.b = 1\n", "1:2:" },
		{ "\"a\" = 1\n", "1:1:" },
		{ "[s]\nk = 1\nk = 2\n", "3:1:" },
		{ "[s]\n[s]\n", "2:4:" },
		{ "a = 1 b = 2\n", "1:7:" },
		{ "a\n", "1:2:" },
		{ "a = \"ctl\x01\"\n", "1:9:" },
		{ "a = \"\xff\"\n", "1:6:" },
		{ "# \xc0\xaf overlong\n", "1:3:" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mvm_toml t;
		char err[128] = "";
		int rc = mvm_toml_parse(bad[i].text, strlen(bad[i].text), &t, err, sizeof(err));
		if (rc != -EINVAL || strncmp(err, bad[i].where, strlen(bad[i].where)))
			fail_msg("case %zu (%s): rc=%d err='%s', want -EINVAL at %s", i, bad[i].text, rc, err, bad[i].where);
		mvm_toml_free(&t);
	}
}

static void test_size_and_count_bounds_are_enforced(void **state)
{
	(void)state;
	struct mvm_toml t;
	char err[128];
	size_t big = MVM_TOML_MAX_BYTES + 1;
	char *text = malloc(big);
	memset(text, '#', big);
	assert_int_equal(mvm_toml_parse(text, big, &t, err, sizeof(err)), -EFBIG);
	mvm_toml_free(&t);
	/* MVM_TOML_MAX_ENTRIES keys parse, one more does not. */
	size_t off = 0;
	for (int i = 0; i <= MVM_TOML_MAX_ENTRIES; i++)
		off += (size_t)sprintf(text + off, "k%d = %d\n", i, i);
	assert_int_equal(mvm_toml_parse(text, off, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than"));
	mvm_toml_free(&t);
	char name[MVM_TOML_MAX_NAME + 8];
	memset(name, 'n', sizeof(name));
	snprintf(text, big, "%.*s = 1\n", MVM_TOML_MAX_NAME + 1, name);
	assert_int_equal(mvm_toml_parse(text, strlen(text), &t, err, sizeof(err)), -EINVAL);
	mvm_toml_free(&t);
	free(text);
}

static void test_load_refuses_missing_and_non_regular_files(void **state)
{
	(void)state;
	struct mvm_toml t;
	char err[256];
	assert_int_equal(mvm_toml_load("/nonexistent/mvm/config.toml", &t, err, sizeof(err)), -ENOENT);
	mvm_toml_free(&t);
	assert_int_equal(mvm_toml_load("/tmp", &t, err, sizeof(err)), -EINVAL);
	mvm_toml_free(&t);
	char path[] = "/tmp/mvm-test-toml-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char body[] = "[security]\nack_docker_tier = true\n";
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
	assert_int_equal(mvm_toml_load(path, &t, err, sizeof(err)), 0);
	bool b = false;
	assert_int_equal(mvm_toml_get_bool(&t, "security", "ack_docker_tier", &b), 0);
	assert_true(b);
	mvm_toml_free(&t);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subset_parses_tables_booleans_integers_and_strings),
		cmocka_unit_test(test_everything_outside_the_subset_is_an_error_at_line_and_column),
		cmocka_unit_test(test_size_and_count_bounds_are_enforced),
		cmocka_unit_test(test_load_refuses_missing_and_non_regular_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The posture comparison (runtime/posture.c) on its own: every item that differs is named as a
 * mismatch, a filter that cannot be read makes the posture partial (refused under
 * require_full), the /proc parsers take what the kernel writes and refuse what it does not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/canon_json.h"
#include "runtime/posture.h"

#define DIGEST_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A status file as Linux 6.x writes it for a sandboxed workload (fields trimmed). */
static const char status_ok[] = "Name:\tsh\nUmask:\t0022\nState:\tt (tracing stop)\nTgid:\t4\nPid:\t4\n"
				"Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nFDSize:\t64\n"
				"Groups:\t \nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
				"CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\n"
				"NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\nSpeculation_Store_Bypass:\tvulnerable\n";

static void expected_ok(struct mvm_posture_expected *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->filter_digest, sizeof(e->filter_digest), "%s", DIGEST_A);
	e->seccomp_filters = 1;
	e->uid = e->gid = 1000;
	for (int n = 0; n < MVM_NS_COUNT; n++)
		e->ns[n] = MVM_NS_EXPECT_DIFFERENT;
	e->ns[MVM_NS_USER] = MVM_NS_EXPECT_SAME;
}

static void observed_ok(struct mvm_posture_observed *o)
{
	memset(o, 0, sizeof(*o));
	assert_int_equal(mvm_posture_parse_status(status_ok, strlen(status_ok), o), 0);
	for (int n = 0; n < MVM_NS_COUNT; n++) {
		o->runtime_ns[n] = (struct mvm_ns_id){ 4, 4026531830u + (unsigned)n };
		o->ns[n] = (struct mvm_ns_id){ 4, 4026532200u + (unsigned)n };
	}
	o->ns[MVM_NS_USER] = o->runtime_ns[MVM_NS_USER];
	o->filter = MVM_FILTER_READ;
	snprintf(o->filter_digest, sizeof(o->filter_digest), "%s", DIGEST_A);
}

static void assert_only_mismatch(const struct mvm_posture_verdict *v, const char *name)
{
	assert_int_equal(v->status, MVM_POSTURE_MISMATCH);
	assert_int_equal(v->nmismatch, 1);
	const struct mvm_posture_check *c = mvm_posture_find(v, name);
	assert_non_null(c);
	assert_int_equal(c->result, MVM_CHECK_MISMATCH);
}

static void test_matching_posture_is_verified_with_every_check_named(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	expected_ok(&e);
	observed_ok(&o);
	assert_int_equal(mvm_posture_compare(&e, &o, &v), 0);
	assert_int_equal(v.status, MVM_POSTURE_VERIFIED);
	assert_true(mvm_posture_acceptable(&v, true));
	static const char *const names[] = { "seccomp.mode", "seccomp.filters", "seccomp.filter_digest", "no_new_privs",
					     "uid", "gid", "groups", "cap.inheritable", "cap.permitted", "cap.effective",
					     "cap.bounding", "cap.ambient", "ns.user", "ns.mnt", "ns.pid", "ns.net",
					     "ns.ipc", "ns.uts", "ns.cgroup" };
	assert_int_equal(v.n, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < v.n; i++) {
		assert_string_equal(v.check[i].name, names[i]);
		assert_int_equal(v.check[i].result, MVM_CHECK_OK);
	}
}

static void test_swapped_filter_digest_is_a_mismatch_naming_the_filter(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	expected_ok(&e);
	observed_ok(&o);
	snprintf(o.filter_digest, sizeof(o.filter_digest), "%s", DIGEST_B);
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "seccomp.filter_digest");
	const struct mvm_posture_check *c = mvm_posture_find(&v, "seccomp.filter_digest");
	assert_string_equal(c->expected, DIGEST_A);
	assert_string_equal(c->observed, DIGEST_B);
	assert_false(mvm_posture_acceptable(&v, false));
}

static void test_each_status_field_that_differs_is_a_mismatch(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	/* Written out one by one: each mutation changes exactly one item. */
	expected_ok(&e);
	observed_ok(&o);
	o.seccomp_mode = 0;
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "seccomp.mode");

	observed_ok(&o);
	o.seccomp_filters = 2; /* an extra filter stacked on the signed one */
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "seccomp.filters");

	observed_ok(&o);
	o.no_new_privs = 0;
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "no_new_privs");

	observed_ok(&o);
	o.uid[2] = 0; /* saved uid still root */
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "uid");

	observed_ok(&o);
	o.gid[3] = 0;
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "gid");

	observed_ok(&o);
	o.ngroups = 1;
	o.groups[0] = 0;
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "groups");

	static const char *const caps[] = { "cap.inheritable", "cap.permitted", "cap.effective", "cap.bounding",
					    "cap.ambient" };
	for (int s = 0; s < MVM_CAP_SETS; s++) {
		observed_ok(&o);
		o.cap[s] = 1ull << 21; /* CAP_SYS_ADMIN */
		mvm_posture_compare(&e, &o, &v);
		assert_only_mismatch(&v, caps[s]);
	}
}

static void test_namespace_shared_with_the_runtime_is_a_mismatch(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	static const char *const names[] = { "ns.user", "ns.mnt", "ns.pid", "ns.net", "ns.ipc", "ns.uts", "ns.cgroup" };
	expected_ok(&e);
	for (int n = 1; n < MVM_NS_COUNT; n++) {
		observed_ok(&o);
		o.ns[n] = o.runtime_ns[n];
		mvm_posture_compare(&e, &o, &v);
		assert_only_mismatch(&v, names[n]);
	}
	/* A user namespace expected to differ (unprivileged launch) but shared. */
	e.ns[MVM_NS_USER] = MVM_NS_EXPECT_DIFFERENT;
	observed_ok(&o);
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "ns.user");
	/* An unreadable namespace is a mismatch, never a pass. */
	e.ns[MVM_NS_USER] = MVM_NS_EXPECT_SAME;
	observed_ok(&o);
	o.ns[MVM_NS_NET].ino = 0;
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "ns.net");
}

static void test_unreadable_filter_makes_a_partial_posture_refused_under_require_full(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	expected_ok(&e);
	observed_ok(&o);
	o.filter = MVM_FILTER_UNAVAILABLE;
	o.filter_errno = EACCES;
	mvm_posture_compare(&e, &o, &v);
	assert_int_equal(v.status, MVM_POSTURE_PARTIAL);
	assert_int_equal(v.nunchecked, 1);
	assert_int_equal(v.nmismatch, 0);
	const struct mvm_posture_check *c = mvm_posture_find(&v, "seccomp.filter_digest");
	assert_int_equal(c->result, MVM_CHECK_UNCHECKED);
	assert_non_null(strstr(c->observed, "EACCES"));
	assert_true(mvm_posture_acceptable(&v, false));
	assert_false(mvm_posture_acceptable(&v, true));
	/* Partial plus a real mismatch is a mismatch. */
	o.no_new_privs = 0;
	mvm_posture_compare(&e, &o, &v);
	assert_int_equal(v.status, MVM_POSTURE_MISMATCH);
	assert_false(mvm_posture_acceptable(&v, false));
}

static void test_absent_or_failed_filter_read_is_a_mismatch(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	expected_ok(&e);
	static const enum mvm_filter_read bad[] = { MVM_FILTER_ABSENT, MVM_FILTER_ERROR, MVM_FILTER_NOT_TRIED };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		observed_ok(&o);
		o.filter = bad[i];
		o.filter_errno = EINVAL;
		mvm_posture_compare(&e, &o, &v);
		assert_only_mismatch(&v, "seccomp.filter_digest");
	}
}

static void test_unreadable_status_is_a_mismatch_not_a_pass(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	expected_ok(&e);
	observed_ok(&o);
	o.have_status = false;
	mvm_posture_compare(&e, &o, &v);
	assert_int_equal(v.status, MVM_POSTURE_MISMATCH);
	assert_non_null(mvm_posture_find(&v, "proc.status"));
	assert_false(mvm_posture_acceptable(&v, false));
}

static void test_id_maps_are_compared_exactly(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	expected_ok(&e);
	e.ns[MVM_NS_USER] = MVM_NS_EXPECT_DIFFERENT;
	e.check_idmap = true;
	e.uid_map = (struct mvm_idmap){ 1, { { 1000, 65534, 1 } } };
	e.gid_map = (struct mvm_idmap){ 1, { { 1000, 65534, 1 } } };
	observed_ok(&o);
	o.ns[MVM_NS_USER].ino = 4026532999u;
	static const char map[] = "      1000      65534          1\n";
	assert_int_equal(mvm_posture_parse_idmap(map, strlen(map), &o.uid_map), 0);
	assert_int_equal(mvm_posture_parse_idmap(map, strlen(map), &o.gid_map), 0);
	o.have_idmap = true;
	mvm_posture_compare(&e, &o, &v);
	assert_int_equal(v.status, MVM_POSTURE_VERIFIED);
	/* A wider map (a second range) is not what was needed. */
	static const char wide[] = "1000 65534 1\n0 100000 65536\n";
	assert_int_equal(mvm_posture_parse_idmap(wide, strlen(wide), &o.uid_map), 0);
	mvm_posture_compare(&e, &o, &v);
	assert_only_mismatch(&v, "uid_map");
}

static void test_status_parser_takes_kernel_text_and_refuses_damaged_text(void **state)
{
	(void)state;
	struct mvm_posture_observed o;
	memset(&o, 0, sizeof(o));
	assert_int_equal(mvm_posture_parse_status(status_ok, strlen(status_ok), &o), 0);
	assert_true(o.have_status);
	assert_int_equal(o.seccomp_mode, 2);
	assert_int_equal(o.seccomp_filters, 1);
	assert_int_equal(o.uid[3], 1000);
	assert_int_equal(o.ngroups, 0);
	static const char groups[] = "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t4 24 27 \nCapInh:\t0\nCapPrm:\t000001ffffffffff\n"
				     "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0\nNoNewPrivs:\t0\nSeccomp:\t0\n";
	assert_int_equal(mvm_posture_parse_status(groups, strlen(groups), &o), 0);
	assert_int_equal(o.ngroups, 3);
	assert_int_equal(o.groups[2], 27);
	assert_int_equal(o.seccomp_filters, -1); /* older kernels: not reported */
	assert_int_equal(o.cap[MVM_CAP_PRM], 0x1ffffffffffull);
	/* "Seccomp_filters" must not be taken for "Seccomp", nor a missing field ignored. */
	static const char *const bad[] = {
		"Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\nNoNewPrivs:\t1\nSeccomp_filters:\t1\n",
		"Uid:\t1\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\nNoNewPrivs:\t1\nSeccomp:\t2\n",
		"Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\nCapInh:\t0\nCapPrm:\t0\nCapEff:\tzz\nCapBnd:\t0\nCapAmb:\t0\nNoNewPrivs:\t1\nSeccomp:\t2\n",
		"Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\nNoNewPrivs:\t1\nSeccomp:\t3\n",
		"Uid:\t1\t1\t1\t99999999999\nGid:\t1\t1\t1\t1\nGroups:\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\nNoNewPrivs:\t1\nSeccomp:\t2\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mvm_posture_parse_status(bad[i], strlen(bad[i]), &o), -EINVAL);
		assert_false(o.have_status);
	}
	struct mvm_idmap m;
	static const char badmap[] = "1000 65534\n";
	assert_int_equal(mvm_posture_parse_idmap(badmap, strlen(badmap), &m), -EINVAL);
}

static void test_json_report_is_canonical_and_carries_every_check(void **state)
{
	(void)state;
	struct mvm_posture_expected e;
	struct mvm_posture_observed o;
	struct mvm_posture_verdict v;
	expected_ok(&e);
	observed_ok(&o);
	o.filter = MVM_FILTER_UNAVAILABLE;
	o.filter_errno = EACCES;
	mvm_posture_compare(&e, &o, &v);
	struct mvm_buf b = { 0 };
	assert_int_equal(mvm_posture_format_json(&v, &b), 0);
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_cj *root;
	char err[128];
	assert_int_equal(mvm_cj_parse(&a, b.data, b.len, &root, err, sizeof(err)), 0);
	assert_string_equal(mvm_cj_get(root, "status")->str, "partial");
	assert_int_equal(mvm_cj_get(root, "unchecked")->i, 1);
	assert_int_equal(mvm_cj_get(root, "checks")->n, v.n);
	mvm_arena_free(&a);
	mvm_buf_free(&b);
	mvm_posture_format_text(&v, &b);
	assert_non_null(strstr(b.data, "posture: partial"));
	assert_non_null(strstr(b.data, "unchecked seccomp.filter_digest"));
	mvm_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matching_posture_is_verified_with_every_check_named),
		cmocka_unit_test(test_swapped_filter_digest_is_a_mismatch_naming_the_filter),
		cmocka_unit_test(test_each_status_field_that_differs_is_a_mismatch),
		cmocka_unit_test(test_namespace_shared_with_the_runtime_is_a_mismatch),
		cmocka_unit_test(test_unreadable_filter_makes_a_partial_posture_refused_under_require_full),
		cmocka_unit_test(test_absent_or_failed_filter_read_is_a_mismatch),
		cmocka_unit_test(test_unreadable_status_is_a_mismatch_not_a_pass),
		cmocka_unit_test(test_id_maps_are_compared_exactly),
		cmocka_unit_test(test_status_parser_takes_kernel_text_and_refuses_damaged_text),
		cmocka_unit_test(test_json_report_is_canonical_and_carries_every_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

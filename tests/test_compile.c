/* The YAML front end and the resolver: strictness, diagnostics, and the meaning of rules. */
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

#include "compiler/resolve.h"

struct result {
	int rc;
	char *err; /* everything reported to the diagnostics stream */
	struct mvm_profile *p;
	struct mvm_arena arena;
	char path[64];
};

static void compile_text(struct result *res, const char *yaml)
{
	memset(res, 0, sizeof(*res));
	strcpy(res->path, "/tmp/mvmc-test-XXXXXX.yaml");
	int fd = mkstemps(res->path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	size_t errlen = 0;
	FILE *errf = open_memstream(&res->err, &errlen);
	struct mvm_diag d;
	struct mvm_stdlib *st;
	mvm_arena_init(&res->arena, 0);
	mvm_diag_init(&d, "mvmc", errf);
	d.caret = false;
	assert_int_equal(mvm_stdlib_load(&res->arena, &d, NULL, 0, &st), 0);
	res->rc = mvm_compile_profile(&res->arena, &d, st, res->path, 0, &res->p);
	fclose(errf);
}

static void result_free(struct result *res)
{
	unlink(res->path);
	free(res->err);
	mvm_arena_free(&res->arena);
}

/* Asserts that compiling failed with an error at LINE:COL containing `needle`. */
static void expect_error(const char *yaml, int line, int col, const char *needle)
{
	struct result res;
	compile_text(&res, yaml);
	char where[128];
	snprintf(where, sizeof(where), "%s:%d:%d: error: ", res.path, line, col);
	if (res.rc != -EINVAL || !strstr(res.err, where) || !strstr(res.err, needle))
		fail_msg("expected error at %d:%d containing '%s', got rc=%d:\n%s", line, col, needle, res.rc, res.err);
	result_free(&res);
}

static struct mvm_profile *compile_ok(struct result *res, const char *yaml)
{
	compile_text(res, yaml);
	if (res->rc != 0)
		fail_msg("expected success, got rc=%d:\n%s", res->rc, res->err);
	return res->p;
}

static void test_unknown_top_level_key_is_an_error_with_location(void **state)
{
	(void)state;
	expect_error("mvm: 1\nname: x\nsecomp: {}\n", 3, 1, "unknown key 'secomp' in profile");
}

static void test_duplicate_key_is_an_error(void **state)
{
	(void)state;
	expect_error("mvm: 1\nname: x\nname: y\n", 3, 1, "duplicate key 'name' (first at line 2)");
}

static void test_missing_schema_version_is_an_error(void **state)
{
	(void)state;
	expect_error("name: x\n", 1, 1, "missing required key 'mvm'");
}

static void test_newer_schema_version_is_refused(void **state)
{
	(void)state;
	expect_error("mvm: 2\n", 1, 6, "newer than this mvmc understands");
}

static void test_yaml_alias_is_refused(void **state)
{
	(void)state;
	expect_error("mvm: 1\nname: &a x\ntools: {allow: [*a]}\n", 2, 7, "anchors are not allowed");
}

static void test_wrong_type_is_an_error(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules: allow\n", 3, 10, "seccomp.rules: expected a list, got a scalar");
}

static void test_out_of_range_uid_is_an_error(void **state)
{
	(void)state;
	expect_error("mvm: 1\nprocess: {uid: 4294967295}\n", 2, 16, "out of range");
}

static void test_misspelled_syscall_suggests_the_closest_name(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules:\n    - allow: [read, opnat]\n", 4, 21,
		     "unknown syscall 'opnat'; did you mean 'openat'?");
}

static void test_x86_only_syscall_on_aarch64_is_an_error(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules:\n    - allow: [open]\n", 4, 15, "'open' does not exist on aarch64");
}

static void test_arch_restricted_rule_accepts_x86_only_syscall(void **state)
{
	(void)state;
	struct result res;
	struct mvm_profile *p = compile_ok(&res, "mvm: 1\nseccomp:\n  rules:\n    - action: allow\n"
						 "      syscalls: [open]\n      arch: [x86_64]\n");
	assert_int_equal(p->filter[MVM_ARCH_X86_64].ndecision, 1);
	assert_int_equal(p->filter[MVM_ARCH_AARCH64].ndecision, 0);
	result_free(&res);
}

static void test_unknown_tier_suggests_a_tier(void **state)
{
	(void)state;
	expect_error("mvm: 1\nextends: standrd\n", 2, 10, "unknown tier 'standrd'; did you mean 'standard'?");
}

static void test_tier_above_intent_ceiling_is_an_error(void **state)
{
	(void)state;
	expect_error("mvm: 1\nintent: code:execute\nextends: unrestricted\n", 3, 10,
		     "tier 'unrestricted' is above the ceiling of intent 'code:execute'");
}

static void test_allowing_a_syscall_beyond_the_ceiling_is_an_error(void **state)
{
	(void)state;
	expect_error("mvm: 1\nintent: code:execute\nextends: standard\nseccomp:\n  rules:\n    - allow: [kexec_load]\n",
		     6, 7, "'kexec_load' is allowed here beyond the ceiling of intent 'code:execute'");
}

static void test_egress_under_a_deny_intent_is_an_error(void **state)
{
	(void)state;
	expect_error("mvm: 1\nintent: code:execute\nextends: standard\nnetwork:\n  egress:\n    resolver: 10.0.2.3\n"
		     "    allow:\n      - {host: example.com, ports: [443]}\n",
		     6, 5, "allows no network egress");
}

static void test_ordering_comparison_on_32bit_argument_is_refused(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules:\n    - action: allow\n      syscalls: [socket]\n"
		     "      when: [{arg: domain, lt: 3}]\n",
		     6, 14, "only eq, in and mask are exact on 32-bit arguments");
}

static void test_value_wider_than_32bit_argument_is_refused(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules:\n    - action: allow\n      syscalls: [socket]\n"
		     "      when: [{arg: domain, eq: 0x100000001}]\n",
		     6, 32, "wider than the 32-bit argument 'domain'");
}

static void test_unknown_argument_name_suggests_one(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules:\n    - action: allow\n      syscalls: [socket]\n"
		     "      when: [{arg: domian, eq: 1}]\n",
		     6, 20, "'socket' has no argument 'domian'; did you mean 'domain'?");
}

static void test_two_conditions_on_one_argument_are_refused(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules:\n    - action: allow\n      syscalls: [mmap]\n"
		     "      when: [{arg: length, ge: 1}, {arg: length, le: 9}]\n",
		     6, 36, "two conditions on argument 'length' in one rule");
}

static void test_overlapping_rules_with_different_actions_are_refused(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  default: kill-process\n  rules:\n"
		     "    - action: allow\n      syscalls: [mmap]\n      when: [{arg: length, le: 100}]\n"
		     "    - action: errno(EPERM)\n      syscalls: [mmap]\n      when: [{arg: length, ge: 50}]\n",
		     8, 7, "may match the same calls");
}

static void test_disjoint_rules_with_different_actions_are_accepted(void **state)
{
	(void)state;
	struct result res;
	struct mvm_profile *p = compile_ok(&res, "mvm: 1\nseccomp:\n  default: kill-process\n  rules:\n"
						 "    - action: allow\n      syscalls: [mmap]\n      when: [{arg: length, le: 100}]\n"
						 "    - action: errno(EPERM)\n      syscalls: [mmap]\n      when: [{arg: length, ge: 101}]\n");
	const struct mvm_arch_filter *f = &p->filter[MVM_ARCH_X86_64];
	uint64_t args[6] = { 0 };
	int nr = mvm_syscall_nr(f->arch, "mmap");
	args[1] = 100;
	assert_int_equal(mvm_eval_decisions(f, nr, args).kind, MVM_ACT_ALLOW);
	args[1] = 101;
	assert_int_equal(mvm_eval_decisions(f, nr, args).kind, MVM_ACT_ERRNO);
	result_free(&res);
}

static void test_errno_name_resolves_to_its_number(void **state)
{
	(void)state;
	struct result res;
	struct mvm_profile *p = compile_ok(&res, "mvm: 1\nseccomp:\n  default: errno(EACCES)\n");
	assert_int_equal(p->filter[MVM_ARCH_AARCH64].default_action.kind, MVM_ACT_ERRNO);
	assert_int_equal(p->filter[MVM_ARCH_AARCH64].default_action.errno_val, EACCES);
	result_free(&res);
}

static void test_unknown_constant_suggests_one(void **state)
{
	(void)state;
	expect_error("mvm: 1\nseccomp:\n  rules:\n    - action: allow\n      syscalls: [socket]\n"
		     "      when: [{arg: domain, in: [AF_UNIX, AF_INT]}]\n",
		     6, 42, "unknown constant 'AF_INT'; did you mean 'AF_INET'?");
}

/* "errno for TIOCSTI, allow every other ioctl": the complement expansion must decide exactly as
 * the ordered rules do, including with garbage in the high half of the 32-bit argument. */
static void test_ioctl_fallback_complement_matches_ordered_rules(void **state)
{
	(void)state;
	struct result res;
	struct mvm_profile *p = compile_ok(&res, "mvm: 1\nseccomp:\n  default: kill-process\n  rules:\n"
						 "    - action: errno(EPERM)\n      syscalls: [ioctl]\n"
						 "      when: [{arg: request, in: [TIOCSTI, TIOCLINUX]}]\n"
						 "    - allow: [ioctl]\n");
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		const struct mvm_arch_filter *f = &p->filter[a];
		int nr = mvm_syscall_nr(f->arch, "ioctl");
		uint64_t probes[] = { 0, 1, 0x5411, 0x5412, 0x5413, 0x541b, 0x541c, 0x541d, 0xffffffff,
				      0x100005412ull, 0xdeadbeef0000541cull, 0x80000000, 0x7fffffff, 0x5402 };
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			uint64_t args[6] = { 3, probes[i], 0, 0, 0, 0 };
			struct mvm_action want = mvm_eval_rules(f, nr, args), got = mvm_eval_decisions(f, nr, args);
			assert_int_equal(want.kind, got.kind);
			assert_int_equal(want.errno_val, got.errno_val);
			bool tiocsti = (probes[i] & 0xffffffff) == 0x5412 || (probes[i] & 0xffffffff) == 0x541c;
			assert_int_equal(got.kind, tiocsti ? MVM_ACT_ERRNO : MVM_ACT_ALLOW);
		}
		uint64_t seed = 42;
		for (int i = 0; i < 20000; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t args[6] = { 0, seed ^ (seed >> 29), 0, 0, 0, 0 };
			if (i % 3 == 0)
				args[1] = (args[1] & ~0xffffull) | 0x5412 | (uint64_t)(i & 1) << 3;
			struct mvm_action want = mvm_eval_rules(f, nr, args), got = mvm_eval_decisions(f, nr, args);
			assert_true(mvm_action_eq(want, got));
		}
	}
	result_free(&res);
}

static void test_first_unconditional_rule_shadows_later_ones(void **state)
{
	(void)state;
	struct result res;
	struct mvm_profile *p = compile_ok(&res, "mvm: 1\nseccomp:\n  default: kill-process\n  rules:\n"
						 "    - errno(EPERM): [getpid]\n    - allow: [getpid]\n");
	const struct mvm_arch_filter *f = &p->filter[MVM_ARCH_X86_64];
	uint64_t args[6] = { 0 };
	struct mvm_action a = mvm_eval_decisions(f, mvm_syscall_nr(f->arch, "getpid"), args);
	assert_int_equal(a.kind, MVM_ACT_ERRNO);
	assert_int_equal(a.errno_val, EPERM);
	result_free(&res);
}

static void test_profile_rules_come_before_the_tier_rules(void **state)
{
	(void)state;
	struct result res;
	struct mvm_profile *p = compile_ok(&res, "mvm: 1\nextends: standard\nseccomp:\n  rules:\n"
						 "    - errno(EACCES): [mkdirat]\n");
	const struct mvm_arch_filter *f = &p->filter[MVM_ARCH_AARCH64];
	uint64_t args[6] = { 0 };
	struct mvm_action a = mvm_eval_decisions(f, mvm_syscall_nr(f->arch, "mkdirat"), args);
	assert_int_equal(a.kind, MVM_ACT_ERRNO);
	assert_int_equal(a.errno_val, EACCES);
	assert_string_equal(p->tier, "standard");
	result_free(&res);
}

static void test_extends_cycle_is_detected(void **state)
{
	(void)state;
	char a[] = "/tmp/mvmc-cycle-a-XXXXXX.yaml", b[] = "/tmp/mvmc-cycle-b-XXXXXX.yaml";
	int fa = mkstemps(a, 5), fb = mkstemps(b, 5);
	dprintf(fa, "mvm: 1\nextends: %s\n", b);
	dprintf(fb, "mvm: 1\nextends: %s\n", a);
	close(fa);
	close(fb);
	char yaml[256];
	snprintf(yaml, sizeof(yaml), "mvm: 1\nextends: %s\n", a);
	struct result res;
	compile_text(&res, yaml);
	char where[128];
	snprintf(where, sizeof(where), "%s:2:10: error: extends cycle: '%s' is already in the chain", b, a);
	assert_int_equal(res.rc, -EINVAL);
	if (!strstr(res.err, where))
		fail_msg("expected '%s', got:\n%s", where, res.err);
	result_free(&res);
	unlink(a);
	unlink(b);
}

static void test_several_errors_are_reported_in_one_run(void **state)
{
	(void)state;
	struct result res;
	compile_text(&res, "mvm: 1\nseccomp:\n  rules:\n    - allow: [reed]\n    - allow: [writ]\n");
	assert_int_equal(res.rc, -EINVAL);
	assert_non_null(strstr(res.err, "'reed'"));
	assert_non_null(strstr(res.err, "'writ'"));
	result_free(&res);
}

static void test_host_bits_in_cidr_are_refused(void **state)
{
	(void)state;
	expect_error("mvm: 1\nnetwork:\n  egress:\n    allow:\n      - {cidr: 10.1.2.3/8, ports: [80]}\n", 5, 16,
		     "host bits set");
}

static void test_per_arch_constant_takes_each_arch_value(void **state)
{
	(void)state;
	struct result res;
	struct mvm_profile *p = compile_ok(&res, "mvm: 1\narch: [x86_64]\nseccomp:\n  default: kill-process\n  rules:\n"
						 "    - action: allow\n      syscalls: [openat]\n"
						 "      when: [{arg: flags, mask: O_DIRECTORY, eq: O_DIRECTORY}]\n");
	const struct mvm_decision *dc = &p->filter[MVM_ARCH_X86_64].decision[0];
	assert_int_equal(dc->nentry, 1);
	assert_int_equal(dc->entry[0].conj.cond[0].mask, 0x10000);
	result_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_top_level_key_is_an_error_with_location),
		cmocka_unit_test(test_duplicate_key_is_an_error),
		cmocka_unit_test(test_missing_schema_version_is_an_error),
		cmocka_unit_test(test_newer_schema_version_is_refused),
		cmocka_unit_test(test_yaml_alias_is_refused),
		cmocka_unit_test(test_wrong_type_is_an_error),
		cmocka_unit_test(test_out_of_range_uid_is_an_error),
		cmocka_unit_test(test_misspelled_syscall_suggests_the_closest_name),
		cmocka_unit_test(test_x86_only_syscall_on_aarch64_is_an_error),
		cmocka_unit_test(test_arch_restricted_rule_accepts_x86_only_syscall),
		cmocka_unit_test(test_unknown_tier_suggests_a_tier),
		cmocka_unit_test(test_tier_above_intent_ceiling_is_an_error),
		cmocka_unit_test(test_allowing_a_syscall_beyond_the_ceiling_is_an_error),
		cmocka_unit_test(test_egress_under_a_deny_intent_is_an_error),
		cmocka_unit_test(test_ordering_comparison_on_32bit_argument_is_refused),
		cmocka_unit_test(test_value_wider_than_32bit_argument_is_refused),
		cmocka_unit_test(test_unknown_argument_name_suggests_one),
		cmocka_unit_test(test_two_conditions_on_one_argument_are_refused),
		cmocka_unit_test(test_overlapping_rules_with_different_actions_are_refused),
		cmocka_unit_test(test_disjoint_rules_with_different_actions_are_accepted),
		cmocka_unit_test(test_errno_name_resolves_to_its_number),
		cmocka_unit_test(test_unknown_constant_suggests_one),
		cmocka_unit_test(test_ioctl_fallback_complement_matches_ordered_rules),
		cmocka_unit_test(test_first_unconditional_rule_shadows_later_ones),
		cmocka_unit_test(test_profile_rules_come_before_the_tier_rules),
		cmocka_unit_test(test_extends_cycle_is_detected),
		cmocka_unit_test(test_several_errors_are_reported_in_one_run),
		cmocka_unit_test(test_host_bits_in_cidr_are_refused),
		cmocka_unit_test(test_per_arch_constant_takes_each_arch_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

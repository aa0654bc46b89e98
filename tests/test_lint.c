/* mvmc lint and mvmc diff as libraries: stable rule ids, findings and fingerprints from
 * mvm_lint_paths, and the exactness of the semantic diff on argument regions. */
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

#include "compiler/diff.h"
#include "compiler/lint.h"
#include "compiler/resolve.h"

static void write_file(char *path, const char *text)
{
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_rule_ids_are_stable_sequential_and_named_once(void **state)
{
	(void)state;
	for (int i = 0; i < MVM_LINT_COUNT; i++) {
		char id[16];
		snprintf(id, sizeof(id), "MVM%03d", i);
		assert_string_equal(mvm_lint_rules[i].id, id);
		assert_int_equal(mvm_lint_rule_lookup(id), i);
		assert_int_equal(mvm_lint_rule_lookup(mvm_lint_rules[i].name), i);
		assert_non_null(strstr(mvm_lint_rules[i].anchor, mvm_lint_rules[i].name));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(mvm_lint_rules[i].name, mvm_lint_rules[j].name);
	}
	assert_int_equal(mvm_lint_rule_lookup("mvm007"), MVM_LINT_SHADOWED);
	assert_int_equal(mvm_lint_rule_lookup("MVM999"), -1);
}

struct lint_run {
	struct mvm_arena a;
	struct mvm_lint_result r;
};

static void lint_text(struct lint_run *run, char *path, const char *text)
{
	write_file(path, text);
	struct mvm_lint_opts o;
	mvm_lint_opts_default(&o);
	mvm_arena_init(&run->a, 0);
	const char *paths[] = { path };
	assert_int_equal(mvm_lint_paths(&run->a, &o, paths, 1, &run->r), 0);
}

static const struct mvm_lint_finding *only_finding(const struct lint_run *run, enum mvm_lint_id id)
{
	const struct mvm_lint_finding *f = NULL;
	for (size_t i = 0; i < run->r.n; i++)
		if (run->r.f[i].rule == id) {
			assert_null(f);
			f = &run->r.f[i];
		}
	assert_non_null(f);
	return f;
}

static const char dangerous[] = "mvm: 1\nname: t\nextends: standard\nseccomp:\n  rules:\n    - allow: [ptrace]\n";

static void test_dangerous_syscall_finding_has_location_and_stable_fingerprint(void **state)
{
	(void)state;
	char p[] = "/tmp/mvm-lint-XXXXXX.yaml";
	struct lint_run a, b;
	lint_text(&a, p, dangerous);
	/* the same file with two comment lines inserted above the rule */
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "# one\n# two\n%s", dangerous);
	fclose(f);
	struct mvm_lint_opts o;
	mvm_lint_opts_default(&o);
	mvm_arena_init(&b.a, 0);
	const char *paths[] = { p };
	assert_int_equal(mvm_lint_paths(&b.a, &o, paths, 1, &b.r), 0);
	const struct mvm_lint_finding *fa = only_finding(&a, MVM_LINT_DANGEROUS), *fb = only_finding(&b, MVM_LINT_DANGEROUS);
	assert_int_equal(fa->loc.line, 6);
	assert_int_equal(fa->loc.col, 7);
	assert_int_equal(fa->severity, MVM_LINT_WARNING);
	assert_int_equal(fb->loc.line, 8);
	assert_int_equal(strlen(fa->fingerprint), 32);
	assert_string_equal(fa->fingerprint, fb->fingerprint);
	unlink(p);
	mvm_arena_free(&a.a);
	mvm_arena_free(&b.a);
}

static void test_disabled_rule_reports_nothing(void **state)
{
	(void)state;
	char p[] = "/tmp/mvm-lint-XXXXXX.yaml";
	write_file(p, dangerous);
	struct mvm_lint_opts o;
	mvm_lint_opts_default(&o);
	o.enabled[MVM_LINT_DANGEROUS] = false;
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_lint_result r;
	const char *paths[] = { p };
	assert_int_equal(mvm_lint_paths(&a, &o, paths, 1, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.nfiles, 1);
	unlink(p);
	mvm_arena_free(&a);
}

static void test_profile_that_does_not_compile_still_gets_other_findings(void **state)
{
	(void)state;
	char p[] = "/tmp/mvm-lint-XXXXXX.yaml";
	struct lint_run run;
	lint_text(&run, p, "mvm: 1\nname: t\nextends: standard\nseccomp:\n  rules:\n    - errno(EPERM): [opnat]\n"
			   "    - allow: [bpf]\n");
	const struct mvm_lint_finding *c = only_finding(&run, MVM_LINT_COMPILE);
	assert_int_equal(c->loc.line, 6);
	assert_int_equal(c->severity, MVM_LINT_ERROR);
	assert_int_equal(only_finding(&run, MVM_LINT_DANGEROUS)->loc.line, 7);
	size_t counts[3], sup;
	mvm_lint_count(&run.r, counts, &sup);
	assert_int_equal(counts[MVM_LINT_ERROR], 1);
	assert_int_equal(counts[MVM_LINT_WARNING], 1);
	unlink(p);
	mvm_arena_free(&run.a);
}

/* ---- diff ---- */

struct pair {
	struct mvm_arena a;
	struct mvm_stdlib *st;
	struct mvm_profile *old, *new;
	struct mvm_diff d;
};

static struct mvm_profile *compile(struct pair *p, const char *text)
{
	char path[] = "/tmp/mvm-diff-XXXXXX.yaml";
	write_file(path, text);
	struct mvm_diag d;
	mvm_diag_init(&d, "mvmc", stderr);
	struct mvm_profile *prof = NULL;
	assert_int_equal(mvm_compile_profile(&p->a, &d, p->st, path, 1u << MVM_ARCH_X86_64, &prof), 0);
	unlink(path);
	return prof;
}

static void diff_texts(struct pair *p, const char *old_rule, const char *new_rule)
{
	static const char head[] = "mvm: 1\nname: t\nseccomp:\n  default: errno(EPERM)\n  rules:\n";
	char o[1024], n[1024];
	snprintf(o, sizeof(o), "%s%s", head, old_rule);
	snprintf(n, sizeof(n), "%s%s", head, new_rule);
	struct mvm_diag d;
	mvm_diag_init(&d, "mvmc", stderr);
	mvm_arena_init(&p->a, 0);
	assert_int_equal(mvm_stdlib_load(&p->a, &d, NULL, 0, &p->st), 0);
	p->old = compile(p, o);
	p->new = compile(p, n);
	assert_int_equal(mvm_diff_profiles(&p->a, p->st, p->old, p->new, &p->d), 0);
}

static void test_diff_same_set_written_differently_is_no_change(void **state)
{
	(void)state;
	struct pair p;
	/* a 64-bit interval written two ways */
	diff_texts(&p, "    - action: errno(EINVAL)\n      syscalls: [madvise]\n      when: [{arg: length, lt: 4096}]\n",
		   "    - action: errno(EINVAL)\n      syscalls: [madvise]\n      when: [{arg: length, le: 4095}]\n");
	assert_int_equal(p.d.n, 0);
	mvm_arena_free(&p.a);
	/* a masked test and the equal list of values on a 32-bit argument */
	diff_texts(&p, "    - action: errno(EPERM)\n      syscalls: [socket]\n      when: [{arg: type, mask: 0xfffffffe, eq: 2}]\n",
		   "    - action: errno(EPERM)\n      syscalls: [socket]\n      when: [{arg: type, in: [2, 3]}]\n");
	assert_int_equal(p.d.n, 0);
	mvm_arena_free(&p.a);
}

static void test_diff_finds_the_one_region_that_widens(void **state)
{
	(void)state;
	struct pair p;
	/* clone flags & 0x3 == 0 -> flags & 0x1 == 0: flags with bit 1 set become allowed */
	diff_texts(&p, "    - action: allow\n      syscalls: [clone]\n      when: [{arg: flags, mask: 0x7e020003, eq: 0}]\n",
		   "    - action: allow\n      syscalls: [clone]\n      when: [{arg: flags, mask: 0x7e020001, eq: 0}]\n");
	assert_int_equal(p.d.n, 1);
	const struct mvm_diff_change *c = &p.d.v[0];
	assert_int_equal(c->kind, MVM_DIFF_SYSCALL);
	assert_string_equal(c->subject, "clone");
	assert_int_equal(c->effect, MVM_DIFF_WIDEN);
	assert_false(c->unproven);
	assert_true(c->nexample >= 1);
	assert_non_null(strstr(c->example[0], "-> allow"));
	mvm_arena_free(&p.a);
}

static void test_diff_high_half_of_32_bit_argument_is_not_a_region(void **state)
{
	(void)state;
	struct pair p;
	/* the same 32-bit test written with a sign-extended value: no change */
	diff_texts(&p, "    - action: errno(EPERM)\n      syscalls: [personality]\n      when: [{arg: persona, eq: 0xffffffff}]\n",
		   "    - action: errno(EPERM)\n      syscalls: [personality]\n      when: [{arg: persona, eq: -1}]\n");
	assert_int_equal(p.d.n, 0);
	mvm_arena_free(&p.a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_ids_are_stable_sequential_and_named_once),
		cmocka_unit_test(test_dangerous_syscall_finding_has_location_and_stable_fingerprint),
		cmocka_unit_test(test_disabled_rule_reports_nothing),
		cmocka_unit_test(test_profile_that_does_not_compile_still_gets_other_findings),
		cmocka_unit_test(test_diff_same_set_written_differently_is_no_change),
		cmocka_unit_test(test_diff_finds_the_one_region_that_widens),
		cmocka_unit_test(test_diff_high_half_of_32_bit_argument_is_not_a_region),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The meaning of a profile is its ordered rules (first match wins). This proves, for every
 * stdlib tier and every profile in profiles/, on both arches, that the normal form and the
 * emitted BPF (run in lib/'s interpreter) decide every call exactly as the ordered rules do:
 * every syscall number 0..1023, boundary values of every constant in the rules, values with
 * garbage in the upper half, and random vectors. The first divergence fails with its inputs. */
#include <errno.h>
#include <glob.h>
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/emit.h"
#include "compiler/resolve.h"
#include "lib/bpf_interp.h"

static uint32_t expected_ret(struct mvm_action a)
{
	switch (a.kind) {
	case MVM_ACT_ALLOW: return SECCOMP_RET_ALLOW;
	case MVM_ACT_LOG: return SECCOMP_RET_LOG;
	case MVM_ACT_ERRNO: return SECCOMP_RET_ERRNO | a.errno_val;
	case MVM_ACT_TRAP: return SECCOMP_RET_TRAP;
	case MVM_ACT_KILL_THREAD: return SECCOMP_RET_KILL_THREAD;
	case MVM_ACT_KILL_PROCESS: return SECCOMP_RET_KILL_PROCESS;
	}
	return 0xffffffff;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Interesting values for argument `arg` of syscall `nr`: each constant in its rules, +-1, and
 * with the upper half set. */
static size_t interesting(const struct mvm_arch_filter *f, int nr, int arg, uint64_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nrule; i++) {
		const struct mvm_rule *ru = &f->rule[i];
		if (ru->nr != nr)
			continue;
		for (size_t k = 0; k < ru->nalt; k++) {
			for (size_t c = 0; c < ru->alt[k].ncond; c++) {
				const struct mvm_cond *cd = &ru->alt[k].cond[c];
				if (cd->arg != arg || n + 6 > max)
					continue;
				out[n++] = cd->value;
				out[n++] = cd->value + 1;
				out[n++] = cd->value - 1;
				out[n++] = cd->value | 0xdeadbeef00000000ull;
				out[n++] = cd->value | (cd->mask ? ~cd->mask & 0xffffffffu : 0);
				out[n++] = cd->value ^ 0x100000000ull;
			}
		}
	}
	return n;
}

static void check_filter(const char *what, const struct mvm_arch_filter *f)
{
	struct mvm_diag d;
	struct mvm_buf bpf = { 0 };
	mvm_diag_init(&d, "test", stderr);
	assert_int_equal(mvm_emit_bpf(&d, f, &bpf), 0);
	const struct sock_filter *prog;
	size_t len;
	assert_int_equal(mvm_bpf_from_bytes(bpf.data, bpf.len, &prog, &len), 0);
	size_t bad;
	assert_int_equal(mvm_bpf_check(prog, len, &bad), 0);
	uint64_t seed = 0x6d766d63;
	size_t cases = 0;
	for (int nr = 0; nr < 1024; nr++) {
		uint64_t vals[6][96];
		size_t nv[6];
		for (int a = 0; a < 6; a++)
			nv[a] = interesting(f, nr, a, vals[a], 96);
		for (int round = 0; round < 80; round++) {
			uint64_t args[6];
			for (int a = 0; a < 6; a++) {
				uint64_t r = splitmix(&seed);
				if (round == 0)
					args[a] = 0;
				else if (round == 1)
					args[a] = UINT64_MAX;
				else if (nv[a] && (r & 3) != 0)
					args[a] = vals[a][(r >> 8) % nv[a]];
				else
					args[a] = (r & 16) ? r : r & 0xffffffffu;
			}
			struct seccomp_data sd = { .nr = nr, .arch = f->arch->audit_arch };
			memcpy(sd.args, args, sizeof(args));
			uint32_t got;
			assert_int_equal(mvm_bpf_run(prog, len, &sd, &got, NULL), 0);
			struct mvm_action want = mvm_eval_rules(f, nr, args), normal = mvm_eval_decisions(f, nr, args);
			uint32_t w = expected_ret(want);
			if (got != w || expected_ret(normal) != w)
				fail_msg("%s %s nr=%d (%s) args=[%#llx %#llx %#llx %#llx %#llx %#llx]: rules=%#x normal=%#x bpf=%#x",
					 what, f->arch->name, nr, mvm_syscall_name(f->arch, nr) ? mvm_syscall_name(f->arch, nr) : "?",
					 (unsigned long long)args[0], (unsigned long long)args[1], (unsigned long long)args[2],
					 (unsigned long long)args[3], (unsigned long long)args[4], (unsigned long long)args[5], w,
					 expected_ret(normal), got);
			cases++;
		}
	}
	/* A call under another arch token is killed, whatever the rules say. */
	struct seccomp_data foreign = { .nr = 0, .arch = f->arch->audit_arch == AUDIT_ARCH_X86_64 ? AUDIT_ARCH_I386 : AUDIT_ARCH_ARM };
	uint32_t got;
	assert_int_equal(mvm_bpf_run(prog, len, &foreign, &got, NULL), 0);
	assert_int_equal(got, SECCOMP_RET_KILL_PROCESS);
	mvm_buf_free(&bpf);
	printf("  %s %s: %zu cases agree (%zu instructions)\n", what, f->arch->name, cases, len);
}

static struct mvm_stdlib *load_stdlib(struct mvm_arena *a)
{
	struct mvm_diag d;
	struct mvm_stdlib *st;
	mvm_diag_init(&d, "test", stderr);
	assert_int_equal(mvm_stdlib_load(a, &d, NULL, 0, &st), 0);
	return st;
}

static void test_every_tier_bpf_decides_like_its_rules(void **state)
{
	(void)state;
	for (int t = 0; t < MVM_TIER_COUNT; t++) {
		struct mvm_arena a;
		struct mvm_diag d;
		struct mvm_profile *p;
		mvm_arena_init(&a, 0);
		mvm_diag_init(&d, "test", stderr);
		struct mvm_stdlib *st = load_stdlib(&a);
		assert_int_equal(mvm_compile_tier(&a, &d, st, mvm_tier_names[t], 3, &p), 0);
		for (int arch = 0; arch < MVM_ARCH_COUNT; arch++)
			check_filter(mvm_tier_names[t], &p->filter[arch]);
		mvm_arena_free(&a);
	}
}

static void test_every_example_profile_bpf_decides_like_its_rules(void **state)
{
	(void)state;
	glob_t g;
	assert_int_equal(glob("profiles/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 4);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct mvm_arena a;
		struct mvm_diag d;
		struct mvm_profile *p;
		mvm_arena_init(&a, 0);
		mvm_diag_init(&d, "test", stderr);
		struct mvm_stdlib *st = load_stdlib(&a);
		assert_int_equal(mvm_compile_profile(&a, &d, st, g.gl_pathv[i], 0, &p), 0);
		for (int arch = 0; arch < MVM_ARCH_COUNT; arch++)
			if (p->arch_mask & (1u << arch))
				check_filter(g.gl_pathv[i], &p->filter[arch]);
		mvm_arena_free(&a);
	}
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_tier_bpf_decides_like_its_rules),
		cmocka_unit_test(test_every_example_profile_bpf_decides_like_its_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

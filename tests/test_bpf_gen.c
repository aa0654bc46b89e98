/* mvmc's BPF generator: exact against libseccomp on every stdlib tier, every example profile
 * and Docker's default profile (imported), on both arches and both libseccomp optimize levels;
 * and the properties the generator promises: arch and x32 handling, both halves of 64-bit
 * arguments, the low half only of 32-bit ones, far jumps, the 4096-instruction limit, a program
 * with no dead code, no redundant load and no trivial jump, one RET per action within reach,
 * every unconditional allow cache-eligible, determinism, and the quality targets of issue 4. */
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
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpf_differential.h"
#include "compiler/bpf_cfg.h"
#include "compiler/import_oci.h"
#include "compiler/resolve.h"
#include "oracle_libseccomp.h"

#define DOCKER_JSON "../shared/data/moby/default.json"

static const char *docker_json(void)
{
	const char *e = getenv("MVM_DOCKER_JSON");
	return e && *e ? e : DOCKER_JSON;
}

static struct mvm_stdlib *load_stdlib(struct mvm_arena *a)
{
	struct mvm_diag d;
	struct mvm_stdlib *st;
	mvm_diag_init(&d, "test", stderr);
	assert_int_equal(mvm_stdlib_load(a, &d, NULL, 0, &st), 0);
	return st;
}

/* Compiles YAML text as a profile (through a memfd, so nothing is left on disk). */
static struct mvm_profile *compile_text(struct mvm_arena *a, const char *yaml, size_t len)
{
	struct mvm_diag d;
	struct mvm_profile *p;
	char path[64];
	int fd = memfd_create("test-profile", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, len), (ssize_t)len);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mvm_diag_init(&d, "test", stderr);
	assert_int_equal(mvm_compile_profile(a, &d, load_stdlib(a), path, 0, &p), 0);
	close(fd);
	return p;
}

static struct mvm_profile *compile_docker(struct mvm_arena *a)
{
	struct mvm_diag d;
	struct mvm_buf yaml = { 0 };
	char *json;
	size_t len;
	if (mvm_read_file(a, docker_json(), MVM_IMPORT_MAX_JSON, &json, &len))
		fail_msg("cannot read Docker's default profile at %s (set MVM_DOCKER_JSON)", docker_json());
	mvm_diag_init(&d, "test", stderr);
	struct mvm_import_opts o = { "docker-default", docker_json(), 0, NULL };
	assert_int_equal(mvm_import_oci(&d, load_stdlib(a), docker_json(), json, len, &o, &yaml), 0);
	struct mvm_profile *p = compile_text(a, yaml.data, yaml.len);
	mvm_buf_free(&yaml);
	return p;
}

static struct mvm_bpf_freq *default_freq(struct mvm_arena *a)
{
	struct mvm_diag d;
	const char *text, *display;
	size_t len;
	struct mvm_bpf_freq *fq;
	mvm_diag_init(&d, "test", stderr);
	assert_int_equal(mvm_stdlib_read(load_stdlib(a), a, "syscall-freq.yaml", &text, &len, &display), 0);
	assert_int_equal(mvm_bpf_freq_parse(a, &d, display, text, len, &fq), 0);
	return fq;
}

/* Exact agreement, with no tolerance at all, at both libseccomp levels and with and without
 * the frequency table. */
static void expect_exact(const char *what, const struct mvm_arch_filter *f, const struct mvm_bpf_freq *fq)
{
	for (int level = 1; level <= 2; level++) {
		struct mvm_bpf_opts gen = { level == 2 ? fq : NULL };
		struct diff_opts o = { &gen, level, 0x6d766d63, 4 };
		struct diff_case bad;
		struct diff_stats st = { 0 };
		int rc = diff_filter(f, &o, &bad, &st);
		if (rc == 1 || st.oracle_wrong) {
			diff_print(stderr, f, rc == 1 ? &bad : &st.oracle_case);
			fail_msg("%s %s: mvmc and libseccomp (level %d) diverge", what, f->arch->name, level);
		}
		assert_int_equal(rc, 0);
		assert_false(st.oracle_over_limit);
		if (level == 2)
			printf("  %s %s: %zu cases equal; mvmc %zu instructions, libseccomp-2 %zu\n", what, f->arch->name,
			       st.cases, st.mvmc_len, st.libseccomp_len);
	}
}

static void test_every_tier_decides_exactly_like_libseccomp(void **state)
{
	(void)state;
	for (int t = 0; t < MVM_TIER_COUNT; t++) {
		struct mvm_arena a;
		struct mvm_diag d;
		struct mvm_profile *p;
		mvm_arena_init(&a, 0);
		mvm_diag_init(&d, "test", stderr);
		assert_int_equal(mvm_compile_tier(&a, &d, load_stdlib(&a), mvm_tier_names[t], 3, &p), 0);
		struct mvm_bpf_freq *fq = default_freq(&a);
		for (int arch = 0; arch < MVM_ARCH_COUNT; arch++)
			expect_exact(mvm_tier_names[t], &p->filter[arch], fq);
		mvm_arena_free(&a);
	}
}

static void test_every_example_profile_decides_exactly_like_libseccomp(void **state)
{
	(void)state;
	glob_t g;
	assert_int_equal(glob("profiles/*.yaml", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct mvm_arena a;
		struct mvm_diag d;
		struct mvm_profile *p;
		mvm_arena_init(&a, 0);
		mvm_diag_init(&d, "test", stderr);
		assert_int_equal(mvm_compile_profile(&a, &d, load_stdlib(&a), g.gl_pathv[i], 0, &p), 0);
		struct mvm_bpf_freq *fq = default_freq(&a);
		for (int arch = 0; arch < MVM_ARCH_COUNT; arch++)
			if (p->arch_mask & (1u << arch))
				expect_exact(g.gl_pathv[i], &p->filter[arch], fq);
		mvm_arena_free(&a);
	}
	globfree(&g);
}

static void test_docker_default_imported_decides_exactly_like_libseccomp(void **state)
{
	(void)state;
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_profile *p = compile_docker(&a);
	struct mvm_bpf_freq *fq = default_freq(&a);
	for (int arch = 0; arch < MVM_ARCH_COUNT; arch++)
		expect_exact("docker default", &p->filter[arch], fq);
	mvm_arena_free(&a);
}

/* ---- properties ---- */

static size_t generate(const struct mvm_arch_filter *f, const struct mvm_bpf_opts *o, struct sock_filter *prog)
{
	struct mvm_diag d;
	size_t len = 0, bad;
	mvm_diag_init(&d, "test", stderr);
	assert_int_equal(mvm_bpf_generate(&d, f, o, prog, &len), 0);
	assert_int_equal(mvm_bpf_check(prog, len, &bad), 0);
	return len;
}

static uint32_t run(const struct sock_filter *prog, size_t len, uint32_t token, uint32_t nr, const uint64_t args[6])
{
	struct seccomp_data sd = { .nr = (int)nr, .arch = token };
	uint32_t ret;
	if (args)
		memcpy(sd.args, args, sizeof(sd.args));
	assert_int_equal(mvm_bpf_run(prog, len, &sd, &ret, NULL), 0);
	return ret;
}

/* A hand-made filter: default errno(1), `read` allowed, and one conditional syscall. */
struct small {
	struct mvm_arch_filter f;
	struct mvm_decision d[2];
	struct mvm_entry e[4];
};

static void small_filter(struct small *s, enum mvm_arch_id arch, const struct mvm_cond *conds, size_t ncond)
{
	const struct mvm_arch *ar = mvm_arch_by_id(arch);
	memset(s, 0, sizeof(*s));
	s->f.arch = ar;
	s->f.default_action = (struct mvm_action){ MVM_ACT_ERRNO, 1 };
	s->d[0] = (struct mvm_decision){ .nr = mvm_syscall_nr(ar, "read"), .name = "read",
					 .action = { MVM_ACT_ALLOW, 0 } };
	s->e[0].action = (struct mvm_action){ MVM_ACT_ALLOW, 0 };
	s->e[0].conj.ncond = (uint8_t)ncond;
	memcpy(s->e[0].conj.cond, conds, ncond * sizeof(*conds));
	s->d[1] = (struct mvm_decision){ .nr = mvm_syscall_nr(ar, "ioctl"), .name = "ioctl", .action = s->f.default_action,
					 .nentry = 1, .entry = s->e };
	s->f.decision = s->d;
	s->f.ndecision = 2;
	if (s->d[0].nr > s->d[1].nr) { /* decisions are sorted by number */
		struct mvm_decision t = s->d[0];
		s->d[0] = s->d[1];
		s->d[1] = t;
	}
}

static void test_foreign_arch_and_x32_calls_are_killed(void **state)
{
	(void)state;
	struct sock_filter prog[MVM_BPF_MAXINSNS];
	struct small s;
	struct mvm_cond c = { 1, 32, MVM_OP_EQ, 0, 0x5412 };
	for (int arch = 0; arch < MVM_ARCH_COUNT; arch++) {
		small_filter(&s, (enum mvm_arch_id)arch, &c, 1);
		size_t len = generate(&s.f, NULL, prog);
		uint32_t own = s.f.arch->audit_arch, rd = (uint32_t)mvm_syscall_nr(s.f.arch, "read");
		assert_int_equal(run(prog, len, own, rd, NULL), SECCOMP_RET_ALLOW);
		assert_int_equal(run(prog, len, AUDIT_ARCH_I386, rd, NULL), SECCOMP_RET_KILL_PROCESS);
		assert_int_equal(run(prog, len, AUDIT_ARCH_ARM, rd, NULL), SECCOMP_RET_KILL_PROCESS);
		assert_int_equal(run(prog, len, own == AUDIT_ARCH_X86_64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64, rd, NULL),
				 SECCOMP_RET_KILL_PROCESS);
		bool x86 = own == AUDIT_ARCH_X86_64;
		/* x32 numbers: killed on x86_64; on aarch64 they are just unknown numbers */
		assert_int_equal(run(prog, len, own, 0x40000000u | rd, NULL), x86 ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ERRNO | 1);
		assert_int_equal(run(prog, len, own, 0xfffffffeu, NULL), x86 ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ERRNO | 1);
		/* -1, the number a tracer uses to skip a call, takes the default (as with libseccomp) */
		assert_int_equal(run(prog, len, own, 0xffffffffu, NULL), SECCOMP_RET_ERRNO | 1);
		assert_int_equal(run(prog, len, own, 1023, NULL), SECCOMP_RET_ERRNO | 1);
	}
}

static void test_32bit_condition_compares_the_low_half_only(void **state)
{
	(void)state;
	struct sock_filter prog[MVM_BPF_MAXINSNS];
	struct small s;
	struct mvm_cond c = { 1, 32, MVM_OP_EQ, 0, 0x5412 };
	small_filter(&s, MVM_ARCH_X86_64, &c, 1);
	size_t len = generate(&s.f, NULL, prog);
	uint32_t nr = (uint32_t)mvm_syscall_nr(s.f.arch, "ioctl");
	uint64_t a[6] = { 0, 0x5412, 0, 0, 0, 0 };
	assert_int_equal(run(prog, len, AUDIT_ARCH_X86_64, nr, a), SECCOMP_RET_ALLOW);
	a[1] = 0xdeadbeef00005412ull; /* the kernel ignores the high half of an int */
	assert_int_equal(run(prog, len, AUDIT_ARCH_X86_64, nr, a), SECCOMP_RET_ALLOW);
	a[1] = 0x5413;
	assert_int_equal(run(prog, len, AUDIT_ARCH_X86_64, nr, a), SECCOMP_RET_ERRNO | 1);
	/* no instruction of the program loads the high half of that argument */
	for (size_t i = 0; i < len; i++)
		assert_false(prog[i].code == BPF_OP_LD && prog[i].k == BPF_OFF_ARG_HI(1));
}

static void test_64bit_conditions_check_both_halves(void **state)
{
	(void)state;
	struct sock_filter prog[MVM_BPF_MAXINSNS];
	struct small s;
	static const struct {
		enum mvm_cmp_op op;
		uint64_t value, mask;
		uint64_t yes[3], no[3];
	} t[] = {
		{ MVM_OP_EQ, 0x100000005ull, 0, { 0x100000005ull, 0x100000005ull, 0x100000005ull }, { 5, 0x200000005ull, 0x100000004ull } },
		{ MVM_OP_NE, 0x100000005ull, 0, { 5, 0x200000005ull, 0x100000004ull }, { 0x100000005ull, 0x100000005ull, 0x100000005ull } },
		{ MVM_OP_GT, 0x100000005ull, 0, { 0x100000006ull, 0x200000000ull, UINT64_MAX }, { 0x100000005ull, 0xffffffffull, 6 } },
		{ MVM_OP_GE, 0x100000005ull, 0, { 0x100000005ull, 0x200000000ull, UINT64_MAX }, { 0x100000004ull, 0xffffffffull, 0 } },
		{ MVM_OP_LT, 0x100000005ull, 0, { 0x100000004ull, 0xffffffffull, 0 }, { 0x100000005ull, 0x200000000ull, UINT64_MAX } },
		{ MVM_OP_LE, 0x100000005ull, 0, { 0x100000005ull, 0xffffffffull, 6 }, { 0x100000006ull, 0x200000000ull, UINT64_MAX } },
		{ MVM_OP_MASKED_EQ, 0x100000001ull, 0x100000001ull, { 0x100000001ull, 0x1000000ff, UINT64_MAX }, { 1, 0x100000000ull, 0 } },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mvm_cond c = { 2, 64, t[i].op, t[i].mask, t[i].value };
		small_filter(&s, MVM_ARCH_AARCH64, &c, 1);
		size_t len = generate(&s.f, NULL, prog);
		uint32_t nr = (uint32_t)mvm_syscall_nr(s.f.arch, "ioctl");
		for (int k = 0; k < 3; k++) {
			uint64_t a[6] = { 0, 0, t[i].yes[k], 0, 0, 0 };
			assert_int_equal(run(prog, len, AUDIT_ARCH_AARCH64, nr, a), SECCOMP_RET_ALLOW);
			a[2] = t[i].no[k];
			assert_int_equal(run(prog, len, AUDIT_ARCH_AARCH64, nr, a), SECCOMP_RET_ERRNO | 1);
		}
	}
}

/* Many conditional syscalls: a program far longer than a conditional jump reaches. */
static struct mvm_arch_filter *long_filter(enum mvm_arch_id arch, size_t nentry, bool masked)
{
	const struct mvm_arch *ar = mvm_arch_by_id(arch);
	struct mvm_arch_filter *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->arch = ar;
	f->default_action = (struct mvm_action){ MVM_ACT_KILL_PROCESS, 0 };
	f->decision = calloc((size_t)ar->max_nr + 1, sizeof(*f->decision));
	assert_non_null(f->decision);
	for (int nr = 0; nr <= ar->max_nr; nr++) {
		const char *name = mvm_syscall_name(ar, nr);
		if (!name)
			continue;
		struct mvm_decision *dc = &f->decision[f->ndecision++];
		dc->nr = nr;
		dc->name = name;
		dc->action = nr % 3 ? (struct mvm_action){ MVM_ACT_ALLOW, 0 } : f->default_action;
		if (nr % 3 == 0) {
			dc->nentry = nentry;
			dc->entry = calloc(nentry, sizeof(*dc->entry));
			assert_non_null(dc->entry);
			for (size_t e = 0; e < nentry; e++) {
				struct mvm_entry *en = &dc->entry[e];
				en->action = (struct mvm_action){ e % 2 ? MVM_ACT_ALLOW : MVM_ACT_ERRNO, (uint16_t)(e % 2 ? 0 : 1 + nr) };
				en->conj.ncond = masked ? 1 : 2;
				/* arbitrary masks are not intervals: each entry costs its own tests */
				en->conj.cond[0] = (struct mvm_cond){ 0, 32, masked ? MVM_OP_MASKED_EQ : MVM_OP_EQ,
								      masked ? 0xff0101u : 0, e << 16 };
				en->conj.cond[1] = (struct mvm_cond){ (uint8_t)(1 + e % 5), 64, MVM_OP_EQ, 0, (uint64_t)nr << 33 };
			}
		}
	}
	return f;
}

static void free_long_filter(struct mvm_arch_filter *f)
{
	for (size_t i = 0; i < f->ndecision; i++)
		free(f->decision[i].entry);
	free(f->decision);
	free(f);
}

static void test_far_jumps_are_resolved_and_exact(void **state)
{
	(void)state;
	struct mvm_arch_filter *f = long_filter(MVM_ARCH_X86_64, 4, false);
	struct diff_opts o = { NULL, 2, 7, 1 };
	struct diff_case bad;
	struct diff_stats st = { 0 };
	int rc = diff_filter(f, &o, &bad, &st);
	if (rc == 1)
		diff_print(stderr, f, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(st.oracle_wrong, 0);
	assert_true(st.mvmc_len > 3 * 256); /* jumps had to cross more than one reach */
	printf("  long filter: %zu instructions, %zu cases equal\n", st.mvmc_len, st.cases);
	free_long_filter(f);
}

static void test_filter_over_4096_instructions_is_refused_with_a_clear_error(void **state)
{
	(void)state;
	struct mvm_arch_filter *f = long_filter(MVM_ARCH_AARCH64, 24, true);
	f->decision[0].loc = (struct mvm_loc){ "big.yaml", 7, 5 }; /* nr 0: the first of the largest blocks */
	char *msg = NULL;
	size_t msglen = 0, len = 0;
	FILE *err = open_memstream(&msg, &msglen);
	struct mvm_diag d;
	struct sock_filter *prog = malloc(MVM_BPF_MAXINSNS * sizeof(*prog));
	assert_non_null(prog);
	mvm_diag_init(&d, "mvmc", err);
	d.caret = false;
	assert_int_equal(mvm_bpf_generate(&d, f, NULL, prog, &len), -E2BIG);
	fclose(err);
	assert_non_null(strstr(msg, "mvmc: big.yaml:7:5: error: the seccomp filter for aarch64 needs more than 4096 instructions"));
	free(msg);
	free(prog);
	free_long_filter(f);
}

/* The instructions that can run, and what A holds when each starts (-1: unknown or mixed). */
static void reachability(const struct sock_filter *p, size_t len, bool *live, long *holds)
{
	for (size_t i = 0; i < len; i++) {
		live[i] = false;
		holds[i] = -2;
	}
	live[0] = true;
	holds[0] = -1;
	for (size_t pc = 0; pc < len; pc++) {
		if (!live[pc])
			continue;
		const struct sock_filter *f = &p[pc];
		long out = f->code == BPF_OP_LD ? (long)f->k : f->code == BPF_OP_AND ? -1 : holds[pc];
		size_t succ[2], ns = 0;
		if (f->code == BPF_OP_JA)
			succ[ns++] = pc + 1 + f->k;
		else if (bpf_is_jump(f->code)) {
			succ[ns++] = pc + 1 + f->jt;
			succ[ns++] = pc + 1 + f->jf;
		} else if (f->code != BPF_OP_RET)
			succ[ns++] = pc + 1;
		for (size_t s = 0; s < ns; s++) {
			live[succ[s]] = true;
			holds[succ[s]] = holds[succ[s]] == -2 || holds[succ[s]] == out ? out : -1;
		}
	}
}

static void expect_clean(const char *what, const struct sock_filter *p, size_t len)
{
	bool live[MVM_BPF_MAXINSNS];
	long holds[MVM_BPF_MAXINSNS];
	reachability(p, len, live, holds);
	size_t rets = 0, distinct = 0;
	uint32_t seen[64];
	for (size_t i = 0; i < len; i++) {
		if (!live[i])
			fail_msg("%s: instruction %zu can never run", what, i);
		if (p[i].code == BPF_OP_LD && holds[i] == (long)p[i].k)
			fail_msg("%s: instruction %zu reloads what A already holds", what, i);
		if (bpf_is_jump(p[i].code) && p[i].jt == p[i].jf)
			fail_msg("%s: instruction %zu jumps to one place either way", what, i);
		if (p[i].code == BPF_OP_JA && p[i].k == 0)
			fail_msg("%s: instruction %zu jumps to the next one", what, i);
		if (p[i].code == BPF_OP_RET) {
			rets++;
			bool dup = false;
			for (size_t k = 0; k < distinct && !dup; k++)
				dup = seen[k] == p[i].k;
			if (!dup && distinct < 64)
				seen[distinct++] = p[i].k;
		}
	}
	/* within one jump's reach, every action has exactly one RET */
	if (len <= 256 && rets != distinct)
		fail_msg("%s: %zu RET instructions for %zu distinct actions", what, rets, distinct);
}

static void test_programs_have_no_dead_code_redundant_loads_or_trivial_jumps(void **state)
{
	(void)state;
	struct sock_filter prog[MVM_BPF_MAXINSNS];
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_profile *docker = compile_docker(&a);
	struct mvm_bpf_freq *fq = default_freq(&a);
	struct mvm_bpf_opts o = { fq };
	for (int arch = 0; arch < MVM_ARCH_COUNT; arch++)
		expect_clean("docker", prog, generate(&docker->filter[arch], &o, prog));
	for (int t = 0; t < MVM_TIER_COUNT; t++) {
		struct mvm_diag d;
		struct mvm_profile *p;
		mvm_diag_init(&d, "test", stderr);
		assert_int_equal(mvm_compile_tier(&a, &d, load_stdlib(&a), mvm_tier_names[t], 3, &p), 0);
		for (int arch = 0; arch < MVM_ARCH_COUNT; arch++)
			expect_clean(mvm_tier_names[t], prog, generate(&p->filter[arch], &o, prog));
	}
	struct mvm_arch_filter *f = long_filter(MVM_ARCH_X86_64, 4, true);
	expect_clean("long filter", prog, generate(f, NULL, prog));
	free_long_filter(f);
	mvm_arena_free(&a);
}

static void test_every_unconditional_allow_is_cache_eligible(void **state)
{
	(void)state;
	struct sock_filter prog[MVM_BPF_MAXINSNS];
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_profile *profiles[MVM_TIER_COUNT + 1];
	profiles[0] = compile_docker(&a);
	for (int t = 0; t < MVM_TIER_COUNT; t++) {
		struct mvm_diag d;
		mvm_diag_init(&d, "test", stderr);
		assert_int_equal(mvm_compile_tier(&a, &d, load_stdlib(&a), mvm_tier_names[t], 3, &profiles[t + 1]), 0);
	}
	for (int i = 0; i <= MVM_TIER_COUNT; i++) {
		for (int arch = 0; arch < MVM_ARCH_COUNT; arch++) {
			const struct mvm_arch_filter *f = &profiles[i]->filter[arch];
			size_t len = generate(f, NULL, prog);
			for (size_t s = 0; s < f->arch->nsyscalls; s++) {
				int nr = f->arch->syscalls[s].nr;
				uint64_t zero[6] = { 0 };
				bool uncond = true;
				for (size_t k = 0; k < f->ndecision; k++)
					if (f->decision[k].nr == nr && f->decision[k].nentry)
						uncond = false;
				bool allows = uncond && mvm_eval_decisions(f, nr, zero).kind == MVM_ACT_ALLOW;
				/* eligible exactly when the normal form allows whatever the arguments */
				assert_int_equal(mvm_bpf_cache_allows(prog, len, f->arch->audit_arch, (uint32_t)nr), allows);
			}
		}
	}
	mvm_arena_free(&a);
}

static void test_same_input_gives_same_bytes(void **state)
{
	(void)state;
	struct sock_filter p1[MVM_BPF_MAXINSNS], p2[MVM_BPF_MAXINSNS], p3[MVM_BPF_MAXINSNS];
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_profile *p = compile_docker(&a);
	struct mvm_bpf_opts o = { default_freq(&a) };
	for (int arch = 0; arch < MVM_ARCH_COUNT; arch++) {
		size_t n1 = generate(&p->filter[arch], &o, p1), n2 = generate(&p->filter[arch], &o, p2);
		assert_int_equal(n1, n2);
		assert_memory_equal(p1, p2, n1 * sizeof(p1[0]));
		/* the weights change the shape, not the meaning */
		size_t n3 = generate(&p->filter[arch], NULL, p3);
		assert_true(n3 != n1 || memcmp(p1, p3, n1 * sizeof(p1[0])) != 0);
	}
	mvm_arena_free(&a);
}

static void test_docker_default_meets_the_quality_targets(void **state)
{
	(void)state;
	struct sock_filter prog[MVM_BPF_MAXINSNS];
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_profile *p = compile_docker(&a);
	struct mvm_bpf_freq *fq = default_freq(&a);
	struct mvm_bpf_opts o = { fq };
	for (int arch = 0; arch < MVM_ARCH_COUNT; arch++) {
		const struct mvm_arch_filter *f = &p->filter[arch];
		struct mvm_bpf_stats ours, theirs, unweighted;
		size_t len = generate(f, &o, prog);
		assert_int_equal(mvm_bpf_measure(f, prog, len, fq, &ours), 0);
		struct mvm_diag d;
		struct mvm_buf b = { 0 };
		const struct sock_filter *lp;
		size_t llen;
		mvm_diag_init(&d, "test", stderr);
		assert_int_equal(oracle_libseccomp_bpf(&d, f, 2, &b), 0);
		assert_int_equal(mvm_bpf_from_bytes(b.data, b.len, &lp, &llen), 0);
		assert_int_equal(mvm_bpf_measure(f, lp, llen, fq, &theirs), 0);
		mvm_buf_free(&b);
		len = generate(f, NULL, prog);
		assert_int_equal(mvm_bpf_measure(f, prog, len, fq, &unweighted), 0);
		printf("  docker %s: length %zu (libseccomp-2 %zu), mean %.2f, weighted mean %.2f (unweighted tree %.2f), "
		       "max %zu, cache-eligible %zu of %zu unconditional allows\n", f->arch->name, ours.length, theirs.length,
		       ours.mean_insns, ours.weighted_mean_insns, unweighted.weighted_mean_insns, ours.max_insns,
		       ours.cache_eligible, ours.unconditional_allows);
		assert_true(ours.mean_insns <= 11.0);
		assert_true(3 * ours.length <= theirs.length);
		assert_int_equal(ours.cache_eligible, ours.unconditional_allows);
		assert_true(ours.mean_insns < theirs.mean_insns);
		/* frequencies shorten the paths that are taken often */
		assert_true(ours.weighted_mean_insns <= unweighted.weighted_mean_insns);
	}
	mvm_arena_free(&a);
}

static void test_frequency_table_errors_name_their_location(void **state)
{
	(void)state;
	static const char text[] = "mvm: 1\ncounts:\n  read: 10\n  nosuchcall: 3\n  write: -1\nextra: 1\n";
	struct mvm_arena a;
	struct mvm_diag d;
	struct mvm_bpf_freq *fq;
	char *msg = NULL;
	size_t msglen = 0;
	FILE *err = open_memstream(&msg, &msglen);
	mvm_arena_init(&a, 0);
	mvm_diag_init(&d, "mvmc", err);
	d.caret = false;
	assert_int_equal(mvm_bpf_freq_parse(&a, &d, "w.yaml", text, sizeof(text) - 1, &fq), -EINVAL);
	fclose(err);
	assert_non_null(strstr(msg, "w.yaml:4:3: error: counts: unknown syscall 'nosuchcall'"));
	assert_non_null(strstr(msg, "w.yaml:5:10: error: count:"));
	assert_non_null(strstr(msg, "w.yaml:6:1: error: unknown key 'extra'"));
	free(msg);
	mvm_arena_free(&a);
}

static void test_docker_import_keeps_docker_meaning(void **state)
{
	(void)state;
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_profile *p = compile_docker(&a);
	for (int arch = 0; arch < MVM_ARCH_COUNT; arch++) {
		const struct mvm_arch_filter *f = &p->filter[arch];
		const struct mvm_arch *ar = f->arch;
		uint64_t args[6] = { 0 };
		assert_int_equal(f->default_action.kind, MVM_ACT_ERRNO);
		assert_int_equal(f->default_action.errno_val, 1);
		assert_int_equal(mvm_eval_decisions(f, mvm_syscall_nr(ar, "read"), args).kind, MVM_ACT_ALLOW);
		assert_int_equal(mvm_eval_decisions(f, mvm_syscall_nr(ar, "mount"), args).kind, MVM_ACT_ERRNO);
		/* socket: every family but AF_ALG (38) and AF_VSOCK (40) */
		int sock = mvm_syscall_nr(ar, "socket");
		for (uint64_t fam = 0; fam < 50; fam++) {
			args[0] = fam;
			enum mvm_action_kind k = mvm_eval_decisions(f, sock, args).kind;
			assert_int_equal(k, fam == 38 || fam == 40 ? MVM_ACT_ERRNO : MVM_ACT_ALLOW);
		}
		/* personality: the listed personas only */
		int pers = mvm_syscall_nr(ar, "personality");
		args[0] = 0xffffffff;
		assert_int_equal(mvm_eval_decisions(f, pers, args).kind, MVM_ACT_ALLOW);
		args[0] = 0x0040000; /* ADDR_NO_RANDOMIZE */
		assert_int_equal(mvm_eval_decisions(f, pers, args).kind, MVM_ACT_ERRNO);
		/* clone without namespace flags; clone3 answers ENOSYS (no CAP_SYS_ADMIN) */
		int clone = mvm_syscall_nr(ar, "clone");
		args[0] = 0x11; /* SIGCHLD */
		assert_int_equal(mvm_eval_decisions(f, clone, args).kind, MVM_ACT_ALLOW);
		args[0] = 0x10000000; /* CLONE_NEWUSER */
		assert_int_equal(mvm_eval_decisions(f, clone, args).kind, MVM_ACT_ERRNO);
		struct mvm_action c3 = mvm_eval_decisions(f, mvm_syscall_nr(ar, "clone3"), args);
		assert_int_equal(c3.kind, MVM_ACT_ERRNO);
		assert_int_equal(c3.errno_val, ENOSYS);
		/* x86-only names only on x86_64 */
		if (ar->id == MVM_ARCH_X86_64)
			assert_int_equal(mvm_eval_decisions(f, mvm_syscall_nr(ar, "arch_prctl"), args).kind, MVM_ACT_ALLOW);
	}
	mvm_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_tier_decides_exactly_like_libseccomp),
		cmocka_unit_test(test_every_example_profile_decides_exactly_like_libseccomp),
		cmocka_unit_test(test_docker_default_imported_decides_exactly_like_libseccomp),
		cmocka_unit_test(test_foreign_arch_and_x32_calls_are_killed),
		cmocka_unit_test(test_32bit_condition_compares_the_low_half_only),
		cmocka_unit_test(test_64bit_conditions_check_both_halves),
		cmocka_unit_test(test_far_jumps_are_resolved_and_exact),
		cmocka_unit_test(test_filter_over_4096_instructions_is_refused_with_a_clear_error),
		cmocka_unit_test(test_programs_have_no_dead_code_redundant_loads_or_trivial_jumps),
		cmocka_unit_test(test_every_unconditional_allow_is_cache_eligible),
		cmocka_unit_test(test_same_input_gives_same_bytes),
		cmocka_unit_test(test_docker_default_meets_the_quality_targets),
		cmocka_unit_test(test_frequency_table_errors_name_their_location),
		cmocka_unit_test(test_docker_import_keeps_docker_meaning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

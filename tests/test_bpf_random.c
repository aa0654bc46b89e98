/* Random normal forms, compiled by mvmc's generator and by libseccomp, must decide every call the
 * same way (tests/bpf_differential.h): 1000 profiles with a fixed seed in `make check`, 100,000
 * in `make check-long` (MVM_RANDOM_PROFILES=N, MVM_RANDOM_SEED=S to vary). Each profile has a
 * filter for x86_64 and one for aarch64: a random default action, unconditional decisions, and
 * conditional ones with 32- and 64-bit conditions of every operator, entries that overlap (same
 * action) or are disjoint by construction (different actions), the complement form the resolver
 * writes for "these values get A, all others B", and sizes that need far jumps. A divergence is
 * shrunk to a minimal reproducer, printed, and fails the test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpf_differential.h"
#include "compiler/resolve.h"

#define DEFAULT_PROFILES 1000
#define DEFAULT_SEED 0x6d766d2d72616e64ull /* "mvm-rand" */
#define MAX_ENTRIES 32
#define MAX_JOBS 16

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

static uint64_t wmax(unsigned width)
{
	return width == 32 ? 0xffffffffull : UINT64_MAX;
}

static uint64_t rand_value(struct rng *r, unsigned width)
{
	uint64_t v;
	switch (below(r, 11)) {
	case 0: v = 0; break;
	case 1: v = 1; break;
	case 2: v = below(r, 64); break;
	case 3: v = 0xffffffffull; break;
	case 4: v = 0x80000000ull; break;
	case 5: v = 1ull << below(r, width); break;
	case 6: v = wmax(width); break;
	case 7: v = 0x100000000ull + below(r, 4); break;
	case 8: v = below(r, 4096); break;
	default: v = rnd(r); break;
	}
	return v & wmax(width);
}

static uint64_t rand_mask(struct rng *r, unsigned width)
{
	uint64_t m;
	switch (below(r, 5)) {
	case 0: m = ~((1ull << below(r, width)) - 1); break;     /* a prefix of high bits */
	case 1: m = 1ull << below(r, width); break;               /* one bit */
	case 2: m = rnd(r) & rnd(r); break;                       /* sparse */
	case 3: m = 0xffffffffull << (width == 64 ? 32 * below(r, 2) : 0); break;
	default: m = rnd(r); break;
	}
	m &= wmax(width);
	return m ? m : 1;
}

static struct mvm_action rand_action(struct rng *r)
{
	switch (below(r, 10)) {
	case 0: case 1: case 2: return (struct mvm_action){ MVM_ACT_ALLOW, 0 };
	case 3: return (struct mvm_action){ MVM_ACT_LOG, 0 };
	case 4: return (struct mvm_action){ MVM_ACT_TRAP, 0 };
	case 5: return (struct mvm_action){ MVM_ACT_KILL_THREAD, 0 };
	case 6: return (struct mvm_action){ MVM_ACT_KILL_PROCESS, 0 };
	case 7: return (struct mvm_action){ MVM_ACT_ERRNO, ENOSYS };
	/* 1..4094: libseccomp 2.5.4 refuses SCMP_ACT_ERRNO(4095) */
	default: return (struct mvm_action){ MVM_ACT_ERRNO, (uint16_t)(1 + below(r, 4094)) };
	}
}

static struct mvm_action action_not(struct rng *r, const struct mvm_action *avoid, size_t n)
{
	for (;;) {
		struct mvm_action a = rand_action(r);
		bool clash = false;
		for (size_t i = 0; i < n && !clash; i++)
			clash = mvm_action_eq(a, avoid[i]);
		if (!clash)
			return a;
	}
}

/* Any condition the normal form allows on an argument of this width. */
static struct mvm_cond free_cond(struct rng *r, unsigned arg, unsigned width)
{
	struct mvm_cond c = { .arg = (uint8_t)arg, .width = (uint8_t)width };
	/* 64-bit: every operator, ordering ones less often (libseccomp mishandles or hangs on
	 * some of their combinations, which leaves those filters checked against the normal form
	 * alone) */
	static const enum mvm_cmp_op ops64[] = { MVM_OP_EQ, MVM_OP_EQ, MVM_OP_EQ, MVM_OP_MASKED_EQ, MVM_OP_MASKED_EQ,
						 MVM_OP_MASKED_EQ, MVM_OP_NE, MVM_OP_LT, MVM_OP_LE, MVM_OP_GT, MVM_OP_GE };
	c.op = width == 32 ? (below(r, 2) ? MVM_OP_EQ : MVM_OP_MASKED_EQ) : ops64[below(r, sizeof(ops64) / sizeof(ops64[0]))];
	if (c.op == MVM_OP_MASKED_EQ) {
		c.mask = rand_mask(r, width);
		c.value = rand_value(r, width) & c.mask;
	} else {
		c.value = rand_value(r, width);
	}
	return c;
}

struct gen {
	struct rng *r;
	unsigned width[6];
	struct mvm_action def;
	size_t n;
	struct mvm_entry e[4 * 64 + 8 + MAX_ENTRIES];
};

static void push(struct gen *g, struct mvm_action a, const struct mvm_cond *c, size_t nc)
{
	if (g->n == sizeof(g->e) / sizeof(g->e[0]))
		return;
	struct mvm_entry *e = &g->e[g->n++];
	memset(e, 0, sizeof(*e));
	e->action = a;
	e->conj.ncond = (uint8_t)nc;
	memcpy(e->conj.cond, c, nc * sizeof(*c));
}

/* Free conditions on up to `extra` arguments other than `skip` appended to c. */
static size_t add_free(struct gen *g, struct mvm_cond *c, size_t nc, int skip, unsigned extra)
{
	unsigned used = skip >= 0 ? 1u << skip : 0;
	for (unsigned k = 0; k < extra; k++) {
		unsigned a = (unsigned)below(g->r, 6);
		if (used & (1u << a))
			continue;
		used |= 1u << a;
		c[nc++] = free_cond(g->r, a, g->width[a]);
	}
	return nc;
}

/* Entries of up to three actions, disjoint across actions through one argument d. */
static void gen_groups(struct gen *g)
{
	struct rng *r = g->r;
	/* mostly a few entries (libseccomp, the oracle, slows down steeply with many), now and
	 * then many */
	size_t k = 1 + below(r, 3), nent = 1 + below(r, below(r, 16) ? 6 : MAX_ENTRIES);
	struct mvm_action act[3], avoid[4] = { g->def };
	for (size_t i = 0; i < k; i++) {
		act[i] = action_not(r, avoid, i + 1);
		avoid[i + 1] = act[i];
	}
	unsigned d = (unsigned)below(r, 6), w = g->width[d];
	unsigned method = (unsigned)below(r, w == 64 && below(r, 2) ? 3 : 2);
	uint64_t pool[3][3], M = 0, V[3], split = 1 + below(r, UINT32_MAX);
	if (w == 64 && below(r, 2))
		split = rnd(r) | 1;
	if (method == 0) {
		for (size_t i = 0; i < k; i++)
			for (size_t j = 0; j < 3; j++)
				for (;;) {
					uint64_t v = rand_value(r, w);
					bool dup = false;
					for (size_t x = 0; x <= i && !dup; x++)
						for (size_t y = 0; y < (x == i ? j : 3) && !dup; y++)
							dup = pool[x][y] == v;
					if (!dup) {
						pool[i][j] = v;
						break;
					}
				}
	} else if (method == 1) {
		do
			M = rand_mask(r, w);
		while (__builtin_popcountll(M) < 2);
		for (size_t i = 0; i < k; i++) {
			for (;;) {
				uint64_t v = rnd(r) & M;
				bool dup = false;
				for (size_t x = 0; x < i && !dup; x++)
					dup = V[x] == v;
				if (!dup) {
					V[i] = v;
					break;
				}
			}
		}
	} else if (k > 2) {
		k = 2;
	}
	for (size_t n = 0; n < nent && g->n < MAX_ENTRIES; n++) {
		size_t grp = k > 1 ? below(r, k) : 0;
		struct mvm_cond c[6];
		size_t nc = 0;
		if (k > 1 || below(r, 3)) {
			struct mvm_cond cd = { .arg = (uint8_t)d, .width = (uint8_t)w };
			if (k == 1) {
				cd = free_cond(r, d, w);
			} else if (method == 0) {
				cd.op = MVM_OP_EQ;
				cd.value = pool[grp][below(r, 3)];
			} else if (method == 1) {
				uint64_t extra = rnd(r) & rnd(r) & wmax(w) & ~M;
				cd.op = MVM_OP_MASKED_EQ;
				cd.mask = M | extra;
				cd.value = V[grp] | (rnd(r) & extra);
			} else {
				/* below split for group 0, at or above it for group 1 */
				unsigned pick = (unsigned)below(r, 3);
				if (grp == 0) {
					cd.op = pick == 0 ? MVM_OP_LT : pick == 1 ? MVM_OP_LE : MVM_OP_EQ;
					cd.value = pick == 0 ? split : pick == 1 ? split - 1 : below(r, split);
				} else {
					cd.op = pick == 0 ? MVM_OP_GE : pick == 1 ? MVM_OP_GT : MVM_OP_EQ;
					cd.value = pick == 0 ? split : pick == 1 ? split - 1 : split + below(r, 1000);
					if (pick == 2 && cd.value < split)
						cd.value = split;
				}
			}
			c[nc++] = cd;
		}
		nc = add_free(g, c, nc, k > 1 || nc ? (int)d : -1, (unsigned)below(r, nc ? 3 : 4) + (nc ? 0 : 1));
		if (nc == 0)
			c[nc++] = free_cond(r, d, w);
		push(g, act[grp], c, nc);
	}
}

/* The complement of a value set on one argument as masked entries (the resolver's form of
 * "these values get B, every other value A"), written independently here. */
static void complement(struct gen *g, struct mvm_action a, unsigned arg, unsigned width, const uint64_t *v, size_t n,
		       int bit, uint64_t prefix)
{
	if (bit < 0 || n == 0)
		return;
	uint64_t one = 1ull << bit, mask = (wmax(width) >> bit) << bit;
	for (int side = 0; side < 2; side++) {
		uint64_t sub[8];
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (((v[i] & one) != 0) == (side == 1))
				sub[k++] = v[i];
		uint64_t p = prefix | (side ? one : 0);
		if (k == 0) {
			struct mvm_cond c = { (uint8_t)arg, (uint8_t)width, MVM_OP_MASKED_EQ, mask, p };
			push(g, a, &c, 1);
		} else {
			complement(g, a, arg, width, sub, k, bit - 1, p);
		}
	}
}

static void gen_complement(struct gen *g)
{
	struct rng *r = g->r;
	unsigned arg = (unsigned)below(r, 6), w = g->width[arg];
	uint64_t v[4];
	/* libseccomp's rule database slows down badly on many 64-bit masked rules for one syscall */
	if (w == 64 && below(r, 4)) {
		w = 32;
		g->width[arg] = 32;
	}
	size_t n = w == 64 ? 1 : 1 + below(r, 4);
	for (size_t i = 0; i < n; i++)
		v[i] = rand_value(r, w);
	struct mvm_action avoid[2] = { g->def };
	struct mvm_action fallback = action_not(r, avoid, 1);
	avoid[1] = fallback;
	if (below(r, 2)) {
		/* the listed values get a third action */
		struct mvm_action listed = action_not(r, avoid, 2);
		for (size_t i = 0; i < n; i++) {
			struct mvm_cond c = { (uint8_t)arg, (uint8_t)w, MVM_OP_EQ, 0, v[i] };
			push(g, listed, &c, 1);
		}
	}
	complement(g, fallback, arg, w, v, n, (int)w - 1, 0);
}

struct profile {
	struct mvm_arch_filter f;
	struct mvm_decision d[512];
	struct mvm_entry *ent[512];
};

static void gen_filter(struct rng *r, const struct mvm_arch *ar, struct profile *p)
{
	memset(p, 0, sizeof(*p));
	p->f.arch = ar;
	p->f.default_action = below(r, 8) ? rand_action(r) : (struct mvm_action){ MVM_ACT_ALLOW, 0 };
	size_t want = below(r, 2) ? below(r, 40) : below(r, 4) ? 40 + below(r, 160) : 200 + below(r, 250);
	if (want > ar->nsyscalls)
		want = ar->nsyscalls;
	/* a random subset of the arch's syscalls, in number order */
	bool *pick = calloc((size_t)ar->max_nr + 1, sizeof(*pick));
	assert_non_null(pick);
	for (size_t chosen = 0; chosen < want;) {
		int nr = ar->syscalls[below(r, ar->nsyscalls)].nr;
		if (!pick[nr]) {
			pick[nr] = true;
			chosen++;
		}
	}
	/* big filters get fewer argument blocks, so that most stay within the kernel's limit */
	unsigned cond_pct = (unsigned)below(r, want < 40 ? 70 : want < 200 ? 20 : 8);
	for (int nr = 0; nr <= ar->max_nr; nr++) {
		if (!pick[nr])
			continue;
		struct mvm_decision *dc = &p->d[p->f.ndecision];
		dc->nr = nr;
		dc->name = mvm_syscall_name(ar, nr);
		if (below(r, 100) >= cond_pct) {
			dc->action = action_not(r, &p->f.default_action, 1);
		} else {
			struct gen *g = calloc(1, sizeof(*g));
			assert_non_null(g);
			g->r = r;
			g->def = p->f.default_action;
			for (int a = 0; a < 6; a++)
				g->width[a] = below(r, 2) ? 32 : 64;
			if (below(r, 5) == 0)
				gen_complement(g);
			else
				gen_groups(g);
			dc->action = p->f.default_action;
			dc->nentry = g->n;
			p->ent[p->f.ndecision] = calloc(g->n, sizeof(struct mvm_entry));
			assert_non_null(p->ent[p->f.ndecision]);
			memcpy(p->ent[p->f.ndecision], g->e, g->n * sizeof(struct mvm_entry));
			dc->entry = p->ent[p->f.ndecision];
			free(g);
		}
		p->f.ndecision++;
	}
	p->f.decision = p->d;
	free(pick);
}

static void free_profile(struct profile *p)
{
	for (size_t i = 0; i < p->f.ndecision; i++)
		free(p->ent[i]);
}

/* A 64-bit ne/lt/le/gt/ge: libseccomp 2.5.4 mis-links the path that follows a failed test of
 * that kind when other rules of the syscall come after it (docs/bpf.md shows a reproducer). */
static bool has_inequality64(const struct mvm_arch_filter *f)
{
	for (size_t i = 0; i < f->ndecision; i++)
		for (size_t e = 0; e < f->decision[i].nentry; e++)
			for (size_t k = 0; k < f->decision[i].entry[e].conj.ncond; k++) {
				const struct mvm_cond *c = &f->decision[i].entry[e].conj.cond[k];
				if (c->width == 64 && c->op >= MVM_OP_NE && c->op <= MVM_OP_GE)
					return true;
			}
	return false;
}

static unsigned long env_ul(const char *name, unsigned long dflt)
{
	const char *s = getenv(name);
	return s && *s ? strtoul(s, NULL, 0) : dflt;
}

/* Weights from a random frequency table, so weighted trees are exercised too. */
static struct mvm_bpf_freq *rand_freq(struct rng *r, const struct mvm_arch *ar, struct mvm_bpf_freq_entry *buf, size_t max,
				      struct mvm_bpf_freq *fq)
{
	size_t n = 0;
	for (size_t i = 0; i < ar->nsyscalls && n < max; i++)
		if (below(r, 4) == 0)
			buf[n++] = (struct mvm_bpf_freq_entry){ ar->syscalls[i].name, below(r, 1000000) };
	*fq = (struct mvm_bpf_freq){ "random", n, buf };
	return fq;
}

struct tally {
	size_t cases, longest, far, over, oracle_bugs, too_big;
	int failed; /* a divergence or a compiler failure was reported */
};

/* Runs profiles first, first + step, ... below count. Reports on stderr and sets failed. */
static void run_profiles(unsigned long first, unsigned long step, unsigned long count, uint64_t seed, bool show_oracle,
			 struct tally *t)
{
	struct profile *p = malloc(sizeof(*p));
	struct mvm_bpf_freq_entry *fbuf = malloc(1024 * sizeof(*fbuf));
	if (!p || !fbuf) {
		t->failed = 1;
		goto out;
	}
	for (unsigned long i = first; i < count && !t->failed; i += step) {
		struct rng r = { seed + i * 0x100000001b3ull };
		for (int a = 0; a < MVM_ARCH_COUNT && !t->failed; a++) {
			gen_filter(&r, mvm_arch_by_id((enum mvm_arch_id)a), p);
			/* arch tables are sorted by name, so this is a real (sorted) name table */
			struct mvm_bpf_freq fq;
			struct mvm_bpf_opts gen = { below(&r, 2) ? rand_freq(&r, p->f.arch, fbuf, 1024, &fq) : NULL };
			struct diff_opts o = { &gen, below(&r, 4) ? 2 : 1, seed ^ i, 2 };
			struct diff_case bad;
			struct diff_stats st = { 0 };
			int rc = diff_filter(&p->f, &o, &bad, &st);
			if (rc == 1) {
				struct mvm_arch_filter *m = diff_copy_filter(&p->f);
				fprintf(stderr, "random profile %lu (seed %#llx), %s: mvmc departs from the normal form or from "
					"libseccomp; shrinking...\n", i, (unsigned long long)seed, p->f.arch->name);
				if (m) {
					diff_minimize(m, &o, &bad, false);
					diff_print(stderr, m, &bad);
					diff_free_filter(m);
				}
				t->failed = 1;
			} else if (rc == -E2BIG) {
				t->too_big++;
			} else if (rc != 0) {
				fprintf(stderr, "random profile %lu on %s: a compiler failed (%d)\n", i, p->f.arch->name, rc);
				t->failed = 1;
			} else if (st.oracle_wrong && !has_inequality64(&p->f)) {
				/* Tolerated only for the libseccomp bug class known to us: 64-bit inequalities
				 * (see docs/bpf.md); anything else fails. */
				fprintf(stderr, "random profile %lu: libseccomp departs from the normal form without a 64-bit "
					"inequality:\n", i);
				diff_print(stderr, &p->f, &st.oracle_case);
				t->failed = 1;
			} else if (st.oracle_wrong && t->oracle_bugs++ == 0 && show_oracle) {
				struct mvm_arch_filter *m = diff_copy_filter(&p->f);
				struct diff_case oc = st.oracle_case;
				if (m) {
					diff_minimize(m, &o, &oc, true);
					printf("  libseccomp departs from the normal form (mvmc does not); first case, shrunk:\n");
					diff_print(stdout, m, &oc);
					fflush(stdout);
					diff_free_filter(m);
				}
			}
			t->cases += st.cases;
			if (st.mvmc_len > t->longest)
				t->longest = st.mvmc_len;
			t->far += st.mvmc_len > 256;
			t->over += st.oracle_over_limit;
			free_profile(p);
		}
		if (first == 0 && (i + step) / 10000 != i / 10000) {
			printf("  about %lu profiles checked\n", (i + step) / 10000 * 10000);
			fflush(stdout);
		}
	}
out:
	free(p);
	free(fbuf);
}

static void test_random_profiles_decide_like_libseccomp(void **state)
{
	(void)state;
	unsigned long count = env_ul("MVM_RANDOM_PROFILES", DEFAULT_PROFILES);
	uint64_t seed = env_ul("MVM_RANDOM_SEED", DEFAULT_SEED);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long jobs = env_ul("MVM_RANDOM_JOBS", cpus > 4 ? 4 : cpus > 0 ? (unsigned long)cpus : 1);
	struct tally total = { 0 };
	int fd[MAX_JOBS][2];
	pid_t pid[MAX_JOBS];
	if (jobs < 1 || jobs > MAX_JOBS)
		jobs = 1;
	fflush(stdout);
	/* Workers take every jobs-th profile; each reports its tally through a pipe. */
	for (unsigned long w = 0; w < jobs; w++) {
		assert_int_equal(pipe(fd[w]), 0);
		pid[w] = fork();
		assert_true(pid[w] >= 0);
		if (pid[w] == 0) {
			struct tally t = { 0 };
			close(fd[w][0]);
			run_profiles(w, jobs, count, seed, w == 0, &t);
			fflush(stdout);
			_exit(write(fd[w][1], &t, sizeof(t)) == (ssize_t)sizeof(t) && !t.failed ? 0 : 1);
		}
		close(fd[w][1]);
	}
	for (unsigned long w = 0; w < jobs; w++) {
		struct tally t = { .failed = 1 };
		int status;
		ssize_t got = read(fd[w][0], &t, sizeof(t));
		close(fd[w][0]);
		assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
		if (got != (ssize_t)sizeof(t) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			total.failed = 1;
		total.cases += t.cases;
		total.longest = t.longest > total.longest ? t.longest : total.longest;
		total.far += t.far;
		total.over += t.over;
		total.oracle_bugs += t.oracle_bugs;
		total.too_big += t.too_big;
	}
	if (total.failed)
		fail_msg("a random profile failed (reproducer above)");
	printf("  %lu random profiles x %d arches (seed %#llx, %lu workers): mvmc agrees with libseccomp and with the "
	       "normal form in %zu cases; longest mvmc program %zu instructions; %zu programs longer than a jump's reach; "
	       "%zu where libseccomp's program exceeded 4096 instructions or it hung (mvmc checked against the normal "
	       "form alone); %zu where libseccomp's program departs from the normal form on 64-bit inequalities and "
	       "mvmc's does not; %zu over the kernel's 4096 instructions (refused by mvmc with an error)\n",
	       count, MVM_ARCH_COUNT, (unsigned long long)seed, jobs, total.cases, total.longest, total.far, total.over,
	       total.oracle_bugs, total.too_big);
	assert_true(total.too_big * 100 <= count * MVM_ARCH_COUNT); /* rare, or the test checks too little */
	assert_true(total.far > 0 || count < 100);                  /* the far-jump code was exercised */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_profiles_decide_like_libseccomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

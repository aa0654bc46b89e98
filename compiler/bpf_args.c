/* Argument blocks: the entries of one conditional syscall (ir.h's normal form) -> code that
 * returns the first matching entry's action, or goes on to a continuation. Entries are split on
 * one argument at a time where their conditions are intervals (search trees over the word, on
 * 64-bit arguments high word then low word), and tested one by one where they are not. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_cfg.h"
#include "bpf_gen.h"
#include "resolve.h"

/* Splitting gives up (and entries are tested one by one) past this many sub-problems for one
 * decision. */
#define SPLIT_BUDGET 20000u

/* One entry of a decision while it is being split: conditions still to test, and what it
 * returns when they all hold. */
struct went {
	uint32_t ret;
	uint8_t ncond;
	struct mvm_cond cond[MVM_MAX_ARGS];
};

struct memo {
	struct memo *next;
	uint64_t hash;
	int32_t cont;
	size_t n;
	struct went *e;
	int32_t node;
};

struct argctx {
	struct bpf_cfg *g;
	struct memo *memo[256];
	unsigned budget;
};

static uint64_t wmax(uint8_t width)
{
	return width == 32 ? 0xffffffffull : UINT64_MAX;
}

/* A condition reduced to its argument's width: 1 always holds, 0 never holds, -1 depends. */
static int cond_const(const struct mvm_cond *c)
{
	uint64_t max = wmax(c->width), v = c->value;
	switch (c->op) {
	case MVM_OP_EQ: return v > max ? 0 : -1;
	case MVM_OP_NE: return v > max ? 1 : -1;
	case MVM_OP_LT: return v == 0 ? 0 : v > max ? 1 : -1;
	case MVM_OP_LE: return v >= max ? 1 : -1;
	case MVM_OP_GT: return v >= max ? 0 : -1;
	case MVM_OP_GE: return v == 0 ? 1 : v > max ? 0 : -1;
	case MVM_OP_MASKED_EQ:
		if (v & ~(c->mask & max))
			return 0;
		return (c->mask & max) == 0 ? 1 : -1;
	}
	return -1;
}

/* The values of the argument's width that satisfy c, as at most two intervals; false when
 * they are not a union of intervals (a mask that is not a prefix of high bits). */
static bool cond_intervals(const struct mvm_cond *c, uint64_t lo[2], uint64_t hi[2], int *n)
{
	uint64_t max = wmax(c->width), v = c->value;
	*n = 0;
	switch (c->op) {
	case MVM_OP_EQ: lo[0] = hi[0] = v; *n = 1; return true;
	case MVM_OP_NE:
		if (v > 0) { lo[*n] = 0; hi[(*n)++] = v - 1; }
		if (v < max) { lo[*n] = v + 1; hi[(*n)++] = max; }
		return true;
	case MVM_OP_LT: lo[0] = 0; hi[0] = v - 1; *n = 1; return true;
	case MVM_OP_LE: lo[0] = 0; hi[0] = v; *n = 1; return true;
	case MVM_OP_GT: lo[0] = v + 1; hi[0] = max; *n = 1; return true;
	case MVM_OP_GE: lo[0] = v; hi[0] = max; *n = 1; return true;
	case MVM_OP_MASKED_EQ: {
		uint64_t low = ~c->mask & max;
		if (low & (low + 1))
			return false;
		lo[0] = v;
		hi[0] = v | low;
		*n = 1;
		return true;
	}
	}
	return false;
}

/* Copies a condition field by field into zeroed storage, so that memo keys (compared as
 * bytes) never depend on padding. */
static void put_cond(struct mvm_cond *dst, const struct mvm_cond *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->arg = src->arg;
	dst->width = src->width;
	dst->op = src->op;
	dst->mask = src->op == MVM_OP_MASKED_EQ ? (src->width == 32 ? src->mask & 0xffffffffu : src->mask) : 0;
	dst->value = src->value;
}

static uint64_t hash_went(const struct went *e, size_t n, int32_t cont)
{
	uint64_t h = (uint32_t)cont ^ (n * 0x100000001b3ull);
	const unsigned char *p = (const unsigned char *)e;
	for (size_t i = 0; i < n * sizeof(*e); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int32_t gen_entries(struct argctx *x, const struct went *e, size_t n, int32_t cont);

/* A masked test of the 32-bit word in A, keeping A intact when one or two jset do. */
static int32_t masked32(struct bpf_cfg *g, uint32_t m, uint32_t v, int32_t pass, int32_t fail)
{
	if (v & ~m)
		return fail;
	if (m == 0)
		return pass;
	if (m == 0xffffffffu)
		return bpf_jmp(g, BPF_OP_JEQ, v, pass, fail);
	if (v == 0)
		return bpf_jmp(g, BPF_OP_JSET, m, fail, pass);
	if ((v & (v - 1)) == 0) {
		/* one bit must be set: the others of the mask must be clear */
		int32_t bit = bpf_jmp(g, BPF_OP_JSET, v, pass, fail);
		return bpf_jmp(g, BPF_OP_JSET, m & ~v, fail, bit);
	}
	return bpf_and(g, m, bpf_jmp(g, BPF_OP_JEQ, v, pass, fail));
}

/* x > v (or >= v when ge) on a 64-bit argument: high words first. */
static int32_t above64(struct bpf_cfg *g, unsigned arg, uint64_t v, bool ge, int32_t pass, int32_t fail)
{
	uint32_t vh = (uint32_t)(v >> 32), vl = (uint32_t)v;
	int32_t low = bpf_ld(g, BPF_OFF_ARG_LO(arg), bpf_jmp(g, ge ? BPF_OP_JGE : BPF_OP_JGT, vl, pass, fail));
	int32_t eq = bpf_jmp(g, BPF_OP_JEQ, vh, low, fail);
	return bpf_ld(g, BPF_OFF_ARG_HI(arg), bpf_jmp(g, BPF_OP_JGT, vh, pass, eq));
}

/* Code that goes to pass when c holds and to fail otherwise (loads its own words). */
static int32_t cond_code(struct bpf_cfg *g, const struct mvm_cond *c, int32_t pass, int32_t fail)
{
	unsigned a = c->arg;
	uint32_t lo = BPF_OFF_ARG_LO(a), hi = BPF_OFF_ARG_HI(a);
	uint32_t v = (uint32_t)c->value, vh = (uint32_t)(c->value >> 32);
	switch (cond_const(c)) {
	case 0: return fail;
	case 1: return pass;
	default: break;
	}
	if (c->width == 32) {
		switch (c->op) {
		case MVM_OP_EQ: return bpf_ld(g, lo, bpf_jmp(g, BPF_OP_JEQ, v, pass, fail));
		case MVM_OP_NE: return bpf_ld(g, lo, bpf_jmp(g, BPF_OP_JEQ, v, fail, pass));
		case MVM_OP_GT: return bpf_ld(g, lo, bpf_jmp(g, BPF_OP_JGT, v, pass, fail));
		case MVM_OP_GE: return bpf_ld(g, lo, bpf_jmp(g, BPF_OP_JGE, v, pass, fail));
		case MVM_OP_LT: return bpf_ld(g, lo, bpf_jmp(g, BPF_OP_JGE, v, fail, pass));
		case MVM_OP_LE: return bpf_ld(g, lo, bpf_jmp(g, BPF_OP_JGT, v, fail, pass));
		case MVM_OP_MASKED_EQ: return bpf_ld(g, lo, masked32(g, (uint32_t)c->mask, v, pass, fail));
		}
		return fail;
	}
	switch (c->op) {
	case MVM_OP_EQ:
	case MVM_OP_NE: {
		bool eq = c->op == MVM_OP_EQ;
		int32_t high = bpf_ld(g, hi, bpf_jmp(g, BPF_OP_JEQ, vh, eq ? pass : fail, eq ? fail : pass));
		return bpf_ld(g, lo, bpf_jmp(g, BPF_OP_JEQ, v, high, eq ? fail : pass));
	}
	case MVM_OP_GT: return above64(g, a, c->value, false, pass, fail);
	case MVM_OP_GE: return above64(g, a, c->value, true, pass, fail);
	case MVM_OP_LE: return above64(g, a, c->value, false, fail, pass);
	case MVM_OP_LT: return above64(g, a, c->value, true, fail, pass);
	case MVM_OP_MASKED_EQ: {
		uint32_t mh = (uint32_t)(c->mask >> 32), ml = (uint32_t)c->mask;
		int32_t high = mh ? bpf_ld(g, hi, masked32(g, mh, vh, pass, fail)) : (vh ? fail : pass);
		return ml ? bpf_ld(g, lo, masked32(g, ml, v, high, fail)) : (v ? fail : high);
	}
	}
	return fail;
}

static int cmp_cond_arg(const void *a, const void *b)
{
	const struct mvm_cond *x = a, *y = b;
	return (x->arg > y->arg) - (x->arg < y->arg);
}

/* Entries tested one after the other, each condition in argument order. */
static int32_t gen_sequential(struct bpf_cfg *g, const struct went *e, size_t n, int32_t cont)
{
	int32_t node = cont;
	for (size_t i = n; i-- > 0;) {
		struct mvm_cond c[MVM_MAX_ARGS];
		memcpy(c, e[i].cond, e[i].ncond * sizeof(c[0]));
		qsort(c, e[i].ncond, sizeof(c[0]), cmp_cond_arg);
		int32_t pass = bpf_ret(g, e[i].ret);
		for (size_t k = e[i].ncond; k-- > 0;)
			pass = cond_code(g, &c[k], pass, node);
		node = pass;
	}
	return node;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* How often a run of argument values is expected: wider runs more, and runs the filter lets
 * through far more than refused ones (a program mostly makes calls that work). */
static uint64_t span_weight(const struct bpf_cfg *g, uint64_t lo, uint64_t hi, int32_t target)
{
	uint64_t size = hi - lo; /* + 1, without overflow */
	uint64_t w = 1 + (size ? 64 - (uint64_t)__builtin_clzll(size) : 0);
	const struct bpf_node *t = &g->node[target];
	bool refused = t->code == BPF_OP_RET && (t->k & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW &&
		       (t->k & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_LOG;
	return refused ? w : 64 * w;
}

struct run64 {
	uint64_t lo, hi;
	int32_t target;
};

/* Dispatch over the low word for the values whose high word is h. */
static int32_t dispatch_low(struct bpf_cfg *g, const struct run64 *r, size_t n, uint32_t h, unsigned arg)
{
	uint64_t base = (uint64_t)h << 32, top = base | 0xffffffffull;
	struct bpf_range *lr = malloc(n * sizeof(*lr));
	size_t m = 0;
	if (!lr) {
		g->err = -ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].hi < base || r[i].lo > top)
			continue;
		uint32_t lo = r[i].lo < base ? 0 : (uint32_t)r[i].lo, hi = r[i].hi > top ? 0xffffffffu : (uint32_t)r[i].hi;
		if (m && lr[m - 1].target == r[i].target) {
			lr[m - 1].hi = hi;
		} else {
			lr[m++] = (struct bpf_range){ lo, hi, r[i].target, 0 };
		}
	}
	for (size_t i = 0; i < m; i++)
		lr[i].weight = span_weight(g, lr[i].lo, lr[i].hi, lr[i].target);
	int32_t node = bpf_ld(g, BPF_OFF_ARG_LO(arg), bpf_dispatch(g, lr, m));
	free(lr);
	return node;
}

/* Dispatch over a 64-bit argument: on the high word, then, for high words that hold a
 * boundary, on the low word. */
static int32_t dispatch64(struct bpf_cfg *g, const struct run64 *r, size_t n, unsigned arg)
{
	/* Cut points of the high word: a run starting on a word boundary starts a segment; one
	 * starting inside a word makes that word a segment of its own. */
	uint64_t *cut = malloc((2 * n + 1) * sizeof(*cut));
	struct bpf_range *hr = malloc((2 * n + 1) * sizeof(*hr));
	size_t nc = 0, m = 0;
	int32_t node = -1;
	if (!cut || !hr) {
		g->err = -ENOMEM;
		goto out;
	}
	cut[nc++] = 0;
	for (size_t i = 1; i < n; i++) {
		uint64_t h = r[i].lo >> 32;
		cut[nc++] = h;
		if ((r[i].lo & 0xffffffffull) && h < 0xffffffffull)
			cut[nc++] = h + 1;
	}
	qsort(cut, nc, sizeof(*cut), cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < nc; i++)
		if (u == 0 || cut[u - 1] != cut[i])
			cut[u++] = cut[i];
	nc = u;
	size_t ri = 0;
	for (size_t s = 0; s < nc && !g->err; s++) {
		uint64_t hlo = cut[s], hhi = s + 1 < nc ? cut[s + 1] - 1 : 0xffffffffull;
		uint64_t base = hlo << 32, top = (hlo << 32) | 0xffffffffull;
		while (r[ri].hi < base)
			ri++;
		int32_t t;
		if (r[ri].hi >= top) {
			t = r[ri].target; /* one run covers the whole segment */
		} else {
			t = dispatch_low(g, r, n, (uint32_t)hlo, arg);
		}
		if (m && hr[m - 1].target == t)
			hr[m - 1].hi = (uint32_t)hhi;
		else
			hr[m++] = (struct bpf_range){ (uint32_t)hlo, (uint32_t)hhi, t, 0 };
	}
	for (size_t i = 0; i < m; i++)
		hr[i].weight = span_weight(g, (uint64_t)hr[i].lo << 32, ((uint64_t)hr[i].hi << 32) | 0xffffffffull, hr[i].target);
	if (!g->err)
		node = bpf_ld(g, BPF_OFF_ARG_HI(arg), bpf_dispatch(g, hr, m));
out:
	free(cut);
	free(hr);
	return node;
}

static bool split_cond(const struct mvm_cond *c, unsigned arg, uint8_t width)
{
	uint64_t lo[2], hi[2];
	int ni;
	return c->arg == arg && c->width == width && cond_intervals(c, lo, hi, &ni);
}

/* The boundaries of every interval the entries' conditions on (arg, width) accept, sorted and
 * unique, from 0. Returns their number (b has room for 4 * n + 1). */
static size_t split_points(const struct went *e, size_t n, unsigned arg, uint8_t width, uint64_t *b)
{
	uint64_t max = wmax(width);
	size_t nb = 0;
	b[nb++] = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < e[i].ncond; k++) {
			uint64_t lo[2], hi[2];
			int ni;
			const struct mvm_cond *c = &e[i].cond[k];
			if (c->arg != arg || c->width != width || !cond_intervals(c, lo, hi, &ni))
				continue;
			for (int t = 0; t < ni; t++) {
				b[nb++] = lo[t];
				if (hi[t] < max)
					b[nb++] = hi[t] + 1;
			}
		}
	}
	qsort(b, nb, sizeof(*b), cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < nb; i++)
		if (u == 0 || b[u - 1] != b[i])
			b[u++] = b[i];
	return u;
}

/* Splits entries that all test (arg, width) with intervals: every interval between two
 * boundaries gets the entries that accept it, without that condition. */
static int32_t gen_split(struct argctx *x, const struct went *e, size_t n, int32_t cont, unsigned arg, uint8_t width)
{
	struct bpf_cfg *g = x->g;
	uint64_t max = wmax(width);
	uint64_t *b = malloc((4 * n + 1) * sizeof(*b));
	struct went *sub = malloc(n * sizeof(*sub));
	struct run64 *run = malloc((4 * n + 1) * sizeof(*run));
	size_t nb, nrun = 0;
	int32_t node = -1;
	if (!b || !sub || !run) {
		g->err = -ENOMEM;
		goto out;
	}
	nb = split_points(e, n, arg, width, b);
	for (size_t s = 0; s < nb && !g->err; s++) {
		uint64_t p = b[s], top = s + 1 < nb ? b[s + 1] - 1 : max;
		size_t ns = 0;
		for (size_t i = 0; i < n; i++) {
			struct went w;
			bool keep = true;
			memset(&w, 0, sizeof(w));
			w.ret = e[i].ret;
			for (size_t k = 0; k < e[i].ncond; k++) {
				const struct mvm_cond *c = &e[i].cond[k];
				if (split_cond(c, arg, width))
					keep = keep && mvm_cond_holds(c, p);
				else
					put_cond(&w.cond[w.ncond++], c);
			}
			if (keep)
				sub[ns++] = w;
		}
		int32_t t = gen_entries(x, sub, ns, cont);
		if (nrun && run[nrun - 1].target == t)
			run[nrun - 1].hi = top;
		else
			run[nrun++] = (struct run64){ p, top, t };
	}
	if (g->err)
		goto out;
	if (nrun == 1) {
		node = run[0].target;
	} else if (width == 32) {
		struct bpf_range *r = malloc(nrun * sizeof(*r));
		if (!r) {
			g->err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nrun; i++)
			r[i] = (struct bpf_range){ (uint32_t)run[i].lo, (uint32_t)run[i].hi, run[i].target,
						   span_weight(g, run[i].lo, run[i].hi, run[i].target) };
		node = bpf_ld(g, BPF_OFF_ARG_LO(arg), bpf_dispatch(g, r, nrun));
		free(r);
	} else {
		node = dispatch64(g, run, nrun, arg);
	}
out:
	free(b);
	free(sub);
	free(run);
	return node;
}

/* How well splitting on (arg, width) works for the entries that test it: 0 when it would copy
 * entries into many intervals (each entry should land in about one), else the entries covered. */
static size_t split_score(const struct went *e, size_t n, unsigned arg, uint8_t width, uint64_t *b)
{
	size_t covered = 0, landed = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < e[i].ncond; k++)
			if (split_cond(&e[i].cond[k], arg, width)) {
				covered++;
				break;
			}
	if (covered == 0)
		return 0;
	size_t nb = split_points(e, n, arg, width, b);
	for (size_t s = 0; s < nb; s++)
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < e[i].ncond; k++)
				if (split_cond(&e[i].cond[k], arg, width) && mvm_cond_holds(&e[i].cond[k], b[s]))
					landed++;
	return landed <= 2 * covered + nb ? covered : 0;
}

/* Entries of different results never overlap, so they may be tested in any order and in
 * groups: the entries that test one argument with intervals are split on it first, and what
 * none of them matches continues with the others (cont: the code for "nothing matched"). */
static int32_t gen_entries_uncached(struct argctx *x, const struct went *e, size_t n, int32_t cont)
{
	struct bpf_cfg *g = x->g;
	if (n == 0 || g->err)
		return cont;
	/* An entry without conditions is the answer for everything that reaches here. */
	for (size_t i = 0; i < n; i++)
		if (e[i].ncond == 0)
			return bpf_ret(g, e[i].ret);
	bool same = true;
	for (size_t i = 0; i < n && same; i++)
		same = g->node[cont].code == BPF_OP_RET && e[i].ret == g->node[cont].k;
	if (same)
		return cont;
	uint64_t *b = malloc((4 * n + 1) * sizeof(*b));
	if (!b) {
		g->err = -ENOMEM;
		return -1;
	}
	unsigned best_arg = 0;
	uint8_t best_width = 0;
	size_t best = 0;
	for (unsigned a = 0; a < MVM_MAX_ARGS && x->budget; a++) {
		for (int wi = 0; wi < 2; wi++) {
			uint8_t w = wi ? 64 : 32;
			size_t score = split_score(e, n, a, w, b);
			if (score > best) {
				best = score;
				best_arg = a;
				best_width = w;
			}
		}
	}
	free(b);
	if (best == 0)
		return gen_sequential(g, e, n, cont);
	x->budget--;
	if (best == n)
		return gen_split(x, e, n, cont, best_arg, best_width);
	/* the entries that test the argument, then the others */
	struct went *in = malloc(n * sizeof(*in)), *rest = malloc(n * sizeof(*rest));
	size_t nin = 0, nrest = 0;
	int32_t node = -1;
	if (!in || !rest) {
		g->err = -ENOMEM;
	} else {
		for (size_t i = 0; i < n; i++) {
			bool tests = false;
			for (size_t k = 0; k < e[i].ncond && !tests; k++)
				tests = split_cond(&e[i].cond[k], best_arg, best_width);
			/* memcpy keeps the padding the memo keys compare */
			if (tests)
				memcpy(&in[nin++], &e[i], sizeof(*in));
			else
				memcpy(&rest[nrest++], &e[i], sizeof(*rest));
		}
		node = gen_split(x, in, nin, gen_entries(x, rest, nrest, cont), best_arg, best_width);
	}
	free(in);
	free(rest);
	return node;
}

static int32_t gen_entries(struct argctx *x, const struct went *e, size_t n, int32_t cont)
{
	if (cont < 0)
		return -1;
	uint64_t h = hash_went(e, n, cont);
	struct memo **slot = &x->memo[h & 255];
	for (struct memo *m = *slot; m; m = m->next)
		if (m->hash == h && m->cont == cont && m->n == n && memcmp(m->e, e, n * sizeof(*e)) == 0)
			return m->node;
	int32_t node = gen_entries_uncached(x, e, n, cont);
	struct memo *m = malloc(sizeof(*m));
	struct went *copy = malloc(n ? n * sizeof(*e) : 1);
	if (!m || !copy) {
		free(m);
		free(copy);
		x->g->err = -ENOMEM;
		return -1;
	}
	memcpy(copy, e, n * sizeof(*e));
	*m = (struct memo){ *slot, h, cont, n, copy, node };
	*slot = m;
	return node;
}

static void argctx_free(struct argctx *x)
{
	for (size_t i = 0; i < 256; i++) {
		for (struct memo *m = x->memo[i], *next; m; m = next) {
			next = m->next;
			free(m->e);
			free(m);
		}
		x->memo[i] = NULL;
	}
}

int32_t bpf_gen_decision(struct bpf_cfg *g, const struct mvm_decision *dc, uint32_t def)
{
	struct went *e = malloc((dc->nentry ? dc->nentry : 1) * sizeof(*e));
	size_t n = 0;
	if (!e) {
		g->err = -ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < dc->nentry; i++) {
		struct went w;
		memset(&w, 0, sizeof(w)); /* memo keys compare bytes, padding included */
		w.ret = mvm_bpf_ret(dc->entry[i].action);
		bool dead = false;
		for (size_t k = 0; k < dc->entry[i].conj.ncond; k++) {
			struct mvm_cond c;
			put_cond(&c, &dc->entry[i].conj.cond[k]);
			int k0 = cond_const(&c);
			if (k0 == 0)
				dead = true;
			else if (k0 < 0)
				put_cond(&w.cond[w.ncond++], &c);
		}
		if (!dead)
			e[n++] = w;
	}
	struct argctx x = { .g = g, .budget = SPLIT_BUDGET };
	int32_t node = gen_entries(&x, e, n, bpf_ret(g, def));
	argctx_free(&x);
	free(e);
	return node;
}

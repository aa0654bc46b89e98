/* Search trees over the word in A: an optimal alphabetic tree (dynamic programming over runs of
 * values) whose leaves may be short `jeq` chains that peel single values off one target. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_cfg.h"

#define HOLE_MAX 6         /* longest jeq chain considered for one leaf */
#define EXACT_MAX 32       /* full O(n^3) search up to here */
#define KNUTH_MAX 384      /* O(n^2) search with Knuth's root bounds up to here */
#define WEIGHT_MAX (1ull << 40)

enum { PLAN_LEAF, PLAN_SPLIT, PLAN_HOLES };

struct plan {
	size_t n;
	const struct bpf_range *r;
	uint64_t *prefix;  /* prefix[i] = weight of r[0..i-1] */
	uint64_t *cost;    /* [i * n + j] */
	uint16_t *split;   /* best split: left is [i..k], right [k+1..j] */
	uint8_t *kind;
	int32_t *hole_target; /* PLAN_HOLES: the target left when the holes are peeled off */
};

static uint64_t weight_of(const struct bpf_range *r)
{
	return r->weight == 0 ? 1 : r->weight > WEIGHT_MAX ? WEIGHT_MAX : r->weight;
}

static uint64_t span_weight(const struct plan *p, size_t i, size_t j)
{
	return p->prefix[j + 1] - p->prefix[i];
}

/* Cost of peeling every range of r[i..j] whose target is not t with a jeq chain (heaviest
 * first), or UINT64_MAX when some such range is wider than one value or there are too many. */
static uint64_t holes_cost(const struct plan *p, size_t i, size_t j, int32_t t)
{
	uint64_t hw[HOLE_MAX], wt = 0;
	size_t h = 0;
	for (size_t x = i; x <= j; x++) {
		const struct bpf_range *r = &p->r[x];
		if (r->target == t) {
			wt += weight_of(r);
			continue;
		}
		if (r->lo != r->hi || h == HOLE_MAX)
			return UINT64_MAX;
		/* insertion sort, heaviest first */
		uint64_t w = weight_of(r);
		size_t q = h++;
		while (q > 0 && hw[q - 1] < w) {
			hw[q] = hw[q - 1];
			q--;
		}
		hw[q] = w;
	}
	uint64_t c = wt * h;
	for (size_t q = 0; q < h; q++)
		c += (q + 1) * hw[q];
	return c;
}

static void best_holes(const struct plan *p, size_t i, size_t j, uint64_t *cost, int32_t *target)
{
	*cost = UINT64_MAX;
	*target = -1;
	if (j - i + 1 > 2 * HOLE_MAX + 1)
		return;
	for (size_t x = i; x <= j; x++) {
		int32_t t = p->r[x].target;
		bool seen = false;
		for (size_t y = i; y < x && !seen; y++)
			seen = p->r[y].target == t;
		if (seen)
			continue;
		uint64_t c = holes_cost(p, i, j, t);
		if (c < *cost) {
			*cost = c;
			*target = t;
		}
	}
}

static int plan_init(struct plan *p, const struct bpf_range *r, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	p->r = r;
	p->prefix = malloc((n + 1) * sizeof(*p->prefix));
	p->cost = malloc(n * n * sizeof(*p->cost));
	p->split = malloc(n * n * sizeof(*p->split));
	p->kind = malloc(n * n * sizeof(*p->kind));
	p->hole_target = malloc(n * n * sizeof(*p->hole_target));
	if (!p->prefix || !p->cost || !p->split || !p->kind || !p->hole_target)
		return -ENOMEM;
	p->prefix[0] = 0;
	for (size_t i = 0; i < n; i++)
		p->prefix[i + 1] = p->prefix[i] + weight_of(&r[i]);
	return 0;
}

static void plan_free(struct plan *p)
{
	free(p->prefix);
	free(p->cost);
	free(p->split);
	free(p->kind);
	free(p->hole_target);
}

/* Fills the plan for every sub-interval, shortest first. */
static void plan_solve(struct plan *p)
{
	size_t n = p->n;
	for (size_t i = 0; i < n; i++) {
		p->cost[i * n + i] = 0;
		p->kind[i * n + i] = PLAN_LEAF;
		p->split[i * n + i] = (uint16_t)i;
	}
	for (size_t len = 2; len <= n; len++) {
		for (size_t i = 0; i + len <= n; i++) {
			size_t j = i + len - 1, at = i * n + j;
			size_t lo = i, hi = j - 1;
			if (n > EXACT_MAX) {
				/* Knuth: the best root moves right as the interval does. */
				lo = p->split[i * n + j - 1];
				hi = p->split[(i + 1) * n + j];
				if (hi > j - 1)
					hi = j - 1;
				if (lo > hi)
					lo = hi;
			}
			uint64_t best = UINT64_MAX;
			size_t bk = lo;
			for (size_t k = lo; k <= hi; k++) {
				uint64_t c = p->cost[i * n + k] + p->cost[(k + 1) * n + j];
				if (c < best) {
					best = c;
					bk = k;
				}
			}
			best += span_weight(p, i, j);
			p->split[at] = (uint16_t)bk;
			p->kind[at] = PLAN_SPLIT;
			uint64_t hc;
			int32_t ht;
			best_holes(p, i, j, &hc, &ht);
			if (hc < best) {
				best = hc;
				p->kind[at] = PLAN_HOLES;
				p->hole_target[at] = ht;
			}
			p->cost[at] = best;
		}
	}
}

static int32_t build_holes(struct bpf_cfg *g, const struct bpf_range *r, size_t i, size_t j, int32_t t)
{
	/* The chain tests the heaviest hole first, so it is built from the lightest up. */
	size_t idx[HOLE_MAX], h = 0;
	for (size_t x = i; x <= j; x++) {
		if (r[x].target == t)
			continue;
		size_t q = h++;
		while (q > 0 && weight_of(&r[idx[q - 1]]) < weight_of(&r[x])) {
			idx[q] = idx[q - 1];
			q--;
		}
		idx[q] = x;
	}
	int32_t node = t;
	for (size_t q = h; q-- > 0;)
		node = bpf_jmp(g, BPF_OP_JEQ, r[idx[q]].lo, r[idx[q]].target, node);
	return node;
}

static int32_t build_plan(struct bpf_cfg *g, const struct plan *p, size_t i, size_t j)
{
	size_t at = i * p->n + j;
	switch (p->kind[at]) {
	case PLAN_LEAF:
		return p->r[i].target;
	case PLAN_HOLES:
		return build_holes(g, p->r, i, j, p->hole_target[at]);
	default: {
		size_t k = p->split[at];
		int32_t right = build_plan(g, p, k + 1, j), left = build_plan(g, p, i, k);
		return bpf_jmp(g, BPF_OP_JGE, p->r[k + 1].lo, right, left);
	}
	}
}

static int32_t dispatch_exact(struct bpf_cfg *g, const struct bpf_range *r, size_t n)
{
	struct plan p;
	int32_t root = -1;
	if (plan_init(&p, r, n) == 0) {
		plan_solve(&p);
		root = build_plan(g, &p, 0, n - 1);
	} else {
		g->err = -ENOMEM;
	}
	plan_free(&p);
	return root;
}

int32_t bpf_dispatch(struct bpf_cfg *g, const struct bpf_range *r, size_t n)
{
	if (g->err || n == 0)
		return -1;
	if (n == 1)
		return r[0].target;
	if (n <= KNUTH_MAX)
		return dispatch_exact(g, r, n);
	/* Too many runs for the quadratic table: split at the weighted median and recurse. */
	uint64_t total = 0, acc = 0;
	for (size_t i = 0; i < n; i++)
		total += weight_of(&r[i]);
	size_t k = 0;
	while (k + 2 < n && acc + weight_of(&r[k]) < total / 2)
		acc += weight_of(&r[k++]);
	int32_t right = bpf_dispatch(g, r + k + 1, n - k - 1), left = bpf_dispatch(g, r, k + 1);
	return bpf_jmp(g, BPF_OP_JGE, r[k + 1].lo, right, left);
}

/* Peephole passes over the instruction graph, repeated until nothing changes:
 *  - redundant loads: an edge into `ld W` (or into an `and K` that cannot clear a bit) from a
 *    point where A already holds that value skips the instruction;
 *  - jump threading: an edge out of a comparison into another comparison of the same A whose
 *    outcome the first one implies goes straight to the implied target;
 *  - constant tests and tests with equal targets disappear, and identical nodes merge (both by
 *    re-interning the graph, which also drops everything unreachable). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_cfg.h"

enum { A_UNSET, A_WORD, A_UNKNOWN };

/* What A holds on entry to a node, on every path: seccomp_data word `off` ANDed with mask. */
struct astate {
	uint8_t kind;
	uint32_t off, mask;
};

static struct astate meet(struct astate a, struct astate b)
{
	if (a.kind == A_UNSET)
		return b;
	if (b.kind == A_UNSET)
		return a;
	if (a.kind == A_WORD && b.kind == A_WORD && a.off == b.off && a.mask == b.mask)
		return a;
	return (struct astate){ A_UNKNOWN, 0, 0 };
}

static struct astate after(const struct bpf_node *n, struct astate in)
{
	if (n->code == BPF_OP_LD)
		return (struct astate){ A_WORD, n->k, 0xffffffffu };
	if (n->code == BPF_OP_AND)
		return in.kind == A_WORD ? (struct astate){ A_WORD, in.off, in.mask & n->k } : in;
	return in;
}

/* What one outcome of a comparison says about A. */
struct fact {
	uint32_t lo, hi;   /* A in [lo, hi] */
	uint32_t zero;     /* bits known clear */
	uint32_t anyset;   /* at least one of these bits is set (0: nothing known) */
	bool has_ne;
	uint32_t ne;       /* A != ne */
};

static struct fact fact_of(const struct bpf_node *n, bool taken)
{
	struct fact f = { 0, 0xffffffffu, 0, 0, false, 0 };
	switch (n->code) {
	case BPF_OP_JEQ:
		if (taken) {
			f.lo = f.hi = n->k;
			f.zero = ~n->k;
		} else {
			f.has_ne = true;
			f.ne = n->k;
		}
		break;
	case BPF_OP_JGE:
		if (taken)
			f.lo = n->k;
		else
			f.hi = n->k - 1; /* k > 0: `jge 0` is folded away */
		break;
	case BPF_OP_JGT:
		if (taken)
			f.lo = n->k + 1; /* k < max: `jgt 0xffffffff` is folded away */
		else
			f.hi = n->k;
		break;
	case BPF_OP_JSET:
		if (taken)
			f.anyset = n->k;
		else
			f.zero = n->k;
		break;
	default:
		break;
	}
	return f;
}

/* 1: the comparison n is taken whenever f holds; 0: never; -1: depends. */
static int decide(const struct bpf_node *n, const struct fact *f)
{
	uint32_t k = n->k;
	switch (n->code) {
	case BPF_OP_JEQ:
		if (f->lo == f->hi)
			return f->lo == k;
		if (k < f->lo || k > f->hi || (f->has_ne && f->ne == k) || (k & f->zero))
			return 0;
		if (f->anyset && !(k & f->anyset))
			return 0;
		return -1;
	case BPF_OP_JGE:
		return f->lo >= k ? 1 : f->hi < k ? 0 : -1;
	case BPF_OP_JGT:
		return f->lo > k ? 1 : f->hi <= k ? 0 : -1;
	case BPF_OP_JSET:
		if (!(k & ~f->zero))
			return 0;
		if (f->lo == f->hi)
			return (f->lo & k) != 0;
		if (f->anyset && !(f->anyset & ~k))
			return 1;
		return -1;
	default:
		return -1;
	}
}

/* Follows an edge leaving a point where A is `st` (and, if `from` is a comparison, where its
 * outcome `taken` is known) past every instruction that cannot change the result. */
static int32_t follow(const struct bpf_cfg *g, int32_t t, struct astate st, const struct bpf_node *from, bool taken)
{
	for (;;) {
		const struct bpf_node *n = &g->node[t];
		if (n->code == BPF_OP_LD && st.kind == A_WORD && st.off == n->k && st.mask == 0xffffffffu) {
			t = n->jt;
		} else if (n->code == BPF_OP_AND && st.kind == A_WORD && (st.mask & ~n->k) == 0) {
			t = n->jt;
		} else if (from && bpf_is_jump(n->code)) {
			struct fact f = fact_of(from, taken);
			int d = decide(n, &f);
			if (d < 0)
				return t;
			t = d ? n->jt : n->jf;
		} else {
			return t;
		}
	}
}

/* One round of edge rewrites. Returns whether anything changed. */
static int rewrite_edges(struct bpf_cfg *g, int32_t root, bool *changed)
{
	size_t n = (size_t)root + 1;
	struct astate *in = calloc(n, sizeof(*in));
	bool *live = calloc(n, sizeof(*live));
	if (!in || !live) {
		free(in);
		free(live);
		return -ENOMEM;
	}
	/* The kernel starts A at zero, which no load's value is known to equal. */
	in[root] = (struct astate){ A_UNKNOWN, 0, 0 };
	live[root] = true;
	for (size_t i = n; i-- > 0;) {
		if (!live[i])
			continue;
		struct bpf_node *nd = &g->node[i];
		if (nd->code == BPF_OP_RET)
			continue;
		struct astate out = after(nd, in[i]);
		bool jump = bpf_is_jump(nd->code);
		int32_t jt = follow(g, nd->jt, out, jump ? nd : NULL, true);
		int32_t jf = jump ? follow(g, nd->jf, out, nd, false) : -1;
		if (jt != nd->jt || (jump && jf != nd->jf))
			*changed = true;
		nd->jt = jt;
		live[jt] = true;
		in[jt] = meet(in[jt], out);
		if (jump) {
			nd->jf = jf;
			live[jf] = true;
			in[jf] = meet(in[jf], out);
		}
	}
	free(in);
	free(live);
	return 0;
}

/* Re-interns every node reachable from root into a fresh graph: merges identical nodes and
 * folds tests whose targets became equal. */
static int32_t reintern(struct bpf_cfg *g, int32_t root, bool *changed)
{
	struct bpf_cfg ng;
	size_t n = (size_t)root + 1;
	int32_t *map = malloc(n * sizeof(*map));
	bool *live = calloc(n, sizeof(*live));
	int32_t nroot = -1;
	bpf_cfg_init(&ng);
	if (!map || !live) {
		g->err = -ENOMEM;
		goto out;
	}
	live[root] = true;
	for (size_t i = n; i-- > 0;) {
		if (!live[i] || g->node[i].code == BPF_OP_RET)
			continue;
		live[g->node[i].jt] = true;
		if (bpf_is_jump(g->node[i].code))
			live[g->node[i].jf] = true;
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		map[i] = -1;
		if (!live[i])
			continue;
		const struct bpf_node *nd = &g->node[i];
		kept++;
		switch (nd->code) {
		case BPF_OP_RET: map[i] = bpf_ret(&ng, nd->k); break;
		case BPF_OP_LD: map[i] = bpf_ld(&ng, nd->k, map[nd->jt]); break;
		case BPF_OP_AND: map[i] = bpf_and(&ng, nd->k, map[nd->jt]); break;
		default: map[i] = bpf_jmp(&ng, nd->code, nd->k, map[nd->jt], map[nd->jf]); break;
		}
	}
	if (ng.err) {
		g->err = ng.err;
		goto out;
	}
	nroot = map[root];
	if (ng.n != kept || ng.n != g->n)
		*changed = true;
	bpf_cfg_free(g);
	*g = ng;
	memset(&ng, 0, sizeof(ng));
out:
	bpf_cfg_free(&ng);
	free(map);
	free(live);
	return nroot;
}

int32_t bpf_peephole(struct bpf_cfg *g, int32_t root)
{
	/* Every round removes at least one instruction from some path or merges nodes, so this
	 * terminates; the bound is a guard against a bug, not a tuning knob. */
	for (int round = 0; round < 64 && !g->err && root >= 0; round++) {
		bool changed = false;
		int e = rewrite_edges(g, root, &changed);
		if (e) {
			g->err = e;
			return -1;
		}
		root = reintern(g, root, &changed);
		if (!changed)
			break;
	}
	return g->err ? -1 : root;
}

/* Layout: the instruction graph -> a linear program. Emitted back to front (post-order), so
 * every node is placed before everything it jumps to. A conditional jump reaches 255
 * instructions ahead; a target further away gets a copy placed right after the jump: a RET is
 * duplicated (no extra instruction on the path), anything else gets a JA trampoline. Later jumps
 * use the nearest copy, so there is one RET per distinct action within jump reach. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_cfg.h"

#define JUMP_REACH 255

struct lay {
	const struct bpf_cfg *g;
	struct sock_filter *rev; /* rev[0] is the last instruction */
	size_t max, pos;
	long *real;  /* position in rev of the node's own instruction, -1 before it is placed */
	long *alias; /* position of the nearest copy (a RET) or trampoline (a JA to it), or -1 */
};

static int put(struct lay *l, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (l->pos >= l->max)
		return -E2BIG;
	l->rev[l->pos++] = (struct sock_filter){ code, jt, jf, k };
	return 0;
}

/* Forward distance from an instruction at position `from` to one at `to` (from > to). */
static long dist(long from, long to)
{
	return from - to - 1;
}

/* A position of n that a jump placed at `from` reaches, or -1. */
static long reachable(const struct lay *l, int32_t n, long from)
{
	if (l->real[n] >= 0 && dist(from, l->real[n]) <= JUMP_REACH)
		return l->real[n];
	if (l->alias[n] >= 0 && dist(from, l->alias[n]) <= JUMP_REACH)
		return l->alias[n];
	return -1;
}

/* Places a copy of n (a RET) or a trampoline to it right here. */
static int put_copy(struct lay *l, int32_t n)
{
	const struct bpf_node *nd = &l->g->node[n];
	int e;
	if (nd->code == BPF_OP_RET)
		e = put(l, BPF_OP_RET, 0, 0, nd->k);
	else
		e = put(l, BPF_OP_JA, 0, 0, (uint32_t)dist((long)l->pos, l->real[n]));
	if (e == 0)
		l->alias[n] = (long)l->pos - 1;
	return e;
}

static int emit(struct lay *l, int32_t n)
{
	const struct bpf_node *nd = &l->g->node[n];
	int e;
	if (l->real[n] >= 0)
		return 0;
	if (nd->code == BPF_OP_RET) {
		if ((e = put(l, BPF_OP_RET, 0, 0, nd->k)))
			return e;
	} else if (bpf_is_seq(nd->code)) {
		if ((e = emit(l, nd->jt)))
			return e;
		/* The successor must come next. */
		long here = (long)l->pos - 1;
		if (l->real[nd->jt] != here && l->alias[nd->jt] != here && (e = put_copy(l, nd->jt)))
			return e;
		if ((e = put(l, nd->code, 0, 0, nd->k)))
			return e;
	} else {
		if ((e = emit(l, nd->jt)) || (e = emit(l, nd->jf)))
			return e;
		/* At most two copies go between the jump and what it already reaches. */
		long worst = (long)l->pos + 2;
		if (reachable(l, nd->jt, worst) < 0 && (e = put_copy(l, nd->jt)))
			return e;
		if (reachable(l, nd->jf, worst) < 0 && (e = put_copy(l, nd->jf)))
			return e;
		long at = (long)l->pos, t = reachable(l, nd->jt, at), f = reachable(l, nd->jf, at);
		if ((e = put(l, nd->code, (uint8_t)dist(at, t), (uint8_t)dist(at, f), nd->k)))
			return e;
	}
	l->real[n] = (long)l->pos - 1;
	return 0;
}

int bpf_layout(struct bpf_cfg *g, int32_t root, struct sock_filter *out, size_t max, size_t *len)
{
	struct lay l = { .g = g, .max = max };
	size_t n = (size_t)root + 1;
	int e = -ENOMEM;
	l.rev = malloc(max * sizeof(*l.rev));
	l.real = malloc(n * sizeof(*l.real));
	l.alias = malloc(n * sizeof(*l.alias));
	if (l.rev && l.real && l.alias) {
		for (size_t i = 0; i < n; i++)
			l.real[i] = l.alias[i] = -1;
		e = emit(&l, root);
	}
	if (e == 0) {
		for (size_t i = 0; i < l.pos; i++)
			out[i] = l.rev[l.pos - 1 - i];
		*len = l.pos;
	}
	free(l.rev);
	free(l.real);
	free(l.alias);
	return e;
}

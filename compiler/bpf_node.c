/* The generator's instruction graph: hash-consed constructors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_cfg.h"

void bpf_cfg_init(struct bpf_cfg *g)
{
	memset(g, 0, sizeof(*g));
}

void bpf_cfg_free(struct bpf_cfg *g)
{
	free(g->node);
	free(g->hash);
	memset(g, 0, sizeof(*g));
}

static uint64_t node_hash(const struct bpf_node *n)
{
	uint64_t h = n->code;
	h = h * 0x9e3779b97f4a7c15ull ^ n->k;
	h = h * 0x9e3779b97f4a7c15ull ^ (uint32_t)n->jt;
	h = h * 0x9e3779b97f4a7c15ull ^ (uint32_t)n->jf;
	return h ^ (h >> 29);
}

static bool node_eq(const struct bpf_node *a, const struct bpf_node *b)
{
	return a->code == b->code && a->k == b->k && a->jt == b->jt && a->jf == b->jf;
}

static int rehash(struct bpf_cfg *g, size_t hcap)
{
	int32_t *h = malloc(hcap * sizeof(*h));
	if (!h)
		return -ENOMEM;
	memset(h, 0xff, hcap * sizeof(*h));
	for (size_t i = 0; i < g->n; i++) {
		size_t s = node_hash(&g->node[i]) & (hcap - 1);
		while (h[s] >= 0)
			s = (s + 1) & (hcap - 1);
		h[s] = (int32_t)i;
	}
	free(g->hash);
	g->hash = h;
	g->hcap = hcap;
	return 0;
}

static int32_t intern(struct bpf_cfg *g, struct bpf_node n)
{
	if (g->err)
		return -1;
	if ((g->n + 1) * 2 > g->hcap && rehash(g, g->hcap ? g->hcap * 2 : 256)) {
		g->err = -ENOMEM;
		return -1;
	}
	size_t s = node_hash(&n) & (g->hcap - 1);
	for (; g->hash[s] >= 0; s = (s + 1) & (g->hcap - 1))
		if (node_eq(&g->node[g->hash[s]], &n))
			return g->hash[s];
	if (g->n >= BPF_CFG_MAX_NODES) {
		g->err = -E2BIG;
		return -1;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct bpf_node *v = realloc(g->node, cap * sizeof(*v));
		if (!v) {
			g->err = -ENOMEM;
			return -1;
		}
		g->node = v;
		g->cap = cap;
	}
	g->node[g->n] = n;
	g->hash[s] = (int32_t)g->n;
	return (int32_t)g->n++;
}

int32_t bpf_ret(struct bpf_cfg *g, uint32_t k)
{
	return intern(g, (struct bpf_node){ BPF_OP_RET, k, -1, -1 });
}

int32_t bpf_ld(struct bpf_cfg *g, uint32_t off, int32_t next)
{
	if (next < 0)
		return -1;
	return intern(g, (struct bpf_node){ BPF_OP_LD, off, next, -1 });
}

int32_t bpf_and(struct bpf_cfg *g, uint32_t k, int32_t next)
{
	if (next < 0)
		return -1;
	if (k == 0xffffffffu)
		return next;
	return intern(g, (struct bpf_node){ BPF_OP_AND, k, next, -1 });
}

int32_t bpf_jmp(struct bpf_cfg *g, uint16_t code, uint32_t k, int32_t jt, int32_t jf)
{
	if (jt < 0 || jf < 0)
		return -1;
	if (jt == jf)
		return jt;
	if ((code == BPF_OP_JGE && k == 0))
		return jt;
	if ((code == BPF_OP_JSET && k == 0) || (code == BPF_OP_JGT && k == 0xffffffffu))
		return jf;
	return intern(g, (struct bpf_node){ code, k, jt, jf });
}

/* Internal to the BPF generator (compiler/bpf_*.c): the program as a DAG of single classic-BPF
 * instructions, built bottom-up and hash-consed, so identical code is shared by construction.
 * A node's successors always have smaller indices than the node, which makes index order a
 * topological order (used by the peephole passes) and keeps every jump a forward jump. */
#ifndef MVM_BPF_CFG_H
#define MVM_BPF_CFG_H
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPF_OP_LD (BPF_LD | BPF_W | BPF_ABS)
#define BPF_OP_AND (BPF_ALU | BPF_AND | BPF_K)
#define BPF_OP_JA (BPF_JMP | BPF_JA)
#define BPF_OP_JEQ (BPF_JMP | BPF_JEQ | BPF_K)
#define BPF_OP_JGT (BPF_JMP | BPF_JGT | BPF_K)
#define BPF_OP_JGE (BPF_JMP | BPF_JGE | BPF_K)
#define BPF_OP_JSET (BPF_JMP | BPF_JSET | BPF_K)
#define BPF_OP_RET (BPF_RET | BPF_K)

/* Offsets into struct seccomp_data. Both targets are little-endian: the low word of an
 * argument comes first. */
#define BPF_OFF_NR 0u
#define BPF_OFF_ARCH 4u
#define BPF_OFF_ARG_LO(i) (16u + 8u * (unsigned)(i))
#define BPF_OFF_ARG_HI(i) (20u + 8u * (unsigned)(i))

/* Generous bound on graph size: the program must fit in 4096 instructions anyway. */
#define BPF_CFG_MAX_NODES (1u << 20)

struct bpf_node {
	uint16_t code;
	uint32_t k;
	int32_t jt, jf; /* conditional jump: both targets; LD and AND: jt = next; RET: -1 */
};

struct bpf_cfg {
	struct bpf_node *node;
	size_t n, cap;
	int32_t *hash; /* open addressing over node indices, -1 = empty */
	size_t hcap;
	int err;       /* sticky: -ENOMEM or -E2BIG once anything failed */
};

void bpf_cfg_init(struct bpf_cfg *g);
void bpf_cfg_free(struct bpf_cfg *g);

static inline bool bpf_is_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && code != BPF_OP_JA;
}

static inline bool bpf_is_seq(uint16_t code)
{
	return code == BPF_OP_LD || code == BPF_OP_AND;
}

/* Constructors return a node index, or -1 once g->err is set. A jump whose outcome does not
 * depend on A (same targets, `jge 0`, `jset 0`, `jgt 0xffffffff`) folds to its target. */
int32_t bpf_ret(struct bpf_cfg *g, uint32_t k);
int32_t bpf_ld(struct bpf_cfg *g, uint32_t off, int32_t next);
int32_t bpf_and(struct bpf_cfg *g, uint32_t k, int32_t next);
int32_t bpf_jmp(struct bpf_cfg *g, uint16_t code, uint32_t k, int32_t jt, int32_t jf);

/* One maximal run of values [lo, hi] (of the 32-bit word in A) that all go to `target`. */
struct bpf_range {
	uint32_t lo, hi;
	int32_t target;
	uint64_t weight; /* how often the run is expected to be hit; >= 1 */
};

/* A search tree over the word in A that sends every value to its range's target, with the
 * fewest weighted comparisons found: an optimal alphabetic tree of `jge` splits, where a run
 * that is one target except for a few single values may be a chain of `jeq` instead.
 * Ranges are sorted, contiguous, and adjacent ranges have different targets. */
int32_t bpf_dispatch(struct bpf_cfg *g, const struct bpf_range *r, size_t n);

/* The code deciding one conditional syscall: its entries, and def (a SECCOMP_RET_* value) for
 * what none matches. Loads what it needs; A may hold anything on entry. */
struct mvm_decision;
int32_t bpf_gen_decision(struct bpf_cfg *g, const struct mvm_decision *dc, uint32_t def);

/* Runs the peephole passes over the graph reachable from root until none changes anything:
 * redundant loads, jump threading over implied comparisons, constant tests, identical-node
 * merging. Returns the new root (or -1 with g->err set). */
int32_t bpf_peephole(struct bpf_cfg *g, int32_t root);

/* Lays the graph out as a program: every jump forward, conditional offsets within 255 (a far
 * target gets a nearby copy of its RET or a JA trampoline), and sequential successors adjacent.
 * Returns 0, -E2BIG when more than max instructions are needed, or -ENOMEM. */
int bpf_layout(struct bpf_cfg *g, int32_t root, struct sock_filter *out, size_t max, size_t *len);
#endif

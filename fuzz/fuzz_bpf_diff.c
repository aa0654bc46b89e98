/* Differential: a random normal form (struct mvm_arch_filter decisions, decoded from the input)
 * compiled by mvmc's generator (mvm_bpf_generate) and by libseccomp (tests/oracle_libseccomp.c,
 * in a child with a deadline: libseccomp 2.5.4 hangs on some rule sets) must decide alike under
 * lib/'s interpreter, and as the normal form itself decides (mvm_eval_decisions), on every case
 * tests/bpf_differential.c generates. Where libseccomp alone departs from the normal form (its
 * known bugs, docs/bpf.md), mvmc is held to the normal form only.
 *
 * The decoder only builds valid normal forms: decisions sorted by number, unconditional ones
 * differing from the default, at most one condition per argument, one width per argument and
 * syscall, 32-bit conditions as == or masked ==, and entries of different actions provably
 * disjoint (an entry that is not is dropped). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/bpf_gen.h"
#include "compiler/resolve.h"
#include "tests/bpf_differential.h"
#include "fuzz.h"

#define MAX_DECISIONS 24
#define MAX_ENTRIES 8

static struct mvm_action take_action(struct fuzz_in *in)
{
	uint8_t b = fuzz_u8(in);
	switch (b % 8) {
	case 0: case 1: return (struct mvm_action){ MVM_ACT_ALLOW, 0 };
	case 2: return (struct mvm_action){ MVM_ACT_LOG, 0 };
	case 3: return (struct mvm_action){ MVM_ACT_TRAP, 0 };
	case 4: return (struct mvm_action){ MVM_ACT_KILL_THREAD, 0 };
	case 5: return (struct mvm_action){ MVM_ACT_KILL_PROCESS, 0 };
	/* 1..4094: libseccomp refuses SCMP_ACT_ERRNO(4095) */
	default: return (struct mvm_action){ MVM_ACT_ERRNO, (uint16_t)(1 + fuzz_u16(in) % 4094) };
	}
}

static bool interval(const struct mvm_cond *c, uint64_t *lo, uint64_t *hi)
{
	uint64_t max = c->width == 32 ? 0xffffffffull : UINT64_MAX, v = c->value;
	switch (c->op) {
	case MVM_OP_EQ: *lo = *hi = v; return true;
	case MVM_OP_LT: *lo = 0; *hi = v - 1; return v > 0;
	case MVM_OP_LE: *lo = 0; *hi = v; return true;
	case MVM_OP_GT: *lo = v + 1; *hi = max; return v < max;
	case MVM_OP_GE: *lo = v; *hi = max; return true;
	default: return false;
	}
}

/* No value satisfies both (false when unsure; an empty condition counts as disjoint). */
static bool conds_disjoint(const struct mvm_cond *a, const struct mvm_cond *b)
{
	uint64_t al, ah, bl, bh;
	bool ai = interval(a, &al, &ah), bi = interval(b, &bl, &bh);
	if (ai && bi)
		return ah < bl || bh < al;
	if (a->op == MVM_OP_EQ)
		return !mvm_cond_holds(b, a->value);
	if (b->op == MVM_OP_EQ)
		return !mvm_cond_holds(a, b->value);
	if (a->op == MVM_OP_MASKED_EQ && b->op == MVM_OP_MASKED_EQ)
		return ((a->value ^ b->value) & a->mask & b->mask) != 0;
	return false;
}

static bool conj_disjoint(const struct mvm_conj *x, const struct mvm_conj *y)
{
	for (size_t i = 0; i < x->ncond; i++)
		for (size_t j = 0; j < y->ncond; j++)
			if (x->cond[i].arg == y->cond[j].arg && conds_disjoint(&x->cond[i], &y->cond[j]))
				return true;
	return false;
}

static struct mvm_cond take_cond(struct fuzz_in *in, unsigned arg, unsigned width)
{
	static const enum mvm_cmp_op ops64[] = { MVM_OP_EQ, MVM_OP_MASKED_EQ, MVM_OP_NE, MVM_OP_LT,
						 MVM_OP_LE, MVM_OP_GT, MVM_OP_GE };
	uint64_t max = width == 32 ? 0xffffffffull : UINT64_MAX;
	struct mvm_cond c = { .arg = (uint8_t)arg, .width = (uint8_t)width };
	uint8_t op = fuzz_u8(in);
	c.op = width == 32 ? (op & 1 ? MVM_OP_MASKED_EQ : MVM_OP_EQ) : ops64[op % 7];
	/* small values are common in real profiles; the top bits pick how wide this one is */
	uint64_t v = fuzz_u64(in);
	switch (op >> 6) {
	case 0: v &= 0xff; break;
	case 1: v &= 0xffffffffull; break;
	default: break;
	}
	c.value = v & max;
	if (c.op == MVM_OP_MASKED_EQ) {
		c.mask = fuzz_u64(in) & max;
		if (!c.mask)
			c.mask = 1;
		c.value &= c.mask;
	}
	return c;
}

/* Entries for one decision; returns how many were kept. */
static size_t take_entries(struct fuzz_in *in, struct mvm_entry *e)
{
	unsigned width[6];
	uint8_t wbits = fuzz_u8(in);
	for (int a = 0; a < 6; a++)
		width[a] = (wbits >> a) & 1 ? 64 : 32;
	size_t want = 1 + fuzz_u8(in) % MAX_ENTRIES, n = 0;
	for (size_t k = 0; k < want && in->n; k++) {
		struct mvm_entry x = { .action = take_action(in) };
		uint8_t args = fuzz_u8(in);
		for (unsigned a = 0; a < 6; a++)
			if (args & (1u << a) && x.conj.ncond < 3)
				x.conj.cond[x.conj.ncond++] = take_cond(in, a, width[a]);
		if (x.conj.ncond == 0)
			x.conj.cond[x.conj.ncond++] = take_cond(in, args % 6, width[args % 6]);
		bool ok = true;
		for (size_t j = 0; j < n && ok; j++)
			ok = mvm_action_eq(e[j].action, x.action) || conj_disjoint(&e[j].conj, &x.conj);
		if (ok)
			e[n++] = x;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t hdr = fuzz_u8(&in);
	const struct mvm_arch *ar = mvm_arch_by_id(hdr & 1 ? MVM_ARCH_AARCH64 : MVM_ARCH_X86_64);
	struct mvm_arch_filter f = { .arch = ar, .default_action = take_action(&in) };
	struct mvm_decision dec[MAX_DECISIONS];
	struct mvm_entry ent[MAX_DECISIONS][MAX_ENTRIES];
	bool used[1024] = { false };
	size_t want = fuzz_u8(&in) % (MAX_DECISIONS + 1);
	for (size_t i = 0; i < want && in.n; i++) {
		int nr = ar->syscalls[fuzz_u16(&in) % ar->nsyscalls].nr;
		if (nr < 0 || nr >= 1024 || used[nr])
			continue;
		struct mvm_decision d = { .nr = nr, .name = mvm_syscall_name(ar, nr), .action = f.default_action };
		if (fuzz_u8(&in) & 1) {
			d.nentry = take_entries(&in, ent[f.ndecision]);
			d.entry = ent[f.ndecision];
			if (d.nentry == 0)
				continue;
		} else {
			d.action = take_action(&in);
			if (mvm_action_eq(d.action, f.default_action))
				continue;
		}
		used[nr] = true;
		dec[f.ndecision++] = d;
	}
	/* sorted by number */
	for (size_t i = 1; i < f.ndecision; i++)
		for (size_t j = i; j > 0 && dec[j - 1].nr > dec[j].nr; j--) {
			struct mvm_decision t = dec[j];
			dec[j] = dec[j - 1];
			dec[j - 1] = t;
		}
	f.decision = dec;

	/* mvmc's program is one the kernel accepts (diff_filter reports that as a failure too, but
	 * folds it together with the oracle's own failures) */
	struct mvm_diag d;
	mvm_diag_init(&d, "fuzz", fuzz_sink());
	struct sock_filter *prog = malloc(MVM_BPF_MAXINSNS * sizeof(*prog));
	size_t len, bad;
	FUZZ_CHECK(prog);
	int r = mvm_bpf_generate(&d, &f, NULL, prog, &len);
	FUZZ_CHECK(r == 0 || r == -E2BIG);
	if (r == 0)
		FUZZ_CHECK(mvm_bpf_check(prog, len, &bad) == 0);
	free(prog);
	if (r)
		return 0;

	struct diff_opts o = { .gen = NULL, .level = hdr & 2 ? 2 : 1, .seed = fuzz_u64(&in), .random_per_nr = 0 };
	struct diff_case c;
	struct diff_stats st = { 0 };
	r = diff_filter(&f, &o, &c, &st);
	if (r == 1) {
		diff_print(stderr, &f, &c);
		FUZZ_CHECK(!"mvmc decides as libseccomp and the normal form");
	}
	return 0;
}

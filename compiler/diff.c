/* mvmc diff, seccomp: per architecture and syscall, the two normal forms are compared exactly.
 *
 * A decision depends on argument i only through the truth of the conditions on argument i
 * (its "atoms", from both profiles). So for each argument, one value per realisable pattern of
 * atom truths is enough, and the product of these per-argument witnesses covers every region
 * either profile can tell apart. The patterns are found by walking the bits of the argument
 * from the top: a prefix fixes a range of values, where each atom is already true, already
 * false, or still open; the walk stops where every atom is decided, and branches on a bit only
 * when an open atom depends on it (a masked test on bits outside its mask, for example, does
 * not). Intervals and masked equalities leave O(width) open paths each, so the walk is small. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "resolve.h"

#define MAX_WITNESS 4096     /* per argument */
#define MAX_PRODUCT 1000000  /* argument vectors per syscall */
#define MAX_ATOMS 512

/* ---- change list ---- */

static struct mvm_diff_change *add_change(struct mvm_arena *a, struct mvm_diff *d)
{
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 32;
		struct mvm_diff_change *nv = mvm_arena_array(a, ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		if (d->n)
			memcpy(nv, d->v, d->n * sizeof(*nv));
		d->v = nv;
		d->cap = ncap;
	}
	struct mvm_diff_change *c = &d->v[d->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

static bool permissive(struct mvm_action a)
{
	return a.kind == MVM_ACT_ALLOW || a.kind == MVM_ACT_LOG;
}

static unsigned effect_of(struct mvm_action o, struct mvm_action n)
{
	if (!permissive(o) && permissive(n))
		return MVM_DIFF_WIDEN;
	if (permissive(o) && !permissive(n))
		return MVM_DIFF_NARROW;
	return 0;
}

/* ---- per-argument witnesses ---- */

struct atoms {
	size_t n;
	const struct mvm_cond *c[MAX_ATOMS];
};

struct witnesses {
	size_t n;
	uint64_t v[MAX_WITNESS];
	uint64_t seen_sig[MAX_WITNESS]; /* hash of the truth pattern, to keep one value per pattern */
	bool overflow;
};

enum { A_FALSE, A_TRUE, A_OPEN };

/* The interval of values an ordering or equality condition accepts (inclusive). */
static bool interval(const struct mvm_cond *c, uint64_t max, uint64_t *lo, uint64_t *hi)
{
	uint64_t v = c->value;
	switch (c->op) {
	case MVM_OP_EQ: *lo = *hi = v; return true;
	case MVM_OP_LT: if (v == 0) return false; *lo = 0; *hi = v - 1; return true;
	case MVM_OP_LE: *lo = 0; *hi = v; return true;
	case MVM_OP_GT: if (v >= max) return false; *lo = v + 1; *hi = max; return true;
	case MVM_OP_GE: *lo = v; *hi = max; return true;
	default: return false;
	}
}

/* The state of c over every value whose bits above `bit` are those of prefix. */
static int atom_state(const struct mvm_cond *c, uint64_t prefix, int bit)
{
	uint64_t wmask = c->width == 32 ? 0xffffffffull : UINT64_MAX;
	uint64_t free_bits = bit >= 63 ? UINT64_MAX : (((uint64_t)1 << (bit + 1)) - 1);
	uint64_t fixed = ~free_bits & wmask;
	uint64_t p = prefix & wmask, lo = p & fixed, hi = lo | (free_bits & wmask);
	switch (c->op) {
	case MVM_OP_MASKED_EQ:
		if ((p ^ c->value) & c->mask & fixed)
			return A_FALSE;
		return (c->mask & ~fixed) == 0 ? A_TRUE : A_OPEN;
	case MVM_OP_NE: {
		if ((c->value & fixed) != lo)
			return A_TRUE;
		return (free_bits & wmask) == 0 ? A_FALSE : A_OPEN;
	}
	default: {
		uint64_t alo, ahi;
		if (!interval(c, wmask, &alo, &ahi))
			return A_FALSE; /* accepts nothing */
		if (ahi < lo || alo > hi)
			return A_FALSE;
		if (alo <= lo && hi <= ahi)
			return A_TRUE;
		return A_OPEN;
	}
	}
}

/* Does an open atom's outcome depend on this bit? */
static bool depends_on(const struct mvm_cond *c, int bit)
{
	if (c->width == 32 && bit >= 32)
		return false;
	if (c->op == MVM_OP_MASKED_EQ)
		return (c->mask >> bit) & 1;
	return true;
}

static void record(struct witnesses *w, const struct atoms *at, uint64_t value)
{
	uint64_t sig = 1469598103934665603ull;
	for (size_t i = 0; i < at->n; i++)
		sig = (sig ^ (uint64_t)(mvm_cond_holds(at->c[i], value) ? 2 : 1)) * 1099511628211ull;
	for (size_t i = 0; i < w->n; i++)
		if (w->seen_sig[i] == sig)
			return;
	if (w->n == MAX_WITNESS) {
		w->overflow = true;
		return;
	}
	w->seen_sig[w->n] = sig;
	w->v[w->n++] = value;
}

static void walk(struct witnesses *w, const struct atoms *at, uint64_t prefix, int bit, size_t *budget)
{
	if (w->overflow || (*budget)-- == 0) {
		w->overflow = true;
		return;
	}
	bool open = false, split = false;
	for (size_t i = 0; i < at->n && !split; i++) {
		if (atom_state(at->c[i], prefix, bit) != A_OPEN)
			continue;
		open = true;
		split = bit >= 0 && depends_on(at->c[i], bit);
	}
	if (!open || bit < 0) {
		record(w, at, prefix);
		return;
	}
	walk(w, at, prefix, bit - 1, budget);
	if (split)
		walk(w, at, prefix | ((uint64_t)1 << bit), bit - 1, budget);
}

static void witnesses_for(const struct atoms *at, struct witnesses *w)
{
	w->n = 0;
	w->overflow = false;
	int top = 31;
	for (size_t i = 0; i < at->n; i++)
		if (at->c[i]->width == 64)
			top = 63;
	size_t budget = 1u << 22;
	walk(w, at, 0, top, &budget);
	/* The values each atom names, and their neighbours, as a guard when the walk overflowed. */
	for (size_t i = 0; w->overflow && i < at->n; i++) {
		uint64_t v = at->c[i]->value;
		record(w, at, v);
		record(w, at, v + 1);
		record(w, at, v - 1);
	}
}

/* ---- describing decisions ---- */

static const char *arg_name(const struct mvm_stdlib *st, const struct mvm_arch_filter *f, const char *sys, int idx,
			    char *buf, size_t len)
{
	const struct mvm_argdef *ad = mvm_stdlib_args(st, sys, f->arch->id);
	if (ad && (size_t)idx < ad->nargs)
		return ad->name[idx];
	snprintf(buf, len, "arg%d", idx);
	return buf;
}

static void put_value(struct mvm_buf *b, uint64_t v)
{
	if (v < 10)
		mvm_buf_printf(b, "%llu", (unsigned long long)v);
	else
		mvm_buf_printf(b, "0x%llx", (unsigned long long)v);
}

static void put_conj(struct mvm_buf *b, const struct mvm_stdlib *st, const struct mvm_arch_filter *f, const char *sys,
		     const struct mvm_conj *cj)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=", "==" };
	for (size_t i = 0; i < cj->ncond; i++) {
		const struct mvm_cond *c = &cj->cond[i];
		char nb[8];
		mvm_buf_printf(b, "%s%s", i ? " and " : "", arg_name(st, f, sys, c->arg, nb, sizeof(nb)));
		if (c->op == MVM_OP_MASKED_EQ) {
			mvm_buf_puts(b, " & ");
			put_value(b, c->mask);
		}
		mvm_buf_printf(b, " %s ", ops[c->op]);
		put_value(b, c->value);
	}
}

static const struct mvm_decision *find(const struct mvm_arch_filter *f, int nr)
{
	size_t lo = 0, hi = f->ndecision;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->decision[mid].nr < nr)
			lo = mid + 1;
		else if (f->decision[mid].nr > nr)
			hi = mid;
		else
			return &f->decision[mid];
	}
	return NULL;
}

/* "allow", "allow if domain == 1 or domain == 2; otherwise errno(1)" */
static const char *describe(struct mvm_arena *a, const struct mvm_stdlib *st, const struct mvm_arch_filter *f,
			    const char *sys, const struct mvm_decision *d)
{
	struct mvm_buf b = { 0 };
	char ab[32];
	if (!d) {
		mvm_buf_printf(&b, "%s (default)", mvm_action_name(f->default_action, ab, sizeof(ab)));
	} else if (d->nentry == 0) {
		mvm_buf_puts(&b, mvm_action_name(d->action, ab, sizeof(ab)));
	} else {
		bool done[64] = { false };
		size_t shown = 0;
		for (size_t i = 0; i < d->nentry && i < 64; i++) {
			if (done[i])
				continue;
			mvm_buf_printf(&b, "%s%s if ", shown ? "; " : "", mvm_action_name(d->entry[i].action, ab, sizeof(ab)));
			size_t alts = 0;
			for (size_t j = i; j < d->nentry && j < 64; j++) {
				if (done[j] || !mvm_action_eq(d->entry[j].action, d->entry[i].action))
					continue;
				done[j] = true;
				if (alts < 6) {
					mvm_buf_puts(&b, alts ? " or " : "");
					put_conj(&b, st, f, sys, &d->entry[j].conj);
				}
				alts++;
			}
			if (alts > 6)
				mvm_buf_printf(&b, " or ... (%zu alternatives)", alts);
			shown++;
		}
		if (d->nentry > 64)
			mvm_buf_printf(&b, "; ... (%zu entries)", d->nentry);
		mvm_buf_printf(&b, "; otherwise %s", mvm_action_name(f->default_action, ab, sizeof(ab)));
	}
	mvm_buf_put(&b, "", 1);
	char *s = b.oom ? NULL : mvm_arena_strdup(a, b.data);
	mvm_buf_free(&b);
	return s;
}

/* ---- one syscall ---- */

static void collect(struct atoms per_arg[MVM_MAX_ARGS], const struct mvm_decision *d)
{
	for (size_t i = 0; d && i < d->nentry; i++)
		for (size_t k = 0; k < d->entry[i].conj.ncond; k++) {
			const struct mvm_cond *c = &d->entry[i].conj.cond[k];
			struct atoms *at = &per_arg[c->arg];
			if (at->n < MAX_ATOMS)
				at->c[at->n++] = c;
		}
}

static int compare_syscall(struct mvm_arena *a, const struct mvm_stdlib *st, const struct mvm_arch_filter *fo,
			   const struct mvm_arch_filter *fn, int nro, int nrn, const char *name, struct mvm_diff *out)
{
	const struct mvm_decision *dold = find(fo, nro), *dnew = find(fn, nrn);
	if (!dold && !dnew)
		return 0; /* both take the default: reported once, as the default */
	struct atoms *per_arg = calloc(MVM_MAX_ARGS, sizeof(*per_arg));
	struct witnesses *w = calloc(MVM_MAX_ARGS, sizeof(*w));
	if (!per_arg || !w) {
		free(per_arg);
		free(w);
		return -ENOMEM;
	}
	collect(per_arg, dold);
	collect(per_arg, dnew);
	size_t total = 1;
	bool overflow = false;
	int used[MVM_MAX_ARGS], nused = 0;
	for (int i = 0; i < MVM_MAX_ARGS; i++) {
		if (!per_arg[i].n)
			continue;
		witnesses_for(&per_arg[i], &w[i]);
		overflow |= w[i].overflow;
		used[nused++] = i;
		if (total <= MAX_PRODUCT)
			total *= w[i].n;
	}
	unsigned effect = 0;
	bool differ = false;
	struct mvm_diff_change tmp = { 0 };
	size_t idx[MVM_MAX_ARGS] = { 0 };
	size_t steps = 0;
	for (;;) {
		uint64_t args[6] = { 0 };
		for (int k = 0; k < nused; k++)
			args[used[k]] = w[used[k]].v[idx[used[k]]];
		struct mvm_action ao = mvm_eval_decisions(fo, nro, args), an = mvm_eval_decisions(fn, nrn, args);
		if (!mvm_action_eq(ao, an)) {
			differ = true;
			effect |= effect_of(ao, an);
			/* a call is worth showing only when arguments tell it apart */
			if (nused && tmp.nexample < MVM_DIFF_MAX_EXAMPLES) {
				struct mvm_buf b = { 0 };
				char b1[32], b2[32], nb[8];
				mvm_buf_printf(&b, "%s(", name);
				for (int k = 0; k < nused; k++) {
					mvm_buf_printf(&b, "%s%s=", k ? ", " : "", arg_name(st, fn, name, used[k], nb, sizeof(nb)));
					put_value(&b, args[used[k]]);
				}
				mvm_buf_printf(&b, "): %s -> %s", mvm_action_name(ao, b1, sizeof(b1)), mvm_action_name(an, b2, sizeof(b2)));
				mvm_buf_put(&b, "", 1);
				tmp.example[tmp.nexample++] = b.oom ? NULL : mvm_arena_strdup(a, b.data);
				mvm_buf_free(&b);
			}
		}
		/* odometer over the used arguments' witnesses, at most MAX_PRODUCT vectors */
		if (++steps >= MAX_PRODUCT) {
			overflow = true;
			break;
		}
		int k = 0;
		for (; k < nused; k++) {
			int i = used[k];
			if (++idx[i] < w[i].n)
				break;
			idx[i] = 0;
		}
		if (k == nused)
			break;
	}
	free(per_arg);
	free(w);
	/* Not every region was tried: a gate must not take that for "no change". */
	if (!differ && overflow)
		effect = MVM_DIFF_WIDEN | MVM_DIFF_NARROW;
	if (!differ && !overflow)
		return 0;
	struct mvm_diff_change *c = add_change(a, out);
	if (!c)
		return -ENOMEM;
	*c = tmp;
	c->kind = MVM_DIFF_SYSCALL;
	c->effect = effect;
	c->arch = fo->arch->name;
	c->subject = name;
	c->old_text = describe(a, st, fo, name, dold);
	c->new_text = describe(a, st, fn, name, dnew);
	c->unproven = overflow;
	out->effect |= effect;
	return 0;
}

/* Syscalls neither profile decides take the default: one change for all of them. */
static int compare_defaults(struct mvm_arena *a, const struct mvm_arch_filter *fo, const struct mvm_arch_filter *fn,
			    struct mvm_diff *out)
{
	if (mvm_action_eq(fo->default_action, fn->default_action))
		return 0;
	struct mvm_diff_change *c = add_change(a, out);
	if (!c)
		return -ENOMEM;
	char b1[32], b2[32];
	size_t n = 0;
	for (int nr = 0; nr <= fo->arch->max_nr; nr++)
		n += mvm_syscall_name(fo->arch, nr) && !find(fo, nr) && !find(fn, nr);
	c->kind = MVM_DIFF_DEFAULT;
	c->arch = fo->arch->name;
	c->subject = mvm_arena_printf(a, "default (%zu syscalls no rule decides, and numbers unknown to the table)", n);
	c->old_text = mvm_arena_strdup(a, mvm_action_name(fo->default_action, b1, sizeof(b1)));
	c->new_text = mvm_arena_strdup(a, mvm_action_name(fn->default_action, b2, sizeof(b2)));
	c->effect = effect_of(fo->default_action, fn->default_action);
	out->effect |= c->effect;
	return 0;
}

int mvm_diff_seccomp(struct mvm_arena *a, const struct mvm_stdlib *st, const struct mvm_profile *old,
		     const struct mvm_profile *new, struct mvm_diff *out)
{
	for (int ar = 0; ar < MVM_ARCH_COUNT; ar++) {
		bool in_old = old->arch_mask & (1u << ar), in_new = new->arch_mask & (1u << ar);
		const struct mvm_arch *arch = mvm_arch_by_id((enum mvm_arch_id)ar);
		if (in_old != in_new) {
			struct mvm_diff_change *c = add_change(a, out);
			if (!c)
				return -ENOMEM;
			c->kind = MVM_DIFF_ARCH;
			c->arch = arch->name;
			c->subject = "architecture";
			c->old_text = in_old ? "filtered" : NULL;
			c->new_text = in_new ? "filtered" : NULL;
			/* a new architecture can run what could not run before */
			c->effect = in_new ? MVM_DIFF_WIDEN : MVM_DIFF_NARROW;
			out->effect |= c->effect;
			continue;
		}
		if (!in_old)
			continue;
		const struct mvm_arch_filter *fo = &old->filter[ar], *fn = &new->filter[ar];
		int e = compare_defaults(a, fo, fn, out);
		for (size_t i = 0; !e && i < arch->nsyscalls; i++) {
			/* the table is sorted by name, so the changes are too */
			const struct mvm_syscall *s = &arch->syscalls[i];
			e = compare_syscall(a, st, fo, fn, s->nr, s->nr, s->name, out);
		}
		if (e)
			return e;
	}
	return 0;
}

/* MVM008: rules with different actions that may match the same call. mvmc refuses them (the
 * first-match order cannot be written in seccomp.json) and stops at the first pair of each
 * syscall; lint reports every pair, with both locations. The conditions are the compiler's:
 * conditional rules whose actions differ must be provably disjoint, and conditional rules
 * before an unconditional rule with another action must be equality tests on one argument. */
#include <string.h>

#include "lint_int.h"

struct pair {
	struct mvm_loc loc, other;
	bool fallback;        /* the other rule is an unconditional one */
	char act[32], oact[32];
	size_t n;
	const char *names[64];
};

struct pairs {
	size_t n;
	struct pair v[256];
};

static bool same_loc(struct mvm_loc a, struct mvm_loc b)
{
	return a.line == b.line && a.col == b.col && a.file && b.file && strcmp(a.file, b.file) == 0;
}

static void add_pair(struct pairs *ps, const struct mvm_rule *r, const struct mvm_rule *o, bool fallback)
{
	struct pair *p = NULL;
	for (size_t i = 0; i < ps->n && !p; i++)
		if (same_loc(ps->v[i].loc, r->loc) && same_loc(ps->v[i].other, o->loc))
			p = &ps->v[i];
	if (!p) {
		if (ps->n == sizeof(ps->v) / sizeof(ps->v[0]))
			return;
		p = &ps->v[ps->n++];
		memset(p, 0, sizeof(*p));
		p->loc = r->loc;
		p->other = o->loc;
		p->fallback = fallback;
		char b[32];
		snprintf(p->act, sizeof(p->act), "%s", mvm_action_name(r->action, b, sizeof(b)));
		snprintf(p->oact, sizeof(p->oact), "%s", mvm_action_name(o->action, b, sizeof(b)));
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->names[i], r->syscall) == 0)
			return;
	if (p->n < sizeof(p->names) / sizeof(p->names[0]))
		p->names[p->n++] = r->syscall;
}

static void check_syscall(struct lint_file *lf, struct pairs *ps, const struct mvm_arch_filter *f, const struct mvm_rule **rules,
			  size_t n)
{
	const struct mvm_rule *fallback = NULL;
	size_t ncond = 0;
	for (; ncond < n && rules[ncond]->nalt; ncond++)
		;
	if (ncond < n)
		fallback = rules[ncond];
	if (!fallback || mvm_action_eq(fallback->action, f->default_action)) {
		for (size_t i = 0; i < ncond; i++)
			for (size_t j = 0; j < i; j++) {
				const struct mvm_rule *ri = rules[i], *rj = rules[j];
				if (mvm_action_eq(ri->action, rj->action) || !(lint_own(lf, ri->loc) || lint_own(lf, rj->loc)))
					continue;
				bool overlap = false;
				for (size_t a = 0; a < ri->nalt && !overlap; a++)
					for (size_t b = 0; b < rj->nalt && !overlap; b++)
						overlap = !mvm_conj_disjoint(&ri->alt[a], &rj->alt[b]);
				/* reported at the linted file's rule, naming the other */
				if (overlap && lint_own(lf, ri->loc))
					add_pair(ps, ri, rj, false);
				else if (overlap)
					add_pair(ps, rj, ri, false);
			}
		return;
	}
	if (ncond == 0)
		return;
	const struct mvm_cond *c0 = &rules[0]->alt[0].cond[0];
	for (size_t i = 0; i < ncond; i++) {
		const struct mvm_rule *r = rules[i];
		bool ok = true;
		for (size_t a = 0; a < r->nalt && ok; a++) {
			const struct mvm_conj *cj = &r->alt[a];
			ok = cj->ncond == 1 && cj->cond[0].op == MVM_OP_EQ && cj->cond[0].arg == c0->arg;
		}
		if (!ok && (lint_own(lf, r->loc) || lint_own(lf, fallback->loc)))
			add_pair(ps, r, fallback, true);
	}
}

void lint_check_overlap(struct lint_file *lf)
{
	const struct mvm_profile *p = lf->p;
	struct pairs *ps = mvm_arena_alloc(lf->a, sizeof(*ps));
	if (!ps)
		return;
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *f = &p->filter[a];
		size_t nnr = (size_t)f->arch->max_nr + 1;
		size_t *count = mvm_arena_array(lf->a, nnr, sizeof(*count));
		const struct mvm_rule **by = mvm_arena_array(lf->a, f->nrule ? f->nrule : 1, sizeof(*by));
		size_t *start = mvm_arena_array(lf->a, nnr + 1, sizeof(*start));
		if (!count || !by || !start)
			return;
		for (size_t i = 0; i < f->nrule; i++)
			count[f->rule[i].nr]++;
		for (size_t nr = 0; nr < nnr; nr++)
			start[nr + 1] = start[nr] + count[nr];
		memset(count, 0, nnr * sizeof(*count));
		for (size_t i = 0; i < f->nrule; i++) {
			size_t nr = (size_t)f->rule[i].nr;
			by[start[nr] + count[nr]++] = &f->rule[i];
		}
		for (size_t nr = 0; nr < nnr; nr++)
			if (count[nr] > 1)
				check_syscall(lf, ps, f, by + start[nr], count[nr]);
	}
	for (size_t i = 0; i < ps->n; i++) {
		const struct pair *q = &ps->v[i];
		char names[400] = "";
		size_t used = 0;
		for (size_t k = 0; k < q->n && used < sizeof(names); k++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s'%s'", k ? ", " : "", q->names[k]);
		if (q->fallback)
			lint_add_full(lf, MVM_LINT_OVERLAP, MVM_LINT_ERROR, q->loc, q->other,
				      "%s: this conditional rule (%s) comes before the unconditional rule at %s:%d:%d (%s), "
				      "which matches the same calls; that is only expressible when the conditions are "
				      "equality tests on one argument", names, q->act, q->other.file, q->other.line,
				      q->other.col, q->oact);
		else
			lint_add_full(lf, MVM_LINT_OVERLAP, MVM_LINT_ERROR, q->loc, q->other,
				      "%s: this rule (%s) and the rule at %s:%d:%d (%s) may match the same calls; make "
				      "their conditions disjoint", names, q->act, q->other.file, q->other.line, q->other.col,
				      q->oact);
	}
}

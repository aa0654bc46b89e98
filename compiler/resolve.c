#include "resolve.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_include.h"
#include "spec_print.h"
#include "suggest.h"
#include "yaml_tree.h"

struct link {
	const struct mvm_spec *spec;
	const char *origin; /* "profile NAME", "tier standard" */
	char *key;          /* realpath or "tier:NAME", for cycle detection */
};

struct resolver {
	struct mvm_arena *a;
	struct mvm_diag *d;
	const struct mvm_stdlib *st;
	size_t nlink;
	struct link link[MVM_MAX_EXTENDS_DEPTH + 1];
	int tier;           /* tier reached through extends, -1 if none */
	const struct mvm_spec *cur;   /* whose user constants and groups names resolve in */
	size_t nevaluating;           /* user constants being evaluated, to catch cycles */
	const struct mvm_spec_const *evaluating[MVM_MAX_CONST_DEPTH];
	/* mvm_compile_profile_lenient: keep going past errors, ceiling errors to ceiling_d */
	bool lenient;
	struct mvm_diag *ceiling_d;
};

__attribute__((format(printf, 3, 4))) static int lerr(struct resolver *r, struct mvm_loc loc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mvm_diag_error(r->d, loc.file, loc.line, loc.col, "%s", msg);
	return -EINVAL;
}
#define LERR(r, loc, ...) lerr((r), (loc), __VA_ARGS__)

/* ---- loading the extends chain ---- */

static int load_spec_text(struct resolver *r, const char *display, const char *text, size_t len,
			  struct mvm_spec **out)
{
	mvm_diag_add_source(r->d, display, text, len);
	int e = mvm_load_spec(r->a, r->d, display, text, len, out);
	return e ? e : mvm_spec_include(r->a, r->d, r->st, *out);
}

static int load_profile_file(struct resolver *r, const char *path, const struct mvm_loc *from,
			     struct mvm_spec **out, char **key)
{
	char *text;
	size_t len;
	int e = mvm_read_file(r->a, path, MVM_YAML_MAX_BYTES, &text, &len);
	if (e) {
		const char *why = e == -EFBIG ? "file is larger than 1 MiB" : strerror(-e);
		if (from)
			return LERR(r, *from, "cannot read profile '%s': %s", path, why);
		mvm_diag_error(r->d, path, 0, 0, "cannot read profile: %s", why);
		return e == -EFBIG || e == -EISDIR ? -EINVAL : e;
	}
	char real[PATH_MAX];
	*key = mvm_arena_strdup(r->a, realpath(path, real) ? real : path);
	const char *display = mvm_arena_strdup(r->a, path);
	if (!*key || !display)
		return -ENOMEM;
	return load_spec_text(r, display, text, len, out);
}

static int load_tier(struct resolver *r, const char *tier, struct mvm_spec **out)
{
	const char *text, *display;
	size_t len;
	char *rel = mvm_arena_printf(r->a, "tiers/%s.yaml", tier);
	if (!rel)
		return -ENOMEM;
	int e = mvm_stdlib_read(r->st, r->a, rel, &text, &len, &display);
	if (e) {
		mvm_diag_error(r->d, NULL, 0, 0, "stdlib tier '%s': %s", tier, strerror(-e));
		return -EINVAL;
	}
	return load_spec_text(r, display, text, len, out);
}

static bool looks_like_path(const char *s)
{
	size_t n = strlen(s);
	return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".yaml") == 0) || (n > 4 && strcmp(s + n - 4, ".yml") == 0) ||
	       (n > 4 && strcmp(s + n - 4, ".mvm") == 0);
}

static int push_link(struct resolver *r, const struct mvm_spec *spec, const char *origin, char *key,
		     const struct mvm_loc *at)
{
	for (size_t i = 0; i < r->nlink; i++)
		if (strcmp(r->link[i].key, key) == 0)
			return LERR(r, *at, "extends cycle: '%s' is already in the chain", spec->file);
	if (r->nlink > MVM_MAX_EXTENDS_DEPTH)
		return LERR(r, *at, "extends chain deeper than %d", MVM_MAX_EXTENDS_DEPTH);
	r->link[r->nlink++] = (struct link){ spec, origin, key };
	return 0;
}

static int load_chain(struct resolver *r, struct mvm_spec *first, char *first_key, const char *first_origin)
{
	if (push_link(r, first, first_origin, first_key, &(struct mvm_loc){ first->file, 0, 0 }))
		return -EINVAL;
	const struct mvm_spec *cur = first;
	while (cur->extends.name) {
		const struct mvm_sym *ext = &cur->extends;
		struct mvm_spec *next;
		char *key;
		const char *origin;
		int ti = mvm_tier_index(ext->name);
		if (ti >= 0) {
			if (load_tier(r, ext->name, &next))
				return -EINVAL;
			key = mvm_arena_printf(r->a, "tier:%s", ext->name);
			origin = mvm_arena_printf(r->a, "tier %s", ext->name);
			if (r->tier < 0)
				r->tier = ti;
		} else if (looks_like_path(ext->name)) {
			char *dir = mvm_arena_strdup(r->a, cur->file);
			if (!dir)
				return -ENOMEM;
			const char *path = ext->name[0] == '/' ? ext->name : mvm_arena_printf(r->a, "%s/%s", dirname(dir), ext->name);
			if (!path || load_profile_file(r, path, &ext->loc, &next, &key))
				return -EINVAL;
			origin = mvm_arena_printf(r->a, "profile %s", path);
		} else {
			struct mvm_suggest s;
			mvm_suggest_init(&s, ext->name);
			for (int i = 0; i < MVM_TIER_COUNT; i++)
				mvm_suggest_offer(&s, mvm_tier_names[i]);
			const char *best = mvm_suggest_result(&s);
			if (best)
				return LERR(r, ext->loc, "unknown tier '%s'; did you mean '%s'?", ext->name, best);
			return LERR(r, ext->loc,
				    "unknown tier '%s' (tiers: essential, minimal, standard, network, unrestricted; "
				    "a profile path contains '/' or ends in .yaml)", ext->name);
		}
		if (!key || !origin || push_link(r, next, origin, key, &ext->loc))
			return -EINVAL;
		cur = next;
	}
	return 0;
}

/* ---- names ---- */

static int lookup_syscall(struct resolver *r, const struct mvm_arch *ar, const struct mvm_sym *s)
{
	int nr = mvm_syscall_nr(ar, s->name);
	if (nr >= 0)
		return nr;
	struct mvm_suggest sg;
	mvm_suggest_init(&sg, s->name);
	for (size_t i = 0; i < ar->nsyscalls; i++)
		mvm_suggest_offer(&sg, ar->syscalls[i].name);
	const char *best = mvm_suggest_result(&sg);
	const struct mvm_arch *other = mvm_arch_by_id(ar->id == MVM_ARCH_X86_64 ? MVM_ARCH_AARCH64 : MVM_ARCH_X86_64);
	if (mvm_syscall_nr(other, s->name) >= 0) {
		/* The hint is written in the syntax of the file the rule is in. */
		char hint[64];
		if (s->loc.file && mvm_syntax_of(s->loc.file) == MVM_SYNTAX_DSL)
			snprintf(hint, sizeof(hint), "'on %s'", other->name);
		else
			snprintf(hint, sizeof(hint), "arch: [%s]", other->name);
		if (best)
			LERR(r, s->loc, "syscall '%s' does not exist on %s; did you mean '%s'? (or restrict the rule with %s)",
			     s->name, ar->name, best, hint);
		else
			LERR(r, s->loc, "syscall '%s' does not exist on %s (restrict the rule with %s)", s->name, ar->name, hint);
	} else {
		/* A name no arch has: one message whatever arch is being resolved (so it is reported
		 * once), suggesting from every arch's names and saying where the suggestion exists. */
		mvm_suggest_init(&sg, s->name);
		for (int a = 0; a < MVM_ARCH_COUNT; a++) {
			const struct mvm_arch *arch = mvm_arch_by_id((enum mvm_arch_id)a);
			for (size_t i = 0; i < arch->nsyscalls; i++)
				mvm_suggest_offer(&sg, arch->syscalls[i].name);
		}
		best = mvm_suggest_result(&sg);
		const char *only = NULL;
		for (int a = 0; best && a < MVM_ARCH_COUNT; a++)
			if (mvm_syscall_nr(mvm_arch_by_id((enum mvm_arch_id)a), best) >= 0)
				only = only ? NULL : mvm_arch_by_id((enum mvm_arch_id)a)->name;
		if (best && only)
			LERR(r, s->loc, "unknown syscall '%s'; did you mean '%s' (%s only)?", s->name, best, only);
		else if (best)
			LERR(r, s->loc, "unknown syscall '%s'; did you mean '%s'?", s->name, best);
		else
			LERR(r, s->loc, "unknown syscall '%s'", s->name);
	}
	return -1;
}

static const struct mvm_spec_const *user_constant(const struct resolver *r, const char *name)
{
	for (size_t i = 0; r->cur && i < r->cur->nconst; i++)
		if (strcmp(r->cur->constant[i].name.name, name) == 0)
			return &r->cur->constant[i];
	return NULL;
}

static const struct mvm_spec_group *user_group(const struct resolver *r, const char *name)
{
	for (size_t i = 0; r->cur && i < r->cur->ngroup; i++)
		if (strcmp(r->cur->group[i].name.name, name) == 0)
			return &r->cur->group[i];
	return NULL;
}

static int eval_value(struct resolver *r, const struct mvm_value *v, enum mvm_arch_id arch, uint64_t *out);

/* A user constant is evaluated per arch (it may name per-arch stdlib constants). */
static int eval_user_constant(struct resolver *r, const struct mvm_spec_const *c, const struct mvm_sym *use,
			      enum mvm_arch_id arch, uint64_t *out)
{
	for (size_t i = 0; i < r->nevaluating; i++) {
		if (r->evaluating[i] != c)
			continue;
		/* The cycle is named from its first-defined member, so that checking each member
		 * gives the same message at the same place (reported once). */
		size_t n = r->nevaluating - i, first = i;
		for (size_t k = i; k < r->nevaluating; k++)
			if (r->evaluating[k] < r->evaluating[first])
				first = k;
		char chain[512] = "";
		for (size_t k = 0; k <= n; k++) {
			size_t used = strlen(chain);
			snprintf(chain + used, sizeof(chain) - used, "%s%s", k ? " -> " : "",
				 r->evaluating[i + (first - i + k) % n]->name.name);
		}
		const struct mvm_spec_const *head = r->evaluating[first];
		return LERR(r, head->name.loc, "constant '%s' is defined in terms of itself (%s)", head->name.name, chain);
	}
	if (r->nevaluating == MVM_MAX_CONST_DEPTH)
		return LERR(r, use->loc, "constant definitions nest deeper than %d", MVM_MAX_CONST_DEPTH);
	r->evaluating[r->nevaluating++] = c;
	int e = eval_value(r, &c->value, arch, out);
	r->nevaluating--;
	return e;
}

static int lookup_constant(struct resolver *r, const struct mvm_sym *t, enum mvm_arch_id arch, uint64_t *out)
{
	bool neg;
	uint64_t mag;
	int e = mvm_parse_int(t->name, &neg, &mag);
	if (e == 0) {
		if (neg && mag > (uint64_t)INT64_MAX + 1)
			return LERR(r, t->loc, "value '%s' is out of range", t->name);
		*out = neg ? (uint64_t)0 - mag : mag;
		return 0;
	}
	if (e == -ERANGE)
		return LERR(r, t->loc, "value '%s' does not fit in 64 bits", t->name);
	const struct mvm_spec_const *uc = user_constant(r, t->name);
	if (uc)
		return eval_user_constant(r, uc, t, arch, out);
	const struct mvm_constant *c = mvm_stdlib_constant(r->st, t->name);
	if (c) {
		*out = c->value[arch];
		return 0;
	}
	struct mvm_suggest sg;
	mvm_suggest_init(&sg, t->name);
	for (size_t i = 0; r->cur && i < r->cur->nconst; i++)
		mvm_suggest_offer(&sg, r->cur->constant[i].name.name);
	for (size_t i = 0; i < r->st->nconst; i++)
		mvm_suggest_offer(&sg, r->st->constant[i].name);
	const char *best = mvm_suggest_result(&sg);
	if (best)
		return LERR(r, t->loc, "unknown constant '%s'; did you mean '%s'?", t->name, best);
	return LERR(r, t->loc, "unknown constant '%s'", t->name);
}

static int eval_value(struct resolver *r, const struct mvm_value *v, enum mvm_arch_id arch, uint64_t *out)
{
	*out = 0;
	for (size_t i = 0; i < v->nterm; i++) {
		uint64_t t;
		if (lookup_constant(r, &v->term[i], arch, &t))
			return -EINVAL;
		*out |= t;
	}
	return 0;
}

static int resolve_action(struct resolver *r, const struct mvm_spec_action *sa, struct mvm_action *out)
{
	*out = sa->act;
	if (!sa->errno_name)
		return 0;
	struct mvm_sym s = { sa->errno_name, sa->loc };
	uint64_t v;
	if (lookup_constant(r, &s, MVM_ARCH_X86_64, &v))
		return -EINVAL;
	if (v < 1 || v > 4095)
		return LERR(r, sa->loc, "errno(%s): %llu is not an errno value (1..4095)", sa->errno_name,
			    (unsigned long long)v);
	out->errno_val = (uint16_t)v;
	return 0;
}

/* ---- conditions ---- */

/* Reduces v to the argument's width. A 32-bit argument accepts 0..2^32-1 and negative
 * numbers that sign-extend from 32 bits (e.g. AT_FDCWD). */
static int fit_width(struct resolver *r, const struct mvm_value *src, const char *arg, int width, uint64_t *v)
{
	if (width != MVM_ARG_W32)
		return 0;
	uint64_t hi = *v >> 32;
	if (hi != 0 && !(hi == 0xffffffffu && (*v & 0x80000000u)))
		return LERR(r, src->loc, "value 0x%llx is wider than the 32-bit argument '%s'", (unsigned long long)*v, arg);
	*v &= 0xffffffffu;
	return 0;
}

static const char *op_text(enum mvm_spec_op op)
{
	static const char *const t[] = { "eq", "ne", "lt", "le", "gt", "ge", "in" };
	return t[op];
}

/* Resolves a rule's conditions for one syscall into alternatives (an OR of conjunctions). */
static int resolve_conds(struct resolver *r, const struct mvm_spec_rule *sr, const char *syscall,
			 enum mvm_arch_id arch, struct mvm_conj **alt, size_t *nalt)
{
	const struct mvm_argdef *ad = mvm_stdlib_args(r->st, syscall, arch);
	struct mvm_cond base[MVM_MAX_ARGS] = { 0 };
	const uint64_t *choices[MVM_MAX_ARGS];
	uint64_t *vals[MVM_MAX_ARGS];
	size_t nchoice[MVM_MAX_ARGS];
	size_t total = 1;
	for (size_t i = 0; i < sr->ncond; i++) {
		const struct mvm_spec_cond *sc = &sr->cond[i];
		int idx = -1, width = MVM_ARG_W64;
		const char *an = sc->arg.name;
		/* A syscall's own argument names win over the generic arg0..arg5 (prctl names its
		 * registers arg2..arg5 after the man page). */
		for (size_t k = 0; ad && k < ad->nargs && idx < 0; k++) {
			if (strcmp(ad->name[k], an) == 0) {
				idx = (int)k;
				width = ad->width[k];
			}
		}
		if (idx >= 0) {
			/* named argument found */
		} else if (strncmp(an, "arg", 3) == 0 && an[3] >= '0' && an[3] <= '5' && an[4] == 0) {
			idx = an[3] - '0';
			if (ad && (size_t)idx < ad->nargs)
				width = ad->width[idx];
			else if (ad)
				return LERR(r, sc->arg.loc, "'%s' takes %zu arguments; it has no %s", syscall, ad->nargs, an);
		} else if (ad) {
			struct mvm_suggest sg;
			mvm_suggest_init(&sg, an);
			for (size_t k = 0; k < ad->nargs; k++) {
				mvm_suggest_offer(&sg, ad->name[k]);
				if (strcmp(ad->name[k], an) == 0) {
					idx = (int)k;
					width = ad->width[k];
				}
			}
			if (idx < 0) {
				const char *best = mvm_suggest_result(&sg);
				if (best)
					return LERR(r, sc->arg.loc, "'%s' has no argument '%s'; did you mean '%s'?", syscall, an, best);
				return LERR(r, sc->arg.loc, "'%s' has no argument '%s'", syscall, an);
			}
		} else {
			return LERR(r, sc->arg.loc, "'%s' has no named arguments; use arg0..arg5", syscall);
		}
		for (size_t j = 0; j < i; j++)
			if (base[j].arg == idx)
				return LERR(r, sc->loc,
					    "two conditions on argument '%s' in one rule: seccomp.json cannot AND them "
					    "(runc ORs conditions on one argument); split the rule", an);
		if (width == MVM_ARG_W32 && sc->op != SOP_EQ && sc->op != SOP_IN)
			return LERR(r, sc->loc,
				    "'%s' on the 32-bit argument '%s': only eq, in and mask are exact on 32-bit arguments "
				    "(the kernel leaves the upper half of the register undefined)", op_text(sc->op), an);
		struct mvm_cond *c = &base[i];
		c->arg = (uint8_t)idx;
		c->width = width == MVM_ARG_W32 ? 32 : 64;
		uint64_t wmask = width == MVM_ARG_W32 ? 0xffffffffu : UINT64_MAX;
		static const enum mvm_cmp_op map[] = { MVM_OP_EQ, MVM_OP_NE, MVM_OP_LT, MVM_OP_LE, MVM_OP_GT, MVM_OP_GE, MVM_OP_EQ };
		c->op = map[sc->op];
		if (sc->has_mask) {
			if (eval_value(r, &sc->mask, arch, &c->mask) || fit_width(r, &sc->mask, an, width, &c->mask))
				return -EINVAL;
			c->mask &= wmask;
			c->op = MVM_OP_MASKED_EQ;
		}
		vals[i] = mvm_arena_array(r->a, sc->nvalue, sizeof(uint64_t));
		if (!vals[i])
			return -ENOMEM;
		for (size_t k = 0; k < sc->nvalue; k++) {
			uint64_t v;
			if (eval_value(r, &sc->value[k], arch, &v) || fit_width(r, &sc->value[k], an, width, &v))
				return -EINVAL;
			if (c->op == MVM_OP_MASKED_EQ && (v & ~c->mask))
				return LERR(r, sc->value[k].loc,
					    "(%s & 0x%llx) == 0x%llx can never hold: the value has bits outside the mask", an,
					    (unsigned long long)c->mask, (unsigned long long)v);
			vals[i][k] = v;
		}
		choices[i] = vals[i];
		nchoice[i] = sc->nvalue;
		if (total > MVM_MAX_ALTERNATIVES / sc->nvalue)
			return LERR(r, sr->loc, "the rule expands to more than %d alternatives", MVM_MAX_ALTERNATIVES);
		total *= sc->nvalue;
	}
	if (sr->ncond == 0) {
		*alt = NULL;
		*nalt = 0;
		return 0;
	}
	*alt = mvm_arena_array(r->a, total, sizeof(**alt));
	if (!*alt)
		return -ENOMEM;
	for (size_t t = 0; t < total; t++) {
		size_t rest = t;
		struct mvm_conj *cj = &(*alt)[t];
		cj->ncond = (uint8_t)sr->ncond;
		for (size_t i = 0; i < sr->ncond; i++) {
			cj->cond[i] = base[i];
			cj->cond[i].value = choices[i][rest % nchoice[i]];
			rest /= nchoice[i];
		}
	}
	*nalt = total;
	return 0;
}

/* ---- rules ---- */

struct rulevec {
	size_t n, cap;
	struct mvm_rule *v;
};

static struct mvm_rule *rule_push(struct resolver *r, struct rulevec *rv)
{
	if (rv->n == rv->cap) {
		size_t ncap = rv->cap ? rv->cap * 2 : 256;
		struct mvm_rule *nv = mvm_arena_array(r->a, ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		if (rv->n)
			memcpy(nv, rv->v, rv->n * sizeof(*nv));
		rv->v = nv;
		rv->cap = ncap;
	}
	return &rv->v[rv->n++];
}

static int add_syscall_rule(struct resolver *r, struct rulevec *rv, const struct mvm_spec_rule *sr,
			    struct mvm_action act, const char *origin, const struct mvm_arch *ar, const char *name,
			    int nr)
{
	struct mvm_rule *ru = rule_push(r, rv);
	if (!ru)
		return -ENOMEM;
	ru->action = act;
	ru->nr = nr;
	ru->syscall = name;
	ru->loc = sr->loc;
	ru->origin = origin;
	ru->why = sr->why;
	return resolve_conds(r, sr, name, ar->id, &ru->alt, &ru->nalt);
}

static int expand_group(struct resolver *r, struct rulevec *rv, const struct mvm_spec_rule *sr,
			struct mvm_action act, const char *origin, const struct mvm_arch *ar,
			const struct mvm_sym *g, int depth);

static int unknown_group(struct resolver *r, const struct mvm_sym *g)
{
	struct mvm_suggest sg;
	mvm_suggest_init(&sg, g->name + 1);
	for (size_t i = 0; r->cur && i < r->cur->ngroup; i++)
		mvm_suggest_offer(&sg, r->cur->group[i].name.name);
	for (size_t i = 0; i < r->st->ngroup; i++)
		mvm_suggest_offer(&sg, r->st->group[i].name);
	const char *best = mvm_suggest_result(&sg);
	if (best)
		return LERR(r, g->loc, "unknown group '%s'; did you mean '@%s'?", g->name, best);
	return LERR(r, g->loc, "unknown group '%s'", g->name);
}

static int expand_user_group(struct resolver *r, struct rulevec *rv, const struct mvm_spec_rule *sr,
			     struct mvm_action act, const char *origin, const struct mvm_arch *ar,
			     const struct mvm_sym *g, const struct mvm_spec_group *ug, int depth)
{
	if (depth > 8)
		return LERR(r, g->loc, "group '%s' nests deeper than 8 levels (a cycle?)", g->name);
	const char *gorigin = mvm_arena_printf(r->a, "%s, group %s", origin, g->name);
	int bad = 0;
	for (size_t i = 0; i < ug->nsys; i++) {
		const struct mvm_sym *s = &ug->sys[i];
		if (s->name[0] == '@') {
			if (expand_group(r, rv, sr, act, origin, ar, s, depth + 1))
				bad = -EINVAL;
			continue;
		}
		int nr = lookup_syscall(r, ar, s);
		if (nr < 0 || add_syscall_rule(r, rv, sr, act, gorigin, ar, s->name, nr))
			bad = -EINVAL;
	}
	return bad;
}

static int expand_group(struct resolver *r, struct rulevec *rv, const struct mvm_spec_rule *sr,
			struct mvm_action act, const char *origin, const struct mvm_arch *ar,
			const struct mvm_sym *g, int depth)
{
	const struct mvm_spec_group *ug = user_group(r, g->name + 1);
	if (ug)
		return expand_user_group(r, rv, sr, act, origin, ar, g, ug, depth);
	const struct mvm_group *grp = mvm_stdlib_group(r->st, g->name + 1);
	if (!grp)
		return unknown_group(r, g);
	if (depth > 8)
		return LERR(r, g->loc, "group '%s' nests deeper than 8 levels (a cycle?)", g->name);
	const char *gorigin = mvm_arena_printf(r->a, "%s, group %s", origin, g->name);
	int bad = 0;
	for (int part = 0; part < 2; part++) {
		size_t idx = part == 0 ? 0 : 1 + (size_t)ar->id;
		for (size_t i = 0; i < grp->nsys[idx]; i++) {
			const struct mvm_sym *s = &grp->sys[idx][i];
			if (s->name[0] == '@') {
				if (expand_group(r, rv, sr, act, origin, ar, s, depth + 1))
					bad = -EINVAL;
				continue;
			}
			int nr = lookup_syscall(r, ar, s);
			if (nr < 0 || add_syscall_rule(r, rv, sr, act, gorigin, ar, s->name, nr))
				bad = -EINVAL;
		}
	}
	return bad;
}

/* A spec's own constants and groups are checked even when no rule uses them: a constant must
 * evaluate on this arch, a member must name a group or a syscall of some arch, and neither may
 * take a stdlib name (a profile that quietly redefines AF_INET would mislead its reviewers). */
static int check_user_defs(struct resolver *r, const struct mvm_arch *ar)
{
	int bad = 0;
	for (size_t i = 0; i < r->cur->nconst; i++) {
		const struct mvm_spec_const *c = &r->cur->constant[i];
		uint64_t v;
		if (mvm_stdlib_constant(r->st, c->name.name))
			bad = LERR(r, c->name.loc, "constant '%s' is already defined by the stdlib; choose another name",
				   c->name.name);
		else if (eval_user_constant(r, c, &c->name, ar->id, &v))
			bad = -EINVAL;
	}
	for (size_t i = 0; i < r->cur->ngroup; i++) {
		const struct mvm_spec_group *g = &r->cur->group[i];
		if (mvm_stdlib_group(r->st, g->name.name)) {
			bad = LERR(r, g->name.loc, "group '@%s' is already defined by the stdlib; choose another name",
				   g->name.name);
			continue;
		}
		for (size_t k = 0; k < g->nsys; k++) {
			const struct mvm_sym *m = &g->sys[k];
			if (m->name[0] == '@') {
				if (!user_group(r, m->name + 1) && !mvm_stdlib_group(r->st, m->name + 1))
					bad = unknown_group(r, m);
				continue;
			}
			bool somewhere = false;
			for (int a = 0; a < MVM_ARCH_COUNT && !somewhere; a++)
				somewhere = mvm_syscall_nr(mvm_arch_by_id((enum mvm_arch_id)a), m->name) >= 0;
			if (!somewhere && lookup_syscall(r, ar, m) < 0)
				bad = -EINVAL;
		}
	}
	return bad;
}

static int resolve_rules(struct resolver *r, const struct mvm_arch *ar, struct rulevec *rv)
{
	int bad = 0;
	for (size_t l = 0; l < r->nlink; l++) {
		const struct mvm_spec *sp = r->link[l].spec;
		r->cur = sp;
		if (check_user_defs(r, ar))
			bad = -EINVAL;
		for (size_t i = 0; i < sp->nrule; i++) {
			const struct mvm_spec_rule *sr = &sp->rule[i];
			if (sr->arch_mask && !(sr->arch_mask & (1u << ar->id)))
				continue;
			struct mvm_action act;
			if (resolve_action(r, &sr->action, &act)) {
				bad = -EINVAL;
				continue;
			}
			for (size_t k = 0; k < sr->nsys; k++) {
				const struct mvm_sym *s = &sr->sys[k];
				if (s->name[0] == '@') {
					if (expand_group(r, rv, sr, act, r->link[l].origin, ar, s, 0))
						bad = -EINVAL;
					continue;
				}
				int nr = lookup_syscall(r, ar, s);
				if (nr < 0 || add_syscall_rule(r, rv, sr, act, r->link[l].origin, ar, s->name, nr))
					bad = -EINVAL;
			}
		}
	}
	return bad;
}

/* ---- semantics ---- */

bool mvm_cond_holds(const struct mvm_cond *c, uint64_t arg)
{
	uint64_t x = c->width == 32 ? arg & 0xffffffffu : arg;
	switch (c->op) {
	case MVM_OP_EQ: return x == c->value;
	case MVM_OP_NE: return x != c->value;
	case MVM_OP_LT: return x < c->value;
	case MVM_OP_LE: return x <= c->value;
	case MVM_OP_GT: return x > c->value;
	case MVM_OP_GE: return x >= c->value;
	case MVM_OP_MASKED_EQ: return (x & c->mask) == c->value;
	}
	return false;
}

static bool conj_holds(const struct mvm_conj *cj, const uint64_t args[6])
{
	for (size_t i = 0; i < cj->ncond; i++)
		if (!mvm_cond_holds(&cj->cond[i], args[cj->cond[i].arg]))
			return false;
	return true;
}

struct mvm_action mvm_eval_rules(const struct mvm_arch_filter *f, int nr, const uint64_t args[6])
{
	for (size_t i = 0; i < f->nrule; i++) {
		const struct mvm_rule *ru = &f->rule[i];
		if (ru->nr != nr)
			continue;
		if (ru->nalt == 0)
			return ru->action;
		for (size_t k = 0; k < ru->nalt; k++)
			if (conj_holds(&ru->alt[k], args))
				return ru->action;
	}
	return f->default_action;
}

struct mvm_action mvm_eval_decisions(const struct mvm_arch_filter *f, int nr, const uint64_t args[6])
{
	size_t lo = 0, hi = f->ndecision;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct mvm_decision *dc = &f->decision[mid];
		if (dc->nr < nr) {
			lo = mid + 1;
		} else if (dc->nr > nr) {
			hi = mid;
		} else {
			if (dc->nentry == 0)
				return dc->action;
			for (size_t k = 0; k < dc->nentry; k++)
				if (conj_holds(&dc->entry[k].conj, args))
					return dc->entry[k].action;
			return f->default_action;
		}
	}
	return f->default_action;
}

/* The set of x (of the given width) a condition accepts, as an interval when it is one. */
static bool as_interval(const struct mvm_cond *c, uint64_t *lo, uint64_t *hi)
{
	uint64_t max = c->width == 32 ? 0xffffffffu : UINT64_MAX;
	switch (c->op) {
	case MVM_OP_EQ: *lo = *hi = c->value; return true;
	case MVM_OP_LT: if (c->value == 0) { *lo = 1; *hi = 0; } else { *lo = 0; *hi = c->value - 1; } return true;
	case MVM_OP_LE: *lo = 0; *hi = c->value; return true;
	case MVM_OP_GT: if (c->value >= max) { *lo = 1; *hi = 0; } else { *lo = c->value + 1; *hi = max; } return true;
	case MVM_OP_GE: *lo = c->value; *hi = max; return true;
	default: return false;
	}
}

/* True only when no value satisfies both (a proof, not a guess: unknown = false). */
static bool conds_disjoint(const struct mvm_cond *a, const struct mvm_cond *b)
{
	uint64_t alo, ahi, blo, bhi;
	bool ai = as_interval(a, &alo, &ahi), bi = as_interval(b, &blo, &bhi);
	if (ai && bi)
		return alo > ahi || blo > bhi || ahi < blo || bhi < alo;
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

/* True when every value satisfying p also satisfies q (same argument). */
static bool cond_implies(const struct mvm_cond *p, const struct mvm_cond *q)
{
	if (p->op == MVM_OP_EQ)
		return mvm_cond_holds(q, p->value);
	uint64_t plo, phi, qlo, qhi;
	if (as_interval(p, &plo, &phi) && as_interval(q, &qlo, &qhi))
		return plo > phi || (qlo <= plo && phi <= qhi);
	if (p->op == MVM_OP_MASKED_EQ && q->op == MVM_OP_MASKED_EQ)
		return (q->mask & ~p->mask) == 0 && (p->value & q->mask) == q->value;
	return p->op == q->op && p->value == q->value && p->mask == q->mask;
}

static bool conj_implies(const struct mvm_conj *p, const struct mvm_conj *q)
{
	for (size_t j = 0; j < q->ncond; j++) {
		bool ok = false;
		for (size_t i = 0; i < p->ncond && !ok; i++)
			ok = p->cond[i].arg == q->cond[j].arg && cond_implies(&p->cond[i], &q->cond[j]);
		if (!ok)
			return false;
	}
	return true;
}

static bool conj_eq(const struct mvm_conj *x, const struct mvm_conj *y)
{
	if (x->ncond != y->ncond)
		return false;
	for (size_t i = 0; i < x->ncond; i++) {
		const struct mvm_cond *a = &x->cond[i], *b = &y->cond[i];
		if (a->arg != b->arg || a->op != b->op || a->value != b->value || a->mask != b->mask || a->width != b->width)
			return false;
	}
	return true;
}

struct altref {
	struct mvm_action action;
	struct mvm_conj conj;
	const struct mvm_rule *rule;
};

struct entryvec {
	size_t n, cap;
	struct mvm_entry *v;
};

static int entry_push(struct resolver *r, struct entryvec *ev, struct mvm_action act, const struct mvm_conj *cj)
{
	if (ev->n == ev->cap) {
		size_t ncap = ev->cap ? ev->cap * 2 : 16;
		struct mvm_entry *nv = mvm_arena_array(r->a, ncap, sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		if (ev->n)
			memcpy(nv, ev->v, ev->n * sizeof(*nv));
		ev->v = nv;
		ev->cap = ncap;
	}
	ev->v[ev->n++] = (struct mvm_entry){ act, *cj };
	return 0;
}

/* The complement of a set of values V (one argument, `width` bits) as masked equalities:
 * walking the binary trie of V from the top bit, every branch V does not take is one
 * prefix, i.e. one (mask, value) pair. Exact, and at most |V| * width entries. */
static int complement_entries(struct resolver *r, struct entryvec *ev, struct mvm_action act, uint8_t arg,
			      uint8_t width, const uint64_t *vals, size_t nval, int bit, uint64_t prefix)
{
	if (bit < 0 || nval == 0)
		return 0;
	uint64_t wmask = width == 32 ? 0xffffffffu : UINT64_MAX;
	uint64_t mask = (wmask >> bit) << bit; /* bits [width-1 .. bit] */
	uint64_t one = (uint64_t)1 << bit;
	size_t n0 = 0, n1 = 0;
	for (size_t i = 0; i < nval; i++)
		(vals[i] & one) ? n1++ : n0++;
	for (int side = 0; side < 2; side++) {
		uint64_t pfx = prefix | (side ? one : 0);
		size_t cnt = side ? n1 : n0;
		if (cnt == 0) {
			struct mvm_conj cj = { .ncond = 1 };
			cj.cond[0] = (struct mvm_cond){ arg, width, MVM_OP_MASKED_EQ, mask, pfx };
			if (entry_push(r, ev, act, &cj))
				return -ENOMEM;
			continue;
		}
		uint64_t sub[64];
		size_t k = 0;
		for (size_t i = 0; i < nval; i++)
			if (((vals[i] & one) != 0) == (side == 1))
				sub[k++] = vals[i];
		if (complement_entries(r, ev, act, arg, width, sub, k, bit - 1, pfx))
			return -ENOMEM;
	}
	return 0;
}

static int normalize_one(struct resolver *r, struct mvm_arch_filter *f, const struct mvm_rule **rules, size_t n,
			 struct mvm_decision *out, bool *keep)
{
	struct mvm_action def = f->default_action, fallback = def;
	const struct mvm_rule *fallback_rule = NULL;
	size_t nalt = 0;
	for (size_t i = 0; i < n && !fallback_rule; i++) {
		if (rules[i]->nalt == 0)
			fallback_rule = rules[i];
		else
			nalt += rules[i]->nalt;
	}
	if (fallback_rule)
		fallback = fallback_rule->action;
	struct altref *alts = mvm_arena_array(r->a, nalt ? nalt : 1, sizeof(*alts));
	if (!alts)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n && rules[i]->nalt; i++)
		for (size_t j = 0; j < rules[i]->nalt; j++)
			alts[k++] = (struct altref){ rules[i]->action, rules[i]->alt[j], rules[i] };
	out->nr = rules[0]->nr;
	out->name = rules[0]->syscall;
	out->loc = (fallback_rule ? fallback_rule : rules[0])->loc;
	*keep = false;
	if (nalt == 0) {
		out->action = fallback;
		*keep = !mvm_action_eq(fallback, def);
		return 0;
	}
	struct entryvec ev = { 0 };
	if (mvm_action_eq(fallback, def)) {
		for (size_t i = 0; i < nalt; i++) {
			for (size_t j = 0; j < i; j++) {
				if (mvm_action_eq(alts[i].action, alts[j].action) || conj_disjoint(&alts[i].conj, &alts[j].conj))
					continue;
				char b1[32], b2[32];
				mvm_diag_error(r->d, alts[i].rule->loc.file, alts[i].rule->loc.line, alts[i].rule->loc.col,
					       "'%s': this rule (%s) may match the same calls as the rule at %s:%d:%d (%s); "
					       "make their conditions disjoint (first-match order cannot be expressed in seccomp.json)",
					       out->name, mvm_action_name(alts[i].action, b1, sizeof(b1)), alts[j].rule->loc.file,
					       alts[j].rule->loc.line, alts[j].rule->loc.col,
					       mvm_action_name(alts[j].action, b2, sizeof(b2)));
				return -EINVAL;
			}
		}
		for (size_t i = 0; i < nalt; i++) {
			if (mvm_action_eq(alts[i].action, def))
				continue;
			bool dup = false;
			for (size_t j = 0; j < ev.n && !dup; j++)
				dup = conj_eq(&ev.v[j].conj, &alts[i].conj) && mvm_action_eq(ev.v[j].action, alts[i].action);
			if (!dup && entry_push(r, &ev, alts[i].action, &alts[i].conj))
				return -ENOMEM;
		}
	} else {
		/* A different fallback: expressible when every alternative is one equality on one
		 * argument; the fallback then covers the exact complement. */
		const struct mvm_cond *c0 = &alts[0].conj.cond[0];
		for (size_t i = 0; i < nalt; i++) {
			const struct mvm_conj *cj = &alts[i].conj;
			if (cj->ncond != 1 || cj->cond[0].op != MVM_OP_EQ || cj->cond[0].arg != c0->arg) {
				const struct mvm_loc *l = &alts[i].rule->loc;
				mvm_diag_error(r->d, l->file, l->line, l->col,
					       "'%s': a conditional rule followed by the rule at %s:%d:%d with another action is "
					       "only expressible for equality tests on one argument; make the conditions `eq`/`in` "
					       "on one argument, or let unmatched calls take the default action",
					       out->name, fallback_rule->loc.file, fallback_rule->loc.line, fallback_rule->loc.col);
				return -EINVAL;
			}
		}
		if (nalt > 64)
			return LERR(r, alts[64].rule->loc, "'%s': more than 64 values before a fallback rule", out->name);
		uint64_t vals[64];
		size_t nv = 0;
		for (size_t i = 0; i < nalt; i++) {
			bool seen = false;
			for (size_t j = 0; j < nv; j++)
				seen |= vals[j] == alts[i].conj.cond[0].value;
			if (seen)
				continue; /* first match wins: a later duplicate never decides */
			vals[nv++] = alts[i].conj.cond[0].value;
			if (!mvm_action_eq(alts[i].action, fallback) && !mvm_action_eq(alts[i].action, def) &&
			    entry_push(r, &ev, alts[i].action, &alts[i].conj))
				return -ENOMEM;
		}
		bool all_fallback = true;
		for (size_t i = 0; i < nalt; i++)
			all_fallback &= mvm_action_eq(alts[i].action, fallback);
		if (all_fallback) {
			out->action = fallback;
			*keep = true;
			return 0;
		}
		if (complement_entries(r, &ev, fallback, c0->arg, c0->width, vals, nv, c0->width - 1, 0))
			return -ENOMEM;
	}
	out->nentry = ev.n;
	out->entry = ev.v;
	out->action = def;
	*keep = ev.n > 0;
	return 0;
}

static int normalize(struct resolver *r, struct mvm_arch_filter *f)
{
	const struct mvm_arch *ar = f->arch;
	size_t nnr = (size_t)ar->max_nr + 1;
	size_t *count = mvm_arena_array(r->a, nnr, sizeof(*count));
	const struct mvm_rule ***by_nr = mvm_arena_array(r->a, nnr, sizeof(*by_nr));
	f->decision = mvm_arena_array(r->a, nnr, sizeof(*f->decision));
	if (!count || !by_nr || !f->decision)
		return -ENOMEM;
	for (size_t i = 0; i < f->nrule; i++)
		count[f->rule[i].nr]++;
	for (size_t nr = 0; nr < nnr; nr++) {
		by_nr[nr] = mvm_arena_array(r->a, count[nr] ? count[nr] : 1, sizeof(**by_nr));
		if (!by_nr[nr])
			return -ENOMEM;
		count[nr] = 0;
	}
	for (size_t i = 0; i < f->nrule; i++)
		by_nr[f->rule[i].nr][count[f->rule[i].nr]++] = &f->rule[i];
	int bad = 0;
	f->ndecision = 0;
	for (size_t nr = 0; nr < nnr; nr++) {
		if (!count[nr])
			continue;
		bool keep;
		struct mvm_decision *dc = &f->decision[f->ndecision];
		int e = normalize_one(r, f, by_nr[nr], count[nr], dc, &keep);
		if (e == -ENOMEM)
			return e;
		if (e)
			bad = -EINVAL;
		else if (keep)
			f->ndecision++;
	}
	return bad;
}

/* ---- ceilings ---- */

static bool permissive(struct mvm_action a)
{
	return a.kind == MVM_ACT_ALLOW || a.kind == MVM_ACT_LOG;
}

static const struct mvm_decision *find_decision(const struct mvm_arch_filter *f, int nr)
{
	for (size_t i = 0; i < f->ndecision; i++)
		if (f->decision[i].nr == nr)
			return &f->decision[i];
	return NULL;
}

/* Is every call that `mine` lets through also let through by `cap`? Proved per entry;
 * anything not provable counts as exceeding. */
static bool within(const struct mvm_arch_filter *mine, const struct mvm_decision *md, const struct mvm_arch_filter *capf,
		   const struct mvm_decision *cd)
{
	bool cap_all = cd ? cd->nentry == 0 && permissive(cd->action) : permissive(capf->default_action);
	if (cap_all)
		return true;
	if (!md || md->nentry == 0)
		return !permissive(md ? md->action : mine->default_action);
	if (permissive(mine->default_action)) {
		/* mine lets through every call its refusing entries miss: within the ceiling when the
		 * ceiling's default lets calls through too and each call it refuses, mine refuses. */
		if (!cd || cd->nentry == 0 || !permissive(capf->default_action))
			return false;
		for (size_t j = 0; j < cd->nentry; j++) {
			bool ok = permissive(cd->entry[j].action);
			for (size_t i = 0; i < md->nentry && !ok; i++)
				ok = !permissive(md->entry[i].action) && conj_implies(&cd->entry[j].conj, &md->entry[i].conj);
			if (!ok)
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < md->nentry; i++) {
		if (!permissive(md->entry[i].action))
			continue;
		bool ok = false;
		for (size_t j = 0; cd && j < cd->nentry && !ok; j++)
			ok = permissive(cd->entry[j].action) && conj_implies(&md->entry[i].conj, &cd->entry[j].conj);
		if (!ok)
			return false;
	}
	return true;
}

static int compile_links(struct resolver *r, unsigned arch_mask, struct mvm_profile *p);

static int check_ceiling(struct resolver *r, struct mvm_profile *p)
{
	const struct mvm_spec *sp = r->link[0].spec;
	const struct mvm_intent *in = mvm_stdlib_intent(r->st, p->intent);
	if (!in) {
		struct mvm_suggest sg;
		mvm_suggest_init(&sg, p->intent);
		for (size_t i = 0; i < r->st->nintent; i++)
			mvm_suggest_offer(&sg, r->st->intent[i].name);
		const char *best = mvm_suggest_result(&sg);
		if (best)
			return LERR(r, p->intent_loc, "unknown intent '%s'; did you mean '%s'?", p->intent, best);
		return LERR(r, p->intent_loc, "unknown intent '%s'", p->intent);
	}
	int bad = 0;
	const char *cap_tier = mvm_tier_names[in->max_tier];
	if (r->tier > in->max_tier)
		bad = LERR(r, p->extends_loc, "tier '%s' is above the ceiling of intent '%s' (at most '%s')",
			   mvm_tier_names[r->tier], in->name, cap_tier);
	if (!in->egress_allowed && p->egress.nrule)
		bad = LERR(r, p->egress.loc, "intent '%s' allows no network egress, but network.egress allows %zu destination(s)",
			   in->name, p->egress.nrule);
	static const int looseness[] = { [MVM_SECRETS_NONE] = 0, [MVM_SECRETS_ATTESTATION_BOUND] = 1, [MVM_SECRETS_PLAN_BOUND] = 2 };
	static const char *const sname[] = { "none", "plan-bound", "attestation-bound" };
	if (looseness[p->secrets] > looseness[in->max_secrets])
		bad = LERR(r, sp->secrets_loc, "secrets.release '%s' is looser than intent '%s' allows ('%s')",
			   sname[p->secrets], in->name, sname[in->max_secrets]);
	/* lint goes on to the seccomp ceiling unless the tier alone already exceeds it */
	if (bad && (!r->lenient || r->tier > in->max_tier))
		return bad;
	/* The seccomp ceiling: everything this profile lets through must be let through by the
	 * ceiling tier, syscall by syscall and argument region by argument region. */
	struct resolver cr = { r->a, r->d, r->st, 0, { { 0 } }, -1, NULL, 0, { NULL }, false, NULL };
	struct mvm_spec *tier;
	if (load_tier(&cr, cap_tier, &tier) ||
	    load_chain(&cr, tier, mvm_arena_printf(r->a, "tier:%s", cap_tier), mvm_arena_printf(r->a, "tier %s", cap_tier)))
		return -EINVAL;
	struct mvm_profile *capp = mvm_arena_alloc(r->a, sizeof(*capp));
	if (!capp || compile_links(&cr, p->arch_mask, capp))
		return -EINVAL;
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *mf = &p->filter[a], *cf = &capp->filter[a];
		if (permissive(mf->default_action) && !permissive(cf->default_action)) {
			bad = LERR(r, sp->default_action.loc,
				   "default action '%s' lets through calls that intent '%s' (ceiling tier '%s') denies",
				   mf->default_action.kind == MVM_ACT_LOG ? "log" : "allow", in->name, cap_tier);
			break;
		}
		for (int nr = 0; nr <= mf->arch->max_nr; nr++) {
			const char *name = mvm_syscall_name(mf->arch, nr);
			if (!name)
				continue;
			const struct mvm_decision *md = find_decision(mf, nr), *cd = find_decision(cf, nr);
			if (within(mf, md, cf, cd))
				continue;
			struct mvm_loc l = md ? md->loc : sp->default_action.loc;
			for (size_t i = 0; md && i < mf->nrule; i++)
				if (mf->rule[i].nr == nr) {
					l = mf->rule[i].loc;
					break;
				}
			bad = LERR(r, l, "'%s' is allowed here beyond the ceiling of intent '%s' (tier '%s' %s it)", name,
				   in->name, cap_tier, cd ? "allows only part of" : "does not allow");
		}
	}
	return bad;
}

static int compile_links(struct resolver *r, unsigned arch_mask, struct mvm_profile *p)
{
	const struct mvm_spec *top = r->link[0].spec;
	struct mvm_spec_action def = { { MVM_ACT_KILL_PROCESS, 0 }, NULL, { top->file, 0, 0 } };
	r->cur = NULL;
	for (size_t l = 0; l < r->nlink; l++) {
		if (r->link[l].spec->has_default) {
			def = r->link[l].spec->default_action;
			r->cur = r->link[l].spec;
			break;
		}
	}
	struct mvm_action defact;
	if (resolve_action(r, &def, &defact))
		return -EINVAL;
	p->arch_mask = arch_mask;
	int bad = 0;
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(arch_mask & (1u << a)))
			continue;
		struct mvm_arch_filter *f = &p->filter[a];
		f->arch = mvm_arch_by_id((enum mvm_arch_id)a);
		f->default_action = defact;
		struct rulevec rv = { 0 };
		int e = resolve_rules(r, f->arch, &rv);
		if (e == -ENOMEM)
			return e;
		f->nrule = rv.n;
		f->rule = rv.v;
		if (e) {
			bad = -EINVAL;
			if (!r->lenient)
				continue;
		}
		if (normalize(r, f))
			bad = -EINVAL;
	}
	return bad;
}

static uint64_t cap_bit(const char *name)
{
	static const char *const caps[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
		"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
		"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
		"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
		"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
		"CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
		"CAP_CHECKPOINT_RESTORE",
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (strcmp(caps[i], name) == 0)
			return (uint64_t)1 << i;
	return 0;
}

static int fill_profile(struct resolver *r, struct mvm_profile *p, unsigned arch_override)
{
	const struct mvm_spec *top = r->link[0].spec;
	p->schema = 1;
	p->name = top->name.name;
	p->extends = top->extends.name;
	p->extends_loc = top->extends.loc;
	p->tier = r->tier >= 0 ? mvm_tier_names[r->tier] : NULL;
	/* Intent, egress, filesystem, process and secrets come from the nearest profile in the
	 * chain that sets them (tiers set none of these). */
	for (size_t l = 0; l < r->nlink && !p->intent; l++) {
		p->intent = r->link[l].spec->intent.name;
		p->intent_loc = r->link[l].spec->intent.loc;
	}
	unsigned mask = arch_override;
	for (size_t l = 0; l < r->nlink && !mask; l++)
		mask = r->link[l].spec->arch_mask;
	if (!mask)
		mask = (1u << MVM_ARCH_X86_64) | (1u << MVM_ARCH_AARCH64);
	p->proc.uid = p->proc.gid = 65534;
	bool uid = false, gid = false, caps = false, sec = false, eg = false, fs = false;
	for (size_t l = 0; l < r->nlink; l++) {
		const struct mvm_spec *s = r->link[l].spec;
		if (!uid && s->has_uid) { p->proc.uid = s->proc.uid; uid = true; }
		if (!gid && s->has_gid) { p->proc.gid = s->proc.gid; gid = true; }
		if (!sec && s->has_secrets) { p->secrets = s->secrets; sec = true; }
		if (!eg && s->egress.present) { p->egress = s->egress; eg = true; }
		if (!fs && (s->fs.nshare || s->fs.rootfs || s->fs.root_writable)) { p->fs = s->fs; fs = true; }
		if (!p->valid_for_s && s->valid_for_s) p->valid_for_s = s->valid_for_s;
		if (!p->ntool && s->ntool) { p->ntool = s->ntool; p->tool = s->tool; }
		if (!p->nlabel && s->nlabel) { p->nlabel = s->nlabel; p->label = s->label; }
		if (!caps && s->ncap) {
			caps = true;
			for (size_t i = 0; i < s->ncap; i++) {
				uint64_t bit = cap_bit(s->cap[i].name);
				if (!bit && !r->lenient)
					return LERR(r, s->cap[i].loc, "unknown capability '%s' (expected CAP_...)", s->cap[i].name);
				if (!bit)
					LERR(r, s->cap[i].loc, "unknown capability '%s' (expected CAP_...)", s->cap[i].name);
				p->proc.caps |= bit;
			}
		}
	}
	if (!p->name)
		p->name = "unnamed";
	int bad = compile_links(r, mask, p);
	if (bad && !r->lenient)
		return bad;
	if (!p->intent)
		return bad;
	if (!r->lenient)
		return check_ceiling(r, p);
	struct mvm_diag *d = r->d;
	if (mvm_stdlib_intent(r->st, p->intent))
		r->d = r->ceiling_d;
	int c = check_ceiling(r, p);
	r->d = d;
	return bad == -ENOMEM || c == -ENOMEM ? -ENOMEM : bad ? bad : c;
}

int mvm_compile_profile(struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st, const char *path,
			unsigned arch_override, struct mvm_profile **out)
{
	struct resolver r = { a, d, st, 0, { { 0 } }, -1, NULL, 0, { NULL }, false, NULL };
	struct mvm_spec *spec;
	char *key;
	int e = load_profile_file(&r, path, NULL, &spec, &key);
	if (e)
		return e;
	if (load_chain(&r, spec, key, "profile"))
		return -EINVAL;
	struct mvm_profile *p = mvm_arena_alloc(a, sizeof(*p));
	if (!p)
		return -ENOMEM;
	e = fill_profile(&r, p, arch_override);
	if (e)
		return e;
	if (d->errors)
		return -EINVAL;
	*out = p;
	return 0;
}

int mvm_compile_tier(struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st, const char *tier,
		     unsigned arch_mask, struct mvm_profile **out)
{
	struct resolver r = { a, d, st, 0, { { 0 } }, -1, NULL, 0, { NULL }, false, NULL };
	struct mvm_spec *spec;
	if (mvm_tier_index(tier) < 0) {
		mvm_diag_error(d, NULL, 0, 0, "unknown tier '%s'", tier);
		return -EINVAL;
	}
	if (load_tier(&r, tier, &spec) ||
	    load_chain(&r, spec, mvm_arena_printf(a, "tier:%s", tier), mvm_arena_printf(a, "tier %s", tier)))
		return -EINVAL;
	r.tier = mvm_tier_index(tier);
	struct mvm_profile *p = mvm_arena_alloc(a, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int e = fill_profile(&r, p, arch_mask);
	if (e)
		return e;
	p->name = tier;
	*out = p;
	return d->errors ? -EINVAL : 0;
}

int mvm_compile_profile_lenient(struct mvm_arena *a, struct mvm_diag *d, struct mvm_diag *ceiling_d,
				const struct mvm_stdlib *st, const char *path, unsigned arch_override,
				struct mvm_profile **out, struct mvm_compile_info *info)
{
	struct resolver r = { a, d, st, 0, { { 0 } }, -1, NULL, 0, { NULL }, true, ceiling_d ? ceiling_d : d };
	struct mvm_spec *spec;
	char *key;
	*out = NULL;
	int e = load_profile_file(&r, path, NULL, &spec, &key);
	if (e)
		return e;
	if (load_chain(&r, spec, key, "profile"))
		return -EINVAL;
	struct mvm_profile *p = mvm_arena_alloc(a, sizeof(*p));
	if (!p)
		return -ENOMEM;
	e = fill_profile(&r, p, arch_override);
	if (e == -ENOMEM)
		return e;
	*out = p;
	if (info) {
		memset(info, 0, sizeof(*info));
		info->nlink = r.nlink;
		for (size_t l = 0; l < r.nlink; l++) {
			info->spec[l] = r.link[l].spec;
			info->origin[l] = r.link[l].origin;
			if (!info->default_origin && r.link[l].spec->has_default) {
				info->default_loc = r.link[l].spec->default_action.loc;
				info->default_origin = r.link[l].origin;
			}
		}
	}
	return e || d->errors || r.ceiling_d->errors ? -EINVAL : 0;
}

bool mvm_conj_disjoint(const struct mvm_conj *x, const struct mvm_conj *y)
{
	return conj_disjoint(x, y);
}

bool mvm_conj_implies(const struct mvm_conj *p, const struct mvm_conj *q)
{
	return conj_implies(p, q);
}

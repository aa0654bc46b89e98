/* Lint checks on the profile's own seccomp rules, as resolved per architecture: dangerous
 * syscalls without a justification (MVM001), clone without a namespace filter (MVM002),
 * 64-bit comparisons where the kernel reads 32 bits (MVM003), conditions on pointers (MVM004)
 * and rules an earlier rule shadows (MVM007). Only rules written in the linted file are
 * judged; a base profile is judged when it is linted itself. */
#include <string.h>

#include "lint_int.h"
#include "spec_print.h"

/* ---- aggregation: one finding per rule (and other party), naming every syscall ---- */

struct agg {
	enum mvm_lint_id id;
	struct mvm_loc loc, other;
	bool flag;               /* rule-specific (MVM007: the actions differ) */
	size_t total, hits;      /* MVM007: the rule's (arch, syscall) entries, and those shadowed */
	bool named_hit;          /* MVM007: a shadowed syscall was named, not brought in by a group */
	size_t n;
	const char *names[512];
	size_t nvia;
	const char *via[16];     /* groups the syscalls came through */
};

struct aggset {
	size_t n, cap;
	struct agg **v;
};

static bool loc_eq(struct mvm_loc a, struct mvm_loc b)
{
	return a.line == b.line && a.col == b.col &&
	       ((!a.file && !b.file) || (a.file && b.file && strcmp(a.file, b.file) == 0));
}

static struct agg *agg_get(struct lint_file *lf, struct aggset *s, enum mvm_lint_id id, struct mvm_loc loc,
			   struct mvm_loc other)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i]->id == id && loc_eq(s->v[i]->loc, loc) && loc_eq(s->v[i]->other, other))
			return s->v[i];
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct agg **nv = mvm_arena_array(lf->a, ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		if (s->n)
			memcpy(nv, s->v, s->n * sizeof(*nv));
		s->v = nv;
		s->cap = ncap;
	}
	struct agg *g = mvm_arena_alloc(lf->a, sizeof(*g));
	if (!g)
		return NULL;
	g->id = id;
	g->loc = loc;
	g->other = other;
	s->v[s->n++] = g;
	return g;
}

static void agg_name(struct agg *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->names[i], name) == 0)
			return;
	if (g->n < sizeof(g->names) / sizeof(g->names[0]))
		g->names[g->n++] = name;
}

/* "tier standard, group @file-info" -> "@file-info"; NULL when the rule named the syscall. */
static const char *group_of(const struct mvm_rule *r)
{
	const char *g = r->origin ? strstr(r->origin, ", group ") : NULL;
	return g ? g + 8 : NULL;
}

static void agg_via(struct agg *g, const struct mvm_rule *r)
{
	const char *grp = group_of(r);
	if (!grp)
		return;
	for (size_t i = 0; i < g->nvia; i++)
		if (strcmp(g->via[i], grp) == 0)
			return;
	if (g->nvia < sizeof(g->via) / sizeof(g->via[0]))
		g->via[g->nvia++] = grp;
}

/* "'a'", "'a' and 'b'", "'a', 'b' and 3 more" */
static void name_list(const struct agg *g, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	size_t shown = g->n > 6 ? 5 : g->n;
	for (size_t i = 0; i < shown && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s'%s'", i == 0 ? "" : i + 1 == shown && g->n == shown ? " and " : ", ",
					 g->names[i]);
	if (g->n > shown && used < len)
		snprintf(buf + used, len - used, " and %zu more", g->n - shown);
}

static void via_list(const struct agg *g, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < g->nvia && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : " (through ", g->via[i]);
	if (g->nvia && used < len)
		snprintf(buf + used, len - used, ")");
}

/* ---- MVM001 ---- */

static bool dangerous(const char *name)
{
	static const char *const exact[] = { "ptrace", "bpf", "mount", "umount2", "unshare", "setns", "keyctl", "add_key",
					     "perf_event_open", "userfaultfd", "init_module", "finit_module",
					     "open_by_handle_at", "process_vm_writev" };
	static const char *const prefix[] = { "io_uring_", "kexec_" };
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
			return true;
	return false;
}

static const char *why_hint(const struct lint_file *lf)
{
	return mvm_syntax_of(lf->path) == MVM_SYNTAX_DSL ? "`because \"...\"`" : "`why: \"...\"`";
}

/* ---- MVM002 ---- */

/* The namespace flags clone can be asked for (CLONE_NEWTIME shares its bit with the exit
 * signal on clone, so it cannot be tested there). */
static uint64_t namespace_mask(const struct lint_file *lf, enum mvm_arch_id arch)
{
	static const char *const names[] = { "CLONE_NEWNS", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER",
					     "CLONE_NEWPID", "CLONE_NEWNET", "CLONE_NEWCGROUP" };
	uint64_t m = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct mvm_constant *c = mvm_stdlib_constant(lf->st, names[i]);
		if (c)
			m |= c->value[arch];
	}
	return m;
}

static int arg_index(const struct lint_file *lf, const char *syscall, enum mvm_arch_id arch, const char *name)
{
	const struct mvm_argdef *ad = mvm_stdlib_args(lf->st, syscall, arch);
	for (size_t k = 0; ad && k < ad->nargs; k++)
		if (strcmp(ad->name[k], name) == 0)
			return (int)k;
	if (strncmp(name, "arg", 3) == 0 && name[3] >= '0' && name[3] <= '5' && name[4] == 0)
		return name[3] - '0';
	return -1;
}

/* The namespace bits a conjunction does not keep at 0 in clone's flags. */
static uint64_t namespaces_left_open(const struct mvm_conj *cj, int flags_arg, uint64_t ns)
{
	for (size_t i = 0; i < cj->ncond; i++) {
		const struct mvm_cond *c = &cj->cond[i];
		if (c->arg != flags_arg)
			continue;
		if (c->op == MVM_OP_EQ)
			return c->value & ns;
		if (c->op == MVM_OP_MASKED_EQ)
			return (ns & ~c->mask) | (c->value & ns);
	}
	return ns;
}

static void check_clone(struct lint_file *lf, const struct mvm_arch_filter *f, const struct mvm_rule *r)
{
	if (strcmp(r->syscall, "clone3") == 0) {
		lint_add(lf, MVM_LINT_CLONE_NAMESPACES, r->loc,
			 "'clone3' is allowed: its flags are in memory, where seccomp cannot check them; answer it with "
			 "`enosys` so that libc falls back to clone, whose flags can be filtered");
		return;
	}
	if (strcmp(r->syscall, "clone") != 0)
		return;
	uint64_t ns = namespace_mask(lf, f->arch->id);
	int flags = arg_index(lf, "clone", f->arch->id, "flags");
	uint64_t open = 0;
	if (r->nalt == 0)
		open = ns;
	for (size_t k = 0; k < r->nalt; k++)
		open |= namespaces_left_open(&r->alt[k], flags < 0 ? 0 : flags, ns);
	if (!open)
		return;
	lint_add(lf, MVM_LINT_CLONE_NAMESPACES, r->loc,
		 "'clone' is allowed %s: a workload can create namespaces (flags 0x%llx are not kept at 0); add "
		 "{arg: flags, mask: CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|"
		 "CLONE_NEWCGROUP, eq: 0}",
		 r->nalt ? "with a filter that lets namespace flags through" : "without a filter on its flags",
		 (unsigned long long)open);
}

/* ---- MVM003, MVM004 ---- */

/* Where the condition on argument idx of this rule was written (the rule when not found). */
static struct mvm_loc cond_loc(const struct lint_file *lf, const struct mvm_rule *r, enum mvm_arch_id arch, int idx,
			       const char **argname)
{
	*argname = NULL;
	const struct mvm_spec *sp = lf->info.spec[0];
	for (size_t i = 0; i < sp->nrule; i++) {
		const struct mvm_spec_rule *sr = &sp->rule[i];
		if (!loc_eq(sr->loc, r->loc))
			continue;
		for (size_t k = 0; k < sr->ncond; k++) {
			if (arg_index(lf, r->syscall, arch, sr->cond[k].arg.name) == idx) {
				*argname = sr->cond[k].arg.name;
				return sr->cond[k].loc.line ? sr->cond[k].loc : sr->cond[k].arg.loc;
			}
		}
	}
	return r->loc;
}

static void check_conditions(struct lint_file *lf, const struct mvm_profile *p, const struct mvm_arch_filter *f,
			     const struct mvm_rule *r)
{
	enum mvm_arch_id arch = f->arch->id;
	const struct mvm_argdef *ad = mvm_stdlib_args(lf->st, r->syscall, arch);
	bool seen[MVM_MAX_ARGS] = { false };
	for (size_t k = 0; k < r->nalt; k++) {
		for (size_t i = 0; i < r->alt[k].ncond; i++) {
			const struct mvm_cond *c = &r->alt[k].cond[i];
			if (seen[c->arg])
				continue;
			seen[c->arg] = true;
			const char *an;
			struct mvm_loc at = cond_loc(lf, r, arch, c->arg, &an);
			char dflt[8];
			snprintf(dflt, sizeof(dflt), "arg%u", c->arg);
			if (!an)
				an = dflt;
			if (ad && (size_t)c->arg < ad->nargs && ad->width[c->arg] == MVM_ARG_PTR) {
				bool null_test = (c->op == MVM_OP_EQ || c->op == MVM_OP_NE) && c->value == 0;
				if (!null_test)
					lint_add(lf, MVM_LINT_POINTER_ARG, at,
						 "'%s' of '%s' is a pointer: seccomp compares its address, never the memory it "
						 "points to (only a NULL test means something)", an, r->syscall);
				continue;
			}
			if (c->width != 64)
				continue;
			if (!ad) {
				lint_add(lf, MVM_LINT_ARG_WIDTH, at,
					 "'%s' of '%s' has no width in stdlib/syscall-args.yaml, so all 64 bits are compared; "
					 "if the kernel reads an int there, garbage in the upper half changes the decision "
					 "(list the syscall's arguments with their widths)", an, r->syscall);
				continue;
			}
			/* The same argument read as 32 bits on another arch of the profile. */
			for (int b = 0; b < MVM_ARCH_COUNT; b++) {
				if (b == (int)arch || !(p->arch_mask & (1u << b)))
					continue;
				const struct mvm_argdef *bd = mvm_stdlib_args(lf->st, r->syscall, (enum mvm_arch_id)b);
				if (bd && (size_t)c->arg < bd->nargs && bd->width[c->arg] == MVM_ARG_W32)
					lint_add(lf, MVM_LINT_ARG_WIDTH, at,
						 "'%s' of '%s' is compared on 64 bits on %s but is a 32-bit argument on %s",
						 an, r->syscall, f->arch->name, mvm_arch_by_id((enum mvm_arch_id)b)->name);
			}
		}
	}
}

/* ---- MVM007 ---- */

/* The earlier rule that matches every call r's alternative k matches, or NULL. */
static const struct mvm_rule *covered_by(const struct mvm_arch_filter *f, size_t j, const struct mvm_conj *alt)
{
	const struct mvm_rule *r = &f->rule[j];
	for (size_t i = 0; i < j; i++) {
		const struct mvm_rule *e = &f->rule[i];
		if (e->nr != r->nr || loc_eq(e->loc, r->loc))
			continue;
		if (e->nalt == 0)
			return e;
		if (!alt)
			continue;
		for (size_t k = 0; k < e->nalt; k++)
			if (mvm_conj_implies(alt, &e->alt[k]))
				return e;
	}
	return NULL;
}

/* Aggregated per rule: reported when a syscall the rule names is shadowed, or when the whole
 * rule is; a group member that an earlier rule decides is the usual "exception first" idiom. */
static void check_shadowed(struct lint_file *lf, struct aggset *s, const struct mvm_arch_filter *f, size_t j)
{
	const struct mvm_rule *r = &f->rule[j];
	struct agg *g = agg_get(lf, s, MVM_LINT_SHADOWED, r->loc, (struct mvm_loc){ 0 });
	if (!g)
		return;
	g->total++;
	const struct mvm_rule *by = NULL;
	bool differ = false;
	if (r->nalt == 0) {
		by = covered_by(f, j, NULL);
		differ = by && !mvm_action_eq(by->action, r->action);
	} else {
		for (size_t k = 0; k < r->nalt; k++) {
			const struct mvm_rule *b = covered_by(f, j, &r->alt[k]);
			if (!b)
				return;
			if (!by)
				by = b;
			differ |= !mvm_action_eq(b->action, r->action);
		}
	}
	if (!by)
		return;
	if (!g->other.file)
		g->other = by->loc;
	g->hits++;
	g->named_hit |= !group_of(r);
	agg_name(g, r->syscall);
	g->flag |= differ;
}

static void emit_aggregates(struct lint_file *lf, const struct aggset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct agg *g = s->v[i];
		char names[512], via[256];
		name_list(g, names, sizeof(names));
		via_list(g, via, sizeof(via));
		if (g->id == MVM_LINT_DANGEROUS) {
			lint_add(lf, g->id, g->loc, "%s %s allowed without a justification%s; say why the workload needs %s "
				 "with %s", names, g->n > 1 ? "are" : "is", via, g->n > 1 ? "them" : "it", why_hint(lf));
		} else if (g->id == MVM_LINT_SHADOWED && g->hits && (g->named_hit || g->hits == g->total)) {
			lint_add_full(lf, g->id, mvm_lint_rules[g->id].severity, g->loc, g->other,
				      "this rule never decides %s: the rule at %s:%d:%d matches every such call first%s", names,
				      g->other.file, g->other.line, g->other.col,
				      g->flag ? " (with another action, so this rule's action is never applied)" : "");
		}
	}
}

void lint_check_rules(struct lint_file *lf)
{
	const struct mvm_profile *p = lf->p;
	struct aggset s = { 0 };
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *f = &p->filter[a];
		for (size_t j = 0; j < f->nrule; j++) {
			const struct mvm_rule *r = &f->rule[j];
			if (!lint_own(lf, r->loc))
				continue;
			if (lint_permissive(r->action)) {
				if (dangerous(r->syscall) && !r->why) {
					struct agg *g = agg_get(lf, &s, MVM_LINT_DANGEROUS, r->loc, (struct mvm_loc){ 0 });
					if (g) {
						agg_name(g, r->syscall);
						agg_via(g, r);
					}
				}
				check_clone(lf, f, r);
			}
			check_conditions(lf, p, f, r);
			check_shadowed(lf, &s, f, j);
		}
	}
	emit_aggregates(lf, &s);
}

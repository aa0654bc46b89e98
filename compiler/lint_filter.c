/* Lint checks on each architecture's filter as a whole: a deny-list reachable through another
 * ABI (MVM005), a probed syscall answered with an error other than ENOSYS (MVM006), a default
 * action no syscall reaches (MVM009), and a filter over the kernel's instruction limit
 * (MVM012). The BPF checks run mvmc's own generator and lib/'s interpreter. */
#include <errno.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_gen.h"
#include "lint_int.h"

#define X32_SYSCALL_BIT 0x40000000u

static bool conj_holds(const struct mvm_conj *cj, const uint64_t args[6])
{
	for (size_t i = 0; i < cj->ncond; i++)
		if (!mvm_cond_holds(&cj->cond[i], args[cj->cond[i].arg]))
			return false;
	return true;
}

/* The first rule that decides nr(args), or NULL for the default (the reference semantics). */
static const struct mvm_rule *deciding_rule(const struct mvm_arch_filter *f, int nr, const uint64_t args[6])
{
	for (size_t i = 0; i < f->nrule; i++) {
		const struct mvm_rule *r = &f->rule[i];
		if (r->nr != nr)
			continue;
		if (r->nalt == 0)
			return r;
		for (size_t k = 0; k < r->nalt; k++)
			if (conj_holds(&r->alt[k], args))
				return r;
	}
	return NULL;
}

static bool default_is_own(const struct lint_file *lf)
{
	return lf->info.default_origin && strcmp(lf->info.default_origin, "profile") == 0 &&
	       lint_own(lf, lf->info.default_loc);
}

/* Does some call of nr get through? */
static bool sometimes_permissive(const struct mvm_arch_filter *f, int nr)
{
	for (size_t i = 0; i < f->ndecision; i++) {
		const struct mvm_decision *d = &f->decision[i];
		if (d->nr != nr)
			continue;
		if (d->nentry == 0)
			return lint_permissive(d->action);
		for (size_t k = 0; k < d->nentry; k++)
			if (lint_permissive(d->entry[k].action))
				return true;
		return lint_permissive(f->default_action);
	}
	return lint_permissive(f->default_action);
}

/* ---- MVM006 ---- */

/* Calls libc (or the programs it serves) probes, falling back to the older call only on
 * ENOSYS: clone3 (glibc 2.34, musl), faccessat2 (glibc 2.33), fchmodat2 (glibc 2.39), statx
 * (coreutils, glibc on 32-bit ABIs), close_range (glibc closefrom), preadv2/pwritev2 with no
 * flags (glibc), epoll_pwait2 (libuv, glib). */
static const struct {
	const char *probed, *fallback;
} probes[] = {
	{ "clone3", "clone" },       { "faccessat2", "faccessat" }, { "fchmodat2", "fchmodat" },
	{ "statx", "newfstatat" },   { "close_range", "close" },    { "preadv2", "preadv" },
	{ "pwritev2", "pwritev" },   { "epoll_pwait2", "epoll_pwait" },
};

struct probe_hit {
	struct mvm_loc loc;
	bool by_default;
	char act[32];
	char names[512];
};

static void check_probes(struct lint_file *lf, const struct mvm_arch_filter *f, struct probe_hit *hits, size_t *nhit,
			 size_t maxhit)
{
	if (lint_permissive(f->default_action))
		return;
	static const uint64_t zero[6] = { 0 };
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int np = mvm_syscall_nr(f->arch, probes[i].probed), nf = mvm_syscall_nr(f->arch, probes[i].fallback);
		if (np < 0 || nf < 0)
			continue;
		struct mvm_action act = mvm_eval_decisions(f, np, zero);
		if (lint_permissive(act) || (act.kind == MVM_ACT_ERRNO && act.errno_val == ENOSYS) ||
		    !sometimes_permissive(f, nf))
			continue;
		const struct mvm_rule *r = deciding_rule(f, np, zero);
		struct mvm_loc at;
		if (r && lint_own(lf, r->loc))
			at = r->loc;
		else if (!r && default_is_own(lf))
			at = lf->info.default_loc;
		else
			continue;
		struct probe_hit *h = NULL;
		for (size_t k = 0; k < *nhit && !h; k++)
			if (hits[k].loc.line == at.line && hits[k].loc.col == at.col)
				h = &hits[k];
		if (!h) {
			if (*nhit == maxhit)
				continue;
			h = &hits[(*nhit)++];
			memset(h, 0, sizeof(*h));
			h->loc = at;
			h->by_default = !r;
			char b[32];
			snprintf(h->act, sizeof(h->act), "%s", mvm_action_name(act, b, sizeof(b)));
		}
		char item[96];
		snprintf(item, sizeof(item), "'%s' (falls back to '%s')", probes[i].probed, probes[i].fallback);
		if (!strstr(h->names, item)) {
			size_t used = strlen(h->names);
			snprintf(h->names + used, sizeof(h->names) - used, "%s%s", used ? ", " : "", item);
		}
	}
}

/* ---- MVM005 ---- */

struct abi_hole {
	struct mvm_loc loc;
	const char *arch, *other;
	char names[400];
};

/* A call this arch's own rule refuses, which another arch of the profile lets through by its
 * permissive default. */
static void check_arch_holes(struct lint_file *lf, const struct mvm_arch_filter *f, struct abi_hole *holes, size_t *n,
			     size_t max)
{
	const struct mvm_profile *p = lf->p;
	for (int b = 0; b < MVM_ARCH_COUNT; b++) {
		const struct mvm_arch_filter *g = &p->filter[b];
		if (g == f || !(p->arch_mask & (1u << b)) || !lint_permissive(g->default_action))
			continue;
		for (size_t i = 0; i < f->nrule; i++) {
			const struct mvm_rule *r = &f->rule[i];
			if (!lint_own(lf, r->loc) || lint_permissive(r->action))
				continue;
			int nb = mvm_syscall_nr(g->arch, r->syscall);
			if (nb < 0)
				continue;
			bool hole = false;
			for (size_t k = 0; k < (r->nalt ? r->nalt : 1) && !hole; k++) {
				uint64_t args[6] = { 0 };
				if (r->nalt)
					mvm_conj_witness(&r->alt[k], args);
				hole = !lint_permissive(mvm_eval_decisions(f, r->nr, args)) &&
				       lint_permissive(mvm_eval_decisions(g, nb, args));
			}
			if (!hole)
				continue;
			struct abi_hole *h = NULL;
			for (size_t k = 0; k < *n && !h; k++)
				if (holes[k].loc.line == r->loc.line && holes[k].loc.col == r->loc.col && holes[k].other == g->arch->name)
					h = &holes[k];
			if (!h) {
				if (*n == max)
					continue;
				h = &holes[(*n)++];
				memset(h, 0, sizeof(*h));
				h->loc = r->loc;
				h->arch = f->arch->name;
				h->other = g->arch->name;
			}
			char item[80];
			snprintf(item, sizeof(item), "'%s'", r->syscall);
			if (!strstr(h->names, item)) {
				size_t used = strlen(h->names);
				snprintf(h->names + used, sizeof(h->names) - used, "%s%s", used ? ", " : "", item);
			}
		}
	}
}

/* The compat entries a deny-list must not let through: the filter's own x32 numbers and
 * 32-bit compat arch tokens. mvmc's generator kills them; this proves it for this profile. */
static void check_compat(struct lint_file *lf, const struct mvm_arch_filter *f, const struct sock_filter *prog,
			 size_t len, struct mvm_loc at)
{
	bool x86 = f->arch->id == MVM_ARCH_X86_64;
	uint32_t compat = x86 ? AUDIT_ARCH_I386 : AUDIT_ARCH_ARM;
	for (int nr = 0; nr <= f->arch->max_nr; nr++) {
		static const uint64_t zero[6] = { 0 };
		if (!mvm_syscall_name(f->arch, nr) || lint_permissive(mvm_eval_decisions(f, nr, zero)))
			continue;
		struct seccomp_data sd[2] = { { .nr = nr, .arch = compat }, { .nr = (int)(X32_SYSCALL_BIT | (uint32_t)nr), .arch = f->arch->audit_arch } };
		for (size_t k = 0; k < (x86 ? 2u : 1u); k++) {
			uint32_t ret;
			if (mvm_bpf_run(prog, len, &sd[k], &ret, NULL))
				continue;
			uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
			if (action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG)
				continue;
			lint_add(lf, MVM_LINT_DENYLIST_ABI, at,
				 "the %s filter refuses '%s' but lets the %s call 0x%x through: a deny-list must kill "
				 "calls of other ABIs", f->arch->name, mvm_syscall_name(f->arch, nr),
				 k ? "x32" : x86 ? "i386" : "arm", (unsigned)sd[k].nr);
			return;
		}
	}
}

/* ---- MVM009 ---- */

static bool default_reachable(const struct mvm_arch_filter *f)
{
	size_t nnr = (size_t)f->arch->max_nr + 1;
	bool *decided = calloc(nnr, sizeof(*decided));
	if (!decided)
		return true;
	for (size_t i = 0; i < f->nrule; i++)
		if (f->rule[i].nalt == 0)
			decided[f->rule[i].nr] = true;
	bool reach = false;
	for (size_t nr = 0; nr < nnr && !reach; nr++)
		reach = mvm_syscall_name(f->arch, (int)nr) && !decided[nr];
	free(decided);
	return reach;
}

/* ---- the filter checks ---- */

static struct mvm_loc seccomp_loc(const struct lint_file *lf)
{
	if (default_is_own(lf))
		return lf->info.default_loc;
	const struct mvm_spec *sp = lf->info.spec[0];
	if (sp->at[MVM_AT_SECCOMP].line > 0)
		return sp->at[MVM_AT_SECCOMP];
	return lint_file_loc(lf);
}

void lint_check_filters(struct lint_file *lf)
{
	const struct mvm_profile *p = lf->p;
	struct probe_hit hits[16];
	size_t nhit = 0;
	struct abi_hole holes[64];
	size_t nhole = 0;
	bool any_reach = false;
	struct sock_filter *prog = malloc(MVM_BPF_MAXINSNS * sizeof(*prog));
	if (!prog)
		return;
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *f = &p->filter[a];
		any_reach |= default_reachable(f);
		if (!lf->complete)
			continue;
		check_probes(lf, f, hits, &nhit, sizeof(hits) / sizeof(hits[0]));
		size_t len = 0;
		struct capture gen;
		int e = -ENOMEM;
		if (lint_capture_open(&gen) == 0) {
			e = mvm_bpf_generate(&gen.d, f, NULL, prog, &len);
			size_t before = lf->res->n;
			/* the generator names the largest argument block; keep its words when it said any */
			if (e == -E2BIG)
				lint_take_diags(lf, lint_capture_text(&gen), MVM_LINT_INSN_LIMIT, (struct mvm_loc){ 0 });
			if (e == -E2BIG && lf->res->n == before)
				lint_add(lf, MVM_LINT_INSN_LIMIT, seccomp_loc(lf),
					 "the %s filter needs more than the kernel's %d instructions (BPF_MAXINSNS); the "
					 "kernel would refuse to load it", f->arch->name, MVM_BPF_MAXINSNS);
			lint_capture_close(&gen);
		}
		check_arch_holes(lf, f, holes, &nhole, sizeof(holes) / sizeof(holes[0]));
		if (!lint_permissive(f->default_action))
			continue;
		if (e == 0)
			check_compat(lf, f, prog, len, seccomp_loc(lf));
	}
	free(prog);
	for (size_t i = 0; i < nhit; i++)
		lint_add(lf, MVM_LINT_EPERM_PROBE, hits[i].loc,
			 "%s %s %s%s while the older call is allowed: libc falls back only on ENOSYS; answer it with "
			 "`enosys`", hits[i].names, strchr(hits[i].names, ',') ? "get" : "gets", hits[i].act,
			 hits[i].by_default ? " from the default action" : "");
	for (size_t i = 0; i < nhole; i++)
		lint_add(lf, MVM_LINT_DENYLIST_ABI, holes[i].loc,
			 "%s refused on %s only: %s's default action lets %s through (a deny-list must refuse a call on "
			 "every architecture; drop the rule's arch restriction)", holes[i].names, holes[i].arch,
			 holes[i].other, strchr(holes[i].names, ',') ? "them" : "it");
	if (!any_reach && default_is_own(lf)) {
		char b[32];
		lint_add(lf, MVM_LINT_DEFAULT_UNREACHABLE, lf->info.default_loc,
			 "no syscall of the table reaches the default action '%s': a rule decides every one of them, so "
			 "the default only answers syscall numbers mvmc does not know",
			 mvm_action_name(p->filter[__builtin_ctz(p->arch_mask)].default_action, b, sizeof(b)));
	}
}

/* mvmc explain: why each syscall gets its action. Walks the ordered rules of each architecture
 * (first match wins) and names, for every rule that can decide a call, where it was written
 * (FILE:LINE:COL), whether it came from the profile, a base profile or a tier, the group that
 * brought the syscall in (and the file that defined the group when it was included), and its
 * justification; then the default action and where that was written. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "resolve.h"

static const char usage_explain[] =
	"usage: mvmc explain PROFILE [--syscall NAME] [--arch A] [-I DIR]...\n"
	"\n"
	"Print, for each syscall (or NAME), the action it gets and why: the rules that decide it in\n"
	"first-match order, each with FILE:LINE:COL, the profile, tier or group it came from and its\n"
	"justification, and the default action with where it was written.\n"
	"\n"
	"options:\n"
	"      --syscall NAME  only this syscall\n"
	"      --arch A        only this architecture (x86_64 or aarch64; default: the profile's)\n"
	"  -I DIR              search DIR for stdlib files before MVMC_PATH and the built-in stdlib\n"
	"  -h, --help          show this help\n"
	"\n"
	"exit codes: 0 ok, 1 the profile does not compile, 2 usage (or NAME is no syscall of A), 3 I/O\n";

static const char *arg_name(const struct mvm_stdlib *st, const char *syscall, enum mvm_arch_id arch, int idx,
			    char *buf, size_t len)
{
	const struct mvm_argdef *ad = mvm_stdlib_args(st, syscall, arch);
	if (ad && (size_t)idx < ad->nargs)
		return ad->name[idx];
	snprintf(buf, len, "arg%d", idx);
	return buf;
}

static void print_value(FILE *out, uint64_t v)
{
	if (v < 10)
		fprintf(out, "%llu", (unsigned long long)v);
	else
		fprintf(out, "0x%llx", (unsigned long long)v);
}

static void print_conj(FILE *out, const struct mvm_stdlib *st, const char *syscall, enum mvm_arch_id arch,
		       const struct mvm_conj *cj)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=", "==" };
	for (size_t i = 0; i < cj->ncond; i++) {
		const struct mvm_cond *c = &cj->cond[i];
		char b[8];
		fprintf(out, "%s%s", i ? " and " : "", arg_name(st, syscall, arch, c->arg, b, sizeof(b)));
		if (c->op == MVM_OP_MASKED_EQ) {
			fputs(" & ", out);
			print_value(out, c->mask);
		}
		fprintf(out, " %s ", ops[c->op]);
		print_value(out, c->value);
	}
}

/* " (included from lib/net.mvm:3:7)" when the group that brought the syscall in was defined in a file
 * other than the one that used it (an include). */
static void print_group_source(FILE *out, const struct mvm_compile_info *info, const struct mvm_rule *r)
{
	const char *g = r->origin ? strstr(r->origin, ", group @") : NULL;
	if (!g)
		return;
	g += 9;
	for (size_t l = 0; l < info->nlink; l++) {
		const struct mvm_spec *sp = info->spec[l];
		for (size_t i = 0; i < sp->ngroup; i++) {
			const struct mvm_loc *d = &sp->group[i].name.loc;
			if (strcmp(sp->group[i].name.name, g) != 0 || !d->file)
				continue;
			if (strcmp(d->file, sp->file) != 0)
				fprintf(out, " (included from %s:%d:%d)", d->file, d->line, d->col);
			return;
		}
	}
}

static void print_origin(FILE *out, const struct mvm_compile_info *info, const struct mvm_rule *r)
{
	fprintf(out, "  <- %s:%d:%d (%s", r->loc.file ? r->loc.file : "?", r->loc.line, r->loc.col,
		r->origin ? r->origin : "?");
	print_group_source(out, info, r);
	fputs(")\n", out);
	if (r->why)
		fprintf(out, "      why: %s\n", r->why);
}

/* Does an earlier rule match every call this one matches? (Then it never decides.) */
static bool shadowed(const struct mvm_rule *const *rules, size_t j)
{
	const struct mvm_rule *r = rules[j];
	for (size_t k = 0; k < (r->nalt ? r->nalt : 1); k++) {
		bool covered = false;
		for (size_t i = 0; i < j && !covered; i++) {
			if (rules[i]->nalt == 0) {
				covered = true;
				continue;
			}
			for (size_t m = 0; r->nalt && m < rules[i]->nalt && !covered; m++)
				covered = mvm_conj_implies(&r->alt[k], &rules[i]->alt[m]);
		}
		if (!covered)
			return false;
	}
	return true;
}

static int explain_syscall(FILE *out, const struct mvm_stdlib *st, const struct mvm_compile_info *info,
			   const struct mvm_arch_filter *f, const char *name, int nr)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nrule; i++)
		n += f->rule[i].nr == nr;
	const struct mvm_rule **rules = calloc(n ? n : 1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < f->nrule; i++)
		if (f->rule[i].nr == nr)
			rules[n++] = &f->rule[i];
	char b[32];
	bool decided = false;
	fprintf(out, "%s %s:", f->arch->name, name);
	if (n == 0)
		fprintf(out, " %s (default)\n", mvm_action_name(f->default_action, b, sizeof(b)));
	else
		fputc('\n', out);
	for (size_t j = 0; j < n; j++) {
		const struct mvm_rule *r = rules[j];
		bool never = decided || shadowed(rules, j);
		const char *prefix = never ? "(never decides: an earlier rule matches first) " : "";
		if (r->nalt == 0) {
			fprintf(out, "    %s%s%s", prefix, j && !never ? "otherwise " : "", mvm_action_name(r->action, b, sizeof(b)));
			print_origin(out, info, r);
			decided = true;
			continue;
		}
		fprintf(out, "    %s%s if ", prefix, mvm_action_name(r->action, b, sizeof(b)));
		size_t shown = r->nalt > 8 ? 8 : r->nalt;
		for (size_t k = 0; k < shown; k++) {
			if (k)
				fputs(" or ", out);
			print_conj(out, st, name, f->arch->id, &r->alt[k]);
		}
		if (shown < r->nalt)
			fprintf(out, " or ... (%zu alternatives)", r->nalt);
		print_origin(out, info, r);
	}
	if (n && !decided)
		fprintf(out, "    otherwise %s (default)\n", mvm_action_name(f->default_action, b, sizeof(b)));
	free(rules);
	return 0;
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(((const struct mvm_syscall *)x)->name, ((const struct mvm_syscall *)y)->name);
}

static int explain(const char *path, const char *syscall, unsigned arch_mask, const struct mvmc_search_path *sp)
{
	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_stdlib *st;
	struct mvm_profile *p = NULL;
	struct mvm_compile_info info;
	int code = MVMC_EXIT_OK;
	mvm_arena_init(&arena, 256u << 20);
	mvm_diag_init(&diag, "mvmc", stderr);
	if (mvm_stdlib_load(&arena, &diag, sp->dir, sp->n, &st)) {
		code = MVMC_EXIT_PROFILE;
		goto out;
	}
	int e = mvm_compile_profile_lenient(&arena, &diag, NULL, st, path, 0, &p, &info);
	if (e) {
		code = e == -EINVAL || e == -EFBIG || e == -EISDIR ? MVMC_EXIT_PROFILE : MVMC_EXIT_IO;
		goto out;
	}
	unsigned mask = p->arch_mask & (arch_mask ? arch_mask : ~0u);
	if (!mask) {
		fprintf(stderr, "mvmc explain: the profile has no filter for that architecture\n");
		code = MVMC_EXIT_USAGE;
		goto out;
	}
	bool found = !syscall;
	for (int a = 0; a < MVM_ARCH_COUNT && !found; a++)
		found = (mask & (1u << a)) && mvm_syscall_nr(mvm_arch_by_id((enum mvm_arch_id)a), syscall) >= 0;
	if (!found) {
		fprintf(stderr, "mvmc explain: '%s' is not a syscall of %s\n", syscall,
			mask == 1u << MVM_ARCH_X86_64 ? "x86_64" : mask == 1u << MVM_ARCH_AARCH64 ? "aarch64" : "the profile's architectures");
		code = MVMC_EXIT_USAGE;
		goto out;
	}
	printf("profile %s (%s)\n", p->name, path);
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *f = &p->filter[a];
		char b[32];
		printf("%s default: %s", f->arch->name, mvm_action_name(f->default_action, b, sizeof(b)));
		if (info.default_origin)
			printf("  <- %s:%d:%d (%s)\n", info.default_loc.file, info.default_loc.line, info.default_loc.col,
			       info.default_origin);
		else
			printf("  (no profile in the chain sets one)\n");
		if (syscall) {
			int nr = mvm_syscall_nr(f->arch, syscall);
			if (nr < 0) {
				printf("%s %s: no such syscall on %s\n", f->arch->name, syscall, f->arch->name);
				continue;
			}
			if (explain_syscall(stdout, st, &info, f, syscall, nr)) {
				code = MVMC_EXIT_IO;
				goto out;
			}
			continue;
		}
		struct mvm_syscall *sorted = malloc(f->arch->nsyscalls * sizeof(*sorted));
		if (!sorted) {
			code = MVMC_EXIT_IO;
			goto out;
		}
		memcpy(sorted, f->arch->syscalls, f->arch->nsyscalls * sizeof(*sorted));
		qsort(sorted, f->arch->nsyscalls, sizeof(*sorted), cmp_name);
		for (size_t i = 0; i < f->arch->nsyscalls && code == MVMC_EXIT_OK; i++)
			if (explain_syscall(stdout, st, &info, f, sorted[i].name, sorted[i].nr))
				code = MVMC_EXIT_IO;
		free(sorted);
	}
out:
	if (fflush(stdout))
		code = MVMC_EXIT_IO;
	mvm_arena_free(&arena);
	return code;
}

int mvmc_cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "syscall", required_argument, NULL, 's' },
		{ "arch", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvmc_search_path sp = { 0 };
	const char *syscall = NULL;
	unsigned arch = 0;
	int c, code = MVMC_EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "I:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': syscall = optarg; break;
		case 'a': {
			const struct mvm_arch *a = mvm_arch_by_name(optarg);
			if (!a) {
				fprintf(stderr, "mvmc explain: --arch: unknown architecture '%s' (supported: x86_64, aarch64)\n", optarg);
				goto out;
			}
			arch = 1u << a->id;
			break;
		}
		case 'I':
			if (mvmc_search_add(&sp, optarg))
				goto out;
			break;
		case 'h': fputs(usage_explain, stdout); code = MVMC_EXIT_OK; goto out;
		default: fputs(usage_explain, stderr); goto out;
		}
	}
	if (optind != argc - 1) {
		fputs("mvmc explain: expected exactly one PROFILE\n", stderr);
		fputs(usage_explain, stderr);
		goto out;
	}
	if (mvmc_search_add_env(&sp))
		goto out;
	code = explain(argv[optind], syscall, arch, &sp);
out:
	mvmc_search_free(&sp);
	return code;
}

/* mvmc diff: what changed in meaning between two profiles (compiler/diff*.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "diff.h"
#include "resolve.h"

enum { DIFF_NONE = 0, DIFF_CHANGED = 1, DIFF_ERROR = 2, DIFF_WIDENED = MVMC_EXIT_WIDENED };

static const char usage_diff[] =
	"usage: mvmc diff OLD NEW [--format text|json] [--fail-on widen] [-I DIR]...\n"
	"\n"
	"Compare two profiles (YAML or DSL, in any mix) by meaning: both are compiled, and their\n"
	"resolved forms are compared per architecture and syscall over every argument region either\n"
	"profile distinguishes, then egress destinations, the resolver, intent, tier, secrets,\n"
	"filesystem, process and admission fields. Each change is marked widen (NEW lets through\n"
	"something OLD refused), narrow, or change.\n"
	"\n"
	"options:\n"
	"      --format F        text (default) or json\n"
	"      --fail-on widen   exit 3 when NEW allows anything OLD did not\n"
	"  -I DIR                search DIR for stdlib files before MVMC_PATH and the built-in stdlib\n"
	"  -h, --help            show this help\n"
	"\n"
	"exit codes: 0 no change in meaning, 1 changes, 2 error (usage, a profile that does not\n"
	"            compile, I/O), 3 with --fail-on widen: NEW widens OLD\n";

static int compile(struct mvm_arena *a, const struct mvm_stdlib *st, const char *path, struct mvm_profile **p)
{
	struct mvm_diag d;
	mvm_diag_init(&d, "mvmc", stderr);
	int e = mvm_compile_profile(a, &d, st, path, 0, p);
	if (d.errors > MVM_DIAG_MAX_ERRORS)
		fprintf(stderr, "mvmc: %u errors in total; only the first %d were shown\n", d.errors, MVM_DIAG_MAX_ERRORS);
	return e;
}

static int run(const char *oldp, const char *newp, bool json, bool fail_widen, const struct mvmc_search_path *sp)
{
	struct mvm_arena arena;
	struct mvm_diag d;
	struct mvm_stdlib *st;
	struct mvm_profile *po, *pn;
	struct mvm_diff diff;
	struct mvm_buf out = { 0 };
	int code = DIFF_ERROR;
	mvm_arena_init(&arena, 512u << 20);
	mvm_diag_init(&d, "mvmc", stderr);
	if (mvm_stdlib_load(&arena, &d, sp->dir, sp->n, &st) || compile(&arena, st, oldp, &po) || compile(&arena, st, newp, &pn))
		goto out;
	if (mvm_diff_profiles(&arena, st, po, pn, &diff)) {
		fputs("mvmc diff: out of memory\n", stderr);
		goto out;
	}
	if (json ? mvm_diff_write_json(&diff, oldp, newp, &out) : (mvm_diff_write_text(&diff, &out), out.oom ? -ENOMEM : 0))
		goto out;
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))
		goto out;
	if (fail_widen && (diff.effect & MVM_DIFF_WIDEN))
		code = DIFF_WIDENED;
	else
		code = diff.n ? DIFF_CHANGED : DIFF_NONE;
out:
	mvm_buf_free(&out);
	mvm_arena_free(&arena);
	return code;
}

int mvmc_cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvmc_search_path sp = { 0 };
	bool json = false, fail_widen = false;
	int c, code = DIFF_ERROR;
	optind = 1;
	while ((c = getopt_long(argc, argv, "I:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "mvmc diff: --format '%s' (expected text or json)\n", optarg);
				goto out;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'F':
			if (strcmp(optarg, "widen")) {
				fprintf(stderr, "mvmc diff: --fail-on '%s' (expected widen)\n", optarg);
				goto out;
			}
			fail_widen = true;
			break;
		case 'I':
			if (mvmc_search_add(&sp, optarg))
				goto out;
			break;
		case 'h': fputs(usage_diff, stdout); code = DIFF_NONE; goto out;
		default: fputs(usage_diff, stderr); goto out;
		}
	}
	if (optind != argc - 2) {
		fputs("mvmc diff: expected OLD and NEW\n", stderr);
		fputs(usage_diff, stderr);
		goto out;
	}
	if (mvmc_search_add_env(&sp))
		goto out;
	code = run(argv[optind], argv[optind + 1], json, fail_widen, &sp);
out:
	mvmc_search_free(&sp);
	return code;
}

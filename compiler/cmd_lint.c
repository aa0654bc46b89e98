/* mvmc lint: check profiles for PR review (rules in docs/lint-rules.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/outdir.h"
#include "commands.h"
#include "lint.h"

/* Where the rule pages are published; CI sets its own (docs/ci.md). */
#define DEFAULT_HELP_BASE "https://mvm.invalid/docs/lint-rules.md"

static const char usage_lint[] =
	"usage: mvmc lint [--format text|json|sarif] [--werror] [--enable ID,...] [--disable ID,...]\n"
	"                 [-o FILE] [-I DIR]... [--help-base URI] [--list-rules] PATH...\n"
	"\n"
	"Check profiles (YAML or DSL) for what compiles but is risky or misleading. A PATH is a\n"
	"profile, a directory (searched for *.yaml, *.yml and *.mvm) or a stdlib directory's file.\n"
	"Rules have stable ids (MVM000...); see docs/lint-rules.md, or --list-rules. A finding is\n"
	"suppressed by a comment on its line or the line above:\n"
	"  # mvmc-lint: disable MVM011: REASON\n"
	"\n"
	"options:\n"
	"      --format F      text (default; FILE:LINE:COL: SEVERITY: MESSAGE [ID]), json, sarif (2.1.0)\n"
	"      --werror        warnings fail the run as errors do\n"
	"      --enable LIST   rules to check (ids or names, comma-separated; 'all')\n"
	"      --disable LIST  rules not to check (applied in order with --enable)\n"
	"  -o, --output FILE   write the report to FILE instead of stdout\n"
	"  -I DIR              search DIR for stdlib files before MVMC_PATH and the built-in stdlib\n"
	"      --help-base URI where docs/lint-rules.md is published, for SARIF help links\n"
	"                      (default: $MVMC_LINT_HELP_BASE, else " DEFAULT_HELP_BASE ")\n"
	"      --list-rules    print every rule (id, severity, name, summary) and exit\n"
	"  -h, --help          show this help\n"
	"\n"
	"exit codes: 0 no error (with --werror: no warning either), 1 findings that fail,\n"
	"            2 usage, 3 a path could not be read or the report not written\n";

static int set_rules(bool enabled[MVM_LINT_COUNT], const char *list, bool on)
{
	char *copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	int r = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (strcmp(tok, "all") == 0) {
			for (int i = 0; i < MVM_LINT_COUNT; i++)
				enabled[i] = on;
			continue;
		}
		int id = mvm_lint_rule_lookup(tok);
		if (id < 0) {
			fprintf(stderr, "mvmc lint: unknown rule '%s' (see mvmc lint --list-rules)\n", tok);
			r = -EINVAL;
			break;
		}
		enabled[id] = on;
	}
	free(copy);
	return r;
}

static void list_rules(void)
{
	for (int i = 0; i < MVM_LINT_COUNT; i++) {
		const struct mvm_lint_rule *r = &mvm_lint_rules[i];
		printf("%s  %-7s  %-36s  %s\n", r->id, mvm_lint_severity_name(r->severity), r->name, r->summary);
	}
}

static int write_report(const char *path, const struct mvm_buf *b)
{
	if (!path) {
		if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
			return -EIO;
		return fflush(stdout) ? -EIO : 0;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "mvmc lint: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	bool ok = (b->len == 0 || fwrite(b->data, 1, b->len, f) == b->len);
	if (fclose(f) || !ok) {
		fprintf(stderr, "mvmc lint: %s: cannot write the report\n", path);
		return -EIO;
	}
	return 0;
}

int mvmc_cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "werror", no_argument, NULL, 'W' },
		{ "enable", required_argument, NULL, 'e' }, { "disable", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' }, { "help-base", required_argument, NULL, 'b' },
		{ "list-rules", no_argument, NULL, 'l' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvmc_search_path sp = { 0 };
	struct mvm_lint_opts lo;
	mvm_lint_opts_default(&lo);
	const char *format = "text", *output = NULL, *help_base = getenv("MVMC_LINT_HELP_BASE");
	bool werror = false;
	int c, code = MVMC_EXIT_USAGE;
	if (!help_base || !*help_base)
		help_base = DEFAULT_HELP_BASE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:I:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'W': werror = true; break;
		case 'e':
		case 'd':
			if (set_rules(lo.enabled, optarg, c == 'e'))
				goto out;
			break;
		case 'o': output = optarg; break;
		case 'b': help_base = optarg; break;
		case 'I':
			if (mvmc_search_add(&sp, optarg))
				goto out;
			break;
		case 'l': list_rules(); code = MVMC_EXIT_OK; goto out;
		case 'h': fputs(usage_lint, stdout); code = MVMC_EXIT_OK; goto out;
		default: fputs(usage_lint, stderr); goto out;
		}
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "sarif")) {
		fprintf(stderr, "mvmc lint: --format '%s' (expected text, json or sarif)\n", format);
		goto out;
	}
	if (optind >= argc) {
		fputs("mvmc lint: expected at least one PATH\n", stderr);
		fputs(usage_lint, stderr);
		goto out;
	}
	if (mvmc_search_add_env(&sp))
		goto out;
	lo.search = sp.dir;
	lo.nsearch = sp.n;
	struct mvm_arena arena;
	mvm_arena_init(&arena, 0);
	struct mvm_lint_result res;
	struct mvm_buf report = { 0 };
	int e = mvm_lint_paths(&arena, &lo, (const char *const *)argv + optind, (size_t)(argc - optind), &res);
	if (e == 0) {
		if (strcmp(format, "json") == 0)
			e = mvm_lint_write_json(&res, &report);
		else if (strcmp(format, "sarif") == 0)
			e = mvm_lint_write_sarif(&res, help_base, &report);
		else
			mvm_lint_write_text(&res, &report);
		if (report.oom)
			e = -ENOMEM;
	}
	if (e) {
		fprintf(stderr, "mvmc lint: %s\n", strerror(-e));
		code = MVMC_EXIT_IO;
	} else {
		size_t counts[3], suppressed;
		mvm_lint_count(&res, counts, &suppressed);
		bool io = write_report(output, &report) != 0 || res.nio > 0;
		if (strcmp(format, "text") == 0 || output)
			fprintf(stderr, "mvmc lint: %zu file%s: %zu error%s, %zu warning%s, %zu note%s, %zu suppressed\n",
				res.nfiles, res.nfiles == 1 ? "" : "s", counts[MVM_LINT_ERROR],
				counts[MVM_LINT_ERROR] == 1 ? "" : "s", counts[MVM_LINT_WARNING],
				counts[MVM_LINT_WARNING] == 1 ? "" : "s", counts[MVM_LINT_NOTE], counts[MVM_LINT_NOTE] == 1 ? "" : "s",
				suppressed);
		if (io)
			code = MVMC_EXIT_IO;
		else if (counts[MVM_LINT_ERROR] || (werror && counts[MVM_LINT_WARNING]))
			code = MVMC_EXIT_PROFILE;
		else
			code = MVMC_EXIT_OK;
	}
	mvm_buf_free(&report);
	mvm_arena_free(&arena);
out:
	mvmc_search_free(&sp);
	return code;
}

/* mvmc disasm: a readable listing of a seccomp filter file. */
#include <errno.h>
#include <getopt.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_cli.h"
#include "commands.h"

static const char usage_disasm[] =
	"usage: mvmc disasm FILE.bpf [--arch A]\n"
	"\n"
	"List a raw struct sock_filter[] file (such as seccomp.<arch>.bpf): one instruction per line,\n"
	"jump targets as labels, loads named after their seccomp_data field, comparisons of the\n"
	"syscall number annotated with the syscall's name, return values decoded.\n"
	"\n"
	"options:\n"
	"      --arch A   x86_64 or aarch64 (default: found from the program's arch check)\n"
	"  -h, --help     show this help\n";

int mvmc_cmd_disasm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct mvm_arch *arch = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (!(arch = mvm_arch_by_name(optarg))) {
				fprintf(stderr, "mvmc disasm: --arch: unknown architecture '%s' (supported: x86_64, aarch64)\n", optarg);
				return MVMC_EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_disasm, stdout); return MVMC_EXIT_OK;
		default: fputs(usage_disasm, stderr); return MVMC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage_disasm, stderr);
		return MVMC_EXIT_USAGE;
	}
	struct mvm_arena arena;
	const struct sock_filter *prog;
	size_t len, bad;
	mvm_arena_init(&arena, 0);
	int code = mvmc_load_bpf(argv[optind], &arena, &prog, &len);
	if (code == 0) {
		struct mvm_buf out = { 0 };
		mvm_bpf_disasm(prog, len, arch ? arch : mvmc_bpf_arch_of(prog, len), &out);
		fwrite(out.data, 1, out.len, stdout);
		mvm_buf_free(&out);
		if (mvm_bpf_check(prog, len, &bad)) {
			fprintf(stderr, "mvmc: %s: the kernel would refuse this filter (instruction %zu)\n", argv[optind], bad);
			code = MVMC_EXIT_PROFILE;
		}
	}
	mvm_arena_free(&arena);
	return code;
}

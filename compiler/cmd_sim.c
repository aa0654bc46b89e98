/* mvmc sim: run a seccomp filter on one call in lib/'s interpreter. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf_cfg.h"
#include "bpf_cli.h"
#include "commands.h"
#include "yaml_tree.h"

static const char usage_sim[] =
	"usage: mvmc sim DIR|FILE --arch A --syscall NAME [--arg0 V]... [--arg5 V]\n"
	"\n"
	"Run the filter DIR/seccomp.<A>.bpf (or FILE) on one call in mvm's seccomp interpreter and\n"
	"print the decision, the number of instructions executed and their path.\n"
	"\n"
	"options:\n"
	"      --arch A          x86_64 or aarch64 (default for FILE: found from its arch check)\n"
	"      --syscall NAME    a syscall name of A, or a number (0x40000000 | n is an x32 call)\n"
	"      --argN V          argument N (0..5): decimal, 0x hex, 0o, 0b, or negative; default 0\n"
	"      --audit-arch V    the seccomp_data.arch token (default: A's); tests compat calls\n"
	"  -h, --help            show this help\n";

static int parse_value(const char *s, uint64_t *v)
{
	bool neg;
	uint64_t mag;
	if (mvm_parse_int(s, &neg, &mag))
		return -1;
	if (neg && mag > (uint64_t)INT64_MAX + 1)
		return -1;
	*v = neg ? (uint64_t)0 - mag : mag;
	return 0;
}

/* The pcs on the path, for the instructions seccomp filters are made of; 0 when the program uses
 * something else (the decision still comes from the interpreter). */
static size_t trace(const struct sock_filter *prog, size_t len, const struct seccomp_data *sd, size_t *path, size_t max)
{
	uint32_t a = 0;
	size_t n = 0;
	for (size_t pc = 0; pc < len && n < max;) {
		const struct sock_filter *f = &prog[pc];
		path[n++] = pc++;
		switch (f->code) {
		case BPF_OP_LD: memcpy(&a, (const char *)sd + f->k, sizeof(a)); break;
		case BPF_OP_AND: a &= f->k; break;
		case BPF_OP_JA: pc += f->k; break;
		case BPF_OP_JEQ: pc += a == f->k ? f->jt : f->jf; break;
		case BPF_OP_JGE: pc += a >= f->k ? f->jt : f->jf; break;
		case BPF_OP_JGT: pc += a > f->k ? f->jt : f->jf; break;
		case BPF_OP_JSET: pc += (a & f->k) ? f->jt : f->jf; break;
		case BPF_OP_RET: return n;
		default: return 0;
		}
	}
	return 0;
}

int mvmc_cmd_sim(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' }, { "syscall", required_argument, NULL, 's' },
		{ "arg0", required_argument, NULL, '0' }, { "arg1", required_argument, NULL, '1' },
		{ "arg2", required_argument, NULL, '2' }, { "arg3", required_argument, NULL, '3' },
		{ "arg4", required_argument, NULL, '4' }, { "arg5", required_argument, NULL, '5' },
		{ "audit-arch", required_argument, NULL, 'A' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct mvm_arch *arch = NULL;
	const char *sys = NULL;
	uint64_t args[6] = { 0 }, audit = 0;
	bool has_audit = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (!(arch = mvm_arch_by_name(optarg))) {
				fprintf(stderr, "mvmc sim: --arch: unknown architecture '%s' (supported: x86_64, aarch64)\n", optarg);
				return MVMC_EXIT_USAGE;
			}
			break;
		case 's': sys = optarg; break;
		case 'A':
			if (parse_value(optarg, &audit) || audit > 0xffffffffu) {
				fprintf(stderr, "mvmc sim: --audit-arch: expected a 32-bit number, got '%s'\n", optarg);
				return MVMC_EXIT_USAGE;
			}
			has_audit = true;
			break;
		case '0': case '1': case '2': case '3': case '4': case '5':
			if (parse_value(optarg, &args[c - '0'])) {
				fprintf(stderr, "mvmc sim: --arg%c: expected an integer, got '%s'\n", c, optarg);
				return MVMC_EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_sim, stdout); return MVMC_EXIT_OK;
		default: fputs(usage_sim, stderr); return MVMC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !sys) {
		fprintf(stderr, "mvmc sim: %s\n", !sys ? "missing --syscall NAME" : "expected exactly one DIR or FILE");
		fputs(usage_sim, stderr);
		return MVMC_EXIT_USAGE;
	}
	const char *in = argv[optind];
	char path[4096];
	struct stat stt;
	if (stat(in, &stt) == 0 && S_ISDIR(stt.st_mode)) {
		if (!arch) {
			fprintf(stderr, "mvmc sim: --arch is required with a directory\n");
			return MVMC_EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "%s/seccomp.%s.bpf", in, arch->name);
	} else {
		snprintf(path, sizeof(path), "%s", in);
	}
	struct mvm_arena arena;
	const struct sock_filter *prog;
	size_t len, bad;
	mvm_arena_init(&arena, 0);
	int code = mvmc_load_bpf(path, &arena, &prog, &len);
	if (code)
		goto out;
	code = MVMC_EXIT_PROFILE;
	if (mvm_bpf_check(prog, len, &bad)) {
		fprintf(stderr, "mvmc: %s: the kernel would refuse this filter (instruction %zu)\n", path, bad);
		goto out;
	}
	if (!arch && !(arch = mvmc_bpf_arch_of(prog, len))) {
		fprintf(stderr, "mvmc sim: %s: no arch check found; give --arch\n", path);
		code = MVMC_EXIT_USAGE;
		goto out;
	}
	uint64_t nr;
	int snr = mvm_syscall_nr(arch, sys);
	if (snr >= 0) {
		nr = (uint64_t)snr;
	} else if (parse_value(sys, &nr) || nr > 0xffffffffu) {
		fprintf(stderr, "mvmc sim: '%s' is not a syscall of %s (nor a number)\n", sys, arch->name);
		code = MVMC_EXIT_USAGE;
		goto out;
	}
	struct seccomp_data sd = { .nr = (int)(uint32_t)nr, .arch = has_audit ? (uint32_t)audit : arch->audit_arch };
	memcpy(sd.args, args, sizeof(args));
	uint32_t ret;
	size_t steps, pathpc[MVM_BPF_MAXINSNS];
	if (mvm_bpf_run(prog, len, &sd, &ret, &steps)) {
		fprintf(stderr, "mvmc: %s: the filter failed at run time\n", path);
		goto out;
	}
	char rb[32];
	const char *name = mvm_syscall_name(arch, (int)(uint32_t)nr);
	printf("%s %s (nr %llu): %s, %zu instructions executed\n", arch->name, name ? name : "?", (unsigned long long)nr,
	       mvm_bpf_ret_name(ret, rb, sizeof(rb)), steps);
	size_t np = trace(prog, len, &sd, pathpc, MVM_BPF_MAXINSNS);
	if (np) {
		printf("path:");
		for (size_t i = 0; i < np; i++)
			printf(" %zu", pathpc[i]);
		printf("\n");
	}
	code = MVMC_EXIT_OK;
out:
	mvm_arena_free(&arena);
	return code;
}

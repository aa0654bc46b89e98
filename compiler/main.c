/* mvmc: the profile compiler. Dispatches to the subcommands in compiler/cmd_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* One line per subcommand; keep the usage text below in step. */
static const struct command commands[] = {
	{ "build", mvmc_cmd_build, "build PROFILE -o DIR   compile a profile into an artifact directory" },
	{ "fmt", mvmc_cmd_fmt, "fmt [--check] [--to dsl|yaml] FILE...   canonical formatting, DSL <-> YAML" },
	{ "disasm", mvmc_cmd_disasm, "disasm FILE.bpf [--arch A]   list a seccomp filter readably" },
	{ "sim", mvmc_cmd_sim, "sim DIR|FILE --arch A --syscall NAME [--argN V]...   run a filter on one call" },
	{ "import", mvmc_cmd_import, "import oci FILE.json [-o PROFILE] [--caps LIST]   convert an OCI/Docker seccomp profile" },
	{ "keygen", mvmc_cmd_keygen, "keygen --role publisher|host -o NAME   make an Ed25519 key pair (NAME.key, NAME.pub)" },
	{ "verify", mvmc_cmd_verify, "verify DIR --trust TRUSTDIR [--json]   check a signed bundle and every artifact" },
	{ "lint", mvmc_cmd_lint, "lint [--format text|json|sarif] [--werror] PATH...   check profiles (rules MVM000...)" },
	{ "diff", mvmc_cmd_diff, "diff OLD NEW [--format text|json] [--fail-on widen]   what changed in meaning" },
	{ "explain", mvmc_cmd_explain, "explain PROFILE [--syscall NAME] [--arch A]   which rule decides each syscall" },
};

static void usage(FILE *out)
{
	fputs("usage: mvmc [--version] [--help] COMMAND [ARGS]\n\n"
	      "Compile mvm intent profiles into seccomp BPF, OCI seccomp.json and an admission plan.\n\n"
	      "commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fputs("\nexit codes: 0 ok, 1 profile error, 2 usage error, 3 I/O error\n"
	      "Run 'mvmc COMMAND --help' for a command's options.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MVMC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return MVMC_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mvmc %s\n", MVM_VERSION);
		return MVMC_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mvmc: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return MVMC_EXIT_USAGE;
}

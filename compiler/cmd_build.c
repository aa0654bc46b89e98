/* mvmc build: profile -> artifact directory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/outdir.h"
#include "commands.h"
#include "emit.h"
#include "resolve.h"

enum { EXIT_OK = MVMC_EXIT_OK, EXIT_PROFILE = MVMC_EXIT_PROFILE, EXIT_USAGE = MVMC_EXIT_USAGE, EXIT_IO = MVMC_EXIT_IO };

static const char usage_build[] =
	"usage: mvmc build PROFILE -o DIR [--arch LIST] [-I DIR]...\n"
	"\n"
	"Compile PROFILE (YAML, schema 1) and write DIR atomically with:\n"
	"  seccomp.<arch>.bpf  raw struct sock_filter[] per architecture\n"
	"  seccomp.json        OCI runtime-spec linux.seccomp object\n"
	"  plan.json           canonical JSON: admission fields and sha256 of every artifact\n"
	"\n"
	"options:\n"
	"  -o, --output DIR    output directory (replaced atomically if it holds only mvmc artifacts)\n"
	"      --arch LIST     comma-separated architectures (x86_64,aarch64); overrides the profile\n"
	"  -I DIR              search DIR for stdlib files before MVMC_PATH and the built-in stdlib\n"
	"  -h, --help          show this help\n";

static int parse_arch_list(const char *list, unsigned *mask)
{
	char *copy = strdup(list);
	if (!copy)
		return -1;
	*mask = 0;
	int r = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct mvm_arch *a = mvm_arch_by_name(tok);
		if (!a) {
			fprintf(stderr, "mvmc: --arch: unknown architecture '%s' (supported: x86_64, aarch64)\n", tok);
			r = -1;
			break;
		}
		*mask |= 1u << a->id;
	}
	free(copy);
	return *mask || r ? r : -1;
}

static int artifact_name_ok(const char *name)
{
	return strcmp(name, "seccomp.json") == 0 || strcmp(name, "plan.json") == 0 ||
	       strcmp(name, "bundle.dsse.json") == 0 || strcmp(name, "egress.nft") == 0 ||
	       (strncmp(name, "seccomp.", 8) == 0 && strlen(name) > 12 && strcmp(name + strlen(name) - 4, ".bpf") == 0);
}

static int build(const char *profile, const char *outdir, unsigned arch_override, const struct mvmc_search_path *sp)
{
	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_stdlib *st;
	struct mvm_profile *p;
	struct mvm_artifact arts[MVM_ARCH_COUNT + 2];
	size_t nart = 0;
	int code = EXIT_OK;
	mvm_arena_init(&arena, 256u << 20);
	mvm_diag_init(&diag, "mvmc", stderr);
	memset(arts, 0, sizeof(arts));
	if (mvm_stdlib_load(&arena, &diag, sp->dir, sp->n, &st)) {
		code = EXIT_PROFILE;
		goto out;
	}
	int r = mvm_compile_profile(&arena, &diag, st, profile, arch_override, &p);
	if (r) {
		code = r == -EINVAL ? EXIT_PROFILE : EXIT_IO;
		goto out;
	}
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		struct mvm_artifact *art = &arts[nart++];
		snprintf(art->name, sizeof(art->name), "seccomp.%s.bpf", p->filter[a].arch->name);
		if (mvm_emit_bpf(&diag, &p->filter[a], &art->data)) {
			code = EXIT_PROFILE;
			goto out;
		}
	}
	struct mvm_artifact *oci = &arts[nart++];
	strcpy(oci->name, "seccomp.json");
	if (mvm_emit_oci(&diag, p, &oci->data)) {
		code = EXIT_PROFILE;
		goto out;
	}
	struct mvm_artifact *plan = &arts[nart];
	strcpy(plan->name, "plan.json");
	if (mvm_emit_plan(&diag, p, arts, nart, &plan->data)) {
		code = EXIT_IO;
		goto out;
	}
	nart++;
	struct mvm_file files[MVM_ARCH_COUNT + 2];
	for (size_t i = 0; i < nart; i++)
		files[i] = (struct mvm_file){ arts[i].name, arts[i].data.data, arts[i].data.len };
	char err[512] = "";
	if (mvm_write_dir_atomic(outdir, files, nart, artifact_name_ok, err, sizeof(err))) {
		fprintf(stderr, "mvmc: %s\n", err);
		code = EXIT_IO;
	}
out:
	for (size_t i = 0; i < sizeof(arts) / sizeof(arts[0]); i++)
		mvm_buf_free(&arts[i].data);
	if (diag.errors > MVM_DIAG_MAX_ERRORS)
		fprintf(stderr, "mvmc: %u errors in total; only the first %d were shown\n", diag.errors, MVM_DIAG_MAX_ERRORS);
	mvm_arena_free(&arena);
	return code;
}

int mvmc_cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "arch", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvmc_search_path sp = { 0 };
	const char *outdir = NULL;
	unsigned arch = 0;
	int c, code = EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:I:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': outdir = optarg; break;
		case 'I':
			if (mvmc_search_add(&sp, optarg))
				goto out;
			break;
		case 'a':
			if (parse_arch_list(optarg, &arch))
				goto out;
			break;
		case 'h': fputs(usage_build, stdout); code = EXIT_OK; goto out;
		default: fputs(usage_build, stderr); goto out;
		}
	}
	if (optind != argc - 1 || !outdir) {
		fprintf(stderr, "mvmc build: %s\n", !outdir ? "missing -o DIR" : "expected exactly one PROFILE");
		fputs(usage_build, stderr);
		goto out;
	}
	if (mvmc_search_add_env(&sp))
		goto out;
	code = build(argv[optind], outdir, arch, &sp);
out:
	mvmc_search_free(&sp);
	return code;
}


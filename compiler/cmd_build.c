/* mvmc build: profile -> artifact directory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/bundle.h"
#include "../lib/outdir.h"
#include "bpf_cli.h"
#include "commands.h"
#include "consistency.h"
#include "emit.h"
#include "resolve.h"

enum { EXIT_OK = MVMC_EXIT_OK, EXIT_PROFILE = MVMC_EXIT_PROFILE, EXIT_USAGE = MVMC_EXIT_USAGE, EXIT_IO = MVMC_EXIT_IO };

static const char usage_build[] =
	"usage: mvmc build PROFILE -o DIR [--arch LIST] [-I DIR]... [--sign-key KEY] [--valid-for DURATION]\n"
	"                  [--not-before UNIXTIME] [--strict] [--report] [--weights FILE]\n"
	"\n"
	"Compile PROFILE (schema 1: YAML, or the mvm DSL for *.mvm) and write DIR atomically with:\n"
	"  seccomp.<arch>.bpf  raw struct sock_filter[] per architecture\n"
	"  seccomp.json        OCI runtime-spec linux.seccomp object\n"
	"  egress.nft          when the profile has network.egress: the nftables rules (docs/egress.md)\n"
	"  plan.json           canonical JSON: admission fields and sha256 of every artifact\n"
	"  bundle.dsse.json    with --sign-key: DSSE envelope over plan.json (Ed25519)\n"
	"\n"
	"options:\n"
	"  -o, --output DIR    output directory (replaced atomically if it holds only mvmc artifacts)\n"
	"      --arch LIST     comma-separated architectures (x86_64,aarch64); overrides the profile\n"
	"  -I DIR              search DIR for stdlib files before MVMC_PATH and the built-in stdlib\n"
	"      --sign-key KEY  sign plan.json with a publisher key (see mvmc keygen) into bundle.dsse.json\n"
	"      --valid-for D   bundle validity (s, m, h, d; default 30d) written as not_before/not_after\n"
	"      --not-before T  start of the validity, unix seconds (default: SOURCE_DATE_EPOCH, else now\n"
	"                      when signing; an unsigned build without either has no validity fields)\n"
	"      --strict        seccomp/egress inconsistencies are errors, not warnings\n"
	"      --report        print each seccomp filter's length, instructions executed on allowed\n"
	"                      paths and cache-eligible count\n"
	"      --weights FILE  syscall frequencies for the BPF dispatch (default: stdlib/syscall-freq.yaml)\n"
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

/* Where time enters a build: only through --not-before, SOURCE_DATE_EPOCH, or (when signing
 * without either) the clock; so unsigned builds stay byte-reproducible. */
struct sign_opts {
	const char *key;          /* --sign-key, NULL for an unsigned build */
	uint64_t valid_for_s;     /* --valid-for, 0 = MVMC_DEFAULT_BUNDLE_VALIDITY */
	bool has_time;
	int64_t not_before;
};

#define MVMC_DEFAULT_BUNDLE_VALIDITY (30 * 86400)

static int parse_unix_time(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 253402300799LL) /* up to year 9999 */
		return -EINVAL;
	*out = v;
	return 0;
}

static int build(const char *profile, const char *outdir, unsigned arch_override, const struct mvmc_search_path *sp,
		 const struct sign_opts *so, const struct mvmc_bpf_opts *bo, bool strict)
{
	struct mvm_bpf_freq *freq = NULL;
	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_stdlib *st;
	struct mvm_profile *p;
	struct mvm_artifact arts[MVM_ARCH_COUNT + 4]; /* seccomp.<arch>.bpf..., seccomp.json, egress.nft, plan, envelope */
	size_t nart = 0;
	int code = EXIT_OK;
	struct mvm_seckey key = { 0 };
	mvm_arena_init(&arena, 256u << 20);
	mvm_diag_init(&diag, "mvmc", stderr);
	memset(arts, 0, sizeof(arts));
	if (so->key) {
		char err[512];
		if (mvm_seckey_load(so->key, &key, err, sizeof(err))) {
			fprintf(stderr, "mvmc: --sign-key: %s\n", err);
			code = MVMC_EXIT_KEY;
			goto out;
		}
		if (key.pub.role != MVM_ROLE_PUBLISHER) {
			fprintf(stderr, "mvmc: --sign-key: %s is a %s key; bundles are signed with publisher keys\n", so->key,
				mvm_role_name(key.pub.role));
			code = MVMC_EXIT_KEY;
			goto out;
		}
	}
	if (mvm_stdlib_load(&arena, &diag, sp->dir, sp->n, &st)) {
		code = EXIT_PROFILE;
		goto out;
	}
	int r = mvm_compile_profile(&arena, &diag, st, profile, arch_override, &p);
	if (r) {
		code = r == -EINVAL ? EXIT_PROFILE : EXIT_IO;
		goto out;
	}
	if (mvm_check_consistency(&diag, st, p, strict)) {
		code = EXIT_PROFILE;
		goto out;
	}
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		struct mvm_artifact *art = &arts[nart++];
		snprintf(art->name, sizeof(art->name), "seccomp.%s.bpf", p->filter[a].arch->name);
		if (mvmc_bpf_emit(bo, &arena, &diag, st, &p->filter[a], &freq, &art->data)) {
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
	if (p->egress.present) {
		struct mvm_artifact *nft = &arts[nart++];
		strcpy(nft->name, "egress.nft");
		if (mvm_emit_nft(&diag, p, &nft->data)) {
			code = EXIT_PROFILE;
			goto out;
		}
	}
	struct mvm_artifact *plan = &arts[nart];
	strcpy(plan->name, "plan.json");
	struct mvm_plan_validity validity, *vp = NULL;
	if (so->has_time || so->key) {
		validity.not_before = so->has_time ? so->not_before : (int64_t)time(NULL);
		validity.not_after = validity.not_before +
				     (int64_t)(so->valid_for_s ? so->valid_for_s : MVMC_DEFAULT_BUNDLE_VALIDITY);
		vp = &validity;
	}
	if (mvm_emit_plan_valid(&diag, p, arts, nart, vp, &plan->data)) {
		code = EXIT_IO;
		goto out;
	}
	nart++;
	if (so->key) {
		struct mvm_artifact *env = &arts[nart];
		strcpy(env->name, MVM_BUNDLE_ENVELOPE);
		if (mvm_dsse_sign_envelope(&key, MVM_TYPE_PLAN, plan->data.data, plan->data.len, &env->data)) {
			fprintf(stderr, "mvmc: cannot sign %s\n", plan->name);
			code = EXIT_IO;
			goto out;
		}
		nart++;
	}
	struct mvm_file files[MVM_ARCH_COUNT + 4];
	for (size_t i = 0; i < nart; i++)
		files[i] = (struct mvm_file){ arts[i].name, arts[i].data.data, arts[i].data.len };
	char err[512] = "";
	if (mvm_write_dir_atomic(outdir, files, nart, artifact_name_ok, err, sizeof(err))) {
		fprintf(stderr, "mvmc: %s\n", err);
		code = EXIT_IO;
	}
out:
	mvm_seckey_wipe(&key);
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
		{ "sign-key", required_argument, NULL, 'k' },
		{ "valid-for", required_argument, NULL, 'v' },
		{ "not-before", required_argument, NULL, 'n' },
		{ "report", no_argument, NULL, 'R' },
		{ "strict", no_argument, NULL, 'S' },
		{ "weights", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvmc_search_path sp = { 0 };
	const char *outdir = NULL;
	unsigned arch = 0;
	struct sign_opts so = { 0 };
	struct mvmc_bpf_opts bo = { 0 };
	bool strict = false;
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
		case 'k': so.key = optarg; break;
		case 'R': bo.report = true; break;
		case 'S': strict = true; break;
		case 'W': bo.weights = optarg; break;
		case 'v':
			if (mvm_parse_duration(optarg, &so.valid_for_s)) {
				fprintf(stderr, "mvmc build: --valid-for '%s' (expected N followed by s, m, h or d; at most 366d)\n", optarg);
				goto out;
			}
			break;
		case 'n':
			if (parse_unix_time(optarg, &so.not_before)) {
				fprintf(stderr, "mvmc build: --not-before '%s' (expected unix seconds)\n", optarg);
				goto out;
			}
			so.has_time = true;
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
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (!so.has_time && sde && *sde) {
		if (parse_unix_time(sde, &so.not_before)) {
			fprintf(stderr, "mvmc build: SOURCE_DATE_EPOCH '%s' is not unix seconds\n", sde);
			goto out;
		}
		so.has_time = true;
	}
	if (so.valid_for_s && !so.has_time && !so.key) {
		fputs("mvmc build: --valid-for needs --sign-key, --not-before or SOURCE_DATE_EPOCH\n", stderr);
		goto out;
	}
	code = build(argv[optind], outdir, arch, &sp, &so, &bo, strict);
out:
	mvmc_search_free(&sp);
	return code;
}


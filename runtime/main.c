/* mvm: the runtime's command line. `mvm trust`, `mvm plan issue`, `mvm admit`, `mvm audit`,
 * `mvm run` (run.c) and `mvm doctor` (doctor.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/canon_json.h"
#include "doctor.h"
#include "run.h"
#include "runtime.h"

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,  /* admit, plan issue, trust: refused (reason printed and in --json) */
	EXIT_USAGE = 2,
	EXIT_IO = 3,
	EXIT_AUDIT = 4,    /* admit: plan.admitted could not be written, so nothing was admitted */
	EXIT_KEY = 4,      /* plan issue: the key may not be used */
};

static const char usage_text[] =
	"usage: mvm [--version] [--help] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  trust add [--role publisher|host] [--system] FILE.pub...   trust a public key\n"
	"  trust list [--json] [--system]                             list trusted and retired keys\n"
	"  trust remove KEYID [--purge] [--system]                    retire (or delete) a key\n"
	"  plan issue --bundle DIR --key HOSTKEY [--valid-for D] [--tenant T] [-o FILE]\n"
	"                                                             issue an execution plan\n"
	"  admit DIR | --plan FILE [DIR]  [--tenant T] [--json] ...  run admission (no launch yet)\n"
	"  audit verify|show|tail|recover [--tenant T] [--json] [-n N]\n"
	"  run (--profile DIR | --plan FILE) [--backend B] [--share H:G[:ro|rw]]... [--require-tier N]\n"
	"      [--require-posture full] [--tenant T] -- CMD [ARGS]     admit, launch, verify posture\n"
	"  doctor [--json]                                            what isolation this host gives\n"
	"\n"
	"environment: MVM_HOME (default ~/.mvm), MVM_HOST_KEY, MVM_TENANT, MVM_MAX_WINDOW, MVM_CLOCK_SKEW,\n"
	"MVM_AUDIT_SEGMENT_BYTES. See mvm(1), docs/admission.md and docs/audit.md.\n";

struct ctx {
	struct mvm_paths paths;
	struct mvm_trust trust;
	const char *tenant;
	struct mvm_plan_policy policy;
};

static int ctx_init(struct ctx *c)
{
	char err[256];
	memset(c, 0, sizeof(*c));
	if (mvm_paths_init(&c->paths, err, sizeof(err))) {
		fprintf(stderr, "mvm: %s\n", err);
		return -1;
	}
	mvm_paths_trust(&c->paths, &c->trust);
	c->tenant = getenv("MVM_TENANT") && *getenv("MVM_TENANT") ? getenv("MVM_TENANT") : "default";
	c->policy.max_window_s = MVM_DEFAULT_MAX_WINDOW_S;
	c->policy.skew_s = MVM_DEFAULT_SKEW_S;
	const char *mw = getenv("MVM_MAX_WINDOW"), *sk = getenv("MVM_CLOCK_SKEW");
	if ((mw && *mw && (mvm_duration(mw, &c->policy.max_window_s) || c->policy.max_window_s > MVM_MAX_WINDOW_LIMIT_S)) ||
	    (sk && *sk && (mvm_duration(sk, &c->policy.skew_s) || c->policy.skew_s > MVM_MAX_SKEW_S))) {
		fprintf(stderr, "mvm: MVM_MAX_WINDOW (at most 1d) or MVM_CLOCK_SKEW (at most 10m) is invalid\n");
		return -1;
	}
	return 0;
}

static int opt_duration(const char *name, const char *arg, int64_t max, int64_t *out)
{
	if (mvm_duration(arg, out) || *out > max) {
		fprintf(stderr, "mvm: %s '%s' (expected N followed by s, m, h or d; at most %llds)\n", name, arg, (long long)max);
		return -1;
	}
	return 0;
}

static int check_tenant(const char *t)
{
	if (!mvm_tenant_valid(t)) {
		fprintf(stderr, "mvm: tenant '%s' is not a valid name (1..64 of A-Z a-z 0-9 _ -)\n", t);
		return -1;
	}
	return 0;
}

/* ---- trust ---- */

static int print_key(void *ctx, const char *root, const struct mvm_pubkey *k, enum mvm_trust_state st)
{
	bool json = *(bool *)ctx;
	if (!json) {
		printf("%-9s %s %-7s %s\n", mvm_role_name(k->role), k->keyid, st == MVM_TRUST_ACTIVE ? "active" : "retired", root);
		return 0;
	}
	struct mvm_buf b = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &b);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "keyid");
	mvm_cjw_str(&w, k->keyid);
	mvm_cjw_key(&w, "role");
	mvm_cjw_str(&w, mvm_role_name(k->role));
	mvm_cjw_key(&w, "state");
	mvm_cjw_str(&w, st == MVM_TRUST_ACTIVE ? "active" : "retired");
	mvm_cjw_key(&w, "store");
	mvm_cjw_str(&w, root);
	mvm_cjw_end_object(&w);
	if (mvm_cjw_finish(&w) == 0)
		printf("%s\n", b.data);
	mvm_buf_free(&b);
	return 0;
}

static int cmd_trust(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' }, { "system", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },       { "purge", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	if (argc < 2) {
		fputs("usage: mvm trust add|list|remove ...\n", stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	enum mvm_key_role role = 0;
	bool system = false, json = false, purge = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			if (mvm_role_parse(optarg, &role)) {
				fprintf(stderr, "mvm trust: --role publisher|host\n");
				return EXIT_USAGE;
			}
			break;
		case 's': system = true; break;
		case 'j': json = true; break;
		case 'p': purge = true; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	const char *root = system ? "/etc/mvm/trust" : c->paths.trust;
	char **rest = argv + 1 + optind;
	int nrest = argc - 1 - optind;
	char err[512] = "";
	if (!strcmp(sub, "add")) {
		if (nrest < 1) {
			fputs("usage: mvm trust add [--role R] [--system] FILE.pub...\n", stderr);
			return EXIT_USAGE;
		}
		for (int i = 0; i < nrest; i++) {
			struct mvm_pubkey k;
			if (mvm_trust_add(root, rest[i], role, &k, err, sizeof(err))) {
				fprintf(stderr, "mvm trust add: %s\n", err);
				return EXIT_REFUSED;
			}
			printf("trusted %s key %s in %s\n", mvm_role_name(k.role), k.keyid, root);
		}
		return EXIT_OK;
	}
	if (!strcmp(sub, "list")) {
		for (size_t i = 0; i < (system ? 1 : c->trust.nroot); i++) {
			const char *r = system ? root : c->trust.root[i];
			if (mvm_trust_list(r, print_key, &json, err, sizeof(err))) {
				fprintf(stderr, "mvm trust list: %s\n", err[0] ? err : r);
				return EXIT_IO;
			}
		}
		return EXIT_OK;
	}
	if (!strcmp(sub, "remove")) {
		if (nrest != 1) {
			fputs("usage: mvm trust remove KEYID [--purge] [--system]\n", stderr);
			return EXIT_USAGE;
		}
		int r = mvm_trust_remove(root, rest[0], purge, err, sizeof(err));
		if (r) {
			fprintf(stderr, "mvm trust remove: %s\n", err);
			return r == -ENOENT || r == -EINVAL ? EXIT_REFUSED : EXIT_IO;
		}
		printf("%s %s\n", purge ? "deleted" : "retired", rest[0]);
		return EXIT_OK;
	}
	fprintf(stderr, "mvm trust: unknown subcommand '%s'\n", sub);
	return EXIT_USAGE;
}

/* ---- plan issue ---- */

static void print_verdict_json(const struct mvm_verdict *v)
{
	struct mvm_buf b = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &b);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "detail");
	mvm_cjw_str(&w, v->detail);
	mvm_cjw_key(&w, "reason");
	mvm_cjw_str(&w, mvm_reject_name(v->reason));
	mvm_cjw_key(&w, "result");
	mvm_cjw_str(&w, "refused");
	mvm_cjw_end_object(&w);
	if (mvm_cjw_finish(&w) == 0)
		printf("%s\n", b.data);
	mvm_buf_free(&b);
}

static int cmd_plan(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' }, { "key", required_argument, NULL, 'k' },
		{ "valid-for", required_argument, NULL, 'v' }, { "tenant", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' }, { "max-window", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	if (argc < 2 || strcmp(argv[1], "issue") != 0) {
		fputs("usage: mvm plan issue --bundle DIR --key HOSTKEY [--valid-for D] [--tenant T] [-o FILE]\n", stderr);
		return EXIT_USAGE;
	}
	const char *bundle = NULL, *key = NULL, *outpath = NULL;
	int64_t valid_for = 0;
	int o;
	optind = 1;
	while ((o = getopt_long(argc - 1, argv + 1, "o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'b': bundle = optarg; break;
		case 'k': key = optarg; break;
		case 't': c->tenant = optarg; break;
		case 'o': outpath = optarg; break;
		case 'v':
			if (opt_duration("--valid-for", optarg, MVM_MAX_WINDOW_LIMIT_S, &valid_for))
				return EXIT_USAGE;
			break;
		case 'm':
			if (opt_duration("--max-window", optarg, MVM_MAX_WINDOW_LIMIT_S, &c->policy.max_window_s))
				return EXIT_USAGE;
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (!bundle || !key || optind != argc - 1 || check_tenant(c->tenant)) {
		fputs("usage: mvm plan issue --bundle DIR --key HOSTKEY [--valid-for D] [--tenant T] [-o FILE]\n", stderr);
		return EXIT_USAGE;
	}
	struct mvm_seckey k;
	if (mvm_host_key_load(key, &k))
		return EXIT_KEY;
	struct mvm_clock clock = { (int64_t)time(NULL), c->policy.skew_s };
	struct mvm_bundle b;
	struct mvm_verdict v;
	int code = EXIT_OK;
	struct mvm_buf out = { 0 };
	char err[512], real[PATH_MAX];
	if (mvm_bundle_load_dir(bundle, &c->trust, &clock, &b, &v)) {
		fprintf(stderr, "mvm plan issue: %s: refused (%s): %s\n", bundle, mvm_reject_name(v.reason), v.detail);
		code = v.reason == MVM_REJECT_IO ? EXIT_IO : EXIT_REFUSED;
	} else if (mvm_exec_plan_issue(&k, &b, realpath(bundle, real) ? real : NULL, c->tenant, clock.now,
				       valid_for ? valid_for
						 : b.plan.valid_for_s ? b.plan.valid_for_s : MVM_DEFAULT_WINDOW_S,
				       &c->policy, &out, err, sizeof(err))) {
		fprintf(stderr, "mvm plan issue: %s\n", err);
		code = EXIT_REFUSED;
	} else if (outpath) {
		int r = mvm_write_file_atomic(outpath, out.data, out.len, 0644);
		if (r) {
			fprintf(stderr, "mvm plan issue: %s: %s\n", outpath, strerror(-r));
			code = EXIT_IO;
		}
	} else {
		fwrite(out.data, 1, out.len, stdout);
	}
	mvm_seckey_wipe(&k);
	mvm_bundle_free(&b);
	mvm_buf_free(&out);
	return code;
}

/* ---- admit ---- */

static int cmd_admit(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },       { "tenant", required_argument, NULL, 't' },
		{ "host-key", required_argument, NULL, 'k' },   { "max-window", required_argument, NULL, 'm' },
		{ "skew", required_argument, NULL, 's' },       { "valid-for", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },             { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *planfile = NULL, *keypath = c->paths.host_key;
	int64_t valid_for = 0;
	bool json = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'p': planfile = optarg; break;
		case 't': c->tenant = optarg; break;
		case 'k': keypath = optarg; break;
		case 'j': json = true; break;
		case 'm':
			if (opt_duration("--max-window", optarg, MVM_MAX_WINDOW_LIMIT_S, &c->policy.max_window_s))
				return EXIT_USAGE;
			break;
		case 's':
			if (!strcmp(optarg, "0") || !strcmp(optarg, "0s"))
				c->policy.skew_s = 0;
			else if (opt_duration("--skew", optarg, MVM_MAX_SKEW_S, &c->policy.skew_s))
				return EXIT_USAGE;
			break;
		case 'v':
			if (opt_duration("--valid-for", optarg, MVM_MAX_WINDOW_LIMIT_S, &valid_for))
				return EXIT_USAGE;
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	const char *dir = optind < argc ? argv[optind] : NULL;
	if (optind + 1 < argc || (!dir && !planfile) || check_tenant(c->tenant)) {
		fputs("usage: mvm admit DIR | --plan FILE [DIR] [--tenant T] [--host-key K] [--json]\n", stderr);
		return EXIT_USAGE;
	}
	struct mvm_verdict v = { 0 };
	struct mvm_admission adm;
	memset(&adm, 0, sizeof(adm));
	struct mvm_seckey key;
	bool have_key = mvm_host_key_load(keypath, &key) == 0;
	char *plan = NULL;
	size_t plan_len = 0;
	int code = EXIT_REFUSED;
	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_stdlib *st = NULL;
	mvm_arena_init(&arena, 64u << 20);
	mvm_diag_init(&diag, "mvm", stderr);
	if (mvm_stdlib_load(&arena, &diag, NULL, 0, &st)) {
		mvm_refuse(&v, MVM_REJECT_IO, "cannot load the standard library");
		code = EXIT_IO;
		goto out;
	}
	if (planfile) {
		int r = mvm_read_small_file(planfile, MVM_DSSE_MAX_BYTES, false, &plan, &plan_len);
		if (r) {
			mvm_refuse(&v, MVM_REJECT_IO, "%s: %s", planfile, strerror(-r));
			code = EXIT_IO;
			goto out;
		}
		if (!dir) {
			/* The plan records where its bundle was; its digest decides whether it is the one. */
			struct mvm_arena pa;
			struct mvm_exec_plan ep;
			mvm_arena_init(&pa, 8u << 20);
			if (mvm_exec_plan_verify(&pa, plan, plan_len, &c->trust, &ep, &v) == 0 && ep.bundle_path)
				dir = strdup(ep.bundle_path);
			mvm_arena_free(&pa);
			if (!dir) {
				if (!v.reason)
					mvm_refuse(&v, MVM_REJECT_MALFORMED, "the plan names no bundle directory; give DIR");
				goto out;
			}
		} else {
			dir = strdup(dir);
		}
	} else {
		dir = strdup(dir);
	}
	struct mvm_admission_config cfg = {
		.trust = &c->trust,
		.host_key = have_key ? &key : NULL,
		.stdlib = st,
		.state_dir = c->paths.state,
		.audit_dir = c->paths.audit,
		.tenant = c->tenant,
		.clock = { (int64_t)time(NULL), c->policy.skew_s },
		.policy = c->policy,
	};
	const char *seg = getenv("MVM_AUDIT_SEGMENT_BYTES");
	if (seg && *seg)
		cfg.audit_segment_max = strtoull(seg, NULL, 10);
	struct mvm_admission_request req = { .bundle_dir = dir, .plan = plan, .plan_len = plan_len, .valid_for = valid_for };
	if (!dir) {
		mvm_refuse(&v, MVM_REJECT_IO, "out of memory");
		goto out;
	}
	int r = mvm_admit(&cfg, &req, &adm, &v);
	free((void *)dir);
	if (r == 0) {
		code = EXIT_OK;
		char nonce[2 * MVM_NONCE_BYTES + 1];
		for (int i = 0; i < MVM_NONCE_BYTES; i++)
			snprintf(nonce + 2 * i, 3, "%02x", adm.plan.nonce[i]);
		if (json) {
			struct mvm_buf b = { 0 };
			struct mvm_cjw w;
			mvm_cjw_init(&w, &b);
			mvm_cjw_begin_object(&w);
			mvm_cjw_key(&w, "audit_seq");
			mvm_cjw_int(&w, (int64_t)adm.audit_seq);
			mvm_cjw_key(&w, "bundle");
			mvm_cjw_str(&w, adm.bundle.digest);
			mvm_cjw_key(&w, "keyid");
			mvm_cjw_str(&w, adm.plan.signer.keyid);
			mvm_cjw_key(&w, "nonce");
			mvm_cjw_str(&w, nonce);
			mvm_cjw_key(&w, "plan");
			mvm_cjw_str(&w, adm.plan.digest);
			mvm_cjw_key(&w, "result");
			mvm_cjw_str(&w, "admitted");
			mvm_cjw_key(&w, "tenant");
			mvm_cjw_str(&w, adm.plan.tenant);
			mvm_cjw_key(&w, "valid_from");
			mvm_cjw_int(&w, adm.plan.valid_from);
			mvm_cjw_key(&w, "valid_until");
			mvm_cjw_int(&w, adm.plan.valid_until);
			mvm_cjw_end_object(&w);
			if (mvm_cjw_finish(&w) == 0)
				printf("%s\n", b.data);
			mvm_buf_free(&b);
		} else {
			printf("admitted: plan %s for bundle %s (tenant %s, nonce %s, valid %lld..%lld); audit seq %llu\n",
			       adm.plan.digest, adm.bundle.digest, adm.plan.tenant, nonce, (long long)adm.plan.valid_from,
			       (long long)adm.plan.valid_until, (unsigned long long)adm.audit_seq);
		}
	} else {
		code = v.reason == MVM_REJECT_AUDIT ? EXIT_AUDIT : v.reason == MVM_REJECT_IO ? EXIT_IO : EXIT_REFUSED;
	}
out:
	if (code != EXIT_OK) {
		if (json)
			print_verdict_json(&v);
		fprintf(stderr, "mvm admit: refused (%s): %s\n", mvm_reject_name(v.reason), v.detail);
	}
	mvm_admission_free(&adm);
	if (have_key)
		mvm_seckey_wipe(&key);
	free(plan);
	mvm_arena_free(&arena);
	return code;
}

/* ---- audit ---- */

struct show {
	bool json;
	size_t keep;     /* tail: ring of the last `keep` lines; 0 = print as we go */
	size_t n;
	char **ring;
};

static void print_line(const char *line, size_t len, bool json)
{
	if (json) {
		printf("%.*s\n", (int)len, line);
		return;
	}
	struct mvm_arena a;
	struct mvm_cj *root;
	mvm_arena_init(&a, 1u << 20);
	const struct mvm_cj *e;
	if (mvm_cj_parse(&a, line, len, &root, NULL, 0) || !(e = mvm_cj_get(root, "entry"))) {
		printf("(unparseable line)\n");
	} else {
		const struct mvm_cj *seq = mvm_cj_get(e, "seq"), *ts = mvm_cj_get(e, "ts"), *ev = mvm_cj_get(e, "event"),
				    *plan = mvm_cj_get(e, "plan"), *labels = mvm_cj_get(e, "labels"),
				    *detail = mvm_cj_get(e, "detail");
		char when[32] = "?";
		if (ts && ts->kind == MVM_CJ_INT) {
			time_t t = (time_t)ts->i;
			struct tm tm;
			if (gmtime_r(&t, &tm))
				strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		printf("%6lld %s %-28s", seq && seq->kind == MVM_CJ_INT ? (long long)seq->i : -1LL, when,
		       ev && ev->kind == MVM_CJ_STRING ? ev->str : "?");
		if (plan && plan->kind == MVM_CJ_STRING)
			printf(" plan=%.19s", plan->str);
		if (labels && labels->end - labels->off > 2)
			printf(" labels=%.*s", (int)(labels->end - labels->off), line + labels->off);
		if (detail && detail->kind == MVM_CJ_STRING)
			printf(" (%s)", detail->str);
		printf("\n");
	}
	mvm_arena_free(&a);
}

static int show_line(void *ctx, const char *line, size_t len)
{
	struct show *s = ctx;
	if (!s->keep) {
		print_line(line, len, s->json);
		return 0;
	}
	char *copy = strndup(line, len);
	if (!copy)
		return -ENOMEM;
	free(s->ring[s->n % s->keep]);
	s->ring[s->n % s->keep] = copy;
	s->n++;
	return 0;
}

static void print_report(const struct mvm_audit_report *rep, const char *tenant, bool json)
{
	if (!json) {
		printf("%s: %s (tenant %s): %s\n", rep->status == MVM_AUDIT_CLEAN ? "ok" : "FAIL",
		       mvm_audit_status_name(rep->status), tenant, rep->detail);
		return;
	}
	struct mvm_buf b = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &b);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "at_seq");
	mvm_cjw_int(&w, (int64_t)rep->at_seq);
	mvm_cjw_key(&w, "detail");
	mvm_cjw_str(&w, rep->detail);
	mvm_cjw_key(&w, "entries");
	mvm_cjw_int(&w, (int64_t)rep->entries);
	mvm_cjw_key(&w, "exit");
	mvm_cjw_int(&w, (int64_t)rep->status);
	mvm_cjw_key(&w, "head_seq");
	mvm_cjw_int(&w, (int64_t)rep->head_seq);
	mvm_cjw_key(&w, "status");
	mvm_cjw_str(&w, mvm_audit_status_name(rep->status));
	mvm_cjw_key(&w, "tenant");
	mvm_cjw_str(&w, tenant);
	mvm_cjw_end_object(&w);
	if (mvm_cjw_finish(&w) == 0)
		printf("%s\n", b.data);
	mvm_buf_free(&b);
}

static int cmd_audit(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ "lines", required_argument, NULL, 'n' },  { "host-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	if (argc < 2) {
		fputs("usage: mvm audit verify|show|tail|recover [--tenant T] [--json] [-n N]\n", stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1], *keypath = c->paths.host_key;
	bool json = false;
	long lines = 10;
	int o;
	optind = 1;
	while ((o = getopt_long(argc - 1, argv + 1, "n:h", opts, NULL)) != -1) {
		switch (o) {
		case 't': c->tenant = optarg; break;
		case 'j': json = true; break;
		case 'k': keypath = optarg; break;
		case 'n':
			lines = strtol(optarg, NULL, 10);
			if (lines < 1 || lines > 1000000) {
				fputs("mvm audit tail: -n 1..1000000\n", stderr);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || check_tenant(c->tenant))
		return EXIT_USAGE;
	struct mvm_audit_report rep;
	if (!strcmp(sub, "verify")) {
		mvm_audit_verify(c->paths.audit, c->tenant, &c->trust, &rep);
		print_report(&rep, c->tenant, json);
		return (int)rep.status;
	}
	if (!strcmp(sub, "recover")) {
		struct mvm_seckey k;
		struct mvm_audit a;
		char err[512];
		if (mvm_host_key_load(keypath, &k))
			return EXIT_IO;
		int r = mvm_audit_init(&a, c->paths.audit, c->tenant, &k, &c->trust, err, sizeof(err));
		if (!r)
			r = mvm_audit_recover(&a, err, sizeof(err));
		mvm_seckey_wipe(&k);
		if (r)
			fprintf(stderr, "mvm audit recover: %s\n", err);
		mvm_audit_verify(c->paths.audit, c->tenant, &c->trust, &rep);
		print_report(&rep, c->tenant, json);
		return (int)rep.status;
	}
	if (!strcmp(sub, "show") || !strcmp(sub, "tail")) {
		struct show s = { json, 0, 0, NULL };
		if (!strcmp(sub, "tail")) {
			s.keep = (size_t)lines;
			s.ring = calloc(s.keep, sizeof(*s.ring));
			if (!s.ring)
				return EXIT_IO;
		}
		int r = mvm_audit_each_line(c->paths.audit, c->tenant, show_line, &s);
		if (s.keep) {
			size_t first = s.n > s.keep ? s.n - s.keep : 0;
			for (size_t i = first; i < s.n; i++)
				print_line(s.ring[i % s.keep], strlen(s.ring[i % s.keep]), json);
			for (size_t i = 0; i < s.keep; i++)
				free(s.ring[i]);
			free(s.ring);
		}
		if (r) {
			fprintf(stderr, "mvm audit %s: %s\n", sub, strerror(-r));
			return r == -ENOENT ? MVM_AUDIT_MISSING : EXIT_IO;
		}
		return EXIT_OK;
	}
	fprintf(stderr, "mvm audit: unknown subcommand '%s'\n", sub);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mvm %s\n", MVM_VERSION);
		return EXIT_OK;
	}
	/* run and doctor set up their own context (run's exit codes are its own: run.h). */
	if (!strcmp(argv[1], "run"))
		return mvm_cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "doctor"))
		return mvm_doctor_command(argc - 1, argv + 1, stdout, stderr);
	struct ctx c;
	if (ctx_init(&c))
		return EXIT_USAGE;
	if (!strcmp(argv[1], "trust"))
		return cmd_trust(&c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "plan"))
		return cmd_plan(&c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "admit"))
		return cmd_admit(&c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "audit"))
		return cmd_audit(&c, argc - 1, argv + 1);
	fprintf(stderr, "mvm: unknown command '%s'\n", argv[1]);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

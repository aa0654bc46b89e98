/* `mvm run`: select a backend, admit the signed bundle (or an execution plan), launch the
 * workload with the exact bytes admission verified, prove its posture before its first
 * instruction, and audit every step (plan.launched, posture.*, plan.exited). docs/run.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "backends/sandbox.h"
#include "doctor.h"
#include "egress.h"
#include "run.h"
#include "runtime.h"
#include "tiers.h"

static const char usage_run[] =
	"usage: mvm run (--profile DIR | --plan FILE [--profile DIR]) [--backend auto|sandbox|qemu|firecracker|docker]\n"
	"               [--share HOST:GUEST[:ro|rw]]... [--require-tier N] [--require-posture full|partial]\n"
	"               [--tenant T] [--host-key K] [--valid-for D] -- CMD [ARGS]\n"
	"\n"
	"Admits the signed bundle in DIR (or the execution plan FILE), launches CMD on the chosen\n"
	"backend, checks its posture before its first instruction, and audits every step.\n"
	"The workload's exit status is mvm's; runtime failures use their own codes:\n"
	"  121 usage  122 admission refused  123 audit log cannot be written\n"
	"  124 posture mismatch  125 backend unavailable, tier too low or setup failed\n"
	"  126 command cannot be executed  127 command not found\n";

struct run_ctx {
	struct mvm_audit audit;
	const char *plan_digest, *bundle_digest;
	const char *labels_json;
	size_t labels_len;
	bool audit_failed;
};

static int audit_event(struct run_ctx *rc, const char *event, const char *detail)
{
	char err[256];
	struct mvm_audit_event ev = {
		.event = event,
		.plan = rc->plan_digest,
		.bundle = rc->bundle_digest,
		.labels_json = rc->labels_json,
		.labels_len = rc->labels_len,
		.detail = detail,
		.ts = (int64_t)time(NULL),
	};
	if (mvm_audit_append(&rc->audit, &ev, NULL, err, sizeof(err))) {
		fprintf(stderr, "mvm: %s could not be audited: %s\n", event, err);
		rc->audit_failed = true;
		return -EIO;
	}
	return 0;
}

/* At the exec stop: record what was checked. An entry that cannot be written refuses the
 * launch (fail closed). */
static int on_posture(void *ctx, const struct mvm_posture_verdict *v, bool acceptable)
{
	struct run_ctx *rc = ctx;
	struct mvm_buf detail = { 0 };
	mvm_posture_format_json(v, &detail);
	const char *event = !acceptable ? "posture.mismatch"
			  : v->status == MVM_POSTURE_VERIFIED ? "posture.verified"
							      : "posture.partial";
	int r = audit_event(rc, event, detail.oom ? NULL : detail.data);
	mvm_buf_free(&detail);
	return r;
}

/* Egress (docs/egress.md): pins and the ruleset in force are audited through the run's log. */
static int egress_audit(void *ctx, const char *event, const char *detail)
{
	return audit_event(ctx, event, detail);
}

struct egress_hooks {
	struct run_ctx *rc;
	struct mvm_egress_run *eg;
};

static void egress_add_checks(void *ctx, struct mvm_posture_verdict *v)
{
	struct egress_hooks *h = ctx;
	if (h->eg)
		mvm_egress_posture_check(h->eg, v);
}

static int egress_on_tick(void *ctx)
{
	struct egress_hooks *h = ctx;
	if (!h->eg || mvm_egress_tick(h->eg) == 0)
		return 0;
	fprintf(stderr, "mvm run: egress rules changed while the workload ran (%s): killing it\n", h->eg->violation);
	audit_event(h->rc, "egress.violated", h->eg->violation);
	return -1;
}

static int egress_on_posture(void *ctx, const struct mvm_posture_verdict *v, bool acceptable)
{
	return on_posture(((struct egress_hooks *)ctx)->rc, v, acceptable);
}

struct run_opts {
	const char *bundle_dir, *plan_file, *backend, *tenant, *host_key;
	int require_tier;
	bool require_full;
	int64_t valid_for;
	size_t nshare;
	char *share_spec[MVM_SANDBOX_MAX_SHARES];
	char **argv;
};

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'P' },   { "plan", required_argument, NULL, 'p' },
		{ "backend", required_argument, NULL, 'b' },   { "share", required_argument, NULL, 's' },
		{ "require-tier", required_argument, NULL, 'T' }, { "require-posture", required_argument, NULL, 'R' },
		{ "tenant", required_argument, NULL, 't' },    { "host-key", required_argument, NULL, 'k' },
		{ "valid-for", required_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	/* '+': stop at the first non-option, so CMD's own options are never ours. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'P': o->bundle_dir = optarg; break;
		case 'p': o->plan_file = optarg; break;
		case 'b': o->backend = optarg; break;
		case 't': o->tenant = optarg; break;
		case 'k': o->host_key = optarg; break;
		case 's':
			if (o->nshare == MVM_SANDBOX_MAX_SHARES) {
				fprintf(stderr, "mvm run: more than %d --share options\n", MVM_SANDBOX_MAX_SHARES);
				return -1;
			}
			o->share_spec[o->nshare++] = optarg;
			break;
		case 'T':
			if (mvm_tier_parse(optarg, &o->require_tier)) {
				fprintf(stderr, "mvm run: --require-tier: '%s' (expected 1, 2 or 3)\n", optarg);
				return -1;
			}
			break;
		case 'R':
			if (strcmp(optarg, "full") && strcmp(optarg, "partial")) {
				fprintf(stderr, "mvm run: --require-posture: '%s' (expected full or partial)\n", optarg);
				return -1;
			}
			o->require_full = !strcmp(optarg, "full");
			break;
		case 'v':
			if (mvm_duration(optarg, &o->valid_for) || o->valid_for > MVM_MAX_WINDOW_LIMIT_S) {
				fprintf(stderr, "mvm run: --valid-for: '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h': fputs(usage_run, stdout); return 1;
		default: return -1;
		}
	}
	if (optind >= argc || (!o->bundle_dir && !o->plan_file)) {
		fprintf(stderr, "mvm run: %s\n", optind >= argc ? "missing -- CMD" : "give --profile DIR or --plan FILE");
		return -1;
	}
	o->argv = argv + optind;
	return 0;
}

int mvm_cmd_run(int argc, char **argv)
{
	struct run_opts o = { .backend = "auto" };
	int pr = parse_opts(argc, argv, &o);
	if (pr) {
		if (pr < 0)
			fputs(usage_run, stderr);
		return pr > 0 ? 0 : MVM_RUN_EXIT_USAGE;
	}
	char err[512];
	struct mvm_paths paths;
	if (mvm_paths_init(&paths, err, sizeof(err))) {
		fprintf(stderr, "mvm: %s\n", err);
		return MVM_RUN_EXIT_SETUP;
	}
	if (!o.tenant)
		o.tenant = getenv("MVM_TENANT") && *getenv("MVM_TENANT") ? getenv("MVM_TENANT") : "default";
	if (!mvm_tenant_valid(o.tenant)) {
		fprintf(stderr, "mvm run: tenant '%s' is not a valid name\n", o.tenant);
		return MVM_RUN_EXIT_USAGE;
	}

	/* 1. Backend and tier: decided before admission, so a run that cannot happen here does
	 * not spend its plan's nonce. */
	struct mvm_probes probes;
	struct mvm_selection sel;
	mvm_doctor_probe(NULL, &probes);
	if (mvm_backend_select(&probes, o.backend, &sel)) {
		fprintf(stderr, "mvm run: %s\n", sel.error);
		return MVM_RUN_EXIT_SETUP;
	}
	int tier = mvm_backend_tier(sel.chosen);
	if (o.require_tier && mvm_require_tier(o.require_tier, tier, err, sizeof(err))) {
		fprintf(stderr, "mvm run: %s\n", err);
		return MVM_RUN_EXIT_SETUP;
	}
	bool filter_readable = probes.p[MVM_PROBE_SECCOMP_GET_FILTER].ok;

	/* 2. Admission. */
	struct mvm_trust trust;
	mvm_paths_trust(&paths, &trust);
	struct mvm_seckey key;
	bool have_key = mvm_host_key_load(o.host_key ? o.host_key : paths.host_key, &key) == 0;
	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_stdlib *st = NULL;
	mvm_arena_init(&arena, 64u << 20);
	mvm_diag_init(&diag, "mvm", stderr);
	int code = MVM_RUN_EXIT_REFUSED;
	char *plan = NULL;
	size_t plan_len = 0;
	struct mvm_admission adm;
	struct mvm_sandbox_plan sp;
	bool have_sp = false;
	struct mvm_egress_spec es;
	struct mvm_egress_run eg;
	bool have_es = false, have_eg = false;
	memset(&adm, 0, sizeof(adm));
	if (mvm_stdlib_load(&arena, &diag, NULL, 0, &st)) {
		code = MVM_RUN_EXIT_SETUP;
		goto out;
	}
	if (o.plan_file) {
		int r = mvm_read_small_file(o.plan_file, MVM_DSSE_MAX_BYTES, false, &plan, &plan_len);
		if (r) {
			fprintf(stderr, "mvm run: %s: %s\n", o.plan_file, strerror(-r));
			code = MVM_RUN_EXIT_REFUSED;
			goto out;
		}
		if (!o.bundle_dir) {
			struct mvm_arena pa;
			struct mvm_exec_plan ep;
			struct mvm_verdict pv = { 0 };
			mvm_arena_init(&pa, 8u << 20);
			if (mvm_exec_plan_verify(&pa, plan, plan_len, &trust, &ep, &pv) == 0 && ep.bundle_path)
				o.bundle_dir = mvm_arena_strdup(&arena, ep.bundle_path);
			mvm_arena_free(&pa);
			if (!o.bundle_dir) {
				fprintf(stderr, "mvm run: refused: %s\n", pv.reason ? pv.detail : "the plan names no bundle; give --profile DIR");
				goto out;
			}
		}
	}
	struct mvm_admission_config cfg = {
		.trust = &trust,
		.host_key = have_key ? &key : NULL,
		.stdlib = st,
		.state_dir = paths.state,
		.audit_dir = paths.audit,
		.tenant = o.tenant,
		.clock = { (int64_t)time(NULL), MVM_DEFAULT_SKEW_S },
		.policy = { MVM_DEFAULT_MAX_WINDOW_S, MVM_DEFAULT_SKEW_S },
	};
	/* The same policy knobs as `mvm admit` (docs/admission.md). */
	const char *mw = getenv("MVM_MAX_WINDOW"), *sk = getenv("MVM_CLOCK_SKEW");
	if ((mw && *mw && (mvm_duration(mw, &cfg.policy.max_window_s) || cfg.policy.max_window_s > MVM_MAX_WINDOW_LIMIT_S)) ||
	    (sk && *sk && strcmp(sk, "0") && (mvm_duration(sk, &cfg.policy.skew_s) || cfg.policy.skew_s > MVM_MAX_SKEW_S))) {
		fprintf(stderr, "mvm run: MVM_MAX_WINDOW (at most 1d) or MVM_CLOCK_SKEW (at most 10m) is invalid\n");
		code = MVM_RUN_EXIT_USAGE;
		goto out;
	}
	if (sk && !strcmp(sk, "0"))
		cfg.policy.skew_s = 0;
	cfg.clock.skew_s = cfg.policy.skew_s;
	struct mvm_admission_request req = { .bundle_dir = o.bundle_dir, .plan = plan, .plan_len = plan_len,
					     .valid_for = o.valid_for };
	struct mvm_verdict v = { 0 };
	if (mvm_admit(&cfg, &req, &adm, &v)) {
		fprintf(stderr, "mvm run: refused (%s): %s\n", mvm_reject_name(v.reason), v.detail);
		code = v.reason == MVM_REJECT_AUDIT ? MVM_RUN_EXIT_AUDIT : MVM_RUN_EXIT_REFUSED;
		goto out;
	}

	/* 3. The launch, from the bytes admission verified. */
	struct run_ctx rc = {
		.plan_digest = adm.plan.digest,
		.bundle_digest = adm.bundle.digest,
		.labels_json = adm.bundle.plan.labels_json,
		.labels_len = adm.bundle.plan.labels_json_len,
	};
	if (mvm_audit_init(&rc.audit, paths.audit, o.tenant, &key, &trust, err, sizeof(err))) {
		fprintf(stderr, "mvm run: %s\n", err);
		code = MVM_RUN_EXIT_AUDIT;
		goto out;
	}
	struct utsname un;
	uname(&un);
	int r = mvm_sandbox_plan_from_bundle(&adm.bundle, un.machine, &sp, err, sizeof(err));
	have_sp = true;
	for (size_t i = 0; r == 0 && i < o.nshare; i++) {
		struct mvm_sandbox_share sh;
		if ((r = mvm_sandbox_parse_share(o.share_spec[i], &sh, err, sizeof(err))) == 0)
			r = mvm_sandbox_plan_add_share(&sp, &sh, err, sizeof(err));
	}
	if (r == 0) {
		r = mvm_egress_spec_from_bundle(&adm.bundle, &es, err, sizeof(err));
		have_es = true;
		if (r == -ENOENT) /* no egress section: no network device but loopback */
			r = 0, have_es = false, mvm_egress_spec_free(&es);
	}
	if (r) {
		fprintf(stderr, "mvm run: %s\n", err);
		audit_event(&rc, "plan.launch-failed", err);
		code = MVM_RUN_EXIT_SETUP;
		goto out;
	}
	struct mvm_tier_ack ack;
	mvm_tier_ack_from_env(&ack);
	if (ack.warning[0])
		fprintf(stderr, "mvm: warning: %s\n", ack.warning);
	if (!ack.acked) {
		struct mvm_buf banner = { 0 };
		mvm_tier_banner(&banner, sel.chosen, filter_readable);
		if (banner.len)
			fputs(banner.data, stderr);
		mvm_buf_free(&banner);
	}
	sp.cfg.argv = o.argv;
	sp.cfg.require_full_posture = o.require_full;
	char launched[128];
	snprintf(launched, sizeof(launched), "backend %s, tier %d", mvm_backend_name(sel.chosen), tier);
	if (audit_event(&rc, "plan.launched", launched)) {
		code = MVM_RUN_EXIT_AUDIT;
		goto out;
	}
	/* Egress: the rules are in force before the sandbox exists (docs/egress.md). */
	struct mvm_egress_config ecfg = { .spec = &es, .audit = egress_audit, .audit_ctx = &rc };
	struct egress_hooks eh = { &rc, NULL };
	struct mvm_sandbox_hooks hooks = { on_posture, &rc, NULL, NULL, -1 };
	if (have_es) {
		have_eg = true;
		if ((r = mvm_egress_setup(&eg, &ecfg, err, sizeof(err)))) {
			fprintf(stderr, "mvm run: egress: %s\n", err);
			audit_event(&rc, "plan.launch-failed", err);
			code = rc.audit_failed ? MVM_RUN_EXIT_AUDIT : MVM_RUN_EXIT_SETUP;
			goto out;
		}
		char applied[256];
		snprintf(applied, sizeof(applied), "table inet %s, device %s, %s and %s, rules %s", eg.slot.table, eg.slot.iface,
			 eg.slot.addr4_text, eg.slot.addr6_text, eg.expected);
		if (audit_event(&rc, "egress.applied", applied)) {
			code = MVM_RUN_EXIT_AUDIT;
			goto out;
		}
		eh.eg = &eg;
		sp.cfg.net = &eg.net;
		hooks = (struct mvm_sandbox_hooks){ egress_on_posture, &eh, egress_add_checks, egress_on_tick, mvm_egress_tick_fd(&eg) };
	}
	struct mvm_sandbox_result res;
	memset(&res, 0, sizeof(res));
	r = mvm_sandbox_run(&sp.cfg, &hooks, &res);
	int status = mvm_sandbox_exit_code(&res);
	if (res.outcome != MVM_SANDBOX_RAN)
		fprintf(stderr, "mvm run: %s: %s\n", mvm_sandbox_outcome_name(res.outcome), res.error);
	char exited[320];
	snprintf(exited, sizeof(exited), "outcome %s, exit %d%s%s", mvm_sandbox_outcome_name(res.outcome), status,
		 res.error[0] ? ": " : "", res.error);
	audit_event(&rc, "plan.exited", exited);
	if (rc.audit_failed && res.outcome == MVM_SANDBOX_REFUSED_POSTURE && !res.posture_checked)
		code = MVM_RUN_EXIT_AUDIT;
	else
		code = res.outcome == MVM_SANDBOX_REFUSED_FILTER ? MVM_RUN_EXIT_POSTURE : status;
out:
	if (have_eg)
		mvm_egress_teardown(&eg);
	if (have_es)
		mvm_egress_spec_free(&es);
	if (have_sp)
		mvm_sandbox_plan_free(&sp);
	mvm_admission_free(&adm);
	if (have_key)
		mvm_seckey_wipe(&key);
	free(plan);
	mvm_arena_free(&arena);
	return code;
}

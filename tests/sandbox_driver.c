/* sandbox_driver: runs one command through the sandbox backend, for the process-level tests
 * (tests/sandbox_*.sh) and by hand. The filter bytes are read here, by the test harness, and
 * passed to the backend as memory, as `mvm run` passes the verified bundle's bytes.
 *
 *   sandbox_driver --filter FILE [--signed FILE | --digest sha256:HEX] [--rootfs DIR]
 *                  [--share HOST:GUEST[:ro|rw]]... [--uid N] [--gid N] [--keep-cap N]...
 *                  [--cwd DIR] [--env K=V]... [--require-full] [--userns] [--report FILE]
 *                  [--hook-refuse] -- CMD [ARGS...]
 *   sandbox_driver --bundle DIR --publisher KEY.pub [--share ...] [--cwd ...] [--env ...] ... -- CMD
 *
 * With --bundle, the signed bundle in DIR is verified against the publisher key (lib/bundle.h)
 * and the launch is the one its plan asks for (mvm_sandbox_plan_from_bundle): the verified
 * filter bytes, their signed digest, uid, gid, capabilities, rootfs and shares; --share adds
 * to the plan's shares. (Admission proper, with plans, nonces and audit, is `mvm run`'s.)
 *
 * The signed digest defaults to the sha256 of --filter (as if that file had been signed).
 * --report writes "outcome=NAME", "user_namespace=0|1", the posture report (text) and its JSON
 * to FILE, and "hook=called acceptable=0|1" when the posture hook ran. --hook-refuse makes the
 * hook refuse the launch (as `mvm run` does when it cannot audit posture.verified). Exit status: the workload's (death by signal N is re-raised), else one of
 * MVM_SANDBOX_EXIT_* (124 posture/filter refused, 125 setup, 126 exec, 127 not found). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/bundle.h"
#include "../lib/keys.h"
#include "../lib/digest.h"
#include "../runtime/backends/sandbox.h"

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = cap < (1u << 24) ? realloc(buf, cap *= 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

struct hook_state {
	bool refuse, called, acceptable;
};

static int on_posture(void *ctx, const struct mvm_posture_verdict *v, bool acceptable)
{
	struct hook_state *h = ctx;
	(void)v;
	h->called = true;
	h->acceptable = acceptable;
	return h->refuse ? -EIO : 0;
}

static void write_report(const char *path, const struct mvm_sandbox_result *res, const struct hook_state *h)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "sandbox_driver: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "outcome=%s\nuser_namespace=%d\n", mvm_sandbox_outcome_name(res->outcome), res->user_namespace);
	if (res->error[0])
		fprintf(f, "error=%s\n", res->error);
	if (h->called)
		fprintf(f, "hook=called acceptable=%d\n", h->acceptable);
	if (res->posture_checked) {
		struct mvm_buf b = { 0 };
		mvm_posture_format_text(&res->posture, &b);
		mvm_buf_puts(&b, "json=");
		mvm_posture_format_json(&res->posture, &b);
		mvm_buf_puts(&b, "\n");
		if (b.data)
			fputs(b.data, f);
		mvm_buf_free(&b);
	}
	fclose(f);
}

static int launch(const struct mvm_sandbox_config *cfg, const char *report, struct hook_state *hook);

/* --bundle: verify, take the plan's launch, add the command line's extras. */
static int run_bundle(const char *dir, const char *publisher, const struct mvm_sandbox_config *cli, const char *report,
		      struct hook_state *hook)
{
	struct mvm_pubkey pub;
	char err[512];
	if (!publisher || mvm_pubkey_load(publisher, &pub, err, sizeof(err))) {
		fprintf(stderr, "sandbox_driver: --bundle needs --publisher KEY.pub%s%s\n", publisher ? ": " : "",
			publisher ? err : "");
		return 2;
	}
	struct mvm_trust trust = { .nkey = 1, .key = &pub };
	struct mvm_clock clock = { .now = (int64_t)time(NULL), .skew_s = 60 };
	struct mvm_bundle b;
	struct mvm_verdict v;
	if (mvm_bundle_load_dir(dir, &trust, &clock, &b, &v)) {
		fprintf(stderr, "sandbox_driver: bundle refused: %s: %s\n", mvm_reject_name(v.reason), v.detail);
		mvm_bundle_free(&b);
		return MVM_SANDBOX_EXIT_POSTURE;
	}
	struct utsname u;
	struct mvm_sandbox_plan plan;
	int rc = uname(&u) ? -errno : mvm_sandbox_plan_from_bundle(&b, u.machine, &plan, err, sizeof(err));
	for (size_t i = 0; !rc && i < cli->nshares; i++)
		rc = mvm_sandbox_plan_add_share(&plan, &cli->shares[i], err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sandbox_driver: %s\n", err);
		mvm_sandbox_plan_free(&plan);
		mvm_bundle_free(&b);
		return MVM_SANDBOX_EXIT_SETUP;
	}
	plan.cfg.argv = cli->argv;
	plan.cfg.env = cli->env;
	plan.cfg.cwd = cli->cwd;
	plan.cfg.require_full_posture = cli->require_full_posture;
	plan.cfg.force_userns = cli->force_userns;
	rc = launch(&plan.cfg, report, hook);
	mvm_sandbox_plan_free(&plan);
	mvm_bundle_free(&b);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: sandbox_driver --filter FILE [options] -- CMD [ARGS...] (see tests/sandbox_driver.c)\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filter", required_argument, NULL, 'f' }, { "signed", required_argument, NULL, 's' },
		{ "digest", required_argument, NULL, 'd' }, { "rootfs", required_argument, NULL, 'r' },
		{ "share", required_argument, NULL, 'S' },  { "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },    { "keep-cap", required_argument, NULL, 'k' },
		{ "cwd", required_argument, NULL, 'c' },    { "env", required_argument, NULL, 'e' },
		{ "require-full", no_argument, NULL, 'F' }, { "userns", no_argument, NULL, 'U' },
		{ "report", required_argument, NULL, 'R' }, { "hook-refuse", no_argument, NULL, 'H' },
		{ "bundle", required_argument, NULL, 'B' }, { "publisher", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvm_sandbox_config cfg;
	mvm_sandbox_config_init(&cfg);
	struct mvm_sandbox_share shares[MVM_SANDBOX_MAX_SHARES];
	const char *env[MVM_SANDBOX_MAX_ENV + 1] = { 0 };
	size_t nenv = 0;
	const char *filter_path = NULL, *signed_path = NULL, *digest = NULL, *report = NULL, *bundle_dir = NULL,
		   *publisher = NULL;
	char err[256];
	struct hook_state hook = { 0 };
	int o;
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 'f': filter_path = optarg; break;
		case 's': signed_path = optarg; break;
		case 'd': digest = optarg; break;
		case 'r': cfg.rootfs = optarg; break;
		case 'S':
			if (cfg.nshares == MVM_SANDBOX_MAX_SHARES ||
			    mvm_sandbox_parse_share(optarg, &shares[cfg.nshares], err, sizeof(err))) {
				fprintf(stderr, "sandbox_driver: %s\n", err);
				return 2;
			}
			cfg.nshares++;
			break;
		case 'u': cfg.uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'g': cfg.gid = (gid_t)strtoul(optarg, NULL, 10); break;
		case 'k': cfg.keep_caps |= 1ull << (strtoul(optarg, NULL, 10) & 63); break;
		case 'c': cfg.cwd = optarg; break;
		case 'e':
			if (nenv == MVM_SANDBOX_MAX_ENV)
				return usage();
			env[nenv++] = optarg;
			break;
		case 'F': cfg.require_full_posture = true; break;
		case 'U': cfg.force_userns = true; break;
		case 'R': report = optarg; break;
		case 'H': hook.refuse = true; break;
		case 'B': bundle_dir = optarg; break;
		case 'P': publisher = optarg; break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	cfg.shares = shares;
	cfg.env = env;
	cfg.argv = argv + optind;
	if (bundle_dir)
		return run_bundle(bundle_dir, publisher, &cfg, report, &hook);
	if (!filter_path)
		return usage();

	size_t len, slen;
	void *filter = read_file(filter_path, &len);
	if (!filter || len == 0 || len % sizeof(struct sock_filter)) {
		fprintf(stderr, "sandbox_driver: %s: not a BPF program\n", filter_path);
		return 2;
	}
	char d[MVM_DIGEST_STRLEN];
	if (signed_path) {
		void *s = read_file(signed_path, &slen);
		if (!s || mvm_sha256_str(s, slen, d)) {
			fprintf(stderr, "sandbox_driver: %s: unreadable\n", signed_path);
			return 2;
		}
		free(s);
		digest = d;
	} else if (!digest) {
		if (mvm_sha256_str(filter, len, d))
			return 2;
		digest = d;
	}
	cfg.filter = filter;
	cfg.filter_len = len / sizeof(struct sock_filter);
	cfg.filter_digest = digest;

	int rc = launch(&cfg, report, &hook);
	free(filter);
	return rc;
}

static int launch(const struct mvm_sandbox_config *cfg, const char *report, struct hook_state *hook)
{
	struct mvm_sandbox_result res;
	struct mvm_sandbox_hooks hooks = { .on_posture = on_posture, .ctx = hook };
	int rc = mvm_sandbox_run(cfg, &hooks, &res);
	if (report)
		write_report(report, &res, hook);
	if (rc)
		fprintf(stderr, "sandbox_driver: %s: %s\n", mvm_sandbox_outcome_name(res.outcome), res.error);
	if (res.outcome == MVM_SANDBOX_RAN && WIFSIGNALED(res.wait_status)) {
		/* Die of the same signal, so the caller sees what the workload's parent would. */
		int sig = WTERMSIG(res.wait_status);
		signal(sig, SIG_DFL);
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		kill(getpid(), sig);
	}
	return mvm_sandbox_exit_code(&res);
}

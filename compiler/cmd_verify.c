/* mvmc verify: checks a signed bundle directory the way the runtime admits it (envelope,
 * trusted publisher key, signature over the bytes on disk, strict plan, validity, every
 * artifact re-hashed), without admitting anything. The intent ceiling is re-checked by the
 * runtime at admission. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/bundle.h"
#include "../lib/canon_json.h"
#include "commands.h"
#include "spec.h"

static const char usage_verify[] =
	"usage: mvmc verify DIR --trust TRUSTDIR [--trust TRUSTDIR]... [--json] [--at UNIXTIME] [--skew DURATION]\n"
	"\n"
	"Verify the signed bundle in DIR: bundle.dsse.json is signed by a publisher key in a trust\n"
	"store (TRUSTDIR/publisher/KEYID.pub, as `mvm trust add` lays it out), plan.json is the signed\n"
	"payload, the plan is schema 1 with no unknown field, now is within not_before..not_after\n"
	"(with --skew, default 60s), and every artifact has the digest the plan names.\n"
	"\n"
	"exit codes: 0 verified, 1 refused (reason printed; in --json), 2 usage, 3 I/O\n";

static void print_json(const char *dir, int ok, const struct mvm_bundle *b, const struct mvm_verdict *v)
{
	struct mvm_buf out = { 0 };
	struct mvm_cjw w;
	mvm_cjw_init(&w, &out);
	mvm_cjw_begin_object(&w);
	if (ok) {
		mvm_cjw_key(&w, "artifacts");
		mvm_cjw_int(&w, (int64_t)b->plan.nartifact);
		mvm_cjw_key(&w, "bundle");
		mvm_cjw_str(&w, b->digest);
	} else {
		mvm_cjw_key(&w, "detail");
		mvm_cjw_str(&w, v->detail);
	}
	mvm_cjw_key(&w, "dir");
	mvm_cjw_str(&w, dir);
	if (ok) {
		mvm_cjw_key(&w, "keyid");
		mvm_cjw_str(&w, b->signer.keyid);
		mvm_cjw_key(&w, "not_after");
		mvm_cjw_int(&w, b->plan.not_after);
		mvm_cjw_key(&w, "not_before");
		mvm_cjw_int(&w, b->plan.not_before);
		mvm_cjw_key(&w, "plan");
		mvm_cjw_str(&w, b->plan_digest);
	} else {
		mvm_cjw_key(&w, "reason");
		mvm_cjw_str(&w, mvm_reject_name(v->reason));
	}
	mvm_cjw_key(&w, "result");
	mvm_cjw_str(&w, ok ? "verified" : "refused");
	mvm_cjw_end_object(&w);
	if (mvm_cjw_finish(&w) == 0)
		printf("%s\n", out.data);
	mvm_buf_free(&out);
}

int mvmc_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "at", required_argument, NULL, 'a' },
		{ "skew", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvm_trust trust = { 0 };
	struct mvm_clock clock = { (int64_t)time(NULL), 60 };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (trust.nroot == MVM_TRUST_MAX_ROOTS) {
				fprintf(stderr, "mvmc verify: at most %d --trust\n", MVM_TRUST_MAX_ROOTS);
				return MVMC_EXIT_USAGE;
			}
			trust.root[trust.nroot++] = optarg;
			break;
		case 'j': json = true; break;
		case 'a': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0) {
				fprintf(stderr, "mvmc verify: --at '%s' (expected unix seconds)\n", optarg);
				return MVMC_EXIT_USAGE;
			}
			clock.now = v;
			break;
		}
		case 's': {
			uint64_t s;
			if (mvm_parse_duration(optarg, &s) || s > 3600) {
				fprintf(stderr, "mvmc verify: --skew '%s' (expected N followed by s, m or h; at most 1h)\n", optarg);
				return MVMC_EXIT_USAGE;
			}
			clock.skew_s = (int64_t)s;
			break;
		}
		case 'h': fputs(usage_verify, stdout); return MVMC_EXIT_OK;
		default: fputs(usage_verify, stderr); return MVMC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !trust.nroot) {
		fprintf(stderr, "mvmc verify: %s\n", !trust.nroot ? "missing --trust TRUSTDIR" : "expected exactly one DIR");
		fputs(usage_verify, stderr);
		return MVMC_EXIT_USAGE;
	}
	const char *dir = argv[optind];
	struct mvm_bundle b;
	struct mvm_verdict v;
	int r = mvm_bundle_load_dir(dir, &trust, &clock, &b, &v);
	int code = r == 0 ? MVMC_EXIT_OK : v.reason == MVM_REJECT_IO ? MVMC_EXIT_IO : MVMC_EXIT_REFUSED;
	if (json)
		print_json(dir, r == 0, &b, &v);
	else if (r == 0)
		printf("verified: %s (plan %s) signed by publisher key %s; valid %lld..%lld; %zu artifact(s) match\n", dir,
		       b.plan_digest, b.signer.keyid, (long long)b.plan.not_before, (long long)b.plan.not_after,
		       b.plan.nartifact);
	if (r)
		fprintf(stderr, "mvmc verify: %s: refused (%s): %s\n", dir, mvm_reject_name(v.reason), v.detail);
	mvm_bundle_free(&b);
	return code;
}

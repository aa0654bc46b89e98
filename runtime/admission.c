/* Admission, per launch: verify the bundle -> re-check the intent ceiling -> issue or accept
 * an execution plan -> check its window -> check-and-insert its nonce -> audit plan.admitted.
 * Every step fails closed, and every refusal is audited as plan.rejected.<reason>. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

int mvm_plan_check_ceiling(const struct mvm_stdlib *st, const struct mvm_plan *p, struct mvm_verdict *v)
{
	/* A profile without an intent claims no ceiling; the compiler checked its rules as written. */
	if (!p->intent)
		return 0;
	const struct mvm_intent *in = mvm_stdlib_intent(st, p->intent);
	if (!in)
		return mvm_refuse(v, MVM_REJECT_INTENT_CEILING, "intent '%s' is unknown to this runtime", p->intent);
	if (p->tier) {
		int t = mvm_tier_index(p->tier);
		if (t < 0)
			return mvm_refuse(v, MVM_REJECT_INTENT_CEILING, "tier '%s' is unknown to this runtime", p->tier);
		if (t > in->max_tier)
			return mvm_refuse(v, MVM_REJECT_INTENT_CEILING, "tier '%s' is above the ceiling of intent '%s' ('%s')",
					  p->tier, in->name, mvm_tier_names[in->max_tier]);
	}
	/* The resolver is a destination too: DNS is egress (and a channel out). */
	if (p->egress && p->egress_resolver && !p->negress_rules && !in->egress_allowed)
		return mvm_refuse(v, MVM_REJECT_INTENT_CEILING, "intent '%s' allows no egress, the plan allows DNS to a resolver",
				  in->name);
	if (p->egress && p->negress_rules && !in->egress_allowed)
		return mvm_refuse(v, MVM_REJECT_INTENT_CEILING, "intent '%s' allows no egress, the plan allows %zu destination(s)",
				  in->name, p->negress_rules);
	static const char *const names[] = { "none", "attestation-bound", "plan-bound" }; /* loosening order */
	static const int rank_of[] = { [MVM_SECRETS_NONE] = 0, [MVM_SECRETS_ATTESTATION_BOUND] = 1, [MVM_SECRETS_PLAN_BOUND] = 2 };
	int rank = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(p->secrets, names[i]) == 0)
			rank = i;
	if (rank < 0 || rank > rank_of[in->max_secrets])
		return mvm_refuse(v, MVM_REJECT_INTENT_CEILING, "secrets.release '%s' is looser than intent '%s' allows",
				  p->secrets, in->name);
	return 0;
}

static void audit_rejection(struct mvm_audit *a, const struct mvm_admission *out, const struct mvm_verdict *v,
			    int64_t now)
{
	char event[64];
	snprintf(event, sizeof(event), "plan.rejected.%s", mvm_reject_name(v->reason));
	const struct mvm_bundle *b = &out->bundle;
	struct mvm_audit_event ev = {
		.event = event,
		.plan = out->plan.digest[0] ? out->plan.digest : NULL,
		.bundle = b->digest[0] ? b->digest : NULL,
		.labels_json = b->plan.labels_json,
		.labels_len = b->plan.labels_json_len,
		.detail = v->detail,
		.ts = now,
	};
	char err[256];
	if (mvm_audit_append(a, &ev, NULL, err, sizeof(err)))
		fprintf(stderr, "mvm: warning: the rejection could not be audited: %s\n", err);
}

int mvm_admit(const struct mvm_admission_config *cfg, const struct mvm_admission_request *req,
	      struct mvm_admission *out, struct mvm_verdict *v)
{
	char err[512];
	struct mvm_audit audit;
	memset(out, 0, sizeof(*out));
	mvm_arena_init(&out->arena, 16u << 20);
	v->reason = MVM_REJECT_NONE;
	v->detail[0] = 0;
	if (!cfg->host_key)
		return mvm_refuse(v, MVM_REJECT_NO_HOST_KEY, "no host key: admission cannot sign a plan or the audit log");
	if (mvm_audit_init(&audit, cfg->audit_dir, cfg->tenant, cfg->host_key, cfg->trust, err, sizeof(err)))
		return mvm_refuse(v, MVM_REJECT_AUDIT, "%s", err);
	if (cfg->audit_segment_max)
		audit.segment_max = cfg->audit_segment_max;

	int r;
	if (req->bundle_dir)
		r = mvm_bundle_load_dir(req->bundle_dir, cfg->trust, &cfg->clock, &out->bundle, v);
	else
		r = mvm_bundle_verify(req->bundle, cfg->trust, &cfg->clock, &out->bundle, v);
	if (r || (r = mvm_plan_check_ceiling(cfg->stdlib, &out->bundle.plan, v)))
		goto rejected;

	const char *pbytes = req->plan;
	size_t plen = req->plan_len;
	if (!pbytes) {
		int64_t want = req->valid_for ? req->valid_for
				: out->bundle.plan.valid_for_s ? out->bundle.plan.valid_for_s
							       : MVM_DEFAULT_WINDOW_S;
		if (want > cfg->policy.max_window_s)
			want = cfg->policy.max_window_s; /* the host's policy bounds what a bundle asks for */
		char real[PATH_MAX];
		const char *path = req->bundle_dir && realpath(req->bundle_dir, real) ? real : NULL;
		if ((r = mvm_exec_plan_issue(cfg->host_key, &out->bundle, path, cfg->tenant, cfg->clock.now, want,
					     &cfg->policy, &out->plan_envelope, err, sizeof(err)))) {
			r = mvm_refuse(v, MVM_REJECT_IO, "cannot issue a plan: %s", err);
			goto rejected;
		}
		pbytes = out->plan_envelope.data;
		plen = out->plan_envelope.len;
	} else {
		mvm_buf_put(&out->plan_envelope, pbytes, plen);
		if (out->plan_envelope.oom) {
			r = mvm_refuse(v, MVM_REJECT_IO, "out of memory");
			goto rejected;
		}
		pbytes = out->plan_envelope.data;
	}
	/* Issued or given, a plan goes through the same verification over its bytes. */
	if ((r = mvm_exec_plan_verify(&out->arena, pbytes, plen, cfg->trust, &out->plan, v)) ||
	    (r = mvm_exec_plan_check(&out->plan, &out->bundle, cfg->tenant, &cfg->clock, &cfg->policy, v)))
		goto rejected;
	/* Kept until no clock within the largest configurable skew could still admit the plan. */
	if ((r = mvm_nonce_check_insert(cfg->state_dir, out->plan.nonce, out->plan.valid_until + MVM_MAX_SKEW_S,
					cfg->clock.now, v)))
		goto rejected;
	struct mvm_audit_event ev = {
		.event = "plan.admitted",
		.plan = out->plan.digest,
		.bundle = out->bundle.digest,
		.labels_json = out->bundle.plan.labels_json,
		.labels_len = out->bundle.plan.labels_json_len,
		.ts = cfg->clock.now,
	};
	if (mvm_audit_append(&audit, &ev, &out->audit_seq, err, sizeof(err)))
		return mvm_refuse(v, MVM_REJECT_AUDIT, "plan.admitted could not be written, so the launch is refused: %s", err);
	return 0;
rejected:
	audit_rejection(&audit, out, v, cfg->clock.now);
	return r;
}

void mvm_admission_free(struct mvm_admission *a)
{
	mvm_bundle_free(&a->bundle);
	mvm_buf_free(&a->plan_envelope);
	mvm_arena_free(&a->arena);
	memset(a, 0, sizeof(*a));
}

/* Lint checks on the profile's posture beyond single rules: egress against seccomp (MVM011,
 * compiler/consistency.c's verdicts), the unrestricted tier under a production intent
 * (MVM013) and a secret release looser than the intent tolerates (MVM014). The rest of the
 * intent ceiling (MVM010) comes from the compiler's own check. */
#include <string.h>

#include "consistency.h"
#include "lint_int.h"

/* Intents named debug:* are for a developer's own machine; every other one is production. */
static bool production_intent(const char *intent)
{
	return strncmp(intent, "debug:", 6) != 0;
}

static int looseness(enum mvm_secret_release s)
{
	return s == MVM_SECRETS_NONE ? 0 : s == MVM_SECRETS_ATTESTATION_BOUND ? 1 : 2;
}

static const char *secrets_name(enum mvm_secret_release s)
{
	return s == MVM_SECRETS_NONE ? "none" : s == MVM_SECRETS_ATTESTATION_BOUND ? "attestation-bound" : "plan-bound";
}

/* A profile says something about its network when it has an intent or an egress section; a
 * base profile (a tier) says neither and is not judged. */
static void check_consistency(struct lint_file *lf)
{
	const struct mvm_profile *p = lf->p;
	if (!lf->complete || (!p->intent && !p->egress.present))
		return;
	struct capture c;
	if (lint_capture_open(&c))
		return;
	mvm_check_consistency(&c.d, lf->st, p, false);
	struct mvm_lint_result *r = lf->res;
	size_t from = r->n;
	lint_take_diags(lf, lint_capture_text(&c), MVM_LINT_EGRESS_SECCOMP, (struct mvm_loc){ 0 });
	lint_capture_close(&c);
	/* Its errors are the intent's egress ceiling: MVM010, said once per place. */
	size_t w = from;
	for (size_t i = from; i < r->n; i++) {
		struct mvm_lint_finding *f = &r->f[i];
		bool dup = false;
		if (f->severity == MVM_LINT_ERROR) {
			f->rule = MVM_LINT_CEILING;
			dup = !lint_enabled(lf, MVM_LINT_CEILING);
			for (size_t j = lf->first; j < from && !dup; j++)
				dup = r->f[j].rule == MVM_LINT_CEILING && r->f[j].loc.line == f->loc.line &&
				      r->f[j].loc.col == f->loc.col && strcmp(r->f[j].loc.file, f->loc.file) == 0;
		}
		if (!dup)
			r->f[w++] = *f;
	}
	r->n = w;
}

/* MVM013 says what the compiler's ceiling error at the same place says, more precisely. */
static void unrestricted(struct lint_file *lf, struct mvm_loc at, const char *msg, const char *intent)
{
	if (!lint_enabled(lf, MVM_LINT_UNRESTRICTED))
		return;
	struct mvm_lint_result *r = lf->res;
	size_t w = lf->first;
	for (size_t i = lf->first; i < r->n; i++) {
		const struct mvm_lint_finding *f = &r->f[i];
		if (!(f->rule == MVM_LINT_CEILING && f->loc.line == at.line && f->loc.col == at.col &&
		      strcmp(f->loc.file, at.file) == 0))
			r->f[w++] = *f;
	}
	r->n = w;
	lint_add(lf, MVM_LINT_UNRESTRICTED, at, msg, intent);
}

static struct mvm_loc at_or_file(const struct lint_file *lf, struct mvm_loc l)
{
	return lint_own(lf, l) ? l : lint_file_loc(lf);
}

void lint_check_posture(struct lint_file *lf)
{
	const struct mvm_profile *p = lf->p;
	check_consistency(lf);
	const struct mvm_intent *in = p->intent ? mvm_stdlib_intent(lf->st, p->intent) : NULL;
	if (!in)
		return;
	if (production_intent(in->name)) {
		if (p->tier && strcmp(p->tier, "unrestricted") == 0) {
			unrestricted(lf, at_or_file(lf, p->extends_loc),
				     "tier 'unrestricted' under the production intent '%s': it allows everything no lower tier "
				     "refuses, and is meant for debugging (intent debug:local)", in->name);
		} else {
			for (int a = 0; a < MVM_ARCH_COUNT; a++) {
				if (!(p->arch_mask & (1u << a)) || !lint_permissive(p->filter[a].default_action))
					continue;
				unrestricted(lf, at_or_file(lf, lf->info.default_loc),
					     "the default action lets every unlisted call through under the production intent "
					     "'%s': that is tier unrestricted in all but name", in->name);
				break;
			}
		}
	}
	if (looseness(p->secrets) > looseness(in->max_secrets)) {
		struct mvm_loc l = { 0 };
		for (size_t i = 0; i < lf->info.nlink && !l.file; i++)
			if (lf->info.spec[i]->has_secrets)
				l = lf->info.spec[i]->secrets_loc;
		lint_add(lf, MVM_LINT_SECRETS, l.file ? l : lint_file_loc(lf),
			 "secrets.release '%s' is weaker than intent '%s' requires (at most '%s'): %s", secrets_name(p->secrets),
			 in->name, secrets_name(in->max_secrets),
			 in->max_secrets == MVM_SECRETS_NONE ? "this intent must never hold a secret"
							     : "release the secret only to an attested guest");
	}
}

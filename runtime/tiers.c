/* Backends, tiers, claims per backend, the tier-3 banner and its acknowledgement. */
#include "tiers.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_toml.h"

struct backend_info {
	const char *name;
	int tier;
	bool built;
	const char *layers;
};

static const struct backend_info backends[MVM_BACKEND_COUNT] = {
	[MVM_BACKEND_FIRECRACKER] = { "firecracker", 1, false,
				      "L1-L5: KVM host, Firecracker VMM, own guest kernel, guest agent, workload" },
	[MVM_BACKEND_QEMU] = { "qemu", 2, false,
			       "L1-L5 with QEMU (microvm machine) as the VMM: a larger device model than Firecracker" },
	[MVM_BACKEND_SANDBOX] = { "sandbox", 3, true,
				  "L5 only (uid drop, empty capability sets, no_new_privs, seccomp filter, namespaces); "
				  "L1-L3 collapse to the host kernel; no VMM, no guest agent" },
	[MVM_BACKEND_DOCKER] = { "docker", 3, false,
				 "L5 only (the engine's namespaces and the OCI seccomp.json); L1-L3 collapse to the host "
				 "kernel; the Docker engine is trusted" },
};

const char *mvm_backend_name(enum mvm_backend b)
{
	return (unsigned)b < MVM_BACKEND_COUNT ? backends[b].name : "?";
}

int mvm_backend_parse(const char *name, enum mvm_backend *out)
{
	for (int b = 0; b < MVM_BACKEND_COUNT; b++)
		if (name && !strcmp(name, backends[b].name)) {
			*out = (enum mvm_backend)b;
			return 0;
		}
	return -EINVAL;
}

int mvm_backend_tier(enum mvm_backend b)
{
	return (unsigned)b < MVM_BACKEND_COUNT ? backends[b].tier : 0;
}

bool mvm_backend_built(enum mvm_backend b)
{
	return (unsigned)b < MVM_BACKEND_COUNT && backends[b].built;
}

const char *mvm_backend_layers(enum mvm_backend b)
{
	return (unsigned)b < MVM_BACKEND_COUNT ? backends[b].layers : "?";
}

const char *mvm_claim_state_name(enum mvm_claim_state s)
{
	switch (s) {
	case MVM_CLAIM_HOLDS: return "holds";
	case MVM_CLAIM_PARTLY: return "partly";
	case MVM_CLAIM_DOES_NOT_HOLD: return "does-not-hold";
	case MVM_CLAIM_NOT_APPLICABLE: return "not-applicable";
	case MVM_CLAIM_NOT_BUILT: return "not-built-yet";
	}
	return "?";
}

static const char *const claim_text[MVM_CLAIM_COUNT] = {
	"no host-fs access from a workload beyond explicit shares",
	"no workload binary can elevate to uid 0",
	"a tampered rootfs fails to boot",
	"the production agent has no exec-anything handler",
	"every host<->guest message decoder is fuzzed; unknown fields rejected",
	"images are hash-verified while they download",
	"dependencies are pinned and audited; builds are reproducible",
	"every workload runs from a signed, admitted plan",
	"the running posture is the signed one",
	"no network unless the profile allows it",
};

/* The sandbox backend, claim by claim. What the tests prove is named in gate. */
static void sandbox_claims(bool filter_readable, struct mvm_claim_status c[MVM_CLAIM_COUNT])
{
	c[0].state = MVM_CLAIM_PARTLY;
	c[0].why = "writes reach only rw shares; reads are confined to the shares only when the profile names a rootfs: "
		   "with the host's / as the read-only root (the default) every world-readable host file outside "
		   "/proc /sys /dev /run /tmp is readable, and a world-connectable unix socket there can be connected to";
	c[0].gate = "tests/sandbox_fs.sh";
	c[1].state = MVM_CLAIM_HOLDS;
	c[1].why = "non-zero uid, every capability set empty, no_new_privs, nosuid mounts; but it rests on the shared "
		   "host kernel having no privilege-escalation bug reachable through the filter";
	c[1].gate = "tests/sandbox_fs.sh";
	c[2].state = MVM_CLAIM_DOES_NOT_HOLD;
	c[2].why = "no VM boots: the root is the host's files (or a rootfs directory), not a verity-checked image";
	c[3].state = MVM_CLAIM_NOT_APPLICABLE;
	c[3].why = "no guest agent: the runtime launches the workload itself";
	c[4].state = MVM_CLAIM_NOT_APPLICABLE;
	c[4].why = "no host<->guest messages";
	c[5].state = MVM_CLAIM_NOT_APPLICABLE;
	c[5].why = "no image is downloaded";
	c[6].state = MVM_CLAIM_NOT_APPLICABLE;
	c[6].why = "a property of how mvm is built, not of a backend";
	c[7].state = MVM_CLAIM_HOLDS;
	c[7].why = "`mvm run` launches only after admission: a verified bundle, an execution plan in its window, "
		   "a fresh nonce and an audited plan.admitted";
	c[7].gate = "tests/run.sh";
	if (filter_readable) {
		c[8].state = MVM_CLAIM_HOLDS;
		c[8].why = "the runtime reads the installed filter back (PTRACE_SECCOMP_GET_FILTER), its status, ids, "
			   "capabilities and namespaces at the exec stop, before the first instruction";
	} else {
		c[8].state = MVM_CLAIM_PARTLY;
		c[8].why = "this runtime cannot read a filter back (it needs CAP_SYS_ADMIN and no seccomp of its own): "
			   "the posture is partial, everything but the filter's bytes is checked; "
			   "--require-posture full refuses such runs";
	}
	c[8].gate = "tests/sandbox_claim9.sh";
	c[9].state = MVM_CLAIM_HOLDS;
	c[9].why = "without network.egress the sandbox's network namespace has loopback only; with it, one veth "
		   "pair whose traffic the signed egress.nft filters in the host's namespace (default drop, DNS only "
		   "to the pinned resolver, metadata and the host closed), checked at the exec stop and while it runs; "
		   "egress needs the runtime to run as root";
	c[9].gate = "tests/egress_claim10.sh";
}

void mvm_claims_for(enum mvm_backend b, bool filter_readable, struct mvm_claim_status out[MVM_CLAIM_COUNT])
{
	memset(out, 0, sizeof(struct mvm_claim_status) * MVM_CLAIM_COUNT);
	for (int i = 0; i < MVM_CLAIM_COUNT; i++) {
		out[i].id = i + 1;
		out[i].claim = claim_text[i];
		out[i].state = MVM_CLAIM_NOT_BUILT;
		out[i].why = "this backend is not built yet";
	}
	if (b == MVM_BACKEND_SANDBOX)
		sandbox_claims(filter_readable, out);
}

void mvm_tier_banner(struct mvm_buf *out, enum mvm_backend b, bool filter_readable)
{
	if (mvm_backend_tier(b) != 3)
		return;
	struct mvm_claim_status c[MVM_CLAIM_COUNT];
	mvm_claims_for(b, filter_readable, c);
	mvm_buf_printf(out,
		       "mvm: TIER 3 (backend: %s): the workload runs on the host kernel, without a VM.\n"
		       "mvm:   Layers L1-L3 collapse to the host kernel: a kernel bug reachable through the allowed system\n"
		       "mvm:   calls is a host compromise. Container-escape CVE classes apply: kernel bugs reachable from\n"
		       "mvm:   inside namespaces (e.g. CVE-2022-0185), cgroup release_agent escapes (CVE-2022-0492),\n"
		       "mvm:   runtime descriptor and binary leaks (CVE-2019-5736, CVE-2024-21626).\n"
		       "mvm:   Claims that do not hold, or only partly, on this tier:\n",
		       mvm_backend_name(b));
	for (int i = 0; i < MVM_CLAIM_COUNT; i++)
		if (c[i].state == MVM_CLAIM_DOES_NOT_HOLD || c[i].state == MVM_CLAIM_PARTLY)
			mvm_buf_printf(out, "mvm:   - claim %d (%s) %s: %s\n", c[i].id, c[i].claim,
				       c[i].state == MVM_CLAIM_PARTLY ? "holds only partly" : "does not hold", c[i].why);
	mvm_buf_puts(out, "mvm:   Silence with MVM_ACK_DOCKER_TIER=1 or `[security] ack_docker_tier = true` in "
			  "~/.mvm/config.toml; refuse such runs with --require-tier 1 or 2.\n");
}

int mvm_tier_ack(const char *ack_env, const char *mvm_home, const char *home, struct mvm_tier_ack *out)
{
	memset(out, 0, sizeof(*out));
	if (ack_env && !strcmp(ack_env, "1")) {
		out->acked = true;
		out->source = "MVM_ACK_DOCKER_TIER";
		return 0;
	}
	int n;
	if (mvm_home && *mvm_home)
		n = snprintf(out->config, sizeof(out->config), "%s/config.toml", mvm_home);
	else if (home && *home)
		n = snprintf(out->config, sizeof(out->config), "%s/.mvm/config.toml", home);
	else
		return 0;
	if (n < 0 || (size_t)n >= sizeof(out->config)) {
		snprintf(out->warning, sizeof(out->warning), "the config path is too long; ignored");
		out->config[0] = 0;
		return 0;
	}
	struct mvm_toml t;
	char err[384];
	int rc = mvm_toml_load(out->config, &t, err, sizeof(err));
	if (rc == -ENOENT) {
		mvm_toml_free(&t);
		return 0;
	}
	if (rc) {
		snprintf(out->warning, sizeof(out->warning), "%.400s (ignored: the tier banner stays on)", err);
		mvm_toml_free(&t);
		return 0;
	}
	bool ack = false;
	rc = mvm_toml_get_bool(&t, "security", "ack_docker_tier", &ack);
	if (rc == -EINVAL)
		snprintf(out->warning, sizeof(out->warning),
			 "%.400s: [security] ack_docker_tier must be true or false (ignored: the tier banner stays on)", out->config);
	else if (rc == 0 && ack) {
		out->acked = true;
		out->source = "config";
	}
	mvm_toml_free(&t);
	return 0;
}

int mvm_tier_ack_from_env(struct mvm_tier_ack *out)
{
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	return mvm_tier_ack(getenv("MVM_ACK_DOCKER_TIER"), getenv("MVM_HOME"), home, out);
}

int mvm_tier_parse(const char *s, int *out)
{
	if (!s || s[0] < '1' || s[0] > '3' || s[1])
		return -EINVAL;
	*out = s[0] - '0';
	return 0;
}

int mvm_require_tier(int required, int actual, char *err, size_t errlen)
{
	if (required < 1 || required > 3 || actual < 1 || actual > 3) {
		snprintf(err, errlen, "--require-tier takes 1, 2 or 3");
		return -EINVAL;
	}
	if (actual > required) {
		snprintf(err, errlen, "this run would get tier %d, below the required tier %d", actual, required);
		return -EPERM;
	}
	return 0;
}

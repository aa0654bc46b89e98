/* Backends, their tiers, the ARCHITECTURE.md claims that hold on each, the tier-3 banner and
 * its acknowledgement, and `--require-tier N`. Data and pure functions, except
 * mvm_tier_ack_from_env (environment, config file). docs/doctor.md. */
#ifndef MVM_TIERS_H
#define MVM_TIERS_H
#include <stdbool.h>
#include <stddef.h>

#include "../lib/buf.h"

enum mvm_backend {
	MVM_BACKEND_FIRECRACKER, /* tier 1 */
	MVM_BACKEND_QEMU,        /* tier 2 */
	MVM_BACKEND_SANDBOX,     /* tier 3 */
	MVM_BACKEND_DOCKER,      /* tier 3 */
	MVM_BACKEND_COUNT
};

const char *mvm_backend_name(enum mvm_backend b);
/* "firecracker", "qemu", "sandbox", "docker": 0, or -EINVAL. ("auto" is the caller's.) */
int mvm_backend_parse(const char *name, enum mvm_backend *out);
int mvm_backend_tier(enum mvm_backend b);
/* Whether this build contains the backend (only the sandbox, so far). */
bool mvm_backend_built(enum mvm_backend b);
/* The trust layers (ARCHITECTURE.md) the backend covers, in one line. */
const char *mvm_backend_layers(enum mvm_backend b);

#define MVM_CLAIM_COUNT 10

enum mvm_claim_state {
	MVM_CLAIM_HOLDS,
	MVM_CLAIM_PARTLY,        /* holds only under a condition named in why */
	MVM_CLAIM_DOES_NOT_HOLD,
	MVM_CLAIM_NOT_APPLICABLE,
	MVM_CLAIM_NOT_BUILT,     /* the backend (or the piece the claim needs) is not built yet */
};

struct mvm_claim_status {
	int id;              /* 1..10, as in ARCHITECTURE.md */
	const char *claim;   /* the claim's text */
	enum mvm_claim_state state;
	const char *why;
	const char *gate;    /* the test that backs it, or NULL */
};

const char *mvm_claim_state_name(enum mvm_claim_state s);
/* The ten claims on backend b. filter_readable: this host lets the runtime read a workload's
 * filter back (PTRACE_SECCOMP_GET_FILTER), which claim 9 needs in full. */
void mvm_claims_for(enum mvm_backend b, bool filter_readable, struct mvm_claim_status out[MVM_CLAIM_COUNT]);

/* The banner a tier-3 run prints on stderr: tier, backend, the claims that do not hold (or
 * only partly) and why, the container-escape CVE classes, and how to silence it. Appends
 * nothing for tiers 1 and 2. */
void mvm_tier_banner(struct mvm_buf *out, enum mvm_backend b, bool filter_readable);

/* Whether the tier-3 banner is acknowledged (silenced). */
struct mvm_tier_ack {
	bool acked;
	const char *source;   /* "MVM_ACK_DOCKER_TIER" or "config", when acked */
	char config[4096];    /* the config file consulted ("" when none) */
	char warning[512];    /* a config file that could not be used: the banner stays on */
};

/* ack_env: the value of MVM_ACK_DOCKER_TIER ("1" acknowledges; NULL, "" or anything else does
 * not). The config file is MVM_HOME/config.toml when mvm_home is set and non-empty, else
 * HOME/.mvm/config.toml; `[security] ack_docker_tier = true` acknowledges. A malformed or
 * oversized file, or a non-boolean value, acknowledges nothing and fills warning. 0 always. */
int mvm_tier_ack(const char *ack_env, const char *mvm_home, const char *home, struct mvm_tier_ack *out);
/* The same, from getenv (HOME falls back to the password database). */
int mvm_tier_ack_from_env(struct mvm_tier_ack *out);

/* `--require-tier N`: N in 1..3; refuses (-EPERM, message in err) when the tier is below N,
 * that is when its number is larger. -EINVAL for an N out of range. */
int mvm_require_tier(int required, int actual, char *err, size_t errlen);
/* Parses N for --require-tier: 0 or -EINVAL. */
int mvm_tier_parse(const char *s, int *out);
#endif

/* Signed bundles: an artifact directory with bundle.dsse.json, a DSSE envelope whose payload
 * is the exact bytes of plan.json, signed by a trusted `publisher` key.
 *
 * Verification works on bytes already in memory (each file read once): envelope -> trusted
 * key -> signature over the bytes received -> strict parse of the payload (canonical JSON,
 * schema 1, no unknown field at any depth) -> validity window -> plan.json equal to the
 * payload -> every artifact re-hashed; a file the plan does not list is refused too. The
 * verified bytes stay in struct mvm_bundle for whoever uses them next (the launch). */
#ifndef MVM_BUNDLE_H
#define MVM_BUNDLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "digest.h"
#include "dsse.h"
#include "keys.h"

#define MVM_PLAN_SCHEMA 1
#define MVM_BUNDLE_ENVELOPE "bundle.dsse.json"
#define MVM_BUNDLE_PLAN "plan.json"
#define MVM_BUNDLE_MAX_FILES 64
#define MVM_BUNDLE_MAX_FILE_BYTES (64u << 20)
/* Times in signed documents are unix seconds in 0..MVM_TIME_MAX (the end of year 9999), so
 * that no window arithmetic can overflow. */
#define MVM_TIME_MAX 253402300799LL

/* Why something was refused. The names (mvm_reject_name) are stable: they appear in
 * `--json` output and in audit events `plan.rejected.<name>`. */
enum mvm_reject {
	MVM_REJECT_NONE = 0,
	MVM_REJECT_IO,               /* io: a file could not be read */
	MVM_REJECT_MALFORMED,        /* malformed: not canonical, missing or mistyped field */
	MVM_REJECT_WRONG_TYPE,       /* wrong-type: DSSE payloadType is not the expected one */
	MVM_REJECT_UNKNOWN_KEY,      /* unknown-key: the signing key is in no trust store */
	MVM_REJECT_WRONG_ROLE,       /* wrong-role: the key is trusted, but for another role (or retired) */
	MVM_REJECT_TRUST_STORE,      /* trust-store: a trust store entry or directory is unsafe or malformed */
	MVM_REJECT_BAD_SIGNATURE,    /* bad-signature */
	MVM_REJECT_NEWER_SCHEMA,     /* newer-schema */
	MVM_REJECT_UNKNOWN_FIELD,    /* unknown-field */
	MVM_REJECT_NOT_YET_VALID,    /* not-yet-valid */
	MVM_REJECT_EXPIRED,          /* expired */
	MVM_REJECT_INVERTED_WINDOW,  /* inverted-window: the end is not after the start */
	MVM_REJECT_WINDOW_TOO_LONG,  /* window-too-long: an execution plan longer than the maximum */
	MVM_REJECT_PLAN_MISMATCH,    /* plan-mismatch: plan.json differs from the signed payload */
	MVM_REJECT_ARTIFACT_MISSING, /* artifact-missing */
	MVM_REJECT_ARTIFACT_DIGEST,  /* artifact-digest */
	MVM_REJECT_UNEXPECTED_FILE,  /* unexpected-file: a file the plan does not list */
	MVM_REJECT_INTENT_CEILING,   /* intent-ceiling */
	MVM_REJECT_BUNDLE_MISMATCH,  /* bundle-mismatch: an execution plan for another bundle */
	MVM_REJECT_TENANT_MISMATCH,  /* tenant-mismatch */
	MVM_REJECT_REPLAY,           /* replay: the plan's nonce was already admitted */
	MVM_REJECT_NONCE_STORE,      /* nonce-store: the store is unreadable or corrupt */
	MVM_REJECT_AUDIT,            /* audit: plan.admitted could not be written */
	MVM_REJECT_NO_HOST_KEY,      /* no-host-key */
	MVM_REJECT_COUNT
};

const char *mvm_reject_name(enum mvm_reject r);

struct mvm_verdict {
	enum mvm_reject reason;
	char detail[256];
};

/* Records a refusal and returns -EPERM (for `return mvm_refuse(v, ...)`). */
int mvm_refuse(struct mvm_verdict *v, enum mvm_reject reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct mvm_named_bytes {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/* plan.json, parsed. Strings point into the parse arena. */
struct mvm_plan {
	int64_t schema;
	const char *name, *compiler;
	const char *intent, *tier;      /* NULL when absent */
	bool has_validity;
	int64_t not_before, not_after;  /* unix seconds */
	int64_t valid_for_s;            /* requested execution-plan window, 0 = runtime default */
	size_t narch;
	const char **arch;
	size_t nartifact;
	const char **artifact_name, **artifact_digest;
	bool egress;                    /* network.egress is an allow list (not "none") */
	size_t negress_rules;
	bool egress_resolver;           /* network.egress names a DNS resolver (itself a destination) */
	const char *secrets;            /* "none", "plan-bound", "attestation-bound" */
	int64_t uid, gid;
	size_t nlabel;
	const char **label_key, **label_value;
	const char *labels_json;        /* the exact bytes of the labels object */
	size_t labels_json_len;
};

/* Parses plan bytes strictly (canonical, schema, unknown fields at every depth, types). */
int mvm_plan_parse(struct mvm_arena *a, const char *bytes, size_t len, struct mvm_plan *out, struct mvm_verdict *v);

struct mvm_bundle_input {
	const char *envelope;           /* bundle.dsse.json */
	size_t envelope_len;
	size_t nfile;                   /* every other file of the directory, plan.json included */
	const struct mvm_named_bytes *file;
};

struct mvm_bundle {
	struct mvm_arena arena;
	char digest[MVM_DIGEST_STRLEN];       /* sha256 of bundle.dsse.json's bytes */
	char plan_digest[MVM_DIGEST_STRLEN];  /* sha256 of the payload (= plan.json) */
	struct mvm_dsse env;
	struct mvm_pubkey signer;
	struct mvm_plan plan;
	const char *envelope;                 /* the verified bytes */
	size_t envelope_len;
	size_t nfile;
	struct mvm_named_bytes *file;         /* the verified files (point into the input, or owned) */
	bool owned;                           /* loaded by mvm_bundle_load_dir: frees the bytes */
};

struct mvm_clock {
	int64_t now;     /* unix seconds */
	int64_t skew_s;  /* tolerated clock difference, >= 0 */
};

/* Verifies in-memory bundle bytes against publisher keys of t. On success out refers to the
 * input's bytes (keep them alive). 0, or -EPERM with v filled; other negative errno on
 * internal failure (v filled with `io`). Free out with mvm_bundle_free in every case. */
int mvm_bundle_verify(const struct mvm_bundle_input *in, const struct mvm_trust *t, const struct mvm_clock *c,
		      struct mvm_bundle *out, struct mvm_verdict *v);
/* Reads every file of dir once (bounded) and verifies it; out owns the bytes. */
int mvm_bundle_load_dir(const char *dir, const struct mvm_trust *t, const struct mvm_clock *c, struct mvm_bundle *out,
			struct mvm_verdict *v);
void mvm_bundle_free(struct mvm_bundle *b);
/* A verified artifact by file name, or NULL. */
const struct mvm_named_bytes *mvm_bundle_file(const struct mvm_bundle *b, const char *name);
#endif

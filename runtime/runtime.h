/* mvm, the runtime: admission (trust store, execution plans, nonce store, intent ceiling) and
 * the chain-signed audit log. This header is the runtime's public surface. */
#ifndef MVM_RUNTIME_H
#define MVM_RUNTIME_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../compiler/stdlib.h"
#include "../lib/buf.h"
#include "../lib/bundle.h"
#include "../lib/keys.h"

#define MVM_NONCE_BYTES 32
#define MVM_TENANT_MAX 64
/* Bounds on configuration, and the defaults (docs/admission.md). */
#define MVM_DEFAULT_WINDOW_S 300      /* an execution plan's window when the bundle asks for none */
#define MVM_DEFAULT_MAX_WINDOW_S 3600 /* the longest execution-plan window admitted */
#define MVM_DEFAULT_SKEW_S 60         /* tolerated clock difference */
#define MVM_MAX_SKEW_S 600            /* the largest skew that may be configured; the nonce store keeps
					 entries this long past their plan's end */
#define MVM_MAX_WINDOW_LIMIT_S 86400  /* the largest maximum window that may be configured */

/* ---- paths ---- */

/* $MVM_HOME (else ~/.mvm) holds trust/, audit/, state/ and host.key. When MVM_HOME is unset,
 * /etc/mvm/trust is searched after ~/.mvm/trust and /etc/mvm/host.key is the fallback host key. */
struct mvm_paths {
	char home[PATH_MAX];
	char trust[PATH_MAX];
	char system_trust[PATH_MAX]; /* "" when MVM_HOME is set */
	char audit[PATH_MAX];
	char state[PATH_MAX];
	char host_key[PATH_MAX];     /* $MVM_HOST_KEY, HOME/host.key, or /etc/mvm/host.key */
};
int mvm_paths_init(struct mvm_paths *p, char *err, size_t errlen);
/* Loads the host key (plans and audit entries); reports on stderr and returns -1 when it cannot
 * be used (unreadable, unsafe, or not a host key). */
int mvm_host_key_load(const char *path, struct mvm_seckey *k);
/* The trust stores to search, in order. */
void mvm_paths_trust(const struct mvm_paths *p, struct mvm_trust *t);
/* Creates dir (and missing parents) with `mode`; refuses an existing one that is a symlink or
 * whose mode has bits beyond `mode`. 0 or a negative errno. */
int mvm_mkdir_private(const char *dir, unsigned mode, char *err, size_t errlen);
/* Writes path atomically: temporary file, fsync, rename, fsync of the directory. */
int mvm_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* snprintf into a PATH_MAX buffer: 0, or -ENAMETOOLONG when it does not fit. */
int mvm_pathf(char out[PATH_MAX], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "1h", "90s" -> seconds (0 or -EINVAL). */
int mvm_duration(const char *s, int64_t *out);
/* A tenant name: 1..64 of [A-Za-z0-9_-]. */
bool mvm_tenant_valid(const char *s);

/* ---- trust store management (lookups are lib/keys.h) ---- */

/* Copies a public key file into ROOT/ROLE/KEYID.pub (role from the file; when `role` is not 0
 * it must match). A retired copy of the same key is removed. */
int mvm_trust_add(const char *root, const char *pubfile, enum mvm_key_role role, struct mvm_pubkey *added, char *err,
		  size_t errlen);
/* Retires KEYID (moves it to ROOT/ROLE/retired/, where it still verifies the audit entries it
 * signed), or deletes it when purge. -ENOENT when it is not there. */
int mvm_trust_remove(const char *root, const char *keyid, bool purge, char *err, size_t errlen);
typedef int (*mvm_trust_visit_fn)(void *ctx, const char *root, const struct mvm_pubkey *k, enum mvm_trust_state st);
/* Calls fn for every key in ROOT, sorted by role, state and key id. A malformed entry is an
 * error (-EINVAL). */
int mvm_trust_list(const char *root, mvm_trust_visit_fn fn, void *ctx, char *err, size_t errlen);

/* ---- execution plans ---- */

/* One launch's plan, signed by a host key: DSSE payloadType application/vnd.mvm.exec-plan+json,
 * payload (canonical JSON) {"bundle","bundle_path"?,"issued_at","nonce","plan","schema",
 * "tenant","valid_from","valid_until"}. */
struct mvm_exec_plan {
	char bundle[MVM_DIGEST_STRLEN];      /* sha256 of bundle.dsse.json */
	char plan[MVM_DIGEST_STRLEN];        /* sha256 of the bundle's plan.json */
	const char *bundle_path;             /* where the bundle was when issued; NULL if not recorded */
	uint8_t nonce[MVM_NONCE_BYTES];
	char tenant[MVM_TENANT_MAX + 1];
	int64_t issued_at, valid_from, valid_until;
	char digest[MVM_DIGEST_STRLEN];      /* sha256 of the payload: the plan digest in audit entries */
	struct mvm_pubkey signer;
};

struct mvm_plan_policy {
	int64_t max_window_s;
	int64_t skew_s;
};

/* Issues a plan for bundle b: a fresh 32-byte nonce, valid_from = now, valid_until = now +
 * valid_for (capped by the bundle's not_after). Writes the envelope bytes to out. -EINVAL when
 * valid_for is not in 1..max_window. */
int mvm_exec_plan_issue(const struct mvm_seckey *host, const struct mvm_bundle *b, const char *bundle_path,
			const char *tenant, int64_t now, int64_t valid_for, const struct mvm_plan_policy *pol,
			struct mvm_buf *out, char *err, size_t errlen);
/* Verifies envelope bytes against trusted, active host keys and parses the payload strictly.
 * Says nothing about time, bundle or tenant (mvm_exec_plan_check does). 0 or -EPERM (v). */
int mvm_exec_plan_verify(struct mvm_arena *a, const char *bytes, size_t len, const struct mvm_trust *t,
			 struct mvm_exec_plan *out, struct mvm_verdict *v);
/* The plan is for this bundle and tenant, its window is sane and bounded, and now is in it. */
int mvm_exec_plan_check(const struct mvm_exec_plan *p, const struct mvm_bundle *b, const char *tenant,
			const struct mvm_clock *c, const struct mvm_plan_policy *pol, struct mvm_verdict *v);

/* ---- nonce store ---- */

/* STATE/nonces.db: fixed-size checksummed records (nonce, expiry) after a header, guarded by
 * flock on STATE/nonces.lock. Check-and-insert is atomic across processes and fsynced before
 * it returns 0. A nonce already present -> -EPERM (replay); an unreadable, unsafe or corrupt
 * store -> -EPERM (nonce-store): fail closed. Entries past their expiry are collected. */
int mvm_nonce_check_insert(const char *state_dir, const uint8_t nonce[MVM_NONCE_BYTES], int64_t expires, int64_t now,
			   struct mvm_verdict *v);
/* Number of records in the store (for tests and `mvm doctor`), or a negative errno. */
long mvm_nonce_count(const char *state_dir);
/* The store file's parser, pure (mvm_nonce_check_insert runs it on the bytes it read; fuzzed by
 * fuzz/fuzz_nonce_store.c): 0 with the live record count, the expired ones and the bytes of a
 * torn tail record; -EBADMSG for a bad header; -EUCLEAN for a corrupt record and -EEXIST for
 * `nonce` already present (both with its index in bad). */
struct mvm_nonce_scan {
	size_t nrec, expired, torn, bad;
};
int mvm_nonce_store_scan(const uint8_t *data, size_t len, const uint8_t nonce[MVM_NONCE_BYTES], int64_t now,
			 struct mvm_nonce_scan *out);

/* ---- intent ceiling ---- */

/* Re-checks the signed plan against the runtime's stdlib intents: the tier is within the
 * intent's ceiling, egress only where the intent allows it, secrets no looser. */
int mvm_plan_check_ceiling(const struct mvm_stdlib *st, const struct mvm_plan *p, struct mvm_verdict *v);

/* ---- audit log ---- */

/* Exit codes of `mvm audit verify`, one per finding (docs/audit.md). */
enum mvm_audit_status {
	MVM_AUDIT_CLEAN = 0,
	MVM_AUDIT_IO = 3,
	MVM_AUDIT_TAMPERED = 10,     /* an entry or the head does not verify (edited, malformed) */
	MVM_AUDIT_BROKEN_CHAIN = 11, /* sequence gap, reordering, prev-hash or segment link mismatch */
	MVM_AUDIT_TRUNCATED = 12,    /* the head is ahead of the log: entries were cut off the end */
	MVM_AUDIT_MISSING = 13,      /* a head exists but the log does not (or neither exists) */
	MVM_AUDIT_UNKNOWN_KEY = 14,  /* signed by a key in no trust store (not even retired) */
	MVM_AUDIT_TORN = 15,         /* an append did not finish (crash); `mvm audit recover` repairs it */
};
const char *mvm_audit_status_name(enum mvm_audit_status s);

struct mvm_audit_report {
	enum mvm_audit_status status;
	uint64_t entries;      /* entries verified before the finding */
	uint64_t head_seq;
	unsigned segments;
	uint64_t at_seq;       /* the entry concerned, 0 if none */
	char detail[256];
};

/* A stage of an append, for crash tests only (production passes no hook). */
enum mvm_audit_stage { MVM_AUDIT_STAGE_LINE_WRITTEN = 1, MVM_AUDIT_STAGE_LINE_SYNCED = 2 };

struct mvm_audit {
	char dir[PATH_MAX];
	char tenant[MVM_TENANT_MAX + 1];
	const struct mvm_seckey *key;  /* host key that signs entries and the head */
	const struct mvm_trust *trust; /* host keys (active or retired) that may have signed earlier entries */
	uint64_t segment_max;          /* rotate when the live segment reaches this many bytes */
	bool nosync;                   /* benchmarks only: skip fsync while filling a log */
	void (*fault)(enum mvm_audit_stage stage, void *ctx);
	void *fault_ctx;
};

struct mvm_audit_event {
	const char *event;       /* "plan.admitted", "plan.rejected.expired", ... */
	const char *plan;        /* execution plan digest, or NULL */
	const char *bundle;      /* bundle digest, or NULL */
	const char *labels_json; /* a canonical JSON object (the plan's labels), or NULL for {} */
	size_t labels_len;
	const char *detail;      /* free text, or NULL */
	int64_t ts;              /* unix seconds */
};

#define MVM_AUDIT_DEFAULT_SEGMENT_MAX (64u << 20)

/* Prepares a (possibly new) log in dir for tenant. Nothing is touched until the first append. */
int mvm_audit_init(struct mvm_audit *a, const char *dir, const char *tenant, const struct mvm_seckey *key,
		   const struct mvm_trust *trust, char *err, size_t errlen);
/* Appends one entry under an exclusive lock: O(1) in the size of the log. Finishes or undoes
 * an interrupted append first. Refuses (-EBADMSG) to write after a log whose committed part
 * does not match its head. The entry is fsynced, then the head, before 0 is returned. */
int mvm_audit_append(struct mvm_audit *a, const struct mvm_audit_event *e, uint64_t *seq, char *err, size_t errlen);
/* Verifies every segment, every entry and the head (under a shared lock). Returns 0 when
 * clean, -EBADMSG for a finding, -EIO when something could not be read; rep->status says
 * which (and is the exit code of `mvm audit verify`). */
int mvm_audit_verify(const char *dir, const char *tenant, const struct mvm_trust *t, struct mvm_audit_report *rep);
/* Repairs an interrupted append or rotation: a complete, valid entry beyond the head is
 * committed; anything else beyond the head is cut off, and an audit.recovered entry records
 * how many bytes. Never repairs truncation or tampering. 0 or a negative errno. */
int mvm_audit_recover(struct mvm_audit *a, char *err, size_t errlen);
/* Calls fn with every stored line (without its newline) of every segment, in order. */
int mvm_audit_each_line(const char *dir, const char *tenant, int (*fn)(void *ctx, const char *line, size_t len),
			void *ctx);

/* The parsers of one stored line (without its newline) and of the head file's bytes, as the
 * verifier runs them: canonical form, fields, a trusted (active or retired) host key, signature,
 * tenant. MVM_AUDIT_CLEAN with *seq set, or the finding with a message in detail. Pure (no file
 * access beyond the trust store lookup); fuzzed by fuzz/fuzz_audit_line.c. */
enum mvm_audit_status mvm_audit_parse_line(const char *line, size_t len, const char *tenant, const struct mvm_trust *t,
					   uint64_t *seq, char *detail, size_t dlen);
enum mvm_audit_status mvm_audit_parse_head(const char *bytes, size_t len, const char *tenant, const struct mvm_trust *t,
					   uint64_t *seq, char *detail, size_t dlen);

/* ---- admission ---- */

struct mvm_admission_config {
	const struct mvm_trust *trust;      /* publisher keys for bundles, host keys for plans and audit */
	const struct mvm_seckey *host_key;  /* issues plans and signs audit entries; NULL -> refused */
	const struct mvm_stdlib *stdlib;    /* intents for the ceiling */
	const char *state_dir;              /* nonce store */
	const char *audit_dir;
	const char *tenant;
	struct mvm_clock clock;
	struct mvm_plan_policy policy;
	uint64_t audit_segment_max;         /* 0 = default */
};

struct mvm_admission_request {
	const char *bundle_dir;                   /* read from disk (each file once), or */
	const struct mvm_bundle_input *bundle;    /* bytes already in memory */
	const char *plan;                         /* an execution plan's envelope bytes, or NULL to issue one */
	size_t plan_len;
	int64_t valid_for;                        /* issued plan window; 0 = the bundle's, else the default */
};

struct mvm_admission {
	struct mvm_bundle bundle;        /* verified bytes, kept for the launch */
	struct mvm_arena arena;
	struct mvm_exec_plan plan;
	struct mvm_buf plan_envelope;    /* the admitted plan's bytes */
	uint64_t audit_seq;
};

/* Runs admission: bundle -> ceiling -> plan (issued or given) -> window -> nonce -> audit
 * plan.admitted. Every refusal is audited as plan.rejected.<reason> when the log can be
 * written. 0 when admitted; -EPERM with v filled otherwise. Free out in every case. */
int mvm_admit(const struct mvm_admission_config *cfg, const struct mvm_admission_request *req,
	      struct mvm_admission *out, struct mvm_verdict *v);
void mvm_admission_free(struct mvm_admission *a);

#endif

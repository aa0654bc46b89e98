/* The sandbox backend (tier 3): Linux namespaces, a read-only root, dropped privileges and the
 * signed seccomp filter, no VM. The workload's posture is read back and compared with the
 * signed one before its first instruction (runtime/posture.h). docs/sandbox.md describes every
 * step in order; docs/posture.md the check.
 *
 * One launch at a time per process, from a single-threaded caller: the launch clones without
 * CLONE_VM (no atfork handlers run) and blocks the forwarded signals while it runs. */
#ifndef MVM_SANDBOX_H
#define MVM_SANDBOX_H
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../lib/arena.h"
#include "../../lib/digest.h"
#include "../posture.h"

#define MVM_SANDBOX_DEFAULT_ID 65534u /* uid and gid when the profile names none (as mvmc's default) */
#define MVM_SANDBOX_MAX_SHARES 64
#define MVM_SANDBOX_MAX_RLIMITS 16
#define MVM_SANDBOX_MAX_ENV 256
#define MVM_SANDBOX_MAX_ARGS 4096
#define MVM_SANDBOX_MAX_FILTER 4096   /* BPF_MAXINSNS */
#define MVM_SANDBOX_MAX_ROOT_ENTRIES 256

/* Exit codes that the launch itself produces, for callers that turn a result into a process
 * status (mvm_sandbox_exit_code). A workload may of course exit with the same numbers. */
#define MVM_SANDBOX_EXIT_POSTURE 124   /* posture mismatch (or partial under require_full): never ran */
#define MVM_SANDBOX_EXIT_SETUP 125     /* the sandbox could not be set up */
#define MVM_SANDBOX_EXIT_NOEXEC 126    /* the command exists but could not be executed */
#define MVM_SANDBOX_EXIT_NOTFOUND 127  /* the command was not found inside the sandbox */

struct mvm_sandbox_share {
	const char *host;  /* absolute path on the host: a directory or a file */
	const char *guest; /* absolute, normalized path inside; it must exist or be creatable */
	bool rw;           /* false: read-only */
};

/* The sandbox's network device when the plan allows egress (docs/egress.md): a veth pair, one
 * end (host_ifname) in the runtime's network namespace, the other ("eth0") born inside the
 * sandbox's, with point-to-point addresses and default routes through the runtime's end.
 * Without it (cfg.net NULL) the sandbox has loopback only. The rules that filter what crosses
 * the pair are the caller's (runtime/egress.h), applied before the launch. */
#define MVM_SANDBOX_NET_IFNAME "eth0"
struct mvm_sandbox_net {
	char host_ifname[16];
	uint8_t host4[4], addr4[4];   /* the runtime's end (the sandbox's gateway), the sandbox's */
	unsigned prefix4;
	bool ipv6;                    /* also give IPv6 addresses and a default route */
	uint8_t host6[16], addr6[16];
	unsigned prefix6;
};

struct mvm_sandbox_rlimit {
	int resource;      /* RLIMIT_* */
	uint64_t soft, hard;
};

struct mvm_sandbox_config {
	char *const *argv;                    /* the command; argv[0] without '/' is searched in PATH inside */
	const char *rootfs;                   /* NULL or "/": a read-only view of the host's /; else a directory */
	const struct mvm_sandbox_share *shares;
	size_t nshares;
	uid_t uid;                            /* inside the sandbox */
	gid_t gid;
	uint64_t keep_caps;                   /* bit n keeps capability n in every set; 0 = none (the default) */
	const struct mvm_sandbox_rlimit *rlimits; /* applied before RLIMIT_CORE is forced to 0 */
	size_t nrlimits;
	const char *const *env;               /* extra "KEY=VALUE" (NULL-terminated), after the minimal set */
	const char *cwd;                      /* inside; NULL = "/" */
	const char *hostname;                 /* NULL = "mvm" */
	const struct sock_filter *filter;     /* the exact bytes of the signed BPF; never re-read */
	size_t filter_len;                    /* instructions */
	const char *filter_digest;            /* "sha256:<hex>" signed for those bytes */
	bool require_full_posture;            /* a partial posture is refused (--require-posture full) */
	bool force_userns;                    /* use a user namespace even when run as root (tests) */
	const struct mvm_sandbox_net *net;    /* NULL: loopback only */
};

/* Fills the defaults: uid and gid MVM_SANDBOX_DEFAULT_ID, everything else empty. */
void mvm_sandbox_config_init(struct mvm_sandbox_config *cfg);

enum mvm_sandbox_outcome {
	MVM_SANDBOX_RAN = 0,         /* the workload ran; wait_status is its status */
	MVM_SANDBOX_REFUSED_FILTER,  /* the filter bytes do not hash to filter_digest: nothing launched */
	MVM_SANDBOX_REFUSED_POSTURE, /* posture mismatch (or partial under require_full): killed before its first
				      * instruction; or killed later because hooks.on_tick said the posture changed */
	MVM_SANDBOX_SETUP_FAILED,    /* a setup step failed (error names it): the workload never ran */
	MVM_SANDBOX_NOT_FOUND,       /* the command does not exist inside the sandbox */
	MVM_SANDBOX_EXEC_FAILED,     /* execve failed after the filter was installed */
};

struct mvm_sandbox_result {
	enum mvm_sandbox_outcome outcome;
	int wait_status;                       /* the workload's, as waitpid(2) encodes it, when RAN */
	bool posture_checked;                  /* posture holds the verdict */
	struct mvm_posture_verdict posture;
	bool user_namespace;                   /* the launch used a user namespace */
	char error[256];                       /* what failed, when not RAN */
};

/* Called at the posture check, with the workload stopped before its first instruction and
 * before the runtime decides. `acceptable` says what the runtime will do. Returning non-zero
 * refuses the launch even when acceptable (for example when `posture.verified` cannot be
 * audited): fail closed. */
typedef int (*mvm_sandbox_posture_fn)(void *ctx, const struct mvm_posture_verdict *v, bool acceptable);

struct mvm_sandbox_hooks {
	mvm_sandbox_posture_fn on_posture; /* optional */
	void *ctx;
	/* Optional: adds the caller's own checks to the verdict at the exec stop, before it is
	 * decided (mvm_sandbox_posture_add); the egress ruleset in force, for example. */
	void (*add_checks)(void *ctx, struct mvm_posture_verdict *v);
	/* Optional: called while the workload runs whenever tick_fd is readable. Non-zero kills
	 * the sandbox at once (fail closed: the egress rules changed under it, for example). */
	int (*on_tick)(void *ctx);
	int tick_fd;                       /* used only when on_tick is set */
};

/* Adds one check to a verdict and updates its counts and status. 0, or -ENOSPC when the
 * verdict is full (then it is marked as a mismatch: fail closed). name must outlive v. */
int mvm_sandbox_posture_add(struct mvm_posture_verdict *v, const char *name, bool ok, const char *expected,
			    const char *observed);

/* Launches cfg->argv in the sandbox and waits for it. Returns 0 when the workload ran (its
 * status in res->wait_status), -EPERM when it was refused (filter bytes or posture), -ENOENT
 * when the command is not found inside, -EINVAL for a bad config, another negative errno
 * when setup failed; res->outcome and res->error say which. */
int mvm_sandbox_run(const struct mvm_sandbox_config *cfg, const struct mvm_sandbox_hooks *hooks,
		    struct mvm_sandbox_result *res);

/* The status a caller should exit with: the workload's exit code, 128+N for death by signal N,
 * or one of the MVM_SANDBOX_EXIT_* codes above. */
int mvm_sandbox_exit_code(const struct mvm_sandbox_result *res);
const char *mvm_sandbox_outcome_name(enum mvm_sandbox_outcome o);

/* Checks a share's paths without launching (absolute, normalized, no "..", guest not "/"):
 * 0 or -EINVAL with a message. */
int mvm_sandbox_check_share(const struct mvm_sandbox_share *s, char *err, size_t errlen);
/* Parses "HOST:GUEST[:ro|rw]" (default ro) into s; the strings point into the buffer given. */
int mvm_sandbox_parse_share(char *spec, struct mvm_sandbox_share *s, char *err, size_t errlen);

/* ---- from a verified bundle ---- */

struct mvm_bundle;

/* The launch a verified bundle asks for: the exact bytes of seccomp.<arch>.bpf (copied into
 * aligned memory, never re-read) with the digest plan.json signs for them, process.uid, gid
 * and capabilities, filesystem.rootfs and shares. argv, env, cwd and extra shares are the
 * caller's to add. cfg points into the struct itself: do not copy it. */
struct mvm_sandbox_plan {
	struct mvm_sandbox_config cfg;
	struct mvm_sandbox_share shares[MVM_SANDBOX_MAX_SHARES];
	struct sock_filter *filter;
	char digest[MVM_DIGEST_STRLEN];
	struct mvm_arena arena; /* the paths */
};

/* 0; -ENOENT when the bundle has no filter for arch; -ENOTSUP for a profile the sandbox cannot
 * honour (a writable root); -EINVAL for a malformed plan or an unknown capability; err says
 * which. Free with mvm_sandbox_plan_free in every case. */
int mvm_sandbox_plan_from_bundle(const struct mvm_bundle *b, const char *arch, struct mvm_sandbox_plan *out,
				 char *err, size_t errlen);
/* Adds a share given on the command line (after the profile's). 0, -EINVAL or -E2BIG. */
int mvm_sandbox_plan_add_share(struct mvm_sandbox_plan *p, const struct mvm_sandbox_share *s, char *err,
			       size_t errlen);
void mvm_sandbox_plan_free(struct mvm_sandbox_plan *p);
#endif

/* The posture check's comparison: what the signed plan says the workload's process must look
 * like (expected) against what the kernel reports for it (observed), giving a verdict and the
 * list of checks with their names. Pure: no I/O, no allocation. The reading of a live process
 * (/proc, PTRACE_SECCOMP_GET_FILTER) is runtime/backends/sandbox_observe.c. See docs/posture.md. */
#ifndef MVM_POSTURE_H
#define MVM_POSTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "../lib/digest.h"

enum mvm_cap_set { MVM_CAP_INH, MVM_CAP_PRM, MVM_CAP_EFF, MVM_CAP_BND, MVM_CAP_AMB, MVM_CAP_SETS };

/* The namespaces the check compares, in the order of /proc/PID/ns names. */
enum mvm_ns { MVM_NS_USER, MVM_NS_MNT, MVM_NS_PID, MVM_NS_NET, MVM_NS_IPC, MVM_NS_UTS, MVM_NS_CGROUP, MVM_NS_COUNT };
/* The file name under /proc/PID/ns/ ("user", "mnt", ...). */
const char *mvm_ns_name(enum mvm_ns ns);

enum mvm_ns_expect {
	MVM_NS_EXPECT_ANY = 0,   /* not compared */
	MVM_NS_EXPECT_DIFFERENT, /* the workload must be in a namespace of its own */
	MVM_NS_EXPECT_SAME,      /* the workload stays in the runtime's (the user namespace when run as root) */
};

struct mvm_ns_id {
	uint64_t dev, ino; /* of the nsfs file; dev 0 and ino 0 = unknown */
};

#define MVM_POSTURE_MAX_GROUPS 64
#define MVM_POSTURE_MAX_IDMAP 8

/* One line of /proc/PID/uid_map or gid_map, as seen from the reader's user namespace. */
struct mvm_idmap_range {
	uint32_t inside, outside, count;
};
struct mvm_idmap {
	size_t n;
	struct mvm_idmap_range r[MVM_POSTURE_MAX_IDMAP];
};

/* How the filter read-back went. */
enum mvm_filter_read {
	MVM_FILTER_NOT_TRIED = 0,
	MVM_FILTER_READ,        /* digest holds the sha256 of the instructions read back */
	MVM_FILTER_UNAVAILABLE, /* the kernel would not let the runtime read it (EACCES, EPERM, EIO): partial */
	MVM_FILTER_ABSENT,      /* the process has no filter at index 0 (EINVAL, ENOENT): a mismatch */
	MVM_FILTER_ERROR,       /* any other failure, or a filter too long: a mismatch */
};

struct mvm_posture_expected {
	char filter_digest[MVM_DIGEST_STRLEN]; /* "sha256:<hex>" of the signed BPF bytes */
	int seccomp_filters;                    /* Seccomp_filters: the runtime's own count + 1; -1 = not compared */
	uint32_t uid, gid;                      /* all four ids, as seen from the runtime's user namespace */
	size_t ngroups;                         /* supplementary groups, as seen from the runtime */
	uint32_t groups[MVM_POSTURE_MAX_GROUPS];
	uint64_t cap[MVM_CAP_SETS];
	enum mvm_ns_expect ns[MVM_NS_COUNT];
	bool check_idmap;                       /* compare uid_map and gid_map (workload in its own user namespace) */
	struct mvm_idmap uid_map, gid_map;
};

struct mvm_posture_observed {
	bool have_status;                       /* /proc/PID/status was read and parsed */
	int seccomp_mode;                       /* Seccomp: 0, 1 or 2 */
	int seccomp_filters;                    /* Seccomp_filters, -1 when the kernel does not report it */
	int no_new_privs;
	uint32_t uid[4], gid[4];                /* real, effective, saved, filesystem */
	size_t ngroups;
	uint32_t groups[MVM_POSTURE_MAX_GROUPS];
	uint64_t cap[MVM_CAP_SETS];
	struct mvm_ns_id ns[MVM_NS_COUNT];      /* the workload's */
	struct mvm_ns_id runtime_ns[MVM_NS_COUNT]; /* the runtime's own, for EXPECT_DIFFERENT / SAME */
	bool have_idmap;
	struct mvm_idmap uid_map, gid_map;
	enum mvm_filter_read filter;
	int filter_errno;                       /* when not MVM_FILTER_READ */
	unsigned filter_insns;
	char filter_digest[MVM_DIGEST_STRLEN];
};

enum mvm_posture_status {
	MVM_POSTURE_VERIFIED = 0, /* every check ran and matched */
	MVM_POSTURE_PARTIAL,      /* no mismatch, but some checks could not run (listed) */
	MVM_POSTURE_MISMATCH,     /* at least one check failed: the workload must not run */
};

enum mvm_check_result { MVM_CHECK_OK = 0, MVM_CHECK_MISMATCH, MVM_CHECK_UNCHECKED };

#define MVM_POSTURE_MAX_CHECKS 24
#define MVM_POSTURE_VALUE_MAX 96

struct mvm_posture_check {
	const char *name; /* stable: "seccomp.filter_digest", "cap.effective", "ns.pid", ... */
	enum mvm_check_result result;
	char expected[MVM_POSTURE_VALUE_MAX];
	char observed[MVM_POSTURE_VALUE_MAX]; /* or why it was not checked */
};

struct mvm_posture_verdict {
	enum mvm_posture_status status;
	size_t n, nmismatch, nunchecked;
	struct mvm_posture_check check[MVM_POSTURE_MAX_CHECKS];
};

/* Compares every item, in a fixed order, and fills v. Returns 0 (v->status says the outcome),
 * or -EINVAL when an argument is NULL. */
int mvm_posture_compare(const struct mvm_posture_expected *e, const struct mvm_posture_observed *o,
			struct mvm_posture_verdict *v);
/* Whether the launch may go on: verified, or partial when a full posture is not required. */
bool mvm_posture_acceptable(const struct mvm_posture_verdict *v, bool require_full);
/* "verified", "partial", "mismatch". */
const char *mvm_posture_status_name(enum mvm_posture_status s);
/* The check called name, or NULL. */
const struct mvm_posture_check *mvm_posture_find(const struct mvm_posture_verdict *v, const char *name);

/* Parses the text of /proc/PID/status (bounded by len) into the status fields of o
 * (have_status, seccomp_*, no_new_privs, uid, gid, groups, cap). 0, or -EINVAL when a field
 * the check needs is missing or malformed (Seccomp_filters may be absent: -1). */
int mvm_posture_parse_status(const char *text, size_t len, struct mvm_posture_observed *o);
/* Parses /proc/PID/uid_map or gid_map text. 0 or -EINVAL (malformed, or more than
 * MVM_POSTURE_MAX_IDMAP lines). */
int mvm_posture_parse_idmap(const char *text, size_t len, struct mvm_idmap *m);

/* Human-readable report: a status line, then one line per check. */
void mvm_posture_format_text(const struct mvm_posture_verdict *v, struct mvm_buf *out);
/* Canonical JSON (sorted keys, strings and integers only), for audit entries and --json:
 * {"checks":[{"expected","name","observed","result"}...],"mismatches":N,"status":S,"unchecked":N}. */
int mvm_posture_format_json(const struct mvm_posture_verdict *v, struct mvm_buf *out);
#endif

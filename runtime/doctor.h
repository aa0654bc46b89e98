/* `mvm doctor`: what isolation this host can give. Probes the host, picks the backend
 * auto-selection would use (the highest tier the host can give among the backends this build
 * has), and reports the tier, the layers covered and the claims that hold, as text or JSON.
 * docs/doctor.md. */
#ifndef MVM_DOCTOR_H
#define MVM_DOCTOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../lib/buf.h"
#include "tiers.h"

enum mvm_probe_id {
	MVM_PROBE_KVM_PRESENT,        /* /dev/kvm is a character device */
	MVM_PROBE_KVM_USABLE,         /* it opens read-write and answers KVM_GET_API_VERSION 12 */
	MVM_PROBE_QEMU,               /* qemu-system-<arch> in PATH */
	MVM_PROBE_FIRECRACKER,        /* firecracker in PATH */
	MVM_PROBE_DOCKER,             /* the engine socket answers GET /_ping with OK */
	MVM_PROBE_USERNS,             /* a child can unshare a user namespace */
	MVM_PROBE_PIDNS,              /* ... a pid namespace (with a user namespace when not root) */
	MVM_PROBE_NETNS,              /* ... a network namespace (likewise) */
	MVM_PROBE_MOUNT_API,          /* open_tree / move_mount / mount_setattr (Linux 5.12) */
	MVM_PROBE_SECCOMP,            /* a child can install a seccomp filter (after no_new_privs) */
	MVM_PROBE_SECCOMP_GET_FILTER, /* this process can read a tracee's filter back */
	MVM_PROBE_NFT,                /* nft in PATH */
	MVM_PROBE_CGROUP_V1,          /* a cgroup (v1) hierarchy is mounted */
	MVM_PROBE_CGROUP_V2,          /* a cgroup2 hierarchy is mounted */
	MVM_PROBE_COUNT
};

struct mvm_probe {
	bool ok;
	char detail[200];
};

struct mvm_probes {
	bool root;                        /* the runtime runs as root */
	struct mvm_probe p[MVM_PROBE_COUNT];
};

/* Where the probes look; tests point them at fixtures. NULL fields take the defaults. */
struct mvm_doctor_env {
	const char *path;          /* PATH searched for binaries; default getenv("PATH") */
	const char *dev_kvm;       /* default /dev/kvm */
	const char *docker_socket; /* default DOCKER_HOST's unix:// path, else /var/run/docker.sock */
	const char *mountinfo;     /* default /proc/self/mountinfo */
	const char *arch;          /* default uname -m */
	bool skip_process_probes;  /* do not fork for the namespace, seccomp and ptrace probes (all "no") */
};

/* "kvm.present", "kvm.usable", "qemu", "firecracker", "docker", "userns", "pidns", "netns",
 * "mount_api", "seccomp", "seccomp.get_filter", "nft", "cgroup.v1", "cgroup.v2". */
const char *mvm_probe_name(enum mvm_probe_id id);
/* Runs every probe. 0 (a probe that fails is a result, not an error). */
int mvm_doctor_probe(const struct mvm_doctor_env *env, struct mvm_probes *out);

struct mvm_backend_status {
	bool built;      /* this build has it */
	bool available;  /* this host has what it needs */
	char why[200];   /* what is missing, or what it runs on */
};

struct mvm_selection {
	bool found;
	enum mvm_backend chosen;
	struct mvm_backend_status backend[MVM_BACKEND_COUNT];
	char error[320]; /* when not found */
};

/* Backend selection. requested is "auto" (or NULL): the highest tier that is built and
 * available (firecracker > qemu > sandbox > docker); a backend name: that one, or an error.
 * 0, -EINVAL (unknown name), -ENOSYS (not built yet), -ENODEV (not available on this host),
 * -ENOENT (auto, and nothing built is available); out->error says it in words. Pure. */
int mvm_backend_select(const struct mvm_probes *p, const char *requested, struct mvm_selection *out);

/* The report. */
void mvm_doctor_report_text(const struct mvm_probes *p, const struct mvm_selection *s, struct mvm_buf *out);
/* Canonical JSON: {"backends":[...],"claims":[...],"layers","probes":[...],"selected","tier"}. */
int mvm_doctor_report_json(const struct mvm_probes *p, const struct mvm_selection *s, struct mvm_buf *out);

/* `mvm doctor [--json]` (argv[0] is "doctor"): probes, selects, prints the report on out.
 * Returns the exit status: 0 when a backend this build has can run here, 1 when none can,
 * 2 for a usage error (message on err). */
int mvm_doctor_command(int argc, char **argv, FILE *out, FILE *err);
#endif

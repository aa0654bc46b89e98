/* Shared between the parts of the sandbox backend: the runtime side (sandbox.c), the sandbox's
 * pid 1 (sandbox_init.c), the filesystem view (sandbox_root.c), the workload's last steps
 * before execve (sandbox_workload.c) and the posture read-back (sandbox_observe.c). */
#ifndef MVM_SANDBOX_INTERNAL_H
#define MVM_SANDBOX_INTERNAL_H
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

/* Messages on the two SOCK_SEQPACKET pairs: runtime <-> init ("ctl") and runtime <-> workload
 * ("wl"). One fixed-size record per message. */
enum sbx_kind {
	SBX_GO = 1,     /* runtime -> init: maps written; runtime -> workload: seized, go on */
	SBX_READY,      /* workload -> runtime: privileges dropped, about to install the filter */
	SBX_ERROR,      /* init or workload -> runtime: step failed with err */
	SBX_NOTFOUND,   /* workload -> runtime: the command was not found (err) */
	SBX_EXITED,     /* init -> runtime: the workload's wait status */
};

struct sbx_msg {
	uint32_t kind;
	int32_t err;    /* positive errno */
	int32_t status; /* wait status, for SBX_EXITED */
	char step[116];
};

/* Everything the children need, prepared by the runtime before the clone (the children only
 * read it from their copy of the runtime's memory). */
struct sbx_launch {
	const struct mvm_sandbox_config *cfg;
	bool userns;
	bool privileged;      /* the runtime runs as root */
	int ctl;              /* init's end of ctl */
	int wl;               /* the workload's end of wl */
	sigset_t forwarded;   /* blocked in the runtime before the clone: init forwards these */
	int cap_last;         /* /proc/sys/kernel/cap_last_cap */
	char *const *envp;    /* the workload's environment */
	const char *path;     /* PATH used to find argv[0] */
};

/* The signals the runtime and init pass on to the workload (when sent to them explicitly). */
void sbx_forwarded_signals(sigset_t *set);

/* Sends one message; errors are ignored by callers that are about to exit anyway. */
int sbx_send(int fd, uint32_t kind, int err, int status, const char *step);

/* The sandbox's pid 1: waits for the runtime's GO, builds the filesystem view, brings up
 * loopback, forks the workload, forwards signals, reaps, reports the workload's status. */
_Noreturn void sbx_init_main(const struct sbx_launch *l);

/* Inside init, in the new mount namespace: builds the read-only root, /proc, /dev, /tmp, the
 * shares, pivots into it and detaches the host's root. 0, or -errno with step named. */
int sbx_setup_root(const struct sbx_launch *l, char *step, size_t steplen);

/* The workload's steps from init's fork to execve (never returns). */
_Noreturn void sbx_workload_main(const struct sbx_launch *l);

/* Reads the posture of a stopped tracee: /proc/PID/status, ns, uid_map/gid_map, and the
 * filter at index 0 with PTRACE_SECCOMP_GET_FILTER. Fills o; returns 0 (what could not be
 * read is recorded in o, never an error). */
int sbx_observe(pid_t pid, struct mvm_posture_observed *o);
/* The runtime's own namespaces and Seccomp_filters count. */
int sbx_observe_self(struct mvm_posture_observed *o, int *seccomp_filters, size_t *ngroups, uint32_t *groups);

/* The veth pair (sandbox_net.c). In the runtime, after the clone and before init goes on:
 * creates the pair with its sandbox end in init_pid's network namespace, addresses and brings
 * up the runtime's end; *ifindex is that end's, for sbx_net_detach. In init: addresses eth0,
 * brings it up, adds the default routes. 0, or -errno with step named. */
int sbx_net_attach(const struct mvm_sandbox_net *n, pid_t init_pid, int *ifindex, char *step, size_t steplen);
void sbx_net_detach(int ifindex);
int sbx_net_configure_inside(const struct mvm_sandbox_net *n, char *step, size_t steplen);

/* Test-only: defined only in builds with -DMVM_TEST_SWAP_FILTER (tests/sandbox_claim9.sh). */
#ifdef MVM_TEST_SWAP_FILTER
void mvm_sandbox_test_swapped_filter(struct sock_fprog *prog);
#endif
#endif

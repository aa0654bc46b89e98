/* A test oracle: loads an OCI `linux.seccomp` object (seccomp.json) the way runc does
 * (libcontainer/specconv, libcontainer/seccomp/seccomp_linux.go, .../patchbpf) with jansson and
 * libseccomp, for one target architecture, and hands back the classic-BPF program runc would
 * install on a host of that architecture. The quirks it reproduces are listed in oci_runc.c. */
#ifndef MVM_TESTS_OCI_RUNC_H
#define MVM_TESTS_OCI_RUNC_H
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Input bound: runc itself has none, but this oracle refuses anything larger. */
#define OCI_RUNC_MAX_JSON (16u << 20)

/* Actions as runc's configs package names them (SCMP_ACT_KILL and _KILL_THREAD stay distinct
 * here because runc's patchbpf looks at the name, not at the libseccomp value). */
enum oci_runc_act {
	OCI_RUNC_KILL,
	OCI_RUNC_KILL_THREAD,
	OCI_RUNC_KILL_PROCESS,
	OCI_RUNC_ERRNO,
	OCI_RUNC_TRAP,
	OCI_RUNC_ALLOW,
	OCI_RUNC_TRACE,
	OCI_RUNC_LOG,
	OCI_RUNC_NOTIFY,
};

struct oci_runc_arg {
	unsigned index;     /* 0..5 */
	uint64_t value;     /* for SCMP_CMP_MASKED_EQ: the mask */
	uint64_t value_two; /* for SCMP_CMP_MASKED_EQ: the expected value */
	int op;             /* SCMP_CMP_* from <seccomp.h> */
};

/* One syscall rule after runc's specconv: one per name of a `syscalls[]` entry, in order. */
struct oci_runc_call {
	char *name;
	enum oci_runc_act act;
	uint32_t action;    /* the SECCOMP_RET_* value runc derives (errnoRet applied) */
	size_t nargs;
	struct oci_runc_arg *args;
};

struct oci_runc_config {
	bool disabled;              /* no defaultAction and no syscalls: runc installs no filter */
	enum oci_runc_act default_act;
	uint32_t default_action;    /* SECCOMP_RET_* value */
	bool has_default_errno_ret;
	uint64_t default_errno_ret; /* as written, before runc truncates it */
	size_t narch;
	uint32_t *arch;             /* SCMP_ARCH_* tokens, as listed */
	size_t ncall;
	struct oci_runc_call *call;
};

/* Parses and validates seccomp.json as runc's specconv would. 0 or a negative errno with a
 * message in err. Free the result with oci_runc_config_free(). */
int oci_runc_parse(const char *json_text, size_t len, struct oci_runc_config **out,
		   char *err, size_t errlen);
void oci_runc_config_free(struct oci_runc_config *c);

/* What runc (or libseccomp under it) decides on its own for the target arch, outside anything
 * the JSON says: a comparison needs it to tell the JSON's decisions from runc's additions. */
struct oci_runc_info {
	uint32_t arch;               /* the target SCMP_ARCH_* token (= its AUDIT_ARCH value) */
	uint32_t default_action;     /* SECCOMP_RET_* value of the JSON default as runc reads it */
	uint32_t badarch_action;     /* libseccomp's bad-arch action, which runc leaves as is */
	bool x32_is_badarch;         /* x86_64 without SCMP_ARCH_X32: x32 numbers hit badarch */
	bool stub;                   /* runc's -ENOSYS stub is prepended */
	bool stub_native;            /* non-x32 numbers > stub_native_max get ERRNO(ENOSYS) */
	uint32_t stub_native_max;
	bool stub_x32;               /* x32 numbers > stub_x32_max get ERRNO(ENOSYS) */
	uint32_t stub_x32_max;
};

enum oci_runc_origin {
	OCI_RUNC_FROM_JSON,    /* the libseccomp filter built from the JSON's rules decides */
	OCI_RUNC_FROM_STUB,    /* runc's patchbpf -ENOSYS stub decides */
	OCI_RUNC_FROM_BADARCH, /* libseccomp's x32 filtering sends the call to the bad-arch action */
};

/* Which part of runc's program decides syscall number nr on the target arch. */
enum oci_runc_origin oci_runc_origin_of(const struct oci_runc_info *info, uint32_t nr);

/* Builds runc's filter for one arch (SCMP_ARCH_X86_64 or SCMP_ARCH_AARCH64). On success *prog
 * is a malloc'd array of *n instructions (free() it) and info, if not NULL, is filled.
 * Returns 0 or a negative errno with a message in err (-EINVAL: runc would refuse the JSON). */
int oci_runc_compile_info(const char *json_text, size_t len, uint32_t scmp_arch_token,
			  struct sock_filter **prog, size_t *n, struct oci_runc_info *info,
			  char *err, size_t errlen);

int oci_runc_compile(const char *json_text, size_t len, uint32_t scmp_arch_token,
		     struct sock_filter **prog, size_t *n, char *err, size_t errlen);

#endif

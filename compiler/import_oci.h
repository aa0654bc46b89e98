/* OCI seccomp profile (runtime-spec linux.seccomp, with Docker's archMap and includes/excludes
 * extension) -> a schema-1 YAML profile (docs/profile.md). See docs/bpf.md, "Importing". */
#ifndef MVM_IMPORT_OCI_H
#define MVM_IMPORT_OCI_H
#include <stdint.h>

#include "../lib/buf.h"
#include "stdlib.h"

#define MVM_IMPORT_MAX_JSON (4u << 20)

/* Docker's default capability set (what `--caps docker-default` selects). */
extern const char *const mvm_docker_default_caps[];

struct mvm_import_opts {
	const char *name;     /* the profile's `name` */
	const char *source;   /* shown in the header comment */
	size_t ncap;
	const char *const *cap; /* the container's capabilities, "CAP_..." */
};

/* Converts json (len bytes, from `file` for messages) into YAML appended to out. The stdlib
 * gives argument names and widths. 0, or -EINVAL after reporting FILE:LINE:COL errors. */
int mvm_import_oci(struct mvm_diag *d, const struct mvm_stdlib *st, const char *file, const char *json, size_t len,
		   const struct mvm_import_opts *o, struct mvm_buf *out);
#endif

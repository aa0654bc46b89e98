/* Writing a directory of files atomically: everything goes into a fresh temporary directory
 * beside the target, each file fsynced, then the directory is renamed (or swapped) into place.
 * A failure at any step leaves the previous directory (or nothing) behind, never a mix. */
#ifndef MVM_OUTDIR_H
#define MVM_OUTDIR_H
#include <stddef.h>

struct mvm_file {
	const char *name;  /* a plain file name, no '/' */
	const void *data;
	size_t len;
};

/* An existing target is replaced only when it is a real directory (not a symlink) holding
 * nothing but regular files whose names pass `replaceable` (NULL: any name). Returns 0 or a
 * negative errno, with a message in err. */
int mvm_write_dir_atomic(const char *dir, const struct mvm_file *files, size_t n,
			 int (*replaceable)(const char *name), char *err, size_t errlen);
#endif

/* sha256 digests as "sha256:<64 hex>" (libsodium). */
#ifndef MVM_DIGEST_H
#define MVM_DIGEST_H
#include <stddef.h>

#define MVM_DIGEST_STRLEN (7 + 64 + 1)
/* Returns 0, or -EIO when libsodium cannot initialise. */
int mvm_sha256_str(const void *data, size_t len, char out[MVM_DIGEST_STRLEN]);
#endif

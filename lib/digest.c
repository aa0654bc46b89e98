#include "digest.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

int mvm_sha256_str(const void *data, size_t len, char out[MVM_DIGEST_STRLEN])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	if (sodium_init() < 0)
		return -EIO;
	crypto_hash_sha256(h, data, len);
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, 65, h, sizeof(h));
	return 0;
}

/* Ed25519 keys (libsodium) with a role, their files, and the trust store lookup.
 *
 * Files (text, one line, fixed size for a given role):
 *   NAME.key  "mvm-secret-key-v1 ROLE BASE64(64-byte libsodium secret key)\n", mode 0600
 *   NAME.pub  "mvm-public-key-v1 ROLE BASE64(32-byte public key)\n"
 * Key id: the first 16 bytes of sha256(public key), as 32 lower-case hex digits.
 *
 * Trust store: a directory ROOT with ROOT/ROLE/KEYID.pub for trusted keys and
 * ROOT/ROLE/retired/KEYID.pub for retired ones (still valid for audit entries they signed,
 * never for new bundles or plans). Nothing in this module creates a key while verifying. */
#ifndef MVM_KEYS_H
#define MVM_KEYS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mvm_key_role { MVM_ROLE_PUBLISHER = 1, MVM_ROLE_HOST = 2 };

#define MVM_PUBKEY_BYTES 32
#define MVM_SECKEY_BYTES 64
#define MVM_SIG_BYTES 64
#define MVM_KEYID_LEN 32 /* hex digits */

struct mvm_pubkey {
	enum mvm_key_role role;
	uint8_t pk[MVM_PUBKEY_BYTES];
	char keyid[MVM_KEYID_LEN + 1];
};

struct mvm_seckey {
	struct mvm_pubkey pub;
	uint8_t sk[MVM_SECKEY_BYTES];
};

const char *mvm_role_name(enum mvm_key_role r);
/* 0 or -EINVAL. */
int mvm_role_parse(const char *s, enum mvm_key_role *out);

/* Key id of a public key. */
void mvm_keyid(const uint8_t pk[MVM_PUBKEY_BYTES], char out[MVM_KEYID_LEN + 1]);
/* True for 32 lower-case hex digits (safe to use as a file name). */
bool mvm_keyid_valid(const char *s);

/* A fresh key pair. 0 or -EIO. */
int mvm_key_generate(enum mvm_key_role role, struct mvm_seckey *out);
/* Wipes the secret half. */
void mvm_seckey_wipe(struct mvm_seckey *k);

/* Writes BASE.key (0600) and BASE.pub (0644) via temporary files, fsync and link(), so
 * an existing key is never overwritten (-EEXIST) and no partial file is ever visible. */
int mvm_key_write_files(const char *base, const struct mvm_seckey *k, char *err, size_t errlen);

/* Loads a secret key file: refuses a file that is not a regular file owned by the caller, has
 * any mode bit beyond 0600, has the wrong size or format, or whose public half does not match
 * the secret seed. 0 or a negative errno, with a message in err. */
int mvm_seckey_load(const char *path, struct mvm_seckey *out, char *err, size_t errlen);
/* Parses a public key file's bytes (exact format and size). */
int mvm_pubkey_parse(const char *text, size_t len, struct mvm_pubkey *out);
int mvm_pubkey_load(const char *path, struct mvm_pubkey *out, char *err, size_t errlen);
/* The exact bytes of a public key file for k (for trust add and keygen). */
int mvm_pubkey_format(const struct mvm_pubkey *k, char *out, size_t outlen);

/* A set of trust stores searched in order, plus (for tests and benchmarks) keys held in
 * memory. */
#define MVM_TRUST_MAX_ROOTS 4
struct mvm_trust {
	size_t nroot;
	const char *root[MVM_TRUST_MAX_ROOTS];
	size_t nkey;
	const struct mvm_pubkey *key; /* in-memory trusted keys (never retired) */
};

enum mvm_trust_state { MVM_TRUST_ACTIVE = 1, MVM_TRUST_RETIRED = 2 };

/* Finds the key with this id trusted for `role`. `accept` is a mask of mvm_trust_state: the
 * admission path accepts only ACTIVE, the audit verifier ACTIVE | RETIRED. Returns 0 with
 * *state set; -ENOKEY when the id is unknown; -EKEYREJECTED when the id is trusted only for
 * another role (or only retired when retired is not accepted); -EINVAL when a store entry is
 * malformed (the file's key id, role or format disagree with its place): fail closed;
 * -EPERM when a store directory is writable by group or others. */
int mvm_trust_lookup(const struct mvm_trust *t, enum mvm_key_role role, const char *keyid, unsigned accept,
		     struct mvm_pubkey *out, enum mvm_trust_state *state, char *err, size_t errlen);

/* Reads a whole small file once into a malloc'd buffer (NUL-terminated), refusing anything
 * that is not a regular file or is larger than max. O_NOFOLLOW when nofollow. */
int mvm_read_small_file(const char *path, size_t max, bool nofollow, char **data, size_t *len);
int mvm_read_small_fileat(int dirfd, const char *name, size_t max, char **data, size_t *len);
#endif

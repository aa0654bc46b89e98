/* DSSE envelopes (Dead Simple Signing Envelope) with Ed25519, and typed detached signatures.
 *
 * Every mvm signature is over the DSSE pre-authentication encoding of a payload type and the
 * exact payload bytes: PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
 * LEN in ASCII decimal. Distinct types keep a signature for one purpose (a bundle, an execution
 * plan, an audit entry, an audit head) from being accepted for another.
 *
 * An envelope file is canonical JSON (lib/canon_json.h) followed by one "\n":
 *   {"payload":"<base64>","payloadType":"<type>","signatures":[{"keyid":"<id>","sig":"<base64>"}]}
 * with standard padded base64 in canonical form and exactly one signature, so that every byte
 * of the file is significant: any change is either a parse error or a different value. */
#ifndef MVM_DSSE_H
#define MVM_DSSE_H
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "keys.h"

#define MVM_TYPE_PLAN "application/vnd.mvm.plan+json"
#define MVM_TYPE_EXEC_PLAN "application/vnd.mvm.exec-plan+json"
#define MVM_TYPE_AUDIT_ENTRY "application/vnd.mvm.audit-entry+json"
#define MVM_TYPE_AUDIT_HEAD "application/vnd.mvm.audit-head+json"

#define MVM_DSSE_MAX_BYTES (4u << 20)

/* Appends PAE(type, body) to out. */
void mvm_dsse_pae(struct mvm_buf *out, const char *type, const void *body, size_t len);
/* Detached Ed25519 signature over PAE(type, body). 0, -ENOMEM or -EIO. */
int mvm_sign_typed(const struct mvm_seckey *k, const char *type, const void *body, size_t len,
		   uint8_t sig[MVM_SIG_BYTES]);
/* 0 when sig is k's signature over PAE(type, body); -EBADMSG otherwise. */
int mvm_verify_typed(const struct mvm_pubkey *k, const char *type, const void *body, size_t len,
		     const uint8_t sig[MVM_SIG_BYTES]);

/* Standard padded base64. decode_exact accepts only the canonical encoding of exactly `want`
 * bytes (0 or -EINVAL); decode_alloc any length into the arena. */
void mvm_b64_put(struct mvm_buf *b, const void *data, size_t len);
int mvm_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t want);
int mvm_b64_decode_alloc(struct mvm_arena *a, const char *s, size_t len, uint8_t **out, size_t *outlen);

/* Writes the envelope file bytes (canonical JSON + "\n") for payload signed by k. */
int mvm_dsse_sign_envelope(const struct mvm_seckey *k, const char *type, const void *payload, size_t len,
			   struct mvm_buf *out);

struct mvm_dsse {
	const char *payload_type;
	const uint8_t *payload; /* decoded, NUL-terminated, in the arena */
	size_t payload_len;
	char keyid[MVM_KEYID_LEN + 1];
	uint8_t sig[MVM_SIG_BYTES];
};

/* Parses envelope file bytes strictly (see above). 0, -EINVAL with a message, or -ENOMEM. */
int mvm_dsse_parse(struct mvm_arena *a, const char *bytes, size_t len, struct mvm_dsse *out, char *err,
		   size_t errlen);
/* Checks the signature of a parsed envelope with k (whose key id must be the envelope's).
 * 0, or -EBADMSG. The payload type is checked by the caller against what it expects. */
int mvm_dsse_verify(const struct mvm_dsse *e, const struct mvm_pubkey *k);
#endif

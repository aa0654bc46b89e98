/* The audit log's stored-line and head parsers (runtime/audit_log.c via mvm_audit_parse_line and
 * mvm_audit_parse_head: the code `mvm audit verify` runs on every line). The first byte picks:
 *   0  the rest is one stored line (without its newline), and also a head file's bytes;
 *   1  the rest is an entry object that the harness signs with its trusted host key, stored as
 *      {"entry":...,"sig":"..."} (so parsing gets past the signature);
 *   2  the same for a head object, stored as {"head":...,"sig":"..."}\n.
 * Property: every verdict but clean comes with a message; nothing reads out of bounds. */
#include <string.h>

#include "lib/dsse.h"
#include "runtime/runtime.h"
#include "fuzz.h"

#define TENANT "fuzz"

static void signed_line(const char *outer, const char *type, const uint8_t *body, size_t n, bool head,
			struct mvm_buf *line)
{
	uint8_t sig[MVM_SIG_BYTES];
	FUZZ_CHECK(mvm_sign_typed(fuzz_key(MVM_ROLE_HOST), type, body, n, sig) == 0);
	mvm_buf_printf(line, "{\"%s\":", outer);
	mvm_buf_put(line, body, n);
	mvm_buf_puts(line, ",\"sig\":\"");
	mvm_b64_put(line, sig, sizeof(sig));
	mvm_buf_puts(line, head ? "\"}\n" : "\"}");
	FUZZ_CHECK(!line->oom);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct mvm_pubkey *pub = &fuzz_key(MVM_ROLE_HOST)->pub;
	struct mvm_trust t = { .nkey = 1, .key = pub };
	struct mvm_buf line = { 0 };
	char detail[256];
	uint64_t seq;
	enum mvm_audit_status s;
	const uint8_t *body = data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0:
		s = mvm_audit_parse_line((const char *)body, n, TENANT, &t, &seq, detail, sizeof(detail));
		FUZZ_CHECK(s == MVM_AUDIT_CLEAN || detail[0]);
		s = mvm_audit_parse_head((const char *)body, n, TENANT, &t, &seq, detail, sizeof(detail));
		FUZZ_CHECK(s == MVM_AUDIT_CLEAN || detail[0]);
		break;
	case 1:
		signed_line("entry", MVM_TYPE_AUDIT_ENTRY, body, n, false, &line);
		s = mvm_audit_parse_line(line.data, line.len, TENANT, &t, &seq, detail, sizeof(detail));
		FUZZ_CHECK(s == MVM_AUDIT_CLEAN || detail[0]);
		break;
	default:
		signed_line("head", MVM_TYPE_AUDIT_HEAD, body, n, true, &line);
		s = mvm_audit_parse_head(line.data, line.len, TENANT, &t, &seq, detail, sizeof(detail));
		FUZZ_CHECK(s == MVM_AUDIT_CLEAN || detail[0]);
		break;
	}
	mvm_buf_free(&line);
	return 0;
}

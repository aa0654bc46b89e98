/* The nonce store's file parser (runtime/nonce_store.c, mvm_nonce_store_scan: what every
 * admission runs on nonces.db before inserting). The first 8 bytes are the clock (`now`), the
 * next 32 the nonce being admitted, the rest the file. Properties: a file the parser accepts has
 * a good header, whole records counted exactly, and the torn tail is what does not fill a record;
 * a replay or a corrupt record is reported with its index inside the file. */
#include <errno.h>
#include <string.h>

#include "runtime/runtime.h"
#include "fuzz.h"

#define HEADER 16
#define RECORD 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int64_t now = (int64_t)fuzz_u64(&in);
	uint8_t nonce[MVM_NONCE_BYTES] = { 0 };
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = fuzz_u8(&in);
	struct mvm_nonce_scan sc;
	int r = mvm_nonce_store_scan(in.p, in.n, nonce, now, &sc);
	switch (r) {
	case 0:
		FUZZ_CHECK(in.n >= HEADER);
		FUZZ_CHECK(sc.nrec == (in.n - HEADER) / RECORD && sc.torn == (in.n - HEADER) % RECORD);
		FUZZ_CHECK(sc.expired <= sc.nrec);
		break;
	case -EUCLEAN:
	case -EEXIST:
		FUZZ_CHECK(HEADER + (sc.bad + 1) * RECORD <= in.n);
		if (r == -EEXIST)
			FUZZ_CHECK(memcmp(in.p + HEADER + sc.bad * RECORD, nonce, MVM_NONCE_BYTES) == 0);
		break;
	default:
		FUZZ_CHECK(r == -EBADMSG);
		break;
	}
	return 0;
}

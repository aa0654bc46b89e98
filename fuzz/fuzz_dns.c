/* lib/dns.c's response parser (mvm_dns_parse_response: what the egress pinning reads from the
 * network). The first byte picks the question (name and A/AAAA); the message's own id is taken
 * as the query id unless bit 7 is set, so that most inputs get past the header. Properties:
 * answers only of the asked family, at most MVM_DNS_MAX_ADDRS of them, at least one on success;
 * and the query builder's message for the same question parses as a (refused) non-response. */
#include <errno.h>
#include <sys/socket.h>

#include "lib/dns.h"
#include "fuzz.h"

static const char *const names[] = { "example.com", "a.b.example.org.", "x", "deep.cname.chain.example.net",
				     "EXAMPLE.com" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	const uint8_t *msg = data + 1;
	size_t len = size - 1;
	const char *name = names[(sel & 0x3f) % (sizeof(names) / sizeof(names[0]))];
	uint16_t qtype = (sel & 0x40) ? 28 : 1;
	uint16_t id = (sel & 0x80) || len < 2 ? 0x1234 : (uint16_t)(msg[0] << 8 | msg[1]);
	struct mvm_dns_answer ans;
	int r = mvm_dns_parse_response(msg, len, id, name, qtype, &ans);
	FUZZ_CHECK(r == 0 || r == -EPROTO || r == -ENOENT || r == -EAGAIN);
	FUZZ_CHECK(ans.n <= MVM_DNS_MAX_ADDRS);
	if (r == 0) {
		FUZZ_CHECK(ans.n >= 1);
		for (size_t i = 0; i < ans.n; i++)
			FUZZ_CHECK(ans.addr[i].family == (qtype == 28 ? AF_INET6 : AF_INET));
	}
	uint8_t q[512];
	int n = mvm_dns_build_query(q, sizeof(q), id, name, qtype);
	FUZZ_CHECK(n > 12);
	FUZZ_CHECK(mvm_dns_parse_response(q, (size_t)n, id, name, qtype, &ans) == -EPROTO);
	return 0;
}

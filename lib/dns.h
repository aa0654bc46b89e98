/* A minimal DNS stub client for pinning egress host names: A/AAAA queries over UDP (TCP when
 * the answer is truncated) to one resolver, answers parsed strictly with their TTLs. */
#ifndef MVM_DNS_H
#define MVM_DNS_H
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define MVM_DNS_MAX_ADDRS 32

struct mvm_dns_addr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint32_t ttl;      /* seconds, already bounded by the CNAME chain's TTLs */
};

struct mvm_dns_answer {
	size_t n;
	struct mvm_dns_addr addr[MVM_DNS_MAX_ADDRS];
};

/* Builds a query for name (type 1 = A, 28 = AAAA) with the given id. Returns its length, or
 * -EINVAL for a bad name. */
int mvm_dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);
/* Parses a response to the query (id, name, qtype): only answers for that name or for names
 * it is a CNAME of are taken. Returns 0, -EPROTO for a malformed or mismatched message,
 * -ENOENT for NXDOMAIN or no address, -EAGAIN when truncated (retry over TCP). */
int mvm_dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
			   struct mvm_dns_answer *out);
/* Resolves name's A and AAAA records through resolver (an IPv4 or IPv6 address text, port 53
 * unless port != 0) with a timeout in milliseconds per query. 0, -ENOENT, -ETIMEDOUT, -EPROTO. */
int mvm_dns_resolve(const char *resolver, uint16_t port, const char *name, int timeout_ms,
		    struct mvm_dns_answer *out);
#endif

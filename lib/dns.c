#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DNS_MAX_MSG 4096
#define DNS_MAX_CNAME_HOPS 8

static int put_name(uint8_t *buf, size_t cap, size_t *off, const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 253)
		return -EINVAL;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || *off + 1 + l >= cap)
			return -EINVAL;
		buf[(*off)++] = (uint8_t)l;
		memcpy(buf + *off, p, l);
		*off += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (*off + 1 > cap)
		return -EINVAL;
	buf[(*off)++] = 0;
	return 0;
}

int mvm_dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	if (cap < 12 + 2 + 4)
		return -EINVAL;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	size_t off = 12;
	if (put_name(buf, cap - 4, &off, name))
		return -EINVAL;
	buf[off++] = (uint8_t)(qtype >> 8);
	buf[off++] = (uint8_t)qtype;
	buf[off++] = 0;
	buf[off++] = 1; /* IN */
	return (int)off;
}

/* Reads a possibly compressed name at *off into out (lower-case, dotted). Pointers may only
 * go backwards, so a loop cannot occur; the hop count bounds it anyway. */
static int read_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t outcap)
{
	size_t pos = *off, o = 0;
	int hops = 0;
	bool jumped = false;
	for (;;) {
		if (pos >= len)
			return -EPROTO;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > 32)
				return -EPROTO;
			size_t target = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
			if (target >= pos)
				return -EPROTO;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return -EPROTO;
		if (l == 0) {
			if (!jumped)
				*off = pos + 1;
			break;
		}
		if (pos + 1 + l > len || o + l + 2 > outcap)
			return -EPROTO;
		if (o)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)msg[pos + 1 + i];
			/* a NUL or a dot inside a label would make the dotted text another name */
			if (c == 0 || c == '.')
				return -EPROTO;
			out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		pos += 1 + (size_t)l;
	}
	out[o] = 0;
	return 0;
}

static bool name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
		char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
		if (x != y)
			return false;
	}
	/* a trailing dot in the query name is the same name */
	return (*a == 0 || (*a == '.' && a[1] == 0)) && (*b == 0 || (*b == '.' && b[1] == 0));
}

int mvm_dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
			   struct mvm_dns_answer *out)
{
	out->n = 0;
	if (len < 12 || ((msg[0] << 8) | msg[1]) != id || !(msg[2] & 0x80))
		return -EPROTO;
	if (msg[2] & 0x02)
		return -EAGAIN;
	int rcode = msg[3] & 0x0f;
	unsigned qd = (unsigned)(msg[4] << 8 | msg[5]), an = (unsigned)(msg[6] << 8 | msg[7]);
	if (rcode == 3)
		return -ENOENT;
	if (rcode != 0 || qd != 1)
		return -EPROTO;
	size_t off = 12;
	char qname[256];
	if (read_name(msg, len, &off, qname, sizeof(qname)) || off + 4 > len)
		return -EPROTO;
	if (!name_eq(qname, name) || ((msg[off] << 8) | msg[off + 1]) != qtype)
		return -EPROTO;
	off += 4;
	/* The names that stand for the queried one: itself and its CNAME targets, in order. */
	char chain[DNS_MAX_CNAME_HOPS + 1][256];
	uint32_t chain_ttl = UINT32_MAX;
	size_t nchain = 1;
	strcpy(chain[0], qname);
	for (unsigned i = 0; i < an; i++) {
		char rname[256];
		if (read_name(msg, len, &off, rname, sizeof(rname)) || off + 10 > len)
			return -EPROTO;
		uint16_t type = (uint16_t)(msg[off] << 8 | msg[off + 1]);
		uint16_t cls = (uint16_t)(msg[off + 2] << 8 | msg[off + 3]);
		uint32_t ttl = (uint32_t)msg[off + 4] << 24 | (uint32_t)msg[off + 5] << 16 | (uint32_t)msg[off + 6] << 8 | msg[off + 7];
		uint16_t rdlen = (uint16_t)(msg[off + 8] << 8 | msg[off + 9]);
		off += 10;
		if (off + rdlen > len)
			return -EPROTO;
		bool ours = false;
		for (size_t k = 0; k < nchain; k++)
			ours |= name_eq(rname, chain[k]);
		if (ttl > 0x7fffffff)
			ttl = 0; /* RFC 2181: treat as zero */
		if (ours && cls == 1 && type == 5) {
			size_t roff = off;
			if (nchain > DNS_MAX_CNAME_HOPS || read_name(msg, len, &roff, chain[nchain], sizeof(chain[0])))
				return -EPROTO;
			nchain++;
			if (ttl < chain_ttl)
				chain_ttl = ttl;
		} else if (ours && cls == 1 && type == qtype && ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16))) {
			if (out->n < MVM_DNS_MAX_ADDRS) {
				struct mvm_dns_addr *a = &out->addr[out->n++];
				a->family = type == 1 ? AF_INET : AF_INET6;
				memset(a->addr, 0, sizeof(a->addr));
				memcpy(a->addr, msg + off, rdlen);
				a->ttl = ttl;
			}
		}
		off += rdlen;
	}
	for (size_t i = 0; i < out->n; i++)
		if (out->addr[i].ttl > chain_ttl)
			out->addr[i].ttl = chain_ttl;
	return out->n ? 0 : -ENOENT;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int resolver_addr(const char *resolver, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, resolver, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port ? port : 53);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, resolver, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port ? port : 53);
		*sl = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static int query_udp(const struct sockaddr_storage *ss, socklen_t sl, const char *name, uint16_t qtype,
		     int timeout_ms, struct mvm_dns_answer *out)
{
	uint8_t q[512], r[DNS_MAX_MSG];
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -EIO;
	int ql = mvm_dns_build_query(q, sizeof(q), id, name, qtype);
	if (ql < 0)
		return ql;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = -ETIMEDOUT;
	/* connect() makes the kernel drop datagrams from any other source. */
	if (connect(fd, (const struct sockaddr *)ss, sl) < 0 || send(fd, q, (size_t)ql, 0) != ql) {
		rc = -errno;
		goto out;
	}
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t n = recv(fd, r, sizeof(r), 0);
		if (n < 0) {
			rc = -errno;
			break;
		}
		rc = mvm_dns_parse_response(r, (size_t)n, id, name, qtype, out);
		/* A message for another id is someone else's (or forged): keep waiting. */
		if (rc == -EPROTO && n >= 2 && ((r[0] << 8) | r[1]) != id)
			continue;
		break;
	}
out:
	close(fd);
	return rc;
}

int mvm_dns_resolve(const char *resolver, uint16_t port, const char *name, int timeout_ms,
		    struct mvm_dns_answer *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (resolver_addr(resolver, port, &ss, &sl))
		return -EINVAL;
	struct mvm_dns_answer a4, a6;
	int r4 = query_udp(&ss, sl, name, 1, timeout_ms, &a4);
	int r6 = query_udp(&ss, sl, name, 28, timeout_ms, &a6);
	out->n = 0;
	if (r4 == 0)
		for (size_t i = 0; i < a4.n && out->n < MVM_DNS_MAX_ADDRS; i++)
			out->addr[out->n++] = a4.addr[i];
	if (r6 == 0)
		for (size_t i = 0; i < a6.n && out->n < MVM_DNS_MAX_ADDRS; i++)
			out->addr[out->n++] = a6.addr[i];
	if (out->n)
		return 0;
	if (r4 == -ETIMEDOUT || r6 == -ETIMEDOUT)
		return -ETIMEDOUT;
	if (r4 == -EPROTO || r6 == -EPROTO)
		return -EPROTO;
	return -ENOENT;
}

/* lib/dns.c: query encoding, strict response parsing (ids, names, CNAME chains, TTLs,
 * truncation, compression loops), and resolution against a real DNS server on loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/dns.h"

/* A response built by hand: header, the question, then answer records. */
struct msg {
	uint8_t b[1024];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, x, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

static void response(struct msg *m, uint16_t id, const char *name, uint16_t qtype, uint16_t flags, uint16_t ancount)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, 1);
	put16(m, ancount);
	put16(m, 0);
	put16(m, 0);
	uint8_t q[300];
	int ql = mvm_dns_build_query(q, sizeof(q), id, name, qtype);
	assert_true(ql > 12);
	put(m, q + 12, (size_t)ql - 12);
}

static void record(struct msg *m, const uint8_t *name, size_t nlen, uint16_t type, uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	put(m, name, nlen);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
	put(m, rdata, rdlen);
}

static const uint8_t ptr_qname[] = { 0xc0, 12 }; /* compression pointer to the question name */

static void test_a_records_are_parsed_with_their_ttl(void **state)
{
	(void)state;
	struct msg m;
	struct mvm_dns_answer a;
	uint8_t ip[4] = { 192, 0, 2, 7 };
	response(&m, 0x1234, "api.example.com", 1, 0x8180, 1);
	record(&m, ptr_qname, 2, 1, 300, ip, 4);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n, 0x1234, "api.example.com", 1, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.addr[0].family, AF_INET);
	assert_memory_equal(a.addr[0].addr, ip, 4);
	assert_int_equal(a.addr[0].ttl, 300);
}

static void test_wrong_id_is_refused(void **state)
{
	(void)state;
	struct msg m;
	struct mvm_dns_answer a;
	uint8_t ip[4] = { 192, 0, 2, 7 };
	response(&m, 0x1234, "example.com", 1, 0x8180, 1);
	record(&m, ptr_qname, 2, 1, 300, ip, 4);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n, 0x4321, "example.com", 1, &a), -EPROTO);
}

static void test_answer_for_another_name_is_ignored(void **state)
{
	(void)state;
	struct msg m;
	struct mvm_dns_answer a;
	uint8_t ip[4] = { 203, 0, 113, 9 };
	static const uint8_t other[] = { 4, 'e', 'v', 'i', 'l', 3, 'c', 'o', 'm', 0 };
	response(&m, 7, "example.com", 1, 0x8180, 1);
	record(&m, other, sizeof(other), 1, 300, ip, 4);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n, 7, "example.com", 1, &a), -ENOENT);
}

static void test_cname_chain_bounds_ttl_by_its_shortest_link(void **state)
{
	(void)state;
	struct msg m;
	struct mvm_dns_answer a;
	static const uint8_t target[] = { 3, 'c', 'd', 'n', 3, 'n', 'e', 't', 0 };
	uint8_t ip[4] = { 198, 51, 100, 1 };
	response(&m, 9, "www.example.com", 1, 0x8180, 2);
	record(&m, ptr_qname, 2, 5, 60, target, sizeof(target));
	record(&m, target, sizeof(target), 1, 3600, ip, 4);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n, 9, "www.example.com", 1, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.addr[0].ttl, 60);
}

static void test_nxdomain_and_truncation_are_reported(void **state)
{
	(void)state;
	struct msg m;
	struct mvm_dns_answer a;
	response(&m, 1, "nope.example", 1, 0x8183, 0);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n, 1, "nope.example", 1, &a), -ENOENT);
	response(&m, 1, "big.example", 1, 0x8380, 0);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n, 1, "big.example", 1, &a), -EAGAIN);
}

static void test_forward_compression_pointer_is_refused(void **state)
{
	(void)state;
	struct msg m;
	struct mvm_dns_answer a;
	uint8_t ip[4] = { 192, 0, 2, 1 };
	response(&m, 3, "example.com", 1, 0x8180, 1);
	uint8_t fwd[2] = { 0xc0, (uint8_t)(m.n + 2) }; /* points at itself or later: a loop */
	record(&m, fwd, 2, 1, 30, ip, 4);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n, 3, "example.com", 1, &a), -EPROTO);
}

static void test_truncated_record_is_refused(void **state)
{
	(void)state;
	struct msg m;
	struct mvm_dns_answer a;
	uint8_t ip[4] = { 192, 0, 2, 1 };
	response(&m, 3, "example.com", 1, 0x8180, 1);
	record(&m, ptr_qname, 2, 1, 30, ip, 4);
	assert_int_equal(mvm_dns_parse_response(m.b, m.n - 2, 3, "example.com", 1, &a), -EPROTO);
}

static void test_bad_names_are_not_queried(void **state)
{
	(void)state;
	uint8_t q[512];
	assert_int_equal(mvm_dns_build_query(q, sizeof(q), 1, "", 1), -EINVAL);
	assert_int_equal(mvm_dns_build_query(q, sizeof(q), 1, "a..b", 1), -EINVAL);
	char longlabel[80];
	memset(longlabel, 'x', 70);
	longlabel[70] = 0;
	assert_int_equal(mvm_dns_build_query(q, sizeof(q), 1, longlabel, 1), -EINVAL);
}

/* End to end: a real server (tests/dns_server.py) on loopback answering from a zone file. */
static void test_resolve_against_a_real_server(void **state)
{
	(void)state;
	char zone[] = "/tmp/mvm-dns-zone-XXXXXX";
	int fd = mkstemp(zone);
	dprintf(fd, "svc.test A 120 192.0.2.10\nsvc.test A 120 192.0.2.11\nsvc.test AAAA 30 2001:db8::10\nalias.test CNAME 40 svc.test\n");
	close(fd);
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		execl("/usr/bin/python3", "python3", "tests/dns_server.py", "127.0.0.1", "53535", zone, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	char ready[16] = "";
	assert_true(read(pipefd[0], ready, sizeof(ready) - 1) > 0);
	struct mvm_dns_answer a;
	int r = mvm_dns_resolve("127.0.0.1", 53535, "svc.test", 2000, &a);
	int r2 = -1, r3 = -1;
	struct mvm_dns_answer b, c;
	if (r == 0)
		r2 = mvm_dns_resolve("127.0.0.1", 53535, "alias.test", 2000, &b);
	if (r2 == 0)
		r3 = mvm_dns_resolve("127.0.0.1", 53535, "missing.test", 2000, &c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	unlink(zone);
	assert_int_equal(r, 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.addr[0].family, AF_INET);
	assert_int_equal(a.addr[2].family, AF_INET6);
	assert_int_equal(a.addr[2].ttl, 30);
	assert_int_equal(r2, 0);
	assert_int_equal(b.addr[0].ttl, 40);
	assert_int_equal(r3, -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_records_are_parsed_with_their_ttl),
		cmocka_unit_test(test_wrong_id_is_refused),
		cmocka_unit_test(test_answer_for_another_name_is_ignored),
		cmocka_unit_test(test_cname_chain_bounds_ttl_by_its_shortest_link),
		cmocka_unit_test(test_nxdomain_and_truncation_are_reported),
		cmocka_unit_test(test_forward_compression_pointer_is_refused),
		cmocka_unit_test(test_truncated_record_is_refused),
		cmocka_unit_test(test_bad_names_are_not_queried),
		cmocka_unit_test(test_resolve_against_a_real_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

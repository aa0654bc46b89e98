/* egress.nft from mvmc (compiler/emit_nft.c) and its handling by the runtime (runtime/egress*.c):
 * every ruleset mvmc emits, for every example profile and a set of edge cases, wrapped exactly
 * as the runtime wraps it, passes `nft -c -f` and loads as exactly one table in a scratch
 * network namespace; the order of the policy; the body check that keeps a body inside its
 * table; the listing normalization; slot addressing; what the runtime reads from a bundle;
 * the cross-target consistency checks. Real traffic is tests/egress.sh. */
#include <dirent.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/consistency.h"
#include "compiler/resolve.h"
#include "lib/bundle.h"
#include "runtime/egress.h"

struct compiled {
	int rc;
	char *diag; /* everything reported */
	struct mvm_profile *p;
	struct mvm_arena arena;
	struct mvm_stdlib *st;
};

static void compile_path(struct compiled *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	size_t len = 0;
	FILE *f = open_memstream(&c->diag, &len);
	struct mvm_diag d;
	mvm_arena_init(&c->arena, 0);
	mvm_diag_init(&d, "mvmc", f);
	d.caret = false;
	assert_int_equal(mvm_stdlib_load(&c->arena, &d, NULL, 0, &c->st), 0);
	c->rc = mvm_compile_profile(&c->arena, &d, c->st, path, 0, &c->p);
	fclose(f);
}

static void compile_yaml(struct compiled *c, const char *yaml)
{
	char path[] = "/tmp/mvm-egress-test-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	compile_path(c, path);
	unlink(path);
	if (c->rc)
		fail_msg("does not compile:\n%s\n%s", c->diag, yaml);
}

static void compiled_free(struct compiled *c)
{
	free(c->diag);
	mvm_arena_free(&c->arena);
}

static char *emit(const struct mvm_profile *p)
{
	struct mvm_buf b = { 0 };
	struct mvm_diag d;
	mvm_diag_init(&d, "mvmc", stderr);
	assert_int_equal(mvm_emit_nft(&d, p, &b), 0);
	mvm_buf_put(&b, "", 1);
	return b.data;
}

static char *run_capture(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	struct mvm_buf b = { 0 };
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		mvm_buf_put(&b, buf, n);
	mvm_buf_put(&b, "", 1);
	*status = pclose(f);
	return b.data;
}

static bool can_use_nft(void)
{
	int st;
	free(run_capture("unshare -n nft list ruleset >/dev/null 2>&1 && echo yes", &st));
	return geteuid() == 0 && st == 0;
}

/* Wraps body as the runtime does (slot 7, two host addresses), runs `nft -c -f` on it, then
 * loads it for real in a scratch network namespace: it must be exactly one table, named
 * mvm_7. Returns the listing (stateless). */
static char *check_with_nft(const char *body, const char *what)
{
	struct mvm_egress_slot s;
	assert_int_equal(mvm_egress_slot(7, &s), 0);
	char err[256];
	if (mvm_egress_body_check(body, strlen(body), err, sizeof(err)))
		fail_msg("%s: body check: %s", what, err);
	struct mvm_buf claim = { 0 }, text = { 0 };
	assert_int_equal(mvm_egress_claim_text(&s, &claim), 0);
	assert_int_equal(mvm_egress_wrap(&s, body, strlen(body), "192.0.2.2, 198.51.100.1", "2001:db8::2", &text), 0);
	char path[] = "/tmp/mvm-egress-nft-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, claim.data, claim.len), (ssize_t)claim.len);
	assert_int_equal(write(fd, text.data, text.len), (ssize_t)text.len);
	close(fd);
	char cmd[512];
	int st;
	snprintf(cmd, sizeof(cmd), "unshare -n nft -c -f %s 2>&1", path);
	char *out = run_capture(cmd, &st);
	if (st != 0)
		fail_msg("%s: nft -c -f failed:\n%s\n%s", what, out, text.data);
	free(out);
	snprintf(cmd, sizeof(cmd), "unshare -n sh -c 'nft -f %s && nft -s list ruleset' 2>&1", path);
	out = run_capture(cmd, &st);
	if (st != 0)
		fail_msg("%s: does not load:\n%s", what, out);
	size_t tables = 0;
	for (const char *p = out; (p = strstr(p, "table ")); p++)
		if (p == out || p[-1] == '\n')
			tables++;
	if (tables != 1 || !strstr(out, "table inet mvm_7 {"))
		fail_msg("%s: %zu tables:\n%s", what, tables, out);
	unlink(path);
	mvm_buf_free(&claim);
	mvm_buf_free(&text);
	return out;
}

static void check_profile_file(const char *path)
{
	struct compiled c;
	compile_path(&c, path);
	if (c.rc)
		fail_msg("%s does not compile:\n%s", path, c.diag);
	if (c.p->egress.present) {
		char *body = emit(c.p);
		free(check_with_nft(body, path));
		free(body);
	}
	compiled_free(&c);
}

static void test_every_example_profile_ruleset_passes_nft_check_and_loads(void **state)
{
	(void)state;
	if (!can_use_nft())
		skip();
	DIR *d = opendir("profiles");
	assert_non_null(d);
	size_t with_egress = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || (strcmp(de->d_name + n - 5, ".yaml") && strcmp(de->d_name + n - 4, ".mvm")))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "profiles/%s", de->d_name);
		check_profile_file(path);
		struct compiled c;
		compile_path(&c, path);
		with_egress += c.rc == 0 && c.p->egress.present;
		compiled_free(&c);
	}
	closedir(d);
	assert_true(with_egress >= 1); /* the loop must have checked a ruleset */
}

#define HEAD "mvm: 1\nname: edge\nintent: agent:web-research\nextends: network\nnetwork:\n  egress:\n"

static const struct {
	const char *name, *yaml;
	const char *must[4];  /* strings the loaded listing must contain */
} edge[] = {
	{ "v4 and v6 CIDRs, ports and ranges",
	  HEAD "    resolver: 192.0.2.53\n    allow:\n"
	       "      - {cidr: 198.51.100.0/24, proto: tcp, ports: [443, \"8000-8080\"]}\n"
	       "      - {cidr: 2001:db8::/32, proto: tcp, ports: [443, \"8000-8080\"]}\n"
	       "      - {cidr: 203.0.113.7, proto: udp, ports: [\"5000-5010\", 4000]}\n",
	  { "198.51.100.0/24", "2001:db8::/32", "8000-8080", "5000-5010" } },
	{ "overlapping CIDRs and ports are merged",
	  HEAD "    allow:\n"
	       "      - {cidr: 10.0.0.0/8, proto: tcp, ports: [80, \"79-81\"]}\n"
	       "      - {cidr: 10.1.0.0/16, proto: tcp, ports: [\"79-81\", 80]}\n"
	       "      - {cidr: 10.1.2.3/32, proto: tcp, ports: [22]}\n",
	  { "10.0.0.0/8", "79-81", "10.1.2.3", NULL } },
	{ "icmp for both families",
	  HEAD "    allow:\n      - {cidr: 192.0.2.0/24, proto: icmp}\n      - {cidr: 2001:db8::1/128, proto: icmp}\n",
	  { "meta l4proto icmp", "meta l4proto ipv6-icmp", NULL } },
	{ "explicit metadata exceptions",
	  HEAD "    allow:\n"
	       "      - {cidr: 169.254.169.254/32, proto: tcp, ports: [80]}\n"
	       "      - {cidr: fd00:ec2::254/128, proto: tcp, ports: [80]}\n"
	       "      - {cidr: 100.100.100.200/32, proto: udp, ports: [53]}\n"
	       "      - {cidr: 169.254.0.0/16, proto: icmp}\n",
	  { "set x0_4", "set x0_6", "169.254.169.254", "set xicmp_4" } },
	{ "host names with tcp, udp and icmp",
	  HEAD "    resolver: 2001:db8::53\n    allow:\n"
	       "      - {host: api.example.com, proto: tcp, ports: [443]}\n"
	       "      - {cidr: 192.0.2.1/32, proto: tcp, ports: [443]}\n"
	       "      - {host: ntp.example.com, proto: udp, ports: [123]}\n"
	       "      - {host: ping.example.com, proto: icmp}\n",
	  { "set n0_4", "set n2_6", "set n3_4", "ip6 daddr 2001:db8::53 udp dport 53 accept" } },
	{ "everything, both families",
	  HEAD "    allow:\n      - {cidr: 0.0.0.0/0, proto: tcp, ports: [\"1-65535\"]}\n"
	       "      - {cidr: \"::/0\", proto: udp, ports: [\"1-65535\"]}\n",
	  { "0.0.0.0/0", "::/0", "1-65535", NULL } },
	{ "a resolver and nothing else", HEAD "    resolver: 192.0.2.53\n", { "192.0.2.53", NULL } },
	{ "an egress section that allows nothing", HEAD "    default: deny\n", { "counter drop", NULL } },
	{ "64 ports", HEAD "    allow:\n      - {cidr: 192.0.2.0/24, proto: tcp, ports: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
			   "17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,"
			   "49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64]}\n",
	  { "elements = { 1-64 }", NULL } },
};

static void test_edge_case_rulesets_pass_nft_check_and_load(void **state)
{
	(void)state;
	if (!can_use_nft())
		skip();
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		struct compiled c;
		compile_yaml(&c, edge[i].yaml);
		char *body = emit(c.p);
		char *listing = check_with_nft(body, edge[i].name);
		for (size_t k = 0; k < 4 && edge[i].must[k]; k++)
			if (!strstr(listing, edge[i].must[k]))
				fail_msg("%s: the listing lacks '%s':\n%s", edge[i].name, edge[i].must[k], listing);
		free(listing);
		free(body);
		compiled_free(&c);
	}
}

/* Position of needle in hay, failing when it is absent. */
static size_t at(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);
	if (!p)
		fail_msg("'%s' is missing from:\n%s", needle, hay);
	return (size_t)(p - hay);
}

static void test_policy_order_of_the_from_sandbox_chain(void **state)
{
	(void)state;
	struct compiled c;
	compile_yaml(&c, HEAD "    resolver: 192.0.2.53\n    allow:\n"
			      "      - {cidr: 169.254.169.254/32, proto: tcp, ports: [80]}\n"
			      "      - {cidr: 0.0.0.0/0, proto: tcp, ports: [80]}\n"
			      "      - {host: api.example.com, proto: tcp, ports: [443]}\n");
	char *b = emit(c.p);
	const char *chain = b + at(b, "chain from_sandbox {");
	/* Anti-spoofing, then conntrack, DNS only to the resolver, explicit exceptions, the
	 * always-dropped ranges and the host, then the allow rules (CIDR and host names: a name
	 * that resolves to metadata stays dropped), then drop. */
	size_t spoof = at(chain, "ip saddr != $mvm_addr4 drop"), est = at(chain, "ct state established,related accept"),
	       res = at(chain, "ip daddr 192.0.2.53 udp dport 53 accept"), dns = at(chain, "th dport 53 drop"),
	       exc = at(chain, "@x0_4"), dropped = at(chain, "ip daddr @always_dropped4 drop"), host = at(chain, "ip daddr @host4 drop"),
	       allow = at(chain, "@a0_4"), name = at(chain, "@n2_4"), last = at(chain, "counter drop\n\t}");
	assert_true(spoof < est && est < res && res < dns && dns < exc && exc < dropped && dropped < host && host < allow &&
		    allow < last && host < name && name < last);
	/* Nothing from outside opens a connection to the sandbox, and the host is closed. */
	at(b, "oifname $mvm_iface jump to_sandbox");
	at(b, "iifname $mvm_iface jump to_host");
	at(b + at(b, "chain to_sandbox {"), "ct state established,related accept\n\t\tcounter drop");
	free(b);
	compiled_free(&c);
}

static void test_a_profile_without_egress_has_no_ruleset(void **state)
{
	(void)state;
	struct compiled c;
	compile_yaml(&c, "mvm: 1\nname: x\nextends: standard\n");
	struct mvm_buf b = { 0 };
	struct mvm_diag d;
	mvm_diag_init(&d, "mvmc", stderr);
	assert_int_equal(mvm_emit_nft(&d, c.p, &b), -ENOENT);
	assert_int_equal(b.len, 0);
	compiled_free(&c);
}

static void test_emitted_ruleset_is_deterministic(void **state)
{
	(void)state;
	struct compiled c1, c2;
	compile_yaml(&c1, edge[0].yaml);
	compile_yaml(&c2, edge[0].yaml);
	char *a = emit(c1.p), *b = emit(c2.p);
	assert_string_equal(a, b);
	free(a);
	free(b);
	compiled_free(&c1);
	compiled_free(&c2);
}

static void test_explicit_exceptions_are_only_rules_inside_always_dropped_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *cidr;
		bool exception;
	} cases[] = {
		{ "169.254.169.254/32", true }, { "169.254.0.0/16", true }, { "169.0.0.0/8", false },
		{ "100.100.100.200/32", true }, { "0.0.0.0/0", false },     { "fd00:ec2::254/128", true },
		{ "fe80::1/128", true },        { "2001:db8::/32", false }, { "::/0", false },
		{ "64:ff9b::a9fe:a9fe/128", true }, { "224.0.0.1/32", true }, { "192.0.2.1/32", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mvm_egress_rule r;
		memset(&r, 0, sizeof(r));
		char why[128];
		assert_int_equal(mvm_parse_cidr(cases[i].cidr, &r, why, sizeof(why)), 0);
		if (mvm_egress_rule_is_explicit_exception(&r) != cases[i].exception)
			fail_msg("%s: exception should be %d", cases[i].cidr, cases[i].exception);
	}
	int fam;
	assert_string_equal(mvm_egress_always_dropped(0, &fam), "0.0.0.0/8");
	assert_null(mvm_egress_always_dropped(1000, &fam));
}

/* ---- the body check ---- */

static void expect_body_refused(const char *body, const char *why)
{
	char err[256] = "";
	if (mvm_egress_body_check(body, strlen(body), err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: %s", body);
	if (!strstr(err, why))
		fail_msg("'%s' refused for '%s', expected '%s'", body, err, why);
}

static void test_body_check_keeps_the_body_inside_its_table(void **state)
{
	(void)state;
	char err[256];
	static const char ok[] = "\tset s { type ipv4_addr; }\n\tchain c { iifname $mvm_iface drop # } } include\n"
				 "\t\tip saddr != $mvm_addr4 comment \"} define x\" drop\n\t}\n";
	assert_int_equal(mvm_egress_body_check(ok, strlen(ok), err, sizeof(err)), 0);
	expect_body_refused("chain c { }\n}\ntable ip other { chain x { } }\n{\n", "closes the table");
	expect_body_refused("include \"/etc/shadow\"\n", "'include'");
	expect_body_refused("redefine mvm_iface = \"lo\"\n", "'redefine'");
	expect_body_refused("define x = 1\n", "'define'");
	expect_body_refused("chain c { iifname $other drop }\n", "a variable other than");
	expect_body_refused("chain c { iifname $mvm_iface_x drop }\n", "a variable other than");
	expect_body_refused("chain c {\n", "unbalanced");
	expect_body_refused("chain c { comment \"open }\n", "unterminated string");
	expect_body_refused("chain c { }\r\n", "byte 0x0d");
	expect_body_refused("", "0 bytes");
}

static void test_normalize_drops_only_the_elements_of_per_name_sets(void **state)
{
	(void)state;
	static const char in[] = "table inet mvm_7 {\n"
				 "\tset host4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.222.0.0/16 }\n\t}\n"
				 "\tset n3_4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n"
				 "\t\telements = { 192.0.2.9 timeout 5s expires 4s,\n\t\t\t     192.0.2.10 timeout 5s }\n\t}\n"
				 "\tset n12_6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n\t\telements = { 2001:db8::1 timeout 1s }\n\t}\n"
				 "\tset n1x_4 {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.1 }\n\t}\n"
				 "}\n";
	static const char want[] = "table inet mvm_7 {\n"
				   "\tset host4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.222.0.0/16 }\n\t}\n"
				   "\tset n3_4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n"
				   "\tset n12_6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n\t}\n"
				   "\tset n1x_4 {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.1 }\n\t}\n"
				   "}\n";
	struct mvm_buf out = { 0 };
	assert_int_equal(mvm_egress_normalize(in, &out), 0);
	mvm_buf_put(&out, "", 1);
	assert_string_equal(out.data, want);
	mvm_buf_free(&out);
}

static void test_slots_have_distinct_point_to_point_addresses(void **state)
{
	(void)state;
	struct mvm_egress_slot a, b, z;
	assert_int_equal(mvm_egress_slot(0, &a), 0);
	assert_string_equal(a.table, "mvm_0");
	assert_string_equal(a.iface, "mvm0");
	assert_string_equal(a.addr4_text, "10.222.0.2");
	assert_string_equal(a.addr6_text, "fd6d:766d:6567::2");
	assert_int_equal(a.host4[3], 1);
	assert_int_equal(mvm_egress_slot(1, &b), 0);
	assert_string_equal(b.addr4_text, "10.222.0.6");
	assert_string_equal(b.addr6_text, "fd6d:766d:6567:1::2");
	assert_int_equal(mvm_egress_slot(MVM_EGRESS_SLOTS - 1, &z), 0);
	assert_string_equal(z.addr4_text, "10.222.255.254");
	assert_string_equal(z.iface, "mvm16383");
	assert_string_equal(z.addr6_text, "fd6d:766d:6567:3fff::2");
	assert_int_equal(mvm_egress_slot(MVM_EGRESS_SLOTS, &z), -ERANGE);
}

/* ---- what the runtime reads from a verified bundle ---- */

static int spec_of(const char *plan, const char *nft, struct mvm_egress_spec *s, char *err, size_t errlen)
{
	struct mvm_named_bytes files[2];
	size_t n = 0;
	files[n++] = (struct mvm_named_bytes){ MVM_BUNDLE_PLAN, (const uint8_t *)plan, strlen(plan) };
	if (nft)
		files[n++] = (struct mvm_named_bytes){ "egress.nft", (const uint8_t *)nft, strlen(nft) };
	struct mvm_bundle b;
	memset(&b, 0, sizeof(b));
	b.nfile = n;
	b.file = files;
	return mvm_egress_spec_from_bundle(&b, s, err, errlen);
}

static void test_spec_from_bundle(void **state)
{
	(void)state;
	struct mvm_egress_spec s;
	char err[256];
	assert_int_equal(spec_of("{\"network\":{\"egress\":\"none\"}}", NULL, &s, err, sizeof(err)), -ENOENT);
	mvm_egress_spec_free(&s);
	assert_int_equal(spec_of("{\"network\":{\"egress\":\"none\"}}", "chain c { }\n", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "has an egress.nft"));
	mvm_egress_spec_free(&s);
	static const char plan[] = "{\"network\":{\"egress\":{\"allow\":[{\"cidr\":\"192.0.2.0/24\",\"ports\":[\"80\"],\"proto\":\"tcp\"},"
				   "{\"host\":\"a.example\",\"ports\":[\"443\"],\"proto\":\"tcp\"},{\"host\":\"b.example\",\"proto\":\"icmp\"}],"
				   "\"resolver\":\"192.0.2.53\"}}}";
	assert_int_equal(spec_of(plan, NULL, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no egress.nft"));
	mvm_egress_spec_free(&s);
	assert_int_equal(spec_of(plan, "chain c { }\n", &s, err, sizeof(err)), 0);
	assert_string_equal(s.resolver, "192.0.2.53");
	assert_int_equal(s.nname, 2);
	assert_int_equal(s.name[0].rule, 1);
	assert_string_equal(s.name[0].host, "a.example");
	assert_int_equal(s.name[1].rule, 2);
	assert_true(s.ipv6);
	mvm_egress_spec_free(&s);
	assert_int_equal(spec_of(plan, "}\ntable ip x { }\n{\n", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "closes the table"));
	mvm_egress_spec_free(&s);
	static const char v4only[] = "{\"network\":{\"egress\":{\"allow\":[{\"cidr\":\"192.0.2.0/24\",\"ports\":[\"80\"],\"proto\":\"tcp\"}]}}}";
	assert_int_equal(spec_of(v4only, "chain c { }\n", &s, err, sizeof(err)), 0);
	assert_false(s.ipv6);
	assert_int_equal(s.nname, 0);
	mvm_egress_spec_free(&s);
}

/* ---- cross-target consistency ---- */

static char *consistency(const char *yaml, bool strict, int *rc)
{
	struct compiled c;
	compile_yaml(&c, yaml);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct mvm_diag d;
	mvm_diag_init(&d, "mvmc", f);
	d.caret = false;
	*rc = mvm_check_consistency(&d, c.st, c.p, strict);
	fclose(f);
	compiled_free(&c);
	return out;
}

static void test_consistency_warnings_and_strict_errors(void **state)
{
	(void)state;
	int rc;
	/* Egress allowed, but no IP socket. */
	static const char nosock[] = "mvm: 1\nname: x\nextends: standard\nnetwork:\n  egress:\n    allow:\n"
				     "      - {cidr: 192.0.2.0/24, proto: tcp, ports: [443]}\n";
	char *out = consistency(nosock, false, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "warning: network.egress allows destinations, but seccomp allows no AF_INET"));
	free(out);
	out = consistency(nosock, true, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(out, "error: network.egress allows destinations"));
	free(out);
	/* IP sockets, but deny-all egress. */
	out = consistency("mvm: 1\nname: x\nextends: network\n", false, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "warning: seccomp allows AF_INET/AF_INET6 sockets, but network egress is deny-all"));
	free(out);
	/* Port 53 to anything but the resolver opens nothing. */
	out = consistency("mvm: 1\nname: x\nextends: network\nnetwork:\n  egress:\n    resolver: 192.0.2.53\n    allow:\n"
			  "      - {cidr: 192.0.2.53/32, proto: udp, ports: [53]}\n"
			  "      - {cidr: 198.51.100.0/24, proto: udp, ports: [\"50-60\"]}\n",
			  false, &rc);
	assert_int_equal(rc, 0);
	if (!strstr(out, ":9:9: warning: port 53 is reachable only on the pinned resolver"))
		fail_msg("%s", out);
	assert_null(strstr(out, ":8:9: warning: port 53"));
	free(out);
	/* An explicit exception is allowed, with a warning. */
	out = consistency("mvm: 1\nname: x\nextends: network\nnetwork:\n  egress:\n    allow:\n"
			  "      - {cidr: 169.254.169.254/32, proto: tcp, ports: [80]}\n",
			  true, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "warning: this rule opens an always-dropped range"));
	free(out);
	/* A consistent profile says nothing. */
	out = consistency("mvm: 1\nname: x\nextends: network\nnetwork:\n  egress:\n    allow:\n"
			  "      - {cidr: 192.0.2.0/24, proto: tcp, ports: [443]}\n",
			  true, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(out);
}

static void test_a_resolver_under_an_intent_without_egress_is_an_error(void **state)
{
	(void)state;
	int rc;
	char *out = consistency("mvm: 1\nname: x\nintent: code:execute\nextends: standard\nnetwork:\n  egress:\n"
				"    resolver: 192.0.2.53\n",
				false, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(out, "error: intent 'code:execute' allows no network egress, but network.egress names a resolver"));
	free(out);
	/* An egress section that allows nothing at all is fine under such an intent. */
	out = consistency("mvm: 1\nname: x\nintent: code:execute\nextends: standard\nnetwork:\n  egress:\n    default: deny\n",
			  true, &rc);
	assert_int_equal(rc, 0);
	free(out);
}

/* ---- the runtime side, in a network namespace of the test's own ---- */

/* Runs fn in a forked child inside a new network namespace; the child's message (if any)
 * becomes the failure. */
static void in_scratch_netns(const char *(*fn)(void *), void *arg)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		const char *msg = unshare(CLONE_NEWNET) ? "unshare(CLONE_NEWNET) failed" : fn(arg);
		if (msg && write(pfd[1], msg, strlen(msg)) < 0)
			_exit(2);
		_exit(msg ? 1 : 0);
	}
	close(pfd[1]);
	char buf[1024] = "";
	ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	buf[n > 0 ? n : 0] = 0;
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s", buf[0] ? buf : "the child died");
}

static int count_audit;
static int counting_audit(void *ctx, const char *event, const char *detail)
{
	(void)ctx, (void)event, (void)detail;
	count_audit++;
	return 0;
}

static char *setup_body;

static const char *setup_verify_tamper_teardown(void *arg)
{
	(void)arg;
	static char msg[600];
	struct mvm_egress_spec spec = { .body = setup_body, .body_len = strlen(setup_body) };
	struct mvm_egress_config cfg = { .spec = &spec, .audit = counting_audit };
	struct mvm_egress_run e;
	char err[256], exp[128], obs[128];
	if (mvm_egress_setup(&e, &cfg, err, sizeof(err)))
		return snprintf(msg, sizeof(msg), "setup: %s", err), msg;
	if (!e.net.host_ifname[0] || e.net.prefix4 != 30 || e.slot.table[0] == 0)
		return "setup did not describe the sandbox's device";
	if (mvm_egress_verify(&e, exp, sizeof(exp), obs, sizeof(obs)))
		return snprintf(msg, sizeof(msg), "fresh rules do not verify: %s vs %s", exp, obs), msg;
	struct mvm_posture_verdict v;
	memset(&v, 0, sizeof(v));
	mvm_egress_posture_check(&e, &v);
	if (v.n != 1 || v.status != MVM_POSTURE_VERIFIED || strcmp(v.check[0].name, "egress.ruleset"))
		return "the posture check of fresh rules is not verified";
	if (mvm_egress_tick(&e))
		return snprintf(msg, sizeof(msg), "a tick on untouched rules failed: %s", e.violation), msg;
	/* A rule slipped in: the listing no longer matches. */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "nft insert rule inet %s from_sandbox accept", e.slot.table);
	if (system(cmd))
		return "nft insert rule failed";
	memset(&v, 0, sizeof(v));
	mvm_egress_posture_check(&e, &v);
	if (v.status != MVM_POSTURE_MISMATCH || v.nmismatch != 1 || v.check[0].result != MVM_CHECK_MISMATCH)
		return "a changed ruleset passed the posture check";
	if (mvm_egress_tick(&e) != -EPERM || !strstr(e.violation, e.slot.table))
		return "a changed ruleset passed the tick";
	/* Deleted altogether: the same. */
	snprintf(cmd, sizeof(cmd), "nft delete table inet %s", e.slot.table);
	if (system(cmd))
		return "nft delete table failed";
	if (mvm_egress_verify(&e, exp, sizeof(exp), obs, sizeof(obs)) != -EPERM || !strstr(obs, "not listable"))
		return snprintf(msg, sizeof(msg), "a deleted table verified: %s", obs), msg;
	mvm_egress_teardown(&e);
	/* Set up again, torn down: nothing is left. */
	if (mvm_egress_setup(&e, &cfg, err, sizeof(err)))
		return snprintf(msg, sizeof(msg), "second setup: %s", err), msg;
	mvm_egress_teardown(&e);
	FILE *f = popen("nft list tables", "r");
	char line[256];
	bool left = false;
	while (f && fgets(line, sizeof(line), f))
		left |= strstr(line, "mvm_") != NULL;
	if (f)
		pclose(f);
	return left ? "a table was left after teardown" : NULL;
}

static void test_setup_verifies_and_detects_a_changed_or_deleted_ruleset(void **state)
{
	(void)state;
	if (!can_use_nft())
		skip();
	struct compiled c;
	compile_yaml(&c, edge[0].yaml);
	setup_body = emit(c.p);
	in_scratch_netns(setup_verify_tamper_teardown, NULL);
	free(setup_body);
	compiled_free(&c);
}

static const char *a_bad_body_never_touches_the_host(void *arg)
{
	(void)arg;
	static char msg[400];
	/* Loads in no namespace: refused in the scratch namespace, before the host's. */
	static const char body[] = "\tchain c { ip daddr 300.1.1.1 drop }\n";
	struct mvm_egress_spec spec = { .body = body, .body_len = strlen(body) };
	struct mvm_egress_config cfg = { .spec = &spec };
	struct mvm_egress_run e;
	char err[256];
	int rc = mvm_egress_setup(&e, &cfg, err, sizeof(err));
	mvm_egress_teardown(&e);
	if (rc == 0 || !strstr(err, "scratch namespace"))
		return snprintf(msg, sizeof(msg), "a body that does not load was accepted (%d: %s)", rc, err), msg;
	FILE *f = popen("nft list tables", "r");
	char line[256];
	bool left = false;
	while (f && fgets(line, sizeof(line), f))
		left |= strstr(line, "mvm_") != NULL;
	if (f)
		pclose(f);
	return left ? "the refused setup left its table" : NULL;
}

static void test_rules_that_do_not_load_are_refused_and_leave_nothing(void **state)
{
	(void)state;
	if (!can_use_nft())
		skip();
	in_scratch_netns(a_bad_body_never_touches_the_host, NULL);
}

static const char *sweep_only_dead_owners(void *arg)
{
	(void)arg;
	static char msg[600];
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char text[1024];
	unsigned long long pidns = 0, start_self = 0;
	struct stat st;
	if (stat("/proc/self/ns/pid", &st) == 0)
		pidns = (unsigned long long)st.st_ino;
	FILE *f = fopen("/proc/self/stat", "r");
	char buf[1024];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start_self = strtoull(p + 1, NULL, 10);
	snprintf(text, sizeof(text),
		 "nft -f - <<'EOF'\n"
		 "table inet mvm_1 { comment \"mvm pid=%d start=1 pidns=%llu\"; }\n"           /* dead owner */
		 "table inet mvm_2 { comment \"mvm pid=%d start=%llu pidns=%llu\"; }\n"        /* alive: this process */
		 "table inet mvm_3 { comment \"mvm pid=%d start=1 pidns=%llu\"; }\n"           /* another pid namespace */
		 "table inet mvm_4 { comment \"someone else's\"; }\n"                          /* no owner */
		 "table inet mvm_5 { comment \"mvm pid=%d start=%llu pidns=%llu\"; }\n"        /* pid reused: other start */
		 "EOF\n",
		 (int)dead, pidns, (int)getpid(), start_self, pidns, (int)dead, pidns + 1, (int)getpid(), start_self + 1, pidns);
	if (system(text))
		return "creating the tables failed";
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int swept = mvm_egress_sweep(ctx);
	nft_ctx_free(ctx);
	f = popen("nft list tables", "r");
	char got[256] = "", line[128];
	while (f && fgets(line, sizeof(line), f))
		strncat(got, line, sizeof(got) - strlen(got) - 1);
	if (f)
		pclose(f);
	if (swept != 2 || strcmp(got, "table inet mvm_2\ntable inet mvm_3\ntable inet mvm_4\n"))
		return snprintf(msg, sizeof(msg), "swept %d, left:\n%s", swept, got), msg;
	return NULL;
}

static void test_sweep_deletes_only_tables_of_dead_owners(void **state)
{
	(void)state;
	if (!can_use_nft())
		skip();
	in_scratch_netns(sweep_only_dead_owners, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_example_profile_ruleset_passes_nft_check_and_loads),
		cmocka_unit_test(test_edge_case_rulesets_pass_nft_check_and_load),
		cmocka_unit_test(test_policy_order_of_the_from_sandbox_chain),
		cmocka_unit_test(test_a_profile_without_egress_has_no_ruleset),
		cmocka_unit_test(test_emitted_ruleset_is_deterministic),
		cmocka_unit_test(test_explicit_exceptions_are_only_rules_inside_always_dropped_ranges),
		cmocka_unit_test(test_body_check_keeps_the_body_inside_its_table),
		cmocka_unit_test(test_normalize_drops_only_the_elements_of_per_name_sets),
		cmocka_unit_test(test_slots_have_distinct_point_to_point_addresses),
		cmocka_unit_test(test_spec_from_bundle),
		cmocka_unit_test(test_consistency_warnings_and_strict_errors),
		cmocka_unit_test(test_a_resolver_under_an_intent_without_egress_is_an_error),
		cmocka_unit_test(test_setup_verifies_and_detects_a_changed_or_deleted_ruleset),
		cmocka_unit_test(test_rules_that_do_not_load_are_refused_and_leave_nothing),
		cmocka_unit_test(test_sweep_deletes_only_tables_of_dead_owners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

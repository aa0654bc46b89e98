/* egress.nft: the profile's network egress as the body of one nftables `table inet`.
 *
 * The runtime wraps these bytes per sandbox (docs/egress.md):
 *
 *     define mvm_iface = "<host side of the sandbox's veth>"
 *     define mvm_addr4 = <the sandbox's IPv4 address>
 *     define mvm_addr6 = <the sandbox's IPv6 address>
 *     table inet mvm_<slot> { <these bytes> }
 *     add element inet mvm_<slot> host4 { <the host's own addresses, the sandbox pool> } (and host6)
 *
 * and, while the workload runs, fills the per-host-name sets n<i>_4 / n<i>_6 (i = the rule's
 * index in plan.json's network.egress.allow) with the addresses the pinned resolver gave, each
 * element timing out with its record's TTL. Everything the profile decides is in these bytes,
 * so plan.json binds it by digest like every other artifact.
 *
 * Sets: addresses of CIDR rules are grouped by their (protocol, ports): one address set per
 * family and one port set per group, all `flags interval` with `auto-merge`, so overlapping
 * rules never make a set the kernel refuses. The order of the from_sandbox chain is the policy:
 * anti-spoofing, conntrack, DNS only to the pinned resolver, explicit exceptions, always-dropped
 * ranges and the host, allow rules, drop. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emit.h"

/* Ranges no workload reaches unless a CIDR rule names addresses inside one of them explicitly
 * (host-name rules never do: a name that resolves into them stays dropped, so DNS rebinding
 * cannot reach cloud metadata). Cloud metadata: 169.254.169.254 (AWS, GCP, Azure, OCI),
 * fd00:ec2::254 (AWS IPv6), 100.100.100.200 (Alibaba, inside CGNAT). The NAT64 and 6to4 forms
 * of link-local and CGNAT are dropped too, so an IPv6 path cannot reach them. */
static const struct mvm_dropped_range {
	int family;
	const char *text;
	uint8_t addr[16];
	uint8_t prefix;
} always_dropped[] = {
	{ AF_INET, "0.0.0.0/8", { 0 }, 8 },
	{ AF_INET, "100.64.0.0/10", { 100, 64 }, 10 },
	{ AF_INET, "127.0.0.0/8", { 127 }, 8 },
	{ AF_INET, "169.254.0.0/16", { 169, 254 }, 16 },
	{ AF_INET, "224.0.0.0/3", { 224 }, 3 },
	{ AF_INET6, "::/127", { 0 }, 127 },
	{ AF_INET6, "::ffff:0.0.0.0/96", { [10] = 0xff, [11] = 0xff }, 96 },
	{ AF_INET6, "64:ff9b::6440:0/106", { 0, 0x64, 0xff, 0x9b, [12] = 0x64, [13] = 0x40 }, 106 },
	{ AF_INET6, "64:ff9b::a9fe:0/112", { 0, 0x64, 0xff, 0x9b, [12] = 0xa9, [13] = 0xfe }, 112 },
	{ AF_INET6, "2002:6440::/26", { 0x20, 0x02, 0x64, 0x40 }, 26 },
	{ AF_INET6, "2002:a9fe::/32", { 0x20, 0x02, 0xa9, 0xfe }, 32 },
	{ AF_INET6, "fd00:ec2::254/128", { 0xfd, 0, 0x0e, 0xc2, [15] = 0x54, [14] = 0x02 }, 128 },
	{ AF_INET6, "fe80::/10", { 0xfe, 0x80 }, 10 },
	{ AF_INET6, "ff00::/8", { 0xff }, 8 },
};
#define NDROPPED (sizeof(always_dropped) / sizeof(always_dropped[0]))

static bool prefix_contains(const uint8_t *outer, unsigned outer_len, const uint8_t *inner, unsigned inner_len)
{
	if (inner_len < outer_len)
		return false;
	for (unsigned bit = 0; bit < outer_len; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));
		if ((outer[bit / 8] & m) != (inner[bit / 8] & m))
			return false;
	}
	return true;
}

const char *mvm_egress_always_dropped(size_t i, int *family)
{
	if (i >= NDROPPED)
		return NULL;
	if (family)
		*family = always_dropped[i].family;
	return always_dropped[i].text;
}

/* True when the rule names addresses inside an always-dropped range: the profile asked for it
 * explicitly, so it is allowed (and mvmc warns). */
bool mvm_egress_rule_is_explicit_exception(const struct mvm_egress_rule *r)
{
	if (r->host)
		return false;
	for (size_t i = 0; i < NDROPPED; i++)
		if (always_dropped[i].family == r->family &&
		    prefix_contains(always_dropped[i].addr, always_dropped[i].prefix, r->addr, r->prefix))
			return true;
	return false;
}

static void put_cidr(struct mvm_buf *b, const struct mvm_egress_rule *r)
{
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(r->family, r->addr, addr, sizeof(addr));
	mvm_buf_printf(b, "%s/%u", addr, r->prefix);
}

/* ---- port groups: rules with the same protocol and the same set of ports share one port set ---- */

struct group {
	enum mvm_proto proto;
	size_t nport;
	struct mvm_port_range *port; /* sorted copy */
};

static int cmp_range(const void *a, const void *b)
{
	const struct mvm_port_range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static bool same_group(const struct group *g, const struct mvm_egress_rule *r, const struct mvm_port_range *sorted)
{
	return g->proto == r->proto && g->nport == r->nport &&
	       memcmp(g->port, sorted, r->nport * sizeof(*sorted)) == 0;
}

struct groups {
	size_t n;
	struct group *g;
	size_t *of_rule; /* group index per rule; (size_t)-1 for icmp */
};

static void groups_free(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i].port);
	free(gs->g);
	free(gs->of_rule);
}

static int groups_build(const struct mvm_egress *e, struct groups *gs)
{
	memset(gs, 0, sizeof(*gs));
	gs->g = calloc(e->nrule ? e->nrule : 1, sizeof(*gs->g));
	gs->of_rule = calloc(e->nrule ? e->nrule : 1, sizeof(*gs->of_rule));
	if (!gs->g || !gs->of_rule)
		return -ENOMEM;
	for (size_t i = 0; i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		gs->of_rule[i] = (size_t)-1;
		if (r->proto == MVM_PROTO_ICMP || r->nport == 0)
			continue;
		struct mvm_port_range *sorted = malloc(r->nport * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, r->port, r->nport * sizeof(*sorted));
		qsort(sorted, r->nport, sizeof(*sorted), cmp_range);
		size_t k = 0;
		while (k < gs->n && !same_group(&gs->g[k], r, sorted))
			k++;
		if (k == gs->n) {
			gs->g[gs->n++] = (struct group){ r->proto, r->nport, sorted };
		} else {
			free(sorted);
		}
		gs->of_rule[i] = k;
	}
	return 0;
}

static const char *proto_name(enum mvm_proto p)
{
	return p == MVM_PROTO_UDP ? "udp" : "tcp";
}

/* Which CIDR rules a set collects: the explicit exceptions or the ordinary allow rules. */
enum kind { EXCEPTION, ALLOW };

static bool rule_in(const struct mvm_egress_rule *r, enum kind k, int family)
{
	return !r->host && r->family == family && mvm_egress_rule_is_explicit_exception(r) == (k == EXCEPTION);
}

/* The addresses of group g (or of the ICMP rules when g is (size_t)-1) of kind k and family. */
static size_t put_addr_elements(struct mvm_buf *b, const struct mvm_egress *e, const struct groups *gs, size_t g,
				enum kind k, int family)
{
	size_t n = 0;
	for (size_t i = 0; i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		bool icmp = r->proto == MVM_PROTO_ICMP;
		if (!rule_in(r, k, family) || (g == (size_t)-1 ? !icmp : gs->of_rule[i] != g))
			continue;
		mvm_buf_puts(b, n++ ? ", " : "");
		put_cidr(b, r);
	}
	return n;
}

static void put_set_header(struct mvm_buf *b, const char *name, const char *type, const char *flags)
{
	mvm_buf_printf(b, "\tset %s {\n\t\ttype %s\n\t\tflags %s\n", name, type, flags);
}

/* An interval address set for group g (or ICMP), written only when it has elements. */
static bool put_addr_set(struct mvm_buf *b, const char *name, const struct mvm_egress *e, const struct groups *gs,
			 size_t g, enum kind k, int family)
{
	struct mvm_buf el = { 0 };
	size_t n = put_addr_elements(&el, e, gs, g, k, family);
	if (n) {
		put_set_header(b, name, family == AF_INET ? "ipv4_addr" : "ipv6_addr", "interval");
		mvm_buf_printf(b, "\t\tauto-merge\n\t\telements = { %s }\n\t}\n", el.data);
	}
	if (el.oom)
		b->oom = true;
	mvm_buf_free(&el);
	return n > 0;
}

static void put_port_set(struct mvm_buf *b, const struct group *g, size_t gi)
{
	char name[32];
	snprintf(name, sizeof(name), "p%zu", gi);
	put_set_header(b, name, "inet_service", "interval");
	mvm_buf_puts(b, "\t\tauto-merge\n\t\telements = { ");
	for (size_t k = 0; k < g->nport; k++) {
		mvm_buf_printf(b, "%s%u", k ? ", " : "", g->port[k].lo);
		if (g->port[k].hi != g->port[k].lo)
			mvm_buf_printf(b, "-%u", g->port[k].hi);
	}
	mvm_buf_puts(b, " }\n\t}\n");
}

static void put_dropped_set(struct mvm_buf *b, const char *name, int family)
{
	put_set_header(b, name, family == AF_INET ? "ipv4_addr" : "ipv6_addr", "interval");
	mvm_buf_puts(b, "\t\telements = { ");
	bool first = true;
	for (size_t i = 0; i < NDROPPED; i++) {
		if (always_dropped[i].family != family)
			continue;
		mvm_buf_printf(b, "%s%s", first ? "" : ", ", always_dropped[i].text);
		first = false;
	}
	mvm_buf_puts(b, " }\n\t}\n");
}

/* The address sets of kind k and the rules that use them (rules go to *rules). */
static void put_cidr_sets(struct mvm_buf *sets, struct mvm_buf *rules, const struct mvm_egress *e,
			  const struct groups *gs, enum kind k)
{
	const char pfx = k == EXCEPTION ? 'x' : 'a';
	char name[48];
	for (size_t g = 0; g < gs->n; g++) {
		for (int v6 = 0; v6 < 2; v6++) {
			snprintf(name, sizeof(name), "%c%zu_%d", pfx, g, v6 ? 6 : 4);
			if (put_addr_set(sets, name, e, gs, g, k, v6 ? AF_INET6 : AF_INET))
				mvm_buf_printf(rules, "\t\t%s daddr @%s %s dport @p%zu accept\n", v6 ? "ip6" : "ip", name,
					       proto_name(gs->g[g].proto), g);
		}
	}
	for (int v6 = 0; v6 < 2; v6++) {
		snprintf(name, sizeof(name), "%cicmp_%d", pfx, v6 ? 6 : 4);
		if (put_addr_set(sets, name, e, gs, (size_t)-1, k, v6 ? AF_INET6 : AF_INET))
			mvm_buf_printf(rules, "\t\t%s daddr @%s meta l4proto %s accept\n", v6 ? "ip6" : "ip", name,
				       v6 ? "ipv6-icmp" : "icmp");
	}
}

/* A name in a comment: anything but a plain printable character is shown as '?', so
 * a name can never end the comment line. */
static void put_comment_text(struct mvm_buf *b, const char *s)
{
	for (; s && *s; s++)
		mvm_buf_printf(b, "%c", (*s >= 0x20 && *s < 0x7f) ? *s : '?');
}

/* Per host-name rule i: sets n<i>_4 and n<i>_6 that the runtime fills, and their rules. */
static void put_host_sets(struct mvm_buf *sets, struct mvm_buf *rules, const struct mvm_egress *e,
			  const struct groups *gs)
{
	for (size_t i = 0; i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		if (!r->host)
			continue;
		mvm_buf_printf(sets, "\t# n%zu_4, n%zu_6: the addresses of host \"", i, i);
		put_comment_text(sets, r->host);
		mvm_buf_printf(sets, "\" (allow rule %zu)\n", i);
		for (int v6 = 0; v6 < 2; v6++) {
			char name[48];
			snprintf(name, sizeof(name), "n%zu_%d", i, v6 ? 6 : 4);
			put_set_header(sets, name, v6 ? "ipv6_addr" : "ipv4_addr", "timeout");
			mvm_buf_puts(sets, "\t}\n");
			if (r->proto == MVM_PROTO_ICMP)
				mvm_buf_printf(rules, "\t\t%s daddr @%s meta l4proto %s accept\n", v6 ? "ip6" : "ip", name,
					       v6 ? "ipv6-icmp" : "icmp");
			else
				mvm_buf_printf(rules, "\t\t%s daddr @%s %s dport @p%zu accept\n", v6 ? "ip6" : "ip", name,
					       proto_name(r->proto), gs->of_rule[i]);
		}
	}
}

/* The resolver's address in the canonical text form, and its family's nft keyword. */
static int resolver_text(const char *resolver, char *out, size_t outlen, const char **fam)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, resolver, a) == 1) {
		*fam = "ip";
		return inet_ntop(AF_INET, a, out, (socklen_t)outlen) ? 0 : -EINVAL;
	}
	if (inet_pton(AF_INET6, resolver, a) == 1) {
		*fam = "ip6";
		return inet_ntop(AF_INET6, a, out, (socklen_t)outlen) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int mvm_emit_nft(struct mvm_diag *d, const struct mvm_profile *p, struct mvm_buf *out)
{
	const struct mvm_egress *e = &p->egress;
	if (!e->present)
		return -ENOENT;
	char res[INET6_ADDRSTRLEN] = "";
	const char *res_fam = NULL;
	if (e->resolver && resolver_text(e->resolver, res, sizeof(res), &res_fam)) {
		mvm_diag_error(d, e->loc.file, e->loc.line, e->loc.col, "resolver '%s' is not an IP address", e->resolver);
		return -EINVAL;
	}
	/* Both front ends give every rule a protocol, and ports to TCP and UDP; anything else has
	 * no meaning here (and must not silently become something). */
	for (size_t i = 0; i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		if (r->proto == MVM_PROTO_ANY || (r->proto != MVM_PROTO_ICMP && !r->nport)) {
			mvm_diag_error(d, r->loc.file, r->loc.line, r->loc.col, "egress rule without a protocol or ports");
			return -EINVAL;
		}
	}
	struct groups gs;
	int rc = groups_build(e, &gs);
	if (rc) {
		groups_free(&gs);
		return rc;
	}

	mvm_buf_puts(out, "# mvm egress rules for profile \"");
	put_comment_text(out, p->name);
	mvm_buf_puts(out, "\", generated by mvmc " MVM_VERSION ".\n"
			  "# The body of one `table inet`. The runtime wraps it per sandbox, defines $mvm_iface (the\n"
			  "# host side of the sandbox's veth pair), $mvm_addr4 and $mvm_addr6 (the sandbox's addresses),\n"
			  "# fills host4/host6 (the host's own addresses and the sandbox pool) and n<i>_4/n<i>_6 (the\n"
			  "# addresses of host-name rule i, resolved through the pinned resolver, each element timing\n"
			  "# out with its record's TTL). Anything not accepted below is dropped. See docs/egress.md.\n\n");

	struct mvm_buf sets = { 0 }, exc = { 0 }, allow = { 0 };
	put_dropped_set(&sets, "always_dropped4", AF_INET);
	put_dropped_set(&sets, "always_dropped6", AF_INET6);
	put_set_header(&sets, "host4", "ipv4_addr", "interval");
	mvm_buf_puts(&sets, "\t\tauto-merge\n\t}\n");
	put_set_header(&sets, "host6", "ipv6_addr", "interval");
	mvm_buf_puts(&sets, "\t\tauto-merge\n\t}\n");
	for (size_t g = 0; g < gs.n; g++)
		put_port_set(&sets, &gs.g[g], g);
	put_cidr_sets(&sets, &exc, e, &gs, EXCEPTION);
	put_cidr_sets(&sets, &allow, e, &gs, ALLOW);
	put_host_sets(&sets, &allow, e, &gs);
	mvm_buf_put(out, sets.data, sets.len);

	/* Traffic the sandbox sends through the host. */
	mvm_buf_puts(out, "\n\tchain from_sandbox {\n"
			  "\t\tip saddr != $mvm_addr4 drop\n"
			  "\t\tip6 saddr != $mvm_addr6 drop\n"
			  "\t\tct state invalid drop\n"
			  "\t\tct state established,related accept\n");
	if (e->resolver) {
		mvm_buf_printf(out, "\t\t%s daddr %s udp dport 53 accept\n", res_fam, res);
		mvm_buf_printf(out, "\t\t%s daddr %s tcp dport 53 accept\n", res_fam, res);
	}
	mvm_buf_puts(out, "\t\tmeta l4proto { tcp, udp } th dport 53 drop\n");
	mvm_buf_put(out, exc.data, exc.len);
	mvm_buf_puts(out, "\t\tip daddr @always_dropped4 drop\n"
			  "\t\tip6 daddr @always_dropped6 drop\n"
			  "\t\tip daddr @host4 drop\n"
			  "\t\tip6 daddr @host6 drop\n");
	mvm_buf_put(out, allow.data, allow.len);
	mvm_buf_puts(out, "\t\tcounter drop\n"
			  "\t}\n\n");

	/* Traffic for the host itself: nothing, except DNS when the pinned resolver is one of the
	 * host's addresses, and the neighbour discovery IPv6 needs on the link. */
	mvm_buf_puts(out, "\tchain to_host {\n"
			  "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n"
			  "\t\tct state invalid drop\n"
			  "\t\tct state established,related accept\n");
	if (e->resolver) {
		mvm_buf_printf(out, "\t\t%s daddr %s udp dport 53 accept\n", res_fam, res);
		mvm_buf_printf(out, "\t\t%s daddr %s tcp dport 53 accept\n", res_fam, res);
	}
	mvm_buf_puts(out, "\t\tcounter drop\n"
			  "\t}\n\n"
			  /* Nothing from outside opens a connection to the sandbox; replies pass. */
			  "\tchain to_sandbox {\n"
			  "\t\tct state established,related accept\n"
			  "\t\tcounter drop\n"
			  "\t}\n\n"
			  "\tchain forward {\n"
			  "\t\ttype filter hook forward priority filter; policy accept;\n"
			  "\t\tiifname $mvm_iface jump from_sandbox\n"
			  "\t\toifname $mvm_iface jump to_sandbox\n"
			  "\t}\n\n"
			  "\tchain input {\n"
			  "\t\ttype filter hook input priority filter; policy accept;\n"
			  "\t\tiifname $mvm_iface jump to_host\n"
			  "\t}\n\n"
			  /* The sandbox's addresses are private to this host: what leaves it carries the
			   * host's address. */
			  "\tchain nat_out {\n"
			  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
			  "\t\tip saddr $mvm_addr4 masquerade\n"
			  "\t\tip6 saddr $mvm_addr6 masquerade\n"
			  "\t}\n");
	bool oom = sets.oom || exc.oom || allow.oom || out->oom;
	mvm_buf_free(&sets);
	mvm_buf_free(&exc);
	mvm_buf_free(&allow);
	groups_free(&gs);
	return oom ? -ENOMEM : 0;
}

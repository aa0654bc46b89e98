/* YAML front end: a strict reading of profile schema 1 (docs/profile.md) into a spec. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "spec.h"
#include "yaml_tree.h"

struct ctx {
	struct mvm_arena *a;
	struct mvm_diag *d;
	const char *file;
	struct mvm_spec *s;
};

#define ERR(c, n, ...) (mvm_diag_error((c)->d, (n)->file, (n)->line, (n)->col, __VA_ARGS__), -EINVAL)

static struct mvm_loc loc_of(const struct ynode *n)
{
	return (struct mvm_loc){ n->file, n->line, n->col };
}

/* Checks that every key of map n is one of allowed[], and returns the value for key k. */
static int check_keys(struct ctx *c, const struct ynode *n, const char *what, const char *const *allowed)
{
	int bad = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->item[2 * i];
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(k->str, *a) == 0)
				ok = true;
		if (!ok) {
			char list[256] = "";
			for (const char *const *a = allowed; *a; a++) {
				if (a != allowed)
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
				strncat(list, *a, sizeof(list) - strlen(list) - 1);
			}
			bad = ERR(c, k, "unknown key '%s' in %s (expected one of: %s)", k->str, what, list);
		}
	}
	return bad;
}

static const struct ynode *get(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->item[2 * i]->str, key) == 0)
			return map->item[2 * i + 1];
	return NULL;
}

/* Where key was written in map (line 0 when absent): spec->at[] for fmt and diagnostics. */
static struct mvm_loc key_loc(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->item[2 * i]->str, key) == 0)
			return loc_of(map->item[2 * i]);
	return (struct mvm_loc){ NULL, 0, 0 };
}

static int get_str(struct ctx *c, const struct ynode *n, const char *what, const char **out)
{
	if (ynode_expect(c->d, n, Y_SCALAR, what))
		return -EINVAL;
	if (n->str[0] == '\0')
		return ERR(c, n, "%s: must not be empty", what);
	*out = n->str;
	return 0;
}

static int get_sym(struct ctx *c, const struct ynode *n, const char *what, struct mvm_sym *out)
{
	if (get_str(c, n, what, &out->name))
		return -EINVAL;
	out->loc = loc_of(n);
	return 0;
}

static int parse_name(struct ctx *c, const struct ynode *n)
{
	if (get_sym(c, n, "name", &c->s->name))
		return -EINVAL;
	const char *p = n->str;
	size_t len = strlen(p);
	if (len > 64)
		return ERR(c, n, "name: longer than 64 bytes");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		bool ok = islower(ch) || isdigit(ch) || (i > 0 && (ch == '-' || ch == '_' || ch == '.'));
		if (!ok)
			return ERR(c, n, "name: '%s' must match [a-z0-9][a-z0-9._-]*", p);
	}
	return 0;
}

static int parse_arch_list(struct ctx *c, const struct ynode *n, const char *what, unsigned *mask)
{
	if (ynode_expect(c->d, n, Y_SEQ, what))
		return -EINVAL;
	if (n->n == 0)
		return ERR(c, n, "%s: must name at least one architecture", what);
	*mask = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->item[i];
		if (ynode_expect(c->d, it, Y_SCALAR, what))
			return -EINVAL;
		const struct mvm_arch *ar = mvm_arch_by_name(it->str);
		if (!ar)
			return ERR(c, it, "%s: unknown architecture '%s' (supported: x86_64, aarch64)", what, it->str);
		if (*mask & (1u << ar->id))
			return ERR(c, it, "%s: '%s' listed twice", what, it->str);
		*mask |= 1u << ar->id;
	}
	return 0;
}

static int parse_action_node(struct ctx *c, const struct ynode *n, const char *what, struct mvm_spec_action *out)
{
	const char *err = NULL;
	if (ynode_expect(c->d, n, Y_SCALAR, what))
		return -EINVAL;
	int r = mvm_parse_action(c->a, n->str, out, &err);
	if (r == -EINVAL)
		return ERR(c, n, "%s: '%s': %s", what, n->str, err);
	if (r)
		return r;
	out->loc = loc_of(n);
	return 0;
}

static int parse_value(struct ctx *c, const struct ynode *n, const char *what, struct mvm_value *out)
{
	if (ynode_expect(c->d, n, Y_SCALAR, what))
		return -EINVAL;
	out->loc = loc_of(n);
	size_t terms = 1;
	for (const char *p = n->str; *p; p++)
		terms += *p == '|';
	out->term = mvm_arena_array(c->a, terms, sizeof(*out->term));
	if (!out->term)
		return -ENOMEM;
	out->nterm = 0;
	const char *p = n->str;
	for (;;) {
		const char *bar = strchr(p, '|');
		const char *end = bar ? bar : p + strlen(p);
		const char *b = p;
		while (b < end && isspace((unsigned char)*b))
			b++;
		const char *e = end;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (e == b)
			return ERR(c, n, "%s: empty term in '%s'", what, n->str);
		struct mvm_sym *t = &out->term[out->nterm++];
		t->name = mvm_arena_strndup(c->a, b, (size_t)(e - b));
		t->loc = out->loc;
		if (n->plain)
			t->loc.col += (int)(b - n->str);
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

static int parse_cond(struct ctx *c, const struct ynode *n, struct mvm_spec_cond *out)
{
	static const char *const keys[] = { "arg", "eq", "ne", "lt", "le", "gt", "ge", "in", "mask", NULL };
	static const struct { const char *k; enum mvm_spec_op op; } ops[] = {
		{ "eq", SOP_EQ }, { "ne", SOP_NE }, { "lt", SOP_LT }, { "le", SOP_LE },
		{ "gt", SOP_GT }, { "ge", SOP_GE }, { "in", SOP_IN },
	};
	if (ynode_expect(c->d, n, Y_MAP, "condition") || check_keys(c, n, "condition", keys))
		return -EINVAL;
	out->loc = loc_of(n);
	const struct ynode *arg = get(n, "arg");
	if (!arg)
		return ERR(c, n, "condition: missing 'arg'");
	if (get_sym(c, arg, "condition arg", &out->arg))
		return -EINVAL;
	const struct ynode *opv = NULL;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const struct ynode *v = get(n, ops[i].k);
		if (!v)
			continue;
		if (opv)
			return ERR(c, v, "condition: more than one comparison; write a separate condition per comparison");
		opv = v;
		out->op = ops[i].op;
	}
	if (!opv)
		return ERR(c, n, "condition: missing comparison (eq, ne, lt, le, gt, ge or in)");
	const struct ynode *mask = get(n, "mask");
	if (mask) {
		if (out->op != SOP_EQ && out->op != SOP_IN)
			return ERR(c, mask, "condition: 'mask' only combines with 'eq' or 'in'");
		out->has_mask = true;
		if (parse_value(c, mask, "mask", &out->mask))
			return -EINVAL;
	}
	if (out->op == SOP_IN) {
		if (ynode_expect(c->d, opv, Y_SEQ, "in"))
			return -EINVAL;
		if (opv->n == 0)
			return ERR(c, opv, "in: the list is empty");
		if (opv->n > 64)
			return ERR(c, opv, "in: more than 64 values");
		out->nvalue = opv->n;
		out->value = mvm_arena_array(c->a, opv->n, sizeof(*out->value));
		if (!out->value)
			return -ENOMEM;
		for (size_t i = 0; i < opv->n; i++)
			if (parse_value(c, opv->item[i], "in", &out->value[i]))
				return -EINVAL;
	} else {
		out->nvalue = 1;
		out->value = mvm_arena_alloc(c->a, sizeof(*out->value));
		if (!out->value || parse_value(c, opv, "comparison value", out->value))
			return -EINVAL;
	}
	return 0;
}

static int parse_syscall_list(struct ctx *c, const struct ynode *n, struct mvm_spec_rule *r)
{
	if (ynode_expect(c->d, n, Y_SEQ, "syscalls"))
		return -EINVAL;
	if (n->n == 0)
		return ERR(c, n, "syscalls: the list is empty");
	r->nsys = n->n;
	r->sys = mvm_arena_array(c->a, n->n, sizeof(*r->sys));
	if (!r->sys)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++)
		if (get_sym(c, n->item[i], "syscall", &r->sys[i]))
			return -EINVAL;
	return 0;
}

static int parse_rule(struct ctx *c, const struct ynode *n, struct mvm_spec_rule *r)
{
	static const char *const keys[] = { "action", "syscalls", "when", "arch", "why", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "rule"))
		return -EINVAL;
	r->loc = loc_of(n);
	const struct ynode *act = get(n, "action");
	if (!act) {
		/* Short form: a single key naming the action, mapping to the syscall list. */
		if (n->n != 1)
			return ERR(c, n, "rule: expected 'action:' and 'syscalls:', or the short form 'ACTION: [SYSCALLS]'");
		if (parse_action_node(c, n->item[0], "rule", &r->action))
			return -EINVAL;
		return parse_syscall_list(c, n->item[1], r);
	}
	if (check_keys(c, n, "rule", keys) || parse_action_node(c, act, "action", &r->action))
		return -EINVAL;
	const struct ynode *sys = get(n, "syscalls");
	if (!sys)
		return ERR(c, n, "rule: missing 'syscalls'");
	if (parse_syscall_list(c, sys, r))
		return -EINVAL;
	const struct ynode *when = get(n, "when");
	if (when) {
		if (ynode_expect(c->d, when, Y_SEQ, "when"))
			return -EINVAL;
		if (when->n > MVM_MAX_ARGS)
			return ERR(c, when, "when: more than %d conditions", MVM_MAX_ARGS);
		r->ncond = when->n;
		r->cond = mvm_arena_array(c->a, when->n ? when->n : 1, sizeof(*r->cond));
		if (!r->cond)
			return -ENOMEM;
		for (size_t i = 0; i < when->n; i++)
			if (parse_cond(c, when->item[i], &r->cond[i]))
				return -EINVAL;
	}
	const struct ynode *arch = get(n, "arch");
	if (arch && parse_arch_list(c, arch, "arch", &r->arch_mask))
		return -EINVAL;
	const struct ynode *why = get(n, "why");
	if (why && get_str(c, why, "why", &r->why))
		return -EINVAL;
	return 0;
}

static int parse_seccomp(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "default", "rules", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "seccomp") || check_keys(c, n, "seccomp", keys))
		return -EINVAL;
	const struct ynode *def = get(n, "default");
	if (def) {
		if (parse_action_node(c, def, "seccomp.default", &c->s->default_action))
			return -EINVAL;
		c->s->has_default = true;
	}
	const struct ynode *rules = get(n, "rules");
	if (!rules)
		return 0;
	if (ynode_expect(c->d, rules, Y_SEQ, "seccomp.rules"))
		return -EINVAL;
	c->s->nrule = rules->n;
	c->s->rule = mvm_arena_array(c->a, rules->n ? rules->n : 1, sizeof(*c->s->rule));
	if (!c->s->rule)
		return -ENOMEM;
	int bad = 0;
	for (size_t i = 0; i < rules->n; i++)
		if (parse_rule(c, rules->item[i], &c->s->rule[i]))
			bad = -EINVAL; /* keep going: report every bad rule in one run */
	return bad;
}

static int parse_ports(struct ctx *c, const struct ynode *n, struct mvm_egress_rule *r)
{
	if (ynode_expect(c->d, n, Y_SEQ, "ports"))
		return -EINVAL;
	if (n->n == 0 || n->n > 64)
		return ERR(c, n, "ports: expected 1 to 64 ports or ranges");
	r->nport = n->n;
	r->port = mvm_arena_array(c->a, n->n, sizeof(*r->port));
	if (!r->port)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *p = n->item[i];
		if (ynode_expect(c->d, p, Y_SCALAR, "port"))
			return -EINVAL;
		const char *dash = strchr(p->str, '-');
		bool neg;
		uint64_t lo, hi;
		if (dash) {
			char buf[32];
			size_t l = (size_t)(dash - p->str);
			if (l == 0 || l >= sizeof(buf))
				return ERR(c, p, "port: bad range '%s'", p->str);
			memcpy(buf, p->str, l);
			buf[l] = 0;
			if (mvm_parse_int(buf, &neg, &lo) || neg || mvm_parse_int(dash + 1, &neg, &hi) || neg)
				return ERR(c, p, "port: bad range '%s' (expected LO-HI)", p->str);
		} else {
			if (mvm_parse_int(p->str, &neg, &lo) || neg)
				return ERR(c, p, "port: '%s' is not a port number", p->str);
			hi = lo;
		}
		if (lo < 1 || hi > 65535 || lo > hi)
			return ERR(c, p, "port: '%s' is out of range 1..65535", p->str);
		r->port[i] = (struct mvm_port_range){ (uint16_t)lo, (uint16_t)hi };
	}
	return 0;
}

int mvm_parse_cidr(const char *s, struct mvm_egress_rule *r, char *why, size_t whylen)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return snprintf(why, whylen, "cidr: '%s' is too long", s), -EINVAL;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	int max;
	if (inet_pton(AF_INET, buf, r->addr) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, r->addr) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else {
		return snprintf(why, whylen, "cidr: '%s' is not an IPv4 or IPv6 address", buf), -EINVAL;
	}
	uint64_t pfx = (uint64_t)max;
	bool neg;
	if (slash && (mvm_parse_int(slash + 1, &neg, &pfx) || neg || pfx > (uint64_t)max))
		return snprintf(why, whylen, "cidr: bad prefix length in '%s' (0..%d)", s, max), -EINVAL;
	r->prefix = (uint8_t)pfx;
	/* Host bits set below the prefix are almost always a typo; refuse rather than guess. */
	for (int bit = (int)pfx; bit < max; bit++)
		if (r->addr[bit / 8] & (0x80 >> (bit % 8)))
			return snprintf(why, whylen, "cidr: '%s' has host bits set beyond /%d", s, (int)pfx), -EINVAL;
	return 0;
}

static int parse_cidr(struct ctx *c, const struct ynode *n, struct mvm_egress_rule *r)
{
	char why[160];
	if (mvm_parse_cidr(n->str, r, why, sizeof(why)))
		return ERR(c, n, "%s", why);
	return 0;
}

bool mvm_valid_hostname(const char *h)
{
	size_t len = strlen(h), label = 0;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)h[i];
		if (ch == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum(ch) || ch == '-') || (label == 0 && ch == '-') || ++label > 63)
			return false;
	}
	return label > 0 && h[len - 1] != '-';
}

static int parse_egress_rule(struct ctx *c, const struct ynode *n, struct mvm_egress_rule *r)
{
	static const char *const keys[] = { "host", "cidr", "proto", "ports", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "egress rule") || check_keys(c, n, "egress rule", keys))
		return -EINVAL;
	r->loc = loc_of(n);
	const struct ynode *host = get(n, "host"), *cidr = get(n, "cidr");
	if (!!host == !!cidr)
		return ERR(c, n, "egress rule: give exactly one of 'host' or 'cidr'");
	if (host) {
		if (get_str(c, host, "host", &r->host))
			return -EINVAL;
		if (!mvm_valid_hostname(r->host))
			return ERR(c, host, "host: '%s' is not a valid DNS name", r->host);
		/* An address is a cidr rule; as a host it would go through DNS, and the DSL (which
		 * tells the two apart by their form) could not say the same thing. */
		unsigned char v4[4];
		if (inet_pton(AF_INET, r->host, v4) == 1)
			return ERR(c, host, "host: '%s' is an IP address; write it as cidr: %s/32", r->host, r->host);
	} else if (ynode_expect(c->d, cidr, Y_SCALAR, "cidr") || parse_cidr(c, cidr, r)) {
		return -EINVAL;
	}
	const struct ynode *proto = get(n, "proto");
	r->proto = MVM_PROTO_TCP;
	if (proto) {
		if (ynode_expect(c->d, proto, Y_SCALAR, "proto"))
			return -EINVAL;
		if (strcmp(proto->str, "tcp") == 0)
			r->proto = MVM_PROTO_TCP;
		else if (strcmp(proto->str, "udp") == 0)
			r->proto = MVM_PROTO_UDP;
		else if (strcmp(proto->str, "icmp") == 0)
			r->proto = MVM_PROTO_ICMP;
		else
			return ERR(c, proto, "proto: '%s' (expected tcp, udp or icmp)", proto->str);
	}
	const struct ynode *ports = get(n, "ports");
	if (r->proto == MVM_PROTO_ICMP && ports)
		return ERR(c, ports, "ports: icmp has no ports");
	if (r->proto != MVM_PROTO_ICMP && !ports)
		return ERR(c, n, "egress rule: missing 'ports' (tcp and udp rules name their ports)");
	return ports ? parse_ports(c, ports, r) : 0;
}

static int parse_network(struct ctx *c, const struct ynode *n)
{
	static const char *const nkeys[] = { "egress", NULL };
	static const char *const ekeys[] = { "default", "resolver", "allow", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "network") || check_keys(c, n, "network", nkeys))
		return -EINVAL;
	const struct ynode *e = get(n, "egress");
	if (!e)
		return 0;
	if (ynode_expect(c->d, e, Y_MAP, "network.egress") || check_keys(c, e, "network.egress", ekeys))
		return -EINVAL;
	struct mvm_egress *eg = &c->s->egress;
	eg->present = true;
	eg->loc = loc_of(e);
	const struct ynode *def = get(e, "default");
	if (def && (ynode_expect(c->d, def, Y_SCALAR, "egress.default") || strcmp(def->str, "deny") != 0))
		return ERR(c, def, "egress.default: only 'deny' is supported (allow destinations explicitly)");
	const struct ynode *res = get(e, "resolver");
	c->s->at[MVM_AT_RESOLVER] = key_loc(e, "resolver");
	if (res) {
		unsigned char tmp[16];
		if (get_str(c, res, "resolver", &eg->resolver))
			return -EINVAL;
		if (inet_pton(AF_INET, eg->resolver, tmp) != 1 && inet_pton(AF_INET6, eg->resolver, tmp) != 1)
			return ERR(c, res, "resolver: '%s' is not an IP address", eg->resolver);
	}
	const struct ynode *allow = get(e, "allow");
	if (!allow)
		return 0;
	if (ynode_expect(c->d, allow, Y_SEQ, "egress.allow"))
		return -EINVAL;
	if (allow->n > 1024)
		return ERR(c, allow, "egress.allow: more than 1024 rules");
	eg->nrule = allow->n;
	eg->rule = mvm_arena_array(c->a, allow->n ? allow->n : 1, sizeof(*eg->rule));
	if (!eg->rule)
		return -ENOMEM;
	int bad = 0;
	for (size_t i = 0; i < allow->n; i++)
		if (parse_egress_rule(c, allow->item[i], &eg->rule[i]))
			bad = -EINVAL;
	if (eg->nrule && !eg->resolver)
		for (size_t i = 0; i < eg->nrule; i++)
			if (eg->rule[i].host)
				return ERR(c, allow->item[i], "egress rule names a host but egress has no 'resolver'");
	return bad;
}

static int parse_abs_path(struct ctx *c, const struct ynode *n, const char *what, const char **out)
{
	if (get_str(c, n, what, out))
		return -EINVAL;
	if ((*out)[0] != '/')
		return ERR(c, n, "%s: '%s' must be an absolute path", what, *out);
	for (const char *p = *out; *p; p++)
		if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == 0))
			return ERR(c, n, "%s: '%s' must not contain '..'", what, *out);
	return 0;
}

static int parse_filesystem(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "root", "rootfs", "shares", NULL };
	static const char *const skeys[] = { "host", "guest", "mode", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "filesystem") || check_keys(c, n, "filesystem", keys))
		return -EINVAL;
	struct mvm_filesystem *fs = &c->s->fs;
	c->s->at[MVM_AT_ROOT] = key_loc(n, "root");
	c->s->at[MVM_AT_ROOTFS] = key_loc(n, "rootfs");
	const struct ynode *root = get(n, "root");
	if (root) {
		if (ynode_expect(c->d, root, Y_SCALAR, "filesystem.root"))
			return -EINVAL;
		if (strcmp(root->str, "ro") != 0 && strcmp(root->str, "rw") != 0)
			return ERR(c, root, "filesystem.root: '%s' (expected ro or rw)", root->str);
		fs->root_writable = strcmp(root->str, "rw") == 0;
	}
	const struct ynode *rootfs = get(n, "rootfs");
	if (rootfs && parse_abs_path(c, rootfs, "filesystem.rootfs", &fs->rootfs))
		return -EINVAL;
	const struct ynode *shares = get(n, "shares");
	if (!shares)
		return 0;
	if (ynode_expect(c->d, shares, Y_SEQ, "filesystem.shares"))
		return -EINVAL;
	if (shares->n > 64)
		return ERR(c, shares, "filesystem.shares: more than 64 shares");
	fs->nshare = shares->n;
	fs->share = mvm_arena_array(c->a, shares->n ? shares->n : 1, sizeof(*fs->share));
	if (!fs->share)
		return -ENOMEM;
	for (size_t i = 0; i < shares->n; i++) {
		const struct ynode *s = shares->item[i];
		struct mvm_share *sh = &fs->share[i];
		if (ynode_expect(c->d, s, Y_MAP, "share") || check_keys(c, s, "share", skeys))
			return -EINVAL;
		sh->loc = loc_of(s);
		const struct ynode *h = get(s, "host"), *g = get(s, "guest"), *m = get(s, "mode");
		if (!h || !g)
			return ERR(c, s, "share: 'host' and 'guest' are required");
		if (parse_abs_path(c, h, "share.host", &sh->host) || parse_abs_path(c, g, "share.guest", &sh->guest))
			return -EINVAL;
		if (m) {
			if (ynode_expect(c->d, m, Y_SCALAR, "share.mode"))
				return -EINVAL;
			if (strcmp(m->str, "ro") != 0 && strcmp(m->str, "rw") != 0)
				return ERR(c, m, "share.mode: '%s' (expected ro or rw)", m->str);
			sh->writable = strcmp(m->str, "rw") == 0;
		}
	}
	return 0;
}

static int parse_process(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "uid", "gid", "capabilities", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "process") || check_keys(c, n, "process", keys))
		return -EINVAL;
	int64_t v;
	const struct ynode *uid = get(n, "uid"), *gid = get(n, "gid"), *caps = get(n, "capabilities");
	c->s->at[MVM_AT_UID] = key_loc(n, "uid");
	c->s->at[MVM_AT_GID] = key_loc(n, "gid");
	/* 4294967295 is (uid_t)-1, which the kernel treats as "no change". */
	if (uid) {
		if (ynode_int(c->d, uid, "process.uid", 0, 4294967294LL, &v))
			return -EINVAL;
		c->s->proc.uid = (uint32_t)v;
		c->s->has_uid = true;
	}
	if (gid) {
		if (ynode_int(c->d, gid, "process.gid", 0, 4294967294LL, &v))
			return -EINVAL;
		c->s->proc.gid = (uint32_t)v;
		c->s->has_gid = true;
	}
	if (caps) {
		if (ynode_expect(c->d, caps, Y_SEQ, "process.capabilities"))
			return -EINVAL;
		c->s->ncap = caps->n;
		c->s->cap = mvm_arena_array(c->a, caps->n ? caps->n : 1, sizeof(*c->s->cap));
		if (!c->s->cap)
			return -ENOMEM;
		for (size_t i = 0; i < caps->n; i++)
			if (get_sym(c, caps->item[i], "capability", &c->s->cap[i]))
				return -EINVAL;
	}
	return 0;
}

static int parse_secrets(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "release", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "secrets") || check_keys(c, n, "secrets", keys))
		return -EINVAL;
	const struct ynode *r = get(n, "release");
	if (!r)
		return 0;
	if (ynode_expect(c->d, r, Y_SCALAR, "secrets.release"))
		return -EINVAL;
	if (strcmp(r->str, "none") == 0)
		c->s->secrets = MVM_SECRETS_NONE;
	else if (strcmp(r->str, "plan-bound") == 0)
		c->s->secrets = MVM_SECRETS_PLAN_BOUND;
	else if (strcmp(r->str, "attestation-bound") == 0)
		c->s->secrets = MVM_SECRETS_ATTESTATION_BOUND;
	else
		return ERR(c, r, "secrets.release: '%s' (expected none, plan-bound or attestation-bound)", r->str);
	c->s->has_secrets = true;
	c->s->secrets_loc = loc_of(r);
	return 0;
}

static int parse_tools(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "allow", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "tools") || check_keys(c, n, "tools", keys))
		return -EINVAL;
	const struct ynode *al = get(n, "allow");
	if (!al)
		return 0;
	if (ynode_expect(c->d, al, Y_SEQ, "tools.allow"))
		return -EINVAL;
	c->s->ntool = al->n;
	c->s->tool = mvm_arena_array(c->a, al->n ? al->n : 1, sizeof(*c->s->tool));
	if (!c->s->tool)
		return -ENOMEM;
	for (size_t i = 0; i < al->n; i++)
		if (get_str(c, al->item[i], "tool", &c->s->tool[i]))
			return -EINVAL;
	return 0;
}

static int parse_audit(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "labels", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "audit") || check_keys(c, n, "audit", keys))
		return -EINVAL;
	const struct ynode *l = get(n, "labels");
	if (!l)
		return 0;
	if (ynode_expect(c->d, l, Y_MAP, "audit.labels"))
		return -EINVAL;
	c->s->nlabel = l->n;
	c->s->label = mvm_arena_array(c->a, l->n ? l->n : 1, sizeof(*c->s->label));
	if (!c->s->label)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		c->s->label[i].key = l->item[2 * i]->str;
		if (get_str(c, l->item[2 * i + 1], "label value", &c->s->label[i].value))
			return -EINVAL;
	}
	return 0;
}

int mvm_parse_duration(const char *s, uint64_t *seconds)
{
	size_t n = strlen(s);
	if (n < 2 || n > 20)
		return -EINVAL;
	uint64_t unit;
	switch (s[n - 1]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -EINVAL;
	}
	uint64_t v = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > 366ULL * 86400)
			return -ERANGE;
	}
	v *= unit;
	if (v == 0 || v > 366ULL * 86400)
		return -ERANGE;
	*seconds = v;
	return 0;
}

static int parse_admission(struct ctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "valid-for", NULL };
	if (ynode_expect(c->d, n, Y_MAP, "admission") || check_keys(c, n, "admission", keys))
		return -EINVAL;
	const struct ynode *v = get(n, "valid-for");
	if (!v)
		return 0;
	if (ynode_expect(c->d, v, Y_SCALAR, "admission.valid-for"))
		return -EINVAL;
	if (mvm_parse_duration(v->str, &c->s->valid_for_s))
		return ERR(c, v, "admission.valid-for: '%s' (expected N followed by s, m, h or d; at most 366d)", v->str);
	return 0;
}

static int parse_include(struct ctx *c, const struct ynode *n)
{
	if (ynode_expect(c->d, n, Y_SEQ, "include"))
		return -EINVAL;
	c->s->ninclude = n->n;
	c->s->include = mvm_arena_array(c->a, n->n ? n->n : 1, sizeof(*c->s->include));
	if (!c->s->include)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++)
		if (get_sym(c, n->item[i], "include", &c->s->include[i]))
			return -EINVAL;
	return 0;
}

static bool c_identifier(const char *s)
{
	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	return true;
}

static int parse_constants(struct ctx *c, const struct ynode *n)
{
	if (ynode_expect(c->d, n, Y_MAP, "constants"))
		return -EINVAL;
	c->s->nconst = n->n;
	c->s->constant = mvm_arena_array(c->a, n->n ? n->n : 1, sizeof(*c->s->constant));
	if (!c->s->constant)
		return -ENOMEM;
	int bad = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->item[2 * i];
		struct mvm_spec_const *sc = &c->s->constant[i];
		if (!c_identifier(k->str)) {
			bad = ERR(c, k, "constants: name '%s' must be a C identifier ([A-Za-z_][A-Za-z0-9_]*)", k->str);
			continue;
		}
		sc->name = (struct mvm_sym){ k->str, loc_of(k) };
		if (parse_value(c, n->item[2 * i + 1], "constant", &sc->value))
			bad = -EINVAL;
	}
	return bad;
}

static int parse_groups(struct ctx *c, const struct ynode *n)
{
	if (ynode_expect(c->d, n, Y_MAP, "groups"))
		return -EINVAL;
	c->s->ngroup = n->n;
	c->s->group = mvm_arena_array(c->a, n->n ? n->n : 1, sizeof(*c->s->group));
	if (!c->s->group)
		return -ENOMEM;
	int bad = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->item[2 * i], *v = n->item[2 * i + 1];
		struct mvm_spec_group *g = &c->s->group[i];
		/* The same names the DSL's @group token takes, written here without the '@'. */
		bool ok = isalnum((unsigned char)k->str[0]) || k->str[0] == '_';
		for (const char *p = k->str; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-';
		if (!ok) {
			bad = ERR(c, k, "groups: name '%s' must match [A-Za-z0-9_][A-Za-z0-9_.-]* (written without '@')", k->str);
			continue;
		}
		g->name = (struct mvm_sym){ k->str, loc_of(k) };
		if (ynode_expect(c->d, v, Y_SEQ, "group")) {
			bad = -EINVAL;
			continue;
		}
		if (v->n == 0) {
			bad = ERR(c, v, "group '%s': the list is empty", k->str);
			continue;
		}
		g->nsys = v->n;
		g->sys = mvm_arena_array(c->a, v->n, sizeof(*g->sys));
		if (!g->sys)
			return -ENOMEM;
		for (size_t j = 0; j < v->n; j++)
			if (get_sym(c, v->item[j], "group member", &g->sys[j]))
				bad = -EINVAL;
	}
	return bad;
}

int mvm_yaml_load_spec(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text,
		       size_t len, struct mvm_spec **out)
{
	static const char *const keys[] = { "mvm", "include", "constants", "groups", "name", "intent", "extends",
					    "arch", "seccomp", "network", "filesystem", "process", "secrets", "tools",
					    "audit", "admission", NULL };
	struct ynode *root;
	if (mvm_yaml_parse(a, d, file, text, len, &root))
		return -EINVAL;
	struct ctx c = { a, d, file, NULL };
	if (ynode_expect(d, root, Y_MAP, "profile"))
		return -EINVAL;
	c.s = mvm_arena_alloc(a, sizeof(*c.s));
	if (!c.s)
		return -ENOMEM;
	c.s->file = file;
	c.s->proc.uid = c.s->proc.gid = 65534;
	int bad = check_keys(&c, root, "profile", keys);
	const struct ynode *v = get(root, "mvm");
	int64_t schema;
	if (!v) {
		mvm_diag_error(d, file, root->line, root->col, "missing required key 'mvm' (the schema version, 1)");
		return -EINVAL;
	}
	if (ynode_int(d, v, "mvm", 1, 1000, &schema))
		return -EINVAL;
	if (schema != 1)
		return ERR(&c, v, "mvm: schema version %lld is newer than this mvmc understands (1)", (long long)schema);
	c.s->schema = 1;
	static const struct { const char *key; enum mvm_spec_at at; } where[] = {
		{ "mvm", MVM_AT_SCHEMA }, { "seccomp", MVM_AT_SECCOMP }, { "network", MVM_AT_NETWORK },
		{ "filesystem", MVM_AT_FILESYSTEM }, { "process", MVM_AT_PROCESS }, { "secrets", MVM_AT_SECRETS },
		{ "tools", MVM_AT_TOOLS }, { "audit", MVM_AT_AUDIT }, { "admission", MVM_AT_ADMISSION },
	};
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		c.s->at[where[i].at] = key_loc(root, where[i].key);
	if ((v = get(root, "include")) && parse_include(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "constants")) && parse_constants(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "groups")) && parse_groups(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "name")) && parse_name(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "intent")) && get_sym(&c, v, "intent", &c.s->intent))
		bad = -EINVAL;
	if ((v = get(root, "extends")) && get_sym(&c, v, "extends", &c.s->extends))
		bad = -EINVAL;
	if ((v = get(root, "arch"))) {
		c.s->arch_loc = loc_of(v);
		if (parse_arch_list(&c, v, "arch", &c.s->arch_mask))
			bad = -EINVAL;
	}
	if ((v = get(root, "seccomp")) && parse_seccomp(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "network")) && parse_network(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "filesystem")) && parse_filesystem(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "process")) && parse_process(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "secrets")) && parse_secrets(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "tools")) && parse_tools(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "audit")) && parse_audit(&c, v))
		bad = -EINVAL;
	if ((v = get(root, "admission")) && parse_admission(&c, v))
		bad = -EINVAL;
	if (bad)
		return bad;
	*out = c.s;
	return 0;
}

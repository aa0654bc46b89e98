/* Cross-target consistency: seccomp and egress are compiled from one profile and must not
 * contradict each other. Warnings by default, errors with --strict; an egress section that
 * the intent's ceiling forbids is always an error. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "consistency.h"
#include "resolve.h"

static bool permissive(struct mvm_action a)
{
	return a.kind == MVM_ACT_ALLOW || a.kind == MVM_ACT_LOG;
}

/* Can a process under f open a socket of this family (stream or datagram)? */
static bool socket_allowed(const struct mvm_arch_filter *f, int family)
{
	int nr = mvm_syscall_nr(f->arch, "socket");
	if (nr < 0)
		return false;
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM | SOCK_CLOEXEC, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t args[6] = { (uint64_t)family, (uint64_t)types[i], 0, 0, 0, 0 };
		if (permissive(mvm_eval_decisions(f, nr, args)))
			return true;
	}
	return false;
}

static void report(struct mvm_diag *d, bool strict, struct mvm_loc l, const char *msg)
{
	if (strict)
		mvm_diag_error(d, l.file, l.line, l.col, "%s", msg);
	else
		mvm_diag_warning(d, l.file, l.line, l.col, "%s", msg);
}

static bool names_port_53(const struct mvm_egress_rule *r)
{
	for (size_t k = 0; k < r->nport; k++)
		if (r->port[k].lo <= 53 && 53 <= r->port[k].hi)
			return true;
	return false;
}

/* Is the rule exactly the pinned resolver (a /32 or /128 of its address)? */
static bool is_resolver(const struct mvm_egress *e, const struct mvm_egress_rule *r)
{
	uint8_t a[16] = { 0 };
	if (!e->resolver || r->host || inet_pton(r->family, e->resolver, a) != 1)
		return false;
	return r->prefix == (r->family == AF_INET ? 32 : 128) && memcmp(a, r->addr, r->family == AF_INET ? 4 : 16) == 0;
}

int mvm_check_consistency(struct mvm_diag *d, const struct mvm_stdlib *st, const struct mvm_profile *p, bool strict)
{
	unsigned before = d->errors;
	const struct mvm_egress *e = &p->egress;
	bool inet = false;
	struct mvm_loc socket_rule = { 0 };
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *f = &p->filter[a];
		if (!(socket_allowed(f, AF_INET) || socket_allowed(f, AF_INET6)))
			continue;
		inet = true;
		int nr = mvm_syscall_nr(f->arch, "socket");
		for (size_t i = 0; i < f->nrule && !socket_rule.file; i++)
			if (f->rule[i].nr == nr && permissive(f->rule[i].action))
				socket_rule = f->rule[i].loc;
	}
	bool egress_allows = e->present && (e->nrule > 0 || e->resolver);

	/* The resolver alone is egress too (DNS carries data out); the resolver checks only count
	 * rules, so a deny intent with just a resolver is caught here. */
	const struct mvm_intent *in = p->intent && st ? mvm_stdlib_intent(st, p->intent) : NULL;
	if (in && !in->egress_allowed && egress_allows)
		mvm_diag_error(d, e->loc.file, e->loc.line, e->loc.col,
			       "intent '%s' allows no network egress, but network.egress %s", in->name,
			       e->nrule ? "allows destinations" : "names a resolver (DNS is egress too)");

	if (egress_allows && !inet)
		report(d, strict, e->loc,
		       "network.egress allows destinations, but seccomp allows no AF_INET or AF_INET6 socket: "
		       "the workload cannot use them");
	if (inet && !egress_allows) {
		struct mvm_loc l = e->present ? e->loc : socket_rule;
		report(d, strict, l,
		       "seccomp allows AF_INET/AF_INET6 sockets, but network egress is deny-all: the sandbox reaches "
		       "nothing but loopback (narrow the socket rule, or add network.egress)");
	}
	for (size_t i = 0; e->present && i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		if (mvm_egress_rule_is_explicit_exception(r))
			mvm_diag_warning(d, r->loc.file, r->loc.line, r->loc.col,
					 "this rule opens an always-dropped range (link-local/cloud metadata, CGNAT, "
					 "loopback, multicast, IPv6 link-local); make sure the workload needs it");
		if (r->proto != MVM_PROTO_ICMP && names_port_53(r) && !is_resolver(e, r))
			report(d, strict, r->loc,
			       "port 53 is reachable only on the pinned resolver (network.egress.resolver): "
			       "this rule does not open DNS to other servers");
	}
	return d->errors > before ? -EINVAL : 0;
}

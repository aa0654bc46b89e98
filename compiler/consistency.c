/* Cross-target consistency: seccomp and egress are compiled from one profile and must not
 * contradict each other. Warnings by default, errors with --strict. */
#include <stdbool.h>
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

int mvm_check_consistency(struct mvm_diag *d, const struct mvm_profile *p, bool strict)
{
	unsigned before = d->errors;
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
	bool egress_allows = p->egress.present && (p->egress.nrule > 0 || p->egress.resolver);
	if (egress_allows && !inet)
		report(d, strict, p->egress.loc,
		       "network.egress allows destinations, but seccomp allows no AF_INET or AF_INET6 socket: "
		       "the workload cannot use them");
	if (inet && !egress_allows) {
		struct mvm_loc l = p->egress.present ? p->egress.loc : socket_rule;
		report(d, strict, l,
		       "seccomp allows AF_INET/AF_INET6 sockets, but network egress is deny-all: only inbound or "
		       "loopback traffic can work (narrow the socket rule, or add network.egress)");
	}
	for (size_t i = 0; p->egress.present && i < p->egress.nrule; i++) {
		const struct mvm_egress_rule *r = &p->egress.rule[i];
		if (mvm_egress_rule_is_explicit_exception(r))
			mvm_diag_warning(d, r->loc.file, r->loc.line, r->loc.col,
					 "this rule opens an always-dropped range (link-local/cloud metadata, CGNAT, "
					 "IPv6 link-local); make sure the workload needs it");
	}
	return d->errors > before ? -EINVAL : 0;
}

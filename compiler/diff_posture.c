/* mvmc diff beyond seccomp: egress destinations (added, removed, and whether NEW reaches
 * anything OLD did not), the resolver, intent, tier, secrets, filesystem, process and the
 * admission fields. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <linux/capability.h>
#include <sys/socket.h>

#include "diff.h"

static struct mvm_diff_change *add(struct mvm_arena *a, struct mvm_diff *d, enum mvm_diff_kind kind, const char *subject,
				   const char *o, const char *n, unsigned effect)
{
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 32;
		struct mvm_diff_change *nv = mvm_arena_array(a, ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		if (d->n)
			memcpy(nv, d->v, d->n * sizeof(*nv));
		d->v = nv;
		d->cap = ncap;
	}
	struct mvm_diff_change *c = &d->v[d->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->subject = subject;
	c->old_text = o;
	c->new_text = n;
	c->effect = effect;
	d->effect |= effect;
	return c;
}

/* ---- egress ---- */

static const char *proto_name(enum mvm_proto p)
{
	static const char *const n[] = { "any", "tcp", "udp", "icmp" };
	return n[p];
}

static const char *rule_text(struct mvm_arena *a, const struct mvm_egress_rule *r)
{
	struct mvm_buf b = { 0 };
	mvm_buf_printf(&b, "allow %s ", proto_name(r->proto));
	if (r->host) {
		mvm_buf_puts(&b, r->host);
	} else {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(r->family, r->addr, ip, sizeof(ip));
		mvm_buf_printf(&b, "%s/%u", ip, r->prefix);
	}
	if (r->proto != MVM_PROTO_ICMP) {
		if (r->nport == 0)
			mvm_buf_puts(&b, " every port");
		for (size_t k = 0; k < r->nport; k++) {
			mvm_buf_printf(&b, "%s%u", k ? ", " : " port ", r->port[k].lo);
			if (r->port[k].hi != r->port[k].lo)
				mvm_buf_printf(&b, "-%u", r->port[k].hi);
		}
	}
	mvm_buf_put(&b, "", 1);
	const char *s = b.oom ? NULL : mvm_arena_strdup(a, b.data);
	mvm_buf_free(&b);
	return s;
}

static bool same_dest(const struct mvm_egress_rule *x, const struct mvm_egress_rule *y)
{
	if (x->host || y->host)
		return x->host && y->host && strcasecmp(x->host, y->host) == 0;
	return x->family == y->family && x->prefix == y->prefix &&
	       memcmp(x->addr, y->addr, x->family == AF_INET ? 4 : 16) == 0;
}

/* Every address of inner is in outer. */
static bool dest_within(const struct mvm_egress_rule *inner, const struct mvm_egress_rule *outer)
{
	if (inner->host || outer->host)
		return same_dest(inner, outer);
	if (inner->family != outer->family || outer->prefix > inner->prefix)
		return false;
	for (unsigned bit = 0; bit < outer->prefix; bit++)
		if (((inner->addr[bit / 8] ^ outer->addr[bit / 8]) >> (7 - bit % 8)) & 1)
			return false;
	return true;
}

static bool port_in(const struct mvm_egress_rule *r, unsigned port)
{
	if (r->nport == 0)
		return true;
	for (size_t k = 0; k < r->nport; k++)
		if (r->port[k].lo <= port && port <= r->port[k].hi)
			return true;
	return false;
}

/* Every (protocol, port) of inner is allowed by outer. */
static bool ports_within(const struct mvm_egress_rule *inner, const struct mvm_egress_rule *outer)
{
	if (outer->proto != MVM_PROTO_ANY && outer->proto != inner->proto)
		return false;
	if (inner->proto == MVM_PROTO_ICMP || outer->nport == 0)
		return true;
	if (inner->nport == 0)
		return false;
	for (size_t k = 0; k < inner->nport; k++)
		for (unsigned p = inner->port[k].lo; p <= inner->port[k].hi; p++)
			if (!port_in(outer, p))
				return false;
	return true;
}

static bool rule_eq(const struct mvm_egress_rule *x, const struct mvm_egress_rule *y)
{
	return same_dest(x, y) && ports_within(x, y) && ports_within(y, x) && x->proto == y->proto;
}

/* Does some rule of e allow everything r allows? */
static bool covered(const struct mvm_egress *e, const struct mvm_egress_rule *r)
{
	for (size_t i = 0; i < e->nrule; i++)
		if (dest_within(r, &e->rule[i]) && ports_within(r, &e->rule[i]))
			return true;
	return false;
}

static int diff_egress(struct mvm_arena *a, const struct mvm_egress *o, const struct mvm_egress *n, struct mvm_diff *d)
{
	for (size_t i = 0; i < n->nrule; i++) {
		const struct mvm_egress_rule *r = &n->rule[i];
		bool same = false;
		for (size_t j = 0; j < o->nrule && !same; j++)
			same = rule_eq(r, &o->rule[j]);
		if (same)
			continue;
		/* A new rule that OLD's rules already cover reaches nothing new. */
		if (!add(a, d, MVM_DIFF_EGRESS, "egress", NULL, rule_text(a, r), covered(o, r) ? 0 : MVM_DIFF_WIDEN))
			return -ENOMEM;
	}
	for (size_t j = 0; j < o->nrule; j++) {
		const struct mvm_egress_rule *r = &o->rule[j];
		bool same = false;
		for (size_t i = 0; i < n->nrule && !same; i++)
			same = rule_eq(r, &n->rule[i]);
		if (!same && !add(a, d, MVM_DIFF_EGRESS, "egress", rule_text(a, r), NULL, covered(n, r) ? 0 : MVM_DIFF_NARROW))
			return -ENOMEM;
	}
	const char *ro = o->resolver, *rn = n->resolver;
	if ((ro || rn) && !(ro && rn && strcmp(ro, rn) == 0)) {
		unsigned eff = rn ? MVM_DIFF_WIDEN : MVM_DIFF_NARROW;
		if (!add(a, d, MVM_DIFF_EGRESS, "egress resolver", ro, rn, eff))
			return -ENOMEM;
	}
	return 0;
}

/* ---- posture ---- */

static const char *secrets_name(enum mvm_secret_release s)
{
	return s == MVM_SECRETS_NONE ? "none" : s == MVM_SECRETS_ATTESTATION_BOUND ? "attestation-bound" : "plan-bound";
}

static int looseness(enum mvm_secret_release s)
{
	return s == MVM_SECRETS_NONE ? 0 : s == MVM_SECRETS_ATTESTATION_BOUND ? 1 : 2;
}

static unsigned order_effect(int o, int n)
{
	return n > o ? MVM_DIFF_WIDEN : n < o ? MVM_DIFF_NARROW : 0;
}

static bool str_eq(const char *x, const char *y)
{
	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

static const char *uint_text(struct mvm_arena *a, uint64_t v)
{
	return mvm_arena_printf(a, "%llu", (unsigned long long)v);
}

/* An intent is looser than another when its ceiling is higher in any dimension. */
static unsigned intent_effect(const struct mvm_stdlib *st, const char *o, const char *n)
{
	const struct mvm_intent *io = o ? mvm_stdlib_intent(st, o) : NULL, *in = n ? mvm_stdlib_intent(st, n) : NULL;
	if (!io || !in)
		return in ? MVM_DIFF_NARROW : MVM_DIFF_WIDEN; /* no intent: no ceiling at all */
	unsigned e = order_effect(io->max_tier, in->max_tier) | order_effect(io->egress_allowed, in->egress_allowed) |
		     order_effect(looseness(io->max_secrets), looseness(in->max_secrets));
	return e;
}

/* Names as profiles write them; the numbers come from <linux/capability.h>. */
#define CAP(name) { #name, name }
static const struct {
	const char *name;
	int cap;
} cap_names[] = {
	CAP(CAP_CHOWN), CAP(CAP_DAC_OVERRIDE), CAP(CAP_DAC_READ_SEARCH), CAP(CAP_FOWNER), CAP(CAP_FSETID),
	CAP(CAP_KILL), CAP(CAP_SETGID), CAP(CAP_SETUID), CAP(CAP_SETPCAP), CAP(CAP_LINUX_IMMUTABLE),
	CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST), CAP(CAP_NET_ADMIN), CAP(CAP_NET_RAW), CAP(CAP_IPC_LOCK),
	CAP(CAP_IPC_OWNER), CAP(CAP_SYS_MODULE), CAP(CAP_SYS_RAWIO), CAP(CAP_SYS_CHROOT), CAP(CAP_SYS_PTRACE),
	CAP(CAP_SYS_PACCT), CAP(CAP_SYS_ADMIN), CAP(CAP_SYS_BOOT), CAP(CAP_SYS_NICE), CAP(CAP_SYS_RESOURCE),
	CAP(CAP_SYS_TIME), CAP(CAP_SYS_TTY_CONFIG), CAP(CAP_MKNOD), CAP(CAP_LEASE), CAP(CAP_AUDIT_WRITE),
	CAP(CAP_AUDIT_CONTROL), CAP(CAP_SETFCAP), CAP(CAP_MAC_OVERRIDE), CAP(CAP_MAC_ADMIN), CAP(CAP_SYSLOG),
	CAP(CAP_WAKE_ALARM), CAP(CAP_BLOCK_SUSPEND), CAP(CAP_AUDIT_READ), CAP(CAP_PERFMON), CAP(CAP_BPF),
	CAP(CAP_CHECKPOINT_RESTORE),
};

static const char *cap_name(struct mvm_arena *a, int bit)
{
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (cap_names[i].cap == bit)
			return cap_names[i].name;
	return mvm_arena_printf(a, "capability %d", bit);
}

static int diff_caps(struct mvm_arena *a, uint64_t o, uint64_t n, struct mvm_diff *d)
{
	for (int bit = 0; bit < 64; bit++) {
		uint64_t m = (uint64_t)1 << bit;
		if ((o & m) == (n & m))
			continue;
		const char *name = cap_name(a, bit);
		if (!add(a, d, MVM_DIFF_POSTURE, "process.capabilities", (o & m) ? name : NULL, (n & m) ? name : NULL,
			 (n & m) ? MVM_DIFF_WIDEN : MVM_DIFF_NARROW))
			return -ENOMEM;
	}
	return 0;
}

static const char *share_text(struct mvm_arena *a, const struct mvm_share *s)
{
	return mvm_arena_printf(a, "%s -> %s %s", s->host, s->guest, s->writable ? "rw" : "ro");
}

static int diff_fs(struct mvm_arena *a, const struct mvm_filesystem *o, const struct mvm_filesystem *n, struct mvm_diff *d)
{
	if (o->root_writable != n->root_writable &&
	    !add(a, d, MVM_DIFF_POSTURE, "filesystem.root", o->root_writable ? "rw" : "ro", n->root_writable ? "rw" : "ro",
		 order_effect(o->root_writable, n->root_writable)))
		return -ENOMEM;
	if (!str_eq(o->rootfs, n->rootfs) && !add(a, d, MVM_DIFF_POSTURE, "filesystem.rootfs", o->rootfs, n->rootfs, 0))
		return -ENOMEM;
	for (size_t i = 0; i < n->nshare; i++) {
		const struct mvm_share *s = &n->share[i];
		const struct mvm_share *m = NULL;
		for (size_t j = 0; j < o->nshare && !m; j++)
			if (strcmp(o->share[j].host, s->host) == 0 && strcmp(o->share[j].guest, s->guest) == 0)
				m = &o->share[j];
		if (m && m->writable == s->writable)
			continue;
		if (!add(a, d, MVM_DIFF_POSTURE, "filesystem.share", m ? share_text(a, m) : NULL, share_text(a, s),
			 m && !s->writable ? MVM_DIFF_NARROW : MVM_DIFF_WIDEN))
			return -ENOMEM;
	}
	for (size_t j = 0; j < o->nshare; j++) {
		bool kept = false;
		for (size_t i = 0; i < n->nshare && !kept; i++)
			kept = strcmp(o->share[j].host, n->share[i].host) == 0 && strcmp(o->share[j].guest, n->share[i].guest) == 0;
		if (!kept && !add(a, d, MVM_DIFF_POSTURE, "filesystem.share", share_text(a, &o->share[j]), NULL, MVM_DIFF_NARROW))
			return -ENOMEM;
	}
	return 0;
}

static bool has_tool(const struct mvm_profile *p, const char *t)
{
	for (size_t i = 0; i < p->ntool; i++)
		if (strcmp(p->tool[i], t) == 0)
			return true;
	return false;
}

static int diff_lists(struct mvm_arena *a, const struct mvm_profile *o, const struct mvm_profile *n, struct mvm_diff *d)
{
	for (size_t i = 0; i < n->ntool; i++)
		if (!has_tool(o, n->tool[i]) && !add(a, d, MVM_DIFF_POSTURE, "tools.allow", NULL, n->tool[i], MVM_DIFF_WIDEN))
			return -ENOMEM;
	for (size_t i = 0; i < o->ntool; i++)
		if (!has_tool(n, o->tool[i]) && !add(a, d, MVM_DIFF_POSTURE, "tools.allow", o->tool[i], NULL, MVM_DIFF_NARROW))
			return -ENOMEM;
	for (size_t i = 0; i < n->nlabel; i++) {
		const char *ov = NULL;
		for (size_t j = 0; j < o->nlabel && !ov; j++)
			if (strcmp(o->label[j].key, n->label[i].key) == 0)
				ov = o->label[j].value;
		if (!str_eq(ov, n->label[i].value) &&
		    !add(a, d, MVM_DIFF_POSTURE, mvm_arena_printf(a, "audit.labels.%s", n->label[i].key), ov, n->label[i].value, 0))
			return -ENOMEM;
	}
	for (size_t j = 0; j < o->nlabel; j++) {
		bool kept = false;
		for (size_t i = 0; i < n->nlabel && !kept; i++)
			kept = strcmp(o->label[j].key, n->label[i].key) == 0;
		if (!kept && !add(a, d, MVM_DIFF_POSTURE, mvm_arena_printf(a, "audit.labels.%s", o->label[j].key), o->label[j].value,
				  NULL, 0))
			return -ENOMEM;
	}
	return 0;
}

int mvm_diff_profiles(struct mvm_arena *a, const struct mvm_stdlib *st, const struct mvm_profile *old,
		      const struct mvm_profile *new, struct mvm_diff *out)
{
	memset(out, 0, sizeof(*out));
	int e = mvm_diff_seccomp(a, st, old, new, out);
	if (!e)
		e = diff_egress(a, &old->egress, &new->egress, out);
	if (e)
		return e;
	if (old->egress.present != new->egress.present &&
	    !add(a, out, MVM_DIFF_EGRESS, "network.egress section", old->egress.present ? "present" : NULL,
		 new->egress.present ? "present" : NULL, 0))
		return -ENOMEM;
	if (!str_eq(old->intent, new->intent) &&
	    !add(a, out, MVM_DIFF_POSTURE, "intent", old->intent, new->intent, intent_effect(st, old->intent, new->intent)))
		return -ENOMEM;
	if (!str_eq(old->tier, new->tier) &&
	    !add(a, out, MVM_DIFF_POSTURE, "tier", old->tier, new->tier,
		 order_effect(old->tier ? mvm_tier_index(old->tier) : -1, new->tier ? mvm_tier_index(new->tier) : -1)))
		return -ENOMEM;
	if (old->secrets != new->secrets &&
	    !add(a, out, MVM_DIFF_POSTURE, "secrets.release", secrets_name(old->secrets), secrets_name(new->secrets),
		 order_effect(looseness(old->secrets), looseness(new->secrets))))
		return -ENOMEM;
	if (diff_caps(a, old->proc.caps, new->proc.caps, out))
		return -ENOMEM;
	if (old->proc.uid != new->proc.uid &&
	    !add(a, out, MVM_DIFF_POSTURE, "process.uid", uint_text(a, old->proc.uid), uint_text(a, new->proc.uid),
		 new->proc.uid == 0 ? MVM_DIFF_WIDEN : old->proc.uid == 0 ? MVM_DIFF_NARROW : 0))
		return -ENOMEM;
	if (old->proc.gid != new->proc.gid &&
	    !add(a, out, MVM_DIFF_POSTURE, "process.gid", uint_text(a, old->proc.gid), uint_text(a, new->proc.gid),
		 new->proc.gid == 0 ? MVM_DIFF_WIDEN : old->proc.gid == 0 ? MVM_DIFF_NARROW : 0))
		return -ENOMEM;
	if (diff_fs(a, &old->fs, &new->fs, out) || diff_lists(a, old, new, out))
		return -ENOMEM;
	if (old->valid_for_s != new->valid_for_s &&
	    !add(a, out, MVM_DIFF_POSTURE, "admission.valid-for", uint_text(a, old->valid_for_s), uint_text(a, new->valid_for_s),
		 0))
		return -ENOMEM;
	if (!str_eq(old->name, new->name) && !add(a, out, MVM_DIFF_POSTURE, "name", old->name, new->name, 0))
		return -ENOMEM;
	return 0;
}

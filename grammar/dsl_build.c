/* The DSL's semantic actions: each grammar rule hands its words here, and the spec is built
 * with exactly the checks, limits and messages' meaning of the YAML front end
 * (compiler/yaml_profile.c), so both syntaxes accept the same profiles. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compiler/suggest.h"
#include "compiler/yaml_tree.h"
#include "dsl_parse.h"

#define MAX_IN_VALUES 64
#define MAX_PORTS 64
#define MAX_EGRESS_RULES 1024
#define MAX_SHARES 64

void *dsl_push(struct dsl_state *st, struct dsl_vec *v, const void *elem, size_t size)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 4;
		void *nv = mvm_arena_array(st->a, ncap, size);
		if (!nv) {
			st->oom = true;
			return NULL;
		}
		if (v->n)
			memcpy(nv, v->v, v->n * size);
		v->v = nv;
		v->cap = ncap;
	}
	void *slot = (char *)v->v + v->n * size;
	memcpy(slot, elem, size);
	v->n++;
	return slot;
}

void dsl_error(struct dsl_state *st, struct mvm_loc loc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mvm_diag_error(st->d, loc.file, loc.line, loc.col, "%s", msg);
	st->failed = true;
}

struct mvm_loc dsl_loc(const struct dsl_state *st, int line, int col)
{
	return (struct mvm_loc){ st->file, line, col };
}

static struct mvm_sym sym_of(const struct dsl_word *w)
{
	return (struct mvm_sym){ w->s, w->loc };
}

/* A section or key given twice: the YAML front end refuses duplicate keys the same way. */
static bool once(struct dsl_state *st, struct mvm_loc *seen, const struct dsl_word *kw)
{
	if (seen->line) {
		dsl_error(st, kw->loc, "duplicate '%s' (first at line %d)", kw->s, seen->line);
		return false;
	}
	*seen = kw->loc;
	return true;
}

static bool nonempty(struct dsl_state *st, const struct dsl_word *w, const char *what)
{
	if (w->s[0])
		return true;
	dsl_error(st, w->loc, "%s: must not be empty", what);
	return false;
}

/* One of a few fixed words, with a suggestion when it is close to one of them. */
static int choose(struct dsl_state *st, const struct dsl_word *w, const char *what, const char *const *words)
{
	struct mvm_suggest sg;
	mvm_suggest_init(&sg, w->s);
	char list[256] = "";
	for (int i = 0; words[i]; i++) {
		if (strcmp(w->s, words[i]) == 0)
			return i;
		mvm_suggest_offer(&sg, words[i]);
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", words[i]);
	}
	const char *best = mvm_suggest_result(&sg);
	if (best)
		dsl_error(st, w->loc, "unknown %s '%s'; did you mean '%s'?", what, w->s, best);
	else
		dsl_error(st, w->loc, "unknown %s '%s' (expected %s)", what, w->s, list);
	return -1;
}

/* Parses an integer word: decimal, 0x, 0o, 0b (mvm_parse_int, as YAML). A leading zero in a
 * decimal is legal but almost always meant octal, so it is warned about. */
static int number(struct dsl_state *st, const struct dsl_word *w, int64_t min, int64_t max, int64_t *out)
{
	bool neg;
	uint64_t mag;
	int r = mvm_parse_int(w->s, &neg, &mag);
	if (r == -EINVAL) {
		dsl_error(st, w->loc, "invalid number '%s' (expected decimal, 0x hex, 0o octal or 0b binary digits)", w->s);
		return -EINVAL;
	}
	if (r == 0) {
		int64_t v = 0;
		bool fits = neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX;
		if (fits)
			v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
		if (fits && v >= min && v <= max) {
			*out = v;
			return 0;
		}
	}
	dsl_error(st, w->loc, "%s is out of range [%lld, %lld]", w->s, (long long)min, (long long)max);
	return -ERANGE;
}

static void warn_leading_zero(struct dsl_state *st, const struct dsl_word *w)
{
	const char *p = w->s + (w->s[0] == '-');
	if (p[0] == '0' && isdigit((unsigned char)p[1]))
		mvm_diag_warning(st->d, w->loc.file, w->loc.line, w->loc.col,
				 "'%s' is the decimal number %s; write 0o%s for octal", w->s, p, p + 1);
}

/* ---- top level ---- */

void dsl_schema(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *num)
{
	int64_t v;
	st->s->at[MVM_AT_SCHEMA] = kw->loc;
	if (number(st, num, 1, 1000, &v))
		return;
	if (v != 1) {
		dsl_error(st, num->loc, "schema version %lld is newer than this mvmc understands (1)", (long long)v);
		return;
	}
	st->s->schema = 1;
}

void dsl_include(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *path)
{
	(void)kw;
	if (!nonempty(st, path, "include"))
		return;
	struct mvm_sym s = sym_of(path);
	dsl_push(st, &st->includes, &s, sizeof(s));
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

void dsl_const(struct dsl_state *st, const struct dsl_word *name, const struct mvm_value *value)
{
	if (!c_identifier(name->s)) {
		dsl_error(st, name->loc, "constant name '%s' must be a C identifier ([A-Za-z_][A-Za-z0-9_]*)", name->s);
		return;
	}
	const struct mvm_spec_const *c = st->consts.v;
	for (size_t i = 0; i < st->consts.n; i++) {
		if (strcmp(c[i].name.name, name->s) == 0) {
			dsl_error(st, name->loc, "constant '%s' redefined", name->s);
			mvm_diag_note(st->d, c[i].name.loc.file, c[i].name.loc.line, c[i].name.loc.col,
				      "'%s' was first defined here", name->s);
			return;
		}
	}
	struct mvm_spec_const nc = { sym_of(name), *value };
	dsl_push(st, &st->consts, &nc, sizeof(nc));
}

void dsl_group(struct dsl_state *st, const struct dsl_word *name, const struct dsl_vec *members)
{
	const char *bare = name->s + 1; /* the lexer keeps the '@' */
	const struct mvm_spec_group *g = st->groups.v;
	for (size_t i = 0; i < st->groups.n; i++) {
		if (strcmp(g[i].name.name, bare) == 0) {
			dsl_error(st, name->loc, "group '%s' redefined", name->s);
			mvm_diag_note(st->d, g[i].name.loc.file, g[i].name.loc.line, g[i].name.loc.col,
				      "'%s' was first defined here", name->s);
			return;
		}
	}
	struct mvm_spec_group ng = { { bare, name->loc }, 0, NULL };
	ng.nsys = members->n;
	ng.sys = mvm_arena_array(st->a, members->n, sizeof(*ng.sys));
	if (!ng.sys) {
		st->oom = true;
		return;
	}
	const struct dsl_word *w = members->v;
	for (size_t i = 0; i < members->n; i++)
		ng.sys[i] = sym_of(&w[i]);
	dsl_push(st, &st->groups, &ng, sizeof(ng));
}

/* ---- profile header ---- */

void dsl_profile(struct dsl_state *st, const struct dsl_word *kw)
{
	st->s->at[MVM_AT_PROFILE] = kw->loc;
}

void dsl_close(struct dsl_state *st, enum mvm_spec_at which, int line, int col)
{
	st->s->at[which] = dsl_loc(st, line, col);
}

void dsl_profile_name(struct dsl_state *st, const struct dsl_word *name)
{
	const char *p = name->s;
	size_t len = strlen(p);
	if (len == 0 || len > 64) {
		dsl_error(st, name->loc, "profile name: %s", len ? "longer than 64 bytes" : "must not be empty");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (!(islower(ch) || isdigit(ch) || (i > 0 && (ch == '-' || ch == '_' || ch == '.')))) {
			dsl_error(st, name->loc, "profile name '%s' must match [a-z0-9][a-z0-9._-]*", p);
			return;
		}
	}
	st->s->name = sym_of(name);
}

void dsl_extends(struct dsl_state *st, const struct dsl_word *target)
{
	if (nonempty(st, target, "extends"))
		st->s->extends = sym_of(target);
}

void dsl_intent(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *name)
{
	if (st->s->intent.name) {
		dsl_error(st, kw->loc, "duplicate 'intent' (first at line %d)", st->s->intent.loc.line);
		return;
	}
	if (nonempty(st, name, "intent"))
		st->s->intent = sym_of(name);
}

unsigned dsl_arch_mask(struct dsl_state *st, const struct dsl_vec *names, const char *what)
{
	static const char *const arches[] = { "x86_64", "aarch64", NULL };
	unsigned mask = 0;
	const struct dsl_word *w = names->v;
	for (size_t i = 0; i < names->n; i++) {
		const struct mvm_arch *ar = mvm_arch_by_name(w[i].s);
		if (!ar) {
			choose(st, &w[i], "architecture", arches);
			continue;
		}
		if (mask & (1u << ar->id))
			dsl_error(st, w[i].loc, "%s: '%s' listed twice", what, w[i].s);
		mask |= 1u << ar->id;
	}
	return mask;
}

void dsl_arch(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *names)
{
	if (!once(st, &st->s->arch_loc, kw))
		return;
	st->s->arch_mask = dsl_arch_mask(st, names, "arch");
}

/* ---- seccomp ---- */

void dsl_seccomp(struct dsl_state *st, const struct dsl_word *kw, const struct mvm_spec_action *def)
{
	if (!once(st, &st->s->at[MVM_AT_SECCOMP], kw) || !def)
		return;
	st->s->has_default = true;
	st->s->default_action = *def;
}

/* The action is spelled back into its YAML text and read by the one action parser both front
 * ends share, so `errno(38)`, `enosys` and `errno(ENOSYS)` mean here what they mean there. */
void dsl_action(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *arg,
		struct mvm_spec_action *out)
{
	memset(out, 0, sizeof(*out));
	out->loc = kw->loc;
	char text[MVM_DSL_MAX_WORD + 16];
	snprintf(text, sizeof(text), arg ? "%s(%s)" : "%s", kw->s, arg ? arg->s : "");
	const char *err = NULL;
	int r = mvm_parse_action(st->a, text, out, &err);
	if (r == -ENOMEM)
		st->oom = true;
	else if (r)
		dsl_error(st, arg ? arg->loc : kw->loc, "'%s': %s", text, err);
	out->loc = kw->loc;
}

void dsl_rule(struct dsl_state *st, const struct mvm_spec_action *act, const struct dsl_vec *sys,
	      const struct dsl_vec *conds, unsigned arch_mask, const struct dsl_word *why)
{
	struct mvm_spec_rule r = { 0 };
	r.action = *act;
	r.loc = act->loc;
	r.nsys = sys->n;
	r.sys = mvm_arena_array(st->a, sys->n, sizeof(*r.sys));
	if (!r.sys) {
		st->oom = true;
		return;
	}
	const struct dsl_word *w = sys->v;
	for (size_t i = 0; i < sys->n; i++)
		r.sys[i] = sym_of(&w[i]);
	if (conds->n > MVM_MAX_ARGS) {
		const struct mvm_spec_cond *c = conds->v;
		dsl_error(st, c[MVM_MAX_ARGS].loc, "more than %d conditions in one rule", MVM_MAX_ARGS);
	}
	r.ncond = conds->n;
	r.cond = conds->v;
	r.arch_mask = arch_mask;
	if (why->s && nonempty(st, why, "because"))
		r.why = why->s;
	dsl_push(st, &st->rules, &r, sizeof(r));
}

void dsl_cond(struct dsl_state *st, struct mvm_spec_cond *out, const struct dsl_word *arg, int op,
	      const struct mvm_value *mask, const struct dsl_vec *values)
{
	memset(out, 0, sizeof(*out));
	out->arg = sym_of(arg);
	out->loc = arg->loc;
	out->op = (enum mvm_spec_op)op;
	if (mask) {
		out->has_mask = true;
		out->mask = *mask;
	}
	if (values->n > MAX_IN_VALUES) {
		const struct mvm_value *v = values->v;
		dsl_error(st, v[MAX_IN_VALUES].loc, "in: more than %d values", MAX_IN_VALUES);
	}
	out->nvalue = values->n;
	out->value = values->v;
}

/* Terms stay text, as in YAML: the resolver reads numbers and looks names up per arch. */
void dsl_value_term(struct dsl_state *st, struct mvm_value *v, const struct dsl_term *t)
{
	if (t->kind == DSL_TERM_NUMBER) {
		int64_t ignored;
		bool neg;
		uint64_t mag;
		int r = mvm_parse_int(t->w.s, &neg, &mag);
		if (r == -ERANGE)
			dsl_error(st, t->w.loc, "value '%s' does not fit in 64 bits", t->w.s);
		else if (r)
			number(st, &t->w, INT64_MIN, INT64_MAX, &ignored); /* reports the bad number */
		else
			warn_leading_zero(st, &t->w);
	}
	struct mvm_sym *nt = mvm_arena_array(st->a, v->nterm + 1, sizeof(*nt));
	if (!nt) {
		st->oom = true;
		return;
	}
	if (v->nterm)
		memcpy(nt, v->term, v->nterm * sizeof(*nt));
	nt[v->nterm++] = sym_of(&t->w);
	v->term = nt;
	if (v->nterm == 1)
		v->loc = t->w.loc;
}

/* ---- egress ---- */

void dsl_egress(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *def)
{
	struct mvm_egress *eg = &st->s->egress;
	if (eg->present) {
		dsl_error(st, kw->loc, "duplicate 'egress' (first at line %d)", eg->loc.line);
		return;
	}
	eg->present = true;
	eg->loc = kw->loc;
	st->s->at[MVM_AT_NETWORK] = kw->loc;
	if (def && strcmp(def->s, "deny") != 0)
		dsl_error(st, def->loc, "egress default: only 'deny' is supported (allow destinations explicitly)");
}

static bool is_ip(const char *s)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

void dsl_resolver(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *addr)
{
	if (!once(st, &st->s->at[MVM_AT_RESOLVER], kw))
		return;
	if (!is_ip(addr->s)) {
		dsl_error(st, addr->loc, "resolver: '%s' is not an IP address", addr->s);
		return;
	}
	st->s->egress.resolver = addr->s;
}

static int parse_port(struct dsl_state *st, const struct dsl_word *w, struct mvm_port_range *out)
{
	const char *dash = strchr(w->s, '-');
	bool neg;
	uint64_t lo, hi;
	if (dash) {
		char buf[32];
		size_t l = (size_t)(dash - w->s);
		if (l == 0 || l >= sizeof(buf))
			goto bad_range;
		memcpy(buf, w->s, l);
		buf[l] = 0;
		if (mvm_parse_int(buf, &neg, &lo) || neg || mvm_parse_int(dash + 1, &neg, &hi) || neg)
			goto bad_range;
	} else {
		if (mvm_parse_int(w->s, &neg, &lo) || neg) {
			dsl_error(st, w->loc, "port: '%s' is not a port number", w->s);
			return -EINVAL;
		}
		hi = lo;
	}
	if (lo < 1 || hi > 65535 || lo > hi) {
		dsl_error(st, w->loc, "port: '%s' is out of range 1..65535", w->s);
		return -EINVAL;
	}
	*out = (struct mvm_port_range){ (uint16_t)lo, (uint16_t)hi };
	return 0;
bad_range:
	dsl_error(st, w->loc, "port: bad range '%s' (expected LO-HI)", w->s);
	return -EINVAL;
}

void dsl_egress_rule(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *proto,
		     const struct dsl_word *dest, const struct dsl_vec *ports)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", NULL };
	static const enum mvm_proto pval[] = { MVM_PROTO_TCP, MVM_PROTO_UDP, MVM_PROTO_ICMP };
	struct mvm_egress_rule r = { 0 };
	r.loc = kw->loc;
	int p = choose(st, proto, "protocol", protos);
	if (p < 0)
		return;
	r.proto = pval[p];
	/* An address or a CIDR is a cidr rule; anything else must be a DNS name. */
	char addr[64];
	const char *slash = strchr(dest->s, '/');
	size_t alen = slash ? (size_t)(slash - dest->s) : strlen(dest->s);
	if (alen < sizeof(addr)) {
		memcpy(addr, dest->s, alen);
		addr[alen] = 0;
	}
	if (alen < sizeof(addr) && (is_ip(addr) || slash)) {
		char why[160];
		if (mvm_parse_cidr(dest->s, &r, why, sizeof(why))) {
			dsl_error(st, dest->loc, "%s", why);
			return;
		}
	} else if (!mvm_valid_hostname(dest->s)) {
		dsl_error(st, dest->loc, "'%s' is neither an IP address, a CIDR nor a valid DNS name", dest->s);
		return;
	} else {
		r.host = dest->s;
	}
	if (r.proto == MVM_PROTO_ICMP && ports->n) {
		const struct dsl_word *w = ports->v;
		dsl_error(st, w[0].loc, "port: icmp has no ports");
		return;
	}
	if (r.proto != MVM_PROTO_ICMP && !ports->n) {
		dsl_error(st, dest->loc, "%s rules name their ports: 'allow %s %s port N;'", proto->s, proto->s, dest->s);
		return;
	}
	if (ports->n > MAX_PORTS) {
		const struct dsl_word *w = ports->v;
		dsl_error(st, w[MAX_PORTS].loc, "port: more than %d ports or ranges", MAX_PORTS);
		return;
	}
	r.nport = ports->n;
	r.port = mvm_arena_array(st->a, ports->n ? ports->n : 1, sizeof(*r.port));
	if (!r.port) {
		st->oom = true;
		return;
	}
	const struct dsl_word *w = ports->v;
	for (size_t i = 0; i < ports->n; i++)
		if (parse_port(st, &w[i], &r.port[i]))
			return;
	if (st->egress.n == MAX_EGRESS_RULES) {
		dsl_error(st, kw->loc, "egress: more than %d rules", MAX_EGRESS_RULES);
		return;
	}
	dsl_push(st, &st->egress, &r, sizeof(r));
}

/* ---- filesystem, process ---- */

void dsl_filesystem(struct dsl_state *st, const struct dsl_word *kw)
{
	once(st, &st->s->at[MVM_AT_FILESYSTEM], kw);
}

static int ro_rw(struct dsl_state *st, const struct dsl_word *w, const char *what)
{
	static const char *const modes[] = { "ro", "rw", NULL };
	return choose(st, w, what, modes);
}

void dsl_root(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *mode)
{
	if (!once(st, &st->s->at[MVM_AT_ROOT], kw))
		return;
	int m = ro_rw(st, mode, "root mode");
	if (m >= 0)
		st->s->fs.root_writable = m == 1;
}

static bool abs_path(struct dsl_state *st, const struct dsl_word *w, const char *what)
{
	if (!nonempty(st, w, what))
		return false;
	if (w->s[0] != '/') {
		dsl_error(st, w->loc, "%s: '%s' must be an absolute path", what, w->s);
		return false;
	}
	for (const char *p = w->s; *p; p++) {
		if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == 0)) {
			dsl_error(st, w->loc, "%s: '%s' must not contain '..'", what, w->s);
			return false;
		}
	}
	return true;
}

void dsl_rootfs(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *path)
{
	if (once(st, &st->s->at[MVM_AT_ROOTFS], kw) && abs_path(st, path, "rootfs"))
		st->s->fs.rootfs = path->s;
}

void dsl_share(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *host,
	       const struct dsl_word *guest, const struct dsl_word *mode)
{
	struct mvm_share sh = { 0 };
	sh.loc = kw->loc;
	if (!abs_path(st, host, "share host") || !abs_path(st, guest, "share guest"))
		return;
	sh.host = host->s;
	sh.guest = guest->s;
	if (mode->s) {
		int m = ro_rw(st, mode, "share mode");
		if (m < 0)
			return;
		sh.writable = m == 1;
	}
	if (st->shares.n == MAX_SHARES) {
		dsl_error(st, kw->loc, "filesystem: more than %d shares", MAX_SHARES);
		return;
	}
	dsl_push(st, &st->shares, &sh, sizeof(sh));
}

void dsl_process(struct dsl_state *st, const struct dsl_word *kw)
{
	once(st, &st->s->at[MVM_AT_PROCESS], kw);
}

void dsl_id(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *num)
{
	bool uid = strcmp(kw->s, "uid") == 0;
	if (!once(st, &st->s->at[uid ? MVM_AT_UID : MVM_AT_GID], kw))
		return;
	int64_t v;
	/* 4294967295 is (uid_t)-1, which the kernel treats as "no change". */
	if (number(st, num, 0, 4294967294LL, &v))
		return;
	if (uid) {
		st->s->proc.uid = (uint32_t)v;
		st->s->has_uid = true;
	} else {
		st->s->proc.gid = (uint32_t)v;
		st->s->has_gid = true;
	}
}

void dsl_caps(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *names)
{
	if (st->caps.n) {
		const struct mvm_sym *first = st->caps.v;
		dsl_error(st, kw->loc, "duplicate 'capabilities' (first at line %d)", first[0].loc.line);
		return;
	}
	const struct dsl_word *w = names->v;
	for (size_t i = 0; i < names->n; i++) {
		if (!nonempty(st, &w[i], "capability"))
			continue;
		struct mvm_sym s = sym_of(&w[i]);
		dsl_push(st, &st->caps, &s, sizeof(s));
	}
}

/* ---- one-line sections ---- */

void dsl_secrets(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *mode)
{
	static const char *const modes[] = { "none", "plan-bound", "attestation-bound", NULL };
	static const enum mvm_secret_release val[] = { MVM_SECRETS_NONE, MVM_SECRETS_PLAN_BOUND,
						       MVM_SECRETS_ATTESTATION_BOUND };
	if (st->s->has_secrets) {
		dsl_error(st, kw->loc, "duplicate 'secrets' (first at line %d)", st->s->secrets_loc.line);
		return;
	}
	int m = choose(st, mode, "secret release", modes);
	if (m < 0)
		return;
	st->s->secrets = val[m];
	st->s->has_secrets = true;
	st->s->secrets_loc = mode->loc;
	st->s->at[MVM_AT_SECRETS] = kw->loc;
}

void dsl_tools(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *names)
{
	if (!once(st, &st->s->at[MVM_AT_TOOLS], kw))
		return;
	const struct dsl_word *w = names->v;
	for (size_t i = 0; i < names->n; i++)
		if (nonempty(st, &w[i], "tool"))
			dsl_push(st, &st->tools, &w[i].s, sizeof(w[i].s));
}

void dsl_labels(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *pairs)
{
	if (!once(st, &st->s->at[MVM_AT_AUDIT], kw))
		return;
	const struct dsl_word *w = pairs->v;
	for (size_t i = 0; i + 1 < pairs->n; i += 2) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j += 2)
			dup = strcmp(w[j].s, w[i].s) == 0;
		if (dup) {
			dsl_error(st, w[i].loc, "duplicate label '%s'", w[i].s);
			continue;
		}
		if (!nonempty(st, &w[i + 1], "label value"))
			continue;
		struct mvm_label l = { w[i].s, w[i + 1].s };
		dsl_push(st, &st->labels, &l, sizeof(l));
	}
}

void dsl_admission(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *dur)
{
	if (!once(st, &st->s->at[MVM_AT_ADMISSION], kw))
		return;
	if (mvm_parse_duration(dur->s, &st->s->valid_for_s))
		dsl_error(st, dur->loc, "valid-for: '%s' (expected N followed by s, m, h or d; at most 366d)", dur->s);
}

/* ---- the whole file ---- */

int dsl_finish(struct dsl_state *st)
{
	struct mvm_spec *s = st->s;
	if (!s->at[MVM_AT_SCHEMA].line)
		dsl_error(st, dsl_loc(st, 1, 1), "missing 'mvm 1;' (the schema version) at the start of the file");
	s->nrule = st->rules.n;
	s->rule = st->rules.v;
	s->ninclude = st->includes.n;
	s->include = st->includes.v;
	s->nconst = st->consts.n;
	s->constant = st->consts.v;
	s->ngroup = st->groups.n;
	s->group = st->groups.v;
	s->egress.nrule = st->egress.n;
	s->egress.rule = st->egress.v;
	s->fs.nshare = st->shares.n;
	s->fs.share = st->shares.v;
	s->ncap = st->caps.n;
	s->cap = st->caps.v;
	s->ntool = st->tools.n;
	s->tool = st->tools.v;
	s->nlabel = st->labels.n;
	s->label = st->labels.v;
	if (s->egress.nrule && !s->egress.resolver) {
		for (size_t i = 0; i < s->egress.nrule; i++) {
			if (s->egress.rule[i].host) {
				dsl_error(st, s->egress.rule[i].loc, "egress rule names a host but egress has no 'resolver'");
				break;
			}
		}
	}
	if (st->oom)
		return -ENOMEM;
	return st->failed ? -EINVAL : 0;
}

/* Input bounds and encoding are checked before any token is read. */
static int check_text(struct dsl_state *st, const char *text, size_t len)
{
	if (len > MVM_DSL_MAX_BYTES) {
		mvm_diag_error(st->d, st->file, 0, 0, "file is larger than %u bytes", MVM_DSL_MAX_BYTES);
		return -EINVAL;
	}
	int line = 1, col = 1;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = k != 0 && i + k <= len;
		unsigned cp = k == 1 ? c : k == 2 ? c & 0x1f : k == 3 ? c & 0x0f : c & 0x07;
		for (size_t j = 1; ok && j < k; j++) {
			ok = ((unsigned char)text[i + j] >> 6) == 2;
			cp = cp << 6 | ((unsigned char)text[i + j] & 0x3f);
		}
		/* shortest form only, no surrogates, nothing past U+10FFFF: what libyaml accepts */
		static const unsigned min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		ok = ok && cp >= min_cp[k] && (cp < 0xd800 || cp > 0xdfff) && cp <= 0x10ffff;
		if (!ok || c == 0) {
			mvm_diag_error(st->d, st->file, line, col, c == 0 && ok ? "NUL byte in input" : "invalid UTF-8");
			return -EINVAL;
		}
		/* what YAML refuses (outside YAML 1.1's c-printable) or reads as a line break (NEL,
		 * LS, PS) is refused here too, so that `mvmc fmt --to yaml` carries every comment over */
		bool printable = cp == '\t' || cp == '\n' || cp == '\r' || (cp >= 0x20 && cp <= 0x7e) ||
				 (cp >= 0xa0 && cp <= 0xd7ff && cp != 0x2028 && cp != 0x2029) ||
				 (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
		if (!printable) {
			mvm_diag_error(st->d, st->file, line, col, "character U+%04X is not allowed in input", cp);
			return -EINVAL;
		}
		if (cp == '\r' && (i + 1 == len || text[i + 1] != '\n')) {
			/* YAML reads a lone CR as a line break; here it would hide inside a comment */
			mvm_diag_error(st->d, st->file, line, col, "a carriage return not followed by a line feed");
			return -EINVAL;
		}
		if (c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += k;
	}
	return 0;
}

int mvm_dsl_parse(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text, size_t len,
		  struct mvm_spec **out, struct mvm_comments *comments)
{
	struct dsl_state st = { 0 };
	st.a = a;
	st.d = d;
	st.file = file;
	st.line = st.col = 1;
	st.keep_comments = comments != NULL;
	if (check_text(&st, text, len))
		return -EINVAL;
	st.s = mvm_arena_alloc(a, sizeof(*st.s));
	if (!st.s)
		return -ENOMEM;
	st.s->file = file;
	st.s->proc.uid = st.s->proc.gid = 65534;
	int r = dsl_scan_and_parse(&st, text, len);
	if (r)
		return r;
	r = dsl_finish(&st);
	if (comments) {
		comments->n = st.comments.n;
		comments->v = st.comments.v;
	}
	if (r)
		return r;
	*out = st.s;
	return 0;
}

int mvm_dsl_load_spec(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text, size_t len,
		      struct mvm_spec **out)
{
	return mvm_dsl_parse(a, d, file, text, len, out, NULL);
}

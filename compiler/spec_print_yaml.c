/* A spec as canonical YAML (docs/profile.md): the keys in the documented order, two-space
 * indentation, rules in the short form when they have nothing but an action and syscalls,
 * conditions, egress rules and shares as one flow mapping per line, scalars plain where YAML
 * reads them back unchanged and double-quoted otherwise. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "spec_print_writer.h"

static bool plain_ok(const char *s, bool flow)
{
	static const char *const special[] = { "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~", NULL };
	if (!*s)
		return false;
	for (const char *const *p = special; *p; p++)
		if (strcasecmp(s, *p) == 0)
			return false;
	unsigned char c0 = (unsigned char)s[0];
	if (!(isalnum(c0) || c0 == '_' || c0 == '/' || c0 == '.' || (c0 == '-' && isdigit((unsigned char)s[1]))))
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '(' || c == ')' || c == '|' || c == '+')
			continue;
		if (c == ':' && !flow && p[1] && p[1] != ' ')
			continue;
		return false;
	}
	return true;
}

static void dquote(struct mvm_buf *b, const char *s)
{
	mvm_buf_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': mvm_buf_puts(b, "\\\""); break;
		case '\\': mvm_buf_puts(b, "\\\\"); break;
		case '\n': mvm_buf_puts(b, "\\n"); break;
		case '\t': mvm_buf_puts(b, "\\t"); break;
		case '\r': mvm_buf_puts(b, "\\r"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				mvm_buf_printf(b, "\\x%02x", *p);
			} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
				/* C1 controls (NEL among them, a line break in YAML): escaped by code point */
				mvm_buf_printf(b, "\\x%02x", p[1]);
				p++;
			} else if ((p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) ||
				   (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))) {
				/* LS and PS (line breaks in YAML), U+FFFE and U+FFFF (not printable) */
				mvm_buf_printf(b, "\\u%04X", (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f));
				p += 2;
			} else {
				mvm_buf_put(b, p, 1);
			}
		}
	}
	mvm_buf_put(b, "\"", 1);
}

static void scalar(struct mvm_buf *b, const char *s, bool flow)
{
	if (plain_ok(s, flow))
		mvm_buf_puts(b, s);
	else
		dquote(b, s);
}

/* A value NAME|NAME|literal as one scalar. */
static void value(struct pw *w, struct mvm_buf *b, const struct mvm_value *v, bool flow)
{
	struct mvm_buf joined = { 0 };
	for (size_t i = 0; i < v->nterm; i++) {
		pw_anchor(w, v->term[i].loc);
		if (i)
			mvm_buf_put(&joined, "|", 1);
		mvm_buf_puts(&joined, v->term[i].name);
	}
	scalar(b, joined.data ? joined.data : "", flow);
	if (joined.oom)
		w->oom = true;
	mvm_buf_free(&joined);
}

/* "KEY: [a, b, c]" with the items aligned after '[' when the list wraps. */
static void list_begin(struct pw *w, const char *key)
{
	pw_put(w, key);
	pw_put(w, ": [");
	pw_set_cont(w, pw_col(w));
}

static void list_item(struct pw *w, size_t i, size_t n, const char *text)
{
	struct mvm_buf *b = pw_scratch(w);
	mvm_buf_puts(b, text);
	mvm_buf_puts(b, i + 1 < n ? "," : "]");
	pw_piece(w, i ? " " : "", b->data, i > 0);
}

static void sym_list(struct pw *w, const char *key, size_t n, const struct mvm_sym *v)
{
	list_begin(w, key);
	struct mvm_buf item = { 0 };
	for (size_t i = 0; i < n; i++) {
		pw_anchor(w, v[i].loc);
		item.len = 0;
		scalar(&item, v[i].name, true);
		list_item(w, i, n, item.data);
	}
	if (item.oom)
		w->oom = true;
	mvm_buf_free(&item);
}

static void arch_list(struct pw *w, const char *key, unsigned mask)
{
	struct mvm_sym v[MVM_ARCH_COUNT];
	size_t n = 0;
	for (int a = 0; a < MVM_ARCH_COUNT; a++)
		if (mask & (1u << a))
			v[n++] = (struct mvm_sym){ mvm_arch_by_id((enum mvm_arch_id)a)->name, { NULL, 0, 0 } };
	sym_list(w, key, n, v);
}

static void line(struct pw *w, int indent, struct mvm_loc at, const char *text)
{
	pw_begin(w, indent);
	pw_anchor(w, at);
	pw_put(w, text);
	pw_end(w);
}

static void header(struct pw *w, int indent, struct mvm_loc at, const char *text)
{
	line(w, indent, at, text);
	pw_block(w);
}

static void action(struct mvm_buf *b, const struct mvm_spec_action *a)
{
	char buf[32];
	if (a->act.kind == MVM_ACT_ERRNO && a->errno_name) {
		struct mvm_buf t = { 0 };
		mvm_buf_printf(&t, "errno(%s)", a->errno_name);
		scalar(b, t.data ? t.data : "", false);
		mvm_buf_free(&t);
		return;
	}
	mvm_buf_puts(b, mvm_action_name(a->act, buf, sizeof(buf)));
}

static void cond(struct pw *w, const struct mvm_spec_cond *c)
{
	static const char *const ops[] = { "eq", "ne", "lt", "le", "gt", "ge", "in" };
	pw_begin(w, 8);
	pw_anchor(w, c->loc);
	pw_anchor(w, c->arg.loc);
	struct mvm_buf piece = { 0 };
	mvm_buf_puts(&piece, "- {arg: ");
	scalar(&piece, c->arg.name, true);
	mvm_buf_puts(&piece, ",");
	pw_put(w, piece.data);
	if (c->has_mask) {
		piece.len = 0;
		mvm_buf_puts(&piece, "mask: ");
		value(w, &piece, &c->mask, true);
		mvm_buf_puts(&piece, ",");
		pw_piece(w, " ", piece.data, true);
	}
	piece.len = 0;
	mvm_buf_printf(&piece, "%s: ", ops[c->op]);
	if (c->op != SOP_IN) {
		value(w, &piece, &c->value[0], true);
		mvm_buf_puts(&piece, "}");
		pw_piece(w, " ", piece.data, true);
	} else {
		mvm_buf_puts(&piece, "[");
		pw_piece(w, " ", piece.data, true);
		pw_set_cont(w, pw_col(w));
		for (size_t i = 0; i < c->nvalue; i++) {
			piece.len = 0;
			value(w, &piece, &c->value[i], true);
			mvm_buf_puts(&piece, i + 1 < c->nvalue ? "," : "]}");
			pw_piece(w, i ? " " : "", piece.data, i > 0);
		}
	}
	if (piece.oom)
		w->oom = true;
	mvm_buf_free(&piece);
	pw_end(w);
}

static void rule(struct pw *w, const struct mvm_spec_rule *r)
{
	struct mvm_buf *b;
	pw_begin(w, 4);
	pw_anchor(w, r->loc);
	pw_anchor(w, r->action.loc);
	b = pw_scratch(w);
	mvm_buf_puts(b, "- ");
	if (!r->ncond && !r->arch_mask && !r->why) {
		action(b, &r->action);
		pw_put(w, b->data);
		sym_list(w, "", r->nsys, r->sys);
		pw_end(w);
		return;
	}
	mvm_buf_puts(b, "action: ");
	action(b, &r->action);
	pw_put(w, b->data);
	pw_end(w);
	pw_begin(w, 6);
	sym_list(w, "syscalls", r->nsys, r->sys);
	pw_end(w);
	if (r->ncond) {
		line(w, 6, (struct mvm_loc){ 0 }, "when:");
		for (size_t i = 0; i < r->ncond; i++)
			cond(w, &r->cond[i]);
	}
	if (r->arch_mask) {
		pw_begin(w, 6);
		arch_list(w, "arch", r->arch_mask);
		pw_end(w);
	}
	if (r->why) {
		pw_begin(w, 6);
		b = pw_scratch(w);
		mvm_buf_puts(b, "why: ");
		dquote(b, r->why); /* always quoted: it is prose */
		pw_put(w, b->data);
		pw_end(w);
	}
}

static void seccomp(struct pw *w, const struct mvm_spec *s)
{
	if (!s->has_default && !s->nrule) {
		line(w, 0, s->at[MVM_AT_SECCOMP], "seccomp: {}");
		return;
	}
	header(w, 0, s->at[MVM_AT_SECCOMP], "seccomp:");
	if (s->has_default) {
		pw_begin(w, 2);
		pw_anchor(w, s->default_action.loc);
		struct mvm_buf *b = pw_scratch(w);
		mvm_buf_puts(b, "default: ");
		action(b, &s->default_action);
		pw_put(w, b->data);
		pw_end(w);
	}
	if (s->nrule) {
		header(w, 2, (struct mvm_loc){ 0 }, "rules:");
		for (size_t i = 0; i < s->nrule; i++)
			rule(w, &s->rule[i]);
	}
}

static void network(struct pw *w, const struct mvm_spec *s)
{
	const struct mvm_egress *e = &s->egress;
	header(w, 0, s->at[MVM_AT_NETWORK], "network:");
	header(w, 2, (struct mvm_loc){ 0 }, "egress:");
	line(w, 4, e->loc, "default: deny");
	struct mvm_buf *b;
	if (e->resolver) {
		pw_begin(w, 4);
		pw_anchor(w, s->at[MVM_AT_RESOLVER]);
		b = pw_scratch(w);
		mvm_buf_puts(b, "resolver: ");
		scalar(b, e->resolver, false);
		pw_put(w, b->data);
		pw_end(w);
	}
	if (!e->nrule)
		return;
	header(w, 4, (struct mvm_loc){ 0 }, "allow:");
	static const char *const proto[] = { "tcp", "tcp", "udp", "icmp" };
	for (size_t i = 0; i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		pw_begin(w, 6);
		pw_anchor(w, r->loc);
		b = pw_scratch(w);
		if (r->host) {
			mvm_buf_puts(b, "- {host: ");
			scalar(b, r->host, true);
		} else {
			char addr[80];
			pw_cidr(addr, sizeof(addr), r);
			mvm_buf_puts(b, "- {cidr: ");
			scalar(b, addr, true);
		}
		mvm_buf_printf(b, ", proto: %s%s", proto[r->proto], r->nport ? "," : "}");
		pw_put(w, b->data);
		if (r->nport) {
			pw_piece(w, " ", "ports: [", true);
			pw_set_cont(w, pw_col(w));
			for (size_t k = 0; k < r->nport; k++) {
				char p[32];
				const char *end = k + 1 < r->nport ? "," : "]}";
				if (r->port[k].lo == r->port[k].hi)
					snprintf(p, sizeof(p), "%u%s", r->port[k].lo, end);
				else
					snprintf(p, sizeof(p), "%u-%u%s", r->port[k].lo, r->port[k].hi, end);
				pw_piece(w, k ? " " : "", p, k > 0);
			}
		}
		pw_end(w);
	}
}

static void filesystem(struct pw *w, const struct mvm_spec *s)
{
	const struct mvm_filesystem *fs = &s->fs;
	bool root = s->at[MVM_AT_ROOT].line || fs->root_writable;
	if (!root && !fs->rootfs && !fs->nshare) {
		line(w, 0, s->at[MVM_AT_FILESYSTEM], "filesystem: {}");
		return;
	}
	header(w, 0, s->at[MVM_AT_FILESYSTEM], "filesystem:");
	if (root)
		line(w, 2, s->at[MVM_AT_ROOT], fs->root_writable ? "root: rw" : "root: ro");
	struct mvm_buf *b;
	if (fs->rootfs) {
		pw_begin(w, 2);
		pw_anchor(w, s->at[MVM_AT_ROOTFS]);
		b = pw_scratch(w);
		mvm_buf_puts(b, "rootfs: ");
		scalar(b, fs->rootfs, false);
		pw_put(w, b->data);
		pw_end(w);
	}
	if (!fs->nshare)
		return;
	header(w, 2, (struct mvm_loc){ 0 }, "shares:");
	for (size_t i = 0; i < fs->nshare; i++) {
		const struct mvm_share *sh = &fs->share[i];
		pw_begin(w, 4);
		pw_anchor(w, sh->loc);
		b = pw_scratch(w);
		mvm_buf_puts(b, "- {host: ");
		scalar(b, sh->host, true);
		mvm_buf_puts(b, ", guest: ");
		scalar(b, sh->guest, true);
		mvm_buf_puts(b, sh->writable ? ", mode: rw}" : ", mode: ro}");
		pw_put(w, b->data);
		pw_end(w);
	}
}

static void process(struct pw *w, const struct mvm_spec *s)
{
	if (!s->has_uid && !s->has_gid && !s->ncap) {
		line(w, 0, s->at[MVM_AT_PROCESS], "process: {}");
		return;
	}
	header(w, 0, s->at[MVM_AT_PROCESS], "process:");
	char buf[48];
	if (s->has_uid) {
		snprintf(buf, sizeof(buf), "uid: %u", s->proc.uid);
		line(w, 2, s->at[MVM_AT_UID], buf);
	}
	if (s->has_gid) {
		snprintf(buf, sizeof(buf), "gid: %u", s->proc.gid);
		line(w, 2, s->at[MVM_AT_GID], buf);
	}
	if (s->ncap) {
		pw_begin(w, 2);
		sym_list(w, "capabilities", s->ncap, s->cap);
		pw_end(w);
	}
}

int mvm_print_yaml(struct pw *w, const struct mvm_spec *s)
{
	static const char *const secrets[] = { "none", "plan-bound", "attestation-bound" };
	struct mvm_buf *b;
	line(w, 0, s->at[MVM_AT_SCHEMA], "mvm: 1");
	if (s->ninclude) {
		pw_begin(w, 0);
		sym_list(w, "include", s->ninclude, s->include);
		pw_end(w);
	}
	if (s->nconst) {
		header(w, 0, (struct mvm_loc){ 0 }, "constants:");
		for (size_t i = 0; i < s->nconst; i++) {
			pw_begin(w, 2);
			pw_anchor(w, s->constant[i].name.loc);
			b = pw_scratch(w);
			mvm_buf_puts(b, s->constant[i].name.name);
			mvm_buf_puts(b, ": ");
			value(w, b, &s->constant[i].value, false);
			pw_put(w, b->data);
			pw_end(w);
		}
	}
	if (s->ngroup) {
		header(w, 0, (struct mvm_loc){ 0 }, "groups:");
		for (size_t i = 0; i < s->ngroup; i++) {
			pw_begin(w, 2);
			pw_anchor(w, s->group[i].name.loc);
			sym_list(w, s->group[i].name.name, s->group[i].nsys, s->group[i].sys);
			pw_end(w);
		}
	}
	const struct { const char *key; const struct mvm_sym *sym; } one[] = {
		{ "name", &s->name }, { "intent", &s->intent }, { "extends", &s->extends },
	};
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		if (!one[i].sym->name)
			continue;
		pw_begin(w, 0);
		pw_anchor(w, one[i].sym->loc);
		b = pw_scratch(w);
		mvm_buf_printf(b, "%s: ", one[i].key);
		scalar(b, one[i].sym->name, false);
		pw_put(w, b->data);
		pw_end(w);
	}
	if (s->arch_mask) {
		pw_begin(w, 0);
		pw_anchor(w, s->arch_loc);
		arch_list(w, "arch", s->arch_mask);
		pw_end(w);
	}
	if (s->at[MVM_AT_SECCOMP].line || s->has_default || s->nrule)
		seccomp(w, s);
	if (s->egress.present)
		network(w, s);
	if (s->at[MVM_AT_FILESYSTEM].line || s->fs.root_writable || s->fs.rootfs || s->fs.nshare)
		filesystem(w, s);
	if (s->at[MVM_AT_PROCESS].line || s->has_uid || s->has_gid || s->ncap)
		process(w, s);
	if (s->has_secrets) {
		header(w, 0, s->at[MVM_AT_SECRETS], "secrets:");
		b = pw_scratch(w);
		mvm_buf_printf(b, "release: %s", secrets[s->secrets]);
		line(w, 2, s->secrets_loc, b->data);
	}
	if (s->ntool) {
		header(w, 0, s->at[MVM_AT_TOOLS], "tools:");
		pw_begin(w, 2);
		list_begin(w, "allow");
		struct mvm_buf item = { 0 };
		for (size_t i = 0; i < s->ntool; i++) {
			item.len = 0;
			scalar(&item, s->tool[i], true);
			list_item(w, i, s->ntool, item.data);
		}
		mvm_buf_free(&item);
		pw_end(w);
	}
	if (s->nlabel) {
		header(w, 0, s->at[MVM_AT_AUDIT], "audit:");
		pw_begin(w, 2);
		pw_put(w, "labels: {");
		pw_set_cont(w, pw_col(w));
		struct mvm_buf item = { 0 };
		for (size_t i = 0; i < s->nlabel; i++) {
			item.len = 0;
			scalar(&item, s->label[i].key, true);
			mvm_buf_puts(&item, ": ");
			scalar(&item, s->label[i].value, true);
			mvm_buf_puts(&item, i + 1 < s->nlabel ? "," : "}");
			pw_piece(w, i ? " " : "", item.data, i > 0);
		}
		mvm_buf_free(&item);
		pw_end(w);
	}
	if (s->valid_for_s) {
		char d[32];
		header(w, 0, s->at[MVM_AT_ADMISSION], "admission:");
		b = pw_scratch(w);
		pw_duration(d, sizeof(d), s->valid_for_s);
		mvm_buf_printf(b, "valid-for: %s", d);
		line(w, 2, (struct mvm_loc){ 0 }, b->data);
	}
	return w->oom ? -ENOMEM : 0;
}

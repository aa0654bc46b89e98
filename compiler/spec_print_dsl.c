/* A spec as canonical DSL (docs/dsl.md): fixed section order, two-space indentation, one
 * statement per line wrapped at 100 columns, words bare where they read back as the same
 * token and quoted otherwise. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "grammar/dsl.h"
#include "spec_print_writer.h"
#include "yaml_tree.h"

/* Where a word stands decides which tokens the grammar takes there. */
enum pos {
	POS_NAME,  /* name: a name-like word, keywords included, or a string */
	POS_TEXT,  /* any word or a string (tools, label parts, hosts) */
	POS_TERM,  /* a constant name (not a keyword), a valid number, or a string */
	POS_PNAME, /* a profile name: any word but 'extends', or a string */
};

static void quote(struct mvm_buf *b, const char *s)
{
	mvm_buf_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': mvm_buf_puts(b, "\\\""); break;
		case '\\': mvm_buf_puts(b, "\\\\"); break;
		case '\n': mvm_buf_puts(b, "\\n"); break;
		case '\t': mvm_buf_puts(b, "\\t"); break;
		case '\r': mvm_buf_puts(b, "\\r"); break;
		default: {
			/* what the DSL refuses raw (grammar/dsl_build.c): C0 and C1 controls, DEL, the
			 * line breaks NEL, LS and PS, U+FFFE and U+FFFF; written as their bytes */
			size_t k = *p < 0x20 || *p == 0x7f ? 1
				   : p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f ? 2
				   : p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9) ? 3
				   : p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf) ? 3
				   : 0;
			if (!k) {
				mvm_buf_put(b, p, 1);
				break;
			}
			for (size_t i = 0; i < k; i++)
				mvm_buf_printf(b, "\\x%02x", p[i]);
			p += k - 1;
		}
		}
	}
	mvm_buf_put(b, "\"", 1);
}

static bool bare(const char *s, enum pos pos)
{
	int kind = mvm_dsl_word_kind(s);
	bool neg;
	uint64_t mag;
	switch (pos) {
	case POS_NAME: return kind == MVM_DSL_NAME;
	case POS_TEXT: return kind != MVM_DSL_NOT_A_WORD;
	case POS_TERM:
		return (kind == MVM_DSL_NAME && !mvm_dsl_is_keyword(s)) ||
		       (kind == MVM_DSL_NUMBER && mvm_parse_int(s, &neg, &mag) == 0);
	case POS_PNAME: return kind != MVM_DSL_NOT_A_WORD && strcmp(s, "extends") != 0;
	}
	return false;
}

static void word(struct mvm_buf *b, const char *s, enum pos pos)
{
	if (bare(s, pos))
		mvm_buf_puts(b, s);
	else
		quote(b, s);
}

static bool group_token(const char *s)
{
	if (s[0] != '@' || !s[1])
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      (p > s + 1 && (*p == '.' || *p == '-'))))
			return false;
	return true;
}

/* A list of names (syscalls, @groups, arches, capabilities), comma-separated and breakable. */
static void names(struct pw *w, size_t n, const struct mvm_sym *v, const char *first_sep)
{
	for (size_t i = 0; i < n; i++) {
		pw_anchor(w, v[i].loc);
		struct mvm_buf *b = pw_scratch(w);
		if (group_token(v[i].name))
			mvm_buf_puts(b, v[i].name);
		else
			word(b, v[i].name, POS_NAME);
		if (i + 1 < n)
			mvm_buf_put(b, ",", 1);
		pw_piece(w, i ? " " : first_sep, b->data, i > 0);
	}
}

/* A value: terms joined by " | "; prefix goes before the first term, suffix after the last. */
static void value(struct pw *w, const struct mvm_value *v, const char *sep, const char *prefix, const char *suffix,
		  bool breakable)
{
	for (size_t i = 0; i < v->nterm; i++) {
		pw_anchor(w, v->term[i].loc);
		struct mvm_buf *b = pw_scratch(w);
		if (i == 0)
			mvm_buf_puts(b, prefix);
		word(b, v->term[i].name, POS_TERM);
		mvm_buf_puts(b, i + 1 < v->nterm ? " |" : suffix);
		pw_piece(w, i ? " " : sep, b->data, i ? true : breakable);
	}
}

/* After an operator, a value of several terms is parenthesized (see the grammar). */
static void operand(struct pw *w, const struct mvm_value *v)
{
	bool paren = v->nterm > 1;
	value(w, v, " ", paren ? "(" : "", paren ? ")" : "", false);
}

static void arches(struct pw *w, unsigned mask, const char *first_sep)
{
	struct mvm_sym v[MVM_ARCH_COUNT];
	size_t n = 0;
	for (int a = 0; a < MVM_ARCH_COUNT; a++)
		if (mask & (1u << a))
			v[n++] = (struct mvm_sym){ mvm_arch_by_id((enum mvm_arch_id)a)->name, { NULL, 0, 0 } };
	names(w, n, v, first_sep);
}

static void action(struct mvm_buf *b, const struct mvm_spec_action *a)
{
	char buf[32];
	if (a->act.kind == MVM_ACT_ERRNO && a->errno_name) {
		mvm_buf_puts(b, "errno(");
		if (mvm_dsl_word_kind(a->errno_name) == MVM_DSL_NAME && !mvm_dsl_is_keyword(a->errno_name))
			mvm_buf_puts(b, a->errno_name);
		else
			quote(b, a->errno_name);
		mvm_buf_puts(b, ")");
		return;
	}
	mvm_buf_puts(b, mvm_action_name(a->act, buf, sizeof(buf)));
}

static void cond(struct pw *w, const struct mvm_spec_cond *c)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
	pw_anchor(w, c->loc);
	pw_anchor(w, c->arg.loc);
	struct mvm_buf *b = pw_scratch(w);
	word(b, c->arg.name, POS_NAME);
	pw_piece(w, " ", b->data, false);
	if (c->has_mask) {
		pw_piece(w, " ", "&", false);
		operand(w, &c->mask);
	}
	if (c->op != SOP_IN) {
		pw_piece(w, " ", c->has_mask ? "==" : ops[c->op], false);
		operand(w, &c->value[0]);
		return;
	}
	pw_piece(w, " ", "in", false);
	for (size_t i = 0; i < c->nvalue; i++)
		value(w, &c->value[i], " ", i == 0 ? "(" : "", i + 1 < c->nvalue ? "," : ")", i > 0);
}

static void rule(struct pw *w, const struct mvm_spec_rule *r, int indent)
{
	pw_begin(w, indent);
	pw_anchor(w, r->loc);
	pw_anchor(w, r->action.loc);
	struct mvm_buf *b = pw_scratch(w);
	action(b, &r->action);
	pw_put(w, b->data);
	names(w, r->nsys, r->sys, " ");
	for (size_t i = 0; i < r->ncond; i++) {
		pw_piece(w, " ", i ? "and" : "if", true);
		cond(w, &r->cond[i]);
	}
	if (r->arch_mask) {
		pw_piece(w, " ", "on", true);
		arches(w, r->arch_mask, " ");
	}
	if (r->why) {
		b = pw_scratch(w);
		mvm_buf_puts(b, "because ");
		quote(b, r->why);
		pw_piece(w, " ", b->data, true);
	}
	pw_put(w, ";");
	pw_end(w);
}

static void line(struct pw *w, int indent, struct mvm_loc at, const char *text)
{
	pw_begin(w, indent);
	pw_anchor(w, at);
	pw_put(w, text);
	pw_end(w);
}

static void close_block(struct pw *w, int indent, struct mvm_loc at)
{
	pw_begin_close(w, indent, indent + 2);
	pw_anchor(w, at);
	pw_put(w, "}");
	pw_end(w);
}

/* "NAME {" with its anchors, or "NAME {}" when the block is empty. */
static void open_block(struct pw *w, const char *head, bool empty)
{
	pw_put(w, head);
	pw_put(w, empty ? " {}" : " {");
	pw_end(w);
	if (!empty)
		pw_block(w);
}

static void seccomp(struct pw *w, const struct mvm_spec *s)
{
	pw_begin(w, 2);
	pw_anchor(w, s->at[MVM_AT_SECCOMP]);
	pw_put(w, "seccomp");
	if (s->has_default) {
		pw_anchor(w, s->default_action.loc);
		struct mvm_buf *b = pw_scratch(w);
		mvm_buf_puts(b, "default ");
		action(b, &s->default_action);
		pw_piece(w, " ", b->data, false);
	}
	open_block(w, "", s->nrule == 0);
	for (size_t i = 0; i < s->nrule; i++)
		rule(w, &s->rule[i], 4);
	if (s->nrule)
		close_block(w, 2, s->at[MVM_AT_SECCOMP_END]);
}

static void egress(struct pw *w, const struct mvm_spec *s)
{
	const struct mvm_egress *e = &s->egress;
	bool empty = !e->resolver && !e->nrule;
	pw_begin(w, 2);
	pw_anchor(w, s->at[MVM_AT_NETWORK]);
	pw_anchor(w, e->loc);
	open_block(w, "egress default deny", empty);
	if (e->resolver) {
		pw_begin(w, 4);
		pw_anchor(w, s->at[MVM_AT_RESOLVER]);
		pw_put(w, "resolver ");
		struct mvm_buf *b = pw_scratch(w);
		word(b, e->resolver, POS_TEXT);
		pw_put(w, b->data);
		pw_put(w, ";");
		pw_end(w);
	}
	static const char *const proto[] = { "tcp", "tcp", "udp", "icmp" };
	for (size_t i = 0; i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		pw_begin(w, 4);
		pw_anchor(w, r->loc);
		pw_put(w, "allow ");
		pw_put(w, proto[r->proto]);
		struct mvm_buf *b = pw_scratch(w);
		if (r->host) {
			word(b, r->host, POS_TEXT);
		} else {
			char addr[80];
			pw_cidr(addr, sizeof(addr), r);
			mvm_buf_puts(b, addr);
		}
		pw_piece(w, " ", b->data, false);
		if (r->nport)
			pw_piece(w, " ", "port", true);
		for (size_t k = 0; k < r->nport; k++) {
			char p[24];
			if (r->port[k].lo == r->port[k].hi)
				snprintf(p, sizeof(p), "%u%s", r->port[k].lo, k + 1 < r->nport ? "," : "");
			else
				snprintf(p, sizeof(p), "%u-%u%s", r->port[k].lo, r->port[k].hi, k + 1 < r->nport ? "," : "");
			pw_piece(w, " ", p, k > 0);
		}
		pw_put(w, ";");
		pw_end(w);
	}
	if (!empty)
		close_block(w, 2, s->at[MVM_AT_EGRESS_END]);
}

static void filesystem(struct pw *w, const struct mvm_spec *s)
{
	const struct mvm_filesystem *fs = &s->fs;
	bool root = s->at[MVM_AT_ROOT].line || fs->root_writable;
	bool empty = !root && !fs->rootfs && !fs->nshare;
	pw_begin(w, 2);
	pw_anchor(w, s->at[MVM_AT_FILESYSTEM]);
	open_block(w, "filesystem", empty);
	if (root)
		line(w, 4, s->at[MVM_AT_ROOT], fs->root_writable ? "root rw;" : "root ro;");
	if (fs->rootfs) {
		pw_begin(w, 4);
		pw_anchor(w, s->at[MVM_AT_ROOTFS]);
		struct mvm_buf *b = pw_scratch(w);
		mvm_buf_puts(b, "rootfs ");
		quote(b, fs->rootfs);
		mvm_buf_puts(b, ";");
		pw_put(w, b->data);
		pw_end(w);
	}
	for (size_t i = 0; i < fs->nshare; i++) {
		const struct mvm_share *sh = &fs->share[i];
		pw_begin(w, 4);
		pw_anchor(w, sh->loc);
		struct mvm_buf *b = pw_scratch(w);
		mvm_buf_puts(b, "share ");
		quote(b, sh->host);
		mvm_buf_puts(b, " -> ");
		quote(b, sh->guest);
		mvm_buf_puts(b, sh->writable ? " rw;" : " ro;");
		pw_put(w, b->data);
		pw_end(w);
	}
	if (!empty)
		close_block(w, 2, s->at[MVM_AT_FILESYSTEM_END]);
}

static void process(struct pw *w, const struct mvm_spec *s)
{
	bool empty = !s->has_uid && !s->has_gid && !s->ncap;
	pw_begin(w, 2);
	pw_anchor(w, s->at[MVM_AT_PROCESS]);
	open_block(w, "process", empty);
	char buf[48];
	if (s->has_uid) {
		snprintf(buf, sizeof(buf), "uid %u;", s->proc.uid);
		line(w, 4, s->at[MVM_AT_UID], buf);
	}
	if (s->has_gid) {
		snprintf(buf, sizeof(buf), "gid %u;", s->proc.gid);
		line(w, 4, s->at[MVM_AT_GID], buf);
	}
	if (s->ncap) {
		pw_begin(w, 4);
		pw_put(w, "capabilities");
		names(w, s->ncap, s->cap, " ");
		pw_put(w, ";");
		pw_end(w);
	}
	if (!empty)
		close_block(w, 2, s->at[MVM_AT_PROCESS_END]);
}

static bool has_profile(const struct mvm_spec *s)
{
	return s->at[MVM_AT_PROFILE].line || s->name.name || s->intent.name || s->extends.name || s->arch_mask ||
	       s->at[MVM_AT_SECCOMP].line || s->has_default || s->nrule || s->egress.present ||
	       s->at[MVM_AT_FILESYSTEM].line || s->fs.root_writable || s->fs.rootfs || s->fs.nshare ||
	       s->at[MVM_AT_PROCESS].line || s->has_uid || s->has_gid || s->ncap || s->has_secrets || s->ntool ||
	       s->nlabel || s->valid_for_s;
}

static bool path_like(const char *s)
{
	size_t n = strlen(s);
	return strchr(s, '/') || (n > 5 && !strcmp(s + n - 5, ".yaml")) || (n > 4 && !strcmp(s + n - 4, ".yml")) ||
	       (n > 4 && !strcmp(s + n - 4, ".mvm"));
}

static void profile_body(struct pw *w, const struct mvm_spec *s)
{
	static const char *const secrets[] = { "none", "plan-bound", "attestation-bound" };
	struct mvm_buf *b;
	if (s->intent.name) {
		pw_begin(w, 2);
		pw_anchor(w, s->intent.loc);
		b = pw_scratch(w);
		mvm_buf_puts(b, "intent ");
		word(b, s->intent.name, POS_NAME);
		mvm_buf_puts(b, ";");
		pw_put(w, b->data);
		pw_end(w);
	}
	if (s->arch_mask) {
		pw_begin(w, 2);
		pw_anchor(w, s->arch_loc);
		pw_put(w, "arch");
		arches(w, s->arch_mask, " ");
		pw_put(w, ";");
		pw_end(w);
	}
	if (s->at[MVM_AT_SECCOMP].line || s->has_default || s->nrule)
		seccomp(w, s);
	if (s->egress.present)
		egress(w, s);
	if (s->at[MVM_AT_FILESYSTEM].line || s->fs.root_writable || s->fs.rootfs || s->fs.nshare)
		filesystem(w, s);
	if (s->at[MVM_AT_PROCESS].line || s->has_uid || s->has_gid || s->ncap)
		process(w, s);
	if (s->has_secrets) {
		pw_begin(w, 2);
		pw_anchor(w, s->at[MVM_AT_SECRETS]);
		pw_anchor(w, s->secrets_loc);
		pw_put(w, "secrets release ");
		pw_put(w, secrets[s->secrets]);
		pw_put(w, ";");
		pw_end(w);
	}
	if (s->ntool) {
		pw_begin(w, 2);
		pw_anchor(w, s->at[MVM_AT_TOOLS]);
		pw_put(w, "tools allow");
		for (size_t i = 0; i < s->ntool; i++) {
			b = pw_scratch(w);
			word(b, s->tool[i], POS_TEXT);
			mvm_buf_puts(b, i + 1 < s->ntool ? "," : ";");
			pw_piece(w, " ", b->data, i > 0);
		}
		pw_end(w);
	}
	if (s->nlabel) {
		pw_begin(w, 2);
		pw_anchor(w, s->at[MVM_AT_AUDIT]);
		pw_put(w, "audit labels");
		for (size_t i = 0; i < s->nlabel; i++) {
			b = pw_scratch(w);
			word(b, s->label[i].key, POS_TEXT);
			mvm_buf_puts(b, " = ");
			quote(b, s->label[i].value);
			mvm_buf_puts(b, i + 1 < s->nlabel ? "," : ";");
			pw_piece(w, " ", b->data, i > 0);
		}
		pw_end(w);
	}
	if (s->valid_for_s) {
		char d[32], text[64];
		pw_duration(d, sizeof(d), s->valid_for_s);
		snprintf(text, sizeof(text), "admission valid-for %s;", d);
		line(w, 2, s->at[MVM_AT_ADMISSION], text);
	}
}

int mvm_print_dsl(struct pw *w, const struct mvm_spec *s)
{
	line(w, 0, s->at[MVM_AT_SCHEMA], "mvm 1;");
	struct mvm_buf *b;
	for (size_t i = 0; i < s->ninclude; i++) {
		pw_begin(w, 0);
		pw_anchor(w, s->include[i].loc);
		b = pw_scratch(w);
		mvm_buf_puts(b, "include ");
		quote(b, s->include[i].name);
		mvm_buf_puts(b, ";");
		pw_put(w, b->data);
		pw_end(w);
	}
	for (size_t i = 0; i < s->nconst; i++) {
		const struct mvm_spec_const *c = &s->constant[i];
		pw_begin(w, 0);
		pw_anchor(w, c->name.loc);
		pw_put(w, "const ");
		pw_put(w, c->name.name);
		pw_put(w, " =");
		value(w, &c->value, " ", "", ";", false);
		pw_end(w);
	}
	for (size_t i = 0; i < s->ngroup; i++) {
		const struct mvm_spec_group *g = &s->group[i];
		pw_begin(w, 0);
		pw_anchor(w, g->name.loc);
		pw_put(w, "group @");
		pw_put(w, g->name.name);
		pw_put(w, " =");
		names(w, g->nsys, g->sys, " ");
		pw_put(w, ";");
		pw_end(w);
	}
	if (has_profile(s)) {
		pw_begin(w, 0);
		pw_anchor(w, s->at[MVM_AT_PROFILE]);
		pw_put(w, "profile");
		if (s->name.name) {
			pw_anchor(w, s->name.loc);
			b = pw_scratch(w);
			word(b, s->name.name, POS_PNAME);
			pw_piece(w, " ", b->data, false);
		}
		if (s->extends.name) {
			pw_anchor(w, s->extends.loc);
			b = pw_scratch(w);
			if (!path_like(s->extends.name) && mvm_dsl_word_kind(s->extends.name) == MVM_DSL_NAME) {
				mvm_buf_puts(b, "extends tier ");
				mvm_buf_puts(b, s->extends.name);
			} else {
				mvm_buf_puts(b, "extends ");
				quote(b, s->extends.name);
			}
			pw_piece(w, " ", b->data, true);
		}
		pw_put(w, " {");
		pw_end(w);
		pw_block(w);
		profile_body(w, s);
		close_block(w, 0, s->at[MVM_AT_PROFILE_END]);
	}
	return w->oom ? -ENOMEM : 0;
}

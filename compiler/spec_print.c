/* The line writer behind both printers (see spec_print_writer.h), and mvm_spec_print. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "spec_print_writer.h"

static int utf8_chars(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static bool grow(struct pw *w, void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	void *nv = realloc(*v, ncap * size);
	if (!nv) {
		w->oom = true;
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

int pw_init(struct pw *w, struct mvm_buf *out, const struct mvm_source *src)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->src = src;
	w->collect = true;
	w->trail = -1;
	if (!src)
		return 0;
	size_t cap = 0;
	for (size_t i = 0; i <= src->len; i++) {
		if (i == 0 || src->text[i - 1] == '\n') {
			if (!grow(w, (void **)&w->line_off, &cap, w->nline + 1, sizeof(*w->line_off)))
				return -ENOMEM;
			w->line_off[w->nline++] = i;
		}
	}
	w->blank_used = calloc(w->nline + 1, sizeof(*w->blank_used));
	size_t nc = src->comments.n ? src->comments.n : 1;
	w->trailing = calloc(nc, sizeof(*w->trailing));
	w->emitted = calloc(nc, sizeof(*w->emitted));
	return w->trailing && w->emitted && w->blank_used ? 0 : -ENOMEM;
}

void pw_free(struct pw *w)
{
	free(w->line_off);
	free(w->blank_used);
	free(w->anchor);
	free(w->trailing);
	free(w->emitted);
	free(w->lead);
	free(w->hoist);
	mvm_buf_free(&w->stmt);
	mvm_buf_free(&w->scratch);
}

static bool pos_before(int l1, int c1, int l2, int c2)
{
	return l1 < l2 || (l1 == l2 && c1 < c2);
}

static int cmp_anchor(const void *x, const void *y)
{
	const struct pw_anchor *a = x, *b = y;
	return pos_before(a->line, a->col, b->line, b->col) ? -1 : pos_before(b->line, b->col, a->line, a->col);
}

int pw_attach(struct pw *w)
{
	if (w->oom)
		return -ENOMEM;
	w->collect = false;
	if (w->nanchor)
		qsort(w->anchor, w->nanchor, sizeof(*w->anchor), cmp_anchor);
	size_t n = 0;
	for (size_t i = 0; i < w->nanchor; i++)
		if (n == 0 || cmp_anchor(&w->anchor[n - 1], &w->anchor[i]) != 0)
			w->anchor[n++] = w->anchor[i];
	w->nanchor = n;
	if (!w->src)
		return 0;
	const struct mvm_comments *cs = &w->src->comments;
	size_t k = 0;
	for (size_t i = 0; i < cs->n; i++) {
		const struct mvm_comment *c = &cs->v[i];
		while (k < w->nanchor && !pos_before(c->line, c->col, w->anchor[k].line, w->anchor[k].col))
			k++;
		struct pw_anchor *to;
		if (!c->own_line && k > 0 && w->anchor[k - 1].line == c->line) {
			to = &w->anchor[k - 1];
			w->trailing[i] = true;
		} else if (k < w->nanchor) {
			to = &w->anchor[k];
		} else {
			continue; /* after the last anchor: printed at the end */
		}
		if (to->n == 0)
			to->first = i;
		to->n++;
	}
	return 0;
}

static bool blank_before(const struct pw *w, int line)
{
	if (!w->src || line < 2 || (size_t)line > w->nline)
		return false;
	size_t b = w->line_off[line - 2], e = w->line_off[line - 1];
	for (size_t i = b; i < e; i++)
		if (w->src->text[i] != ' ' && w->src->text[i] != '\t' && w->src->text[i] != '\r' && w->src->text[i] != '\n')
			return false;
	return true;
}

/* A blank source line is printed once, before the first statement or comment that follows it
 * (a line holding several anchors may give several output lines). */
static bool take_blank(struct pw *w, int line)
{
	if (!blank_before(w, line) || w->blank_used[line])
		return false;
	w->blank_used[line] = true;
	return true;
}

static void out_indent(struct mvm_buf *b, int n)
{
	for (int i = 0; i < n; i++)
		mvm_buf_put(b, " ", 1);
}

static void emit_comment(struct pw *w, size_t i, int indent)
{
	out_indent(w->out, indent);
	mvm_buf_puts(w->out, w->src->comments.v[i].text);
	mvm_buf_put(w->out, "\n", 1);
	w->emitted[i] = true;
}

void pw_begin(struct pw *w, int indent)
{
	w->stmt.len = 0;
	w->indent = indent;
	w->cont = indent + 4;
	w->line_start = 0;
	w->line_chars = indent;
	w->line_has_piece = false;
	w->trail = -1;
	w->nlead = w->nhoist = 0;
	w->first_anchor_line = 0;
	w->closing = false;
	w->comment_indent = indent;
	out_indent(&w->stmt, indent);
}

void pw_begin_close(struct pw *w, int indent, int inner)
{
	pw_begin(w, indent);
	w->closing = true;
	w->comment_indent = inner;
}

static void push_index(struct pw *w, size_t **v, size_t *n, size_t *cap, size_t i)
{
	if (grow(w, (void **)v, cap, *n + 1, sizeof(**v)))
		(*v)[(*n)++] = i;
}

void pw_anchor(struct pw *w, struct mvm_loc loc)
{
	if (loc.line <= 0)
		return;
	if (w->collect) {
		if (grow(w, (void **)&w->anchor, &w->capanchor, w->nanchor + 1, sizeof(*w->anchor)))
			w->anchor[w->nanchor++] = (struct pw_anchor){ loc.line, loc.col, 0, 0, false };
		return;
	}
	struct pw_anchor key = { loc.line, loc.col, 0, 0, false };
	struct pw_anchor *a = bsearch(&key, w->anchor, w->nanchor, sizeof(*w->anchor), cmp_anchor);
	if (!a || a->visited)
		return;
	a->visited = true;
	bool first = w->first_anchor_line == 0;
	if (first)
		w->first_anchor_line = loc.line;
	for (size_t i = a->first; i < a->first + a->n; i++) {
		if (w->trailing[i] && w->trail < 0)
			w->trail = (long)i;
		else if (w->trailing[i] || !first)
			push_index(w, &w->hoist, &w->nhoist, &w->caphoist, i);
		else
			push_index(w, &w->lead, &w->nlead, &w->caplead, i);
	}
}

void pw_put(struct pw *w, const char *text)
{
	mvm_buf_puts(&w->stmt, text);
	w->line_chars += utf8_chars(text);
	w->line_has_piece = true;
}

static void end_physical_line(struct pw *w)
{
	if (w->trail >= 0) {
		mvm_buf_puts(&w->stmt, "  ");
		mvm_buf_puts(&w->stmt, w->src->comments.v[w->trail].text);
		w->emitted[w->trail] = true;
		w->trail = -1;
	}
	mvm_buf_put(&w->stmt, "\n", 1);
}

void pw_piece(struct pw *w, const char *sep, const char *text, bool breakable)
{
	int len = utf8_chars(sep) + utf8_chars(text);
	if (breakable && w->line_has_piece && w->line_chars + len > PW_WIDTH) {
		end_physical_line(w);
		w->line_start = w->stmt.len;
		out_indent(&w->stmt, w->cont);
		w->line_chars = w->cont;
		sep = "";
	}
	mvm_buf_puts(&w->stmt, sep);
	w->line_chars += utf8_chars(sep);
	pw_put(w, text);
}

void pw_set_cont(struct pw *w, int col)
{
	w->cont = col;
}

int pw_col(const struct pw *w)
{
	return w->line_chars;
}

void pw_block(struct pw *w)
{
	w->block_start = true;
}

struct mvm_buf *pw_scratch(struct pw *w)
{
	w->scratch.len = 0;
	if (w->scratch.data)
		w->scratch.data[0] = 0;
	return &w->scratch;
}

void pw_end(struct pw *w)
{
	if (w->collect)
		return;
	end_physical_line(w);
	const struct mvm_comment *cv = w->src ? w->src->comments.v : NULL;
	int first_line = w->nlead ? cv[w->lead[0]].line : w->closing ? 0 : w->first_anchor_line;
	if (take_blank(w, first_line) && w->any_output && !w->block_start)
		mvm_buf_put(w->out, "\n", 1);
	for (size_t j = 0; j < w->nlead; j++) {
		if (j > 0 && take_blank(w, cv[w->lead[j]].line))
			mvm_buf_put(w->out, "\n", 1);
		emit_comment(w, w->lead[j], w->comment_indent);
	}
	if (w->nlead && !w->closing && take_blank(w, w->first_anchor_line))
		mvm_buf_put(w->out, "\n", 1);
	for (size_t j = 0; j < w->nhoist; j++)
		emit_comment(w, w->hoist[j], w->comment_indent);
	mvm_buf_put(w->out, w->stmt.data, w->stmt.len);
	w->any_output = true;
	w->block_start = false;
}

void pw_finish(struct pw *w)
{
	if (!w->src)
		return;
	for (size_t i = 0; i < w->src->comments.n; i++) {
		if (w->emitted[i])
			continue;
		if (take_blank(w, w->src->comments.v[i].line) && w->any_output)
			mvm_buf_put(w->out, "\n", 1);
		emit_comment(w, i, 0);
		w->any_output = true;
	}
}

int mvm_spec_print(const struct mvm_spec *s, enum mvm_syntax to, const struct mvm_source *src, struct mvm_buf *out)
{
	struct pw w;
	int r = pw_init(&w, out, src);
	if (!r) {
		struct mvm_buf discard = { 0 };
		w.out = &discard;
		r = to == MVM_SYNTAX_DSL ? mvm_print_dsl(&w, s) : mvm_print_yaml(&w, s);
		mvm_buf_free(&discard);
		w.out = out;
	}
	if (!r)
		r = pw_attach(&w);
	if (!r) {
		r = to == MVM_SYNTAX_DSL ? mvm_print_dsl(&w, s) : mvm_print_yaml(&w, s);
		pw_finish(&w);
	}
	if (!r && (w.oom || w.stmt.oom || w.scratch.oom || out->oom))
		r = -ENOMEM;
	pw_free(&w);
	return r;
}

void pw_duration(char *buf, size_t len, uint64_t seconds)
{
	static const struct { uint64_t unit; char c; } units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (seconds % units[i].unit == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(seconds / units[i].unit), units[i].c);
			return;
		}
	}
}

void pw_cidr(char *buf, size_t len, const struct mvm_egress_rule *r)
{
	char addr[INET6_ADDRSTRLEN];
	int max = r->family == AF_INET ? 32 : 128;
	if (!inet_ntop(r->family, r->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	if (r->prefix == max)
		snprintf(buf, len, "%s", addr);
	else
		snprintf(buf, len, "%s/%u", addr, r->prefix);
}

/* The comments of a YAML profile, for `mvmc fmt`. libyaml drops comments, but its scanner
 * tells where every scalar starts and ends; a '#' outside all of them that starts a comment
 * (at a line start or after a blank) begins one. */
#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "spec_print.h"

struct span {
	int line0, col0, line1, col1; /* 0-based, end exclusive */
};

static bool before(int l1, int c1, int l2, int c2)
{
	return l1 < l2 || (l1 == l2 && c1 < c2);
}

/* The scalar spans in source order. The text was already parsed by the front end, so a scan
 * error here cannot happen for a loaded spec; it is reported as -EINVAL all the same. */
static int scalar_spans(struct mvm_arena *a, const char *text, size_t len, struct span **out, size_t *n)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int r = 0;
	for (;;) {
		yaml_token_t tok;
		if (!yaml_parser_scan(&p, &tok)) {
			r = -EINVAL;
			break;
		}
		yaml_token_type_t type = tok.type;
		if (type == YAML_SCALAR_TOKEN) {
			if (*n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct span *ns = mvm_arena_array(a, ncap, sizeof(*ns));
				if (!ns) {
					yaml_token_delete(&tok);
					r = -ENOMEM;
					break;
				}
				if (*n)
					memcpy(ns, *out, *n * sizeof(*ns));
				*out = ns;
				cap = ncap;
			}
			(*out)[(*n)++] = (struct span){ (int)tok.start_mark.line, (int)tok.start_mark.column,
							(int)tok.end_mark.line, (int)tok.end_mark.column };
		}
		yaml_token_delete(&tok);
		if (type == YAML_STREAM_END_TOKEN)
			break;
	}
	yaml_parser_delete(&p);
	return r;
}

/* The length of the line break at text[i], 0 if none: YAML's breaks are CR LF, CR, LF, NEL,
 * LS and PS, and libyaml's marks count lines by them (a comment ends at any of them). */
static size_t break_len(const char *text, size_t i, size_t len)
{
	const unsigned char *t = (const unsigned char *)text;
	if (t[i] == '\r')
		return i + 1 < len && t[i + 1] == '\n' ? 2 : 1;
	if (t[i] == '\n')
		return 1;
	if (t[i] == 0xc2 && i + 1 < len && t[i + 1] == 0x85)
		return 2;
	if (t[i] == 0xe2 && i + 2 < len && t[i + 1] == 0x80 && (t[i + 2] == 0xa8 || t[i + 2] == 0xa9))
		return 3;
	return 0;
}

int mvm_yaml_comments(struct mvm_arena *a, const char *text, size_t len, struct mvm_comments *out)
{
	struct span *sp;
	size_t nsp, k = 0;
	out->n = 0;
	out->v = NULL;
	int r = scalar_spans(a, text, len, &sp, &nsp);
	if (r)
		return r;
	size_t cap = 0;
	int line = 0, col = 0;
	bool content = false; /* a non-blank character precedes on this line */
	bool blank_before = true; /* the start of a line, or a blank just before */
	for (size_t i = 0; i < len;) {
		size_t br = break_len(text, i, len);
		if (br) {
			line++;
			col = 0;
			content = false;
			blank_before = true;
			i += br;
			continue;
		}
		unsigned char c = (unsigned char)text[i];
		while (k < nsp && !before(line, col, sp[k].line1, sp[k].col1))
			k++;
		bool in_scalar = k < nsp && !before(line, col, sp[k].line0, sp[k].col0);
		if (c == '#' && !in_scalar && blank_before) {
			size_t e = i;
			while (e < len && !break_len(text, e, len))
				e++;
			size_t end = e;
			while (end > i + 1 && (text[end - 1] == ' ' || text[end - 1] == '\t'))
				end--;
			if (out->n == cap) {
				size_t ncap = cap ? cap * 2 : 32;
				struct mvm_comment *nc = mvm_arena_array(a, ncap, sizeof(*nc));
				if (!nc)
					return -ENOMEM;
				if (out->n)
					memcpy(nc, out->v, out->n * sizeof(*nc));
				out->v = nc;
				cap = ncap;
			}
			const char *t = mvm_arena_strndup(a, text + i, end - i);
			if (!t)
				return -ENOMEM;
			out->v[out->n++] = (struct mvm_comment){ line + 1, col + 1, !content, t };
			i = e; /* the rest of the line is the comment; the break resets the column */
			continue;
		}
		if (c != ' ' && c != '\t')
			content = true;
		if ((c & 0xc0) != 0x80)
			col++;
		blank_before = c == ' ' || c == '\t';
		i++;
	}
	return 0;
}

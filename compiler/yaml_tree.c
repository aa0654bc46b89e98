#include "yaml_tree.h"

#include <errno.h>
#include <string.h>
#include <yaml.h>

struct builder {
	struct mvm_arena *a;
	struct mvm_diag *d;
	const char *file;
	size_t nodes;
};

/* libyaml marks are 0-based; diagnostics are 1-based. */
static void set_loc(struct ynode *n, const char *file, const yaml_mark_t *m)
{
	n->file = file;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
}

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *msg)
{
	mvm_diag_error(b->d, b->file, (int)m->line + 1, (int)m->column + 1, "%s", msg);
	return -EINVAL;
}

static int next_event(struct builder *b, yaml_parser_t *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(p, ev)) {
		mvm_diag_error(b->d, b->file, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
			       "invalid YAML: %s", p->problem ? p->problem : "parse error");
		return -EINVAL;
	}
	return 0;
}

static int build_node(struct builder *b, yaml_parser_t *p, yaml_event_t *ev, int depth, struct ynode **out);

/* Sequences and mappings are read into a growing array in the arena; we double and copy. */
static int push_item(struct builder *b, struct ynode ***items, size_t *n, size_t *cap, struct ynode *it)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct ynode **ni = mvm_arena_array(b->a, ncap, sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		if (*n)
			memcpy(ni, *items, *n * sizeof(*ni));
		*items = ni;
		*cap = ncap;
	}
	(*items)[(*n)++] = it;
	return 0;
}

static int build_collection(struct builder *b, yaml_parser_t *p, struct ynode *n, int depth)
{
	size_t count = 0, cap = 0;
	yaml_event_type_t end = n->kind == Y_SEQ ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, p, &ev))
			return -EINVAL;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		struct ynode *child;
		int r = build_node(b, p, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (r)
			return r;
		if (n->kind == Y_MAP && count % 2 == 0) {
			if (child->kind != Y_SCALAR) {
				mvm_diag_error(b->d, b->file, child->line, child->col, "mapping keys must be plain strings");
				return -EINVAL;
			}
			for (size_t i = 0; i < count; i += 2) {
				if (strcmp(n->item[i]->str, child->str) == 0) {
					mvm_diag_error(b->d, b->file, child->line, child->col,
						       "duplicate key '%s' (first at line %d)", child->str, n->item[i]->line);
					return -EINVAL;
				}
			}
		}
		if (push_item(b, &n->item, &count, &cap, child))
			return -ENOMEM;
	}
	n->n = n->kind == Y_MAP ? count / 2 : count;
	return 0;
}

static int build_node(struct builder *b, yaml_parser_t *p, yaml_event_t *ev, int depth, struct ynode **out)
{
	if (depth > MVM_YAML_MAX_DEPTH)
		return fail_at(b, &ev->start_mark, "nesting deeper than 32 levels");
	if (++b->nodes > MVM_YAML_MAX_NODES)
		return fail_at(b, &ev->start_mark, "too many YAML nodes (limit 200000)");
	if (ev->type == YAML_ALIAS_EVENT)
		return fail_at(b, &ev->start_mark, "YAML aliases are not allowed in profiles");
	struct ynode *n = mvm_arena_alloc(b->a, sizeof(*n));
	if (!n)
		return -ENOMEM;
	set_loc(n, b->file, &ev->start_mark);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor)
			return fail_at(b, &ev->start_mark, "YAML anchors are not allowed in profiles");
		if (ev->data.scalar.tag && !ev->data.scalar.plain_implicit && !ev->data.scalar.quoted_implicit)
			return fail_at(b, &ev->start_mark, "YAML tags are not allowed in profiles");
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
			return fail_at(b, &ev->start_mark, "NUL byte in a string");
		n->kind = Y_SCALAR;
		n->str = mvm_arena_strndup(b->a, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (!n->str)
			return -ENOMEM;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		const yaml_char_t *anchor = ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
										 : ev->data.mapping_start.anchor;
		const yaml_char_t *tag = ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.tag
									      : ev->data.mapping_start.tag;
		if (anchor)
			return fail_at(b, &ev->start_mark, "YAML anchors are not allowed in profiles");
		if (tag)
			return fail_at(b, &ev->start_mark, "YAML tags are not allowed in profiles");
		n->kind = ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
		int r = build_collection(b, p, n, depth);
		if (r)
			return r;
		break;
	}
	default:
		return fail_at(b, &ev->start_mark, "unexpected YAML event");
	}
	*out = n;
	return 0;
}

static int check_utf8(struct builder *b, const char *text, size_t len)
{
	int line = 1, col = 1;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (k == 0 || i + k > len)
			goto bad;
		unsigned cp = k == 1 ? c : k == 2 ? c & 0x1f : k == 3 ? c & 0x0f : c & 0x07;
		for (size_t j = 1; j < k; j++) {
			if (((unsigned char)text[i + j] >> 6) != 2)
				goto bad;
			cp = cp << 6 | ((unsigned char)text[i + j] & 0x3f);
		}
		/* shortest form, no surrogates, at most U+10FFFF: libyaml refuses the rest too, but
		 * without a position */
		static const unsigned min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min_cp[k] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto bad;
		if (c == 0) {
			mvm_diag_error(b->d, b->file, line, col, "NUL byte in input");
			return -EINVAL;
		}
		/* libyaml's printable set, checked here so that the message has a position */
		if (!(cp == 0x09 || cp == 0x0a || cp == 0x0d || (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
		      (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000)) {
			mvm_diag_error(b->d, b->file, line, col, "control character U+%04X is not allowed", cp);
			return -EINVAL;
		}
		if (c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += k;
		continue;
bad:
		mvm_diag_error(b->d, b->file, line, col, "invalid UTF-8");
		return -EINVAL;
	}
	return 0;
}

int mvm_yaml_parse(struct mvm_arena *a, struct mvm_diag *diag, const char *file, const char *text,
		   size_t len, struct ynode **root)
{
	struct builder b = { a, diag, file, 0 };
	if (len > MVM_YAML_MAX_BYTES) {
		mvm_diag_error(diag, file, 0, 0, "file is larger than %u bytes", MVM_YAML_MAX_BYTES);
		return -EINVAL;
	}
	if (check_utf8(&b, text, len))
		return -EINVAL;
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	int r = -EINVAL;
	yaml_event_t ev;
	*root = NULL;
	/* stream start, document start, root node, document end, stream end */
	if (next_event(&b, &p, &ev))
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&b, &p, &ev))
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		mvm_diag_error(diag, file, 1, 1, "empty file: expected a YAML mapping");
		goto out;
	}
	yaml_event_delete(&ev);
	if (next_event(&b, &p, &ev))
		goto out;
	r = build_node(&b, &p, &ev, 0, root);
	yaml_event_delete(&ev);
	if (r)
		goto out;
	if (next_event(&b, &p, &ev))
		goto fail;
	yaml_event_delete(&ev);
	if (next_event(&b, &p, &ev))
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		fail_at(&b, &ev.start_mark, "only one YAML document per file");
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
	r = 0;
	goto out;
fail:
	r = -EINVAL;
out:
	yaml_parser_delete(&p);
	return r;
}

static const char *kind_name(enum ynode_kind k)
{
	return k == Y_SCALAR ? "a scalar" : k == Y_SEQ ? "a list" : "a mapping";
}

int ynode_expect(struct mvm_diag *d, const struct ynode *n, enum ynode_kind kind, const char *what)
{
	if (n->kind == kind)
		return 0;
	mvm_diag_error(d, n->file, n->line, n->col, "%s: expected %s, got %s", what, kind_name(kind),
		       kind_name(n->kind));
	return -EINVAL;
}

bool ynode_is_null(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
	       (n->str[0] == '\0' || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0);
}

int mvm_parse_int(const char *s, bool *negative, uint64_t *magnitude)
{
	*negative = false;
	if (*s == '-') {
		*negative = true;
		s++;
	} else if (*s == '+') {
		s++;
	}
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	uint64_t v = 0;
	for (; *s; s++) {
		unsigned digit;
		if (*s == '_')
			continue;
		if (*s >= '0' && *s <= '9')
			digit = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			digit = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			digit = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (digit >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - digit) / base)
			return -ERANGE;
		v = v * base + digit;
	}
	*magnitude = v;
	return 0;
}

int ynode_int(struct mvm_diag *d, const struct ynode *n, const char *what, int64_t min, int64_t max,
	      int64_t *out)
{
	if (ynode_expect(d, n, Y_SCALAR, what))
		return -EINVAL;
	bool neg;
	uint64_t mag;
	int r = mvm_parse_int(n->str, &neg, &mag);
	if (r == -EINVAL || !n->plain) {
		mvm_diag_error(d, n->file, n->line, n->col, "%s: expected an integer, got '%s'", what, n->str);
		return -EINVAL;
	}
	if (r == 0 && !neg && mag <= (uint64_t)INT64_MAX && (int64_t)mag >= min && (int64_t)mag <= max) {
		*out = (int64_t)mag;
		return 0;
	}
	if (r == 0 && neg && mag <= (uint64_t)INT64_MAX + 1) {
		int64_t v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		if (v >= min && v <= max) {
			*out = v;
			return 0;
		}
	}
	mvm_diag_error(d, n->file, n->line, n->col, "%s: %s is out of range [%lld, %lld]", what, n->str,
		       (long long)min, (long long)max);
	return -ERANGE;
}

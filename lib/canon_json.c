#include "canon_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct parser {
	struct mvm_arena *a;
	const unsigned char *s;
	size_t len, pos;
	unsigned depth;
	char *err;
	size_t errlen;
	int oom;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	if (p->err && p->errlen) {
		int n = snprintf(p->err, p->errlen, "byte %zu: ", p->pos);
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < p->errlen)
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int nomem(struct parser *p)
{
	p->oom = 1;
	return -ENOMEM;
}

static int peek(const struct parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : -1;
}

static int parse_value(struct parser *p, struct mvm_cj **out);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not valid (overlong,
 * surrogate, above U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	unsigned cp = c & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* lower case is not canonical */
}

static int parse_string(struct parser *p, const char **out, size_t *outlen)
{
	p->pos++; /* the opening quote */
	/* The decoded string is never longer than its encoding. */
	size_t start = p->pos, cap = 0;
	while (start + cap < p->len && p->s[start + cap] != '"')
		cap += p->s[start + cap] == '\\' ? 2 : 1;
	char *buf = mvm_arena_alloc(p->a, cap + 1);
	if (!buf)
		return nomem(p);
	size_t n = 0;
	for (;;) {
		int c = peek(p);
		if (c < 0)
			return fail(p, "unterminated string");
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return fail(p, "raw control character in a string");
		if (c == '\\') {
			int e = p->pos + 1 < p->len ? p->s[p->pos + 1] : -1;
			char d;
			switch (e) {
			case '"': d = '"'; break;
			case '\\': d = '\\'; break;
			case 'b': d = '\b'; break;
			case 'f': d = '\f'; break;
			case 'n': d = '\n'; break;
			case 'r': d = '\r'; break;
			case 't': d = '\t'; break;
			case 'u': {
				if (p->pos + 6 > p->len || p->s[p->pos + 2] != '0' || p->s[p->pos + 3] != '0')
					return fail(p, "\\u escape of a character that must be written raw");
				int hi = hexval(p->s[p->pos + 4]), lo = hexval(p->s[p->pos + 5]);
				if (hi < 0 || lo < 0 || hi > 1)
					return fail(p, "\\u escape is not canonical");
				int v = hi * 16 + lo;
				if (v == 0 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t')
					return fail(p, "\\u escape is not canonical");
				buf[n++] = (char)v;
				p->pos += 6;
				continue;
			}
			default:
				return fail(p, "escape sequence is not canonical");
			}
			buf[n++] = d;
			p->pos += 2;
			continue;
		}
		size_t l = utf8_len(p->s + p->pos, p->len - p->pos);
		if (!l)
			return fail(p, "invalid UTF-8 in a string");
		memcpy(buf + n, p->s + p->pos, l);
		n += l;
		p->pos += l;
	}
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	return 0;
}

static int parse_int(struct parser *p, int64_t *out)
{
	bool neg = false;
	if (peek(p) == '-') {
		neg = true;
		p->pos++;
	}
	int c = peek(p);
	if (c < '0' || c > '9')
		return fail(p, "expected a digit");
	if (c == '0') {
		p->pos++;
		c = peek(p);
		if (neg)
			return fail(p, "\"-0\" is not canonical");
		if (c >= '0' && c <= '9')
			return fail(p, "leading zero");
		if (c == '.' || c == 'e' || c == 'E')
			return fail(p, "only integers are allowed");
		*out = 0;
		return 0;
	}
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	while ((c = peek(p)) >= '0' && c <= '9') {
		unsigned d = (unsigned)(c - '0');
		if (v > (limit - d) / 10)
			return fail(p, "integer out of range");
		v = v * 10 + d;
		p->pos++;
	}
	if (c == '.' || c == 'e' || c == 'E')
		return fail(p, "only integers are allowed");
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

/* Children are collected in arrays that double in the arena (old copies are left behind;
 * the arena frees everything at once and documents are small). */
static int grow(struct parser *p, struct mvm_cj *v, size_t *cap, bool with_keys)
{
	if (v->n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	struct mvm_cj **nv = mvm_arena_array(p->a, ncap, sizeof(*nv));
	const char **nk = with_keys ? mvm_arena_array(p->a, ncap, sizeof(*nk)) : NULL;
	if (!nv || (with_keys && !nk))
		return nomem(p);
	if (v->n) {
		memcpy(nv, v->val, v->n * sizeof(*nv));
		if (with_keys)
			memcpy(nk, v->key, v->n * sizeof(*nk));
	}
	v->val = nv;
	if (with_keys)
		v->key = nk;
	*cap = ncap;
	return 0;
}

static int parse_object(struct parser *p, struct mvm_cj *v)
{
	size_t cap = 0, keylen_prev = 0;
	p->pos++;
	if (peek(p) == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (peek(p) != '"')
			return fail(p, "expected a key");
		const char *key;
		size_t keylen, at = p->pos;
		int r = parse_string(p, &key, &keylen);
		if (r)
			return r;
		if (v->n) {
			const char *prev = v->key[v->n - 1];
			size_t m = keylen < keylen_prev ? keylen : keylen_prev;
			int c = memcmp(prev, key, m);
			if (c > 0 || (c == 0 && keylen_prev >= keylen)) {
				p->pos = at;
				return fail(p, c == 0 && keylen_prev == keylen ? "duplicate key '%s'" : "key '%s' out of order", key);
			}
		}
		if (peek(p) != ':')
			return fail(p, "expected ':'");
		p->pos++;
		if ((r = grow(p, v, &cap, true)))
			return r;
		v->key[v->n] = key;
		if ((r = parse_value(p, &v->val[v->n])))
			return r;
		v->n++;
		keylen_prev = keylen;
		int c = peek(p);
		if (c == '}') {
			p->pos++;
			return 0;
		}
		if (c != ',')
			return fail(p, "expected ',' or '}'");
		p->pos++;
	}
}

static int parse_array(struct parser *p, struct mvm_cj *v)
{
	size_t cap = 0;
	p->pos++;
	if (peek(p) == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		int r = grow(p, v, &cap, false);
		if (r || (r = parse_value(p, &v->val[v->n])))
			return r;
		v->n++;
		int c = peek(p);
		if (c == ']') {
			p->pos++;
			return 0;
		}
		if (c != ',')
			return fail(p, "expected ',' or ']'");
		p->pos++;
	}
}

static int parse_value(struct parser *p, struct mvm_cj **out)
{
	struct mvm_cj *v = mvm_arena_alloc(p->a, sizeof(*v));
	if (!v)
		return nomem(p);
	v->off = p->pos;
	int c = peek(p), r;
	if (c == '{' || c == '[') {
		if (++p->depth > MVM_CJ_MAX_DEPTH)
			return fail(p, "nested deeper than %d", MVM_CJ_MAX_DEPTH);
		v->kind = c == '{' ? MVM_CJ_OBJECT : MVM_CJ_ARRAY;
		r = c == '{' ? parse_object(p, v) : parse_array(p, v);
		p->depth--;
	} else if (c == '"') {
		v->kind = MVM_CJ_STRING;
		r = parse_string(p, &v->str, &v->n);
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		v->kind = MVM_CJ_INT;
		r = parse_int(p, &v->i);
	} else if (c < 0) {
		r = fail(p, "unexpected end of input");
	} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
		r = fail(p, "white space is not canonical");
	} else {
		r = fail(p, "expected an object, array, string or integer");
	}
	v->end = p->pos;
	*out = v;
	return r;
}

int mvm_cj_parse(struct mvm_arena *a, const char *text, size_t len, struct mvm_cj **out, char *err, size_t errlen)
{
	struct parser p = { a, (const unsigned char *)text, len, 0, 0, err, errlen, 0 };
	if (err && errlen)
		err[0] = 0;
	struct mvm_cj *v;
	int r = parse_value(&p, &v);
	if (r)
		return p.oom ? -ENOMEM : r;
	if (p.pos != len)
		return fail(&p, "trailing bytes after the value");
	*out = v;
	return 0;
}

const struct mvm_cj *mvm_cj_get(const struct mvm_cj *obj, const char *key)
{
	if (!obj || obj->kind != MVM_CJ_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->key[i], key) == 0)
			return obj->val[i];
	return NULL;
}

const char *mvm_cj_unknown_key(const struct mvm_cj *obj, const char *const *allowed)
{
	for (size_t i = 0; i < obj->n; i++) {
		bool ok = false;
		for (const char *const *k = allowed; *k && !ok; k++)
			ok = strcmp(*k, obj->key[i]) == 0;
		if (!ok)
			return obj->key[i];
	}
	return NULL;
}

/* ---- writer ---- */

void mvm_cjw_init(struct mvm_cjw *w, struct mvm_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

/* Called before every value: places the comma and checks that a key preceded it in an object. */
static void before_value(struct mvm_cjw *w)
{
	if (!w->depth)
		return;
	struct mvm_cjw_level *l = &w->lvl[w->depth - 1];
	if (l->object) {
		if (!l->want_value)
			w->err = -EINVAL;
		l->want_value = false;
		return;
	}
	if (!l->first)
		mvm_buf_put(w->b, ",", 1);
	l->first = false;
}

static void begin(struct mvm_cjw *w, bool object)
{
	before_value(w);
	if (w->depth == MVM_CJ_MAX_DEPTH) {
		w->err = -EINVAL;
		return;
	}
	w->lvl[w->depth].object = object;
	w->lvl[w->depth].first = true;
	w->lvl[w->depth].want_value = false;
	w->lvl[w->depth].last_key = NULL;
	w->depth++;
	mvm_buf_put(w->b, object ? "{" : "[", 1);
}

static void end(struct mvm_cjw *w, bool object)
{
	if (!w->depth || w->lvl[w->depth - 1].object != object || w->lvl[w->depth - 1].want_value) {
		w->err = -EINVAL;
		return;
	}
	w->depth--;
	mvm_buf_put(w->b, object ? "}" : "]", 1);
}

void mvm_cjw_begin_object(struct mvm_cjw *w) { begin(w, true); }
void mvm_cjw_end_object(struct mvm_cjw *w) { end(w, true); }
void mvm_cjw_begin_array(struct mvm_cjw *w) { begin(w, false); }
void mvm_cjw_end_array(struct mvm_cjw *w) { end(w, false); }

static void put_string(struct mvm_cjw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	mvm_buf_put(w->b, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		const char *esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: break;
		}
		if (esc) {
			mvm_buf_puts(w->b, esc);
			i++;
		} else if (c < 0x20) {
			mvm_buf_printf(w->b, "\\u%04X", c);
			i++;
		} else {
			size_t l = utf8_len(p + i, n - i);
			if (!l) {
				w->err = -EINVAL;
				return;
			}
			mvm_buf_put(w->b, p + i, l);
			i += l;
		}
	}
	mvm_buf_put(w->b, "\"", 1);
}

void mvm_cjw_key(struct mvm_cjw *w, const char *key)
{
	if (!w->depth || !w->lvl[w->depth - 1].object || w->lvl[w->depth - 1].want_value) {
		w->err = -EINVAL;
		return;
	}
	struct mvm_cjw_level *l = &w->lvl[w->depth - 1];
	if (l->last_key && strcmp(l->last_key, key) >= 0)
		w->err = -EINVAL;
	if (!l->first)
		mvm_buf_put(w->b, ",", 1);
	l->first = false;
	l->last_key = key;
	put_string(w, key);
	mvm_buf_put(w->b, ":", 1);
	l->want_value = true;
}

void mvm_cjw_str(struct mvm_cjw *w, const char *s)
{
	before_value(w);
	put_string(w, s);
}

void mvm_cjw_int(struct mvm_cjw *w, int64_t v)
{
	before_value(w);
	mvm_buf_printf(w->b, "%lld", (long long)v);
}

void mvm_cjw_raw(struct mvm_cjw *w, const char *json, size_t len)
{
	before_value(w);
	mvm_buf_put(w->b, json, len);
}

int mvm_cjw_finish(struct mvm_cjw *w)
{
	if (w->b->oom)
		return -ENOMEM;
	if (w->err)
		return w->err;
	return w->depth ? -EINVAL : 0;
}

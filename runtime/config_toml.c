/* The strict TOML subset reader (config_toml.h): one pass over the text, line by line. */
#include "config_toml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct parser {
	const char *p, *end, *line_start;
	int line;
	char table[MVM_TOML_MAX_NAME + 1];
	struct mvm_toml *out;
	char *err;
	size_t errlen;
	char tables[MVM_TOML_MAX_ENTRIES][MVM_TOML_MAX_NAME + 1]; /* headers seen, for duplicates */
	size_t ntables;
};

static int error(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int error(struct parser *ps, const char *fmt, ...)
{
	int n = snprintf(ps->err, ps->errlen, "%d:%d: ", ps->line, (int)(ps->p - ps->line_start) + 1);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool at_eol(const struct parser *ps)
{
	return ps->p >= ps->end || *ps->p == '\n' || (*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n');
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* Length of one valid UTF-8 sequence at s (no overlongs, surrogates or > U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0];
	size_t n;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Optional comment, then the end of the line. */
static int end_of_line(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '#') {
		while (!at_eol(ps)) {
			unsigned char c = (unsigned char)*ps->p;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return error(ps, "control character in a comment");
			size_t n = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
			if (!n)
				return error(ps, "invalid UTF-8");
			ps->p += n;
		}
	}
	if (!at_eol(ps))
		return error(ps, "unexpected '%c' (one key = value or [table] per line)", *ps->p);
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	if (ps->p < ps->end)
		ps->p++;
	ps->line++;
	ps->line_start = ps->p;
	return 0;
}

static int bare_name(struct parser *ps, char out[MVM_TOML_MAX_NAME + 1], const char *what)
{
	size_t n = 0;
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			break;
		if (n == MVM_TOML_MAX_NAME)
			return error(ps, "%s longer than %d bytes", what, MVM_TOML_MAX_NAME);
		out[n++] = c;
		ps->p++;
	}
	out[n] = 0;
	if (n == 0) {
		if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\''))
			return error(ps, "quoted %ss are not supported (bare names only)", what);
		return error(ps, "expected a %s", what);
	}
	if (ps->p < ps->end && *ps->p == '.')
		return error(ps, "dotted %ss are not supported", what);
	return 0;
}

static int table_header(struct parser *ps)
{
	ps->p++;
	if (ps->p < ps->end && *ps->p == '[')
		return error(ps, "arrays of tables ([[...]]) are not supported");
	skip_ws(ps);
	char name[MVM_TOML_MAX_NAME + 1];
	int rc = bare_name(ps, name, "table name");
	if (rc)
		return rc;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ']')
		return error(ps, "expected ']'");
	ps->p++;
	for (size_t i = 0; i < ps->ntables; i++)
		if (!strcmp(ps->tables[i], name))
			return error(ps, "table [%s] defined twice", name);
	if (ps->ntables == MVM_TOML_MAX_ENTRIES)
		return error(ps, "more than %d tables", MVM_TOML_MAX_ENTRIES);
	memcpy(ps->tables[ps->ntables++], name, sizeof(name));
	memcpy(ps->table, name, sizeof(name));
	return end_of_line(ps);
}

static int put_utf8(struct parser *ps, char *buf, size_t *n, unsigned cp)
{
	char tmp[4];
	size_t k;
	if (cp < 0x80)
		tmp[0] = (char)cp, k = 1;
	else if (cp < 0x800)
		tmp[0] = (char)(0xc0 | (cp >> 6)), tmp[1] = (char)(0x80 | (cp & 0x3f)), k = 2;
	else
		tmp[0] = (char)(0xe0 | (cp >> 12)), tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
		tmp[2] = (char)(0x80 | (cp & 0x3f)), k = 3;
	if (*n + k > MVM_TOML_MAX_STRING)
		return error(ps, "string longer than %d bytes", MVM_TOML_MAX_STRING);
	memcpy(buf + *n, tmp, k);
	*n += k;
	return 0;
}

static int string_value(struct parser *ps, struct mvm_toml_entry *e)
{
	char quote = *ps->p++;
	if (ps->p + 1 < ps->end && ps->p[0] == quote && ps->p[1] == quote)
		return error(ps, "multi-line strings are not supported");
	char *buf = malloc(MVM_TOML_MAX_STRING + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	int rc = 0;
	for (;;) {
		if (at_eol(ps)) {
			rc = error(ps, "unterminated string");
			break;
		}
		unsigned char c = (unsigned char)*ps->p;
		if (c == (unsigned char)quote) {
			ps->p++;
			break;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			rc = error(ps, "control character in a string");
			break;
		}
		if (c == '\\' && quote == '"') {
			const char *esc = ps->p;
			ps->p++;
			char x = ps->p < ps->end ? *ps->p : 0;
			static const char from[] = "\"\\bfnrt", to[] = "\"\\\b\f\n\r\t";
			const char *k = x ? strchr(from, x) : NULL;
			if (k) {
				ps->p++;
				rc = put_utf8(ps, buf, &n, (unsigned char)to[k - from]);
			} else if (x == 'u') {
				unsigned cp = 0;
				ps->p++;
				for (int i = 0; i < 4; i++, ps->p++) {
					char h = ps->p < ps->end ? *ps->p : 0;
					int v = h >= '0' && h <= '9' ? h - '0' : (h | 32) >= 'a' && (h | 32) <= 'f' ? (h | 32) - 'a' + 10 : -1;
					if (v < 0) {
						ps->p = esc;
						rc = error(ps, "\\u needs four hex digits");
						break;
					}
					cp = cp * 16 + (unsigned)v;
				}
				if (!rc && (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))) {
					ps->p = esc;
					rc = error(ps, "\\u%04X is not allowed", cp);
				}
				if (!rc)
					rc = put_utf8(ps, buf, &n, cp);
			} else {
				ps->p = esc;
				rc = error(ps, "unknown escape sequence");
			}
			if (rc)
				break;
			continue;
		}
		size_t k = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
		if (!k) {
			rc = error(ps, "invalid UTF-8");
			break;
		}
		if (n + k > MVM_TOML_MAX_STRING) {
			rc = error(ps, "string longer than %d bytes", MVM_TOML_MAX_STRING);
			break;
		}
		memcpy(buf + n, ps->p, k);
		n += k;
		ps->p += k;
	}
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = 0;
	e->type = MVM_TOML_STRING;
	e->s = buf;
	return 0;
}

static int integer_value(struct parser *ps, struct mvm_toml_entry *e)
{
	const char *start = ps->p;
	bool neg = false;
	if (*ps->p == '+' || *ps->p == '-')
		neg = *ps->p++ == '-';
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	size_t digits = 0;
	bool last_underscore = false;
	const char *first = ps->p;
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '_') {
			if (digits == 0 || last_underscore)
				return error(ps, "'_' must sit between digits");
			last_underscore = true;
			ps->p++;
			continue;
		}
		if (c < '0' || c > '9')
			break;
		if (v > (limit - (uint64_t)(c - '0')) / 10)
			return ps->p = start, error(ps, "integer out of range");
		v = v * 10 + (uint64_t)(c - '0');
		digits++;
		last_underscore = false;
		ps->p++;
	}
	if (digits == 0 || last_underscore)
		return ps->p = start, error(ps, "malformed integer");
	if (*first == '0' && digits > 1)
		return ps->p = start, error(ps, "leading zeros are not allowed");
	if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E' || *ps->p == ':' || *ps->p == 'x' ||
				*ps->p == 'o' || *ps->p == 'b' || (*ps->p == '-' && digits == 4)))
		return error(ps, "floats, dates and non-decimal integers are not supported");
	e->type = MVM_TOML_INT;
	e->i = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static bool word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n))
		return false;
	const char *after = ps->p + n;
	if (after < ps->end && ((*after >= 'a' && *after <= 'z') || (*after >= '0' && *after <= '9') || *after == '_'))
		return false;
	ps->p = after;
	return true;
}

static int key_value(struct parser *ps)
{
	struct mvm_toml *t = ps->out;
	if (t->n == MVM_TOML_MAX_ENTRIES)
		return error(ps, "more than %d keys", MVM_TOML_MAX_ENTRIES);
	struct mvm_toml_entry *e = &t->entry[t->n];
	memset(e, 0, sizeof(*e));
	const char *key_at = ps->p;
	int rc = bare_name(ps, e->key, "key");
	if (rc)
		return rc;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->entry[i].table, ps->table) && !strcmp(t->entry[i].key, e->key))
			return ps->p = key_at, error(ps, "key '%s' defined twice", e->key);
	memcpy(e->table, ps->table, sizeof(e->table));
	e->line = ps->line;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '=')
		return error(ps, "expected '=' after the key");
	ps->p++;
	skip_ws(ps);
	if (at_eol(ps))
		return error(ps, "expected a value");
	char c = *ps->p;
	if (word(ps, "true")) {
		e->type = MVM_TOML_BOOL;
		e->b = true;
	} else if (word(ps, "false")) {
		e->type = MVM_TOML_BOOL;
		e->b = false;
	} else if (c == '"' || c == '\'') {
		if ((rc = string_value(ps, e)))
			return rc;
	} else if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
		if ((rc = integer_value(ps, e)))
			return rc;
	} else if (c == '[' || c == '{') {
		return error(ps, "arrays and inline tables are not supported");
	} else {
		return error(ps, "expected true, false, an integer or a string");
	}
	t->n++;
	return end_of_line(ps);
}

int mvm_toml_parse(const char *text, size_t len, struct mvm_toml *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (len > MVM_TOML_MAX_BYTES) {
		snprintf(err, errlen, "larger than %u bytes", MVM_TOML_MAX_BYTES);
		return -EFBIG;
	}
	struct parser *ps = calloc(1, sizeof(*ps));
	out->entry = calloc(MVM_TOML_MAX_ENTRIES, sizeof(*out->entry));
	if (!ps || !out->entry) {
		free(ps);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ps->p = ps->line_start = text;
	ps->end = text + len;
	ps->line = 1;
	ps->out = out;
	ps->err = err;
	ps->errlen = errlen;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps->p = ps->line_start = text + 3;
	int rc = 0;
	while (!rc && ps->p < ps->end) {
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '[')
			rc = table_header(ps);
		else if (at_eol(ps) || *ps->p == '#')
			rc = end_of_line(ps);
		else
			rc = key_value(ps);
	}
	free(ps);
	return rc;
}

int mvm_toml_load(const char *path, struct mvm_toml *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size > (off_t)MVM_TOML_MAX_BYTES) {
		close(fd);
		snprintf(err, errlen, "%s: larger than %u bytes", path, MVM_TOML_MAX_BYTES);
		return -EFBIG;
	}
	char *buf = malloc(MVM_TOML_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, MVM_TOML_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			return -e;
		}
		if (r == 0 || (n += (size_t)r) > MVM_TOML_MAX_BYTES)
			break;
	}
	close(fd);
	char msg[256];
	int rc = mvm_toml_parse(buf, n, out, msg, sizeof(msg));
	free(buf);
	if (rc)
		snprintf(err, errlen, "%s:%s", path, msg);
	return rc;
}

void mvm_toml_free(struct mvm_toml *t)
{
	for (size_t i = 0; t->entry && i < t->n; i++)
		free(t->entry[i].s);
	free(t->entry);
	t->entry = NULL;
	t->n = 0;
}

const struct mvm_toml_entry *mvm_toml_get(const struct mvm_toml *t, const char *table, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->entry[i].table, table) && !strcmp(t->entry[i].key, key))
			return &t->entry[i];
	return NULL;
}

int mvm_toml_get_bool(const struct mvm_toml *t, const char *table, const char *key, bool *out)
{
	const struct mvm_toml_entry *e = mvm_toml_get(t, table, key);
	if (!e)
		return -ENOENT;
	if (e->type != MVM_TOML_BOOL)
		return -EINVAL;
	*out = e->b;
	return 0;
}

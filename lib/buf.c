#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mvm_buf_free(struct mvm_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static bool reserve(struct mvm_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra + 1) {
		if (ncap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		ncap *= 2;
	}
	char *nd = realloc(b->data, ncap);
	if (!nd) {
		b->oom = true;
		return false;
	}
	b->data = nd;
	b->cap = ncap;
	return true;
}

void mvm_buf_put(struct mvm_buf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return;
	if (n) /* p may be NULL for nothing (an empty buffer's data): memcpy must not see it */
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

void mvm_buf_puts(struct mvm_buf *b, const char *s)
{
	mvm_buf_put(b, s, strlen(s));
}

void mvm_buf_printf(struct mvm_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void mvm_buf_json_str(struct mvm_buf *b, const char *s)
{
	mvm_buf_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };
			mvm_buf_put(b, e, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			mvm_buf_printf(b, "\\u%04x", *p);
		} else {
			mvm_buf_put(b, p, 1);
		}
	}
	mvm_buf_put(b, "\"", 1);
}

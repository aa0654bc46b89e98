#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mvm_arena_chunk {
	struct mvm_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define CHUNK_MIN (64 * 1024)

void mvm_arena_init(struct mvm_arena *a, size_t limit)
{
	a->head = NULL;
	a->total = 0;
	a->limit = limit;
}

void mvm_arena_free(struct mvm_arena *a)
{
	struct mvm_arena_chunk *c = a->head;
	while (c) {
		struct mvm_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

void *mvm_arena_alloc(struct mvm_arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	if (a->limit && (size > a->limit || a->total > a->limit - size))
		return NULL;
	struct mvm_arena_chunk *c = a->head;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	a->total += size;
	memset(p, 0, size);
	return p;
}

void *mvm_arena_array(struct mvm_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return mvm_arena_alloc(a, n * size);
}

char *mvm_arena_strndup(struct mvm_arena *a, const char *s, size_t n)
{
	char *p = mvm_arena_alloc(a, n + 1);
	if (p)
		memcpy(p, s, n);
	return p;
}

char *mvm_arena_strdup(struct mvm_arena *a, const char *s)
{
	return mvm_arena_strndup(a, s, strlen(s));
}

char *mvm_arena_printf(struct mvm_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = mvm_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

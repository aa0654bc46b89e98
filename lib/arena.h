/* A bump allocator: everything of one compile lives in one arena and is freed at once. */
#ifndef MVM_ARENA_H
#define MVM_ARENA_H
#include <stddef.h>

struct mvm_arena_chunk;
struct mvm_arena {
	struct mvm_arena_chunk *head;
	size_t total; /* bytes handed out, for the memory bound */
	size_t limit; /* 0 = unlimited */
};

void mvm_arena_init(struct mvm_arena *a, size_t limit);
void mvm_arena_free(struct mvm_arena *a);
/* Zeroed memory, or NULL when out of memory or over the limit. */
void *mvm_arena_alloc(struct mvm_arena *a, size_t size);
void *mvm_arena_array(struct mvm_arena *a, size_t n, size_t size);
char *mvm_arena_strndup(struct mvm_arena *a, const char *s, size_t n);
char *mvm_arena_strdup(struct mvm_arena *a, const char *s);
char *mvm_arena_printf(struct mvm_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif

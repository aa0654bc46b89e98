/* A growable byte buffer, and a small JSON writer on top of it (deterministic output, full
 * uint64 range, no floats). */
#ifndef MVM_BUF_H
#define MVM_BUF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mvm_buf {
	char *data;
	size_t len, cap;
	bool oom; /* sticky: set when an append failed */
};

void mvm_buf_free(struct mvm_buf *b);
void mvm_buf_put(struct mvm_buf *b, const void *p, size_t n);
void mvm_buf_puts(struct mvm_buf *b, const char *s);
void mvm_buf_printf(struct mvm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal, escaping quotes, backslash and control characters. */
void mvm_buf_json_str(struct mvm_buf *b, const char *s);

#define __cleanup_buf __attribute__((cleanup(mvm_buf_free)))
#endif

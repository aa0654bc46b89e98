/* Canonical JSON: the only form mvm signs, verifies or stores. One value has exactly one
 * encoding, so a verifier can check the bytes it was given and never re-serialize:
 *   - objects, arrays, strings and integers only (no floats, true, false or null);
 *   - object keys unique and sorted bytewise (strcmp of the decoded keys);
 *   - no white space outside strings;
 *   - integers in int64 range, no leading zeros, no "-0";
 *   - strings are valid UTF-8 (no NUL), written raw except '"' and '\' (as \" and \\) and
 *     control characters below 0x20 (\b \f \n \r \t, otherwise \u00XX with upper-case hex),
 *     which is exactly what jansson's json_dumps(JSON_SORT_KEYS | JSON_COMPACT) writes.
 * Bounds: MVM_CJ_MAX_DEPTH nesting levels; input size is bounded by the caller. */
#ifndef MVM_CANON_JSON_H
#define MVM_CANON_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

#define MVM_CJ_MAX_DEPTH 32

enum mvm_cj_kind { MVM_CJ_OBJECT, MVM_CJ_ARRAY, MVM_CJ_STRING, MVM_CJ_INT };

struct mvm_cj {
	enum mvm_cj_kind kind;
	size_t n;              /* object members, array elements, or string bytes */
	const char **key;      /* object: n keys, in the (sorted) order of the input */
	struct mvm_cj **val;   /* object values or array elements */
	const char *str;       /* string: decoded, NUL-terminated */
	int64_t i;             /* integer */
	size_t off, end;       /* the value's bytes in the input: [off, end) */
};

/* Parses text[0..len) as one canonical value and nothing else. Returns 0, -EINVAL (with a
 * message naming the byte offset in err) or -ENOMEM. The tree lives in the arena. */
int mvm_cj_parse(struct mvm_arena *a, const char *text, size_t len, struct mvm_cj **out, char *err, size_t errlen);

/* Object member by key, or NULL. */
const struct mvm_cj *mvm_cj_get(const struct mvm_cj *obj, const char *key);
/* The first key of obj that is not in the NULL-terminated list `allowed`, or NULL. */
const char *mvm_cj_unknown_key(const struct mvm_cj *obj, const char *const *allowed);

/* A writer that produces canonical JSON into a buffer. Keys must be given in sorted order;
 * a key out of order, an unbalanced structure or a bad string makes finish() fail, so a
 * programming error can never produce a non-canonical signed document. */
struct mvm_cjw_level {
	bool object, first, want_value;
	const char *last_key;
};

struct mvm_cjw {
	struct mvm_buf *b;
	unsigned depth;
	int err;
	struct mvm_cjw_level lvl[MVM_CJ_MAX_DEPTH];
};

void mvm_cjw_init(struct mvm_cjw *w, struct mvm_buf *b);
void mvm_cjw_begin_object(struct mvm_cjw *w);
void mvm_cjw_end_object(struct mvm_cjw *w);
void mvm_cjw_begin_array(struct mvm_cjw *w);
void mvm_cjw_end_array(struct mvm_cjw *w);
/* The key must stay valid until the enclosing object ends. */
void mvm_cjw_key(struct mvm_cjw *w, const char *key);
void mvm_cjw_str(struct mvm_cjw *w, const char *s);
void mvm_cjw_int(struct mvm_cjw *w, int64_t v);
/* Inserts bytes that are already one canonical value (for example an object sliced out of a
 * verified document). */
void mvm_cjw_raw(struct mvm_cjw *w, const char *json, size_t len);
/* 0, -EINVAL (misuse) or -ENOMEM. */
int mvm_cjw_finish(struct mvm_cjw *w);

#endif

/* A strict YAML reader: libyaml events -> a small tree with source locations. Refuses
 * anchors, aliases and tags (no alias bombs, no type games), multiple documents, duplicate
 * mapping keys, input over MVM_YAML_MAX_BYTES and nesting over MVM_YAML_MAX_DEPTH. */
#ifndef MVM_YAML_TREE_H
#define MVM_YAML_TREE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "../lib/diag.h"

#define MVM_YAML_MAX_BYTES (1u << 20)
#define MVM_YAML_MAX_DEPTH 32
#define MVM_YAML_MAX_NODES 200000

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_kind kind;
	const char *file;
	int line, col;
	const char *str;  /* scalar text (NUL-terminated; a NUL inside is refused) */
	bool plain;       /* a plain (unquoted) scalar */
	size_t n;         /* items in a sequence; key/value pairs in a mapping */
	struct ynode **item; /* seq: n items; map: 2n nodes, key then value */
};

/* Parses text into *root. Returns 0, or -EINVAL after reporting to diag. */
int mvm_yaml_parse(struct mvm_arena *a, struct mvm_diag *diag, const char *file, const char *text,
		   size_t len, struct ynode **root);

/* Helpers that report "FILE:L:C: error: FIELD: expected ..." and return -EINVAL. */
int ynode_expect(struct mvm_diag *d, const struct ynode *n, enum ynode_kind kind, const char *what);
bool ynode_is_null(const struct ynode *n);
/* Integers: decimal, 0x, 0o, 0b, optional leading '-'. Checks the range [min, max]. */
int ynode_int(struct mvm_diag *d, const struct ynode *n, const char *what, int64_t min, int64_t max,
	      int64_t *out);
/* Parses an integer literal; returns 0, -EINVAL (not a number) or -ERANGE. */
int mvm_parse_int(const char *s, bool *negative, uint64_t *magnitude);
#endif

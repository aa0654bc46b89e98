/* A strict reader for the small TOML subset of mvm's configuration file (~/.mvm/config.toml):
 *
 *   # comment
 *   [table]                 bare names only: A-Z a-z 0-9 _ - (no dotted keys, no [[arrays]])
 *   key = true | false      booleans
 *   key = -12_345           decimal integers (int64, '_' between digits, no leading zeros)
 *   key = "basic\tstring"   \" \\ \b \f \n \r \t \uXXXX escapes; or 'literal' strings
 *
 * Anything else (arrays, inline tables, floats, dates, multi-line strings, a key or table given
 * twice, control characters, invalid UTF-8) is an error naming LINE:COL. Bounds: the file is
 * at most MVM_TOML_MAX_BYTES, at most MVM_TOML_MAX_ENTRIES keys, names up to
 * MVM_TOML_MAX_NAME bytes, strings up to MVM_TOML_MAX_STRING bytes. docs/doctor.md. */
#ifndef MVM_CONFIG_TOML_H
#define MVM_CONFIG_TOML_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MVM_TOML_MAX_BYTES (64u << 10)
#define MVM_TOML_MAX_ENTRIES 256
#define MVM_TOML_MAX_NAME 64
#define MVM_TOML_MAX_STRING 1024

enum mvm_toml_type { MVM_TOML_BOOL, MVM_TOML_INT, MVM_TOML_STRING };

struct mvm_toml_entry {
	char table[MVM_TOML_MAX_NAME + 1]; /* "" for keys before the first [table] */
	char key[MVM_TOML_MAX_NAME + 1];
	enum mvm_toml_type type;
	bool b;
	int64_t i;
	char *s;                            /* NUL-terminated UTF-8 (strings only) */
	int line;
};

struct mvm_toml {
	size_t n;
	struct mvm_toml_entry *entry;
};

/* Parses text[0..len). 0, or -EINVAL with "LINE:COL: message" in err, -EFBIG over the size
 * bound, -ENOMEM. Free with mvm_toml_free in every case. */
int mvm_toml_parse(const char *text, size_t len, struct mvm_toml *out, char *err, size_t errlen);
/* Reads and parses a file (a regular file, bounded). -ENOENT when it does not exist. */
int mvm_toml_load(const char *path, struct mvm_toml *out, char *err, size_t errlen);
void mvm_toml_free(struct mvm_toml *t);

const struct mvm_toml_entry *mvm_toml_get(const struct mvm_toml *t, const char *table, const char *key);
/* 0 with *out set, -ENOENT when absent, -EINVAL when the value is not a boolean. */
int mvm_toml_get_bool(const struct mvm_toml *t, const char *table, const char *key, bool *out);
#endif

/* The config.toml reader (runtime/config_toml.c, mvm_toml_parse). Properties: an error names
 * LINE:COL; a parsed file holds at most MVM_TOML_MAX_ENTRIES entries with names within bounds,
 * no (table, key) twice, and NUL-free valid strings that a lookup finds again. */
#include <errno.h>
#include <string.h>

#include "runtime/config_toml.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mvm_toml t;
	char err[256] = "";
	int r = mvm_toml_parse((const char *)data, size, &t, err, sizeof(err));
	if (r == -EINVAL)
		FUZZ_CHECK(err[0] >= '1' && err[0] <= '9' && strchr(err, ':'));
	else
		FUZZ_CHECK(r == 0 || r == -EFBIG || r == -ENOMEM);
	if (r == 0) {
		FUZZ_CHECK(t.n <= MVM_TOML_MAX_ENTRIES);
		for (size_t i = 0; i < t.n; i++) {
			const struct mvm_toml_entry *e = &t.entry[i];
			FUZZ_CHECK(strlen(e->key) > 0 && strlen(e->key) <= MVM_TOML_MAX_NAME);
			FUZZ_CHECK(mvm_toml_get(&t, e->table, e->key) == e);
			if (e->type == MVM_TOML_STRING)
				FUZZ_CHECK(e->s && strlen(e->s) <= MVM_TOML_MAX_STRING);
			bool b;
			int g = mvm_toml_get_bool(&t, e->table, e->key, &b);
			FUZZ_CHECK(e->type == MVM_TOML_BOOL ? g == 0 && b == e->b : g == -EINVAL);
		}
	}
	mvm_toml_free(&t);
	return 0;
}

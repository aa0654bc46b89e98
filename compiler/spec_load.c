/* Which front end reads a file: the DSL for ".mvm", YAML for anything else. */
#include <string.h>

#include "grammar/dsl.h"
#include "spec.h"
#include "spec_print.h"

enum mvm_syntax mvm_syntax_of(const char *file)
{
	size_t n = strlen(file);
	return n > 4 && strcmp(file + n - 4, ".mvm") == 0 ? MVM_SYNTAX_DSL : MVM_SYNTAX_YAML;
}

int mvm_load_spec(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text, size_t len,
		  struct mvm_spec **out)
{
	if (mvm_syntax_of(file) == MVM_SYNTAX_DSL)
		return mvm_dsl_load_spec(a, d, file, text, len, out);
	return mvm_yaml_load_spec(a, d, file, text, len, out);
}

int mvm_load_spec_source(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text,
			 size_t len, struct mvm_spec **out, struct mvm_comments *comments)
{
	if (mvm_syntax_of(file) == MVM_SYNTAX_DSL)
		return mvm_dsl_parse(a, d, file, text, len, out, comments);
	int r = mvm_yaml_load_spec(a, d, file, text, len, out);
	return r ? r : mvm_yaml_comments(a, text, len, comments);
}

#include "fuzz_spec.h"

#include <stdlib.h>

#include "fuzz.h"

static void reads_back(const struct mvm_spec *s, enum mvm_syntax to, const struct mvm_source *src)
{
	struct mvm_buf out = { 0 };
	struct mvm_arena a;
	struct mvm_diag d;
	mvm_arena_init(&a, 64u << 20);
	mvm_diag_init(&d, "fuzz", fuzz_sink());
	FUZZ_CHECK(mvm_spec_print(s, to, src, &out) == 0);
	const char *name = to == MVM_SYNTAX_DSL ? "printed.mvm" : "printed.yaml";
	struct mvm_spec *back;
	struct mvm_comments c;
	int r = mvm_load_spec_source(&a, &d, name, out.data ? out.data : "", out.len, &back, &c);
	if (r != 0 || !mvm_spec_equal(s, back)) {
		fprintf(stderr, "fuzz: printed as %s:\n%.*s\n", name, (int)out.len, out.data ? out.data : "");
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(mvm_spec_equal(s, back));
	}
	mvm_arena_free(&a);
	mvm_buf_free(&out);
}

void fuzz_spec_roundtrip(const struct mvm_spec *s, const char *text, size_t len, const struct mvm_comments *comments)
{
	struct mvm_source src = { text, len, *comments };
	reads_back(s, MVM_SYNTAX_YAML, &src);
	reads_back(s, MVM_SYNTAX_DSL, &src);
	reads_back(s, MVM_SYNTAX_YAML, NULL);
	reads_back(s, MVM_SYNTAX_DSL, NULL);
}

/* The mvm DSL front end (grammar/: flex scanner, bison parser, dsl_build.c), entered the way
 * compiler/resolve.c enters it for a .mvm file (mvm_load_spec -> mvm_dsl_load_spec): any bytes
 * either parse into a spec or are refused with a diagnostic; a parsed spec survives `mvmc fmt`
 * in both syntaxes. */
#include <errno.h>

#include "compiler/spec.h"
#include "fuzz.h"
#include "fuzz_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mvm_arena a;
	struct mvm_diag d;
	mvm_arena_init(&a, 256u << 20);
	mvm_diag_init(&d, "fuzz", fuzz_sink());
	d.caret = true; /* the caret printer quotes the input too */
	const char *text = (const char *)data;
	mvm_diag_add_source(&d, "fuzz.mvm", text, size);
	struct mvm_spec *s;
	int r = mvm_load_spec(&a, &d, "fuzz.mvm", text, size, &s);
	FUZZ_CHECK(r == 0 || d.errors > 0 || r == -ENOMEM);
	if (r == 0) {
		struct mvm_spec *s2;
		struct mvm_comments c;
		FUZZ_CHECK(mvm_load_spec_source(&a, &d, "fuzz.mvm", text, size, &s2, &c) == 0);
		FUZZ_CHECK(mvm_spec_equal(s, s2));
		fuzz_spec_roundtrip(s, text, size, &c);
	}
	mvm_arena_free(&a);
	return 0;
}

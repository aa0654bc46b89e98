/* Specs as text for `mvmc fmt`: reading a file with its comments, printing a spec as canonical
 * DSL or YAML (carrying the comments and blank lines over), and comparing two specs. */
#ifndef MVM_SPEC_PRINT_H
#define MVM_SPEC_PRINT_H
#include <stdbool.h>

#include "../lib/buf.h"
#include "spec.h"

enum mvm_syntax { MVM_SYNTAX_YAML, MVM_SYNTAX_DSL };

/* By file name: ".mvm" is the DSL, anything else YAML. */
enum mvm_syntax mvm_syntax_of(const char *file);

/* A `#` comment of the source. */
struct mvm_comment {
	int line, col;       /* 1-based, where the '#' is */
	bool own_line;       /* nothing but blanks before it on its line */
	const char *text;    /* from '#' to the end of the line, trailing blanks removed */
};

struct mvm_comments {
	size_t n;
	struct mvm_comment *v; /* in source order */
};

/* The text a spec was read from: its comments and blank lines are carried into the output. */
struct mvm_source {
	const char *text;
	size_t len;
	struct mvm_comments comments;
};

/* Parses text in the syntax file's name says, keeping its comments. 0, -EINVAL (reported to d)
 * or -ENOMEM. Includes are not followed: fmt works on one file. */
int mvm_load_spec_source(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text,
			 size_t len, struct mvm_spec **out, struct mvm_comments *comments);

/* The comments of a YAML text: every '#' outside a scalar that starts a comment. */
int mvm_yaml_comments(struct mvm_arena *a, const char *text, size_t len, struct mvm_comments *out);

/* Appends the canonical text of s in syntax `to`. src: NULL, or the text s was read from (its
 * comments are kept, each beside the nearest element, and single blank lines are kept).
 * Returns 0 or -ENOMEM. The output reads back into a spec equal to s (mvm_spec_equal). */
int mvm_spec_print(const struct mvm_spec *s, enum mvm_syntax to, const struct mvm_source *src,
		   struct mvm_buf *out);

/* Same meaning: every field equal; source locations and file names are ignored. */
bool mvm_spec_equal(const struct mvm_spec *a, const struct mvm_spec *b);
#endif

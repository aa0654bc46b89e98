/* Internal to the spec printers (spec_print*.c): a line writer that keeps the source's
 * comments and blank lines.
 *
 * A printer emits statements (one logical line each, wrapped at PW_WIDTH) and, as it prints
 * each element, names the source location the front end recorded for it (an anchor). The
 * printer runs twice: the first pass only collects the anchors; then every comment is attached
 * to one: a comment after code on its line trails the last anchor before it on that line, any
 * other comment leads the first anchor after it. The second pass prints a statement's leading
 * comments above it and a trailing comment at the end of the physical line holding its anchor
 * (a second trailing comment on one line is moved above the statement). Comments after the
 * last anchor go to the end of the file. A blank line in the source before a statement or a
 * comment is kept (one at most), except at the start of a block. */
#ifndef MVM_SPEC_PRINT_WRITER_H
#define MVM_SPEC_PRINT_WRITER_H
#include <stdbool.h>
#include <stddef.h>

#include "../lib/buf.h"
#include "spec_print.h"

#define PW_WIDTH 100

struct pw_anchor {
	int line, col;
	size_t first, n;   /* the comments attached to it: comment[first .. first + n) */
	bool visited;
};

struct pw {
	struct mvm_buf *out;
	bool collect;             /* first pass: record anchors, print nothing */
	bool oom;
	const struct mvm_source *src;
	size_t nline;
	size_t *line_off;         /* start of each source line, for blank-line checks */
	bool *blank_used;         /* per source line: its preceding blank line was printed */
	size_t nanchor, capanchor;
	struct pw_anchor *anchor;
	bool *trailing;           /* per comment */
	bool *emitted;            /* per comment */
	/* the statement being built */
	struct mvm_buf stmt, scratch;
	int indent, cont;
	size_t line_start;        /* offset in stmt of the current physical line */
	int line_chars;           /* characters on it so far */
	bool line_has_piece;      /* something beyond the indentation */
	long trail;               /* comment trailing the current physical line, or -1 */
	size_t nlead, nhoist, caplead, caphoist;
	size_t *lead;             /* own-line comments of the statement's first anchor */
	size_t *hoist;            /* other comments that go above the statement */
	int first_anchor_line;
	bool block_start;         /* the next statement opens a block */
	bool closing;             /* the statement closes a block: no blank line right before it */
	int comment_indent;       /* where the statement's leading comments start */
	bool any_output;
};

/* Sets up w for a pass; collect: the first pass. Returns 0 or -ENOMEM. */
int pw_init(struct pw *w, struct mvm_buf *out, const struct mvm_source *src);
/* Between the passes: attaches comments to the collected anchors. */
int pw_attach(struct pw *w);
/* After the second pass: prints comments that no anchor took. */
void pw_finish(struct pw *w);
void pw_free(struct pw *w);

void pw_begin(struct pw *w, int indent);
/* Begins the line that closes a block whose body is indented by inner: comments before the
 * brace stay inside the block. */
void pw_begin_close(struct pw *w, int indent, int inner);
void pw_anchor(struct pw *w, struct mvm_loc loc);
/* Appends text to the current physical line. */
void pw_put(struct pw *w, const char *text);
/* Appends sep and text; when breakable and the line would pass PW_WIDTH, starts a new
 * physical line at the continuation indent instead of writing sep. */
void pw_piece(struct pw *w, const char *sep, const char *text, bool breakable);
/* Continuation lines of this statement start at column col (0-based). */
void pw_set_cont(struct pw *w, int col);
int pw_col(const struct pw *w);
void pw_end(struct pw *w);
/* The next statement is the first of a block: no blank line before it. */
void pw_block(struct pw *w);
/* A scratch buffer, emptied, for building one piece. */
struct mvm_buf *pw_scratch(struct pw *w);

/* The two printers, run once per pass. 0 or -ENOMEM. */
int mvm_print_dsl(struct pw *w, const struct mvm_spec *s);
int mvm_print_yaml(struct pw *w, const struct mvm_spec *s);
/* "600" seconds -> "10m": the largest unit that divides the value. */
void pw_duration(char *buf, size_t len, uint64_t seconds);
/* A CIDR rule's address as text, "/N" left out for a single host. */
void pw_cidr(char *buf, size_t len, const struct mvm_egress_rule *r);
#endif

/* Internal to grammar/: the state shared by the scanner (yyextra), the parser (parse-param)
 * and the semantic actions in dsl_build.c. */
#ifndef MVM_DSL_PARSE_H
#define MVM_DSL_PARSE_H
#include <stdbool.h>
#include <stddef.h>

#include "dsl.h"

/* A token's text (arena copy, escapes of strings already decoded) and where it starts. */
struct dsl_word {
	const char *s;
	struct mvm_loc loc;
};

/* A term of a value: a constant name, a number, or a string (DSL_TERM_*). */
struct dsl_term {
	struct dsl_word w;
	int kind;
};

/* A growable array in the arena (elements of one type, size given at each push). */
struct dsl_vec {
	size_t n, cap;
	void *v;
};

struct dsl_state {
	struct mvm_arena *a;
	struct mvm_diag *d;
	const char *file;
	struct mvm_spec *s;
	bool failed;               /* an error was reported */
	bool oom;
	/* scanner position: the next character is at (line, col), both 1-based */
	int line, col;
	bool line_has_token;       /* a token was seen on the current line (comments are trailing) */
	struct mvm_loc tok_end, prev_end; /* just past the last token, and past the one before it */
	const char *tok_text, *prev_text;
	int lex_error_line;        /* the last line where the scanner reported an error */
	bool keep_comments;
	struct dsl_vec comments;   /* struct mvm_comment */
	/* the spec's lists under construction */
	struct dsl_vec rules, consts, groups, includes, egress, shares, caps, tools, labels;
};

void *dsl_push(struct dsl_state *st, struct dsl_vec *v, const void *elem, size_t size);
__attribute__((format(printf, 3, 4))) void dsl_error(struct dsl_state *st, struct mvm_loc loc, const char *fmt, ...);
struct mvm_loc dsl_loc(const struct dsl_state *st, int line, int col);

/* Semantic actions (dsl_build.c); each reports its own errors and never stops the parse. */
void dsl_schema(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *num);
void dsl_include(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *path);
void dsl_const(struct dsl_state *st, const struct dsl_word *name, const struct mvm_value *value);
void dsl_group(struct dsl_state *st, const struct dsl_word *name, const struct dsl_vec *members);
void dsl_profile(struct dsl_state *st, const struct dsl_word *kw);
void dsl_close(struct dsl_state *st, enum mvm_spec_at which, int line, int col);
void dsl_profile_name(struct dsl_state *st, const struct dsl_word *name);
void dsl_extends(struct dsl_state *st, const struct dsl_word *target);
void dsl_intent(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *name);
void dsl_arch(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *names);
unsigned dsl_arch_mask(struct dsl_state *st, const struct dsl_vec *names, const char *what);
void dsl_seccomp(struct dsl_state *st, const struct dsl_word *kw, const struct mvm_spec_action *def);
void dsl_action(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *arg,
		struct mvm_spec_action *out);
void dsl_rule(struct dsl_state *st, const struct mvm_spec_action *act, const struct dsl_vec *sys,
	      const struct dsl_vec *conds, unsigned arch_mask, const struct dsl_word *why);
void dsl_cond(struct dsl_state *st, struct mvm_spec_cond *out, const struct dsl_word *arg, int op,
	      const struct mvm_value *mask, const struct dsl_vec *values);
void dsl_value_term(struct dsl_state *st, struct mvm_value *v, const struct dsl_term *term);
void dsl_egress(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *def);
void dsl_resolver(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *addr);
void dsl_egress_rule(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *proto,
		     const struct dsl_word *dest, const struct dsl_vec *ports);
void dsl_filesystem(struct dsl_state *st, const struct dsl_word *kw);
void dsl_root(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *mode);
void dsl_rootfs(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *path);
void dsl_share(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *host,
	       const struct dsl_word *guest, const struct dsl_word *mode);
void dsl_process(struct dsl_state *st, const struct dsl_word *kw);
void dsl_id(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *num);
void dsl_caps(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *names);
void dsl_secrets(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *mode);
void dsl_tools(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *names);
void dsl_labels(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_vec *pairs);
void dsl_admission(struct dsl_state *st, const struct dsl_word *kw, const struct dsl_word *dur);
int dsl_finish(struct dsl_state *st);

/* Term kinds for dsl_value_term. */
enum { DSL_TERM_NAME, DSL_TERM_NUMBER, DSL_TERM_STRING };

/* The scanner and parser entry points (generated). */
int dsl_scan_and_parse(struct dsl_state *st, const char *text, size_t len);
#endif

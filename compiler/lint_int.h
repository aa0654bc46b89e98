/* Internals shared by compiler/lint*.c: one file being linted, and the checks. */
#ifndef MVM_LINT_INT_H
#define MVM_LINT_INT_H
#include "lint.h"
#include <stdio.h>

#include "resolve.h"

struct lint_file {
	struct mvm_lint_result *res;
	const struct mvm_lint_opts *opts;
	struct mvm_arena *a;           /* this file's compile; freed when the file is done */
	size_t input;
	const char *path;              /* as the diagnostics name it */
	const char *text;              /* the file's bytes (NULL when unreadable) */
	size_t len;
	const struct mvm_stdlib *st;
	struct mvm_profile *p;         /* NULL when the profile could not be loaded */
	bool complete;                 /* compiled without any error: every normal form is there */
	struct mvm_compile_info info;
	size_t first;                  /* index in res of this file's first finding */
};

/* Adds a finding with the rule's severity. loc.file NULL: the linted file, line 0 (the file). */
void lint_add(struct lint_file *lf, enum mvm_lint_id id, struct mvm_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void lint_add_full(struct lint_file *lf, enum mvm_lint_id id, enum mvm_lint_severity sev, struct mvm_loc loc,
		   struct mvm_loc related, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool lint_enabled(const struct lint_file *lf, enum mvm_lint_id id);

/* Was this written in the file being linted (not in a base profile or a tier)? */
bool lint_own(const struct lint_file *lf, struct mvm_loc loc);
/* Where to point at the file as a whole: its `profile`/`name` line, else 1:1. */
struct mvm_loc lint_file_loc(const struct lint_file *lf);
bool lint_permissive(struct mvm_action a);

/* The checks (compiler/lint_seccomp.c, compiler/lint_overlap.c, compiler/lint_posture.c). */
void lint_check_rules(struct lint_file *lf);
void lint_check_overlap(struct lint_file *lf);
void lint_check_filters(struct lint_file *lf);
void lint_check_posture(struct lint_file *lf);
/* Diagnostics captured from a compiler stage, turned into findings. */
struct capture {
	char *text;
	size_t len;
	FILE *f;
	struct mvm_diag d;
};
int lint_capture_open(struct capture *c);
char *lint_capture_text(struct capture *c);
void lint_capture_close(struct capture *c);
/* Each error and warning of text (lib/diag.c's lines) becomes a finding of rule `forced`
 * (MVM_LINT_COUNT: MVM000, or the rule that explains the message better). A ceiling error at
 * secrets_loc about secrets.release is left to MVM014. */
void lint_take_diags(struct lint_file *lf, char *text, int forced, struct mvm_loc secrets_loc);

/* Applies the file's suppression comments; reports malformed and unused ones (lint_suppress.c). */
void lint_apply_suppressions(struct lint_file *lf);
#endif

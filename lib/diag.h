/* Diagnostics in gcc style: `mvmc: FILE:LINE:COL: error: MESSAGE`, with the source line and a
 * caret when stderr is a terminal (or MVMC_CARET=1). Errors are collected, not fatal, so one
 * run reports several. */
#ifndef MVM_DIAG_H
#define MVM_DIAG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct mvm_diag_source {
	const char *file;
	const char *text;
	size_t len;
};

#define MVM_DIAG_MAX_SOURCES 64
#define MVM_DIAG_MAX_ERRORS 50

struct mvm_diag {
	const char *prog;   /* "mvmc" */
	FILE *out;          /* stderr */
	bool caret;
	unsigned errors, warnings;
	size_t nseen;              /* hashes of errors already reported, to drop repeats */
	unsigned long seen[256];
	size_t nsource;
	struct mvm_diag_source source[MVM_DIAG_MAX_SOURCES];
};

void mvm_diag_init(struct mvm_diag *d, const char *prog, FILE *out);
/* Registers a file's text so that messages can quote its lines. The text must outlive d. */
void mvm_diag_add_source(struct mvm_diag *d, const char *file, const char *text, size_t len);
void mvm_diag_error(struct mvm_diag *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void mvm_diag_warning(struct mvm_diag *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void mvm_diag_note(struct mvm_diag *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#endif

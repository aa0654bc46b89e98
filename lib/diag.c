#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mvm_diag_init(struct mvm_diag *d, const char *prog, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->prog = prog;
	d->out = out;
	const char *force = getenv("MVMC_CARET");
	d->caret = force ? strcmp(force, "1") == 0 : isatty(fileno(out));
}

void mvm_diag_add_source(struct mvm_diag *d, const char *file, const char *text, size_t len)
{
	if (d->nsource == MVM_DIAG_MAX_SOURCES)
		return;
	d->source[d->nsource++] = (struct mvm_diag_source){ file, text, len };
}

static const struct mvm_diag_source *find_source(const struct mvm_diag *d, const char *file)
{
	for (size_t i = 0; i < d->nsource; i++)
		if (d->source[i].file == file || strcmp(d->source[i].file, file) == 0)
			return &d->source[i];
	return NULL;
}

static void print_caret(const struct mvm_diag *d, const char *file, int line, int col)
{
	const struct mvm_diag_source *s = find_source(d, file);
	if (!s || line < 1)
		return;
	const char *p = s->text, *end = s->text + s->len;
	for (int l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return;
		p = nl + 1;
	}
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	fprintf(d->out, " %5d | %.*s\n       | ", line, (int)(eol - p), p);
	for (int c = 1; c < col && p + c - 1 < eol; c++)
		fputc(p[c - 1] == '\t' ? '\t' : ' ', d->out);
	fputs("^\n", d->out);
}

static void vreport(struct mvm_diag *d, const char *kind, const char *file, int line, int col,
		    const char *fmt, va_list ap)
{
	fprintf(d->out, "%s: ", d->prog);
	if (file && line > 0)
		fprintf(d->out, "%s:%d:%d: ", file, line, col);
	else if (file)
		fprintf(d->out, "%s: ", file);
	fprintf(d->out, "%s: ", kind);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	if (d->caret && file)
		print_caret(d, file, line, col);
}

/* The same error at the same place is reported once (a rule resolved for several arches or
 * syscalls would otherwise repeat it). */
static bool already_seen(struct mvm_diag *d, const char *file, int line, int col, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	unsigned long h = 1469598103934665603ul;
	for (const char *p = msg; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ul;
	for (const char *p = file ? file : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ul;
	h ^= ((unsigned long)line << 20) ^ (unsigned long)col;
	for (size_t i = 0; i < d->nseen; i++)
		if (d->seen[i] == h)
			return true;
	if (d->nseen < sizeof(d->seen) / sizeof(d->seen[0]))
		d->seen[d->nseen++] = h;
	return false;
}

void mvm_diag_error(struct mvm_diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool seen = already_seen(d, file, line, col, fmt, ap);
	va_end(ap);
	if (seen)
		return;
	d->errors++;
	if (d->errors > MVM_DIAG_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vreport(d, "error", file, line, col, fmt, ap);
	va_end(ap);
}

void mvm_diag_warning(struct mvm_diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	d->warnings++;
	va_start(ap, fmt);
	vreport(d, "warning", file, line, col, fmt, ap);
	va_end(ap);
}

void mvm_diag_note(struct mvm_diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(d, "note", file, line, col, fmt, ap);
	va_end(ap);
}

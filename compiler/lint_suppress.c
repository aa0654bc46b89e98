/* Suppression comments, the same in YAML and in the DSL (both use `#` comments):
 *
 *   # mvmc-lint: disable MVM011: a server: it only accepts connections
 *   - action: allow                       <- the next code line is the one suppressed
 *   ...
 *   syscalls: [socket]  # mvmc-lint: disable MVM004,MVM003: REASON   <- this line
 *   # mvmc-lint: disable-file MVM007: REASON                         <- the whole file
 *
 * A reason is required. A malformed comment, an unknown id, and a suppression that matches no
 * finding (of an enabled rule, in a profile that compiled) are MVM015 findings. */
#include <ctype.h>
#include <string.h>

#include "lint_int.h"

#define MAX_SUPPRESSIONS 256

struct suppression {
	int line, col;          /* of the comment */
	int target;             /* line suppressed; 0 = the whole file */
	bool ids[MVM_LINT_COUNT];
	const char *reason;
	bool used[MVM_LINT_COUNT];
};

static const char marker[] = "mvmc-lint:";

/* The comment of a line, if it is a suppression: *col is the column of its '#'. */
static const char *find_marker(const char *line, size_t len, int *col, bool *alone)
{
	bool code = false;
	for (size_t i = 0; i < len; i++) {
		if (line[i] != '#') {
			if (!isspace((unsigned char)line[i]))
				code = true;
			continue;
		}
		size_t j = i + 1;
		while (j < len && (line[j] == ' ' || line[j] == '\t'))
			j++;
		if (len - j >= sizeof(marker) - 1 && memcmp(line + j, marker, sizeof(marker) - 1) == 0) {
			*col = (int)i + 1;
			*alone = !code;
			return line + j + sizeof(marker) - 1;
		}
		return NULL; /* an ordinary comment */
	}
	return NULL;
}

static bool blank_or_comment(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '#')
			return true;
		if (!isspace((unsigned char)line[i]))
			return false;
	}
	return true;
}

/* Parses `disable[-file] ID[,ID...]: REASON` (up to the end of the line). 0, or -1 with *why. */
static int parse(struct lint_file *lf, const char *p, const char *end, struct suppression *s, bool *file_wide,
		 const char **why)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	const char *w = p;
	while (p < end && !isspace((unsigned char)*p))
		p++;
	size_t wl = (size_t)(p - w);
	if (wl == 7 && memcmp(w, "disable", 7) == 0) {
		*file_wide = false;
	} else if (wl == 12 && memcmp(w, "disable-file", 12) == 0) {
		*file_wide = true;
	} else {
		*why = "expected 'disable' or 'disable-file'";
		return -1;
	}
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon) {
		*why = "no reason: write `disable ID: REASON`";
		return -1;
	}
	bool any = false;
	for (const char *q = p; q < colon;) {
		while (q < colon && (isspace((unsigned char)*q) || *q == ','))
			q++;
		const char *id = q;
		while (q < colon && !isspace((unsigned char)*q) && *q != ',')
			q++;
		if (q == id)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(q - id), id);
		int k = mvm_lint_rule_lookup(name);
		if (k < 0) {
			*why = mvm_arena_printf(lf->a, "unknown rule '%s'", name);
			return -1;
		}
		s->ids[k] = true;
		any = true;
	}
	if (!any) {
		*why = "no rule id before ':'";
		return -1;
	}
	const char *r = colon + 1;
	while (r < end && isspace((unsigned char)*r))
		r++;
	const char *re = end;
	while (re > r && isspace((unsigned char)re[-1]))
		re--;
	if (re == r) {
		*why = "no reason after ':'";
		return -1;
	}
	s->reason = mvm_arena_strndup(lf->res->a, r, (size_t)(re - r));
	return 0;
}

void lint_apply_suppressions(struct lint_file *lf)
{
	if (!lf->text)
		return;
	struct suppression sup[MAX_SUPPRESSIONS];
	size_t n = 0;
	/* lines whose suppression waits for the next code line */
	int pending[MAX_SUPPRESSIONS];
	size_t npending = 0;
	const char *p = lf->text, *end = lf->text + lf->len;
	for (int line = 1; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		size_t len = (size_t)(eol - p);
		if (!blank_or_comment(p, len)) {
			for (size_t i = 0; i < npending; i++)
				sup[pending[i]].target = line;
			npending = 0;
		}
		int col;
		bool alone;
		const char *m = find_marker(p, len, &col, &alone);
		if (m && n < MAX_SUPPRESSIONS) {
			struct suppression *s = &sup[n];
			memset(s, 0, sizeof(*s));
			s->line = line;
			s->col = col;
			bool file_wide = false;
			const char *why = NULL;
			struct mvm_loc at = { lf->path, line, col };
			if (parse(lf, m, eol, s, &file_wide, &why)) {
				lint_add(lf, MVM_LINT_SUPPRESSION, at, "malformed suppression: %s", why ? why : "?");
			} else {
				s->target = file_wide ? 0 : alone ? -1 : line;
				if (s->target == -1)
					pending[npending++] = (int)n;
				n++;
			}
		}
		p = eol + 1;
	}
	struct mvm_lint_result *r = lf->res;
	for (size_t i = lf->first; i < r->n; i++) {
		struct mvm_lint_finding *f = &r->f[i];
		if (f->rule == MVM_LINT_SUPPRESSION || !f->loc.file || strcmp(f->loc.file, lf->path) != 0)
			continue;
		for (size_t k = 0; k < n && !f->suppressed; k++) {
			struct suppression *s = &sup[k];
			if (!s->ids[f->rule] || (s->target != 0 && s->target != f->loc.line))
				continue;
			f->suppressed = s->reason;
			s->used[f->rule] = true;
		}
	}
	/* Unused suppressions: only when every check ran, and only for enabled rules. */
	if (!lf->complete)
		return;
	for (size_t k = 0; k < n; k++)
		for (int id = 0; id < MVM_LINT_COUNT; id++)
			if (sup[k].ids[id] && !sup[k].used[id] && lint_enabled(lf, (enum mvm_lint_id)id))
				lint_add(lf, MVM_LINT_SUPPRESSION, (struct mvm_loc){ lf->path, sup[k].line, sup[k].col },
					 "this suppression of %s matches no finding; remove it", mvm_lint_rules[id].id);
}

/* mvmc lint, the driver: walks the paths, compiles each profile leniently (compile errors become
 * MVM000 findings, ceiling errors MVM010), runs the checks, applies suppressions, then sorts,
 * de-duplicates and fingerprints the findings. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/digest.h"
#include "bpf_gen.h"
#include "lint_int.h"
#include "yaml_tree.h"

#define LINT_MAX_FILES 4096 /* per directory walk */
#define LINT_MAX_DEPTH 16
#define LINT_MAX_SEARCH 40

void mvm_lint_opts_default(struct mvm_lint_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < MVM_LINT_COUNT; i++)
		o->enabled[i] = true;
}

bool lint_enabled(const struct lint_file *lf, enum mvm_lint_id id)
{
	return lf->opts->enabled[id];
}

bool lint_permissive(struct mvm_action a)
{
	return a.kind == MVM_ACT_ALLOW || a.kind == MVM_ACT_LOG;
}

bool lint_own(const struct lint_file *lf, struct mvm_loc loc)
{
	return loc.file && loc.line > 0 && strcmp(loc.file, lf->path) == 0;
}

struct mvm_loc lint_file_loc(const struct lint_file *lf)
{
	const struct mvm_spec *sp = lf->info.nlink ? lf->info.spec[0] : NULL;
	if (sp && sp->name.name && sp->name.loc.line > 0)
		return sp->name.loc;
	if (sp && sp->at[MVM_AT_PROFILE].line > 0)
		return sp->at[MVM_AT_PROFILE];
	return (struct mvm_loc){ lf->path, 1, 1 };
}

/* ---- findings ---- */

static struct mvm_lint_finding *push(struct mvm_lint_result *r)
{
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct mvm_lint_finding *nf = mvm_arena_array(r->a, ncap, sizeof(*nf));
		if (!nf)
			return NULL;
		if (r->n)
			memcpy(nf, r->f, r->n * sizeof(*nf));
		r->f = nf;
		r->cap = ncap;
	}
	struct mvm_lint_finding *f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	return f;
}

/* Findings outlive the file's arena: their strings go to the result's. */
static struct mvm_loc keep_loc(struct mvm_lint_result *r, struct mvm_loc l)
{
	if (l.file)
		l.file = mvm_arena_strdup(r->a, l.file);
	return l;
}

static void vadd(struct lint_file *lf, enum mvm_lint_id id, enum mvm_lint_severity sev, struct mvm_loc loc,
		 struct mvm_loc related, const char *fmt, va_list ap)
{
	if (!lint_enabled(lf, id))
		return;
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!loc.file)
		loc = (struct mvm_loc){ lf->path, 0, 0 };
	struct mvm_lint_finding *f = push(lf->res);
	if (!f)
		return;
	f->rule = id;
	f->severity = sev;
	f->loc = keep_loc(lf->res, loc);
	f->related = keep_loc(lf->res, related);
	f->message = mvm_arena_strdup(lf->res->a, msg);
	f->input = lf->input;
	if (!f->message || (loc.file && !f->loc.file))
		lf->res->n--;
}

void lint_add(struct lint_file *lf, enum mvm_lint_id id, struct mvm_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(lf, id, mvm_lint_rules[id].severity, loc, (struct mvm_loc){ 0 }, fmt, ap);
	va_end(ap);
}

void lint_add_full(struct lint_file *lf, enum mvm_lint_id id, enum mvm_lint_severity sev, struct mvm_loc loc,
		   struct mvm_loc related, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(lf, id, sev, loc, related, fmt, ap);
	va_end(ap);
}

/* ---- compiler diagnostics -> findings ---- */

/* Compile errors that one of the rules explains better. */
static enum mvm_lint_id classify(const char *msg)
{
	static const struct {
		const char *needle;
		enum mvm_lint_id id;
	} table[] = {
		{ "on the 32-bit argument", MVM_LINT_ARG_WIDTH },
		{ "is wider than the 32-bit argument", MVM_LINT_ARG_WIDTH },
		{ "may match the same calls as the rule at", MVM_LINT_OVERLAP },
		{ "a conditional rule followed by the rule at", MVM_LINT_OVERLAP },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strstr(msg, table[i].needle))
			return table[i].id;
	return MVM_LINT_COMPILE;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* One line of lib/diag.c's output: `PROG: [FILE[:LINE:COL]: ]KIND: MESSAGE`. */
static bool parse_diag_line(char *line, struct mvm_loc *loc, enum mvm_lint_severity *sev, const char **msg)
{
	static const char prefix[] = "mvmc: ";
	if (strncmp(line, prefix, sizeof(prefix) - 1) != 0)
		return false;
	char *rest = line + sizeof(prefix) - 1;
	static const struct {
		const char *kind;
		enum mvm_lint_severity sev;
	} kinds[] = { { "error: ", MVM_LINT_ERROR }, { "warning: ", MVM_LINT_WARNING }, { "note: ", MVM_LINT_NOTE } };
	*loc = (struct mvm_loc){ 0 };
	for (size_t k = 0; k < 3; k++) {
		size_t kl = strlen(kinds[k].kind);
		if (strncmp(rest, kinds[k].kind, kl) == 0) {
			*sev = kinds[k].sev;
			*msg = rest + kl;
			return true;
		}
		char pat[16];
		snprintf(pat, sizeof(pat), ": %s", kinds[k].kind);
		char *at = strstr(rest, pat);
		if (!at)
			continue;
		*at = 0;
		*sev = kinds[k].sev;
		*msg = at + strlen(pat);
		char *c2 = strrchr(rest, ':');
		char *c1 = NULL;
		if (c2) {
			*c2 = 0;
			c1 = strrchr(rest, ':');
			*c2 = ':';
		}
		if (c1 && all_digits(c1 + 1, (size_t)(c2 - c1 - 1)) && all_digits(c2 + 1, strlen(c2 + 1))) {
			loc->line = atoi(c1 + 1);
			loc->col = atoi(c2 + 1);
			*c1 = 0;
		}
		loc->file = rest;
		return true;
	}
	return false;
}

/* "tier network" when file is the text of a tier in this profile's extends chain. */
static const char *tier_of(const struct lint_file *lf, const char *file)
{
	for (size_t l = 0; lf->p && file && l < lf->info.nlink; l++)
		if (strncmp(lf->info.origin[l], "tier ", 5) == 0 && strcmp(lf->info.spec[l]->file, file) == 0)
			return lf->info.origin[l];
	return NULL;
}

void lint_take_diags(struct lint_file *lf, char *text, int forced, struct mvm_loc secrets_loc)
{
	bool ceiling = forced == MVM_LINT_CEILING;
	if (!text)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mvm_loc loc;
		enum mvm_lint_severity sev;
		const char *msg;
		if (!parse_diag_line(line, &loc, &sev, &msg) || sev == MVM_LINT_NOTE)
			continue;
		if (!loc.file)
			loc = (struct mvm_loc){ lf->path, 0, 0 };
		enum mvm_lint_id id = forced < MVM_LINT_COUNT ? (enum mvm_lint_id)forced : classify(msg);
		/* MVM014 says it from the profile's own fields */
		if (ceiling && strncmp(msg, "secrets.release", 15) == 0 && secrets_loc.line == loc.line)
			continue;
		const char *tier = forced < MVM_LINT_COUNT ? tier_of(lf, loc.file) : NULL;
		if (tier) {
			/* A verdict on what a tier brings in belongs to the profile that chose the tier. */
			struct mvm_loc at = lint_own(lf, lf->p->extends_loc) ? lf->p->extends_loc : lint_file_loc(lf);
			lint_add_full(lf, id, sev, at, loc, "%s (%s, at %s:%d:%d)", msg, tier, loc.file, loc.line, loc.col);
			continue;
		}
		lint_add_full(lf, id, sev, loc, (struct mvm_loc){ 0 }, "%s", msg);
	}
}

/* Drops an overlap error the compiler reported when lint's own check said it (with both
 * locations) at the same place. */
static void drop_compiler_overlaps(struct lint_file *lf, size_t from_compiler, size_t to)
{
	struct mvm_lint_result *r = lf->res;
	size_t w = from_compiler;
	for (size_t i = from_compiler; i < r->n; i++) {
		struct mvm_lint_finding *f = &r->f[i];
		bool dup = false;
		if (i < to && f->rule == MVM_LINT_OVERLAP) {
			for (size_t j = to; j < r->n && !dup; j++) {
				const struct mvm_lint_finding *g = &r->f[j];
				dup = g->rule == MVM_LINT_OVERLAP &&
				      ((g->loc.line == f->loc.line && g->loc.col == f->loc.col && strcmp(g->loc.file, f->loc.file) == 0) ||
				       (g->related.file && g->related.line == f->loc.line && g->related.col == f->loc.col &&
					strcmp(g->related.file, f->loc.file) == 0));
			}
		}
		if (!dup)
			r->f[w++] = *f;
	}
	r->n = w;
}

/* ---- one file ---- */

static bool exists(const char *dir, const char *name, bool want_dir)
{
	char p[PATH_MAX];
	struct stat sb;
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p) || stat(p, &sb))
		return false;
	return want_dir ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode);
}

/* The stdlib directory a file belongs to (DIR/tiers/x.yaml or DIR/groups.yaml, with DIR holding
 * intents.yaml and tiers/), into root; false when it belongs to none. */
static bool stdlib_root_of(const char *path, char root[PATH_MAX])
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	char *dir = dirname(tmp);
	char dircopy[PATH_MAX];
	snprintf(dircopy, sizeof(dircopy), "%s", dir);
	if (exists(dircopy, "intents.yaml", false) && exists(dircopy, "tiers", true)) {
		snprintf(root, PATH_MAX, "%s", dircopy);
		return true;
	}
	char base[PATH_MAX];
	snprintf(base, sizeof(base), "%s", dircopy);
	if (strcmp(basename(base), "tiers") != 0)
		return false;
	char *up = dirname(dircopy);
	if (exists(up, "intents.yaml", false)) {
		snprintf(root, PATH_MAX, "%s", up);
		return true;
	}
	return false;
}

static bool is_stdlib_data(const char *path)
{
	static const char *const data[] = { "groups.yaml", "intents.yaml", "constants.yaml", "syscall-args.yaml",
					    "syscall-freq.yaml" };
	char tmp[PATH_MAX], root[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	const char *b = basename(tmp);
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		if (strcmp(b, data[i]) == 0) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof(dir), "%s", path);
			return stdlib_root_of(path, root) && strcmp(root, dirname(dir)) == 0;
		}
	return false;
}

int lint_capture_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->text, &c->len);
	if (!c->f)
		return -ENOMEM;
	mvm_diag_init(&c->d, "mvmc", c->f);
	c->d.caret = false;
	return 0;
}

char *lint_capture_text(struct capture *c)
{
	fflush(c->f);
	return c->text;
}

void lint_capture_close(struct capture *c)
{
	if (c->f)
		fclose(c->f);
	free(c->text);
	c->f = NULL;
	c->text = NULL;
}

/* The text of a line of a file the compile read (for fingerprints). */
static const char *source_line(const struct mvm_diag *d, const char *file, int line, size_t *len)
{
	*len = 0;
	for (size_t i = 0; d && i < d->nsource && line > 0; i++) {
		if (strcmp(d->source[i].file, file) != 0)
			continue;
		const char *p = d->source[i].text, *end = p + d->source[i].len;
		for (int l = 1; l < line && p < end; l++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			p = nl ? nl + 1 : end;
		}
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		while (eol > p && (eol[-1] == ' ' || eol[-1] == '\t' || eol[-1] == '\r'))
			eol--;
		*len = (size_t)(eol - p);
		return p;
	}
	return "";
}

/* The message with FILE:LINE:COL references and "line N" made position-free. */
static void normalize_message(const char *m, struct mvm_buf *out)
{
	for (const char *p = m; *p;) {
		if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
			const char *q = p + 1;
			while (*q >= '0' && *q <= '9')
				q++;
			if (*q == ':' && q[1] >= '0' && q[1] <= '9') {
				q++;
				while (*q >= '0' && *q <= '9')
					q++;
				mvm_buf_puts(out, ":_:_");
				p = q;
				continue;
			}
		}
		if (strncmp(p, "line ", 5) == 0 && p[5] >= '0' && p[5] <= '9') {
			p += 5;
			while (*p >= '0' && *p <= '9')
				p++;
			mvm_buf_puts(out, "line _");
			continue;
		}
		mvm_buf_put(out, p, 1);
		p++;
	}
}

static void fingerprint(struct lint_file *lf, const struct mvm_diag *d)
{
	struct mvm_lint_result *r = lf->res;
	for (size_t i = lf->first; i < r->n; i++) {
		struct mvm_lint_finding *f = &r->f[i];
		struct mvm_buf b = { 0 };
		size_t ll;
		const char *lt = source_line(d, f->loc.file, f->loc.line, &ll);
		mvm_buf_printf(&b, "%s", mvm_lint_rules[f->rule].id);
		mvm_buf_put(&b, "", 1);
		mvm_buf_puts(&b, f->loc.file);
		mvm_buf_put(&b, "", 1);
		normalize_message(f->message, &b);
		mvm_buf_put(&b, "", 1);
		mvm_buf_put(&b, lt, ll);
		/* the rank among earlier findings with the same key (in source order, which lines
		 * inserted elsewhere do not change) */
		size_t rank = 0;
		for (size_t j = lf->first; j < r->n; j++) {
			const struct mvm_lint_finding *g = &r->f[j];
			if (j == i || g->rule != f->rule || strcmp(g->loc.file, f->loc.file) != 0)
				continue;
			bool before = g->loc.line < f->loc.line || (g->loc.line == f->loc.line && (g->loc.col < f->loc.col ||
				      (g->loc.col == f->loc.col && j < i)));
			if (!before)
				continue;
			struct mvm_buf gb = { 0 }, fb = { 0 };
			normalize_message(g->message, &gb);
			normalize_message(f->message, &fb);
			size_t gl;
			const char *gt = source_line(d, g->loc.file, g->loc.line, &gl);
			if (gb.len == fb.len && !memcmp(gb.data, fb.data, gb.len) && gl == ll && !memcmp(gt, lt, ll))
				rank++;
			mvm_buf_free(&gb);
			mvm_buf_free(&fb);
		}
		mvm_buf_put(&b, "", 1);
		mvm_buf_printf(&b, "%zu", rank);
		char dg[MVM_DIGEST_STRLEN];
		if (!b.oom && mvm_sha256_str(b.data, b.len, dg) == 0)
			memcpy(f->fingerprint, dg + 7, 32);
		f->fingerprint[32] = 0;
		mvm_buf_free(&b);
	}
}

static int load_stdlib(struct lint_file *lf, struct mvm_diag *d, const char *root, const struct mvm_stdlib **out)
{
	const char *search[LINT_MAX_SEARCH];
	size_t n = 0;
	if (root)
		search[n++] = root;
	for (size_t i = 0; i < lf->opts->nsearch && n < LINT_MAX_SEARCH; i++)
		search[n++] = lf->opts->search[i];
	struct mvm_stdlib *st;
	int e = mvm_stdlib_load(lf->a, d, search, n, &st);
	*out = st;
	return e;
}

static int lint_profile(struct mvm_lint_result *res, const struct mvm_lint_opts *o, const char *path, size_t input)
{
	struct mvm_arena a;
	mvm_arena_init(&a, 256u << 20);
	struct lint_file lf = { .res = res, .opts = o, .a = &a, .input = input, .path = path, .first = res->n };
	struct capture cd, cc;
	if (lint_capture_open(&cd) || lint_capture_open(&cc)) {
		lint_capture_close(&cd);
		mvm_arena_free(&a);
		return -ENOMEM;
	}
	char *text;
	size_t len;
	int e = mvm_read_file(&a, path, MVM_YAML_MAX_BYTES, &text, &len);
	if (e) {
		if (e != -EFBIG)
			res->nio++;
		lint_add(&lf, MVM_LINT_COMPILE, (struct mvm_loc){ path, 0, 0 }, "cannot read profile: %s",
			 e == -EFBIG ? "file is larger than 1 MiB" : strerror(-e));
		goto done;
	}
	lf.text = text;
	lf.len = len;
	char root[PATH_MAX];
	bool has_root = stdlib_root_of(path, root);
	if (load_stdlib(&lf, &cd.d, has_root ? root : NULL, &lf.st) == 0) {
		e = mvm_compile_profile_lenient(&a, &cd.d, &cc.d, lf.st, path, 0, &lf.p, &lf.info);
		if (e == -ENOMEM) {
			lint_capture_close(&cd);
			lint_capture_close(&cc);
			mvm_arena_free(&a);
			return e;
		}
		lf.complete = lf.p && cd.d.errors == 0;
	}
	struct mvm_loc secrets_loc = lf.info.nlink ? lf.info.spec[0]->secrets_loc : (struct mvm_loc){ 0 };
	size_t compiler_from = res->n;
	lint_take_diags(&lf, lint_capture_text(&cd), MVM_LINT_COUNT, secrets_loc);
	lint_take_diags(&lf, lint_capture_text(&cc), MVM_LINT_CEILING, secrets_loc);
	size_t checks_from = res->n;
	if (lf.p) {
		lint_check_rules(&lf);
		lint_check_overlap(&lf);
		lint_check_filters(&lf);
		lint_check_posture(&lf);
	}
	drop_compiler_overlaps(&lf, compiler_from, checks_from);
done:
	lint_apply_suppressions(&lf);
	fingerprint(&lf, &cd.d);
	res->nfiles++;
	lint_capture_close(&cd);
	lint_capture_close(&cc);
	mvm_arena_free(&a);
	return 0;
}

/* A stdlib directory's data files are checked by loading that stdlib (and its frequency table). */
static int lint_stdlib_root(struct mvm_lint_result *res, const struct mvm_lint_opts *o, const char *root, size_t input)
{
	struct mvm_arena a;
	mvm_arena_init(&a, 256u << 20);
	char freqpath[PATH_MAX + 32];
	snprintf(freqpath, sizeof(freqpath), "%s/syscall-freq.yaml", root);
	struct lint_file lf = { .res = res, .opts = o, .a = &a, .input = input, .path = freqpath, .first = res->n };
	struct capture cd;
	if (lint_capture_open(&cd)) {
		mvm_arena_free(&a);
		return -ENOMEM;
	}
	const struct mvm_stdlib *st;
	load_stdlib(&lf, &cd.d, root, &st);
	char *text;
	size_t len;
	if (mvm_read_file(&a, freqpath, MVM_YAML_MAX_BYTES, &text, &len) == 0) {
		struct mvm_bpf_freq *fq;
		mvm_diag_add_source(&cd.d, mvm_arena_strdup(&a, freqpath), text, len);
		mvm_bpf_freq_parse(&a, &cd.d, freqpath, text, len, &fq);
	}
	lint_take_diags(&lf, lint_capture_text(&cd), MVM_LINT_COUNT, (struct mvm_loc){ 0 });
	fingerprint(&lf, &cd.d);
	lint_capture_close(&cd);
	mvm_arena_free(&a);
	return 0;
}

/* ---- paths ---- */

struct walk {
	struct mvm_lint_result *res;
	const struct mvm_lint_opts *o;
	size_t input;
	size_t nroots;
	char *roots[64];     /* stdlib directories already checked */
	size_t nwalked;
};

static int lint_file_path(struct walk *w, const char *path)
{
	if (!is_stdlib_data(path))
		return lint_profile(w->res, w->o, path, w->input);
	char root[PATH_MAX], real[PATH_MAX];
	stdlib_root_of(path, root);
	if (!realpath(root, real))
		snprintf(real, sizeof(real), "%s", root);
	w->res->nfiles++;
	for (size_t i = 0; i < w->nroots; i++)
		if (strcmp(w->roots[i], real) == 0)
			return 0;
	if (w->nroots < sizeof(w->roots) / sizeof(w->roots[0])) {
		w->roots[w->nroots] = mvm_arena_strdup(w->res->a, real);
		if (!w->roots[w->nroots])
			return -ENOMEM;
		w->nroots++;
	}
	return lint_stdlib_root(w->res, w->o, root, w->input);
}

static bool lintable_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".mvm") == 0);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void io_finding(struct walk *w, const char *path, int err)
{
	struct lint_file lf = { .res = w->res, .opts = w->o, .input = w->input, .path = path, .first = w->res->n };
	w->res->nio++;
	lint_add(&lf, MVM_LINT_COMPILE, (struct mvm_loc){ path, 0, 0 }, "cannot read: %s", strerror(err));
	fingerprint(&lf, NULL);
}

static int walk_dir(struct walk *w, const char *dir, int depth)
{
	if (depth > LINT_MAX_DEPTH)
		return 0;
	DIR *dh = opendir(dir);
	if (!dh) {
		io_finding(w, dir, errno);
		return 0;
	}
	size_t n = 0, cap = 64;
	char **names = malloc(cap * sizeof(*names));
	int e = names ? 0 : -ENOMEM;
	for (struct dirent *de; !e && (de = readdir(dh));) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, cap * 2 * sizeof(*names));
			if (!nn) {
				e = -ENOMEM;
				break;
			}
			names = nn;
			cap *= 2;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			e = -ENOMEM;
		else
			n++;
	}
	closedir(dh);
	if (!e)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !e; i++) {
		char p[PATH_MAX];
		size_t dl = strlen(dir);
		if ((size_t)snprintf(p, sizeof(p), "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]) >= sizeof(p))
			continue;
		struct stat sb;
		if (stat(p, &sb))
			continue;
		if (S_ISDIR(sb.st_mode)) {
			e = walk_dir(w, p, depth + 1);
		} else if (S_ISREG(sb.st_mode) && lintable_name(names[i])) {
			if (++w->nwalked > LINT_MAX_FILES)
				break;
			e = lint_file_path(w, p);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return e;
}

/* ---- order ---- */

static int cmp_loc(const struct mvm_lint_finding *a, const struct mvm_lint_finding *b)
{
	int c = strcmp(a->loc.file ? a->loc.file : "", b->loc.file ? b->loc.file : "");
	if (c)
		return c;
	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line ? -1 : 1;
	if (a->loc.col != b->loc.col)
		return a->loc.col < b->loc.col ? -1 : 1;
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	return strcmp(a->message, b->message);
}

static int cmp_dedupe(const void *x, const void *y)
{
	const struct mvm_lint_finding *a = x, *b = y;
	int c = cmp_loc(a, b);
	if (c)
		return c;
	return a->input < b->input ? -1 : a->input > b->input;
}

static int cmp_output(const void *x, const void *y)
{
	const struct mvm_lint_finding *a = x, *b = y;
	if (a->input != b->input)
		return a->input < b->input ? -1 : 1;
	return cmp_loc(a, b);
}

static void sort_and_dedupe(struct mvm_lint_result *r)
{
	if (r->n == 0)
		return;
	qsort(r->f, r->n, sizeof(*r->f), cmp_dedupe);
	size_t w = 1;
	for (size_t i = 1; i < r->n; i++)
		if (cmp_loc(&r->f[w - 1], &r->f[i]) != 0)
			r->f[w++] = r->f[i];
	r->n = w;
	qsort(r->f, r->n, sizeof(*r->f), cmp_output);
}

int mvm_lint_paths(struct mvm_arena *a, const struct mvm_lint_opts *o, const char *const *paths, size_t npaths,
		   struct mvm_lint_result *out)
{
	memset(out, 0, sizeof(*out));
	out->a = a;
	struct walk w = { .res = out, .o = o };
	int e = 0;
	for (size_t i = 0; i < npaths && !e; i++) {
		w.input = i;
		struct stat sb;
		if (stat(paths[i], &sb)) {
			io_finding(&w, paths[i], errno);
			continue;
		}
		e = S_ISDIR(sb.st_mode) ? walk_dir(&w, paths[i], 0) : lint_file_path(&w, paths[i]);
	}
	if (out->n && !out->f)
		return -ENOMEM;
	sort_and_dedupe(out);
	return e;
}

void mvm_lint_count(const struct mvm_lint_result *r, size_t counts[3], size_t *suppressed)
{
	counts[0] = counts[1] = counts[2] = 0;
	*suppressed = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->f[i].suppressed)
			(*suppressed)++;
		else
			counts[r->f[i].severity]++;
	}
}

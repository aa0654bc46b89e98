#include "spec_include.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_tree.h"

struct includer {
	struct mvm_arena *a;
	struct mvm_diag *d;
	const struct mvm_stdlib *st;
	const char *root;                             /* the real path of the profile's directory */
	size_t depth;
	const char *stack[MVM_MAX_INCLUDE_DEPTH + 1]; /* keys of the files being read: the profile, then includes */
	const char *shown[MVM_MAX_INCLUDE_DEPTH + 1]; /* their names, for messages */
	size_t nseen;
	const char **seen;                            /* keys of every file imported so far */
	size_t nconst, ngroup, capconst, capgroup;
	struct mvm_spec_const *constant;
	struct mvm_spec_group *group;
};

static const char *key_of(struct includer *in, const char *path)
{
	char real[PATH_MAX];
	return mvm_arena_strdup(in->a, realpath(path, real) ? real : path);
}

static bool seen(const struct includer *in, const char *key)
{
	for (size_t i = 0; i < in->nseen; i++)
		if (strcmp(in->seen[i], key) == 0)
			return true;
	return false;
}

static int mark_seen(struct includer *in, const char *key)
{
	const char **n = mvm_arena_array(in->a, in->nseen + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	if (in->nseen)
		memcpy(n, in->seen, in->nseen * sizeof(*n));
	n[in->nseen++] = key;
	in->seen = n;
	return 0;
}

static int add_const(struct includer *in, const struct mvm_spec_const *c)
{
	for (size_t i = 0; i < in->nconst; i++) {
		const struct mvm_sym *first = &in->constant[i].name;
		if (strcmp(first->name, c->name.name) == 0) {
			mvm_diag_error(in->d, c->name.loc.file, c->name.loc.line, c->name.loc.col, "constant '%s' redefined",
				       c->name.name);
			mvm_diag_note(in->d, first->loc.file, first->loc.line, first->loc.col, "'%s' was first defined here",
				      first->name);
			return -EINVAL;
		}
	}
	if (in->nconst == in->capconst) {
		size_t ncap = in->capconst ? 2 * in->capconst : 16;
		struct mvm_spec_const *n = mvm_arena_array(in->a, ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		if (in->nconst)
			memcpy(n, in->constant, in->nconst * sizeof(*n));
		in->constant = n;
		in->capconst = ncap;
	}
	in->constant[in->nconst++] = *c;
	return 0;
}

static int add_group(struct includer *in, const struct mvm_spec_group *g)
{
	for (size_t i = 0; i < in->ngroup; i++) {
		const struct mvm_sym *first = &in->group[i].name;
		if (strcmp(first->name, g->name.name) == 0) {
			mvm_diag_error(in->d, g->name.loc.file, g->name.loc.line, g->name.loc.col, "group '@%s' redefined",
				       g->name.name);
			mvm_diag_note(in->d, first->loc.file, first->loc.line, first->loc.col, "'@%s' was first defined here",
				      first->name);
			return -EINVAL;
		}
	}
	if (in->ngroup == in->capgroup) {
		size_t ncap = in->capgroup ? 2 * in->capgroup : 16;
		struct mvm_spec_group *n = mvm_arena_array(in->a, ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		if (in->ngroup)
			memcpy(n, in->group, in->ngroup * sizeof(*n));
		in->group = n;
		in->capgroup = ncap;
	}
	in->group[in->ngroup++] = *g;
	return 0;
}

/* A library declares names and nothing else: a profile's rules or settings in an included
 * file would silently change the including profile. */
static const char *profile_content(const struct mvm_spec *s)
{
	if (s->name.name || s->intent.name || s->extends.name)
		return "a name, intent or extends";
	if (s->arch_mask || s->has_default || s->nrule || s->at[MVM_AT_SECCOMP].line)
		return "seccomp settings";
	if (s->egress.present)
		return "egress rules";
	if (s->fs.nshare || s->fs.rootfs || s->fs.root_writable || s->at[MVM_AT_FILESYSTEM].line)
		return "filesystem settings";
	if (s->has_uid || s->has_gid || s->ncap || s->at[MVM_AT_PROCESS].line)
		return "process settings";
	if (s->has_secrets || s->ntool || s->nlabel || s->valid_for_s || s->at[MVM_AT_PROFILE].line)
		return "profile settings";
	return NULL;
}

/* An absolute name or a '..' component: the include would leave the profile's directory. */
static bool leaves_tree(const char *name)
{
	if (name[0] == '/')
		return true;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n + (p[n] == '/');
	}
	return false;
}

/* Includes stay inside the profile's own directory tree (or come from the stdlib search path):
 * otherwise a profile under review could make mvmc read, and quote in its messages, any file
 * its user can read. A symlink in the tree that points outside it is refused the same way. */
static int check_inside(struct includer *in, const struct mvm_sym *inc, const char *path)
{
	const char *why = NULL;
	char real[PATH_MAX];
	if (leaves_tree(inc->name)) {
		why = "an absolute path or '..'";
	} else if (in->root && realpath(path, real)) {
		size_t n = strlen(in->root);
		if (strncmp(real, in->root, n) != 0 || (real[n] != '/' && strcmp(in->root, "/") != 0))
			why = "a symbolic link to a file outside it";
	}
	if (!why)
		return 0;
	mvm_diag_error(in->d, inc->loc.file, inc->loc.line, inc->loc.col,
		       "include '%s' leaves the profile's directory (%s); put the library beside the profile or "
		       "in the stdlib search path (-I, MVMC_PATH)", inc->name, why);
	return -EINVAL;
}

/* Reads the included file: beside the including file, then through the stdlib search path. */
static int read_included(struct includer *in, const struct mvm_spec *from, const struct mvm_sym *inc,
			 const char **display, const char **key, const char **text, size_t *len)
{
	char *t;
	int e;
	*key = NULL;
	if (leaves_tree(inc->name))
		return check_inside(in, inc, inc->name);
	char *dir = mvm_arena_strdup(in->a, from->file);
	if (!dir)
		return -ENOMEM;
	const char *d = dirname(dir);
	*display = strcmp(d, ".") == 0 ? inc->name : mvm_arena_printf(in->a, "%s/%s", d, inc->name);
	if (!*display)
		return -ENOMEM;
	if ((e = check_inside(in, inc, *display)) != 0)
		return e;
	e = mvm_read_file(in->a, *display, MVM_YAML_MAX_BYTES, &t, len);
	if (e == 0) {
		*text = t;
		*key = key_of(in, *display);
		return *key ? 0 : -ENOMEM;
	}
	if (e == -ENOENT && inc->name[0] != '/' &&
	    mvm_stdlib_read(in->st, in->a, inc->name, text, len, display) == 0) {
		*key = key_of(in, *display);
		return *key ? 0 : -ENOMEM;
	}
	const char *why = e == -EFBIG ? "file is larger than 1 MiB" : strerror(-e);
	mvm_diag_error(in->d, inc->loc.file, inc->loc.line, inc->loc.col,
		       "cannot read include '%s': %s (looked beside '%s' and in the stdlib search path)", inc->name, why,
		       from->file);
	return -EINVAL;
}

static int include_all(struct includer *in, const struct mvm_spec *from)
{
	int bad = 0;
	for (size_t i = 0; i < from->ninclude; i++) {
		const struct mvm_sym *inc = &from->include[i];
		const char *display, *key, *text;
		size_t len;
		int e = read_included(in, from, inc, &display, &key, &text, &len);
		if (e == -ENOMEM)
			return e;
		if (e) {
			bad = e;
			continue;
		}
		for (size_t k = 0; k < in->depth; k++) {
			if (strcmp(in->stack[k], key) == 0) {
				char chain[1024] = "";
				for (size_t j = k; j < in->depth; j++) {
					size_t used = strlen(chain);
					snprintf(chain + used, sizeof(chain) - used, "%s -> ", in->shown[j]);
				}
				size_t used = strlen(chain);
				snprintf(chain + used, sizeof(chain) - used, "%s", display);
				mvm_diag_error(in->d, inc->loc.file, inc->loc.line, inc->loc.col, "include cycle: %s", chain);
				return -EINVAL;
			}
		}
		if (seen(in, key))
			continue; /* reached twice through different files: imported once */
		if (in->depth == MVM_MAX_INCLUDE_DEPTH + 1) {
			mvm_diag_error(in->d, inc->loc.file, inc->loc.line, inc->loc.col,
				       "includes nest deeper than %d levels ('%s' would be level %d)", MVM_MAX_INCLUDE_DEPTH,
				       inc->name, MVM_MAX_INCLUDE_DEPTH + 1);
			return -EINVAL;
		}
		if (mark_seen(in, key))
			return -ENOMEM;
		mvm_diag_add_source(in->d, display, text, len);
		struct mvm_spec *lib;
		e = mvm_load_spec(in->a, in->d, display, text, len, &lib);
		if (e == -ENOMEM)
			return e;
		if (e) {
			bad = -EINVAL;
			continue;
		}
		const char *what = profile_content(lib);
		if (what) {
			mvm_diag_error(in->d, inc->loc.file, inc->loc.line, inc->loc.col,
				       "'%s' has %s: an included file may only declare constants, groups and includes",
				       inc->name, what);
			bad = -EINVAL;
			continue;
		}
		in->stack[in->depth] = key;
		in->shown[in->depth++] = display;
		e = include_all(in, lib);
		in->depth--;
		if (e == -ENOMEM)
			return e;
		if (e)
			bad = e;
		for (size_t k = 0; k < lib->nconst; k++)
			if ((e = add_const(in, &lib->constant[k])))
				bad = e;
		for (size_t k = 0; k < lib->ngroup; k++)
			if ((e = add_group(in, &lib->group[k])))
				bad = e;
		if (bad == -ENOMEM)
			return bad;
	}
	return bad;
}

int mvm_spec_include(struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st, struct mvm_spec *spec)
{
	if (!spec->ninclude)
		return 0;
	struct includer in = { .a = a, .d = d, .st = st };
	char *dir = mvm_arena_strdup(a, spec->file), real[PATH_MAX];
	if (!dir)
		return -ENOMEM;
	if (realpath(dirname(dir), real) && !(in.root = mvm_arena_strdup(a, real)))
		return -ENOMEM;
	const char *key = key_of(&in, spec->file);
	if (!key || mark_seen(&in, key))
		return -ENOMEM;
	in.stack[0] = key;
	in.shown[0] = spec->file;
	in.depth = 1;
	int bad = 0, e;
	for (size_t i = 0; i < spec->nconst; i++)
		if ((e = add_const(&in, &spec->constant[i])))
			bad = e;
	for (size_t i = 0; i < spec->ngroup; i++)
		if ((e = add_group(&in, &spec->group[i])))
			bad = e;
	e = include_all(&in, spec);
	if (e == -ENOMEM || bad == -ENOMEM)
		return -ENOMEM;
	spec->nconst = in.nconst;
	spec->constant = in.constant;
	spec->ngroup = in.ngroup;
	spec->group = in.group;
	return bad ? bad : e;
}

#include "stdlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yaml_tree.h"

const char *const mvm_tier_names[MVM_TIER_COUNT] = { "essential", "minimal", "standard", "network", "unrestricted" };

int mvm_tier_index(const char *name)
{
	for (int i = 0; i < MVM_TIER_COUNT; i++)
		if (strcmp(name, mvm_tier_names[i]) == 0)
			return i;
	return -1;
}

#define ERR(d, n, ...) (mvm_diag_error((d), (n)->file, (n)->line, (n)->col, __VA_ARGS__), -EINVAL)

int mvm_read_file(struct mvm_arena *a, const char *path, size_t max, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	char *buf = mvm_arena_alloc(a, (size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* A file that grows under us is read up to its size at open; more bytes mean a race. */
	char extra;
	if (read(fd, &extra, 1) > 0) {
		r = -EFBIG;
		goto out;
	}
	buf[got] = 0;
	*text = buf;
	*len = got;
out:
	close(fd);
	return r;
}

int mvm_stdlib_read(const struct mvm_stdlib *st, struct mvm_arena *a, const char *rel, const char **text,
		    size_t *len, const char **display)
{
	for (size_t i = 0; i < st->nsearch; i++) {
		char *path = mvm_arena_printf(a, "%s/%s", st->search[i], rel);
		char *t;
		if (!path)
			return -ENOMEM;
		int r = mvm_read_file(a, path, MVM_YAML_MAX_BYTES, &t, len);
		if (r == 0) {
			*text = t;
			*display = path;
			return 0;
		}
		if (r != -ENOENT)
			return r;
	}
	for (size_t i = 0; i < mvm_embedded_stdlib_count; i++) {
		if (strcmp(mvm_embedded_stdlib[i].path, rel) == 0) {
			*text = mvm_embedded_stdlib[i].data;
			*len = mvm_embedded_stdlib[i].len;
			*display = mvm_arena_printf(a, "<stdlib>/%s", rel);
			return *display ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

static const struct ynode *get(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->item[2 * i]->str, key) == 0)
			return map->item[2 * i + 1];
	return NULL;
}

/* Loads one stdlib file and returns the value of its single section key. */
static int load_section(struct mvm_stdlib *st, struct mvm_arena *a, struct mvm_diag *d, const char *rel,
			const char *section, const struct ynode **out)
{
	const char *text, *display;
	size_t len;
	int r = mvm_stdlib_read(st, a, rel, &text, &len, &display);
	if (r) {
		mvm_diag_error(d, NULL, 0, 0, "stdlib file %s: %s", rel, strerror(-r));
		return r;
	}
	mvm_diag_add_source(d, display, text, len);
	struct ynode *root;
	if (mvm_yaml_parse(a, d, display, text, len, &root) || ynode_expect(d, root, Y_MAP, rel))
		return -EINVAL;
	const struct ynode *sec = NULL;
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->item[2 * i];
		if (strcmp(k->str, "mvm") == 0)
			continue;
		if (strcmp(k->str, section) != 0)
			return ERR(d, k, "unknown key '%s' (expected 'mvm' and '%s')", k->str, section);
		sec = root->item[2 * i + 1];
	}
	if (!sec)
		return ERR(d, root, "missing '%s'", section);
	if (ynode_expect(d, sec, Y_MAP, section))
		return -EINVAL;
	*out = sec;
	return 0;
}

static int sym_list(struct mvm_arena *a, struct mvm_diag *d, const struct ynode *n, struct mvm_sym **out,
		    size_t *count)
{
	if (ynode_expect(d, n, Y_SEQ, "syscall list"))
		return -EINVAL;
	*out = mvm_arena_array(a, n->n ? n->n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		if (ynode_expect(d, n->item[i], Y_SCALAR, "syscall"))
			return -EINVAL;
		(*out)[i].name = n->item[i]->str;
		(*out)[i].loc = (struct mvm_loc){ n->item[i]->file, n->item[i]->line, n->item[i]->col };
	}
	*count = n->n;
	return 0;
}

static int load_groups(struct mvm_stdlib *st, struct mvm_arena *a, struct mvm_diag *d)
{
	const struct ynode *sec;
	if (load_section(st, a, d, "groups.yaml", "groups", &sec))
		return -EINVAL;
	st->ngroup = sec->n;
	st->group = mvm_arena_array(a, sec->n ? sec->n : 1, sizeof(*st->group));
	if (!st->group)
		return -ENOMEM;
	for (size_t i = 0; i < sec->n; i++) {
		const struct ynode *k = sec->item[2 * i], *v = sec->item[2 * i + 1];
		struct mvm_group *g = &st->group[i];
		g->name = k->str;
		g->loc = (struct mvm_loc){ k->file, k->line, k->col };
		if (ynode_expect(d, v, Y_MAP, "group"))
			return -EINVAL;
		for (size_t j = 0; j < v->n; j++) {
			const struct ynode *gk = v->item[2 * j], *gv = v->item[2 * j + 1];
			const struct mvm_arch *ar = mvm_arch_by_name(gk->str);
			if (strcmp(gk->str, "doc") == 0) {
				if (ynode_expect(d, gv, Y_SCALAR, "doc"))
					return -EINVAL;
				g->doc = gv->str;
			} else if (strcmp(gk->str, "syscalls") == 0) {
				if (sym_list(a, d, gv, &g->sys[0], &g->nsys[0]))
					return -EINVAL;
			} else if (ar) {
				if (sym_list(a, d, gv, &g->sys[1 + ar->id], &g->nsys[1 + ar->id]))
					return -EINVAL;
			} else {
				return ERR(d, gk, "unknown key '%s' in group (expected doc, syscalls, x86_64, aarch64)", gk->str);
			}
		}
	}
	return 0;
}

static int load_intents(struct mvm_stdlib *st, struct mvm_arena *a, struct mvm_diag *d)
{
	const struct ynode *sec;
	if (load_section(st, a, d, "intents.yaml", "intents", &sec))
		return -EINVAL;
	st->nintent = sec->n;
	st->intent = mvm_arena_array(a, sec->n ? sec->n : 1, sizeof(*st->intent));
	if (!st->intent)
		return -ENOMEM;
	for (size_t i = 0; i < sec->n; i++) {
		const struct ynode *k = sec->item[2 * i], *v = sec->item[2 * i + 1];
		struct mvm_intent *in = &st->intent[i];
		in->name = k->str;
		in->loc = (struct mvm_loc){ k->file, k->line, k->col };
		if (ynode_expect(d, v, Y_MAP, "intent"))
			return -EINVAL;
		const struct ynode *mt = get(v, "max-tier"), *eg = get(v, "egress"), *se = get(v, "secrets"),
				  *doc = get(v, "doc");
		if (!mt || !eg || !se)
			return ERR(d, v, "intent '%s': needs max-tier, egress and secrets", in->name);
		for (size_t j = 0; j < v->n; j++) {
			const char *kk = v->item[2 * j]->str;
			if (strcmp(kk, "max-tier") && strcmp(kk, "egress") && strcmp(kk, "secrets") && strcmp(kk, "doc"))
				return ERR(d, v->item[2 * j], "unknown key '%s' in intent", kk);
		}
		if (ynode_expect(d, mt, Y_SCALAR, "max-tier") || ynode_expect(d, eg, Y_SCALAR, "egress") ||
		    ynode_expect(d, se, Y_SCALAR, "secrets"))
			return -EINVAL;
		in->doc = doc && doc->kind == Y_SCALAR ? doc->str : "";
		in->max_tier = mvm_tier_index(mt->str);
		if (in->max_tier < 0)
			return ERR(d, mt, "unknown tier '%s'", mt->str);
		if (strcmp(eg->str, "deny") == 0)
			in->egress_allowed = false;
		else if (strcmp(eg->str, "allowlist") == 0)
			in->egress_allowed = true;
		else
			return ERR(d, eg, "egress: '%s' (expected deny or allowlist)", eg->str);
		if (strcmp(se->str, "none") == 0)
			in->max_secrets = MVM_SECRETS_NONE;
		else if (strcmp(se->str, "attestation-bound") == 0)
			in->max_secrets = MVM_SECRETS_ATTESTATION_BOUND;
		else if (strcmp(se->str, "plan-bound") == 0)
			in->max_secrets = MVM_SECRETS_PLAN_BOUND;
		else
			return ERR(d, se, "secrets: '%s' (expected none, attestation-bound or plan-bound)", se->str);
	}
	return 0;
}

static int const_value(struct mvm_diag *d, const struct ynode *n, uint64_t *out)
{
	int64_t v;
	/* Constants are stored as their 64-bit two's complement pattern. */
	if (ynode_int(d, n, "constant", INT64_MIN, INT64_MAX, &v)) {
		bool neg;
		uint64_t mag;
		if (n->kind == Y_SCALAR && mvm_parse_int(n->str, &neg, &mag) == 0 && !neg) {
			d->errors--; /* a large unsigned value is fine */
			*out = mag;
			return 0;
		}
		return -EINVAL;
	}
	*out = (uint64_t)v;
	return 0;
}

static int cmp_const(const void *x, const void *y)
{
	return strcmp(((const struct mvm_constant *)x)->name, ((const struct mvm_constant *)y)->name);
}

static int load_constants(struct mvm_stdlib *st, struct mvm_arena *a, struct mvm_diag *d)
{
	const struct ynode *sec;
	if (load_section(st, a, d, "constants.yaml", "constants", &sec))
		return -EINVAL;
	st->nconst = sec->n;
	st->constant = mvm_arena_array(a, sec->n ? sec->n : 1, sizeof(*st->constant));
	if (!st->constant)
		return -ENOMEM;
	for (size_t i = 0; i < sec->n; i++) {
		const struct ynode *k = sec->item[2 * i], *v = sec->item[2 * i + 1];
		struct mvm_constant *c = &st->constant[i];
		c->name = k->str;
		if (v->kind == Y_MAP) {
			c->per_arch = true;
			if (v->n != MVM_ARCH_COUNT)
				return ERR(d, v, "constant '%s': give a value for every architecture", c->name);
			for (size_t j = 0; j < v->n; j++) {
				const struct mvm_arch *ar = mvm_arch_by_name(v->item[2 * j]->str);
				if (!ar)
					return ERR(d, v->item[2 * j], "unknown architecture '%s'", v->item[2 * j]->str);
				if (const_value(d, v->item[2 * j + 1], &c->value[ar->id]))
					return -EINVAL;
			}
		} else {
			if (const_value(d, v, &c->value[0]))
				return -EINVAL;
			for (int j = 1; j < MVM_ARCH_COUNT; j++)
				c->value[j] = c->value[0];
		}
	}
	qsort(st->constant, st->nconst, sizeof(*st->constant), cmp_const);
	return 0;
}

static int parse_argdefs(struct mvm_diag *d, const struct ynode *list, struct mvm_argdef *out)
{
	if (ynode_expect(d, list, Y_SEQ, "argument list"))
		return -EINVAL;
	if (list->n > MVM_MAX_ARGS)
		return ERR(d, list, "more than %d arguments", MVM_MAX_ARGS);
	out->nargs = list->n;
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *it = list->item[i];
		if (ynode_expect(d, it, Y_SCALAR, "argument"))
			return -EINVAL;
		const char *colon = strrchr(it->str, ':');
		if (!colon)
			return ERR(d, it, "argument '%s': expected NAME:32, NAME:64 or NAME:ptr", it->str);
		if (strcmp(colon + 1, "32") == 0)
			out->width[i] = MVM_ARG_W32;
		else if (strcmp(colon + 1, "64") == 0)
			out->width[i] = MVM_ARG_W64;
		else if (strcmp(colon + 1, "ptr") == 0)
			out->width[i] = MVM_ARG_PTR;
		else
			return ERR(d, it, "argument '%s': width must be 32, 64 or ptr", it->str);
		/* The name is the text before the colon; the arena string is writable. */
		((char *)it->str)[colon - it->str] = 0;
		out->name[i] = it->str;
	}
	return 0;
}

static int load_args(struct mvm_stdlib *st, struct mvm_arena *a, struct mvm_diag *d)
{
	const struct ynode *sec;
	if (load_section(st, a, d, "syscall-args.yaml", "args", &sec))
		return -EINVAL;
	st->nargdef = sec->n;
	st->argdef_name = mvm_arena_array(a, sec->n ? sec->n : 1, sizeof(*st->argdef_name));
	st->argdef = mvm_arena_array(a, sec->n ? sec->n : 1, sizeof(*st->argdef));
	if (!st->argdef_name || !st->argdef)
		return -ENOMEM;
	for (size_t i = 0; i < sec->n; i++) {
		const struct ynode *k = sec->item[2 * i], *v = sec->item[2 * i + 1];
		st->argdef_name[i] = k->str;
		if (v->kind == Y_MAP) {
			for (size_t j = 0; j < v->n; j++) {
				const struct mvm_arch *ar = mvm_arch_by_name(v->item[2 * j]->str);
				if (!ar)
					return ERR(d, v->item[2 * j], "unknown architecture '%s'", v->item[2 * j]->str);
				if (parse_argdefs(d, v->item[2 * j + 1], &st->argdef[i][ar->id]))
					return -EINVAL;
			}
		} else {
			if (parse_argdefs(d, v, &st->argdef[i][0]))
				return -EINVAL;
			for (int j = 1; j < MVM_ARCH_COUNT; j++)
				st->argdef[i][j] = st->argdef[i][0];
		}
	}
	return 0;
}

int mvm_stdlib_load(struct mvm_arena *a, struct mvm_diag *d, const char *const *search, size_t nsearch,
		    struct mvm_stdlib **out)
{
	struct mvm_stdlib *st = mvm_arena_alloc(a, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->search = search;
	st->nsearch = nsearch;
	if (load_groups(st, a, d) || load_intents(st, a, d) || load_constants(st, a, d) || load_args(st, a, d))
		return -EINVAL;
	*out = st;
	return 0;
}

const struct mvm_group *mvm_stdlib_group(const struct mvm_stdlib *st, const char *name)
{
	for (size_t i = 0; i < st->ngroup; i++)
		if (strcmp(st->group[i].name, name) == 0)
			return &st->group[i];
	return NULL;
}

const struct mvm_intent *mvm_stdlib_intent(const struct mvm_stdlib *st, const char *name)
{
	for (size_t i = 0; i < st->nintent; i++)
		if (strcmp(st->intent[i].name, name) == 0)
			return &st->intent[i];
	return NULL;
}

const struct mvm_constant *mvm_stdlib_constant(const struct mvm_stdlib *st, const char *name)
{
	struct mvm_constant key = { .name = name };
	return bsearch(&key, st->constant, st->nconst, sizeof(key), cmp_const);
}

const struct mvm_argdef *mvm_stdlib_args(const struct mvm_stdlib *st, const char *syscall, enum mvm_arch_id arch)
{
	for (size_t i = 0; i < st->nargdef; i++)
		if (strcmp(st->argdef_name[i], syscall) == 0)
			return st->argdef[i][arch].nargs ? &st->argdef[i][arch] : NULL;
	return NULL;
}

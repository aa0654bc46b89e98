/* OCI / Docker seccomp JSON -> schema-1 YAML profile.
 *
 * Meaning kept: the entries that apply to the chosen capabilities and to each of mvm's
 * architectures (Docker's includes/excludes: every `includes.caps` must be held, no
 * `excludes.caps` may be; `minKernel` is taken as satisfied), the default action, and every
 * condition. Names unknown to an architecture are skipped on it, as libseccomp does; rules whose
 * action equals the default are dropped, as runc does. Conditions on a 32-bit argument compare
 * its low half, as everywhere in mvm (docs/profile.md); an ordering test on one becomes exact
 * masked tests, or, when only a few values are refused, "default action for these values" followed
 * by the unconditional action. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_oci.h"
#include "ir.h"

const char *const mvm_docker_default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
	"CAP_AUDIT_WRITE", NULL,
};

#define MAX_COMPLEMENT 16 /* refused values listed explicitly before a fallback rule */
#define U32MAX 0xffffffffull

enum oop { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MASKED_EQ };

struct ocond {
	unsigned index;
	enum oop op;
	uint64_t value, value_two;
};

struct oentry {
	size_t nname;
	const char **name;
	struct mvm_action act;
	size_t ncond;
	struct ocond cond[MVM_MAX_ARGS];
	unsigned arch_mask; /* the arches this entry applies to */
};

/* One rule of the output before merging: one syscall, one arch. */
struct orule {
	size_t group;        /* entries merge only within a group */
	const char *action;  /* "allow", "errno(1)", ... */
	const char *name;
	unsigned arch_mask;
	char *when;          /* NULL: unconditional; else the YAML flow list */
};

struct importer {
	struct mvm_diag *d;
	const struct mvm_stdlib *st;
	const char *file;
	const struct mvm_import_opts *o;
	unsigned arch_mask;
	struct mvm_action def;
	size_t nentry;
	struct oentry *entry;
	size_t nrule, caprule;
	struct orule *rule;
	size_t nskipped;
	const char *skipped[1024];
	int err;
};

/* jansson keeps no positions for values, so messages name the entry ("syscalls[3]") instead of
 * a line. */
__attribute__((format(printf, 2, 3))) static int ierr(struct importer *im, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mvm_diag_error(im->d, im->file, 0, 0, "%s", msg);
	im->err = -EINVAL;
	return -EINVAL;
}

/* ---- JSON ---- */

static const char *go_arch(enum mvm_arch_id a)
{
	return a == MVM_ARCH_X86_64 ? "amd64" : "arm64";
}

static bool in_list(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	if (!json_is_array(arr))
		return false;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static bool has_cap(const struct importer *im, const char *cap)
{
	for (size_t i = 0; i < im->o->ncap; i++)
		if (strcasecmp(im->o->cap[i], cap) == 0)
			return true;
	return false;
}

/* Docker's filter: which of our arches an entry applies to. */
static unsigned applies_to(const struct importer *im, const json_t *e)
{
	const json_t *inc = json_object_get(e, "includes"), *exc = json_object_get(e, "excludes");
	size_t i;
	json_t *v;
	unsigned mask = 0;
	if (json_is_object(exc)) {
		json_array_foreach(json_object_get(exc, "caps"), i, v)
			if (json_is_string(v) && has_cap(im, json_string_value(v)))
				return 0;
	}
	if (json_is_object(inc)) {
		json_array_foreach(json_object_get(inc, "caps"), i, v)
			if (!json_is_string(v) || !has_cap(im, json_string_value(v)))
				return 0;
	}
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(im->arch_mask & (1u << a)))
			continue;
		const json_t *ia = json_is_object(inc) ? json_object_get(inc, "arches") : NULL;
		const json_t *ea = json_is_object(exc) ? json_object_get(exc, "arches") : NULL;
		if (json_array_size(ea) && in_list(ea, go_arch((enum mvm_arch_id)a)))
			continue;
		if (json_array_size(ia) && !in_list(ia, go_arch((enum mvm_arch_id)a)))
			continue;
		mask |= 1u << a;
	}
	return mask;
}

static int parse_action(struct importer *im, const json_t *act, const json_t *errno_ret, struct mvm_action *out,
			const char *where)
{
	const char *s = json_string_value(act);
	if (!s)
		return ierr(im, "%s: 'action' must be a string", where);
	uint64_t en = 1; /* runc: SCMP_ACT_ERRNO without errnoRet is EPERM */
	if (errno_ret) {
		if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 1 || json_integer_value(errno_ret) > 4095)
			return ierr(im, "%s: errnoRet must be an integer in 1..4095", where);
		en = (uint64_t)json_integer_value(errno_ret);
	}
	static const struct { const char *name; enum mvm_action_kind kind; } map[] = {
		{ "SCMP_ACT_ALLOW", MVM_ACT_ALLOW }, { "SCMP_ACT_LOG", MVM_ACT_LOG },
		{ "SCMP_ACT_ERRNO", MVM_ACT_ERRNO }, { "SCMP_ACT_TRAP", MVM_ACT_TRAP },
		/* runc installs SCMP_ACT_KILL as kill-thread */
		{ "SCMP_ACT_KILL", MVM_ACT_KILL_THREAD }, { "SCMP_ACT_KILL_THREAD", MVM_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", MVM_ACT_KILL_PROCESS },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(s, map[i].name) == 0) {
			out->kind = map[i].kind;
			out->errno_val = map[i].kind == MVM_ACT_ERRNO ? (uint16_t)en : 0;
			return 0;
		}
	}
	if (strcmp(s, "SCMP_ACT_TRACE") == 0 || strcmp(s, "SCMP_ACT_NOTIFY") == 0)
		return ierr(im, "%s: action %s has no equivalent in mvm profiles (it needs a tracer or a listener)", where, s);
	return ierr(im, "%s: unknown action '%s'", where, s);
}

static int parse_cond(struct importer *im, const json_t *a, struct ocond *c, const char *where)
{
	static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
					   "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ" };
	const json_t *idx = json_object_get(a, "index"), *val = json_object_get(a, "value"),
		     *two = json_object_get(a, "valueTwo"), *op = json_object_get(a, "op");
	if (!json_is_object(a) || !json_is_integer(idx) || json_integer_value(idx) < 0 || json_integer_value(idx) > 5)
		return ierr(im, "%s: every args[] item needs an 'index' in 0..5", where);
	if (!json_is_string(op))
		return ierr(im, "%s: every args[] item needs an 'op'", where);
	c->index = (unsigned)json_integer_value(idx);
	/* jansson reads integers as signed 64-bit; the bits are what libseccomp compares */
	c->value = val ? (uint64_t)json_integer_value(val) : 0;
	c->value_two = two ? (uint64_t)json_integer_value(two) : 0;
	if ((val && !json_is_integer(val)) || (two && !json_is_integer(two)))
		return ierr(im, "%s: 'value' and 'valueTwo' must be integers", where);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(json_string_value(op), ops[i]) == 0) {
			c->op = (enum oop)i;
			return 0;
		}
	}
	return ierr(im, "%s: unknown op '%s'", where, json_string_value(op));
}

static int parse_entry(struct importer *im, size_t i, const json_t *e, struct oentry *out)
{
	char where[64];
	snprintf(where, sizeof(where), "syscalls[%zu]", i);
	if (!json_is_object(e))
		return ierr(im, "%s: expected an object", where);
	const json_t *names = json_object_get(e, "names"), *name = json_object_get(e, "name");
	const json_t *args = json_object_get(e, "args");
	if (names && name)
		return ierr(im, "%s: 'name' and 'names' are both set", where);
	size_t n = names ? json_array_size(names) : name ? 1 : 0;
	out->name = calloc(n ? n : 1, sizeof(*out->name));
	if (!out->name)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		const json_t *v = names ? json_array_get(names, k) : name;
		if (!json_is_string(v))
			return ierr(im, "%s: syscall names must be strings", where);
		out->name[out->nname++] = json_string_value(v);
	}
	if (parse_action(im, json_object_get(e, "action"), json_object_get(e, "errnoRet"), &out->act, where))
		return -EINVAL;
	if (args && !json_is_array(args))
		return ierr(im, "%s: 'args' must be a list", where);
	if (json_array_size(args) > MVM_MAX_ARGS)
		return ierr(im, "%s: more than 6 conditions", where);
	for (size_t k = 0; k < json_array_size(args); k++) {
		if (parse_cond(im, json_array_get(args, k), &out->cond[k], where))
			return -EINVAL;
		for (size_t j = 0; j < k; j++)
			if (out->cond[j].index == out->cond[k].index)
				return ierr(im, "%s: two conditions on one argument (runc ORs them, libseccomp ANDs them); "
						   "split the entry", where);
		out->ncond++;
	}
	out->arch_mask = applies_to(im, e);
	return 0;
}

static unsigned parse_arches(struct importer *im, const json_t *root)
{
	const json_t *archmap = json_object_get(root, "archMap"), *arches = json_object_get(root, "architectures");
	unsigned mask = 0;
	size_t i;
	json_t *v;
	if (!archmap && !arches)
		return (1u << MVM_ARCH_X86_64) | (1u << MVM_ARCH_AARCH64);
	json_array_foreach(archmap, i, v) {
		const char *a = json_string_value(json_object_get(v, "architecture"));
		for (int k = 0; a && k < MVM_ARCH_COUNT; k++)
			if (strcmp(a, mvm_arch_by_id((enum mvm_arch_id)k)->oci_name) == 0)
				mask |= 1u << k;
	}
	json_array_foreach(arches, i, v) {
		const char *a = json_string_value(v);
		for (int k = 0; a && k < MVM_ARCH_COUNT; k++)
			if (strcmp(a, mvm_arch_by_id((enum mvm_arch_id)k)->oci_name) == 0)
				mask |= 1u << k;
	}
	if (!mask)
		ierr(im, "no supported architecture (%s or %s) in the profile", "SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64");
	return mask;
}

/* ---- conditions ---- */

static bool fits32(uint64_t v)
{
	return (v >> 32) == 0 || ((v >> 32) == U32MAX && (v & 0x80000000u));
}

struct ivl {
	uint64_t lo, hi;
};

/* The low-half values satisfying a condition on a 32-bit argument, as intervals. False when
 * they are not a union of intervals. */
static bool cond32_intervals(const struct ocond *c, struct ivl *out, size_t *n)
{
	uint64_t v = c->value & U32MAX;
	bool fit = fits32(c->value);
	*n = 0;
	switch (c->op) {
	case OP_EQ:
		if (fit)
			out[(*n)++] = (struct ivl){ v, v };
		return true;
	case OP_NE:
		if (!fit) {
			out[(*n)++] = (struct ivl){ 0, U32MAX };
			return true;
		}
		if (v > 0)
			out[(*n)++] = (struct ivl){ 0, v - 1 };
		if (v < U32MAX)
			out[(*n)++] = (struct ivl){ v + 1, U32MAX };
		return true;
	case OP_LT:
		if (!fit)
			out[(*n)++] = (struct ivl){ 0, U32MAX };
		else if (v > 0)
			out[(*n)++] = (struct ivl){ 0, v - 1 };
		return true;
	case OP_LE:
		out[(*n)++] = (struct ivl){ 0, fit ? v : U32MAX };
		return true;
	case OP_GT:
		if (fit && v < U32MAX)
			out[(*n)++] = (struct ivl){ v + 1, U32MAX };
		return true;
	case OP_GE:
		if (fit)
			out[(*n)++] = (struct ivl){ v, U32MAX };
		return true;
	case OP_MASKED_EQ: {
		uint64_t m = c->value & U32MAX, w = c->value_two & U32MAX, low = ~m & U32MAX;
		if (low & (low + 1))
			return false;
		if (fits32(c->value_two) && !(w & ~m))
			out[(*n)++] = (struct ivl){ w, w | low };
		return true;
	}
	}
	return false;
}

static void put_num(struct mvm_buf *b, uint64_t v)
{
	if (v < 65536)
		mvm_buf_printf(b, "%llu", (unsigned long long)v);
	else
		mvm_buf_printf(b, "0x%llx", (unsigned long long)v);
}

/* Aligned power-of-two blocks covering [lo, hi], grouped by mask: one masked test per group. */
static size_t blocks(uint64_t lo, uint64_t hi, uint64_t *mask, uint64_t *val, size_t max)
{
	size_t n = 0;
	for (;;) {
		uint64_t size = 1;
		while (size <= U32MAX && (lo & (size * 2 - 1)) == 0 && lo + size * 2 - 1 <= hi)
			size *= 2;
		if (n == max)
			return n;
		mask[n] = ~(size - 1) & U32MAX;
		val[n++] = lo;
		if (lo + size - 1 >= hi)
			return n;
		lo += size;
	}
}

/* The alternatives of one condition as YAML flow mappings (an OR); "" is "always true". */
struct alts {
	size_t n;
	char *text[64];
};

static void alts_free(struct alts *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->text[i]);
	a->n = 0;
}

static int alt_push(struct alts *a, struct mvm_buf *b)
{
	if (b->oom || a->n == 64) {
		mvm_buf_free(b);
		return -ENOMEM;
	}
	mvm_buf_put(b, "", 1);
	a->text[a->n++] = b->data;
	return 0;
}

static int cond_alts(const struct ocond *c, const char *arg, bool w32, struct alts *out)
{
	static const char *const opname[] = { "eq", "ne", "lt", "le", "gt", "ge" };
	struct mvm_buf b = { 0 };
	out->n = 0;
	if (!w32 || c->op == OP_MASKED_EQ) {
		uint64_t m = c->value, v = c->value_two;
		if (c->op == OP_MASKED_EQ && w32) {
			m &= U32MAX;
			if (!fits32(v))
				return 0; /* never holds */
			v &= U32MAX;
		}
		if (c->op == OP_MASKED_EQ) {
			if (v & ~m)
				return 0;
			if (m == 0)
				return alt_push(out, &b); /* always holds */
			mvm_buf_printf(&b, "{arg: %s, mask: ", arg);
			put_num(&b, m);
			mvm_buf_puts(&b, ", eq: ");
			put_num(&b, v);
		} else {
			mvm_buf_printf(&b, "{arg: %s, %s: ", arg, opname[c->op]);
			put_num(&b, c->value);
		}
		mvm_buf_puts(&b, "}");
		return alt_push(out, &b);
	}
	if (c->op == OP_EQ) {
		if (!fits32(c->value))
			return 0;
		mvm_buf_printf(&b, "{arg: %s, eq: ", arg);
		put_num(&b, c->value & U32MAX);
		mvm_buf_puts(&b, "}");
		return alt_push(out, &b);
	}
	/* An ordering test on the low half: exact masked blocks, grouped by mask. */
	struct ivl iv[2];
	size_t ni;
	cond32_intervals(c, iv, &ni);
	uint64_t mask[128], val[128];
	size_t nb = 0;
	for (size_t i = 0; i < ni; i++)
		nb += blocks(iv[i].lo, iv[i].hi, mask + nb, val + nb, 64);
	for (size_t i = 0; i < nb; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = mask[j] == mask[i];
		if (seen)
			continue;
		if (mask[i] == 0)
			return alt_push(out, &b);
		size_t cnt = 0;
		for (size_t j = i; j < nb; j++)
			cnt += mask[j] == mask[i];
		mvm_buf_printf(&b, "{arg: %s, ", arg);
		if (mask[i] != U32MAX) {
			mvm_buf_puts(&b, "mask: ");
			put_num(&b, mask[i]);
			mvm_buf_puts(&b, ", ");
		}
		mvm_buf_puts(&b, cnt == 1 ? "eq: " : "in: [");
		const char *sep = "";
		for (size_t j = i; j < nb; j++) {
			if (mask[j] != mask[i])
				continue;
			mvm_buf_puts(&b, sep);
			put_num(&b, val[j]);
			sep = ", ";
		}
		mvm_buf_puts(&b, cnt == 1 ? "}" : "]}");
		if (alt_push(out, &b))
			return -ENOMEM;
		memset(&b, 0, sizeof(b));
	}
	return 0;
}

/* Argument name and width for index i of a syscall on one arch; NULL when it has no such argument. */
static const char *arg_name(const struct importer *im, const char *sys, enum mvm_arch_id a, unsigned i, bool *w32,
			    char *buf, size_t len)
{
	const struct mvm_argdef *ad = mvm_stdlib_args(im->st, sys, a);
	*w32 = false;
	if (!ad) {
		snprintf(buf, len, "arg%u", i);
		return buf;
	}
	if (i >= ad->nargs)
		return NULL;
	*w32 = ad->width[i] == MVM_ARG_W32;
	return ad->name[i];
}

/* ---- rules ---- */

static const char *action_text(struct mvm_action a, char *buf, size_t len)
{
	if (a.kind == MVM_ACT_ERRNO && a.errno_val == 1)
		return "errno(EPERM)";
	return mvm_action_name(a, buf, len);
}

static int rule_push(struct importer *im, size_t group, struct mvm_action act, const char *name, unsigned mask, char *when)
{
	if (im->nrule == im->caprule) {
		size_t cap = im->caprule ? im->caprule * 2 : 512;
		struct orule *r = realloc(im->rule, cap * sizeof(*r));
		if (!r) {
			free(when);
			return -ENOMEM;
		}
		im->rule = r;
		im->caprule = cap;
	}
	char buf[32];
	const char *t = action_text(act, buf, sizeof(buf));
	/* action texts are either static or in buf; keep a copy of the latter */
	char *copy = strdup(t);
	if (!copy) {
		free(when);
		return -ENOMEM;
	}
	im->rule[im->nrule++] = (struct orule){ group, copy, name, mask, when };
	return 0;
}

/* The conditional entries for one syscall on one arch, when they all test one 32-bit argument
 * for one action: the values they accept. *ok is false when the shortcut does not apply. */
static int accepted_values(const struct importer *im, const char *sys, enum mvm_arch_id a, struct ivl *acc, size_t *nacc,
			   struct mvm_action *act, unsigned *index, bool *ok)
{
	*ok = false;
	*nacc = 0;
	bool first = true;
	for (size_t i = 0; i < im->nentry; i++) {
		const struct oentry *e = &im->entry[i];
		if (!(e->arch_mask & (1u << a)) || mvm_action_eq(e->act, im->def))
			continue;
		bool named = false;
		for (size_t k = 0; k < e->nname && !named; k++)
			named = strcmp(e->name[k], sys) == 0;
		if (!named)
			continue;
		if (e->ncond != 1)
			return 0;
		if (first) {
			*act = e->act;
			*index = e->cond[0].index;
			first = false;
		} else if (!mvm_action_eq(*act, e->act) || *index != e->cond[0].index) {
			return 0;
		}
		bool w32;
		char buf[16];
		if (!arg_name(im, sys, a, e->cond[0].index, &w32, buf, sizeof(buf)) || !w32)
			return 0;
		struct ivl iv[2];
		size_t ni;
		if (!cond32_intervals(&e->cond[0], iv, &ni))
			return 0;
		for (size_t k = 0; k < ni; k++) {
			if (*nacc == 256)
				return 0;
			acc[(*nacc)++] = iv[k];
		}
	}
	*ok = !first;
	return 0;
}

static int cmp_ivl(const void *x, const void *y)
{
	const struct ivl *a = x, *b = y;
	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* When the accepted values are a few single values: one rule with an `in` list. Returns 1 when
 * it emitted the rule, 0 when it does not apply. */
static int accepted_list(struct importer *im, size_t group, const char *sys, enum mvm_arch_id a, const char *arg,
			 const struct ivl *acc, size_t n, struct mvm_action act)
{
	struct mvm_buf b = { 0 };
	size_t count = 0;
	if (n == 0)
		return 1; /* no value is accepted: the default decides, as with no rule (never `in: []`) */
	for (size_t i = 0; i < n; i++)
		if (acc[i].lo != acc[i].hi || ++count > 64)
			return 0;
	mvm_buf_printf(&b, "[{arg: %s, %s", arg, count == 1 ? "eq: " : "in: [");
	uint64_t last = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && acc[i].lo == last)
			continue;
		mvm_buf_puts(&b, i ? ", " : "");
		put_num(&b, acc[i].lo);
		last = acc[i].lo;
	}
	mvm_buf_puts(&b, count == 1 ? "}]" : "]}]");
	mvm_buf_put(&b, "", 1);
	if (b.oom || rule_push(im, group, act, sys, 1u << a, b.data))
		return -ENOMEM;
	return 1;
}

/* Tries "default action for the few refused values, then the action for the rest". Returns 1
 * when it emitted the rules, 0 when it does not apply. */
static int complement_rules(struct importer *im, size_t group, const char *sys, enum mvm_arch_id a)
{
	struct ivl acc[256];
	size_t n = 0;
	struct mvm_action act = { MVM_ACT_ALLOW, 0 };
	unsigned index = 0;
	bool ok = false;
	accepted_values(im, sys, a, acc, &n, &act, &index, &ok);
	if (!ok)
		return 0;
	qsort(acc, n, sizeof(acc[0]), cmp_ivl);
	uint64_t refused[MAX_COMPLEMENT];
	size_t nr = 0;
	uint64_t next = 0; /* first value not yet known to be accepted */
	bool done = false;
	for (size_t i = 0; i <= n && !done; i++) {
		uint64_t lo = i < n ? acc[i].lo : U32MAX + 1;
		for (uint64_t v = next; v < lo; v++) {
			if (nr == MAX_COMPLEMENT) {
				nr++; /* too many refused values: list the accepted ones, if they are few */
				break;
			}
			refused[nr++] = v;
		}
		if (i < n && acc[i].hi + 1 > next)
			next = acc[i].hi + 1;
		done = next > U32MAX || nr > MAX_COMPLEMENT;
	}
	bool w32;
	char buf[16];
	const char *arg = arg_name(im, sys, a, index, &w32, buf, sizeof(buf));
	struct mvm_buf b = { 0 };
	if (nr == MAX_COMPLEMENT + 1)
		return accepted_list(im, group, sys, a, arg, acc, n, act);
	if (nr) {
		mvm_buf_printf(&b, "[{arg: %s, in: [", arg);
		for (size_t i = 0; i < nr; i++) {
			mvm_buf_puts(&b, i ? ", " : "");
			put_num(&b, refused[i]);
		}
		mvm_buf_puts(&b, "]}]");
		mvm_buf_put(&b, "", 1);
		if (b.oom || rule_push(im, group, im->def, sys, 1u << a, b.data))
			return -ENOMEM;
	}
	/* with the other deferred fallbacks, so that it stays after the refused values */
	if (rule_push(im, im->nentry, act, sys, 1u << a, NULL))
		return -ENOMEM;
	return 1;
}

static bool has_conditional(const struct importer *im, const char *sys, enum mvm_arch_id a)
{
	for (size_t i = 0; i < im->nentry; i++) {
		const struct oentry *e = &im->entry[i];
		if (!(e->arch_mask & (1u << a)) || !e->ncond || mvm_action_eq(e->act, im->def))
			continue;
		for (size_t k = 0; k < e->nname; k++)
			if (strcmp(e->name[k], sys) == 0)
				return true;
	}
	return false;
}

/* One conditional entry for one syscall on one arch: the cartesian product of the
 * alternatives of its conditions. */
static int conditional_rules(struct importer *im, size_t group, const struct oentry *e, const char *sys, enum mvm_arch_id a)
{
	struct alts al[MVM_MAX_ARGS];
	size_t total = 1;
	int r = 0;
	memset(al, 0, sizeof(al));
	for (size_t k = 0; k < e->ncond; k++) {
		bool w32;
		char buf[16];
		const char *arg = arg_name(im, sys, a, e->cond[k].index, &w32, buf, sizeof(buf));
		if (!arg) {
			char idx[8];
			snprintf(idx, sizeof(idx), "%u", e->cond[k].index);
			r = ierr(im, "syscall '%s' has no argument %s", sys, idx);
			goto out;
		}
		if ((r = cond_alts(&e->cond[k], arg, w32, &al[k])))
			goto out;
		total *= al[k].n;
	}
	for (size_t t = 0; t < total; t++) {
		struct mvm_buf b = { 0 };
		size_t rest = t;
		const char *sep = "";
		mvm_buf_puts(&b, "[");
		for (size_t k = 0; k < e->ncond; k++) {
			const char *txt = al[k].text[rest % al[k].n];
			rest /= al[k].n;
			if (!txt[0])
				continue;
			mvm_buf_printf(&b, "%s%s", sep, txt);
			sep = ", ";
		}
		mvm_buf_puts(&b, "]");
		mvm_buf_put(&b, "", 1);
		if (b.oom) {
			r = -ENOMEM;
			goto out;
		}
		/* every condition always holds: the entry is unconditional */
		char *when = strcmp(b.data, "[]") == 0 ? (free(b.data), NULL) : b.data;
		if ((r = rule_push(im, group, e->act, sys, 1u << a, when)))
			goto out;
	}
out:
	for (size_t k = 0; k < e->ncond; k++)
		alts_free(&al[k]);
	return r;
}

static bool known_on(enum mvm_arch_id a, const char *name)
{
	return mvm_syscall_nr(mvm_arch_by_id(a), name) >= 0;
}

static void note_skipped(struct importer *im, const char *name)
{
	for (size_t i = 0; i < im->nskipped; i++)
		if (strcmp(im->skipped[i], name) == 0)
			return;
	if (im->nskipped < sizeof(im->skipped) / sizeof(im->skipped[0]))
		im->skipped[im->nskipped++] = name;
}

static int build_rules(struct importer *im)
{
	size_t deferred_group = im->nentry;
	/* complement shortcuts already emitted, per (syscall, arch) */
	size_t ndone = 0, cap = 1;
	for (size_t i = 0; i < im->nentry; i++)
		cap += im->entry[i].nname * MVM_ARCH_COUNT;
	const char **done_name = calloc(cap, sizeof(*done_name));
	unsigned *done_arch = calloc(cap, sizeof(*done_arch));
	int r = 0;
	if (!done_name || !done_arch) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < im->nentry && !r; i++) {
		const struct oentry *e = &im->entry[i];
		for (size_t k = 0; k < e->nname && !r; k++) {
			const char *sys = e->name[k];
			bool anywhere = false;
			for (int a = 0; a < MVM_ARCH_COUNT; a++)
				anywhere |= (im->arch_mask & (1u << a)) && known_on((enum mvm_arch_id)a, sys);
			if (!anywhere) {
				note_skipped(im, sys);
				continue;
			}
			if (mvm_action_eq(e->act, im->def))
				continue;
			for (int ai = 0; ai < MVM_ARCH_COUNT && !r; ai++) {
				enum mvm_arch_id a = (enum mvm_arch_id)ai;
				if (!(e->arch_mask & (1u << a)) || !known_on(a, sys))
					continue;
				if (e->ncond == 0) {
					/* after the syscall's conditional rules, so that they still decide */
					r = rule_push(im, has_conditional(im, sys, a) ? deferred_group : i, e->act, sys, 1u << a, NULL);
					continue;
				}
				bool seen = false;
				for (size_t j = 0; j < ndone && !seen; j++)
					seen = done_arch[j] == (1u << a) && strcmp(done_name[j], sys) == 0;
				if (seen)
					continue;
				int c = complement_rules(im, i, sys, a);
				if (c < 0) {
					r = c;
				} else if (c > 0) {
					if (ndone < cap) {
						done_name[ndone] = sys;
						done_arch[ndone++] = 1u << a;
					}
				} else {
					r = conditional_rules(im, i, e, sys, a);
				}
			}
		}
	}
out:
	free(done_name);
	free(done_arch);
	return r ? r : im->err;
}

/* ---- output ---- */

static bool same_rule(const struct orule *x, const struct orule *y)
{
	return strcmp(x->action, y->action) == 0 && x->arch_mask == y->arch_mask &&
	       ((!x->when && !y->when) || (x->when && y->when && strcmp(x->when, y->when) == 0));
}

static void put_arch_list(struct mvm_buf *b, unsigned mask)
{
	const char *sep = "";
	mvm_buf_puts(b, "[");
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (mask & (1u << a)) {
			mvm_buf_printf(b, "%s%s", sep, mvm_arch_by_id((enum mvm_arch_id)a)->name);
			sep = ", ";
		}
	}
	mvm_buf_puts(b, "]");
}

/* A flow list of names, wrapped under `indent`. */
static void put_names(struct mvm_buf *b, const char *const *names, size_t n, size_t col, size_t indent)
{
	mvm_buf_puts(b, "[");
	col++;
	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(names[i]) + 2;
		if (i && col + w > 100) {
			mvm_buf_printf(b, ",\n%*s", (int)indent, "");
			col = indent;
		} else if (i) {
			mvm_buf_puts(b, ", ");
		}
		mvm_buf_puts(b, names[i]);
		col += w;
	}
	mvm_buf_puts(b, "]\n");
}

/* Within one group (one source entry, or the deferred fallbacks) rules for different syscalls
 * never interact, and rules of one syscall only differ in conditions for one action, or are a
 * refusal list that precedes its fallback in another group; so rules with the same action,
 * arches and conditions are gathered under the first of them. */
static int write_rules(struct importer *im, struct mvm_buf *out)
{
	/* Deferred fallbacks last: a stable insertion sort by group. */
	for (size_t i = 1; i < im->nrule; i++) {
		struct orule x = im->rule[i];
		size_t j = i;
		for (; j > 0 && im->rule[j - 1].group > x.group; j--)
			im->rule[j] = im->rule[j - 1];
		im->rule[j] = x;
	}
	/* First merge one syscall's per-arch rules. */
	for (size_t i = 0; i < im->nrule; i++) {
		struct orule *x = &im->rule[i];
		if (!x->name)
			continue;
		for (size_t j = i + 1; j < im->nrule && im->rule[j].group == x->group; j++) {
			struct orule *y = &im->rule[j];
			if (y->name && strcmp(y->name, x->name) == 0 && strcmp(x->action, y->action) == 0 &&
			    ((!x->when && !y->when) || (x->when && y->when && strcmp(x->when, y->when) == 0)) &&
			    !(x->arch_mask & y->arch_mask)) {
				x->arch_mask |= y->arch_mask;
				y->name = NULL;
			}
		}
	}
	const char **names = malloc((im->nrule ? im->nrule : 1) * sizeof(*names));
	bool *used = calloc(im->nrule ? im->nrule : 1, sizeof(*used));
	if (!names || !used) {
		free(names);
		free(used);
		return -ENOMEM;
	}
	for (size_t i = 0; i < im->nrule; i++) {
		const struct orule *x = &im->rule[i];
		if (!x->name || used[i])
			continue;
		size_t n = 0;
		for (size_t j = i; j < im->nrule && im->rule[j].group == x->group; j++) {
			const struct orule *y = &im->rule[j];
			if (!y->name || used[j] || !same_rule(x, y))
				continue;
			used[j] = true;
			bool dup = false;
			for (size_t k = 0; k < n && !dup; k++)
				dup = strcmp(names[k], y->name) == 0;
			if (!dup)
				names[n++] = y->name;
		}
		bool all_arches = x->arch_mask == im->arch_mask;
		if (!x->when && all_arches) {
			mvm_buf_printf(out, "    - %s: ", x->action);
			put_names(out, names, n, 8 + strlen(x->action), 8);
		} else {
			mvm_buf_printf(out, "    - action: %s\n      syscalls: ", x->action);
			put_names(out, names, n, 16, 8);
			if (!all_arches) {
				mvm_buf_puts(out, "      arch: ");
				put_arch_list(out, x->arch_mask);
				mvm_buf_puts(out, "\n");
			}
			if (x->when)
				mvm_buf_printf(out, "      when: %s\n", x->when);
		}
	}
	free(names);
	free(used);
	return out->oom ? -ENOMEM : 0;
}

static void free_importer(struct importer *im)
{
	for (size_t i = 0; i < im->nentry; i++)
		free(im->entry[i].name);
	free(im->entry);
	for (size_t i = 0; i < im->nrule; i++) {
		free((char *)im->rule[i].action);
		free(im->rule[i].when);
	}
	free(im->rule);
}

/* Text from the input (a skipped name, the file name) inside a `#` comment: printable ASCII
 * (space included) as is, every other byte as \xHH, so that no byte of the input can end the
 * comment line (a newline in a "name" would otherwise write YAML keys into the profile). */
static void put_comment_word(struct mvm_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '\\')
			mvm_buf_put(out, s, 1);
		else
			mvm_buf_printf(out, "\\x%02x", c);
	}
}

int mvm_import_oci(struct mvm_diag *d, const struct mvm_stdlib *st, const char *file, const char *json, size_t len,
		   const struct mvm_import_opts *o, struct mvm_buf *out)
{
	struct importer im = { .d = d, .st = st, .file = file, .o = o };
	json_error_t jerr;
	int r = 0;
	if (len > MVM_IMPORT_MAX_JSON) {
		mvm_diag_error(d, file, 0, 0, "larger than %u bytes", MVM_IMPORT_MAX_JSON);
		return -EINVAL;
	}
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		mvm_diag_error(d, file, jerr.line, jerr.column, "%s", jerr.text);
		return -EINVAL;
	}
	const json_t *root = doc;
	/* A whole OCI config.json: use its linux.seccomp. */
	if (json_is_object(json_object_get(doc, "linux")))
		root = json_object_get(json_object_get(doc, "linux"), "seccomp");
	if (!json_is_object(root)) {
		r = ierr(&im, "expected a seccomp object (or an OCI config with linux.seccomp)");
		goto out;
	}
	im.arch_mask = parse_arches(&im, root);
	if (im.err || parse_action(&im, json_object_get(root, "defaultAction"), json_object_get(root, "defaultErrnoRet"),
				   &im.def, "defaultAction")) {
		r = -EINVAL;
		goto out;
	}
	const json_t *calls = json_object_get(root, "syscalls");
	if (calls && !json_is_array(calls)) {
		r = ierr(&im, "'syscalls' must be a list");
		goto out;
	}
	im.entry = calloc(json_array_size(calls) + 1, sizeof(*im.entry));
	if (!im.entry) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(calls); i++) {
		int e = parse_entry(&im, i, json_array_get(calls, i), &im.entry[im.nentry]);
		im.nentry++;
		if (e == -ENOMEM) {
			r = e;
			goto out;
		}
	}
	if (im.err || (r = build_rules(&im))) {
		r = r ? r : -EINVAL;
		goto out;
	}
	char buf[32];
	mvm_buf_puts(out, "# Imported by `mvmc import oci` from ");
	put_comment_word(out, o->source ? o->source : file);
	mvm_buf_puts(out, ".\n");
	mvm_buf_puts(out, "# Capabilities the container holds (they select Docker's includes/excludes): ");
	for (size_t i = 0; i < o->ncap; i++)
		mvm_buf_printf(out, "%s%s", i ? ", " : "", o->cap[i]);
	mvm_buf_puts(out, o->ncap ? ".\n" : "none.\n");
	mvm_buf_puts(out, "# minKernel conditions are taken as satisfied; compat architectures (x86, x32, arm) are\n"
			  "# killed by mvm filters whatever the source allows.\n");
	if (im.nskipped) {
		mvm_buf_puts(out, "# Not syscalls on ");
		put_arch_list(out, im.arch_mask);
		mvm_buf_puts(out, ", skipped:");
		size_t col = 80;
		for (size_t i = 0; i < im.nskipped; i++) {
			if (col + strlen(im.skipped[i]) > 96) {
				mvm_buf_puts(out, "\n#  ");
				col = 3;
			}
			mvm_buf_puts(out, " ");
			put_comment_word(out, im.skipped[i]);
			col += strlen(im.skipped[i]) + 1;
		}
		mvm_buf_puts(out, "\n");
	}
	mvm_buf_printf(out, "mvm: 1\nname: %s\narch: ", o->name);
	put_arch_list(out, im.arch_mask);
	mvm_buf_printf(out, "\nseccomp:\n  default: %s\n  rules:\n", action_text(im.def, buf, sizeof(buf)));
	if ((r = write_rules(&im, out)))
		goto out;
	if (o->ncap) {
		mvm_buf_puts(out, "process:\n  capabilities: ");
		put_names(out, (const char *const *)o->cap, o->ncap, 16, 4);
	}
	if (im.nrule == 0)
		r = ierr(&im, "no rule applies to x86_64 or aarch64");
out:
	free_importer(&im);
	json_decref(doc);
	if (r == 0 && out->oom)
		r = -ENOMEM;
	return r;
}

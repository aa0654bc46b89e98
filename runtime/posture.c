/* The posture check's comparison and the parsers of the /proc text it reads (pure). */
#include "posture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/canon_json.h"

static const char *const ns_names[MVM_NS_COUNT] = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" };
static const char *const ns_checks[MVM_NS_COUNT] = { "ns.user", "ns.mnt", "ns.pid", "ns.net",
						     "ns.ipc",  "ns.uts", "ns.cgroup" };
static const char *const cap_checks[MVM_CAP_SETS] = { "cap.inheritable", "cap.permitted", "cap.effective",
						      "cap.bounding", "cap.ambient" };

const char *mvm_ns_name(enum mvm_ns ns)
{
	return (unsigned)ns < MVM_NS_COUNT ? ns_names[ns] : "?";
}

const char *mvm_posture_status_name(enum mvm_posture_status s)
{
	switch (s) {
	case MVM_POSTURE_VERIFIED: return "verified";
	case MVM_POSTURE_PARTIAL: return "partial";
	case MVM_POSTURE_MISMATCH: return "mismatch";
	}
	return "?";
}

static const char *result_name(enum mvm_check_result r)
{
	switch (r) {
	case MVM_CHECK_OK: return "ok";
	case MVM_CHECK_MISMATCH: return "mismatch";
	case MVM_CHECK_UNCHECKED: return "unchecked";
	}
	return "?";
}

/* ---- building the verdict ---- */

static struct mvm_posture_check *add(struct mvm_posture_verdict *v, const char *name, enum mvm_check_result r)
{
	/* The number of checks is fixed by this file; the bound is a programming-error guard. */
	if (v->n >= MVM_POSTURE_MAX_CHECKS)
		abort();
	struct mvm_posture_check *c = &v->check[v->n++];
	c->name = name;
	c->result = r;
	if (r == MVM_CHECK_MISMATCH)
		v->nmismatch++;
	else if (r == MVM_CHECK_UNCHECKED)
		v->nunchecked++;
	return c;
}

static void setf(char out[MVM_POSTURE_VALUE_MAX], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void setf(char out[MVM_POSTURE_VALUE_MAX], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, MVM_POSTURE_VALUE_MAX, fmt, ap);
	va_end(ap);
}

static void check_int(struct mvm_posture_verdict *v, const char *name, long want, long got)
{
	struct mvm_posture_check *c = add(v, name, want == got ? MVM_CHECK_OK : MVM_CHECK_MISMATCH);
	setf(c->expected, "%ld", want);
	setf(c->observed, "%ld", got);
}

static void unchecked(struct mvm_posture_verdict *v, const char *name, const char *expected, const char *why)
{
	struct mvm_posture_check *c = add(v, name, MVM_CHECK_UNCHECKED);
	setf(c->expected, "%s", expected);
	setf(c->observed, "%s", why);
}

static void check_filter(struct mvm_posture_verdict *v, const struct mvm_posture_expected *e,
			 const struct mvm_posture_observed *o)
{
	const char *name = "seccomp.filter_digest";
	switch (o->filter) {
	case MVM_FILTER_READ: {
		struct mvm_posture_check *c =
			add(v, name, strcmp(e->filter_digest, o->filter_digest) == 0 ? MVM_CHECK_OK : MVM_CHECK_MISMATCH);
		setf(c->expected, "%s", e->filter_digest);
		setf(c->observed, "%s", o->filter_digest);
		return;
	}
	case MVM_FILTER_UNAVAILABLE: {
		char why[MVM_POSTURE_VALUE_MAX];
		setf(why, "not readable (%s): needs CAP_SYS_ADMIN and a runtime without seccomp",
		     strerrorname_np(o->filter_errno) ? strerrorname_np(o->filter_errno) : "?");
		unchecked(v, name, e->filter_digest, why);
		return;
	}
	case MVM_FILTER_ABSENT: {
		struct mvm_posture_check *c = add(v, name, MVM_CHECK_MISMATCH);
		setf(c->expected, "%s", e->filter_digest);
		setf(c->observed, "no filter installed");
		return;
	}
	case MVM_FILTER_ERROR:
	case MVM_FILTER_NOT_TRIED: {
		struct mvm_posture_check *c = add(v, name, MVM_CHECK_MISMATCH);
		setf(c->expected, "%s", e->filter_digest);
		if (o->filter == MVM_FILTER_NOT_TRIED)
			setf(c->observed, "not read");
		else
			setf(c->observed, "read-back failed: %s", strerror(o->filter_errno));
		return;
	}
	}
}

static bool ids_all(const uint32_t ids[4], uint32_t want)
{
	return ids[0] == want && ids[1] == want && ids[2] == want && ids[3] == want;
}

static void check_ids(struct mvm_posture_verdict *v, const char *name, uint32_t want, const uint32_t got[4])
{
	struct mvm_posture_check *c = add(v, name, ids_all(got, want) ? MVM_CHECK_OK : MVM_CHECK_MISMATCH);
	setf(c->expected, "%" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32, want, want, want, want);
	setf(c->observed, "%" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32, got[0], got[1], got[2], got[3]);
}

static void list_groups(char out[MVM_POSTURE_VALUE_MAX], size_t n, const uint32_t *g)
{
	size_t off = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && off < MVM_POSTURE_VALUE_MAX; i++) {
		int w = snprintf(out + off, MVM_POSTURE_VALUE_MAX - off, "%s%" PRIu32, i ? " " : "", g[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (n == 0)
		snprintf(out, MVM_POSTURE_VALUE_MAX, "(none)");
}

static void check_groups(struct mvm_posture_verdict *v, const struct mvm_posture_expected *e,
			 const struct mvm_posture_observed *o)
{
	bool same = e->ngroups == o->ngroups;
	for (size_t i = 0; same && i < e->ngroups; i++)
		same = e->groups[i] == o->groups[i];
	struct mvm_posture_check *c = add(v, "groups", same ? MVM_CHECK_OK : MVM_CHECK_MISMATCH);
	list_groups(c->expected, e->ngroups, e->groups);
	list_groups(c->observed, o->ngroups, o->groups);
}

static void check_ns(struct mvm_posture_verdict *v, enum mvm_ns ns, enum mvm_ns_expect want,
		     const struct mvm_posture_observed *o)
{
	const struct mvm_ns_id *w = &o->ns[ns], *r = &o->runtime_ns[ns];
	if (want == MVM_NS_EXPECT_ANY) {
		unchecked(v, ns_checks[ns], "any", "not compared for this launch");
		return;
	}
	if (w->ino == 0 || r->ino == 0) {
		struct mvm_posture_check *c = add(v, ns_checks[ns], MVM_CHECK_MISMATCH);
		setf(c->expected, "%s", want == MVM_NS_EXPECT_DIFFERENT ? "own namespace" : "runtime's namespace");
		setf(c->observed, "unknown (%s namespace not readable)", w->ino == 0 ? "workload's" : "runtime's");
		return;
	}
	bool same = w->dev == r->dev && w->ino == r->ino;
	bool ok = want == MVM_NS_EXPECT_SAME ? same : !same;
	struct mvm_posture_check *c = add(v, ns_checks[ns], ok ? MVM_CHECK_OK : MVM_CHECK_MISMATCH);
	if (want == MVM_NS_EXPECT_DIFFERENT)
		setf(c->expected, "not %s:[%" PRIu64 "]", ns_names[ns], r->ino);
	else
		setf(c->expected, "%s:[%" PRIu64 "]", ns_names[ns], r->ino);
	setf(c->observed, "%s:[%" PRIu64 "]", ns_names[ns], w->ino);
}

static void format_idmap(char out[MVM_POSTURE_VALUE_MAX], const struct mvm_idmap *m)
{
	size_t off = 0;
	out[0] = 0;
	for (size_t i = 0; i < m->n && off < MVM_POSTURE_VALUE_MAX; i++) {
		int w = snprintf(out + off, MVM_POSTURE_VALUE_MAX - off, "%s%" PRIu32 " %" PRIu32 " %" PRIu32,
				 i ? ", " : "", m->r[i].inside, m->r[i].outside, m->r[i].count);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (m->n == 0)
		snprintf(out, MVM_POSTURE_VALUE_MAX, "(empty)");
}

static void check_idmap(struct mvm_posture_verdict *v, const char *name, const struct mvm_idmap *want,
			const struct mvm_idmap *got, bool have)
{
	bool same = have && want->n == got->n;
	for (size_t i = 0; same && i < want->n; i++)
		same = want->r[i].inside == got->r[i].inside && want->r[i].outside == got->r[i].outside &&
		       want->r[i].count == got->r[i].count;
	struct mvm_posture_check *c = add(v, name, same ? MVM_CHECK_OK : MVM_CHECK_MISMATCH);
	format_idmap(c->expected, want);
	if (have)
		format_idmap(c->observed, got);
	else
		setf(c->observed, "not readable");
}

int mvm_posture_compare(const struct mvm_posture_expected *e, const struct mvm_posture_observed *o,
			struct mvm_posture_verdict *v)
{
	if (!e || !o || !v)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	if (!o->have_status) {
		/* Without the status file nothing below can be trusted: every item is a mismatch. */
		struct mvm_posture_check *c = add(v, "proc.status", MVM_CHECK_MISMATCH);
		setf(c->expected, "readable");
		setf(c->observed, "not readable");
	} else {
		check_int(v, "seccomp.mode", 2, o->seccomp_mode);
		if (e->seccomp_filters < 0)
			unchecked(v, "seccomp.filters", "any", "not compared for this launch");
		else if (o->seccomp_filters < 0)
			unchecked(v, "seccomp.filters", "1", "the kernel does not report Seccomp_filters");
		else
			check_int(v, "seccomp.filters", e->seccomp_filters, o->seccomp_filters);
	}
	check_filter(v, e, o);
	if (o->have_status) {
		check_int(v, "no_new_privs", 1, o->no_new_privs);
		check_ids(v, "uid", e->uid, o->uid);
		check_ids(v, "gid", e->gid, o->gid);
		check_groups(v, e, o);
		for (int s = 0; s < MVM_CAP_SETS; s++) {
			struct mvm_posture_check *c =
				add(v, cap_checks[s], e->cap[s] == o->cap[s] ? MVM_CHECK_OK : MVM_CHECK_MISMATCH);
			setf(c->expected, "%016" PRIx64, e->cap[s]);
			setf(c->observed, "%016" PRIx64, o->cap[s]);
		}
	}
	for (int n = 0; n < MVM_NS_COUNT; n++)
		check_ns(v, (enum mvm_ns)n, e->ns[n], o);
	if (e->check_idmap) {
		check_idmap(v, "uid_map", &e->uid_map, &o->uid_map, o->have_idmap);
		check_idmap(v, "gid_map", &e->gid_map, &o->gid_map, o->have_idmap);
	}
	v->status = v->nmismatch ? MVM_POSTURE_MISMATCH : v->nunchecked ? MVM_POSTURE_PARTIAL : MVM_POSTURE_VERIFIED;
	return 0;
}

bool mvm_posture_acceptable(const struct mvm_posture_verdict *v, bool require_full)
{
	if (v->status == MVM_POSTURE_VERIFIED)
		return true;
	return v->status == MVM_POSTURE_PARTIAL && !require_full;
}

const struct mvm_posture_check *mvm_posture_find(const struct mvm_posture_verdict *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->check[i].name, name))
			return &v->check[i];
	return NULL;
}

/* ---- parsing /proc text ---- */

/* The value of "Key:\t..." in status text, up to the end of its line, or NULL. */
static const char *field(const char *text, size_t len, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if ((size_t)(eol - p) > klen && !memcmp(p, key, klen) && p[klen] == ':') {
			const char *val = p + klen + 1;
			while (val < eol && (*val == ' ' || *val == '\t'))
				val++;
			*vlen = (size_t)(eol - val);
			return val;
		}
		p = eol + 1;
	}
	return NULL;
}

/* Parses up to max unsigned numbers (base 10 or 16) separated by blanks from [s, s+len).
 * Returns how many, or -EINVAL on anything else. */
static int numbers(const char *s, size_t len, int base, uint64_t *out, size_t max)
{
	char tmp[1024];
	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	size_t n = 0;
	char *p = tmp;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == max || !((*p >= '0' && *p <= '9') || (base == 16 && ((*p | 32) >= 'a' && (*p | 32) <= 'f'))))
			return -EINVAL;
		errno = 0;
		char *e;
		unsigned long long v = strtoull(p, &e, base);
		if (errno || (*e && *e != ' ' && *e != '\t'))
			return -EINVAL;
		out[n++] = v;
		p = e;
	}
	return (int)n;
}

static int one_number(const char *text, size_t len, const char *key, int base, uint64_t max, uint64_t *out)
{
	size_t vlen;
	const char *v = field(text, len, key, &vlen);
	if (!v || numbers(v, vlen, base, out, 1) != 1 || *out > max)
		return -EINVAL;
	return 0;
}

static int four_ids(const char *text, size_t len, const char *key, uint32_t ids[4])
{
	size_t vlen;
	uint64_t v[4];
	const char *s = field(text, len, key, &vlen);
	if (!s || numbers(s, vlen, 10, v, 4) != 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		if (v[i] > UINT32_MAX)
			return -EINVAL;
		ids[i] = (uint32_t)v[i];
	}
	return 0;
}

int mvm_posture_parse_status(const char *text, size_t len, struct mvm_posture_observed *o)
{
	static const char *const cap_keys[MVM_CAP_SETS] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	uint64_t v;
	o->have_status = false;
	if (one_number(text, len, "Seccomp", 10, 2, &v))
		return -EINVAL;
	o->seccomp_mode = (int)v;
	o->seccomp_filters = -1;
	size_t flen;
	if (field(text, len, "Seccomp_filters", &flen)) {
		if (one_number(text, len, "Seccomp_filters", 10, 1u << 20, &v))
			return -EINVAL;
		o->seccomp_filters = (int)v;
	}
	if (one_number(text, len, "NoNewPrivs", 10, 1, &v))
		return -EINVAL;
	o->no_new_privs = (int)v;
	if (four_ids(text, len, "Uid", o->uid) || four_ids(text, len, "Gid", o->gid))
		return -EINVAL;
	size_t glen;
	const char *g = field(text, len, "Groups", &glen);
	uint64_t groups[MVM_POSTURE_MAX_GROUPS];
	int ng = g ? numbers(g, glen, 10, groups, MVM_POSTURE_MAX_GROUPS) : -EINVAL;
	if (ng < 0)
		return -EINVAL;
	o->ngroups = (size_t)ng;
	for (int i = 0; i < ng; i++) {
		if (groups[i] > UINT32_MAX)
			return -EINVAL;
		o->groups[i] = (uint32_t)groups[i];
	}
	for (int s = 0; s < MVM_CAP_SETS; s++)
		if (one_number(text, len, cap_keys[s], 16, UINT64_MAX, &o->cap[s]))
			return -EINVAL;
	o->have_status = true;
	return 0;
}

int mvm_posture_parse_idmap(const char *text, size_t len, struct mvm_idmap *m)
{
	m->n = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		uint64_t v[3];
		int k = numbers(p, (size_t)(eol - p), 10, v, 3);
		if (k == 0 && eol == end)
			break;
		if (k != 3 || m->n == MVM_POSTURE_MAX_IDMAP || v[0] > UINT32_MAX || v[1] > UINT32_MAX || v[2] > UINT32_MAX)
			return -EINVAL;
		m->r[m->n++] = (struct mvm_idmap_range){ (uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2] };
		p = eol + 1;
	}
	return 0;
}

/* ---- reports ---- */

void mvm_posture_format_text(const struct mvm_posture_verdict *v, struct mvm_buf *out)
{
	mvm_buf_printf(out, "posture: %s (%zu checks, %zu mismatched, %zu not checked)\n",
		       mvm_posture_status_name(v->status), v->n, v->nmismatch, v->nunchecked);
	for (size_t i = 0; i < v->n; i++) {
		const struct mvm_posture_check *c = &v->check[i];
		if (c->result == MVM_CHECK_OK)
			mvm_buf_printf(out, "  %-9s %-22s %s\n", result_name(c->result), c->name, c->observed);
		else
			mvm_buf_printf(out, "  %-9s %-22s expected %s, observed %s\n", result_name(c->result), c->name,
				       c->expected, c->observed);
	}
}

int mvm_posture_format_json(const struct mvm_posture_verdict *v, struct mvm_buf *out)
{
	struct mvm_cjw w;
	mvm_cjw_init(&w, out);
	mvm_cjw_begin_object(&w);
	mvm_cjw_key(&w, "checks");
	mvm_cjw_begin_array(&w);
	for (size_t i = 0; i < v->n; i++) {
		const struct mvm_posture_check *c = &v->check[i];
		mvm_cjw_begin_object(&w);
		mvm_cjw_key(&w, "expected");
		mvm_cjw_str(&w, c->expected);
		mvm_cjw_key(&w, "name");
		mvm_cjw_str(&w, c->name);
		mvm_cjw_key(&w, "observed");
		mvm_cjw_str(&w, c->observed);
		mvm_cjw_key(&w, "result");
		mvm_cjw_str(&w, result_name(c->result));
		mvm_cjw_end_object(&w);
	}
	mvm_cjw_end_array(&w);
	mvm_cjw_key(&w, "mismatches");
	mvm_cjw_int(&w, (int64_t)v->nmismatch);
	mvm_cjw_key(&w, "status");
	mvm_cjw_str(&w, mvm_posture_status_name(v->status));
	mvm_cjw_key(&w, "unchecked");
	mvm_cjw_int(&w, (int64_t)v->nunchecked);
	mvm_cjw_end_object(&w);
	return mvm_cjw_finish(&w);
}

/* seccomp.json: the OCI runtime-spec `linux.seccomp` object. One JSON serves every arch, so
 * a syscall that exists on several arches must decide the same on each of them; when it
 * does not, the build fails rather than emit something that means more under runc. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static const char *oci_action(struct mvm_action a)
{
	switch (a.kind) {
	case MVM_ACT_ALLOW: return "SCMP_ACT_ALLOW";
	case MVM_ACT_LOG: return "SCMP_ACT_LOG";
	case MVM_ACT_ERRNO: return "SCMP_ACT_ERRNO";
	case MVM_ACT_TRAP: return "SCMP_ACT_TRAP";
	case MVM_ACT_KILL_THREAD: return "SCMP_ACT_KILL_THREAD";
	case MVM_ACT_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
	}
	return "SCMP_ACT_KILL_PROCESS";
}

static bool same_action(struct mvm_action a, struct mvm_action b)
{
	return a.kind == b.kind && (a.kind != MVM_ACT_ERRNO || a.errno_val == b.errno_val);
}

static bool same_conj(const struct mvm_conj *x, const struct mvm_conj *y)
{
	if (x->ncond != y->ncond)
		return false;
	for (size_t i = 0; i < x->ncond; i++) {
		const struct mvm_cond *a = &x->cond[i], *b = &y->cond[i];
		if (a->arg != b->arg || a->op != b->op || a->value != b->value || a->mask != b->mask || a->width != b->width)
			return false;
	}
	return true;
}

/* NULL decision = the filter's default action. */
static bool same_decision(const struct mvm_arch_filter *fa, const struct mvm_decision *a,
			  const struct mvm_arch_filter *fb, const struct mvm_decision *b)
{
	struct mvm_action aa = a ? a->action : fa->default_action, ba = b ? b->action : fb->default_action;
	size_t an = a ? a->nentry : 0, bn = b ? b->nentry : 0;
	if (!same_action(aa, ba) || an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (!same_action(a->entry[i].action, b->entry[i].action) || !same_conj(&a->entry[i].conj, &b->entry[i].conj))
			return false;
	return true;
}

static const struct mvm_decision *find(const struct mvm_arch_filter *f, const char *name)
{
	for (size_t i = 0; i < f->ndecision; i++)
		if (strcmp(f->decision[i].name, name) == 0)
			return &f->decision[i];
	return NULL;
}

struct named {
	const char *name;
	const struct mvm_decision *dc;
};

static int cmp_named(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int ra = mvm_action_rank(a->dc->action), rb = mvm_action_rank(b->dc->action);
	if (a->dc->nentry != b->dc->nentry)
		return a->dc->nentry ? 1 : -1; /* unconditional entries first */
	if (!a->dc->nentry && ra != rb)
		return ra - rb;
	if (!a->dc->nentry && a->dc->action.errno_val != b->dc->action.errno_val)
		return (int)a->dc->action.errno_val - (int)b->dc->action.errno_val;
	return strcmp(a->name, b->name);
}

static void emit_action_fields(struct mvm_buf *b, struct mvm_action a, const char *indent)
{
	mvm_buf_printf(b, "%s\"action\": \"%s\"", indent, oci_action(a));
	if (a.kind == MVM_ACT_ERRNO)
		mvm_buf_printf(b, ",\n%s\"errnoRet\": %u", indent, a.errno_val);
}

static void emit_args(struct mvm_buf *b, const struct mvm_conj *cj)
{
	static const char *const ops[] = {
		[MVM_OP_EQ] = "SCMP_CMP_EQ", [MVM_OP_NE] = "SCMP_CMP_NE", [MVM_OP_LT] = "SCMP_CMP_LT",
		[MVM_OP_LE] = "SCMP_CMP_LE", [MVM_OP_GT] = "SCMP_CMP_GT", [MVM_OP_GE] = "SCMP_CMP_GE",
		[MVM_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
	};
	mvm_buf_puts(b, ",\n      \"args\": [\n");
	for (size_t i = 0; i < cj->ncond; i++) {
		const struct mvm_cond *c = &cj->cond[i];
		/* A 32-bit argument compares its low half only: MASKED_EQ with a 32-bit mask, which
		 * runc passes to libseccomp as (mask, value). */
		if (c->width == 32 || c->op == MVM_OP_MASKED_EQ) {
			uint64_t mask = c->op == MVM_OP_MASKED_EQ ? c->mask : 0xffffffffu;
			mvm_buf_printf(b, "        { \"index\": %u, \"value\": %llu, \"valueTwo\": %llu, \"op\": \"SCMP_CMP_MASKED_EQ\" }",
				       c->arg, (unsigned long long)mask, (unsigned long long)c->value);
		} else {
			mvm_buf_printf(b, "        { \"index\": %u, \"value\": %llu, \"op\": \"%s\" }", c->arg,
				       (unsigned long long)c->value, ops[c->op]);
		}
		mvm_buf_puts(b, i + 1 < cj->ncond ? ",\n" : "\n");
	}
	mvm_buf_puts(b, "      ]");
}

int mvm_emit_oci(struct mvm_diag *d, const struct mvm_profile *p, struct mvm_buf *out)
{
	const struct mvm_arch_filter *first = NULL;
	size_t total = 0;
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *f = &p->filter[a];
		if (first && !same_action(first->default_action, f->default_action)) {
			mvm_diag_error(d, NULL, 0, 0, "seccomp.json: default actions differ between architectures");
			return -EINVAL;
		}
		if (!first)
			first = f;
		total += f->ndecision;
	}
	if (!first)
		return -EINVAL;
	struct named *list = calloc(total ? total : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	size_t n = 0;
	int r = 0;
	for (int a = 0; a < MVM_ARCH_COUNT && !r; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		const struct mvm_arch_filter *f = &p->filter[a];
		for (size_t i = 0; i < f->ndecision && !r; i++) {
			const struct mvm_decision *dc = &f->decision[i];
			bool seen = false;
			for (size_t k = 0; k < n && !seen; k++)
				seen = strcmp(list[k].name, dc->name) == 0;
			if (seen)
				continue;
			/* Every other arch that has this syscall must decide it identically. */
			for (int o = 0; o < MVM_ARCH_COUNT && !r; o++) {
				if (o == a || !(p->arch_mask & (1u << o)))
					continue;
				const struct mvm_arch_filter *of = &p->filter[o];
				if (mvm_syscall_nr(of->arch, dc->name) < 0)
					continue;
				if (!same_decision(f, dc, of, find(of, dc->name))) {
					mvm_diag_error(d, dc->loc.file, dc->loc.line, dc->loc.col,
						       "seccomp.json cannot give '%s' different decisions on %s and %s "
						       "(per-arch rules or constants); build with --arch to emit one arch",
						       dc->name, f->arch->name, of->arch->name);
					r = -EINVAL;
				}
			}
			list[n++] = (struct named){ dc->name, dc };
		}
	}
	if (r) {
		free(list);
		return r;
	}
	qsort(list, n, sizeof(*list), cmp_named);
	mvm_buf_puts(out, "{\n");
	mvm_buf_printf(out, "  \"defaultAction\": \"%s\",\n", oci_action(first->default_action));
	if (first->default_action.kind == MVM_ACT_ERRNO)
		mvm_buf_printf(out, "  \"defaultErrnoRet\": %u,\n", first->default_action.errno_val);
	mvm_buf_puts(out, "  \"architectures\": [");
	bool comma = false;
	for (int a = 0; a < MVM_ARCH_COUNT; a++) {
		if (!(p->arch_mask & (1u << a)))
			continue;
		mvm_buf_printf(out, "%s\"%s\"", comma ? ", " : "", mvm_arch_by_id((enum mvm_arch_id)a)->oci_name);
		comma = true;
	}
	mvm_buf_puts(out, "],\n  \"syscalls\": [");
	comma = false;
	for (size_t i = 0; i < n;) {
		const struct mvm_decision *dc = list[i].dc;
		mvm_buf_puts(out, comma ? ",\n    {\n" : "\n    {\n");
		comma = true;
		if (dc->nentry == 0) {
			/* Unconditional decisions with the same action share one entry. */
			size_t j = i;
			mvm_buf_puts(out, "      \"names\": [\n");
			while (j < n && list[j].dc->nentry == 0 && same_action(list[j].dc->action, dc->action)) {
				mvm_buf_puts(out, "        ");
				mvm_buf_json_str(out, list[j].name);
				j++;
				mvm_buf_puts(out, j < n && list[j].dc->nentry == 0 && same_action(list[j].dc->action, dc->action) ? ",\n" : "\n");
			}
			mvm_buf_puts(out, "      ],\n");
			emit_action_fields(out, dc->action, "      ");
			mvm_buf_puts(out, "\n    }");
			i = j;
			continue;
		}
		for (size_t k = 0; k < dc->nentry; k++) {
			if (k)
				mvm_buf_puts(out, ",\n    {\n");
			mvm_buf_puts(out, "      \"names\": [");
			mvm_buf_json_str(out, list[i].name);
			mvm_buf_puts(out, "],\n");
			emit_action_fields(out, dc->entry[k].action, "      ");
			emit_args(out, &dc->entry[k].conj);
			mvm_buf_puts(out, "\n    }");
		}
		i++;
	}
	mvm_buf_puts(out, n ? "\n  ]\n}\n" : "]\n}\n");
	free(list);
	return out->oom ? -ENOMEM : 0;
}

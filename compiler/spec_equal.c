/* Two specs mean the same profile when every field is equal; where a thing was written (file,
 * line, column) is not part of its meaning. Used to prove that the DSL and YAML front ends,
 * and fmt's conversions, agree. */
#include <string.h>

#include "spec_print.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool sym_eq(const struct mvm_sym *a, const struct mvm_sym *b)
{
	return str_eq(a->name, b->name);
}

static bool syms_eq(size_t na, const struct mvm_sym *a, size_t nb, const struct mvm_sym *b)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!sym_eq(&a[i], &b[i]))
			return false;
	return true;
}

static bool value_eq(const struct mvm_value *a, const struct mvm_value *b)
{
	return syms_eq(a->nterm, a->term, b->nterm, b->term);
}

static bool action_eq(const struct mvm_spec_action *a, const struct mvm_spec_action *b)
{
	return a->act.kind == b->act.kind && a->act.errno_val == b->act.errno_val && str_eq(a->errno_name, b->errno_name);
}

static bool cond_eq(const struct mvm_spec_cond *a, const struct mvm_spec_cond *b)
{
	if (!sym_eq(&a->arg, &b->arg) || a->op != b->op || a->has_mask != b->has_mask || a->nvalue != b->nvalue)
		return false;
	if (a->has_mask && !value_eq(&a->mask, &b->mask))
		return false;
	for (size_t i = 0; i < a->nvalue; i++)
		if (!value_eq(&a->value[i], &b->value[i]))
			return false;
	return true;
}

static bool rule_eq(const struct mvm_spec_rule *a, const struct mvm_spec_rule *b)
{
	if (!action_eq(&a->action, &b->action) || !syms_eq(a->nsys, a->sys, b->nsys, b->sys) || a->ncond != b->ncond ||
	    a->arch_mask != b->arch_mask || !str_eq(a->why, b->why))
		return false;
	for (size_t i = 0; i < a->ncond; i++)
		if (!cond_eq(&a->cond[i], &b->cond[i]))
			return false;
	return true;
}

static bool egress_rule_eq(const struct mvm_egress_rule *a, const struct mvm_egress_rule *b)
{
	if (!str_eq(a->host, b->host) || a->family != b->family || a->prefix != b->prefix || a->proto != b->proto ||
	    a->nport != b->nport || memcmp(a->addr, b->addr, sizeof(a->addr)) != 0)
		return false;
	for (size_t i = 0; i < a->nport; i++)
		if (a->port[i].lo != b->port[i].lo || a->port[i].hi != b->port[i].hi)
			return false;
	return true;
}

static bool egress_eq(const struct mvm_egress *a, const struct mvm_egress *b)
{
	if (a->present != b->present || !str_eq(a->resolver, b->resolver) || a->nrule != b->nrule)
		return false;
	for (size_t i = 0; i < a->nrule; i++)
		if (!egress_rule_eq(&a->rule[i], &b->rule[i]))
			return false;
	return true;
}

static bool fs_eq(const struct mvm_filesystem *a, const struct mvm_filesystem *b)
{
	if (a->root_writable != b->root_writable || !str_eq(a->rootfs, b->rootfs) || a->nshare != b->nshare)
		return false;
	for (size_t i = 0; i < a->nshare; i++)
		if (!str_eq(a->share[i].host, b->share[i].host) || !str_eq(a->share[i].guest, b->share[i].guest) ||
		    a->share[i].writable != b->share[i].writable)
			return false;
	return true;
}

bool mvm_spec_equal(const struct mvm_spec *a, const struct mvm_spec *b)
{
	if (a->schema != b->schema || !sym_eq(&a->name, &b->name) || !sym_eq(&a->intent, &b->intent) ||
	    !sym_eq(&a->extends, &b->extends) || a->arch_mask != b->arch_mask || a->has_default != b->has_default)
		return false;
	if (a->has_default && !action_eq(&a->default_action, &b->default_action))
		return false;
	if (a->nrule != b->nrule)
		return false;
	for (size_t i = 0; i < a->nrule; i++)
		if (!rule_eq(&a->rule[i], &b->rule[i]))
			return false;
	if (!egress_eq(&a->egress, &b->egress) || !fs_eq(&a->fs, &b->fs))
		return false;
	if (a->has_uid != b->has_uid || a->has_gid != b->has_gid || a->proc.uid != b->proc.uid ||
	    a->proc.gid != b->proc.gid || a->proc.caps != b->proc.caps || !syms_eq(a->ncap, a->cap, b->ncap, b->cap))
		return false;
	if (a->has_secrets != b->has_secrets || a->secrets != b->secrets || a->ntool != b->ntool ||
	    a->nlabel != b->nlabel || a->valid_for_s != b->valid_for_s)
		return false;
	for (size_t i = 0; i < a->ntool; i++)
		if (!str_eq(a->tool[i], b->tool[i]))
			return false;
	for (size_t i = 0; i < a->nlabel; i++)
		if (!str_eq(a->label[i].key, b->label[i].key) || !str_eq(a->label[i].value, b->label[i].value))
			return false;
	if (!syms_eq(a->ninclude, a->include, b->ninclude, b->include) || a->nconst != b->nconst ||
	    a->ngroup != b->ngroup)
		return false;
	for (size_t i = 0; i < a->nconst; i++)
		if (!sym_eq(&a->constant[i].name, &b->constant[i].name) || !value_eq(&a->constant[i].value, &b->constant[i].value))
			return false;
	for (size_t i = 0; i < a->ngroup; i++)
		if (!sym_eq(&a->group[i].name, &b->group[i].name) ||
		    !syms_eq(a->group[i].nsys, a->group[i].sys, b->group[i].nsys, b->group[i].sys))
			return false;
	return true;
}

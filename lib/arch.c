/* Lookups over the generated per-arch syscall tables. */
#include "syscall_table.h"

#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>

static struct mvm_arch arches[MVM_ARCH_COUNT];

static int max_nr_of(const struct mvm_syscall *s, size_t n)
{
	int m = -1;
	for (size_t i = 0; i < n; i++)
		if (s[i].nr > m)
			m = s[i].nr;
	return m;
}

static const struct mvm_arch *arch_table(void)
{
	/* Filled from constant data; every caller sees the same values, so the lazy init is
	 * idempotent and safe to repeat. */
	if (!arches[MVM_ARCH_AARCH64].name) {
		arches[MVM_ARCH_X86_64] = (struct mvm_arch){
			MVM_ARCH_X86_64, "x86_64", "SCMP_ARCH_X86_64", AUDIT_ARCH_X86_64,
			max_nr_of(mvm_syscalls_x86_64, mvm_syscalls_x86_64_len),
			mvm_syscalls_x86_64, mvm_syscalls_x86_64_len,
		};
		arches[MVM_ARCH_AARCH64] = (struct mvm_arch){
			MVM_ARCH_AARCH64, "aarch64", "SCMP_ARCH_AARCH64", AUDIT_ARCH_AARCH64,
			max_nr_of(mvm_syscalls_aarch64, mvm_syscalls_aarch64_len),
			mvm_syscalls_aarch64, mvm_syscalls_aarch64_len,
		};
	}
	return arches;
}

const struct mvm_arch *mvm_arch_by_id(enum mvm_arch_id id)
{
	if ((unsigned)id >= MVM_ARCH_COUNT)
		return NULL;
	return &arch_table()[id];
}

const struct mvm_arch *mvm_arch_by_name(const char *name)
{
	const struct mvm_arch *t = arch_table();
	for (int i = 0; i < MVM_ARCH_COUNT; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mvm_syscall *)elem)->name);
}

int mvm_syscall_nr(const struct mvm_arch *a, const char *name)
{
	const struct mvm_syscall *s = bsearch(name, a->syscalls, a->nsyscalls, sizeof(*s), cmp_key);
	return s ? s->nr : -1;
}

const char *mvm_syscall_name(const struct mvm_arch *a, int nr)
{
	for (size_t i = 0; i < a->nsyscalls; i++)
		if (a->syscalls[i].nr == nr)
			return a->syscalls[i].name;
	return NULL;
}

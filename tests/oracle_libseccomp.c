/* The reference oracle: the same normal form (ir.h) compiled by libseccomp. mvmc itself no
 * longer uses libseccomp; tests compare its generator with this, and the benchmarks measure
 * both. Every entry maps to one libseccomp rule without precedence games. */
#include "oracle_libseccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint32_t scmp_action(struct mvm_action a)
{
	switch (a.kind) {
	case MVM_ACT_ALLOW: return SCMP_ACT_ALLOW;
	case MVM_ACT_LOG: return SCMP_ACT_LOG;
	case MVM_ACT_ERRNO: return SCMP_ACT_ERRNO(a.errno_val);
	case MVM_ACT_TRAP: return SCMP_ACT_TRAP;
	case MVM_ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	case MVM_ACT_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static uint32_t scmp_arch(const struct mvm_arch *a)
{
	return a->id == MVM_ARCH_X86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
}

/* A 32-bit argument is compared on its low half only: libseccomp's MASKED_EQ with the high
 * half of the mask zero. */
static struct scmp_arg_cmp scmp_cond(const struct mvm_cond *c)
{
	struct scmp_arg_cmp s = { .arg = c->arg };
	if (c->width == 32) {
		s.op = SCMP_CMP_MASKED_EQ;
		s.datum_a = c->op == MVM_OP_MASKED_EQ ? c->mask : 0xffffffffu;
		s.datum_b = c->value;
		return s;
	}
	static const enum scmp_compare ops[] = {
		[MVM_OP_EQ] = SCMP_CMP_EQ, [MVM_OP_NE] = SCMP_CMP_NE, [MVM_OP_LT] = SCMP_CMP_LT,
		[MVM_OP_LE] = SCMP_CMP_LE, [MVM_OP_GT] = SCMP_CMP_GT, [MVM_OP_GE] = SCMP_CMP_GE,
		[MVM_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};
	s.op = ops[c->op];
	s.datum_a = c->op == MVM_OP_MASKED_EQ ? c->mask : c->value;
	s.datum_b = c->op == MVM_OP_MASKED_EQ ? c->value : 0;
	return s;
}

static int export_bytes(scmp_filter_ctx ctx, struct mvm_buf *out)
{
	int fd = memfd_create("mvmc-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r == 0) {
		off_t n = lseek(fd, 0, SEEK_END);
		char chunk[4096];
		if (n < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			r = -errno;
		} else {
			ssize_t got;
			while ((got = read(fd, chunk, sizeof(chunk))) > 0)
				mvm_buf_put(out, chunk, (size_t)got);
			if (got < 0)
				r = -errno;
			else if (out->oom)
				r = -ENOMEM;
		}
	}
	close(fd);
	return r;
}

int oracle_libseccomp_bpf(struct mvm_diag *d, const struct mvm_arch_filter *f, int optimize, struct mvm_buf *out)
{
	scmp_filter_ctx ctx = seccomp_init(scmp_action(f->default_action));
	if (!ctx)
		return -ENOMEM;
	int r = 0;
	uint32_t arch = scmp_arch(f->arch);
	/* Only the target arch: a call made under any other arch token is killed. */
	if (arch != seccomp_arch_native()) {
		if ((r = seccomp_arch_add(ctx, arch)) || (r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)))
			goto out;
	}
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)optimize)))
		goto out;
	for (size_t i = 0; i < f->ndecision; i++) {
		const struct mvm_decision *dc = &f->decision[i];
		/* Rules are added by name so libseccomp maps them to this arch's number. */
		int sc = seccomp_syscall_resolve_name(dc->name);
		if (sc == __NR_SCMP_ERROR) {
			mvm_diag_error(d, NULL, 0, 0, "libseccomp does not know syscall '%s'", dc->name);
			r = -EINVAL;
			goto out;
		}
		if (dc->nentry == 0) {
			r = seccomp_rule_add_exact(ctx, scmp_action(dc->action), sc, 0);
		} else {
			for (size_t k = 0; k < dc->nentry && r == 0; k++) {
				const struct mvm_entry *e = &dc->entry[k];
				struct scmp_arg_cmp cmp[MVM_MAX_ARGS];
				for (size_t c = 0; c < e->conj.ncond; c++)
					cmp[c] = scmp_cond(&e->conj.cond[c]);
				r = seccomp_rule_add_exact_array(ctx, scmp_action(e->action), sc, e->conj.ncond, cmp);
			}
		}
		if (r) {
			mvm_diag_error(d, dc->loc.file, dc->loc.line, dc->loc.col,
				       "libseccomp refused the rule for '%s' on %s: %s", dc->name, f->arch->name, strerror(-r));
			goto out;
		}
	}
	r = export_bytes(ctx, out);
out:
	seccomp_release(ctx);
	return r;
}

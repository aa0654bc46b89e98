/* The generator proper: arch check, syscall-number dispatch over maximal same-decision runs
 * (argument blocks: bpf_args.c), then the peephole passes and the layout (bpf_peephole.c,
 * bpf_layout.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_cfg.h"
#include "bpf_gen.h"

#define X32_SYSCALL_BIT 0x40000000u
/* Weight of one syscall the filter lets through, before frequencies are added. */
#define UNIFORM_WEIGHT 1024u

uint32_t mvm_bpf_ret(struct mvm_action a)
{
	switch (a.kind) {
	case MVM_ACT_ALLOW: return SECCOMP_RET_ALLOW;
	case MVM_ACT_LOG: return SECCOMP_RET_LOG;
	case MVM_ACT_ERRNO: return SECCOMP_RET_ERRNO | (a.errno_val & SECCOMP_RET_DATA);
	case MVM_ACT_TRAP: return SECCOMP_RET_TRAP;
	case MVM_ACT_KILL_THREAD: return SECCOMP_RET_KILL_THREAD;
	case MVM_ACT_KILL_PROCESS: return SECCOMP_RET_KILL_PROCESS;
	}
	return SECCOMP_RET_KILL_PROCESS;
}

/* ---- syscall-number dispatch ---- */

static bool lets_through(const struct mvm_decision *dc)
{
	if (dc->nentry == 0)
		return dc->action.kind == MVM_ACT_ALLOW || dc->action.kind == MVM_ACT_LOG;
	for (size_t i = 0; i < dc->nentry; i++)
		if (dc->entry[i].action.kind == MVM_ACT_ALLOW || dc->entry[i].action.kind == MVM_ACT_LOG)
			return true;
	return false;
}

/* Per-number weights: half the mass spread evenly over the syscalls the filter lets through,
 * half by measured frequency (when a table is given). */
static int nr_weights(const struct mvm_arch_filter *f, const struct mvm_bpf_freq *fq, const struct mvm_decision **by_nr,
		      uint64_t *w)
{
	const struct mvm_arch *ar = f->arch;
	bool default_through = f->default_action.kind == MVM_ACT_ALLOW || f->default_action.kind == MVM_ACT_LOG;
	uint64_t through = 0, total = 0;
	for (size_t i = 0; i < ar->nsyscalls; i++) {
		int nr = ar->syscalls[i].nr;
		const struct mvm_decision *dc = by_nr[nr];
		if (dc ? lets_through(dc) : default_through) {
			w[nr] = UNIFORM_WEIGHT;
			through++;
		}
		if (fq)
			total += mvm_bpf_freq_count(fq, ar->syscalls[i].name);
	}
	if (fq && total) {
		for (size_t i = 0; i < ar->nsyscalls; i++) {
			uint64_t c = mvm_bpf_freq_count(fq, ar->syscalls[i].name);
			/* c / total of a mass equal to the uniform part; 128-bit to avoid overflow */
			unsigned __int128 share = (unsigned __int128)c * UNIFORM_WEIGHT * (through ? through : 1) / total;
			w[ar->syscalls[i].nr] += (uint64_t)share;
		}
	}
	return 0;
}

static int32_t gen_dispatch(struct bpf_cfg *g, const struct mvm_arch_filter *f, const struct mvm_bpf_opts *o)
{
	const struct mvm_arch *ar = f->arch;
	size_t nnr = (size_t)ar->max_nr + 1;
	uint32_t def = mvm_bpf_ret(f->default_action);
	const struct mvm_decision **by_nr = calloc(nnr, sizeof(*by_nr));
	uint64_t *w = calloc(nnr, sizeof(*w));
	int32_t *target = calloc(nnr, sizeof(*target));
	struct bpf_range *r = malloc((nnr + 4) * sizeof(*r));
	int32_t root = -1;
	if (!by_nr || !w || !target || !r) {
		g->err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < f->ndecision; i++)
		if (f->decision[i].nr >= 0 && (size_t)f->decision[i].nr < nnr)
			by_nr[f->decision[i].nr] = &f->decision[i];
	nr_weights(f, o ? o->freq : NULL, by_nr, w);
	int32_t ret_def = bpf_ret(g, def);
	for (size_t nr = 0; nr < nnr; nr++) {
		const struct mvm_decision *dc = by_nr[nr];
		if (!dc)
			target[nr] = ret_def;
		else if (dc->nentry == 0)
			target[nr] = bpf_ret(g, mvm_bpf_ret(dc->action));
		else
			target[nr] = bpf_gen_decision(g, dc, def);
	}
	if (g->err)
		goto out;
	size_t n = 0;
	for (size_t nr = 0; nr < nnr; nr++) {
		if (n && r[n - 1].target == target[nr]) {
			r[n - 1].hi = (uint32_t)nr;
			r[n - 1].weight += w[nr];
		} else {
			r[n++] = (struct bpf_range){ (uint32_t)nr, (uint32_t)nr, target[nr], 1 + w[nr] };
		}
	}
	/* Numbers past the table take the default; on x86_64, x32 numbers (and everything above
	 * them but -1, the number a tracer uses to skip a call) are killed like a foreign
	 * architecture, as libseccomp does. */
	bool x86_64 = ar->id == MVM_ARCH_X86_64;
	uint32_t top = x86_64 ? X32_SYSCALL_BIT - 1 : 0xffffffffu;
	if (r[n - 1].target == ret_def)
		r[n - 1].hi = top;
	else
		r[n++] = (struct bpf_range){ (uint32_t)nnr, top, ret_def, 1 };
	if (x86_64) {
		int32_t kill = bpf_ret(g, SECCOMP_RET_KILL_PROCESS);
		if (r[n - 1].target == kill)
			r[n - 1].hi = 0xfffffffeu;
		else
			r[n++] = (struct bpf_range){ X32_SYSCALL_BIT, 0xfffffffeu, kill, 1 };
		r[n++] = (struct bpf_range){ 0xffffffffu, 0xffffffffu, ret_def, 1 };
	}
	root = bpf_dispatch(g, r, n);
out:
	free(by_nr);
	free(w);
	free(target);
	free(r);
	return root;
}

/* The biggest argument block, to point at when the program is too long. */
static const struct mvm_decision *largest_decision(const struct mvm_arch_filter *f)
{
	const struct mvm_decision *best = NULL;
	for (size_t i = 0; i < f->ndecision; i++)
		if (!best || f->decision[i].nentry > best->nentry)
			best = &f->decision[i];
	return best;
}

int mvm_bpf_generate(struct mvm_diag *d, const struct mvm_arch_filter *f, const struct mvm_bpf_opts *o,
		     struct sock_filter *out, size_t *len)
{
	struct bpf_cfg g;
	bpf_cfg_init(&g);
	int32_t dispatch = gen_dispatch(&g, f, o);
	int32_t root = bpf_ld(&g, BPF_OFF_ARCH,
			      bpf_jmp(&g, BPF_OP_JEQ, f->arch->audit_arch, bpf_ld(&g, BPF_OFF_NR, dispatch),
				      bpf_ret(&g, SECCOMP_RET_KILL_PROCESS)));
	root = bpf_peephole(&g, root);
	int r = g.err;
	if (r == 0)
		r = bpf_layout(&g, root, out, MVM_BPF_MAXINSNS, len);
	if (r == -E2BIG) {
		const struct mvm_decision *big = largest_decision(f);
		if (big && big->nentry)
			mvm_diag_error(d, big->loc.file, big->loc.line, big->loc.col,
				       "the seccomp filter for %s needs more than %d instructions, the kernel's limit; "
				       "the largest argument block is '%s' (%zu alternatives): simplify its conditions",
				       f->arch->name, MVM_BPF_MAXINSNS, big->name, big->nentry);
		else
			mvm_diag_error(d, NULL, 0, 0, "the seccomp filter for %s needs more than %d instructions, the kernel's limit",
				       f->arch->name, MVM_BPF_MAXINSNS);
	}
	bpf_cfg_free(&g);
	return r;
}

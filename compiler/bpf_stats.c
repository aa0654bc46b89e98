/* Quality figures of a generated (or any) filter: length, instructions executed on allowed
 * paths, and what the kernel's constant-action cache can take. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf_cfg.h"
#include "bpf_gen.h"

void mvm_conj_witness(const struct mvm_conj *cj, uint64_t args[6])
{
	memset(args, 0, 6 * sizeof(args[0]));
	for (size_t i = 0; i < cj->ncond; i++) {
		const struct mvm_cond *c = &cj->cond[i];
		uint64_t max = c->width == 32 ? 0xffffffffull : UINT64_MAX, v = c->value;
		switch (c->op) {
		case MVM_OP_EQ: case MVM_OP_LE: case MVM_OP_GE: case MVM_OP_MASKED_EQ: args[c->arg] = v; break;
		case MVM_OP_NE: args[c->arg] = v == max ? 0 : v + 1; break;
		case MVM_OP_LT: args[c->arg] = v - 1; break;
		case MVM_OP_GT: args[c->arg] = v + 1; break;
		}
	}
}

/* The kernel builds its cache by emulating the filter for each syscall number with only nr and
 * arch known; any other instruction on the path means "not constant". */
bool mvm_bpf_cache_allows(const struct sock_filter *prog, size_t len, uint32_t audit_arch, uint32_t nr)
{
	uint32_t a = 0;
	for (size_t pc = 0; pc < len;) {
		const struct sock_filter *f = &prog[pc++];
		switch (f->code) {
		case BPF_OP_LD:
			if (f->k == BPF_OFF_NR)
				a = nr;
			else if (f->k == BPF_OFF_ARCH)
				a = audit_arch;
			else
				return false;
			break;
		case BPF_OP_JA: pc += f->k; break;
		case BPF_OP_JEQ: pc += a == f->k ? f->jt : f->jf; break;
		case BPF_OP_JGE: pc += a >= f->k ? f->jt : f->jf; break;
		case BPF_OP_JGT: pc += a > f->k ? f->jt : f->jf; break;
		case BPF_OP_JSET: pc += (a & f->k) ? f->jt : f->jf; break;
		case BPF_OP_AND: a &= f->k; break;
		case BPF_OP_RET: return f->k == SECCOMP_RET_ALLOW;
		default: return false;
		}
	}
	return false;
}

static const struct mvm_decision *decision_of(const struct mvm_arch_filter *f, int nr)
{
	size_t lo = 0, hi = f->ndecision;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->decision[mid].nr < nr)
			lo = mid + 1;
		else if (f->decision[mid].nr > nr)
			hi = mid;
		else
			return &f->decision[mid];
	}
	return NULL;
}

int mvm_bpf_measure(const struct mvm_arch_filter *f, const struct sock_filter *prog, size_t len,
		    const struct mvm_bpf_freq *freq, struct mvm_bpf_stats *st)
{
	const struct mvm_arch *ar = f->arch;
	uint64_t sum = 0;
	double wsum = 0, wtotal = 0;
	memset(st, 0, sizeof(*st));
	st->length = len;
	for (size_t i = 0; i < ar->nsyscalls; i++) {
		int nr = ar->syscalls[i].nr;
		const struct mvm_decision *dc = decision_of(f, nr);
		uint64_t args[6] = { 0 };
		bool allowed = false, unconditional = false;
		if (!dc || dc->nentry == 0) {
			unconditional = allowed = (dc ? dc->action : f->default_action).kind == MVM_ACT_ALLOW;
		} else {
			for (size_t k = 0; k < dc->nentry && !allowed; k++) {
				if (dc->entry[k].action.kind == MVM_ACT_ALLOW) {
					mvm_conj_witness(&dc->entry[k].conj, args);
					allowed = true;
				}
			}
		}
		if (unconditional)
			st->unconditional_allows++;
		if (mvm_bpf_cache_allows(prog, len, ar->audit_arch, (uint32_t)nr))
			st->cache_eligible++;
		if (!allowed)
			continue;
		struct seccomp_data sd = { .nr = nr, .arch = ar->audit_arch };
		memcpy(sd.args, args, sizeof(args));
		uint32_t ret;
		size_t steps;
		if (mvm_bpf_run(prog, len, &sd, &ret, &steps))
			return -EINVAL;
		st->allowed++;
		sum += steps;
		if (steps > st->max_insns) {
			st->max_insns = steps;
			st->max_name = ar->syscalls[i].name;
		}
		double w = (double)mvm_bpf_freq_count(freq, ar->syscalls[i].name);
		wsum += w * (double)steps;
		wtotal += w;
	}
	st->mean_insns = st->allowed ? (double)sum / (double)st->allowed : 0;
	st->weighted_mean_insns = wtotal > 0 ? wsum / wtotal : st->mean_insns;
	return 0;
}

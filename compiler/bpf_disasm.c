/* A readable listing of a seccomp filter: one instruction per line, jump targets as labels,
 * loads named after the seccomp_data field, comparisons of the syscall number annotated with
 * the syscall's name, return values decoded. */
#include <errno.h>
#include <linux/audit.h>
#include <stdio.h>
#include <string.h>

#include "bpf_cfg.h"
#include "bpf_gen.h"

const char *mvm_bpf_ret_name(uint32_t ret, char *buf, size_t len)
{
	uint32_t data = ret & SECCOMP_RET_DATA;
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW: return "allow";
	case SECCOMP_RET_LOG: return "log";
	case SECCOMP_RET_TRAP: return data ? (snprintf(buf, len, "trap(%u)", data), buf) : "trap";
	case SECCOMP_RET_KILL_THREAD: return "kill-thread";
	case SECCOMP_RET_KILL_PROCESS: return "kill-process";
	case SECCOMP_RET_USER_NOTIF: return "notify";
	case SECCOMP_RET_ERRNO: snprintf(buf, len, "errno(%u)", data); return buf;
	case SECCOMP_RET_TRACE: snprintf(buf, len, "trace(%u)", data); return buf;
	default: snprintf(buf, len, "0x%08x", ret); return buf;
	}
}

static const char *field_name(uint32_t k, char *buf, size_t len)
{
	if (k == BPF_OFF_NR)
		return "nr";
	if (k == BPF_OFF_ARCH)
		return "arch";
	if (k == 8 || k == 12)
		return k == 8 ? "instruction_pointer.lo" : "instruction_pointer.hi";
	if (k >= 16 && k < 64) {
		snprintf(buf, len, "args[%u].%s", (k - 16) / 8, (k - 16) % 8 ? "hi" : "lo");
		return buf;
	}
	snprintf(buf, len, "?%u", k);
	return buf;
}

static const char *audit_arch_name(uint32_t k)
{
	switch (k) {
	case AUDIT_ARCH_X86_64: return "AUDIT_ARCH_X86_64";
	case AUDIT_ARCH_I386: return "AUDIT_ARCH_I386";
	case AUDIT_ARCH_AARCH64: return "AUDIT_ARCH_AARCH64";
	case AUDIT_ARCH_ARM: return "AUDIT_ARCH_ARM";
	default: return NULL;
	}
}

enum { HOLDS_NONE = -1, HOLDS_MIXED = -2 };

void mvm_bpf_disasm(const struct sock_filter *prog, size_t len, const struct mvm_arch *arch, struct mvm_buf *out)
{
	/* What A holds when each instruction starts: the offset loaded on every path into it. */
	long holds[MVM_BPF_MAXINSNS];
	bool target[MVM_BPF_MAXINSNS];
	if (len > MVM_BPF_MAXINSNS)
		len = MVM_BPF_MAXINSNS;
	for (size_t i = 0; i < len; i++) {
		holds[i] = HOLDS_NONE - 10; /* not reached yet */
		target[i] = false;
	}
	if (len)
		holds[0] = HOLDS_NONE;
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		long h = holds[pc];
		long next = f->code == BPF_OP_LD ? (long)f->k : BPF_CLASS(f->code) == BPF_ALU || BPF_CLASS(f->code) == BPF_LD ||
							     BPF_CLASS(f->code) == BPF_MISC ? HOLDS_MIXED : h;
		size_t succ[2];
		size_t ns = 0;
		if (f->code == BPF_OP_JA) {
			succ[ns++] = pc + 1 + f->k;
		} else if (BPF_CLASS(f->code) == BPF_JMP) {
			succ[ns++] = pc + 1 + f->jt;
			succ[ns++] = pc + 1 + f->jf;
		} else if (BPF_CLASS(f->code) != BPF_RET) {
			succ[ns++] = pc + 1;
		}
		for (size_t s = 0; s < ns; s++) {
			if (succ[s] >= len)
				continue;
			if (BPF_CLASS(f->code) == BPF_JMP && succ[s] != pc + 1)
				target[succ[s]] = true;
			long *t = &holds[succ[s]];
			*t = *t == HOLDS_NONE - 10 ? next : *t == next ? *t : HOLDS_MIXED;
		}
	}
	mvm_buf_printf(out, "; %zu instructions%s%s\n", len, arch ? ", " : "", arch ? arch->name : "");
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		char fb[32], rb[32], line[160], note[96] = "";
		if (target[pc])
			mvm_buf_printf(out, "L%zu:\n", pc);
		switch (f->code) {
		case BPF_OP_LD:
			snprintf(line, sizeof(line), "ld   [%u]", f->k);
			snprintf(note, sizeof(note), "%s", field_name(f->k, fb, sizeof(fb)));
			break;
		case BPF_OP_AND:
			snprintf(line, sizeof(line), "and  #0x%x", f->k);
			break;
		case BPF_OP_JA:
			snprintf(line, sizeof(line), "ja   L%zu", pc + 1 + f->k);
			break;
		case BPF_OP_RET:
			snprintf(line, sizeof(line), "ret  #0x%08x", f->k);
			snprintf(note, sizeof(note), "%s", mvm_bpf_ret_name(f->k, rb, sizeof(rb)));
			break;
		case BPF_OP_JEQ: case BPF_OP_JGE: case BPF_OP_JGT: case BPF_OP_JSET: {
			const char *op = f->code == BPF_OP_JEQ ? "jeq" : f->code == BPF_OP_JGE ? "jge" : f->code == BPF_OP_JGT ? "jgt" : "jset";
			snprintf(line, sizeof(line), "%-4s #0x%x, L%zu, L%zu", op, f->k, pc + 1 + f->jt, pc + 1 + f->jf);
			if (holds[pc] == BPF_OFF_ARCH && audit_arch_name(f->k)) {
				snprintf(note, sizeof(note), "%s", audit_arch_name(f->k));
			} else if (holds[pc] == BPF_OFF_NR && f->code != BPF_OP_JSET) {
				const char *name = arch && f->k <= (uint32_t)arch->max_nr ? mvm_syscall_name(arch, (int)f->k) : NULL;
				if (f->k & 0x40000000u)
					snprintf(note, sizeof(note), "nr %u (x32 bit)", f->k);
				else
					snprintf(note, sizeof(note), "nr %u%s%s", f->k, name ? " " : "", name ? name : "");
			}
			break;
		}
		default:
			snprintf(line, sizeof(line), "code=0x%04x jt=%u jf=%u k=0x%x", f->code, f->jt, f->jf, f->k);
			break;
		}
		if (note[0])
			mvm_buf_printf(out, "  %04zu  %-34s ; %s\n", pc, line, note);
		else
			mvm_buf_printf(out, "  %04zu  %s\n", pc, line);
	}
}

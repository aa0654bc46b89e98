/* Classic BPF under seccomp's rules: a checker that accepts exactly the programs the kernel
 * accepts as seccomp filters, and an interpreter for them. */
#include "bpf_interp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* What BPF_LD|BPF_W|BPF_LEN yields, and the bound on absolute loads. */
#define DATA_LEN ((uint32_t)sizeof(struct seccomp_data))

/* The only opcodes seccomp accepts. Every other code, including the BPF_B/BPF_H widths,
 * BPF_IND, BPF_MSH, BPF_MOD and BPF_RET|BPF_X, is refused (the kernel's seccomp checker
 * has no MOD). */
enum {
	OP_LD_ABS = BPF_LD | BPF_W | BPF_ABS,
	OP_LD_LEN = BPF_LD | BPF_W | BPF_LEN,
	OP_LD_IMM = BPF_LD | BPF_W | BPF_IMM,
	OP_LD_MEM = BPF_LD | BPF_W | BPF_MEM,
	OP_LDX_LEN = BPF_LDX | BPF_W | BPF_LEN,
	OP_LDX_IMM = BPF_LDX | BPF_W | BPF_IMM,
	OP_LDX_MEM = BPF_LDX | BPF_W | BPF_MEM,
	OP_ST = BPF_ST,
	OP_STX = BPF_STX,
	OP_ADD_K = BPF_ALU | BPF_ADD | BPF_K,
	OP_ADD_X = BPF_ALU | BPF_ADD | BPF_X,
	OP_SUB_K = BPF_ALU | BPF_SUB | BPF_K,
	OP_SUB_X = BPF_ALU | BPF_SUB | BPF_X,
	OP_MUL_K = BPF_ALU | BPF_MUL | BPF_K,
	OP_MUL_X = BPF_ALU | BPF_MUL | BPF_X,
	OP_DIV_K = BPF_ALU | BPF_DIV | BPF_K,
	OP_DIV_X = BPF_ALU | BPF_DIV | BPF_X,
	OP_AND_K = BPF_ALU | BPF_AND | BPF_K,
	OP_AND_X = BPF_ALU | BPF_AND | BPF_X,
	OP_OR_K = BPF_ALU | BPF_OR | BPF_K,
	OP_OR_X = BPF_ALU | BPF_OR | BPF_X,
	OP_XOR_K = BPF_ALU | BPF_XOR | BPF_K,
	OP_XOR_X = BPF_ALU | BPF_XOR | BPF_X,
	OP_LSH_K = BPF_ALU | BPF_LSH | BPF_K,
	OP_LSH_X = BPF_ALU | BPF_LSH | BPF_X,
	OP_RSH_K = BPF_ALU | BPF_RSH | BPF_K,
	OP_RSH_X = BPF_ALU | BPF_RSH | BPF_X,
	OP_NEG = BPF_ALU | BPF_NEG,
	OP_JA = BPF_JMP | BPF_JA,
	OP_JEQ_K = BPF_JMP | BPF_JEQ | BPF_K,
	OP_JEQ_X = BPF_JMP | BPF_JEQ | BPF_X,
	OP_JGT_K = BPF_JMP | BPF_JGT | BPF_K,
	OP_JGT_X = BPF_JMP | BPF_JGT | BPF_X,
	OP_JGE_K = BPF_JMP | BPF_JGE | BPF_K,
	OP_JGE_X = BPF_JMP | BPF_JGE | BPF_X,
	OP_JSET_K = BPF_JMP | BPF_JSET | BPF_K,
	OP_JSET_X = BPF_JMP | BPF_JSET | BPF_X,
	OP_RET_K = BPF_RET | BPF_K,
	OP_RET_A = BPF_RET | BPF_A,
	OP_TAX = BPF_MISC | BPF_TAX,
	OP_TXA = BPF_MISC | BPF_TXA,
};

static bool is_cond_jump(uint16_t code)
{
	switch (code) {
	case OP_JEQ_K: case OP_JEQ_X:
	case OP_JGT_K: case OP_JGT_X:
	case OP_JGE_K: case OP_JGE_X:
	case OP_JSET_K: case OP_JSET_X:
		return true;
	default:
		return false;
	}
}

static bool is_ret(uint16_t code)
{
	return code == OP_RET_K || code == OP_RET_A;
}

/* One instruction on its own: an allowed opcode with operands the kernel accepts.
 * `after` is how many instructions follow this one, the bound on any jump offset. */
static bool insn_is_valid(const struct sock_filter *f, size_t after)
{
	switch (f->code) {
	case OP_LD_ABS:
		/* Ancillary loads (k >= SKF_AD_OFF) fail here too: seccomp has no packet. */
		return f->k < DATA_LEN && f->k % 4 == 0;
	case OP_LD_MEM: case OP_LDX_MEM: case OP_ST: case OP_STX:
		return f->k < BPF_MEMWORDS;
	case OP_DIV_K:
		return f->k != 0;
	case OP_LSH_K: case OP_RSH_K:
		return f->k < 32;
	case OP_JA:
		return f->k < after;
	case OP_JEQ_K: case OP_JEQ_X: case OP_JGT_K: case OP_JGT_X:
	case OP_JGE_K: case OP_JGE_X: case OP_JSET_K: case OP_JSET_X:
		return f->jt < after && f->jf < after;
	case OP_LD_LEN: case OP_LD_IMM: case OP_LDX_LEN: case OP_LDX_IMM:
	case OP_ADD_K: case OP_ADD_X: case OP_SUB_K: case OP_SUB_X:
	case OP_MUL_K: case OP_MUL_X: case OP_DIV_X:
	case OP_AND_K: case OP_AND_X: case OP_OR_K: case OP_OR_X:
	case OP_XOR_K: case OP_XOR_X: case OP_LSH_X: case OP_RSH_X: case OP_NEG:
	case OP_RET_K: case OP_RET_A: case OP_TAX: case OP_TXA:
		return true;
	default:
		return false;
	}
}

/* Scratch cells must be written on every path before they are read. Jumps only go forward,
 * so one pass suffices: `reach[pc]` is the set of cells written on every jump into pc.
 * Like the kernel, a RET does not reset the set, so the instruction after a RET sees the
 * RET's set intersected with its jump-ins; being as strict as the kernel keeps us from
 * accepting a filter that seccomp(2) would refuse. Needs valid jumps. */
static int check_scratch_init(const struct sock_filter *prog, size_t len, size_t *bad_pc)
{
	uint16_t reach[MVM_BPF_MAXINSNS];
	uint16_t written = 0; /* bit i: M[i] written on every path to here */

	for (size_t pc = 0; pc < len; pc++)
		reach[pc] = 0xffff;
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];

		written &= reach[pc];
		switch (f->code) {
		case OP_ST: case OP_STX:
			written |= (uint16_t)(1u << f->k);
			break;
		case OP_LD_MEM: case OP_LDX_MEM:
			if (!(written & (1u << f->k))) {
				*bad_pc = pc;
				return -EINVAL;
			}
			break;
		case OP_JA:
			reach[pc + 1 + f->k] &= written;
			written = 0xffff; /* nothing falls through */
			break;
		default:
			if (is_cond_jump(f->code)) {
				reach[pc + 1 + f->jt] &= written;
				reach[pc + 1 + f->jf] &= written;
				written = 0xffff;
			}
			break;
		}
	}
	return 0;
}

int mvm_bpf_check(const struct sock_filter *prog, size_t len, size_t *bad_pc)
{
	size_t unused;

	if (!bad_pc)
		bad_pc = &unused;
	if (len == 0 || !prog) {
		*bad_pc = 0;
		return -EINVAL;
	}
	if (len > MVM_BPF_MAXINSNS) {
		*bad_pc = MVM_BPF_MAXINSNS; /* the first instruction past the limit */
		return -EINVAL;
	}
	for (size_t pc = 0; pc < len; pc++) {
		if (!insn_is_valid(&prog[pc], len - pc - 1)) {
			*bad_pc = pc;
			return -EINVAL;
		}
	}
	if (!is_ret(prog[len - 1].code)) {
		*bad_pc = len - 1;
		return -EINVAL;
	}
	return check_scratch_init(prog, len, bad_pc);
}

/* Stays memory-safe on programs that never went through mvm_bpf_check: every operand the
 * checker would have vetted is re-checked here (cheap, well-predicted branches) and a
 * violation is -EINVAL. Jumps only go forward, so the loop ends within len steps. */
int mvm_bpf_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d,
		uint32_t *ret, size_t *executed)
{
	uint32_t a = 0, x = 0; /* the kernel starts both registers at zero */
	uint32_t mem[BPF_MEMWORDS];
	unsigned written = 0;  /* bit i: M[i] has been stored to */
	size_t pc = 0, steps = 0;
	uint32_t result;

	if (!prog || !d || !ret || len == 0 || len > MVM_BPF_MAXINSNS)
		return -EINVAL;

	while (pc < len) {
		const struct sock_filter *f = &prog[pc++];
		const uint32_t k = f->k;

		steps++;
		switch (f->code) {
		case OP_LD_ABS:
			if (k >= DATA_LEN || k % 4 != 0)
				return -EINVAL;
			/* seccomp reads the struct in host layout: args[i] is two words, low first
			 * on little-endian hosts. */
			memcpy(&a, (const unsigned char *)d + k, sizeof a);
			break;
		case OP_LD_LEN:  a = DATA_LEN; break;
		case OP_LDX_LEN: x = DATA_LEN; break;
		case OP_LD_IMM:  a = k; break;
		case OP_LDX_IMM: x = k; break;
		case OP_LD_MEM:
		case OP_LDX_MEM:
			if (k >= BPF_MEMWORDS || !(written & (1u << k)))
				return -EINVAL;
			if (f->code == OP_LD_MEM)
				a = mem[k];
			else
				x = mem[k];
			break;
		case OP_ST:
		case OP_STX:
			if (k >= BPF_MEMWORDS)
				return -EINVAL;
			mem[k] = f->code == OP_ST ? a : x;
			written |= 1u << k;
			break;
		case OP_ADD_K: a += k; break;
		case OP_ADD_X: a += x; break;
		case OP_SUB_K: a -= k; break;
		case OP_SUB_X: a -= x; break;
		case OP_MUL_K: a *= k; break;
		case OP_MUL_X: a *= x; break;
		case OP_DIV_K:
			if (k == 0)
				return -EINVAL;
			a /= k;
			break;
		case OP_DIV_X:
			/* The kernel ends the filter with 0 (SECCOMP_RET_KILL_THREAD) here. */
			if (x == 0) {
				result = 0;
				goto done;
			}
			a /= x;
			break;
		case OP_AND_K: a &= k; break;
		case OP_AND_X: a &= x; break;
		case OP_OR_K:  a |= k; break;
		case OP_OR_X:  a |= x; break;
		case OP_XOR_K: a ^= k; break;
		case OP_XOR_X: a ^= x; break;
		case OP_LSH_K:
			if (k >= 32)
				return -EINVAL;
			a <<= k;
			break;
		case OP_RSH_K:
			if (k >= 32)
				return -EINVAL;
			a >>= k;
			break;
		/* Shift counts from X are taken mod 32, as the kernel's interpreter and JITs do. */
		case OP_LSH_X: a <<= x & 31; break;
		case OP_RSH_X: a >>= x & 31; break;
		case OP_NEG:   a = 0u - a; break;
		case OP_JA:
			if (k >= len - pc)
				return -EINVAL;
			pc += k;
			break;
		case OP_JEQ_K:  pc += a == k ? f->jt : f->jf; break;
		case OP_JEQ_X:  pc += a == x ? f->jt : f->jf; break;
		case OP_JGT_K:  pc += a > k ? f->jt : f->jf; break;
		case OP_JGT_X:  pc += a > x ? f->jt : f->jf; break;
		case OP_JGE_K:  pc += a >= k ? f->jt : f->jf; break;
		case OP_JGE_X:  pc += a >= x ? f->jt : f->jf; break;
		case OP_JSET_K: pc += (a & k) ? f->jt : f->jf; break;
		case OP_JSET_X: pc += (a & x) ? f->jt : f->jf; break;
		case OP_RET_K:
			result = k;
			goto done;
		case OP_RET_A:
			result = a;
			goto done;
		case OP_TAX: x = a; break;
		case OP_TXA: a = x; break;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL; /* ran off the end (or jumped past it) without a RET */

done:
	*ret = result;
	if (executed)
		*executed = steps;
	return 0;
}

/* The cast needs `bytes` aligned for struct sock_filter (4 bytes: its k is a __u32), as a
 * malloc'd buffer or a struct sock_filter array is; a misaligned buffer gives -EINVAL
 * rather than undefined behaviour. The result points into `bytes`. */
int mvm_bpf_from_bytes(const void *bytes, size_t n, const struct sock_filter **prog, size_t *len)
{
	const size_t insn = sizeof(struct sock_filter);

	if (!bytes || !prog || !len)
		return -EINVAL;
	if (n == 0 || n % insn != 0 || n / insn > MVM_BPF_MAXINSNS)
		return -EINVAL;
	if ((uintptr_t)bytes % _Alignof(struct sock_filter) != 0)
		return -EINVAL;
	*prog = bytes;
	*len = n / insn;
	return 0;
}

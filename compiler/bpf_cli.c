/* The BPF side of mvmc's commands (bpf_cli.h). */
#include "bpf_cli.h"

#include <errno.h>
#include <string.h>

#include "bpf_cfg.h"
#include "commands.h"

static int load_freq(const struct mvmc_bpf_opts *o, struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st,
		     struct mvm_bpf_freq **freq)
{
	const char *text, *display;
	char *owned;
	size_t len;
	if (o->weights) {
		int r = mvm_read_file(a, o->weights, (1u << 20), &owned, &len);
		if (r) {
			mvm_diag_error(d, o->weights, 0, 0, "cannot read the frequency table: %s", strerror(-r));
			return -EINVAL;
		}
		mvm_diag_add_source(d, o->weights, owned, len);
		return mvm_bpf_freq_parse(a, d, o->weights, owned, len, freq);
	}
	if (mvm_stdlib_read(st, a, "syscall-freq.yaml", &text, &len, &display)) {
		mvm_diag_error(d, NULL, 0, 0, "stdlib file syscall-freq.yaml is missing");
		return -EINVAL;
	}
	return mvm_bpf_freq_parse(a, d, display, text, len, freq);
}

int mvmc_bpf_emit(const struct mvmc_bpf_opts *o, struct mvm_arena *a, struct mvm_diag *d, const struct mvm_stdlib *st,
		  const struct mvm_arch_filter *f, struct mvm_bpf_freq **freq, struct mvm_buf *out)
{
	if (!*freq && load_freq(o, a, d, st, freq))
		return -EINVAL;
	struct mvm_bpf_opts go = { *freq };
	size_t start = out->len;
	int r = mvm_emit_bpf_opts(d, f, &go, out);
	if (r || !o->report)
		return r;
	const struct sock_filter *prog;
	size_t len;
	struct mvm_bpf_stats s;
	if (mvm_bpf_from_bytes(out->data + start, out->len - start, &prog, &len) || mvm_bpf_measure(f, prog, len, *freq, &s))
		return -EINVAL;
	mvmc_bpf_report(stdout, f, &s);
	return 0;
}

void mvmc_bpf_report(FILE *out, const struct mvm_arch_filter *f, const struct mvm_bpf_stats *s)
{
	fprintf(out, "%s: %zu instructions; %zu allowed syscalls: instructions executed mean %.2f, weighted mean %.2f, "
		     "longest %zu (%s); cache-eligible %zu of %zu unconditional allows\n",
		f->arch->name, s->length, s->allowed, s->mean_insns, s->weighted_mean_insns, s->max_insns,
		s->max_name ? s->max_name : "-", s->cache_eligible, s->unconditional_allows);
}

const struct mvm_arch *mvmc_bpf_arch_of(const struct sock_filter *prog, size_t len)
{
	for (size_t pc = 0; pc + 1 < len; pc++) {
		if (prog[pc].code != BPF_OP_LD || prog[pc].k != BPF_OFF_ARCH || prog[pc + 1].code != BPF_OP_JEQ)
			continue;
		for (int a = 0; a < MVM_ARCH_COUNT; a++)
			if (mvm_arch_by_id((enum mvm_arch_id)a)->audit_arch == prog[pc + 1].k)
				return mvm_arch_by_id((enum mvm_arch_id)a);
	}
	return NULL;
}

int mvmc_load_bpf(const char *path, struct mvm_arena *a, const struct sock_filter **prog, size_t *len)
{
	char *bytes;
	size_t n;
	int r = mvm_read_file(a, path, MVM_BPF_MAXINSNS * sizeof(struct sock_filter), &bytes, &n);
	if (r) {
		fprintf(stderr, "mvmc: %s: %s\n", path, r == -EFBIG ? "larger than 4096 instructions" : strerror(-r));
		return r == -EFBIG ? MVMC_EXIT_PROFILE : MVMC_EXIT_IO; /* a refused input, not an I/O failure */
	}
	if (mvm_bpf_from_bytes(bytes, n, prog, len)) {
		fprintf(stderr, "mvmc: %s: not a struct sock_filter array (%zu bytes: empty, or not a multiple of 8)\n", path, n);
		return MVMC_EXIT_PROFILE;
	}
	return 0;
}

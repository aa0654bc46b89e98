/* seccomp.<arch>.bpf: mvmc's own generator (compiler/bpf_gen.c); libseccomp is only a test
 * and benchmark oracle (tests/oracle_libseccomp.c). */
#include <errno.h>
#include <stdlib.h>

#include "bpf_gen.h"
#include "emit.h"

int mvm_emit_bpf_opts(struct mvm_diag *d, const struct mvm_arch_filter *f, const struct mvm_bpf_opts *o,
		      struct mvm_buf *out)
{
	struct sock_filter *prog = malloc(MVM_BPF_MAXINSNS * sizeof(*prog));
	size_t len = 0;
	if (!prog)
		return -ENOMEM;
	int r = mvm_bpf_generate(d, f, o, prog, &len);
	if (r == 0) {
		mvm_buf_put(out, prog, len * sizeof(*prog));
		if (out->oom)
			r = -ENOMEM;
	}
	free(prog);
	return r;
}

int mvm_emit_bpf(struct mvm_diag *d, const struct mvm_arch_filter *f, struct mvm_buf *out)
{
	return mvm_emit_bpf_opts(d, f, NULL, out);
}

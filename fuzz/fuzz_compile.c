/* The whole compiler on one profile: front end (YAML or DSL, by the first byte), resolver
 * (extends chain, includes, groups, tiers, constants, intent ceiling, normal form) and every
 * emitter. Properties, for every profile that compiles:
 *   - the normal form decides like the ordered rules (mvm_eval_decisions == mvm_eval_rules);
 *   - the generated BPF passes the kernel's checks and decides like the normal form, on the
 *     syscalls the profile names, on input-chosen numbers and on input-chosen arguments;
 *   - seccomp.json, egress.nft and plan.json are produced (or refused with a diagnostic), and
 *     plan.json carries every tool and label of the profile (none silently dropped).
 * The profile is written to a private scratch file, because includes and `extends` of a file
 * resolve relative to it. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/bpf_gen.h"
#include "compiler/emit.h"
#include "compiler/resolve.h"
#include "fuzz.h"

#define MAX_CALLS 64

static void write_profile(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		FUZZ_CHECK(w > 0);
		off += (size_t)w;
	}
	close(fd);
}

static void check_call(const struct mvm_arch_filter *f, const struct sock_filter *prog, size_t len, int nr,
		       const uint64_t args[6])
{
	struct seccomp_data sd = { .nr = nr, .arch = f->arch->audit_arch };
	memcpy(sd.args, args, sizeof(sd.args));
	uint32_t ret;
	struct mvm_action by_rules = mvm_eval_rules(f, nr, args), by_nf = mvm_eval_decisions(f, nr, args);
	FUZZ_CHECK(mvm_action_eq(by_rules, by_nf));
	FUZZ_CHECK(mvm_bpf_run(prog, len, &sd, &ret, NULL) == 0);
	if (ret != mvm_bpf_ret(by_nf))
		fprintf(stderr, "fuzz: %s nr %d: BPF returns %#x, the normal form %#x\n", f->arch->name, nr, ret,
			mvm_bpf_ret(by_nf));
	FUZZ_CHECK(ret == mvm_bpf_ret(by_nf));
}

static void check_filter(const struct mvm_arch_filter *f, struct fuzz_in *in)
{
	struct mvm_diag d;
	struct mvm_buf bpf = { 0 };
	mvm_diag_init(&d, "fuzz", fuzz_sink());
	int r = mvm_emit_bpf(&d, f, &bpf);
	FUZZ_CHECK(r == 0 || r == -E2BIG);
	if (r) {
		mvm_buf_free(&bpf);
		return;
	}
	const struct sock_filter *prog;
	size_t len, bad;
	FUZZ_CHECK(mvm_bpf_from_bytes(bpf.data, bpf.len, &prog, &len) == 0);
	FUZZ_CHECK(mvm_bpf_check(prog, len, &bad) == 0);
	uint64_t args[6];
	for (size_t i = 0; i < f->ndecision && i < MAX_CALLS; i++) {
		const struct mvm_decision *dc = &f->decision[i];
		for (size_t e = 0; e <= dc->nentry; e++) {
			if (e < dc->nentry)
				mvm_conj_witness(&dc->entry[e].conj, args);
			else
				for (int k = 0; k < 6; k++)
					args[k] = fuzz_u64(in);
			check_call(f, prog, len, dc->nr, args);
		}
	}
	for (int i = 0; i < 8; i++) {
		int nr = (int)(fuzz_u16(in) % (unsigned)(f->arch->max_nr + 2));
		for (int k = 0; k < 6; k++)
			args[k] = fuzz_u64(in);
		check_call(f, prog, len, nr, args);
	}
	struct mvm_buf listing = { 0 };
	mvm_bpf_disasm(prog, len, f->arch, &listing);
	mvm_buf_free(&listing);
	mvm_buf_free(&bpf);
}

static void check_plan(const struct mvm_profile *p, const struct mvm_buf *plan)
{
	json_error_t je;
	json_t *root = json_loadb(plan->data, plan->len, JSON_REJECT_DUPLICATES, &je);
	FUZZ_CHECK(root != NULL);
	json_t *tools = json_object_get(root, "tools"), *labels = json_object_get(root, "labels");
	FUZZ_CHECK(json_is_array(tools) && json_array_size(tools) == p->ntool);
	FUZZ_CHECK(json_is_object(labels) && json_object_size(labels) == p->nlabel);
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool dsl = data[0] & 1;
	unsigned arch_override = (data[0] >> 1) & 3; /* 0: the profile's own */
	char path[128];
	snprintf(path, sizeof(path), "%s/profile.%s", fuzz_scratch_dir(), dsl ? "mvm" : "yaml");
	write_profile(path, data + 1, size - 1);

	struct mvm_arena a;
	struct mvm_diag d;
	struct mvm_profile *p;
	mvm_arena_init(&a, 256u << 20);
	mvm_diag_init(&d, "fuzz", fuzz_sink());
	d.caret = true;
	int r = mvm_compile_profile(&a, &d, fuzz_stdlib(), path, arch_override, &p);
	FUZZ_CHECK(r == 0 || d.errors > 0 || r == -ENOMEM);
	if (r == 0) {
		/* the input's bytes again, as syscall numbers and arguments for the checks */
		struct fuzz_in in = { data + 1, size - 1 };
		struct mvm_artifact arts[MVM_ARCH_COUNT + 2];
		size_t nart = 0;
		memset(arts, 0, sizeof(arts));
		for (int i = 0; i < MVM_ARCH_COUNT; i++)
			if (p->arch_mask & (1u << i))
				check_filter(&p->filter[i], &in);
		struct mvm_buf oci = { 0 }, nft = { 0 }, plan = { 0 };
		FUZZ_CHECK(mvm_emit_oci(&d, p, &oci) == 0 || d.errors > 0);
		int e = mvm_emit_nft(&d, p, &nft);
		FUZZ_CHECK(e == 0 || e == -ENOENT || d.errors > 0);
		snprintf(arts[nart].name, sizeof(arts[nart].name), "seccomp.json");
		arts[nart++].data = oci;
		if (mvm_emit_plan(&d, p, arts, nart, &plan) == 0)
			check_plan(p, &plan);
		else
			FUZZ_CHECK(d.errors > 0);
		mvm_buf_free(&oci);
		mvm_buf_free(&nft);
		mvm_buf_free(&plan);
	}
	mvm_arena_free(&a);
	return 0;
}

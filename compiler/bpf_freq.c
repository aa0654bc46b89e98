/* Syscall frequency tables (stdlib/syscall-freq.yaml, `mvmc build --weights FILE`). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_gen.h"
#include "yaml_tree.h"

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct mvm_bpf_freq_entry *)a)->name, ((const struct mvm_bpf_freq_entry *)b)->name);
}

static bool known_syscall(const char *name)
{
	for (int a = 0; a < MVM_ARCH_COUNT; a++)
		if (mvm_syscall_nr(mvm_arch_by_id((enum mvm_arch_id)a), name) >= 0)
			return true;
	return false;
}

static int parse_counts(struct mvm_arena *a, struct mvm_diag *d, const struct ynode *m, struct mvm_bpf_freq *fq)
{
	if (ynode_expect(d, m, Y_MAP, "counts"))
		return -EINVAL;
	if (m->n > MVM_BPF_FREQ_MAX_ENTRIES) {
		mvm_diag_error(d, m->file, m->line, m->col, "counts: more than %d entries", MVM_BPF_FREQ_MAX_ENTRIES);
		return -EINVAL;
	}
	fq->e = mvm_arena_array(a, m->n ? m->n : 1, sizeof(*fq->e));
	if (!fq->e)
		return -ENOMEM;
	int bad = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *k = m->item[2 * i], *v = m->item[2 * i + 1];
		int64_t c;
		if (ynode_expect(d, k, Y_SCALAR, "counts key")) {
			bad = -EINVAL;
			continue;
		}
		if (!known_syscall(k->str)) {
			mvm_diag_error(d, k->file, k->line, k->col, "counts: unknown syscall '%s'", k->str);
			bad = -EINVAL;
			continue;
		}
		if (ynode_int(d, v, "count", 0, INT64_MAX, &c)) {
			bad = -EINVAL;
			continue;
		}
		fq->e[fq->n++] = (struct mvm_bpf_freq_entry){ k->str, (uint64_t)c };
	}
	qsort(fq->e, fq->n, sizeof(*fq->e), cmp_entry);
	return bad;
}

int mvm_bpf_freq_parse(struct mvm_arena *a, struct mvm_diag *d, const char *file, const char *text, size_t len,
		       struct mvm_bpf_freq **out)
{
	struct ynode *root;
	if (mvm_yaml_parse(a, d, file, text, len, &root))
		return -EINVAL;
	if (ynode_expect(d, root, Y_MAP, "frequency table"))
		return -EINVAL;
	struct mvm_bpf_freq *fq = mvm_arena_alloc(a, sizeof(*fq));
	if (!fq)
		return -ENOMEM;
	fq->source = file;
	bool schema = false, counts = false;
	int bad = 0;
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->item[2 * i], *v = root->item[2 * i + 1];
		if (k->kind != Y_SCALAR) {
			mvm_diag_error(d, k->file, k->line, k->col, "expected a key");
			bad = -EINVAL;
		} else if (strcmp(k->str, "mvm") == 0) {
			int64_t s;
			if (ynode_int(d, v, "mvm", 1, 1, &s))
				bad = -EINVAL;
			schema = true;
		} else if (strcmp(k->str, "source") == 0) {
			if (ynode_expect(d, v, Y_SCALAR, "source"))
				bad = -EINVAL;
		} else if (strcmp(k->str, "counts") == 0) {
			int e = parse_counts(a, d, v, fq);
			if (e == -ENOMEM)
				return e;
			if (e)
				bad = e;
			counts = true;
		} else {
			mvm_diag_error(d, k->file, k->line, k->col, "unknown key '%s' (expected mvm, source, counts)", k->str);
			bad = -EINVAL;
		}
	}
	if (!schema || !counts) {
		mvm_diag_error(d, file, root->line, root->col, "missing key '%s'", schema ? "counts" : "mvm");
		bad = -EINVAL;
	}
	if (bad)
		return bad;
	*out = fq;
	return 0;
}

uint64_t mvm_bpf_freq_count(const struct mvm_bpf_freq *fq, const char *name)
{
	if (!fq)
		return 0;
	struct mvm_bpf_freq_entry key = { name, 0 };
	const struct mvm_bpf_freq_entry *e = bsearch(&key, fq->e, fq->n, sizeof(*fq->e), cmp_entry);
	return e ? e->count : 0;
}

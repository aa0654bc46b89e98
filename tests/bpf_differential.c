/* mvmc's generator against libseccomp on the same normal form: see bpf_differential.h. */
#include "bpf_differential.h"

#include <errno.h>
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/resolve.h"
#include "lib/bpf_interp.h"
#include "oracle_libseccomp.h"

#define X32_BIT 0x40000000u
#define GARBAGE_HI 0xdeadbeef00000000ull
#define ORACLE_DEADLINE_MS 400

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct progs {
	struct sock_filter *ours;
	size_t ours_len;
	struct mvm_buf theirs_buf;
	const struct sock_filter *theirs;
	size_t theirs_len;
};

static void progs_free(struct progs *p)
{
	free(p->ours);
	mvm_buf_free(&p->theirs_buf);
	memset(p, 0, sizeof(*p));
}

/* libseccomp 2.5.4 never returns from seccomp_rule_add for some rule sets (two rules with one
 * action that both test `argN >= V` or `argN > V` and differ in another argument), so the oracle
 * runs in a child with a deadline. -ETIMEDOUT when it hangs. */
static int oracle_in_child(const struct mvm_arch_filter *f, int level, struct mvm_buf *out)
{
	int fd[2];
	if (pipe(fd))
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -errno;
	}
	if (pid == 0) {
		struct mvm_diag d;
		struct mvm_buf b = { 0 };
		close(fd[0]);
		mvm_diag_init(&d, "oracle", stderr);
		int rc = oracle_libseccomp_bpf(&d, f, level, &b);
		size_t off = 0;
		while (rc == 0 && off < b.len) {
			ssize_t w = write(fd[1], b.data + off, b.len - off);
			if (w <= 0)
				_exit(2);
			off += (size_t)w;
		}
		_exit(rc ? 1 : 0);
	}
	close(fd[1]);
	int r = 0;
	for (;;) {
		struct pollfd pfd = { fd[0], POLLIN, 0 };
		int pr = poll(&pfd, 1, ORACLE_DEADLINE_MS);
		if (pr == 0) {
			kill(pid, SIGKILL);
			r = -ETIMEDOUT;
			break;
		}
		char chunk[4096];
		ssize_t got = pr < 0 ? -1 : read(fd[0], chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : 0;
			break;
		}
		mvm_buf_put(out, chunk, (size_t)got);
	}
	close(fd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		r = -EINVAL;
	return r;
}

static int compile_both(const struct mvm_arch_filter *f, const struct diff_opts *o, struct progs *p)
{
	struct mvm_diag d;
	size_t bad;
	mvm_diag_init(&d, "diff", stderr);
	memset(p, 0, sizeof(*p));
	p->ours = malloc(MVM_BPF_MAXINSNS * sizeof(*p->ours));
	if (!p->ours)
		return -ENOMEM;
	int r = mvm_bpf_generate(&d, f, o->gen, p->ours, &p->ours_len);
	if (r)
		return r;
	if (mvm_bpf_check(p->ours, p->ours_len, &bad)) {
		fprintf(stderr, "diff: mvmc's program for %s is not a valid seccomp filter (instruction %zu)\n", f->arch->name, bad);
		return -EINVAL;
	}
	if ((r = oracle_in_child(f, o->level, &p->theirs_buf)) == -ETIMEDOUT)
		return 0; /* libseccomp hung: mvmc meets the normal form alone */
	if (r)
		return r;
	if (p->theirs_buf.len > MVM_BPF_MAXINSNS * sizeof(struct sock_filter))
		return 0; /* libseccomp does not enforce the kernel's limit: mvmc meets the normal form alone */
	return mvm_bpf_from_bytes(p->theirs_buf.data, p->theirs_buf.len, &p->theirs, &p->theirs_len);
}

/* Runs one case; 1 with *bad filled when the three decisions are not all equal. */
static int run_case(const struct mvm_arch_filter *f, const struct progs *p, uint32_t token, uint32_t nr,
		    const uint64_t args[6], struct diff_case *bad, struct diff_stats *st)
{
	struct seccomp_data sd = { .nr = (int)nr, .arch = token };
	uint32_t a, b;
	memcpy(sd.args, args, sizeof(sd.args));
	if (mvm_bpf_run(p->ours, p->ours_len, &sd, &a, NULL) ||
	    (p->theirs ? mvm_bpf_run(p->theirs, p->theirs_len, &sd, &b, NULL) : (b = a, 0))) {
		fprintf(stderr, "diff: a program failed at run time\n");
		return -EINVAL;
	}
	/* The normal form's meaning, with the arch rules both compilers implement. */
	uint32_t want;
	if (token != f->arch->audit_arch || (f->arch->id == MVM_ARCH_X86_64 && nr >= X32_BIT && nr != 0xffffffffu))
		want = SECCOMP_RET_KILL_PROCESS;
	else
		want = mvm_bpf_ret(mvm_eval_decisions(f, (int)nr, args));
	st->cases++;
	if (a == b && a == want)
		return 0;
	struct diff_case c = { token, nr, { 0 }, a, b, want };
	memcpy(c.args, args, sizeof(c.args));
	if (a == want) {
		/* libseccomp alone is wrong: recorded, and the comparison goes on */
		if (st->oracle_wrong++ == 0)
			st->oracle_case = c;
		return 0;
	}
	*bad = c;
	return 1;
}

static const struct mvm_decision *find(const struct mvm_arch_filter *f, uint32_t nr)
{
	for (size_t i = 0; i < f->ndecision; i++)
		if ((uint32_t)f->decision[i].nr == nr)
			return &f->decision[i];
	return NULL;
}

/* Values around one condition. */
static size_t around(const struct mvm_cond *c, uint64_t *v)
{
	size_t n = 0;
	uint64_t x = c->value, m = c->mask;
	v[n++] = x;
	v[n++] = x + 1;
	v[n++] = x - 1;
	v[n++] = x | GARBAGE_HI;
	v[n++] = x ^ 0x100000000ull;
	v[n++] = x ^ 0x80000000ull;
	v[n++] = (x + 1) | GARBAGE_HI;
	v[n++] = x & 0xffffffffull;
	if (c->op == MVM_OP_MASKED_EQ) {
		v[n++] = x | ~m;
		v[n++] = (x | ~m) & 0xffffffffull;
		v[n++] = x ^ (m & (~m + 1)); /* lowest mask bit flipped */
		v[n++] = m ? x ^ (1ull << (63 - __builtin_clzll(m))) : x;
		v[n++] = m;
	}
	return n;
}

static int check_number(const struct mvm_arch_filter *f, const struct diff_opts *o, const struct progs *p, uint32_t nr,
			uint64_t *rng, struct diff_case *bad, struct diff_stats *st)
{
	static const uint64_t zeros[6] = { 0 };
	static const uint64_t ones[6] = { ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull };
	uint32_t tok = f->arch->audit_arch;
	int r;
	if ((r = run_case(f, p, tok, nr, zeros, bad, st)) || (r = run_case(f, p, tok, nr, ones, bad, st)))
		return r;
	const struct mvm_decision *dc = find(f, nr & ~X32_BIT);
	uint64_t cand[6][128];
	size_t nc[6] = { 0 };
	if (dc) {
		for (size_t e = 0; e < dc->nentry; e++) {
			const struct mvm_conj *cj = &dc->entry[e].conj;
			for (size_t k = 0; k < cj->ncond; k++) {
				const struct mvm_cond *c = &cj->cond[k];
				if (nc[c->arg] + 16 <= 128)
					nc[c->arg] += around(c, cand[c->arg] + nc[c->arg]);
			}
		}
		for (size_t e = 0; e < dc->nentry; e++) {
			const struct mvm_conj *cj = &dc->entry[e].conj;
			uint64_t w[6];
			mvm_conj_witness(cj, w);
			if ((r = run_case(f, p, tok, nr, w, bad, st)))
				return r;
			/* one tested argument at a time moved off the witness, around this entry's own
			 * constant and to another entry's: proves AND, widths and both halves */
			for (size_t k = 0; k < cj->ncond; k++) {
				const struct mvm_cond *c = &cj->cond[k];
				uint64_t v[24];
				size_t nv = around(c, v);
				for (int x = 0; x < 4 && nc[c->arg]; x++)
					v[nv++] = cand[c->arg][splitmix(rng) % nc[c->arg]];
				for (size_t j = 0; j < nv; j++) {
					uint64_t m[6];
					memcpy(m, w, sizeof(m));
					m[c->arg] = v[j];
					if ((r = run_case(f, p, tok, nr, m, bad, st)))
						return r;
				}
			}
		}
	}
	/* numbers the normal form decides without arguments need few vectors */
	unsigned nrand = dc && dc->nentry ? o->random_per_nr + 16 : o->random_per_nr > 1 ? 1 : o->random_per_nr;
	for (unsigned k = 0; k < nrand; k++) {
		uint64_t args[6];
		for (int a = 0; a < 6; a++) {
			uint64_t x = splitmix(rng);
			args[a] = (x & 8) ? x : x & 0xffffffffull;
			if (nc[a] && (x & 3))
				args[a] = cand[a][(x >> 8) % nc[a]] ^ ((x & 4) ? x & 0xffffffff00000000ull : 0);
		}
		if ((r = run_case(f, p, tok, nr, args, bad, st)))
			return r;
	}
	return 0;
}

static int compare(const struct mvm_arch_filter *f, const struct diff_opts *o, const struct progs *p, struct diff_case *bad,
		   struct diff_stats *st)
{
	uint64_t rng = o->seed ^ f->arch->audit_arch;
	int r;
	for (uint32_t nr = 0; nr < 1024; nr++)
		if ((r = check_number(f, o, p, nr, &rng, bad, st)))
			return r;
	static const uint32_t edge[] = { 0x3fffffff, 0x40000000, 0x40000400, 0x7fffffff, 0x80000000, 0xbfffffff,
					 0xc0000000, 0xfffffffe, 0xffffffff };
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		if ((r = check_number(f, o, p, edge[i], &rng, bad, st)))
			return r;
	if (f->arch->id == MVM_ARCH_X86_64) {
		for (uint32_t nr = 0; nr < 1024; nr++) {
			static const uint64_t zeros[6] = { 0 };
			if ((r = run_case(f, p, f->arch->audit_arch, nr | X32_BIT, zeros, bad, st)))
				return r;
		}
	}
	/* compat and foreign tokens are killed, whatever the number */
	static const uint32_t tokens[] = { AUDIT_ARCH_I386, AUDIT_ARCH_ARM, AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64, 0, 0xffffffff };
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		if (tokens[i] == f->arch->audit_arch)
			continue;
		for (uint32_t nr = 0; nr < 512; nr += 7) {
			static const uint64_t zeros[6] = { 0 };
			if ((r = run_case(f, p, tokens[i], nr, zeros, bad, st)))
				return r;
		}
	}
	return 0;
}

int diff_filter(const struct mvm_arch_filter *f, const struct diff_opts *o, struct diff_case *bad, struct diff_stats *st)
{
	struct progs p;
	struct diff_stats local = { 0 };
	if (!st)
		st = &local;
	int r = compile_both(f, o, &p);
	if (r == 0) {
		st->mvmc_len = p.ours_len;
		st->libseccomp_len = p.theirs ? p.theirs_len : p.theirs_buf.len / sizeof(struct sock_filter);
		st->oracle_over_limit = !p.theirs;
		r = compare(f, o, &p, bad, st);
	}
	progs_free(&p);
	return r;
}

/* ---- reproducers ---- */

struct mvm_arch_filter *diff_copy_filter(const struct mvm_arch_filter *f)
{
	struct mvm_arch_filter *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = *f;
	c->nrule = 0;
	c->rule = NULL;
	c->decision = calloc(f->ndecision ? f->ndecision : 1, sizeof(*c->decision));
	if (!c->decision) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < f->ndecision; i++) {
		c->decision[i] = f->decision[i];
		c->decision[i].entry = calloc(f->decision[i].nentry ? f->decision[i].nentry : 1, sizeof(struct mvm_entry));
		if (!c->decision[i].entry) {
			c->ndecision = i;
			diff_free_filter(c);
			return NULL;
		}
		if (f->decision[i].nentry)
			memcpy(c->decision[i].entry, f->decision[i].entry, f->decision[i].nentry * sizeof(struct mvm_entry));
	}
	return c;
}

void diff_free_filter(struct mvm_arch_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ndecision; i++)
		free(f->decision[i].entry);
	free(f->decision);
	free(f);
}

static bool still_diverges(const struct mvm_arch_filter *f, const struct diff_opts *o, struct diff_case *bad, bool oracle)
{
	struct diff_case c;
	struct diff_stats st = { 0 };
	int r = diff_filter(f, o, &c, &st);
	if (oracle ? r != 0 || st.oracle_wrong == 0 : r != 1)
		return false;
	*bad = oracle ? st.oracle_case : c;
	return true;
}

static bool interval(const struct mvm_cond *c, uint64_t *lo, uint64_t *hi)
{
	uint64_t max = c->width == 32 ? 0xffffffffull : UINT64_MAX, v = c->value;
	switch (c->op) {
	case MVM_OP_EQ: *lo = *hi = v; return v <= max;
	case MVM_OP_LT: *lo = 0; *hi = v - 1; return v > 0;
	case MVM_OP_LE: *lo = 0; *hi = v; return true;
	case MVM_OP_GT: *lo = v + 1; *hi = max; return v < max;
	case MVM_OP_GE: *lo = v; *hi = max; return v <= max;
	default: return false;
	}
}

/* Provably no common value (false when unsure). */
static bool conds_disjoint(const struct mvm_cond *a, const struct mvm_cond *b)
{
	uint64_t al, ah, bl, bh;
	if (a->width != b->width)
		return false;
	if (interval(a, &al, &ah) && interval(b, &bl, &bh))
		return ah < bl || bh < al;
	if (a->op == MVM_OP_MASKED_EQ && b->op == MVM_OP_MASKED_EQ)
		return ((a->value ^ b->value) & a->mask & b->mask) != 0;
	if (a->op == MVM_OP_EQ)
		return !mvm_cond_holds(b, a->value);
	if (b->op == MVM_OP_EQ)
		return !mvm_cond_holds(a, b->value);
	return false;
}

static bool conj_disjoint(const struct mvm_conj *x, const struct mvm_conj *y)
{
	for (size_t i = 0; i < x->ncond; i++)
		for (size_t j = 0; j < y->ncond; j++)
			if (x->cond[i].arg == y->cond[j].arg && conds_disjoint(&x->cond[i], &y->cond[j]))
				return true;
	return false;
}

void diff_minimize(struct mvm_arch_filter *f, const struct diff_opts *o, struct diff_case *bad, bool oracle)
{
	bool progress = true;
	while (progress) {
		progress = false;
		/* whole decisions */
		for (size_t i = f->ndecision; i-- > 0;) {
			struct mvm_decision saved = f->decision[i];
			memmove(&f->decision[i], &f->decision[i + 1], (f->ndecision - i - 1) * sizeof(saved));
			f->ndecision--;
			if (still_diverges(f, o, bad, oracle)) {
				free(saved.entry);
				progress = true;
			} else {
				memmove(&f->decision[i + 1], &f->decision[i], (f->ndecision - i) * sizeof(saved));
				f->decision[i] = saved;
				f->ndecision++;
			}
		}
		/* entries, then conditions */
		for (size_t i = 0; i < f->ndecision; i++) {
			struct mvm_decision *dc = &f->decision[i];
			for (size_t e = dc->nentry; e-- > 0 && dc->nentry > 1;) {
				struct mvm_entry saved = dc->entry[e];
				memmove(&dc->entry[e], &dc->entry[e + 1], (dc->nentry - e - 1) * sizeof(saved));
				dc->nentry--;
				if (still_diverges(f, o, bad, oracle)) {
					progress = true;
				} else {
					memmove(&dc->entry[e + 1], &dc->entry[e], (dc->nentry - e) * sizeof(saved));
					dc->entry[e] = saved;
					dc->nentry++;
				}
			}
			for (size_t e = 0; e < dc->nentry; e++) {
				struct mvm_conj *cj = &dc->entry[e].conj;
				for (size_t k = cj->ncond; k-- > 0 && cj->ncond > 1;) {
					struct mvm_conj saved = *cj;
					memmove(&cj->cond[k], &cj->cond[k + 1], (cj->ncond - k - 1) * sizeof(cj->cond[0]));
					cj->ncond--;
					/* dropping a condition may make entries of different actions overlap, which
					 * leaves the normal form; keep only reductions that stay in it */
					bool ok = true;
					for (size_t y = 0; y < dc->nentry && ok; y++)
						ok = y == e || mvm_action_eq(dc->entry[e].action, dc->entry[y].action) ||
						     conj_disjoint(cj, &dc->entry[y].conj);
					if (ok && still_diverges(f, o, bad, oracle))
						progress = true;
					else
						*cj = saved;
				}
			}
		}
	}
}

static void print_cond(FILE *out, const struct mvm_cond *c)
{
	static const char *const op[] = { "==", "!=", "<", "<=", ">", ">=", "&" };
	if (c->op == MVM_OP_MASKED_EQ)
		fprintf(out, "(arg%u/%u & %#llx) == %#llx", c->arg, c->width, (unsigned long long)c->mask,
			(unsigned long long)c->value);
	else
		fprintf(out, "arg%u/%u %s %#llx", c->arg, c->width, op[c->op], (unsigned long long)c->value);
}

void diff_print(FILE *out, const struct mvm_arch_filter *f, const struct diff_case *bad)
{
	char b1[32];
	fprintf(out, "reproducer (normal form, %s): default %s\n", f->arch->name, mvm_action_name(f->default_action, b1, sizeof(b1)));
	for (size_t i = 0; i < f->ndecision; i++) {
		const struct mvm_decision *dc = &f->decision[i];
		if (dc->nentry == 0) {
			fprintf(out, "  %s (%d): %s\n", dc->name, dc->nr, mvm_action_name(dc->action, b1, sizeof(b1)));
			continue;
		}
		fprintf(out, "  %s (%d):\n", dc->name, dc->nr);
		for (size_t e = 0; e < dc->nentry; e++) {
			fprintf(out, "    %s when ", mvm_action_name(dc->entry[e].action, b1, sizeof(b1)));
			for (size_t k = 0; k < dc->entry[e].conj.ncond; k++) {
				fputs(k ? " && " : "", out);
				print_cond(out, &dc->entry[e].conj.cond[k]);
			}
			fputc('\n', out);
		}
	}
	fprintf(out, "diverging call: arch token %#x nr %u args [%#llx %#llx %#llx %#llx %#llx %#llx]: "
		     "mvmc %#010x, libseccomp %#010x, normal form %#010x\n",
		bad->arch_token, bad->nr, (unsigned long long)bad->args[0], (unsigned long long)bad->args[1],
		(unsigned long long)bad->args[2], (unsigned long long)bad->args[3], (unsigned long long)bad->args[4],
		(unsigned long long)bad->args[5], bad->mvmc, bad->libseccomp, bad->normal_form);
}

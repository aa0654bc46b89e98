/* json_vs_bpf DIR [--samples N] [--seed S]
 *
 * Acceptance check for `mvmc build`: DIR/seccomp.json, loaded the way runc loads it
 * (tests/oci_runc.c), must decide like DIR/seccomp.<arch>.bpf for each arch whose .bpf exists.
 * Both programs run in lib/bpf_interp on the same seccomp_data: every syscall number 0..1023,
 * on x86_64 the x32 numbers (nr | 0x40000000) too, and boundary numbers; argument vectors all
 * zero, all ones, values around every constant the JSON compares (+-1, garbage in the high
 * half, inside and outside masks) placed at the index it tests, and N pseudo-random vectors
 * per number (splitmix64, fixed default seed, so runs repeat).
 *
 * Decisions are compared as full 32-bit SECCOMP_RET_* values. One tolerance, and only one:
 * where runc's program decides through something runc or libseccomp adds on its own and that
 * seccomp.json cannot express (the patchbpf -ENOSYS stub for numbers above the highest
 * syscall the JSON names, and libseccomp's bad-arch action for x32 numbers), the two values
 * may differ provided both deny the call (ERRNO, TRAP, KILL_THREAD or KILL_PROCESS). These
 * cases are counted and reported. Everything else must be equal.
 *
 * Not compared: arch tokens other than the file's own. Each .bpf serves one arch, while runc
 * loads one filter for all listed arches, so a foreign token takes different paths in the two
 * by construction (mvm: kill-process; runc: that arch's section or libseccomp's kill-thread).
 *
 * Exit: 0 all equal, 1 a divergence or an artifact that fails (runc would refuse the JSON, a
 * program the kernel would refuse, no .bpf at all, a libseccomp hang), 2 usage error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open, pread, alarm */
#endif
#include "bpf_interp.h"
#include "oci_runc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_DIVERGED 1
#define EXIT_USAGE 2
#define X32_BIT 0x40000000u
#define GARBAGE_HI 0xdeadbeef00000000ull
#define DEFAULT_SEED 0x6d766d2d6a736f6eull /* "mvm-json" */
#define MAX_SAMPLES 1000000ul
#define WATCHDOG_S 600
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct target {
	const char *name;
	uint32_t scmp;
	uint32_t audit;
};

static const struct target targets[] = {
	{ "x86_64", SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64 },
	{ "aarch64", SCMP_ARCH_AARCH64, AUDIT_ARCH_AARCH64 },
};

/* Interesting argument values for one syscall number on one arch. */
struct nr_spec {
	uint32_t nr;
	size_t ncand[6];
	uint64_t *cand[6];
	size_t nmatch;
	uint64_t (*match)[6]; /* per JSON entry: a vector satisfying every condition */
	unsigned char (*matched)[6]; /* which indices that entry tests */
};

struct run {
	const struct target *t;
	const struct sock_filter *json_prog, *bpf_prog;
	size_t json_len, bpf_len;
	struct oci_runc_info info;
	uint64_t rng;
	unsigned long samples;
	size_t cases, tolerated;
	struct nr_spec *spec;
	size_t nspec;
};

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *b;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return -EINVAL;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r <= 0) {
			free(b);
			close(fd);
			return r < 0 ? -errno : -EIO;
		}
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

static bool denies(uint32_t ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
	case SECCOMP_RET_KILL_THREAD:
	case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO:
		return true;
	default:
		return false;
	}
}

static void print_divergence(const struct run *r, const struct seccomp_data *d, uint32_t jret,
			     uint32_t bret, const char *why)
{
	bool x32 = r->t->scmp == SCMP_ARCH_X86_64 && (d->nr & X32_BIT);
	char *name = seccomp_syscall_resolve_num_arch(x32 ? SCMP_ARCH_X32 : r->t->scmp, (int)d->nr);

	printf("DIVERGENCE arch=%s nr=%" PRIu32 " (%s%s) args=[", r->t->name, (uint32_t)d->nr,
	       x32 ? "x32:" : "", name ? name : "?");
	for (int i = 0; i < 6; i++)
		printf("%s0x%" PRIx64, i ? "," : "", (uint64_t)d->args[i]);
	printf("] json=0x%08" PRIx32 " bpf=0x%08" PRIx32 "\n", jret, bret);
	printf("  %s\n", why);
	free(name);
}

/* Returns when the decisions agree or fall under the one tolerance; exits otherwise. */
static void compare(struct run *r, uint32_t nr, const uint64_t args[6], uint64_t ip)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = r->t->audit, .instruction_pointer = ip };
	uint32_t jret, bret;
	enum oci_runc_origin origin;

	memcpy(d.args, args, sizeof(d.args));
	if (mvm_bpf_run(r->json_prog, r->json_len, &d, &jret, NULL) < 0 ||
	    mvm_bpf_run(r->bpf_prog, r->bpf_len, &d, &bret, NULL) < 0) {
		fprintf(stderr, "json_vs_bpf: %s: a program failed at run time (nr=%" PRIu32 ")\n",
			r->t->name, nr);
		exit(EXIT_DIVERGED);
	}
	r->cases++;
	origin = oci_runc_origin_of(&r->info, nr);
	if (origin == OCI_RUNC_FROM_JSON) {
		if (jret != bret) {
			print_divergence(r, &d, jret, bret, "decided by the JSON's own rules: must be equal");
			exit(EXIT_DIVERGED);
		}
		return;
	}
	/* The model of runc's additions must hold, or the tolerance would cover the wrong cases. */
	uint32_t expect = origin == OCI_RUNC_FROM_STUB ? (uint32_t)SCMP_ACT_ERRNO(ENOSYS)
						       : r->info.badarch_action;
	if (jret != expect) {
		print_divergence(r, &d, jret, bret, "internal: runc emulation does not match its own model");
		exit(EXIT_DIVERGED);
	}
	if (jret == bret)
		return;
	if (!denies(jret) || !denies(bret)) {
		print_divergence(r, &d, jret, bret,
				 origin == OCI_RUNC_FROM_STUB
					 ? "decided by runc's -ENOSYS stub: both must deny"
					 : "decided by libseccomp's bad-arch action (x32): both must deny");
		exit(EXIT_DIVERGED);
	}
	r->tolerated++;
}

/* ---- interesting argument values ---- */

static int push(uint64_t **v, size_t *n, uint64_t x)
{
	uint64_t *g = realloc(*v, (*n + 1) * sizeof(**v));
	if (!g)
		return -ENOMEM;
	g[(*n)++] = x;
	*v = g;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Values just inside and just outside one comparison, with and without high-half garbage. */
static int candidates(const struct oci_runc_arg *a, uint64_t **v, size_t *n)
{
	uint64_t x = a->value, w = a->value_two;
	uint64_t lo = x & 0xffffffffull;
	uint64_t list[32];
	size_t k = 0;

	list[k++] = x - 1;
	list[k++] = x;
	list[k++] = x + 1;
	list[k++] = x | GARBAGE_HI;
	list[k++] = lo;
	list[k++] = lo | GARBAGE_HI;
	list[k++] = lo | 0xffffffff00000000ull;
	list[k++] = ~x;
	list[k++] = x ^ (1ull << 63);
	list[k++] = x ^ (1ull << 31);
	if (a->op == SCMP_CMP_MASKED_EQ) {
		uint64_t low_bit = x & (~x + 1), high_bit = x ? 1ull << (63 - __builtin_clzll(x)) : 0;
		list[k++] = w - 1;
		list[k++] = w;
		list[k++] = w + 1;
		list[k++] = w | GARBAGE_HI;
		list[k++] = w | ~x;                   /* every bit outside the mask set */
		list[k++] = (w | ~x) & 0xffffffffull;
		list[k++] = w ^ low_bit;              /* one masked bit wrong */
		list[k++] = w ^ high_bit;
		list[k++] = w & x;
		list[k++] = (w & x) | GARBAGE_HI;
	}
	list[k++] = 0;
	list[k++] = ~0ull;
	list[k++] = 0x7fffffffull;
	list[k++] = 0x80000000ull;
	list[k++] = 0xffffffffull;
	list[k++] = 0x100000000ull;
	for (size_t i = 0; i < k; i++)
		if (push(v, n, list[i]) < 0)
			return -ENOMEM;
	return 0;
}

static uint64_t satisfying(const struct oci_runc_arg *a)
{
	switch (a->op) {
	case SCMP_CMP_NE:
	case SCMP_CMP_GT:
		return a->value + 1;
	case SCMP_CMP_LT:
		return a->value - 1;
	case SCMP_CMP_MASKED_EQ:
		return a->value_two;
	default:
		return a->value;
	}
}

static struct nr_spec *spec_for(struct run *r, uint32_t nr, bool create)
{
	for (size_t i = 0; i < r->nspec; i++)
		if (r->spec[i].nr == nr)
			return &r->spec[i];
	if (!create)
		return NULL;
	struct nr_spec *g = realloc(r->spec, (r->nspec + 1) * sizeof(*g));
	if (!g)
		return NULL;
	r->spec = g;
	memset(&g[r->nspec], 0, sizeof(*g));
	g[r->nspec].nr = nr;
	return &g[r->nspec++];
}

static int build_specs(struct run *r, const struct oci_runc_config *c)
{
	for (size_t i = 0; i < c->ncall; i++) {
		const struct oci_runc_call *call = &c->call[i];
		int nr = seccomp_syscall_resolve_name_arch(r->t->scmp, call->name);
		struct nr_spec *s;

		if (nr < 0 || call->nargs == 0)
			continue;
		s = spec_for(r, (uint32_t)nr, true);
		if (!s)
			return -ENOMEM;
		uint64_t (*m)[6] = realloc(s->match, (s->nmatch + 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		s->match = m;
		unsigned char (*mi)[6] = realloc(s->matched, (s->nmatch + 1) * sizeof(*mi));
		if (!mi)
			return -ENOMEM;
		s->matched = mi;
		memset(m[s->nmatch], 0, sizeof(m[0]));
		memset(mi[s->nmatch], 0, sizeof(mi[0]));
		for (size_t k = 0; k < call->nargs; k++) {
			const struct oci_runc_arg *a = &call->args[k];
			if (candidates(a, &s->cand[a->index], &s->ncand[a->index]) < 0)
				return -ENOMEM;
			m[s->nmatch][a->index] = satisfying(a);
			mi[s->nmatch][a->index] = 1;
		}
		s->nmatch++;
	}
	for (size_t i = 0; i < r->nspec; i++)
		for (int k = 0; k < 6; k++) {
			struct nr_spec *s = &r->spec[i];
			size_t w = 0;
			if (!s->ncand[k])
				continue;
			qsort(s->cand[k], s->ncand[k], sizeof(uint64_t), cmp_u64);
			for (size_t j = 0; j < s->ncand[k]; j++)
				if (w == 0 || s->cand[k][w - 1] != s->cand[k][j])
					s->cand[k][w++] = s->cand[k][j];
			s->ncand[k] = w;
		}
	return 0;
}

static void free_specs(struct run *r)
{
	for (size_t i = 0; i < r->nspec; i++) {
		for (int k = 0; k < 6; k++)
			free(r->spec[i].cand[k]);
		free(r->spec[i].match);
		free(r->spec[i].matched);
	}
	free(r->spec);
}

/* ---- the cases ---- */

static void compare_number(struct run *r, uint32_t nr)
{
	static const uint64_t zeros[6] = { 0 };
	static const uint64_t ones[6] = { ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull };
	/* x32 numbers carry the arguments of the same native number */
	const struct nr_spec *s = spec_for(r, nr & ~X32_BIT, false);
	uint64_t a[6];

	compare(r, nr, zeros, 0);
	compare(r, nr, ones, 0);
	if (s) {
		for (int i = 0; i < 6; i++)
			for (size_t j = 0; j < s->ncand[i]; j++) {
				memcpy(a, zeros, sizeof(a));
				a[i] = s->cand[i][j];
				compare(r, nr, a, 0);
				memcpy(a, ones, sizeof(a));
				a[i] = s->cand[i][j];
				compare(r, nr, a, 0);
			}
		/* Vary one tested index while the entry's other conditions hold: shows AND vs OR. */
		for (size_t e = 0; e < s->nmatch; e++) {
			compare(r, nr, s->match[e], 0);
			for (int i = 0; i < 6; i++) {
				if (!s->matched[e][i])
					continue;
				for (size_t j = 0; j < s->ncand[i]; j++) {
					memcpy(a, s->match[e], sizeof(a));
					a[i] = s->cand[i][j];
					compare(r, nr, a, 0);
				}
			}
		}
	}
	for (unsigned long k = 0; k < r->samples; k++) {
		for (int i = 0; i < 6; i++) {
			uint64_t x = splitmix64(&r->rng);
			a[i] = x;
			if (s && s->ncand[i] && (x & 1)) {
				a[i] = s->cand[i][(x >> 8) % s->ncand[i]];
				if ((x & 6) == 6)
					a[i] ^= x & 0xffffffff00000000ull;
			}
		}
		compare(r, nr, a, splitmix64(&r->rng));
	}
}

static int load_bpf(const char *path, char **bytes, const struct sock_filter **prog, size_t *len)
{
	size_t n;
	int rc = read_file(path, MVM_BPF_MAXINSNS * sizeof(struct sock_filter), bytes, &n);

	if (rc < 0)
		return rc;
	rc = mvm_bpf_from_bytes(*bytes, n, prog, len);
	if (rc < 0) {
		free(*bytes);
		*bytes = NULL;
	}
	return rc;
}

static int check_prog(const char *what, const char *arch, const struct sock_filter *p, size_t n)
{
	size_t bad = 0;
	if (mvm_bpf_check(p, n, &bad) < 0) {
		fprintf(stderr, "json_vs_bpf: %s: %s program is not a valid seccomp filter (insn %zu of %zu)\n",
			arch, what, bad, n);
		return -EINVAL;
	}
	return 0;
}

static int compare_arch(const char *dir, const struct target *t, const char *json, size_t json_len,
			const struct oci_runc_config *cfg, unsigned long samples, uint64_t seed,
			size_t *cases, size_t *tolerated)
{
	char path[4096], err[512] = "";
	char *bytes = NULL;
	struct sock_filter *runc = NULL;
	struct run r = { .t = t, .samples = samples };
	int rc;

	snprintf(path, sizeof(path), "%s/seccomp.%s.bpf", dir, t->name);
	rc = load_bpf(path, &bytes, &r.bpf_prog, &r.bpf_len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "json_vs_bpf: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	rc = oci_runc_compile_info(json, json_len, t->scmp, &runc, &r.json_len, &r.info, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "json_vs_bpf: %s: runc would refuse seccomp.json: %s\n", t->name, err);
		free(bytes);
		return rc;
	}
	r.json_prog = runc;
	rc = check_prog("runc's", t->name, r.json_prog, r.json_len);
	if (rc == 0)
		rc = check_prog("the .bpf", t->name, r.bpf_prog, r.bpf_len);
	if (rc == 0)
		rc = build_specs(&r, cfg);
	if (rc == 0) {
		/* One stream per arch, so a run does not depend on which other arch is present. */
		r.rng = seed ^ t->audit;
		for (uint32_t nr = 0; nr < 1024; nr++)
			compare_number(&r, nr);
		if (t->scmp == SCMP_ARCH_X86_64) {
			static const uint32_t edge[] = { 0x3fffffff, 0x40000400, 0x7fffffff, 0x80000000,
							 0xbfffffff, 0xc0000000, 0xfffffffe, 0xffffffff };
			for (uint32_t nr = 0; nr < 1024; nr++)
				compare_number(&r, nr | X32_BIT);
			for (size_t i = 0; i < COUNT(edge); i++)
				compare_number(&r, edge[i]);
		} else {
			static const uint32_t edge[] = { 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000,
							 0xfffffffe, 0xffffffff };
			for (size_t i = 0; i < COUNT(edge); i++)
				compare_number(&r, edge[i]);
		}
		*cases = r.cases;
		*tolerated = r.tolerated;
	}
	free_specs(&r);
	free(runc);
	free(bytes);
	return rc;
}

/* libseccomp can loop forever on some sets of conflicting rules (runc then hangs as well):
 * fail rather than stall a CI run. */
static void on_watchdog(int sig)
{
	static const char msg[] = "json_vs_bpf: timed out (libseccomp loops on this seccomp.json?)\n";
	ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)w;
	(void)sig;
	_exit(EXIT_DIVERGED);
}

static int usage(void)
{
	fprintf(stderr, "usage: json_vs_bpf DIR [--samples N] [--seed S]\n");
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	uint64_t samples = 64, seed = DEFAULT_SEED;
	char path[4096], err[512] = "", *json = NULL;
	size_t json_len, cases[COUNT(targets)] = { 0 }, tolerated[COUNT(targets)] = { 0 };
	size_t total = 0, total_tolerated = 0;
	struct oci_runc_config *cfg = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--samples") == 0) {
			if (!parse_u64(next, &samples) || samples > MAX_SAMPLES)
				return usage();
			i++;
		} else if (strcmp(argv[i], "--seed") == 0) {
			if (!parse_u64(next, &seed))
				return usage();
			i++;
		} else if (argv[i][0] == '-' || dir) {
			return usage();
		} else {
			dir = argv[i];
		}
	}
	if (!dir)
		return usage();
	signal(SIGALRM, on_watchdog);
	alarm(WATCHDOG_S);

	snprintf(path, sizeof(path), "%s/seccomp.json", dir);
	rc = read_file(path, OCI_RUNC_MAX_JSON, &json, &json_len);
	if (rc < 0) {
		fprintf(stderr, "json_vs_bpf: %s: %s\n", path, strerror(-rc));
		return EXIT_DIVERGED;
	}
	rc = oci_runc_parse(json, json_len, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "json_vs_bpf: runc would refuse %s: %s\n", path, err);
		free(json);
		return EXIT_DIVERGED;
	}
	for (size_t i = 0; rc == 0 && i < COUNT(targets); i++)
		rc = compare_arch(dir, &targets[i], json, json_len, cfg, (unsigned long)samples, seed,
				  &cases[i], &tolerated[i]);
	oci_runc_config_free(cfg);
	free(json);
	if (rc < 0)
		return EXIT_DIVERGED;
	for (size_t i = 0; i < COUNT(targets); i++) {
		total += cases[i];
		total_tolerated += tolerated[i];
	}
	if (total == 0) {
		fprintf(stderr, "json_vs_bpf: %s: no seccomp.<arch>.bpf to compare\n", dir);
		return EXIT_DIVERGED;
	}
	printf("json_vs_bpf: OK: %zu (arch, nr, args) cases compared (x86_64 %zu, aarch64 %zu), all "
	       "equal except %zu decided by runc's own additions (-ENOSYS stub, x32 bad-arch) where "
	       "both deny\n", total, cases[0], cases[1], total_tolerated);
	return 0;
}

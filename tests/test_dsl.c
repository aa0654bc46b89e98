/* The mvm DSL: it builds exactly the spec the YAML front end builds, for every construct of
 * schema 1; user constants, groups and includes reach the IR; fmt keeps comments, converts
 * both ways without changing the meaning, and is idempotent; the input bounds hold. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/resolve.h"
#include "compiler/spec_print.h"
#include "grammar/dsl.h"

/* ---- helpers ---- */

struct ctx {
	struct mvm_arena a;
	struct mvm_diag d;
	char *err;
	size_t errlen;
	FILE *errf;
};

static void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	mvm_arena_init(&c->a, 0);
	c->errf = open_memstream(&c->err, &c->errlen);
	assert_non_null(c->errf);
	mvm_diag_init(&c->d, "mvmc", c->errf);
	c->d.caret = false;
}

static const char *ctx_errors(struct ctx *c)
{
	fflush(c->errf);
	return c->err ? c->err : "";
}

static void ctx_free(struct ctx *c)
{
	fclose(c->errf);
	free(c->err);
	mvm_arena_free(&c->a);
}

/* Parses text as FILE's syntax (by its name), with comments when wanted. */
static struct mvm_spec *parse(struct ctx *c, const char *file, const char *text, struct mvm_comments *com)
{
	struct mvm_spec *s = NULL;
	struct mvm_comments ignored;
	int r = mvm_load_spec_source(&c->a, &c->d, file, text, strlen(text), &s, com ? com : &ignored);
	if (r)
		fail_msg("%s does not parse (%d):\n%s", file, r, ctx_errors(c));
	return s;
}

static char *print(const struct mvm_spec *s, enum mvm_syntax to, const char *text, const struct mvm_comments *com)
{
	struct mvm_source src = { text, text ? strlen(text) : 0, { 0, NULL } };
	if (com)
		src.comments = *com;
	struct mvm_buf out = { 0 };
	assert_int_equal(mvm_spec_print(s, to, text ? &src : NULL, &out), 0);
	mvm_buf_put(&out, "", 1);
	return out.data;
}

static void assert_same_spec(struct ctx *c, const char *dsl, const char *yaml)
{
	struct mvm_spec *a = parse(c, "t.mvm", dsl, NULL), *b = parse(c, "t.yaml", yaml, NULL);
	if (!mvm_spec_equal(a, b)) {
		char *pa = print(a, MVM_SYNTAX_YAML, NULL, NULL), *pb = print(b, MVM_SYNTAX_YAML, NULL, NULL);
		fail_msg("the DSL and the YAML mean different things:\n--- DSL as YAML:\n%s--- YAML:\n%s", pa, pb);
	}
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Compiles a profile file through the resolver, as mvmc build does. */
static int compile(struct ctx *c, const char *path, const char *const *search, size_t nsearch, struct mvm_profile **p)
{
	struct mvm_stdlib *st;
	assert_int_equal(mvm_stdlib_load(&c->a, &c->d, search, nsearch, &st), 0);
	return mvm_compile_profile(&c->a, &c->d, st, path, 0, p);
}

static struct mvm_profile *compile_dsl(struct ctx *c, char *dir, const char *dsl)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/p.mvm", dir);
	write_file(path, dsl);
	struct mvm_profile *p = NULL;
	if (compile(c, path, NULL, 0, &p))
		fail_msg("does not compile:\n%s", ctx_errors(c));
	return p;
}

static const struct mvm_rule *rule_for(const struct mvm_profile *p, enum mvm_arch_id arch, const char *syscall)
{
	const struct mvm_arch_filter *f = &p->filter[arch];
	for (size_t i = 0; i < f->nrule; i++)
		if (strcmp(f->rule[i].syscall, syscall) == 0)
			return &f->rule[i];
	return NULL;
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/mvm-dsl-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* ---- the same spec from both syntaxes ---- */

static const char kitchen_dsl[] =
	"mvm 1;\n"
	"include \"lib/common.mvm\";\n"
	"const WEB = AF_INET | AF_INET6;\n"
	"const SMALL = 0x10;\n"
	"group @io = read, write, @basic-io;\n"
	"profile kitchen-sink extends tier network {\n"
	"  intent agent:web-research;\n"
	"  arch aarch64, x86_64;\n"
	"  seccomp default errno(EACCES) {\n"
	"    allow @io, futex;\n"
	"    log getpid;\n"
	"    trap ptrace;\n"
	"    kill-thread tkill;\n"
	"    kill-process kexec_load;\n"
	"    enosys clone3;\n"
	"    errno(38) vfork;\n"
	"    errno(ENOSYS) fork on x86_64;\n"
	"    errno(1) ioctl if request in (TIOCSTI, TIOCLINUX) because \"terminal \\\"injection\\\"\";\n"
	"    allow socket if domain in (WEB, AF_UNIX) and type & 0xf == SOCK_STREAM;\n"
	"    allow clone if flags & (CLONE_NEWNS | CLONE_NEWUSER) == 0;\n"
	"    allow mmap if prot & PROT_EXEC in (0, PROT_EXEC);\n"
	"    allow lseek if offset != 0 and whence == SEEK_SET;\n"
	"    allow pread64 if count < 4096;\n"
	"    allow pwrite64 if count <= SMALL;\n"
	"    allow read if count > 1;\n"
	"    allow write if count >= -1;\n"
	"  }\n"
	"  egress default deny {\n"
	"    resolver 10.0.2.3;\n"
	"    allow tcp api.github.com port 443;\n"
	"    allow udp 192.0.2.0/24 port 5000-5010, 6000;\n"
	"    allow tcp 2001:db8::/32 port 443;\n"
	"    allow icmp 198.51.100.7;\n"
	"  }\n"
	"  filesystem {\n"
	"    root rw;\n"
	"    rootfs \"/srv/rootfs\";\n"
	"    share \"/srv/data\" -> \"/data\" ro;\n"
	"    share \"/srv/out\" -> \"/out\" rw;\n"
	"  }\n"
	"  process {\n"
	"    uid 1000;\n"
	"    gid 0o1750;\n"
	"    capabilities CAP_NET_BIND_SERVICE, CAP_CHOWN;\n"
	"  }\n"
	"  secrets release attestation-bound;\n"
	"  tools allow python3, curl;\n"
	"  audit labels team = \"infra\", \"cost center\" = \"42\";\n"
	"  admission valid-for 90m;\n"
	"}\n";

static const char kitchen_yaml[] =
	"mvm: 1\n"
	"include: [lib/common.mvm]\n"
	"constants:\n"
	"  WEB: AF_INET|AF_INET6\n"
	"  SMALL: 0x10\n"
	"groups:\n"
	"  io: [read, write, \"@basic-io\"]\n"
	"name: kitchen-sink\n"
	"intent: agent:web-research\n"
	"extends: network\n"
	"arch: [x86_64, aarch64]\n"
	"seccomp:\n"
	"  default: errno(EACCES)\n"
	"  rules:\n"
	"    - allow: [\"@io\", futex]\n"
	"    - log: [getpid]\n"
	"    - trap: [ptrace]\n"
	"    - kill-thread: [tkill]\n"
	"    - kill-process: [kexec_load]\n"
	"    - enosys: [clone3]\n"
	"    - errno(38): [vfork]\n"
	"    - {action: errno(ENOSYS), syscalls: [fork], arch: [x86_64]}\n"
	"    - action: errno(1)\n"
	"      syscalls: [ioctl]\n"
	"      when: [{arg: request, in: [TIOCSTI, TIOCLINUX]}]\n"
	"      why: 'terminal \"injection\"'\n"
	"    - action: allow\n"
	"      syscalls: [socket]\n"
	"      when:\n"
	"        - {arg: domain, in: [WEB, AF_UNIX]}\n"
	"        - {arg: type, mask: 0xf, eq: SOCK_STREAM}\n"
	"    - {action: allow, syscalls: [clone], when: [{arg: flags, mask: CLONE_NEWNS | CLONE_NEWUSER, eq: 0}]}\n"
	"    - {action: allow, syscalls: [mmap], when: [{arg: prot, mask: PROT_EXEC, in: [0, PROT_EXEC]}]}\n"
	"    - {action: allow, syscalls: [lseek], when: [{arg: offset, ne: 0}, {arg: whence, eq: SEEK_SET}]}\n"
	"    - {action: allow, syscalls: [pread64], when: [{arg: count, lt: 4096}]}\n"
	"    - {action: allow, syscalls: [pwrite64], when: [{arg: count, le: SMALL}]}\n"
	"    - {action: allow, syscalls: [read], when: [{arg: count, gt: 1}]}\n"
	"    - {action: allow, syscalls: [write], when: [{arg: count, ge: -1}]}\n"
	"network:\n"
	"  egress:\n"
	"    default: deny\n"
	"    resolver: 10.0.2.3\n"
	"    allow:\n"
	"      - {host: api.github.com, ports: [443]}\n"
	"      - {cidr: 192.0.2.0/24, proto: udp, ports: [\"5000-5010\", 6000]}\n"
	"      - {cidr: \"2001:db8::/32\", proto: tcp, ports: [443]}\n"
	"      - {cidr: 198.51.100.7/32, proto: icmp}\n"
	"filesystem:\n"
	"  root: rw\n"
	"  rootfs: /srv/rootfs\n"
	"  shares:\n"
	"    - {host: /srv/data, guest: /data}\n"
	"    - {host: /srv/out, guest: /out, mode: rw}\n"
	"process:\n"
	"  uid: 1000\n"
	"  gid: 0o1750\n"
	"  capabilities: [CAP_NET_BIND_SERVICE, CAP_CHOWN]\n"
	"secrets: {release: attestation-bound}\n"
	"tools: {allow: [python3, curl]}\n"
	"audit:\n"
	"  labels: {team: infra, cost center: \"42\"}\n"
	"admission: {valid-for: 5400s}\n";

static void test_every_schema_construct_means_the_same_in_both_syntaxes(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	assert_same_spec(&c, kitchen_dsl, kitchen_yaml);
	ctx_free(&c);
}

static void test_alternative_spellings_build_the_same_spec(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	/* extends a profile path; a library file (no profile block) is an empty profile */
	assert_same_spec(&c, "mvm 1;\nprofile extends \"./base.mvm\" {\n}\n", "mvm: 1\nextends: ./base.mvm\n");
	assert_same_spec(&c, "mvm 1;\n", "mvm: 1\n");
	/* names may be quoted, and reserved words are names where a name is expected */
	assert_same_spec(&c, "mvm 1;\nprofile { seccomp { allow \"read\", seccomp if uid == 0; } }\n",
			 "mvm: 1\nseccomp:\n  rules:\n    - {action: allow, syscalls: [read, seccomp], when: [{arg: uid, eq: 0}]}\n");
	/* a single-term value in parentheses is the same value */
	assert_same_spec(&c, "mvm 1;\nprofile { seccomp { allow kill if sig == (SIGTERM); } }\n",
			 "mvm: 1\nseccomp: {rules: [{action: allow, syscalls: [kill], when: [{arg: sig, eq: SIGTERM}]}]}\n");
	/* empty sections that YAML can write are kept */
	assert_same_spec(&c, "mvm 1;\nprofile { seccomp {} egress {} filesystem {} process {} }\n",
			 "mvm: 1\nseccomp: {}\nnetwork: {egress: {}}\nfilesystem: {}\nprocess: {}\n");
	ctx_free(&c);
}

static void test_numbers_in_four_bases_mean_the_same(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	char *dir = tmpdir();
	struct mvm_profile *p = compile_dsl(&c, dir,
					    "mvm 1;\nprofile { arch x86_64; seccomp {\n"
					    "  allow read if fd == 10; allow write if fd == 0xa;\n"
					    "  allow close if fd == 0o12; allow dup if oldfd == 0b1010;\n"
					    "  allow lseek if offset == -1;\n} }\n");
	static const char *const calls[] = { "read", "write", "close", "dup" };
	for (size_t i = 0; i < 4; i++) {
		const struct mvm_rule *r = rule_for(p, MVM_ARCH_X86_64, calls[i]);
		assert_non_null(r);
		assert_int_equal(r->nalt, 1);
		assert_int_equal(r->alt[0].cond[0].value, 10);
	}
	assert_int_equal(rule_for(p, MVM_ARCH_X86_64, "lseek")->alt[0].cond[0].value, UINT64_MAX);
	ctx_free(&c);
	rmtree(dir);
}

/* ---- user constants, groups and includes reach the IR ---- */

static void test_user_constants_and_groups_flow_into_the_ir(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	char *dir = tmpdir();
	struct mvm_profile *p = compile_dsl(&c, dir,
					    "mvm 1;\n"
					    "const NS = CLONE_NEWNS | CLONE_NEWUSER;\n"
					    "const NS_AND_PID = NS | CLONE_NEWPID;\n"
					    "group @rw = read, write;\n"
					    "group @more = @rw, close;\n"
					    "profile { arch x86_64; seccomp {\n"
					    "  allow @more;\n"
					    "  allow unshare if flags & NS_AND_PID == 0;\n"
					    "} }\n");
	assert_non_null(rule_for(p, MVM_ARCH_X86_64, "read"));
	assert_non_null(rule_for(p, MVM_ARCH_X86_64, "write"));
	assert_non_null(rule_for(p, MVM_ARCH_X86_64, "close"));
	assert_non_null(strstr(rule_for(p, MVM_ARCH_X86_64, "read")->origin, "group @rw"));
	const struct mvm_rule *u = rule_for(p, MVM_ARCH_X86_64, "unshare");
	assert_int_equal(u->alt[0].cond[0].op, MVM_OP_MASKED_EQ);
	assert_int_equal(u->alt[0].cond[0].mask, 0x00020000 | 0x10000000 | 0x20000000);
	ctx_free(&c);
	rmtree(dir);
}

static void test_yaml_constants_and_groups_flow_into_the_ir(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	char *dir = tmpdir(), path[256];
	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	write_file(path, "mvm: 1\nconstants: {MYFAM: AF_INET}\ngroups: {mine: [getpid]}\narch: [x86_64]\n"
			 "seccomp:\n  rules:\n    - allow: [\"@mine\"]\n"
			 "    - {action: allow, syscalls: [socket], when: [{arg: domain, eq: MYFAM}]}\n");
	struct mvm_profile *p;
	if (compile(&c, path, NULL, 0, &p))
		fail_msg("%s", ctx_errors(&c));
	assert_non_null(rule_for(p, MVM_ARCH_X86_64, "getpid"));
	assert_int_equal(rule_for(p, MVM_ARCH_X86_64, "socket")->alt[0].cond[0].value, 2);
	ctx_free(&c);
	rmtree(dir);
}

static void test_include_imports_constants_and_groups_once_per_file(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	char *dir = tmpdir(), path[256];
	snprintf(path, sizeof(path), "%s/lib", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/lib/base.mvm", dir);
	write_file(path, "mvm 1;\nconst FAM = AF_INET6;\n");
	/* a diamond: a.mvm and b.yaml both include base.mvm */
	snprintf(path, sizeof(path), "%s/lib/a.mvm", dir);
	write_file(path, "mvm 1;\ninclude \"base.mvm\";\ngroup @a = getpid;\n");
	snprintf(path, sizeof(path), "%s/lib/b.yaml", dir);
	write_file(path, "mvm: 1\ninclude: [base.mvm]\ngroups: {b: [getppid]}\n");
	struct mvm_profile *p = compile_dsl(&c, dir,
					    "mvm 1;\ninclude \"lib/a.mvm\";\ninclude \"lib/b.yaml\";\n"
					    "profile { arch x86_64; seccomp { allow @a, @b; allow socket if domain == FAM; } }\n");
	assert_non_null(rule_for(p, MVM_ARCH_X86_64, "getpid"));
	assert_non_null(rule_for(p, MVM_ARCH_X86_64, "getppid"));
	assert_int_equal(rule_for(p, MVM_ARCH_X86_64, "socket")->alt[0].cond[0].value, 10);
	ctx_free(&c);
	rmtree(dir);
}

static void test_include_is_found_through_the_search_path(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	char *dir = tmpdir(), *libdir = tmpdir(), path[256];
	snprintf(path, sizeof(path), "%s/shared.mvm", libdir);
	write_file(path, "mvm 1;\ngroup @shared = getuid;\n");
	snprintf(path, sizeof(path), "%s/p.mvm", dir);
	write_file(path, "mvm 1;\ninclude \"shared.mvm\";\nprofile { arch x86_64; seccomp { allow @shared; } }\n");
	const char *search[] = { libdir };
	struct mvm_profile *p;
	if (compile(&c, path, search, 1, &p))
		fail_msg("%s", ctx_errors(&c));
	assert_non_null(rule_for(p, MVM_ARCH_X86_64, "getuid"));
	ctx_free(&c);
	rmtree(dir);
	rmtree(libdir);
}

/* ---- fmt ---- */

/* Converting each profile and tier to the other syntax and back gives the same spec. */
static void round_trip(const char *path)
{
	struct ctx c;
	ctx_init(&c);
	char *text = read_all(path);
	assert_non_null(text);
	struct mvm_comments com;
	struct mvm_spec *orig = parse(&c, path, text, &com);
	enum mvm_syntax from = mvm_syntax_of(path), other = from == MVM_SYNTAX_DSL ? MVM_SYNTAX_YAML : MVM_SYNTAX_DSL;
	char *conv = print(orig, other, text, &com);
	struct mvm_comments com2;
	struct mvm_spec *mid = parse(&c, other == MVM_SYNTAX_DSL ? "x.mvm" : "x.yaml", conv, &com2);
	char *back = print(mid, from, conv, &com2);
	struct mvm_spec *end = parse(&c, from == MVM_SYNTAX_DSL ? "y.mvm" : "y.yaml", back, NULL);
	if (!mvm_spec_equal(orig, mid) || !mvm_spec_equal(orig, end))
		fail_msg("%s changes meaning in conversion:\n%s\n---\n%s", path, conv, back);
	free(text);
	free(conv);
	free(back);
	ctx_free(&c);
}

static void test_fmt_conversion_and_back_keeps_the_spec_of_every_profile_and_tier(void **state)
{
	(void)state;
	static const char *const dirs[] = { "profiles", "stdlib/tiers" };
	size_t n = 0;
	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		assert_non_null(d);
		for (struct dirent *e; (e = readdir(d));) {
			size_t l = strlen(e->d_name);
			if ((l > 5 && !strcmp(e->d_name + l - 5, ".yaml")) || (l > 4 && !strcmp(e->d_name + l - 4, ".mvm"))) {
				char path[512];
				snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
				round_trip(path);
				n++;
			}
		}
		closedir(d);
	}
	assert_true(n >= 9); /* 4 profiles in two syntaxes, 5 tiers */
}

static void test_every_profile_twin_builds_the_same_spec(void **state)
{
	(void)state;
	DIR *d = opendir("profiles");
	assert_non_null(d);
	size_t pairs = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l <= 5 || strcmp(e->d_name + l - 5, ".yaml") != 0)
			continue;
		char y[512], m[512];
		snprintf(y, sizeof(y), "profiles/%s", e->d_name);
		snprintf(m, sizeof(m), "profiles/%.*s.mvm", (int)(l - 5), e->d_name);
		char *yt = read_all(y), *mt = read_all(m);
		if (!mt)
			fail_msg("%s has no DSL twin %s", y, m);
		struct ctx c;
		ctx_init(&c);
		if (!mvm_spec_equal(parse(&c, y, yt, NULL), parse(&c, m, mt, NULL)))
			fail_msg("%s and %s differ", y, m);
		ctx_free(&c);
		free(yt);
		free(mt);
		pairs++;
	}
	closedir(d);
	assert_true(pairs >= 4);
}

static const char commented[] =
	"# header, first line\n"
	"# header, second line\n"
	"\n"
	"mvm 1;  # the schema\n"
	"\n"
	"# a constant\n"
	"const   FAM=AF_INET;\n"
	"profile   c {   # opens the profile\n"
	"  seccomp {\n"
	"    # before the first rule\n"
	"    allow read,\n"
	"          write;   # after the first rule\n"
	"\n"
	"    allow socket if domain == FAM;\n"
	"    # at the end of the block\n"
	"  }\n"
	"}\n"
	"# trailer\n";

static void test_fmt_keeps_every_comment_in_order_and_is_idempotent(void **state)
{
	(void)state;
	static const char *const texts[] = { "# header, first line", "# header, second line", "# the schema",
					     "# a constant", "# opens the profile", "# before the first rule",
					     "# after the first rule", "# at the end of the block", "# trailer" };
	struct ctx c;
	ctx_init(&c);
	struct mvm_comments com;
	struct mvm_spec *s = parse(&c, "c.mvm", commented, &com);
	assert_int_equal(com.n, 9);
	char *once = print(s, MVM_SYNTAX_DSL, commented, &com);
	const char *at = once;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *hit = strstr(at, texts[i]);
		if (!hit)
			fail_msg("comment '%s' lost or out of order in:\n%s", texts[i], once);
		at = hit;
	}
	/* the blank line between the two rules survives; the messy spacing does not */
	assert_non_null(strstr(once, "write;  # after the first rule\n\n    allow socket"));
	assert_non_null(strstr(once, "const FAM = AF_INET;\n"));
	struct mvm_comments com2;
	struct mvm_spec *s2 = parse(&c, "c.mvm", once, &com2);
	char *twice = print(s2, MVM_SYNTAX_DSL, once, &com2);
	assert_string_equal(once, twice);
	/* and through YAML and back, every comment is still there */
	char *yaml = print(s, MVM_SYNTAX_YAML, commented, &com);
	struct mvm_comments com3;
	struct mvm_spec *s3 = parse(&c, "c.yaml", yaml, &com3);
	assert_int_equal(com3.n, 9);
	assert_true(mvm_spec_equal(s, s3));
	free(once);
	free(twice);
	free(yaml);
	ctx_free(&c);
}

static void test_yaml_comments_are_not_found_inside_scalars(void **state)
{
	(void)state;
	static const char yaml[] = "mvm: 1  # schema\n"
				   "seccomp:\n"
				   "  rules:\n"
				   "    - action: allow\n"
				   "      syscalls: [read]\n"
				   "      why: \"a # inside a quoted string\"\n"
				   "    - {action: allow, syscalls: [write], why: 'also # quoted'}  # real\n"
				   "tools: {allow: [a#b]}\n";
	struct ctx c;
	ctx_init(&c);
	struct mvm_comments com;
	parse(&c, "y.yaml", yaml, &com);
	assert_int_equal(com.n, 2);
	assert_string_equal(com.v[0].text, "# schema");
	assert_false(com.v[0].own_line);
	assert_string_equal(com.v[1].text, "# real");
	ctx_free(&c);
}

static void test_strings_and_odd_names_survive_both_printers(void **state)
{
	(void)state;
	/* names that are not words, reserved words, escapes and non-ASCII text */
	static const char yaml[] = "mvm: 1\n"
				   "intent: \"odd intent\"\n"
				   "seccomp:\n"
				   "  rules:\n"
				   "    - action: errno(in)\n"
				   "      syscalls: [\"foo bar\", if, \"@not a group\"]\n"
				   "      when: [{arg: \"a b\", in: [\"x y|z\", \"12abc\"]}]\n"
				   "      why: \"tab\\there, quote \\\" backslash \\\\ newline\\n, caf\xc3\xa9\"\n"
				   "tools: {allow: [\"with space\", \"7zip\", profile]}\n"
				   "audit: {labels: {\"k=v\": \"x\"}}\n";
	struct ctx c;
	ctx_init(&c);
	struct mvm_spec *s = parse(&c, "o.yaml", yaml, NULL);
	char *dsl = print(s, MVM_SYNTAX_DSL, NULL, NULL);
	struct mvm_spec *d = parse(&c, "o.mvm", dsl, NULL);
	if (!mvm_spec_equal(s, d))
		fail_msg("changed through the DSL:\n%s", dsl);
	char *back = print(d, MVM_SYNTAX_YAML, NULL, NULL);
	if (!mvm_spec_equal(s, parse(&c, "b.yaml", back, NULL)))
		fail_msg("changed through YAML:\n%s", back);
	free(dsl);
	free(back);
	ctx_free(&c);
}

/* ---- the scanner and parser themselves ---- */

static void test_every_keyword_is_reserved_and_words_classify(void **state)
{
	(void)state;
	static const char *const kws[] = { "admission", "allow", "and", "arch", "audit", "because", "capabilities",
					   "const", "default", "egress", "enosys", "errno", "extends", "filesystem",
					   "gid", "group", "if", "in", "include", "intent", "kill-process",
					   "kill-thread", "labels", "log", "mvm", "on", "port", "process", "profile",
					   "release", "resolver", "root", "rootfs", "seccomp", "secrets", "share",
					   "tier", "tools", "trap", "uid", "valid-for" };
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (!mvm_dsl_is_keyword(kws[i]))
			fail_msg("'%s' is not recognized as a keyword (keyword table out of order?)", kws[i]);
	assert_false(mvm_dsl_is_keyword("openat"));
	assert_int_equal(mvm_dsl_word_kind("agent:web-research"), MVM_DSL_NAME);
	assert_int_equal(mvm_dsl_word_kind("::1"), MVM_DSL_NAME);
	assert_int_equal(mvm_dsl_word_kind("5000-5010"), MVM_DSL_NUMBER);
	assert_int_equal(mvm_dsl_word_kind("-100"), MVM_DSL_NUMBER);
	assert_int_equal(mvm_dsl_word_kind("two words"), MVM_DSL_NOT_A_WORD);
	assert_int_equal(mvm_dsl_word_kind("@group"), MVM_DSL_NOT_A_WORD);
}

static int parse_error(struct ctx *c, const char *text, size_t len)
{
	struct mvm_spec *s;
	return mvm_dsl_parse(&c->a, &c->d, "e.mvm", text, len, &s, NULL);
}

static void test_input_bounds_and_encoding_are_enforced(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	size_t big = MVM_DSL_MAX_BYTES + 1;
	char *text = malloc(big);
	assert_non_null(text);
	memset(text, ' ', big);
	assert_int_equal(parse_error(&c, text, big), -EINVAL);
	assert_non_null(strstr(ctx_errors(&c), "larger than 1048576 bytes"));
	free(text);
	assert_int_equal(parse_error(&c, "mvm 1;\n\0", 8), -EINVAL);
	assert_non_null(strstr(ctx_errors(&c), "e.mvm:2:1: error: NUL byte"));
	assert_int_equal(parse_error(&c, "mvm 1;\n# \xff\n", 10), -EINVAL);
	assert_non_null(strstr(ctx_errors(&c), "e.mvm:2:3: error: invalid UTF-8"));
	char word[MVM_DSL_MAX_WORD + 32] = "mvm 1;\nconst ";
	size_t l = strlen(word);
	memset(word + l, 'A', MVM_DSL_MAX_WORD + 1);
	strcpy(word + l + MVM_DSL_MAX_WORD + 1, " = 1;\n");
	assert_int_equal(parse_error(&c, word, strlen(word)), -EINVAL);
	assert_non_null(strstr(ctx_errors(&c), "name longer than 255 bytes"));
	ctx_free(&c);
}

/* Columns count characters, as libyaml's do: both front ends point at the same column. */
static void test_columns_count_characters_in_both_front_ends(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	char *dir = tmpdir(), path[256];
	snprintf(path, sizeof(path), "%s/p.mvm", dir);
	write_file(path, "mvm 1;\nprofile { seccomp { allow \"\xc3\xa9\xc3\xa9\", opnat; } }\n");
	struct mvm_profile *p;
	assert_int_equal(compile(&c, path, NULL, 0, &p), -EINVAL);
	char want[300];
	snprintf(want, sizeof(want), "%s:2:33: error: unknown syscall 'opnat'", path);
	if (!strstr(ctx_errors(&c), want))
		fail_msg("expected '%s' in:\n%s", want, ctx_errors(&c));
	ctx_free(&c);
	ctx_init(&c);
	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	write_file(path, "mvm: 1\nseccomp: {rules: [{allow: [\"\xc3\xa9\xc3\xa9\", opnat]}]}\n");
	assert_int_equal(compile(&c, path, NULL, 0, &p), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:34: error: unknown syscall 'opnat'", path);
	if (!strstr(ctx_errors(&c), want))
		fail_msg("expected '%s' in:\n%s", want, ctx_errors(&c));
	ctx_free(&c);
	rmtree(dir);
}

static void test_a_host_that_is_an_address_is_refused_in_yaml(void **state)
{
	(void)state;
	struct ctx c;
	ctx_init(&c);
	struct mvm_spec *s;
	static const char y[] = "mvm: 1\nnetwork: {egress: {resolver: 10.0.2.3, allow: [{host: 10.1.2.3, ports: [80]}]}}\n";
	assert_int_equal(mvm_yaml_load_spec(&c.a, &c.d, "h.yaml", y, strlen(y), &s), -EINVAL);
	assert_non_null(strstr(ctx_errors(&c), "host: '10.1.2.3' is an IP address; write it as cidr: 10.1.2.3/32"));
	ctx_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_schema_construct_means_the_same_in_both_syntaxes),
		cmocka_unit_test(test_alternative_spellings_build_the_same_spec),
		cmocka_unit_test(test_numbers_in_four_bases_mean_the_same),
		cmocka_unit_test(test_user_constants_and_groups_flow_into_the_ir),
		cmocka_unit_test(test_yaml_constants_and_groups_flow_into_the_ir),
		cmocka_unit_test(test_include_imports_constants_and_groups_once_per_file),
		cmocka_unit_test(test_include_is_found_through_the_search_path),
		cmocka_unit_test(test_fmt_conversion_and_back_keeps_the_spec_of_every_profile_and_tier),
		cmocka_unit_test(test_every_profile_twin_builds_the_same_spec),
		cmocka_unit_test(test_fmt_keeps_every_comment_in_order_and_is_idempotent),
		cmocka_unit_test(test_yaml_comments_are_not_found_inside_scalars),
		cmocka_unit_test(test_strings_and_odd_names_survive_both_printers),
		cmocka_unit_test(test_every_keyword_is_reserved_and_words_classify),
		cmocka_unit_test(test_input_bounds_and_encoding_are_enforced),
		cmocka_unit_test(test_columns_count_characters_in_both_front_ends),
		cmocka_unit_test(test_a_host_that_is_an_address_is_refused_in_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

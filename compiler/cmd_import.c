/* mvmc import oci: an OCI / Docker seccomp profile -> a schema-1 YAML profile. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"
#include "import_oci.h"
#include "resolve.h"

static const char usage_import[] =
	"usage: mvmc import oci FILE.json [-o PROFILE] [--caps LIST] [--name NAME] [-I DIR]...\n"
	"\n"
	"Convert an OCI seccomp profile (runtime-spec linux.seccomp, or Docker's format with archMap and\n"
	"includes/excludes, such as moby's default.json) into an mvm profile (YAML, schema 1). The\n"
	"result is compiled before it is written, so what is written is what `mvmc build` accepts.\n"
	"\n"
	"options:\n"
	"  -o, --output PROFILE  write here (atomically) instead of standard output\n"
	"      --caps LIST       capabilities the container holds, comma-separated (CAP_SYS_ADMIN or\n"
	"                        sys_admin; `docker-default` adds Docker's default set); selects\n"
	"                        Docker's includes/excludes and is written as process.capabilities.\n"
	"                        Default: none\n"
	"      --name NAME       the profile's name (default: from PROFILE or FILE)\n"
	"  -I DIR                search DIR for stdlib files (argument names and widths)\n"
	"  -h, --help            show this help\n";

#define MAX_CAPS 64

struct caps {
	size_t n;
	const char *v[MAX_CAPS];
	char *owned[MAX_CAPS];
};

static int caps_add(struct caps *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], name) == 0)
			return 0;
	if (c->n == MAX_CAPS) {
		fprintf(stderr, "mvmc import: --caps: more than %d capabilities\n", MAX_CAPS);
		return -1;
	}
	size_t len = strlen(name);
	bool prefixed = strncasecmp(name, "CAP_", 4) == 0;
	char *s = malloc(len + 5);
	if (!s)
		return -1;
	snprintf(s, len + 5, "%s%s", prefixed ? "" : "CAP_", name);
	for (char *p = s; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	c->owned[c->n] = s;
	c->v[c->n++] = s;
	return 0;
}

static int parse_caps(const char *list, struct caps *c)
{
	char *copy = strdup(list);
	int r = copy ? 0 : -1;
	for (char *save = NULL, *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !r; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "docker-default") == 0) {
			for (size_t i = 0; mvm_docker_default_caps[i] && !r; i++)
				r = caps_add(c, mvm_docker_default_caps[i]);
		} else {
			r = caps_add(c, tok);
		}
	}
	free(copy);
	return r;
}

/* [a-z0-9][a-z0-9._-]*, at most 64 bytes, from a file name without its extension. */
static void name_from(const char *path, char *out, size_t len)
{
	char *copy = strdup(path);
	const char *base = copy ? basename(copy) : "imported";
	size_t n = 0;
	for (const char *p = base; *p && n + 1 < len && n < 64; p++) {
		if (*p == '.' && (!strcmp(p, ".json") || !strcmp(p, ".yaml") || !strcmp(p, ".yml")))
			break;
		char ch = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)ch) && ch != '.' && ch != '_' && ch != '-')
			ch = '-';
		if (n == 0 && !isalnum((unsigned char)ch))
			continue;
		out[n++] = ch;
	}
	if (n == 0)
		n = (size_t)snprintf(out, len, "imported");
	out[n] = '\0';
	free(copy);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Compiles the YAML at path as `mvmc build` would. 0 when it compiles. */
static int self_check(const struct mvm_stdlib *st, struct mvm_arena *a, const char *path)
{
	struct mvm_diag d;
	struct mvm_profile *p;
	mvm_diag_init(&d, "mvmc", stderr);
	return mvm_compile_profile(a, &d, st, path, 0, &p);
}

static int import(const char *in, const char *outpath, const char *name, const struct caps *caps,
		  const struct mvmc_search_path *sp)
{
	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_stdlib *st;
	struct mvm_buf yaml = { 0 };
	char *json, tmp[4096] = "", fdpath[64];
	size_t len;
	int code = MVMC_EXIT_PROFILE, fd = -1;
	mvm_arena_init(&arena, 256u << 20);
	mvm_diag_init(&diag, "mvmc", stderr);
	int r = mvm_read_file(&arena, in, MVM_IMPORT_MAX_JSON, &json, &len);
	if (r == -EFBIG) { /* refused input, as `mvmc build` refuses a profile over its bound */
		fprintf(stderr, "mvmc: %s: cannot read: file is larger than %u MiB\n", in, MVM_IMPORT_MAX_JSON >> 20);
		goto out;
	}
	if (r) {
		fprintf(stderr, "mvmc: %s: cannot read: %s\n", in, strerror(-r));
		code = MVMC_EXIT_IO;
		goto out;
	}
	if (mvm_stdlib_load(&arena, &diag, sp->dir, sp->n, &st))
		goto out;
	struct mvm_import_opts o = { name, in, caps->n, caps->v };
	if (mvm_import_oci(&diag, st, in, json, len, &o, &yaml))
		goto out;
	if (outpath) {
		snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", outpath);
		fd = mkstemp(tmp);
	} else {
		fd = memfd_create("mvmc-import", MFD_CLOEXEC);
	}
	if (fd < 0 || write_all(fd, yaml.data, yaml.len) || (outpath && fsync(fd))) {
		fprintf(stderr, "mvmc: %s: %s\n", outpath ? outpath : "memfd", strerror(errno));
		code = MVMC_EXIT_IO;
		goto out;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (self_check(st, &arena, outpath ? tmp : fdpath)) {
		fprintf(stderr, "mvmc: %s: the imported profile does not compile (above); nothing was written\n", in);
		goto out;
	}
	if (outpath) {
		if (rename(tmp, outpath)) {
			fprintf(stderr, "mvmc: %s: %s\n", outpath, strerror(errno));
			code = MVMC_EXIT_IO;
			goto out;
		}
		tmp[0] = '\0';
	} else if (fwrite(yaml.data, 1, yaml.len, stdout) != yaml.len || fflush(stdout)) {
		code = MVMC_EXIT_IO;
		goto out;
	}
	code = MVMC_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	mvm_buf_free(&yaml);
	mvm_arena_free(&arena);
	return code;
}

int mvmc_cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "caps", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mvmc_search_path sp = { 0 };
	struct caps caps = { 0 };
	const char *out = NULL, *name = NULL;
	char namebuf[80];
	int c, code = MVMC_EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:I:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'n': name = optarg; break;
		case 'c':
			if (parse_caps(optarg, &caps))
				goto done;
			break;
		case 'I':
			if (mvmc_search_add(&sp, optarg))
				goto done;
			break;
		case 'h': fputs(usage_import, stdout); code = MVMC_EXIT_OK; goto done;
		default: fputs(usage_import, stderr); goto done;
		}
	}
	if (optind + 2 != argc || strcmp(argv[optind], "oci") != 0) {
		fprintf(stderr, "mvmc import: expected `oci FILE.json`\n");
		fputs(usage_import, stderr);
		goto done;
	}
	if (!name) {
		name_from(out ? out : argv[optind + 1], namebuf, sizeof(namebuf));
		name = namebuf;
	}
	if (mvmc_search_add_env(&sp))
		goto done;
	code = import(argv[optind + 1], out, name, &caps, &sp);
done:
	for (size_t i = 0; i < caps.n; i++)
		free(caps.owned[i]);
	mvmc_search_free(&sp);
	return code;
}

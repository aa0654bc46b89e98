/* mvmc fmt: canonical formatting of profiles in place, and conversion between the DSL and
 * YAML. The output is read back before anything is written: a result that would not mean
 * exactly what the input meant is an internal error and nothing is written. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "spec_print.h"
#include "stdlib.h"
#include "yaml_tree.h"

static const char usage_fmt[] =
	"usage: mvmc fmt [--check] [--to dsl|yaml] [-o OUT] FILE...\n"
	"\n"
	"Rewrite each FILE in the canonical form of its syntax (\".mvm\": the mvm DSL, anything\n"
	"else: YAML), keeping its comments. Includes are not followed.\n"
	"\n"
	"options:\n"
	"      --to dsl|yaml  convert; the output goes to FILE with its extension replaced\n"
	"                     (.mvm or .yaml) unless -o is given\n"
	"  -o, --output OUT   write to OUT instead (\"-\": standard output); one FILE only\n"
	"      --check        write nothing; exit 1 if a file is not in canonical form (with --to:\n"
	"                     if the converted file is missing or differs)\n"
	"  -h, --help         show this help\n"
	"\n"
	"exit codes: 0 ok, 1 profile error or not formatted, 2 usage, 3 I/O\n";

struct fmt_opts {
	bool check, has_to;
	enum mvm_syntax to;
	const char *output;
};

/* FILE with its extension replaced by the target syntax's. */
static char *converted_name(const char *file, enum mvm_syntax to)
{
	const char *dot = strrchr(file, '.'), *slash = strrchr(file, '/');
	size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - file) : strlen(file);
	const char *ext = to == MVM_SYNTAX_DSL ? ".mvm" : ".yaml";
	char *out = malloc(stem + strlen(ext) + 1);
	if (out) {
		memcpy(out, file, stem);
		strcpy(out + stem, ext);
	}
	return out;
}

/* Writes data to path through a temporary file in the same directory and a rename, so a
 * reader never sees half a file; an existing file keeps its permissions. */
static int write_atomic(const char *path, const char *data, size_t len)
{
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	size_t tlen = strlen(path) + 32;
	char *tmp = malloc(tlen);
	if (!tmp) {
		free(copy);
		return -ENOMEM;
	}
	snprintf(tmp, tlen, "%s/.%s.XXXXXX", dirname(copy), basename((char *)path));
	free(copy);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = -errno;
		free(tmp);
		return e;
	}
	struct stat st;
	mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;
	int r = fchmod(fd, mode) < 0 ? -errno : 0;
	for (size_t off = 0; !r && off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			off += (size_t)n;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

/* The output must read back, in its own syntax, as the same spec. */
static bool same_meaning(const struct mvm_spec *in, const char *target, const struct mvm_buf *out)
{
	struct mvm_arena a;
	struct mvm_diag d;
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull)
		return false;
	mvm_arena_init(&a, 64u << 20);
	mvm_diag_init(&d, "mvmc", devnull);
	struct mvm_spec *back;
	struct mvm_comments c;
	bool ok = mvm_load_spec_source(&a, &d, target, out->data ? out->data : "", out->len, &back, &c) == 0 &&
		  mvm_spec_equal(in, back);
	mvm_arena_free(&a);
	fclose(devnull);
	return ok;
}

static int fmt_one(const char *file, const struct fmt_opts *o)
{
	struct mvm_arena arena;
	struct mvm_diag diag;
	struct mvm_buf out = { 0 };
	char *target = NULL;
	int code = MVMC_EXIT_OK;
	mvm_arena_init(&arena, 256u << 20);
	mvm_diag_init(&diag, "mvmc", stderr);
	struct mvm_source src = { 0 };
	char *text;
	int e = mvm_read_file(&arena, file, MVM_YAML_MAX_BYTES, &text, &src.len);
	if (e) {
		fprintf(stderr, "mvmc: %s: cannot read: %s\n", file, e == -EFBIG ? "file is larger than 1 MiB" : strerror(-e));
		code = e == -EFBIG ? MVMC_EXIT_PROFILE : MVMC_EXIT_IO;
		goto done;
	}
	src.text = text;
	mvm_diag_add_source(&diag, file, text, src.len);
	struct mvm_spec *spec;
	e = mvm_load_spec_source(&arena, &diag, file, text, src.len, &spec, &src.comments);
	if (e) {
		code = e == -ENOMEM ? MVMC_EXIT_IO : MVMC_EXIT_PROFILE;
		goto done;
	}
	enum mvm_syntax from = mvm_syntax_of(file), to = o->has_to ? o->to : from;
	if (o->output)
		target = strdup(o->output);
	else if (to != from)
		target = converted_name(file, to);
	else
		target = strdup(file);
	if (!target || mvm_spec_print(spec, to, &src, &out)) {
		fprintf(stderr, "mvmc: %s: out of memory\n", file);
		code = MVMC_EXIT_IO;
		goto done;
	}
	/* With -o, the output's name need not say its syntax; the reading back must use `to`. */
	const char *as = to == MVM_SYNTAX_DSL ? "output.mvm" : "output.yaml";
	if (!same_meaning(spec, as, &out)) {
		fprintf(stderr, "mvmc: %s: internal error: the formatted text would not mean the same; nothing written\n",
			file);
		code = MVMC_EXIT_PROFILE;
		goto done;
	}
	if (strcmp(target, "-") == 0) {
		if (!o->check && fwrite(out.data, 1, out.len, stdout) != out.len)
			code = MVMC_EXIT_IO;
		goto done;
	}
	char *old = NULL;
	size_t oldlen = 0;
	bool same = false;
	if (strcmp(target, file) == 0) {
		old = text;
		oldlen = src.len;
		same = true;
	} else {
		same = mvm_read_file(&arena, target, MVM_YAML_MAX_BYTES, &old, &oldlen) == 0;
	}
	bool unchanged = same && oldlen == out.len && memcmp(old, out.data, out.len) == 0;
	if (o->check) {
		if (!unchanged) {
			fprintf(stderr, "mvmc: %s: %s\n", target, same ? "not in canonical form (run mvmc fmt)" : "missing");
			code = MVMC_EXIT_PROFILE;
		}
		goto done;
	}
	if (!unchanged && (e = write_atomic(target, out.data, out.len))) {
		fprintf(stderr, "mvmc: %s: cannot write: %s\n", target, strerror(-e));
		code = MVMC_EXIT_IO;
	}
done:
	free(target);
	mvm_buf_free(&out);
	mvm_arena_free(&arena);
	return code;
}

int mvmc_cmd_fmt(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fmt_opts o = { 0 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.check = true; break;
		case 'o': o.output = optarg; break;
		case 't':
			o.has_to = true;
			if (strcmp(optarg, "dsl") == 0 || strcmp(optarg, "mvm") == 0) {
				o.to = MVM_SYNTAX_DSL;
			} else if (strcmp(optarg, "yaml") == 0) {
				o.to = MVM_SYNTAX_YAML;
			} else {
				fprintf(stderr, "mvmc fmt: --to: '%s' (expected dsl or yaml)\n", optarg);
				return MVMC_EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_fmt, stdout); return MVMC_EXIT_OK;
		default: fputs(usage_fmt, stderr); return MVMC_EXIT_USAGE;
		}
	}
	if (optind == argc || (o.output && argc - optind != 1)) {
		fprintf(stderr, "mvmc fmt: %s\n", optind == argc ? "expected at least one FILE" : "-o takes exactly one FILE");
		fputs(usage_fmt, stderr);
		return MVMC_EXIT_USAGE;
	}
	int worst = MVMC_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		int code = fmt_one(argv[i], &o);
		/* An I/O failure outranks a profile error: the caller must not think files were checked. */
		if (code == MVMC_EXIT_IO || (code && worst == MVMC_EXIT_OK))
			worst = code;
	}
	return worst;
}

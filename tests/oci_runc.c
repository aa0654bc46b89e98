/* An emulation of how runc loads an OCI `linux.seccomp` object, used as the oracle that says
 * what seccomp.json means in practice. It builds the filter with libseccomp, as runc does through
 * libseccomp-golang, restricted to one target arch, and prepends runc's -ENOSYS stub.
 *
 * runc quirks reproduced (paths are in github.com/opencontainers/runc):
 *  1. "SCMP_ACT_KILL" is kill-thread: getAction() maps configs.Kill and KillThread to
 *     ActKillThread (libcontainer/seccomp/seccomp_linux.go).
 *  2. SCMP_ACT_ERRNO / SCMP_ACT_TRACE without errnoRet return EPERM (actErrno, actTrace in
 *     seccomp_linux.go); with errnoRet the value goes through int16(), so only its low 16 bits
 *     count; libseccomp then refuses errno >= 4096 (MAX_ERRNO) and runc fails.
 *  3. A rule whose action equals the default action (full value, errno included) is skipped
 *     silently (matchCall, seccomp_linux.go): libseccomp would refuse it with -EACCES.
 *  4. A name libseccomp cannot resolve at all is ignored (matchCall logs "unknown seccomp
 *     syscall ... ignored"). A name libseccomp knows but the arch lacks ("open" on aarch64)
 *     resolves to a negative pseudo number without error, so runc adds the rule anyway;
 *     libseccomp accepts it and omits it from the BPF, but its presence still shapes the
 *     generated code: with libseccomp 2.5.4 it can drop the load of the syscall number on
 *     aarch64 (seen: a rule for "open" ahead of a conditional "personality" rule makes every
 *     aarch64 call get the default action). Reproduced by adding it exactly as runc does.
 *  5. If two conditions of one entry test the same argument index, EVERY condition of that
 *     entry becomes a rule of its own (one condition each), so they are ORed, including
 *     conditions on other indices; otherwise all conditions form one ANDed rule (matchCall,
 *     "Revert to old behavior", seccomp_linux.go).
 *  6. SCMP_CMP_MASKED_EQ takes the mask from `value` and the expected value from `valueTwo`
 *     (getCondition -> libseccomp.MakeCondition(index, op, value, valueTwo)); comparisons are
 *     64-bit on 64-bit arches, so a plain SCMP_CMP_EQ sees garbage in the high half.
 *  7. Each name of an entry becomes its own configs.Syscall with the entry's action, errnoRet
 *     and args; the action is converted even when `names` is empty (SetupSeccomp in
 *     libcontainer/specconv/spec_linux.go).
 *  8. No defaultAction and no syscalls: seccomp is disabled, nothing is installed (SetupSeccomp);
 *     emulated as a one-instruction RET ALLOW program.
 *  9. Errors that make runc refuse the container are errors here: unknown action, operator,
 *     architecture or flag (libcontainer/seccomp/config.go), an empty syscall name, SCMP_ACT_NOTIFY
 *     as default action or on `write` (InitSeccomp, seccomp_linux.go), and any libseccomp error.
 * 10. More than 32 rules switch libseccomp to its binary-tree layout (SetOptimize(2) in
 *     InitSeccomp); it changes the layout, not the decisions, but it is what runc runs.
 * 11. The -ENOSYS stub (libcontainer/seccomp/patchbpf/enosys_linux.go): unless the default action
 *     is ALLOW, LOG or TRACE, runc prepends code that answers ERRNO(ENOSYS) for every syscall
 *     number above the highest one that any entry names (whatever its action, skipped or not)
 *     on each listed arch. On x86_64 it looks at numbers without the x32 bit only (x32 numbers
 *     skip the stub unless SCMP_ARCH_X32 is listed, which gets a section of its own). runc's
 *     escape hatch compares defaultErrnoRet with SCMP_ACT_ERRNO(ENOSYS) = 0x50026 rather than
 *     with ENOSYS (generatePatch), so in practice only defaultErrnoRet == 327718 drops the stub;
 *     reproduced as written. A listed arch with no resolvable name gets no section.
 * 12. Bad-arch action: runc never sets SCMP_FLTATR_ACT_BADARCH (seccomp_linux.go, and
 *     libseccomp-golang's NewFilter leaves it), so libseccomp's default applies: SCMP_ACT_KILL,
 *     i.e. kill-thread. On x86_64 without SCMP_ARCH_X32, libseccomp also sends syscall numbers
 *     >= 0x40000000 (except -1) to that action.
 * 13. Go's encoding/json as runc reads the file: keys match case-insensitively (last match
 *     wins; ASCII folding only here), unknown keys are ignored, null is "absent", numeric
 *     fields must be non-negative integers, values up to 2^64-1 are valid.
 * Not reproduced because it does not change decisions: TSYNC, the SPEC_ALLOW/LOG filter flags,
 * no_new_privs handling, listenerPath, and the s390 multiplexer section of the stub.
 *
 * Single-arch restriction: the target arch stands for the host's native arch (the filter runc
 * installs there decides every call of that arch); other listed arches carry other AUDIT_ARCH
 * values and never reach that part of runc's filter, so they are left out.
 *
 * Checked by hand (not a gate) against the real thing: runc 1.1.5's specconv + InitSeccomp
 * (Debian's golang-github-opencontainers-runc-dev, PatchAndLoad made to dump its program) with
 * libseccomp 2.5.4 on about a thousand hand-written and random seccomp.json files: same
 * decisions from json_vs_bpf's case set on both arches, same refusals. Quirk 10 comes from
 * newer runc (1.2) and was absent there; it does not change decisions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, pread */
#endif
#include "oci_runc.h"

#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define X32_BIT 0x40000000u

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- JSON as Go's encoding/json reads it ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* jansson stores integers as int64; Go reads uint64 up to 2^64-1. Integers above INT64_MAX are
 * rewritten as strings "\u0000DIGITS" before parsing, a form no genuine string takes here
 * (NUL escapes in the input are refused), and json_u64() reads them back. */
static int protect_big_ints(const char *in, size_t len, char **out, size_t *outlen, char *err,
			    size_t errlen)
{
	static const char maxs[] = "9223372036854775807";
	char *o = malloc(len + (len / 20 + 1) * 8 + 1);
	size_t w = 0;
	bool in_str = false;

	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		char c = in[i];
		if (in_str) {
			if (c == '\\' && i + 1 < len) {
				if (in[i + 1] == 'u' && i + 5 < len && memcmp(in + i + 2, "0000", 4) == 0) {
					free(o);
					return fail(err, errlen, -ENOTSUP, "\\u0000 in a string is not supported");
				}
				o[w++] = in[i++];
			} else if (c == '"') {
				in_str = false;
			}
			o[w++] = in[i++];
			continue;
		}
		if (c == '"') {
			in_str = true;
			o[w++] = in[i++];
			continue;
		}
		if (!is_digit(c) && c != '-') {
			o[w++] = in[i++];
			continue;
		}
		size_t j = i;
		bool plain = true;
		while (j < len && (is_digit(in[j]) || (in[j] && strchr("-+.eE", in[j])))) {
			if (!is_digit(in[j]))
				plain = false;
			j++;
		}
		size_t tl = j - i;
		bool big = plain && in[i] != '0' &&
			   (tl > 19 || (tl == 19 && memcmp(in + i, maxs, 19) > 0));
		if (big) {
			memcpy(o + w, "\"\\u0000", 7);
			w += 7;
		}
		memcpy(o + w, in + i, tl);
		w += tl;
		if (big)
			o[w++] = '"';
		i = j;
	}
	o[w] = '\0';
	*out = o;
	*outlen = w;
	return 0;
}

static bool fold_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* Go matches object keys to struct fields case-insensitively; the last matching key wins.
 * A null value leaves the field at its zero value, which is what "absent" means here. */
static json_t *field(const json_t *obj, const char *name)
{
	const char *k;
	json_t *v, *found = NULL;

	json_object_foreach((json_t *)obj, k, v)
		if (fold_eq(k, name))
			found = v;
	return json_is_null(found) ? NULL : found;
}

static int json_u64(const json_t *v, uint64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return -ERANGE;
		*out = (uint64_t)i;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t l = json_string_length(v);
		uint64_t x = 0;
		if (l < 2 || s[0] != '\0')
			return -EINVAL;
		for (size_t i = 1; i < l; i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (x > (UINT64_MAX - d) / 10)
				return -ERANGE;
			x = x * 10 + d;
		}
		*out = x;
		return 0;
	}
	return -EINVAL;
}

/* A JSON string without NUL (the NUL form only comes from protect_big_ints). NULL when v is
 * not one. */
static const char *json_str(const json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	const char *s = json_string_value(v);
	return strlen(s) == json_string_length(v) ? s : NULL;
}

/* ---- runc's tables (libcontainer/seccomp/config.go) ---- */

static const struct {
	const char *name;
	enum oci_runc_act act;
} actions[] = {
	{ "SCMP_ACT_KILL", OCI_RUNC_KILL },
	{ "SCMP_ACT_ERRNO", OCI_RUNC_ERRNO },
	{ "SCMP_ACT_TRAP", OCI_RUNC_TRAP },
	{ "SCMP_ACT_ALLOW", OCI_RUNC_ALLOW },
	{ "SCMP_ACT_TRACE", OCI_RUNC_TRACE },
	{ "SCMP_ACT_LOG", OCI_RUNC_LOG },
	{ "SCMP_ACT_NOTIFY", OCI_RUNC_NOTIFY },
	{ "SCMP_ACT_KILL_THREAD", OCI_RUNC_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", OCI_RUNC_KILL_PROCESS },
};

static const struct {
	const char *name;
	int op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* runc knows more names (loong64 needs libseccomp 2.6); they fail there exactly when
 * libseccomp does not know them, which is what the #ifdefs give. */
static const struct {
	const char *name;
	uint32_t token;
} arches[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
#ifdef SCMP_ARCH_RISCV64
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#endif
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
#ifdef SCMP_ARCH_LOONGARCH64
	{ "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
};

static const char *const known_flags[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int parse_action(const json_t *v, enum oci_runc_act *act)
{
	const char *s = v ? json_str(v) : "";
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < COUNT(actions); i++)
		if (strcmp(s, actions[i].name) == 0) {
			*act = actions[i].act;
			return 0;
		}
	return -EINVAL;
}

/* The SECCOMP_RET_* value of getAction(): errnoRet counts for ERRNO and TRACE only. */
static uint32_t action_value(enum oci_runc_act act, bool has_errno, uint64_t errno_ret)
{
	uint32_t e = has_errno ? (uint16_t)errno_ret : EPERM;
	switch (act) {
	case OCI_RUNC_KILL:
	case OCI_RUNC_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case OCI_RUNC_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case OCI_RUNC_ERRNO:
		return SCMP_ACT_ERRNO(e);
	case OCI_RUNC_TRAP:
		return SCMP_ACT_TRAP;
	case OCI_RUNC_ALLOW:
		return SCMP_ACT_ALLOW;
	case OCI_RUNC_TRACE:
		return SCMP_ACT_TRACE(e);
	case OCI_RUNC_LOG:
		return SCMP_ACT_LOG;
	case OCI_RUNC_NOTIFY:
		return SCMP_ACT_NOTIFY;
	}
	return SCMP_ACT_KILL_PROCESS;
}

void oci_runc_config_free(struct oci_runc_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ncall; i++) {
		free(c->call[i].name);
		free(c->call[i].args);
	}
	free(c->call);
	free(c->arch);
	free(c);
}

static int parse_args(const json_t *jargs, struct oci_runc_arg **out, size_t *n, char *err,
		      size_t errlen)
{
	size_t cnt = json_array_size(jargs);
	struct oci_runc_arg *a;

	*out = NULL;
	*n = 0;
	if (cnt == 0)
		return 0;
	a = calloc(cnt, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const json_t *ja = json_array_get(jargs, i);
		const json_t *v;
		const char *op = "";
		uint64_t idx = 0;

		if (!json_is_object(ja) && !json_is_null(ja))
			goto bad;
		if (json_is_object(ja)) {
			if ((v = field(ja, "index")) && json_u64(v, &idx) < 0)
				goto bad;
			if ((v = field(ja, "value")) && json_u64(v, &a[i].value) < 0)
				goto bad;
			if ((v = field(ja, "valueTwo")) && json_u64(v, &a[i].value_two) < 0)
				goto bad;
			if ((v = field(ja, "op")) && !(op = json_str(v)))
				goto bad;
		}
		a[i].op = 0;
		for (size_t k = 0; k < COUNT(operators); k++)
			if (strcmp(op, operators[k].name) == 0)
				a[i].op = operators[k].op;
		if (!a[i].op) {
			free(a);
			return fail(err, errlen, -EINVAL, "string %s is not a valid operator for seccomp", op);
		}
		/* Go indexes a 6-element array with it (a panic past 5); libseccomp refuses too. */
		if (idx > 5) {
			free(a);
			return fail(err, errlen, -EINVAL, "argument index %llu out of range",
				    (unsigned long long)idx);
		}
		a[i].index = (unsigned)idx;
	}
	*out = a;
	*n = cnt;
	return 0;
bad:
	free(a);
	return fail(err, errlen, -EINVAL, "malformed seccomp argument");
}

static int add_call(struct oci_runc_config *c, const char *name, enum oci_runc_act act,
		    uint32_t action, const json_t *jargs, char *err, size_t errlen)
{
	struct oci_runc_call *grown = realloc(c->call, (c->ncall + 1) * sizeof(*grown));
	struct oci_runc_call *call;
	int rc;

	if (!grown)
		return -ENOMEM;
	c->call = grown;
	call = &c->call[c->ncall];
	memset(call, 0, sizeof(*call));
	call->act = act;
	call->action = action;
	call->name = strdup(name);
	if (!call->name)
		return -ENOMEM;
	c->ncall++;
	rc = parse_args(jargs, &call->args, &call->nargs, err, errlen);
	return rc;
}

static int parse_syscalls(struct oci_runc_config *c, const json_t *jsys, char *err, size_t errlen)
{
	for (size_t i = 0; i < json_array_size(jsys); i++) {
		const json_t *e = json_array_get(jsys, i), *v, *names = NULL, *jargs = NULL;
		enum oci_runc_act act;
		bool has_errno = false;
		uint64_t errno_ret = 0;
		int rc;

		if (!json_is_object(e) && !json_is_null(e))
			return fail(err, errlen, -EINVAL, "syscalls[%zu] is not an object", i);
		v = json_is_object(e) ? field(e, "action") : NULL;
		if (parse_action(v, &act) < 0)
			return fail(err, errlen, -EINVAL, "syscalls[%zu]: not a valid action for seccomp", i);
		if (json_is_object(e)) {
			if ((v = field(e, "errnoRet"))) {
				if (json_u64(v, &errno_ret) < 0)
					return fail(err, errlen, -EINVAL, "syscalls[%zu]: bad errnoRet", i);
				has_errno = true;
			}
			names = field(e, "names");
			jargs = field(e, "args");
			if ((names && !json_is_array(names)) || (jargs && !json_is_array(jargs)))
				return fail(err, errlen, -EINVAL, "syscalls[%zu]: names/args must be arrays", i);
		}
		uint32_t action = action_value(act, has_errno, errno_ret);
		for (size_t k = 0; k < json_array_size(names); k++) {
			const json_t *jn = json_array_get(names, k);
			const char *name = json_is_null(jn) ? "" : json_str(jn);
			if (!name)
				return fail(err, errlen, -EINVAL, "syscalls[%zu].names[%zu] is not a string", i, k);
			rc = add_call(c, name, act, action, jargs, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int parse_top(struct oci_runc_config *c, const json_t *root, char *err, size_t errlen)
{
	const json_t *jdef, *jsys, *jarch, *jflags, *v;

	if (json_is_null(root)) {
		c->disabled = true;
		return 0;
	}
	if (!json_is_object(root))
		return fail(err, errlen, -EINVAL, "seccomp.json is not a JSON object");
	jdef = field(root, "defaultAction");
	jsys = field(root, "syscalls");
	jarch = field(root, "architectures");
	jflags = field(root, "flags");
	if ((jsys && !json_is_array(jsys)) || (jarch && !json_is_array(jarch)) ||
	    (jflags && !json_is_array(jflags)))
		return fail(err, errlen, -EINVAL, "syscalls, architectures and flags must be arrays");
	if (jdef && !json_str(jdef))
		return fail(err, errlen, -EINVAL, "defaultAction must be a string");
	if ((!jdef || !*json_str(jdef)) && json_array_size(jsys) == 0) {
		c->disabled = true;
		return 0;
	}
	for (size_t i = 0; i < json_array_size(jflags); i++) {
		const char *f = json_str(json_array_get(jflags, i));
		bool ok = false;
		for (size_t k = 0; f && k < COUNT(known_flags); k++)
			ok = ok || strcmp(f, known_flags[k]) == 0;
		if (!ok)
			return fail(err, errlen, -EINVAL, "seccomp flag %s is not known to runc", f ? f : "?");
	}
	c->narch = json_array_size(jarch);
	if (c->narch) {
		c->arch = calloc(c->narch, sizeof(*c->arch));
		if (!c->arch)
			return -ENOMEM;
	}
	for (size_t i = 0; i < c->narch; i++) {
		const char *a = json_str(json_array_get(jarch, i));
		size_t k;
		for (k = 0; a && k < COUNT(arches); k++)
			if (strcmp(a, arches[k].name) == 0)
				break;
		if (!a || k == COUNT(arches))
			return fail(err, errlen, -EINVAL, "string %s is not a valid arch for seccomp", a ? a : "?");
		c->arch[i] = arches[k].token;
	}
	if (parse_action(jdef, &c->default_act) < 0)
		return fail(err, errlen, -EINVAL, "defaultAction %s is not a valid action for seccomp",
			    jdef ? json_str(jdef) : "\"\"");
	if ((v = field(root, "defaultErrnoRet"))) {
		if (json_u64(v, &c->default_errno_ret) < 0)
			return fail(err, errlen, -EINVAL, "bad defaultErrnoRet");
		c->has_default_errno_ret = true;
	}
	c->default_action = action_value(c->default_act, c->has_default_errno_ret, c->default_errno_ret);
	return parse_syscalls(c, jsys, err, errlen);
}

int oci_runc_parse(const char *json_text, size_t len, struct oci_runc_config **out, char *err,
		   size_t errlen)
{
	struct oci_runc_config *c;
	char *text = NULL;
	size_t text_len = 0;
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	if (len > OCI_RUNC_MAX_JSON)
		return fail(err, errlen, -E2BIG, "seccomp.json larger than %u bytes", OCI_RUNC_MAX_JSON);
	rc = protect_big_ints(json_text, len, &text, &text_len, err, errlen);
	if (rc < 0)
		return rc;
	root = json_loadb(text, text_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	free(text);
	if (!root)
		return fail(err, errlen, -EINVAL, "seccomp.json:%d:%d: %s", jerr.line, jerr.column, jerr.text);
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(root);
		return -ENOMEM;
	}
	rc = parse_top(c, root, err, errlen);
	json_decref(root);
	if (rc < 0) {
		oci_runc_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- building the filter (InitSeccomp + matchCall) ---- */

static bool listed(const struct oci_runc_config *c, uint32_t token)
{
	for (size_t i = 0; i < c->narch; i++)
		if (c->arch[i] == token)
			return true;
	return false;
}

static int check_notify(const struct oci_runc_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->ncall; i++)
		if (c->call[i].act == OCI_RUNC_NOTIFY && strcmp(c->call[i].name, "write") == 0)
			return fail(err, errlen, -EINVAL, "SCMP_ACT_NOTIFY cannot be used for the write syscall");
	if (c->default_act == OCI_RUNC_NOTIFY)
		return fail(err, errlen, -EINVAL, "SCMP_ACT_NOTIFY cannot be used as default action");
	return 0;
}

static void to_scmp_args(const struct oci_runc_arg *a, struct scmp_arg_cmp *s)
{
	s->arg = a->index;
	s->op = (enum scmp_compare)a->op;
	s->datum_a = a->value;
	s->datum_b = a->value_two;
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_runc_config *c,
		    const struct oci_runc_call *call, uint32_t target, char *err, size_t errlen)
{
	struct scmp_arg_cmp cmp[6];
	unsigned count[6] = { 0 };
	bool split = false;
	int nr, rc;

	if (call->name[0] == '\0')
		return fail(err, errlen, -EINVAL, "empty string is not a valid syscall");
	if (call->action == c->default_action)
		return 0; /* quirk 3 */
	nr = seccomp_syscall_resolve_name_arch(target, call->name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* quirk 4 */
	/* libseccomp reads rule numbers in the context of the build's native arch and translates
	 * them by name, so hand it the native number (maybe a pseudo one) of the same name. */
	if (target != seccomp_arch_native())
		nr = seccomp_syscall_resolve_name(call->name);
	if (nr == __NR_SCMP_ERROR)
		return fail(err, errlen, -ENOTSUP, "%s: no native number to translate from", call->name);

	if (call->nargs == 0) {
		rc = seccomp_rule_add(ctx, call->action, nr, 0);
	} else {
		for (size_t i = 0; i < call->nargs; i++)
			if (++count[call->args[i].index] > 1)
				split = true;
		rc = 0;
		if (split) { /* quirk 5 */
			for (size_t i = 0; i < call->nargs && rc == 0; i++) {
				to_scmp_args(&call->args[i], &cmp[0]);
				rc = seccomp_rule_add_array(ctx, call->action, nr, 1, cmp);
			}
		} else {
			for (size_t i = 0; i < call->nargs; i++)
				to_scmp_args(&call->args[i], &cmp[i]);
			rc = seccomp_rule_add_array(ctx, call->action, nr, (unsigned)call->nargs, cmp);
		}
	}
	if (rc < 0)
		return fail(err, errlen, rc, "error adding seccomp rule for syscall %s: %s", call->name,
			    strerror(-rc));
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *n)
{
	int fd = memfd_create("oci_runc_bpf", MFD_CLOEXEC);
	struct sock_filter *p = NULL;
	off_t size;
	int rc;

	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		goto out;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(*p)) {
		rc = -EIO;
		goto out;
	}
	p = malloc((size_t)size);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	if (pread(fd, p, (size_t)size, 0) != size) {
		free(p);
		rc = -EIO;
		goto out;
	}
	*prog = p;
	*n = (size_t)size / sizeof(*p);
out:
	close(fd);
	return rc;
}

/* findLastSyscalls(): the highest number any entry names on arch, 0 when none resolves. */
static uint32_t last_syscall(const struct oci_runc_config *c, uint32_t arch)
{
	int32_t last = 0;
	for (size_t i = 0; i < c->ncall; i++) {
		int nr = seccomp_syscall_resolve_name_arch(arch, c->call[i].name);
		if (nr > last)
			last = nr;
	}
	return (uint32_t)last;
}

static void stub_plan(const struct oci_runc_config *c, uint32_t target, struct oci_runc_info *info)
{
	bool permissive = c->default_act == OCI_RUNC_ALLOW || c->default_act == OCI_RUNC_LOG ||
			  c->default_act == OCI_RUNC_TRACE;
	bool hatch = c->has_default_errno_ret && c->default_errno_ret == SCMP_ACT_ERRNO(ENOSYS);

	if (permissive || hatch)
		return;
	if (listed(c, target) && (info->stub_native_max = last_syscall(c, target)) != 0)
		info->stub_native = true;
	if (target == SCMP_ARCH_X86_64 && listed(c, SCMP_ARCH_X32) &&
	    (info->stub_x32_max = last_syscall(c, SCMP_ARCH_X32)) != 0)
		info->stub_x32 = true;
	info->stub = info->stub_native || info->stub_x32;
}

#define STMT(c, k) ((struct sock_filter){ (c), 0, 0, (k) })
#define JUMP(c, k, t, f) ((struct sock_filter){ (c), (t), (f), (k) })

/* The stub with the same decisions as patchbpf's section for this arch: other arches and
 * numbers at or below the threshold fall through into libseccomp's program. */
static size_t build_stub(const struct oci_runc_info *info, struct sock_filter s[8])
{
	size_t n = 0;
	bool x86 = info->arch == SCMP_ARCH_X86_64;
	/* Layout: ld arch; jeq; ld nr; [jset]; [native jgt]; [x32 jgt]; ret ENOSYS. Offsets are
	 * counted to the ENOSYS return (E) and to the first filter instruction (E + 1). */
	size_t len = 3 + (x86 ? 1 : 0) + (x86 ? 2 : 1) + 1;
	size_t e = len - 1;

	s[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	s[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, info->arch, 0, (uint8_t)(len - n - 1));
	n++;
	s[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	if (x86) {
		s[n] = JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 1, 0);
		n++;
	}
	/* native section (x86: bit 30 clear), then the x32 section */
	for (int part = 0; part < (x86 ? 2 : 1); part++) {
		bool on = part == 0 ? info->stub_native : info->stub_x32;
		uint32_t max = part == 0 ? info->stub_native_max : info->stub_x32_max;
		uint8_t to_e = (uint8_t)(e - n - 1), to_f = (uint8_t)(e - n);
		if (on)
			s[n] = JUMP(BPF_JMP | BPF_JGT | BPF_K, max, to_e, to_f);
		else
			s[n] = JUMP(BPF_JMP | BPF_JA, to_f, 0, 0);
		n++;
	}
	s[n++] = STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS));
	return n;
}

enum oci_runc_origin oci_runc_origin_of(const struct oci_runc_info *info, uint32_t nr)
{
	bool x32 = info->arch == SCMP_ARCH_X86_64 && (nr & X32_BIT);

	if (!x32 && info->stub_native && nr > info->stub_native_max)
		return OCI_RUNC_FROM_STUB;
	if (x32 && info->stub_x32 && nr > info->stub_x32_max)
		return OCI_RUNC_FROM_STUB;
	if (info->x32_is_badarch && nr >= X32_BIT && nr != UINT32_MAX)
		return OCI_RUNC_FROM_BADARCH;
	return OCI_RUNC_FROM_JSON;
}

static int build(const struct oci_runc_config *c, uint32_t target, struct sock_filter **prog,
		 size_t *n, struct oci_runc_info *info, char *err, size_t errlen)
{
	struct sock_filter stub[8], *body = NULL, *all;
	size_t nbody = 0, nstub = 0;
	scmp_filter_ctx ctx;
	int rc;

	/* libseccomp checks KILL_PROCESS/LOG/NOTIFY against the API level it probes; pin the level
	 * of a host where runc works so a restricted sandbox does not change the answer. */
	if (seccomp_api_get() < 6)
		seccomp_api_set(6);
	ctx = seccomp_init(c->default_action);
	if (!ctx)
		return fail(err, errlen, -EINVAL, "error creating filter (default action %#x)", c->default_action);
	rc = seccomp_attr_get(ctx, SCMP_FLTATR_ACT_BADARCH, &info->badarch_action);
	if (rc == 0 && target != seccomp_arch_native()) {
		rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (rc == 0)
			rc = seccomp_arch_add(ctx, target);
	}
	if (rc == 0 && target == SCMP_ARCH_X86_64 && listed(c, SCMP_ARCH_X32))
		rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (rc < 0) {
		seccomp_release(ctx);
		return fail(err, errlen, rc, "error setting up the filter's arches: %s", strerror(-rc));
	}
	info->x32_is_badarch = target == SCMP_ARCH_X86_64 && !listed(c, SCMP_ARCH_X32);
	if (c->ncall > 32)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* quirk 10; not fatal in runc */
	for (size_t i = 0; i < c->ncall; i++) {
		rc = add_rule(ctx, c, &c->call[i], target, err, errlen);
		if (rc < 0) {
			seccomp_release(ctx);
			return rc;
		}
	}
	rc = export_bpf(ctx, &body, &nbody);
	seccomp_release(ctx);
	if (rc < 0)
		return fail(err, errlen, rc, "exporting BPF: %s", strerror(-rc));

	stub_plan(c, target, info);
	if (info->stub)
		nstub = build_stub(info, stub);
	all = malloc((nstub + nbody) * sizeof(*all));
	if (!all) {
		free(body);
		return -ENOMEM;
	}
	memcpy(all, stub, nstub * sizeof(*all));
	memcpy(all + nstub, body, nbody * sizeof(*all));
	free(body);
	*prog = all;
	*n = nstub + nbody;
	return 0;
}

int oci_runc_compile_info(const char *json_text, size_t len, uint32_t scmp_arch_token,
			  struct sock_filter **prog, size_t *n, struct oci_runc_info *info,
			  char *err, size_t errlen)
{
	struct oci_runc_info local;
	struct oci_runc_config *c;
	int rc;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	*prog = NULL;
	*n = 0;
	if (scmp_arch_token != SCMP_ARCH_X86_64 && scmp_arch_token != SCMP_ARCH_AARCH64)
		return fail(err, errlen, -EINVAL, "unsupported target arch %#x", scmp_arch_token);
	info->arch = scmp_arch_token;
	rc = oci_runc_parse(json_text, len, &c, err, errlen);
	if (rc < 0)
		return rc;
	if (c->disabled) { /* quirk 8 */
		struct sock_filter *p = malloc(sizeof(*p));
		oci_runc_config_free(c);
		if (!p)
			return -ENOMEM;
		*p = STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW);
		info->default_action = SCMP_ACT_ALLOW;
		info->badarch_action = SCMP_ACT_ALLOW;
		*prog = p;
		*n = 1;
		return 0;
	}
	info->default_action = c->default_action;
	rc = check_notify(c, err, errlen);
	if (rc == 0)
		rc = build(c, scmp_arch_token, prog, n, info, err, errlen);
	oci_runc_config_free(c);
	return rc;
}

int oci_runc_compile(const char *json_text, size_t len, uint32_t scmp_arch_token,
		     struct sock_filter **prog, size_t *n, char *err, size_t errlen)
{
	return oci_runc_compile_info(json_text, len, scmp_arch_token, prog, n, NULL, err, errlen);
}

/* mvmc lint: checks profiles for what compiles but is risky or misleading, with stable rule
 * ids (docs/lint-rules.md). A run lints files and directories, keeps going past errors (a
 * profile that does not compile gets its compile errors as MVM000 findings), honours
 * suppression comments, and returns findings in a deterministic order. */
#ifndef MVM_LINT_H
#define MVM_LINT_H
#include <stdbool.h>
#include <stddef.h>

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "ir.h"

/* The ids are stable: a rule is never renumbered, a retired id is never reused. */
enum mvm_lint_id {
	MVM_LINT_COMPILE,             /* MVM000 */
	MVM_LINT_DANGEROUS,           /* MVM001 */
	MVM_LINT_CLONE_NAMESPACES,    /* MVM002 */
	MVM_LINT_ARG_WIDTH,           /* MVM003 */
	MVM_LINT_POINTER_ARG,         /* MVM004 */
	MVM_LINT_DENYLIST_ABI,        /* MVM005 */
	MVM_LINT_EPERM_PROBE,         /* MVM006 */
	MVM_LINT_SHADOWED,            /* MVM007 */
	MVM_LINT_OVERLAP,             /* MVM008 */
	MVM_LINT_DEFAULT_UNREACHABLE, /* MVM009 */
	MVM_LINT_CEILING,             /* MVM010 */
	MVM_LINT_EGRESS_SECCOMP,      /* MVM011 */
	MVM_LINT_INSN_LIMIT,          /* MVM012 */
	MVM_LINT_UNRESTRICTED,        /* MVM013 */
	MVM_LINT_SECRETS,             /* MVM014 */
	MVM_LINT_SUPPRESSION,         /* MVM015 */
	MVM_LINT_COUNT
};

enum mvm_lint_severity { MVM_LINT_NOTE, MVM_LINT_WARNING, MVM_LINT_ERROR };

struct mvm_lint_rule {
	const char *id;      /* "MVM001" */
	const char *name;    /* "dangerous-syscall-unjustified": an alias for the id on the command line */
	enum mvm_lint_severity severity;
	const char *summary; /* one line */
	const char *help;    /* what to do about it, a few sentences */
	const char *anchor;  /* the heading anchor in docs/lint-rules.md */
};

extern const struct mvm_lint_rule mvm_lint_rules[MVM_LINT_COUNT];

/* "MVM001" or "dangerous-syscall-unjustified" -> its id; -1 when unknown. */
int mvm_lint_rule_lookup(const char *s);
const char *mvm_lint_severity_name(enum mvm_lint_severity s);

struct mvm_lint_finding {
	enum mvm_lint_id rule;
	enum mvm_lint_severity severity;
	struct mvm_loc loc;       /* file NULL: no location; line 0: the whole file */
	struct mvm_loc related;   /* the other party (the earlier rule, ...); file NULL if none */
	const char *message;
	const char *suppressed;   /* the reason given in the suppression comment, or NULL */
	char fingerprint[33];     /* 128 bits hex; see mvm_lint_fingerprints */
	size_t input;             /* index of the file the run was linting when found */
};

struct mvm_lint_opts {
	bool enabled[MVM_LINT_COUNT];
	const char *const *search;  /* stdlib search path (-I, MVMC_PATH) */
	size_t nsearch;
};

/* The findings of one run, allocated from a (which must outlive them). */
struct mvm_lint_result {
	struct mvm_arena *a;
	size_t n, cap;
	struct mvm_lint_finding *f;
	size_t nfiles;              /* files linted */
	size_t nio;                 /* paths that could not be read or listed */
};

/* Every rule enabled. */
void mvm_lint_opts_default(struct mvm_lint_opts *o);

/* Lints each path: a profile (.yaml, .yml, .mvm), a directory (walked for those, in name
 * order), or a file of a stdlib directory (groups.yaml, intents.yaml, ... beside tiers/:
 * checked by loading that stdlib). Findings are sorted and fingerprinted. 0, or -ENOMEM. */
int mvm_lint_paths(struct mvm_arena *a, const struct mvm_lint_opts *o, const char *const *paths, size_t npaths,
		   struct mvm_lint_result *out);

/* Counts of unsuppressed findings at each severity. */
void mvm_lint_count(const struct mvm_lint_result *r, size_t counts[3], size_t *suppressed);

/* Output. Text: `FILE:LINE:COL: SEVERITY: MESSAGE [ID]`, one line each, suppressed ones
 * left out. JSON: an object with every finding. SARIF: 2.1.0, help URIs under help_base. */
void mvm_lint_write_text(const struct mvm_lint_result *r, struct mvm_buf *out);
int mvm_lint_write_json(const struct mvm_lint_result *r, struct mvm_buf *out);
int mvm_lint_write_sarif(const struct mvm_lint_result *r, const char *help_base, struct mvm_buf *out);

#endif

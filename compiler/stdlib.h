/* The standard library: tiers, syscall groups, intents, named constants and named syscall
 * arguments. Files are looked up in -I directories, then MVMC_PATH, then the copy embedded
 * in mvmc at build time. */
#ifndef MVM_STDLIB_H
#define MVM_STDLIB_H
#include "spec.h"

#define MVM_TIER_COUNT 5
extern const char *const mvm_tier_names[MVM_TIER_COUNT]; /* essential .. unrestricted */
int mvm_tier_index(const char *name); /* -1 if not a tier */

struct mvm_group {
	const char *name; /* without '@' */
	const char *doc;
	size_t nsys[1 + MVM_ARCH_COUNT]; /* [0] common, [1 + arch id] arch-only */
	struct mvm_sym *sys[1 + MVM_ARCH_COUNT];
	struct mvm_loc loc;
};

struct mvm_intent {
	const char *name;
	const char *doc;
	int max_tier;            /* index into mvm_tier_names */
	bool egress_allowed;
	enum mvm_secret_release max_secrets; /* loosest release allowed */
	struct mvm_loc loc;
};

enum { MVM_ARG_W32 = 32, MVM_ARG_W64 = 64, MVM_ARG_PTR = 65 };

struct mvm_argdef {
	size_t nargs;
	const char *name[MVM_MAX_ARGS];
	int width[MVM_MAX_ARGS]; /* MVM_ARG_W32, MVM_ARG_W64 or MVM_ARG_PTR */
};

struct mvm_constant {
	const char *name;
	bool per_arch;
	uint64_t value[MVM_ARCH_COUNT];
};

struct mvm_stdlib {
	size_t nsearch;
	const char *const *search;  /* directories, searched before the embedded copy */
	size_t ngroup;
	struct mvm_group *group;
	size_t nintent;
	struct mvm_intent *intent;
	size_t nconst;
	struct mvm_constant *constant; /* sorted by name */
	size_t nargdef;
	const char **argdef_name;      /* syscall names, parallel to argdef[][arch] */
	struct mvm_argdef (*argdef)[MVM_ARCH_COUNT];
};

int mvm_stdlib_load(struct mvm_arena *a, struct mvm_diag *d, const char *const *search, size_t nsearch,
		    struct mvm_stdlib **out);
/* Reads stdlib file REL ("tiers/standard.yaml"). *display is the name to report. 0 or -ENOENT. */
int mvm_stdlib_read(const struct mvm_stdlib *st, struct mvm_arena *a, const char *rel, const char **text,
		    size_t *len, const char **display);
const struct mvm_group *mvm_stdlib_group(const struct mvm_stdlib *st, const char *name);
const struct mvm_intent *mvm_stdlib_intent(const struct mvm_stdlib *st, const char *name);
const struct mvm_constant *mvm_stdlib_constant(const struct mvm_stdlib *st, const char *name);
/* NULL when the syscall has no named arguments. */
const struct mvm_argdef *mvm_stdlib_args(const struct mvm_stdlib *st, const char *syscall, enum mvm_arch_id arch);

/* The embedded copy (generated at build time). */
struct mvm_embedded_file {
	const char *path;
	const char *data;
	size_t len;
};
extern const struct mvm_embedded_file mvm_embedded_stdlib[];
extern const size_t mvm_embedded_stdlib_count;

/* Reads a whole file (bounded). 0, or a negative errno. */
int mvm_read_file(struct mvm_arena *a, const char *path, size_t max, char **text, size_t *len);
#endif

/* "did you mean" suggestions by edit distance. */
#ifndef MVM_SUGGEST_H
#define MVM_SUGGEST_H
#include <stddef.h>

struct mvm_suggest {
	const char *word;
	const char *best;
	size_t best_dist;
};

void mvm_suggest_init(struct mvm_suggest *s, const char *word);
void mvm_suggest_offer(struct mvm_suggest *s, const char *candidate);
/* The best candidate when it is close enough to be a likely typo, else NULL. */
const char *mvm_suggest_result(const struct mvm_suggest *s);
#endif

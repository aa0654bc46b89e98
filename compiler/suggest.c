#include "suggest.h"

#include <string.h>

/* Damerau-Levenshtein (optimal string alignment) on short identifiers; longer ones are never
 * close enough to suggest. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return (size_t)-1;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

void mvm_suggest_init(struct mvm_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->best_dist = (size_t)-1;
}

void mvm_suggest_offer(struct mvm_suggest *s, const char *candidate)
{
	size_t dist = distance(s->word, candidate);
	/* Ties keep the first offered candidate, so callers offer in a stable order. */
	if (dist < s->best_dist) {
		s->best_dist = dist;
		s->best = candidate;
	}
}

const char *mvm_suggest_result(const struct mvm_suggest *s)
{
	size_t len = strlen(s->word);
	size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	return s->best && s->best_dist > 0 && s->best_dist <= limit ? s->best : NULL;
}

/* The stdlib search path shared by mvmc's commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int mvmc_search_add(struct mvmc_search_path *s, const char *dir)
{
	if (s->n == MVMC_MAX_SEARCH) {
		fprintf(stderr, "mvmc: too many stdlib search directories (limit %d)\n", MVMC_MAX_SEARCH);
		return -1;
	}
	s->dir[s->n++] = dir;
	return 0;
}

int mvmc_search_add_env(struct mvmc_search_path *s)
{
	const char *env = getenv("MVMC_PATH");
	if (!env || !*env)
		return 0;
	s->env_copy = strdup(env);
	if (!s->env_copy)
		return -1;
	for (char *save = NULL, *tok = strtok_r(s->env_copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
		if (*tok && mvmc_search_add(s, tok))
			return -1;
	return 0;
}

void mvmc_search_free(struct mvmc_search_path *s)
{
	free(s->env_copy);
	s->env_copy = NULL;
}

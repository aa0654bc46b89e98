/* mvmc subcommands: each lives in compiler/cmd_NAME.c and is listed in main.c's table.
 * A command returns the process exit code: 0 ok, 1 profile error, 2 usage, 3 I/O (commands
 * may define more codes, documented in their --help and man page). */
#ifndef MVM_COMMANDS_H
#define MVM_COMMANDS_H

enum { MVMC_EXIT_OK = 0, MVMC_EXIT_PROFILE = 1, MVMC_EXIT_USAGE = 2, MVMC_EXIT_IO = 3 };

int mvmc_cmd_build(int argc, char **argv);

/* The stdlib search path shared by every command: -I dirs, then MVMC_PATH. */
#define MVMC_MAX_SEARCH 32
struct mvmc_search_path {
	unsigned n;
	const char *dir[MVMC_MAX_SEARCH];
	char *env_copy;
};
int mvmc_search_add(struct mvmc_search_path *s, const char *dir);
/* Appends MVMC_PATH's entries; call after the -I options. */
int mvmc_search_add_env(struct mvmc_search_path *s);
void mvmc_search_free(struct mvmc_search_path *s);
#endif

/* mvmc subcommands: each lives in compiler/cmd_NAME.c and is listed in main.c's table.
 * A command returns the process exit code: 0 ok, 1 profile error, 2 usage, 3 I/O (commands
 * may define more codes, documented in their --help and man page). */
#ifndef MVM_COMMANDS_H
#define MVM_COMMANDS_H

enum { MVMC_EXIT_OK = 0, MVMC_EXIT_PROFILE = 1, MVMC_EXIT_USAGE = 2, MVMC_EXIT_IO = 3 };
/* A key that may not be used: looser than 0600, wrong size, mismatched halves, wrong role. */
enum { MVMC_EXIT_KEY = 4 };
/* mvmc verify: the bundle was refused (the reason is printed, and in --json). */
enum { MVMC_EXIT_REFUSED = 1 };

int mvmc_cmd_build(int argc, char **argv);
int mvmc_cmd_fmt(int argc, char **argv);
int mvmc_cmd_disasm(int argc, char **argv);
int mvmc_cmd_sim(int argc, char **argv);
int mvmc_cmd_import(int argc, char **argv);
int mvmc_cmd_keygen(int argc, char **argv);
int mvmc_cmd_verify(int argc, char **argv);
int mvmc_cmd_lint(int argc, char **argv);
int mvmc_cmd_diff(int argc, char **argv);
int mvmc_cmd_explain(int argc, char **argv);
/* mvmc diff --fail-on widen: NEW allows something OLD did not. */
enum { MVMC_EXIT_WIDENED = 3 };

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

/* LD_PRELOAD shim for tests/robustness.sh: at the moment mvmc moves its finished output into
 * place (its first renameat2 onto MVM_SWAP_TARGET), the existing output directory is moved aside
 * and replaced by a symbolic link to MVM_SWAP_LINK_TO, the race someone who can write the
 * parent directory could win. The state is one flag in this test-only library. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
{
	static int swapped;
	const char *target = getenv("MVM_SWAP_TARGET"), *to = getenv("MVM_SWAP_LINK_TO");
	if (!swapped && target && to && strcmp(newpath, target) == 0) {
		char aside[4096];
		swapped = 1;
		snprintf(aside, sizeof(aside), "%s.moved", target);
		if (rename(target, aside) == 0 && symlink(to, target) != 0)
			perror("robustness_swap: symlink");
	}
	int (*real)(int, const char *, int, const char *, unsigned int) =
		(int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT, "renameat2");
	return real ? real(olddirfd, oldpath, newdirfd, newpath, flags) : -1;
}

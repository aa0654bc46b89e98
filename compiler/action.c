/* Action keywords, shared by both front ends and every emitter. */
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "yaml_tree.h"

int mvm_parse_action(struct mvm_arena *a, const char *s, struct mvm_spec_action *out, const char **err)
{
	static const struct { const char *name; enum mvm_action_kind kind; } simple[] = {
		{ "allow", MVM_ACT_ALLOW }, { "log", MVM_ACT_LOG }, { "trap", MVM_ACT_TRAP },
		{ "kill-thread", MVM_ACT_KILL_THREAD }, { "kill-process", MVM_ACT_KILL_PROCESS },
	};
	out->errno_name = NULL;
	out->act.errno_val = 0;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(s, simple[i].name) == 0) {
			out->act.kind = simple[i].kind;
			return 0;
		}
	}
	if (strcmp(s, "enosys") == 0) {
		out->act.kind = MVM_ACT_ERRNO;
		out->act.errno_val = ENOSYS;
		return 0;
	}
	size_t n = strlen(s);
	if (strncmp(s, "errno(", 6) != 0 || n < 8 || s[n - 1] != ')') {
		*err = "unknown action (expected allow, log, errno(N), enosys, trap, kill-thread or kill-process)";
		return -EINVAL;
	}
	char *inner = mvm_arena_strndup(a, s + 6, n - 7);
	if (!inner)
		return -ENOMEM;
	out->act.kind = MVM_ACT_ERRNO;
	if (inner[0] >= '0' && inner[0] <= '9') {
		bool neg;
		uint64_t v;
		if (mvm_parse_int(inner, &neg, &v) || neg || v < 1 || v > 4095) {
			*err = "errno value must be an integer in 1..4095 or an errno name";
			return -EINVAL;
		}
		out->act.errno_val = (uint16_t)v;
		return 0;
	}
	out->errno_name = inner;
	return 0;
}

const char *mvm_action_name(struct mvm_action a, char *buf, size_t len)
{
	switch (a.kind) {
	case MVM_ACT_ALLOW: return "allow";
	case MVM_ACT_LOG: return "log";
	case MVM_ACT_TRAP: return "trap";
	case MVM_ACT_KILL_THREAD: return "kill-thread";
	case MVM_ACT_KILL_PROCESS: return "kill-process";
	case MVM_ACT_ERRNO:
		if (a.errno_val == ENOSYS)
			return "enosys";
		snprintf(buf, len, "errno(%u)", a.errno_val);
		return buf;
	}
	return "?";
}

int mvm_action_rank(struct mvm_action a)
{
	switch (a.kind) {
	case MVM_ACT_ALLOW: return 0;
	case MVM_ACT_LOG: return 1;
	case MVM_ACT_ERRNO: return 2;
	case MVM_ACT_TRAP: return 3;
	case MVM_ACT_KILL_THREAD: return 4;
	case MVM_ACT_KILL_PROCESS: return 5;
	}
	return 5;
}

bool mvm_action_eq(struct mvm_action a, struct mvm_action b)
{
	return a.kind == b.kind && (a.kind != MVM_ACT_ERRNO || a.errno_val == b.errno_val);
}

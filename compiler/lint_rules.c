/* The lint rules' metadata: stable ids, names, severities, one-line summaries. Each rule has a
 * section in docs/lint-rules.md whose anchor is `anchor`; tests/lint.sh checks that they agree. */
#include <string.h>
#include <strings.h>

#include "lint.h"

const struct mvm_lint_rule mvm_lint_rules[MVM_LINT_COUNT] = {
	[MVM_LINT_COMPILE] = { "MVM000", "compile-error", MVM_LINT_ERROR,
		"The profile does not compile",
		"mvmc build would refuse this profile; the message is the compiler's.", "mvm000-compile-error" },
	[MVM_LINT_DANGEROUS] = { "MVM001", "dangerous-syscall-unjustified", MVM_LINT_WARNING,
		"A dangerous syscall is allowed without a justification",
		"ptrace, bpf, mount, namespaces, keyrings, perf, userfaultfd, io_uring, kexec, module loading, "
		"open_by_handle_at and process_vm_writev open large kernel surfaces or other processes; say why the "
		"workload needs it (`why:` in YAML, `because` in the DSL).", "mvm001-dangerous-syscall-unjustified" },
	[MVM_LINT_CLONE_NAMESPACES] = { "MVM002", "clone-without-namespace-filter", MVM_LINT_WARNING,
		"clone is allowed without a filter that keeps namespace flags out",
		"Filter clone's flags with `mask: CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|"
		"CLONE_NEWNET|CLONE_NEWCGROUP, eq: 0`; answer clone3 with enosys (its flags are in memory).",
		"mvm002-clone-without-namespace-filter" },
	[MVM_LINT_ARG_WIDTH] = { "MVM003", "wide-comparison-on-narrow-argument", MVM_LINT_WARNING,
		"A 64-bit comparison on an argument the kernel reads as 32 bits",
		"The kernel ignores the upper half of an int argument, so a 64-bit comparison can be dodged with "
		"garbage in it. Compare 32-bit arguments with eq, in or mask, and give unlisted syscalls their "
		"widths in stdlib/syscall-args.yaml.", "mvm003-wide-comparison-on-narrow-argument" },
	[MVM_LINT_POINTER_ARG] = { "MVM004", "pointer-argument-condition", MVM_LINT_WARNING,
		"A condition on a pointer argument",
		"seccomp sees the address, never the memory behind it: a path, a struct or a string cannot be "
		"checked. Test NULL at most; restrict paths with filesystem shares.", "mvm004-pointer-argument-condition" },
	[MVM_LINT_DENYLIST_ABI] = { "MVM005", "denylist-without-compat-handling", MVM_LINT_WARNING,
		"A deny-list leaves a refused call reachable through another ABI",
		"With a default that allows, every way into the kernel must be closed: refuse the call on every "
		"architecture of the profile; mvmc's filters kill x32 and 32-bit compat calls, and lint checks "
		"that they do.", "mvm005-denylist-without-compat-handling" },
	[MVM_LINT_EPERM_PROBE] = { "MVM006", "eperm-for-probed-syscall", MVM_LINT_WARNING,
		"A syscall that libc probes gets an error other than ENOSYS while its fallback is allowed",
		"libc falls back from a newer syscall (clone3, faccessat2, fchmodat2, statx, close_range, ...) to "
		"the older one only on ENOSYS; answer `enosys`.", "mvm006-eperm-for-probed-syscall" },
	[MVM_LINT_SHADOWED] = { "MVM007", "shadowed-rule", MVM_LINT_WARNING,
		"A rule never decides: an earlier rule matches every call it matches",
		"The first matching rule wins; move the rule up, narrow the earlier one, or delete it.",
		"mvm007-shadowed-rule" },
	[MVM_LINT_OVERLAP] = { "MVM008", "overlapping-rules", MVM_LINT_ERROR,
		"Rules with different actions may match the same call",
		"seccomp.json cannot express first-match order; make the conditions disjoint, or use equality "
		"tests on one argument before an unconditional rule.", "mvm008-overlapping-rules" },
	[MVM_LINT_DEFAULT_UNREACHABLE] = { "MVM009", "default-unreachable", MVM_LINT_WARNING,
		"No syscall can reach the default action",
		"Every syscall of the table is decided by an unconditional rule, so the default only answers numbers "
		"mvmc does not know; the written default is misleading.", "mvm009-default-unreachable" },
	[MVM_LINT_CEILING] = { "MVM010", "intent-ceiling-exceeded", MVM_LINT_ERROR,
		"The profile asks for more than its intent allows",
		"The intent's ceiling (tier, egress) is enforced by mvmc build and again at admission; narrow the "
		"profile or choose the intent that fits.", "mvm010-intent-ceiling-exceeded" },
	[MVM_LINT_EGRESS_SECCOMP] = { "MVM011", "egress-seccomp-inconsistent", MVM_LINT_WARNING,
		"network.egress and seccomp contradict each other",
		"Egress destinations without IP sockets cannot be used; IP sockets without egress reach only "
		"loopback and inbound peers.", "mvm011-egress-seccomp-inconsistent" },
	[MVM_LINT_INSN_LIMIT] = { "MVM012", "bpf-instruction-limit", MVM_LINT_ERROR,
		"A seccomp filter exceeds the kernel's instruction limit",
		"The kernel refuses a filter longer than 4096 instructions; merge conditions or split the "
		"workload.", "mvm012-bpf-instruction-limit" },
	[MVM_LINT_UNRESTRICTED] = { "MVM013", "unrestricted-in-production", MVM_LINT_ERROR,
		"Tier unrestricted (or a default that allows) under a production intent",
		"unrestricted allows everything no lower tier refuses; it is for debugging on a developer's "
		"machine (intent debug:local).", "mvm013-unrestricted-in-production" },
	[MVM_LINT_SECRETS] = { "MVM014", "secret-posture-too-weak", MVM_LINT_ERROR,
		"The secret release is weaker than the intent requires",
		"Each intent names the loosest release it tolerates (none < attestation-bound < plan-bound).",
		"mvm014-secret-posture-too-weak" },
	[MVM_LINT_SUPPRESSION] = { "MVM015", "bad-suppression", MVM_LINT_WARNING,
		"A suppression comment is malformed, has no reason, or suppresses nothing",
		"Write `# mvmc-lint: disable MVM007: REASON` on the line of the finding or the line above.",
		"mvm015-bad-suppression" },
};

int mvm_lint_rule_lookup(const char *s)
{
	for (int i = 0; i < MVM_LINT_COUNT; i++)
		if (strcasecmp(s, mvm_lint_rules[i].id) == 0 || strcmp(s, mvm_lint_rules[i].name) == 0)
			return i;
	return -1;
}

const char *mvm_lint_severity_name(enum mvm_lint_severity s)
{
	static const char *const n[] = { "note", "warning", "error" };
	return n[s];
}

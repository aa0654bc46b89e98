#!/usr/bin/env bash
# Claim 9 on the sandbox backend: the running posture is the signed one. A filter that differs
# from the signed bytes is caught before the workload runs: a marker file the workload would
# create never appears. Positive controls show the same workload does run (and creates the
# marker) when the posture matches, so the gate cannot pass by never running anything.
#
# Also checks that the test-only switch (MVM_TEST_SWAP_FILTER) exists only in the test binary.
# `make mutation-no-seccomp` runs this script against a build without the seccomp step and
# expects it to fail.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox/common.sh"
sandbox_preflight sandbox_claim9
if [ "$(id -u)" -ne 0 ]; then
	skip sandbox_claim9 "only root can read a workload's filter back; as uid $(id -u) every posture is partial (CI runs as root)"
	exit 0
fi
build_filter other minimal
OTHER=$FILTER
build_filter std standard
STD=$FILTER

mkdir -p "$TMP/out"
chmod 755 "$TMP" && chmod 777 "$TMP/out"
marker="$TMP/out/marker"
workload=(/bin/sh -c 'echo ran > /share/out/marker')
launch() { rm -f "$marker"; "$@" --share "$TMP/out:/share/out:rw" --report "$TMP/report" -- "${workload[@]}" 2>"$TMP/stderr"; }
report() { cat "$TMP/report" "$TMP/stderr" 2>/dev/null | head -c 3000; }

# Positive control: the signed filter, verified, and the workload runs.
launch "$DRIVER" --filter "$STD"; rc=$?
t claim9_signed_filter_is_verified_and_the_workload_runs "rc=$rc $(report)" \
	'[ $rc -eq 0 ] && [ -e "$marker" ] && grep -q "^posture: verified" "$TMP/report"'
t claim9_posture_reads_back_the_signed_digest "$(report)" \
	'grep -qE "^  ok +seccomp.filter_digest +sha256:" "$TMP/report" && grep -qE "^  ok +seccomp.mode +2$" "$TMP/report"'

t claim9_posture_hook_sees_the_verdict_before_release "$(report)" 'grep -q "^hook=called acceptable=1" "$TMP/report"'
# The caller's hook (where `mvm run` audits posture.verified) refuses: fail closed.
launch "$DRIVER" --filter "$STD" --hook-refuse; rc=$?
t claim9_launch_is_refused_when_the_posture_hook_refuses "rc=$rc $(report)" \
	'[ $rc -eq 124 ] && [ ! -e "$marker" ] && grep -q "caller refused" "$TMP/report"'

# A BPF file swapped after signing: the bytes the runtime holds do not hash to the signed
# digest, so nothing is launched.
launch "$DRIVER" --filter "$OTHER" --signed "$STD"; rc=$?
t claim9_swapped_bpf_file_is_refused_before_launch "rc=$rc $(report)" \
	'[ $rc -eq 124 ] && [ ! -e "$marker" ] && grep -q "^outcome=refused-filter" "$TMP/report"'

# The test build that installs a different filter than the one it was given: caught by the
# posture check at the exec stop, killed before its first instruction.
if [ -x "$SWAP_DRIVER" ]; then
	launch "$SWAP_DRIVER" --filter "$STD"; rc=$?
	t claim9_installed_filter_differing_from_signed_is_caught_before_the_workload_runs "rc=$rc $(report)" \
		'[ $rc -eq 124 ] && [ ! -e "$marker" ] && grep -q "^outcome=refused-posture" "$TMP/report"'
	t claim9_the_mismatch_names_the_filter_digest "$(report)" \
		'grep -qE "^  mismatch +seccomp.filter_digest" "$TMP/report" && grep -q "MVM_TEST_SWAP_FILTER build" "$TMP/stderr"'
	# The same swap in a user namespace (the path an unprivileged runtime takes).
	launch "$SWAP_DRIVER" --filter "$STD" --userns; rc=$?
	t claim9_swap_is_caught_in_a_user_namespace_too "rc=$rc $(report)" '[ $rc -eq 124 ] && [ ! -e "$marker" ]'
else
	fail claim9_swap_build "$SWAP_DRIVER is not built"
fi

# Where the filter cannot be read back (an unprivileged runtime), the posture is partial:
# accepted by default, refused under --require-full.
nobody=65534
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && setpriv --reuid=$nobody --regid=$nobody --clear-groups \
	unshare --user --map-root-user true 2>/dev/null && setpriv --reuid=$nobody --regid=$nobody --clear-groups test -x "$DRIVER"; then
	chmod 755 "$TMP"; chmod 644 "$STD"; chmod 755 "$(dirname "$STD")"
	as_nobody() { setpriv --reuid=$nobody --regid=$nobody --clear-groups "$@"; }
	rm -f "$marker"; as_nobody "$DRIVER" --filter "$STD" --share "$TMP/out:/share/out:rw" --report "$TMP/out/report" -- "${workload[@]}" 2>"$TMP/stderr"; rc=$?
	t claim9_unprivileged_posture_is_partial_and_names_the_filter_check "rc=$rc $(cat "$TMP/out/report" 2>/dev/null)" \
		'[ $rc -eq 0 ] && [ -e "$marker" ] && grep -q "^posture: partial" "$TMP/out/report" && grep -qE "^  unchecked +seccomp.filter_digest" "$TMP/out/report"'
	rm -f "$marker"; as_nobody "$DRIVER" --filter "$STD" --require-full --share "$TMP/out:/share/out:rw" -- "${workload[@]}" 2>"$TMP/stderr"; rc=$?
	t claim9_partial_posture_is_refused_under_require_full "rc=$rc $(cat "$TMP/stderr")" '[ $rc -eq 124 ] && [ ! -e "$marker" ]'
	rm -f "$marker"; as_nobody "$SWAP_DRIVER" --filter "$STD" --require-full --share "$TMP/out:/share/out:rw" -- "${workload[@]}" 2>"$TMP/stderr"; rc=$?
	t claim9_unprivileged_swap_is_refused_under_require_full "rc=$rc $(cat "$TMP/stderr")" '[ $rc -eq 124 ] && [ ! -e "$marker" ]'
else
	skip claim9_partial_posture "needs root (to run the driver as uid $nobody) and unprivileged user namespaces"
fi

# The switch exists only in the test binary: a positive control on the swap driver, then every
# normal object, test driver and runtime binary of this build.
sym=mvm_sandbox_test_swapped_filter
if command -v nm >/dev/null; then
	t swap_switch_is_in_the_test_binary "nm $SWAP_DRIVER" 'nm "$SWAP_DRIVER" | grep -q " T $sym$" && grep -q MVM_TEST_SWAP_FILTER "$SWAP_DRIVER"'
	found=""
	for f in "$DRIVER" "$BUILD"/obj/runtime/*.o "$BUILD"/obj/runtime/backends/*.o "$BUILD"/bin/*; do
		[ -f "$f" ] || continue
		if nm "$f" 2>/dev/null | grep -q "$sym" || grep -q MVM_TEST_SWAP_FILTER "$f"; then found="$found $f"; fi
	done
	t swap_switch_is_absent_from_normal_builds "found in:$found" '[ -z "$found" ]'
else
	fail swap_switch_check "nm (binutils) is not installed"
fi
finish

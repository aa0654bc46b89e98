#!/usr/bin/env bash
# Real workloads in the sandbox backend under the `standard` tier (a profile extending it,
# built with mvmc, its BPF bytes passed to the backend): a busybox shell script,
# `python3 -c`, a C compile-and-run succeed; mount and ptrace get EPERM (the declared action);
# a kill-process rule kills with SIGSYS and the death is propagated. Every run goes through
# the posture check. `make mutation-no-seccomp` runs this script against a build without the
# seccomp step and expects it to fail.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox/common.sh"
sandbox_preflight sandbox_tier
build_filter std standard
STD=$FILTER

mkdir -p "$TMP/work"
cp tests/tier/script.sh tests/tier/hello.c "$TMP/work/"
chmod 755 "$TMP" && chmod 777 "$TMP/work" && chmod 644 "$TMP/work/"*
run() { "$DRIVER" --filter "$STD" --uid 1000 --gid 1000 --share "$TMP/work:/job:rw" --cwd /job --report "$TMP/report" "$@"; }
verified() { grep -q "^posture: $POSTURE" "$TMP/report"; }

if command -v busybox >/dev/null; then
	out=$(run -- busybox sh ./script.sh 2>&1); rc=$?
	t standard_sandbox_runs_busybox_script "rc=$rc: $out" '[ $rc -eq 0 ] && [ "$(tail -n 1 <<<"$out")" = "tier-script: ok" ] && verified'
else
	fail standard_sandbox_runs_busybox_script "busybox is not installed (tools/install-deps.sh installs it)"
fi
out=$(run -- /usr/bin/python3 -c 'print(1)' 2>&1); rc=$?
t standard_sandbox_runs_python "rc=$rc: $out" '[ $rc -eq 0 ] && [ "$out" = 1 ] && verified'
out=$(run -- sh -c 'cc hello.c -o a.out && ./a.out' 2>&1); rc=$?
t standard_sandbox_runs_cc_hello "rc=$rc: $out" '[ $rc -eq 0 ] && grep -qi hello <<<"$out" && verified'

# The probe is a workload: in `make asan` it is built with ASan, whose LeakSanitizer needs
# ptrace at exit, which the standard filter denies. Leak detection is off for it (only).
probe() { run --env ASAN_OPTIONS=detect_leaks=0 -- "$PROBE" "$@"; }
out=$(probe mount 2>&1)
t standard_sandbox_mount_gets_eperm "got '$out'" '[ "$out" = errno=1 ]'
out=$(probe ptrace 2>&1)
t standard_sandbox_ptrace_gets_eperm "got '$out'" '[ "$out" = errno=1 ]'
out=$(probe clone3 2>&1)
t standard_sandbox_clone3_gets_enosys "got '$out'" '[ "$out" = errno=38 ]'
out=$(run -- /bin/grep -E '^Seccomp:' /proc/self/status 2>&1)
t standard_sandbox_workload_is_in_filter_mode "got '$out'" '[ "$(echo $out)" = "Seccomp: 2" ]'

build_filter kill standard 'seccomp:
  rules:
    - kill-process: [getppid]
'
KILL=$FILTER
{ "$DRIVER" --filter "$KILL" --env ASAN_OPTIONS=detect_leaks=0 -- "$PROBE" getppid >"$TMP/kout" 2>&1; rc=$?; } 2>/dev/null
t kill_process_rule_kills_the_workload_with_sigsys_and_the_status_propagates "rc=$rc $(cat "$TMP/kout")" \
	'[ $rc -eq $((128 + 31)) ] && [ ! -s "$TMP/kout" ]'
finish

#!/usr/bin/env bash
# Tier tests with the real kernel: compile a profile, load its BPF with seccomp(2) (no_new_privs)
# in a child, and run real programs and probes under it.
set -u
. "$(dirname "$0")/lib.sh"

arch=$(uname -m)
run="$BUILD/tests/run_with_filter"
probe="$BUILD/tests/probe"
python=/usr/bin/python3
# Under `make asan` the probe is built with LeakSanitizer, which needs ptrace at exit; the
# filter denies ptrace (as it must), so leak checking is off for programs run under a filter.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

cat >"$TMP/std.yaml" <<'YAML'
mvm: 1
name: tier-standard-test
extends: standard
YAML
if ! "$MVMC" build "$TMP/std.yaml" -o "$TMP/std" 2>"$TMP/err"; then
	fail build_standard "$(cat "$TMP/err")"
	finish
fi
bpf="$TMP/std/seccomp.$arch.bpf"
if [ ! -e "$bpf" ]; then
	skip tier_programs "no filter for host arch $arch"
	finish
fi

mkdir -p "$TMP/work"
cp tests/tier/script.sh tests/tier/hello.c "$TMP/work/"

if command -v busybox >/dev/null; then
	out=$(cd "$TMP/work" && "$OLDPWD/$run" "$bpf" -- busybox sh ./script.sh 2>&1); rc=$?
	want=$(cd "$TMP/work" && busybox sh ./script.sh 2>&1 | tail -n 1)
	if [ $rc -eq 0 ] && [ "$(printf '%s\n' "$out" | tail -n 1)" = "$want" ]; then ok standard_runs_busybox_script; else fail standard_runs_busybox_script "rc=$rc: $out"; fi
else
	fail standard_runs_busybox_script "busybox is not installed (tools/install-deps.sh installs it)"
fi

out=$("$run" "$bpf" -- "$python" -c 'print(1)' 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$out" = 1 ]; then ok standard_runs_python; else fail standard_runs_python "rc=$rc: $out"; fi

out=$(cd "$TMP/work" && "$OLDPWD/$run" "$bpf" -- sh -c 'cc hello.c -o a.out && ./a.out' 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -qi hello; then ok standard_runs_cc_hello; else fail standard_runs_cc_hello "rc=$rc: $out"; fi

expect_probe() { # NAME CALL WANT
	local out
	out=$("$run" "$bpf" -- "$probe" "$2" 2>&1)
	if [ "$out" = "$3" ]; then ok "$1"; else fail "$1" "got '$out', want '$3'"; fi
}
expect_probe standard_allows_getpid getpid ok
expect_probe standard_denies_ptrace_with_eperm ptrace errno=1
expect_probe standard_answers_clone3_with_enosys clone3 errno=38
expect_probe standard_denies_clone_with_namespace_flags clone-newns errno=1
expect_probe standard_denies_netlink_sockets socket-netlink errno=1
expect_probe standard_denies_packet_sockets socket-packet errno=1
expect_probe standard_allows_unix_sockets socket-unix ok
expect_probe standard_refuses_tiocsti tiocsti errno=1
expect_probe standard_refuses_tiocsti_with_garbage_high_bits tiocsti-high-bits errno=1
expect_probe standard_refuses_tioclinux tioclinux errno=1
expect_probe standard_allows_personality_query personality-query ok
expect_probe standard_denies_unshare_user unshare-user errno=1
expect_probe standard_denies_mount mount errno=1

# A kill-process rule really kills: the probe dies of SIGSYS before printing.
cat >"$TMP/kill.yaml" <<'YAML'
mvm: 1
extends: standard
seccomp:
  rules:
    - kill-process: [getppid]
YAML
"$MVMC" build "$TMP/kill.yaml" -o "$TMP/kill" 2>"$TMP/err" || fail build_kill "$(cat "$TMP/err")"
"$run" "$TMP/kill/seccomp.$arch.bpf" -- "$probe" getppid >"$TMP/kout" 2>&1; rc=$?
if [ $rc -eq $((128 + 31)) ] && [ ! -s "$TMP/kout" ]; then ok kill_process_action_kills_with_sigsys; else fail kill_process_action_kills_with_sigsys "rc=$rc $(cat "$TMP/kout")"; fi

# Every tier name resolves on both arches (mvmc refuses unknown names, so a build is the proof).
for t in essential minimal standard network unrestricted; do
	printf 'mvm: 1\nextends: %s\narch: [x86_64, aarch64]\n' "$t" >"$TMP/t.yaml"
	if "$MVMC" build "$TMP/t.yaml" -o "$TMP/t-$t" 2>"$TMP/err"; then ok "tier_${t}_resolves_on_both_arches"; else fail "tier_${t}_resolves_on_both_arches" "$(cat "$TMP/err")"; fi
done
finish

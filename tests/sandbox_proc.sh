#!/usr/bin/env bash
# The sandbox backend as a process: exit status and death signal propagated, signals sent to
# the runtime forwarded to the workload, stdin/stdout/stderr passed through, runtime failures
# with their own exit codes, nothing left behind when the workload or the runtime goes, the
# minimal environment, and a network namespace with nothing but loopback.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox/common.sh"
sandbox_preflight sandbox_proc
build_filter std standard
STD=$FILTER
build_filter open unrestricted
OPEN=$FILTER
run() { "$DRIVER" --filter "$STD" "$@"; }

# ---- status ----
run -- /bin/sh -c 'exit 7'; rc=$?
t exit_status_is_propagated "rc=$rc" '[ $rc -eq 7 ]'
{ run -- /bin/sh -c 'kill -USR1 $$'; rc=$?; } 2>/dev/null
t death_by_signal_is_propagated_as_that_signal "rc=$rc" '[ $rc -eq $((128 + 10)) ]'
out=$(run -- /no/such/command 2>&1); rc=$?
t missing_command_exits_127 "rc=$rc $out" '[ $rc -eq 127 ] && grep -q not-found <<<"$out"'
out=$(run -- not-in-path-anywhere 2>&1); rc=$?
t command_not_in_path_exits_127 "rc=$rc $out" '[ $rc -eq 127 ]'
out=$(run -- /etc/passwd 2>&1); rc=$?
t non_executable_command_exits_126 "rc=$rc $out" '[ $rc -eq 126 ]'
out=$(run --share /nonexistent-mvm-host-path:/share/x -- /bin/true 2>&1); rc=$?
t setup_failure_exits_125_and_names_the_step "rc=$rc $out" '[ $rc -eq 125 ] && grep -q "share host path /nonexistent-mvm-host-path" <<<"$out"'
out=$(run --share "$TMP:/usr/lib/mvm-not-there" -- /bin/true 2>&1); rc=$?
t share_guest_path_under_a_read_only_host_dir_is_refused "rc=$rc $out" '[ $rc -eq 125 ] && grep -q "must exist or be creatable" <<<"$out"'

# ---- stdio ----
out=$(printf 'line1\nline2\n' | run -- /bin/cat); rc=$?
t stdin_passes_through "rc=$rc out=$out" '[ $rc -eq 0 ] && [ "$out" = "$(printf "line1\nline2")" ]'
run -- /bin/sh -c 'echo to-stdout; echo to-stderr >&2' >"$TMP/o" 2>"$TMP/e"; rc=$?
t stdout_and_stderr_stay_separate "rc=$rc" '[ $rc -eq 0 ] && [ "$(cat "$TMP/o")" = to-stdout ] && [ "$(cat "$TMP/e")" = to-stderr ]'

# ---- signals ----
# SIGTERM sent to the runtime reaches the workload, which handles it and exits 3.
# (The driver itself goes to the background, not a subshell running it: $! must be its pid.)
"$DRIVER" --filter "$STD" -- /bin/sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done' >"$TMP/sig" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q ready "$TMP/sig" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid; wait $pid; rc=$?
t sigterm_to_the_runtime_is_forwarded_to_the_workload "rc=$rc $(cat "$TMP/sig")" '[ $rc -eq 3 ] && grep -q got-term "$TMP/sig"'
# A workload that does not handle SIGINT dies of it, and so does the runtime's status (even
# though a background job of this script has SIGINT ignored: the workload's dispositions are
# reset to the defaults).
"$DRIVER" --filter "$STD" -- /bin/sleep 30 >/dev/null 2>&1 &
pid=$!
sleep 0.5
{ kill -INT $pid; wait $pid; rc=$?; } 2>/dev/null
t sigint_to_the_runtime_kills_an_unhandling_workload_with_sigint "rc=$rc" '[ $rc -eq $((128 + 2)) ]'

# ---- nothing left behind ----
# Each waits until the process it is about to check exists, so neither passes vacuously.
sleeper="import time; time.sleep(300)"
seen() { for _ in $(seq 100); do pgrep -f "$1" >/dev/null && return 0; sleep 0.05; done; return 1; }
gone() { for _ in $(seq 100); do pgrep -f "$1" >/dev/null || return 0; sleep 0.05; done; return 1; }
tag="mvm-orphan-$$"
"$DRIVER" --filter "$STD" -- /bin/sh -c "/usr/bin/python3 -c '$sleeper' $tag & sleep 1; exit 0" &
pid=$!
seen "$tag"; existed=$?
wait $pid; rc=$?
t orphans_die_with_the_workload "rc=$rc existed=$existed $(pgrep -af "$tag")" '[ $rc -eq 0 ] && [ $existed -eq 0 ] && gone "$tag"'
tag="mvm-runtime-killed-$$"
"$DRIVER" --filter "$STD" -- /usr/bin/python3 -c "$sleeper" "$tag" >/dev/null 2>&1 &
pid=$!
seen "$tag"; existed=$?
{ kill -KILL $pid; wait $pid; } 2>/dev/null
t killing_the_runtime_kills_the_sandbox "existed=$existed $(pgrep -af "$tag")" '[ $existed -eq 0 ] && gone "$tag"'

# ---- environment, identity of the box ----
out=$(TERM=xterm FOO_FROM_HOST=leak run --env MVM_X=1 -- /usr/bin/env 2>&1 | sort | tr '\n' ' ')
t environment_is_minimal_plus_declared "$out" \
	'[ "$out" = "HOME=/tmp LANG=C.UTF-8 MVM_X=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm TMPDIR=/tmp " ]'
out=$(run -- /bin/cat /proc/sys/kernel/hostname 2>&1)
t hostname_is_the_sandboxs "$out" '[ "$out" = mvm ]'
out=$(run -- /bin/sh -c 'ulimit -c; ulimit -Hc' 2>&1)
t core_dumps_are_disabled "$out" '[ "$(echo $out)" = "0 0" ]'

# ---- network: a namespace of its own with only loopback, up ----
out=$("$DRIVER" --filter "$OPEN" -- /bin/sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "' 2>&1)
t network_namespace_has_only_loopback "$out" '[ "$out" = lo ]'
# A listener on the host's loopback, on a port the kernel picks; reachable from the host.
python3 -c "import socket,sys,time
s=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(15)" >"$TMP/port" &
lpid=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
port=$(cat "$TMP/port")
probe='import socket,sys
s=socket.socket(); s.settimeout(3)
try:
    s.connect(("127.0.0.1", int(sys.argv[1]))); print("connected")
except OSError as e:
    print("refused" if isinstance(e, ConnectionRefusedError) else "error", e.errno)'
host=$(python3 -c "$probe" $port)
out=$("$DRIVER" --filter "$OPEN" -- /usr/bin/python3 -c "$probe" $port 2>&1)
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null
t host_loopback_listener_is_unreachable_from_the_sandbox "host=$host sandbox=$out" '[ "$host" = connected ] && [ "${out%% *}" = refused ]'
out=$("$DRIVER" --filter "$OPEN" -- /usr/bin/python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); c=socket.create_connection(s.getsockname()); print("loopback-up")' 2>&1)
t loopback_inside_is_up "$out" '[ "$out" = loopback-up ]'

# ---- user namespaces ----
if [ "$(id -u)" -eq 0 ]; then
	out=$("$DRIVER" --filter "$STD" --userns --uid 1000 --gid 1000 --report "$TMP/r" -- /bin/cat /proc/self/uid_map /proc/self/gid_map 2>&1)
	t forced_user_namespace_maps_exactly_the_workload_ids "$out" '[ "$(echo $out)" = "1000 1000 1 1000 1000 1" ] && grep -q "^user_namespace=1" "$TMP/r" && grep -q "^posture: verified" "$TMP/r"'
else
	skip forced_user_namespace "a root runtime's user namespace: this runs as uid $(id -u)"
fi
if [ "$(id -u)" -eq 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user true 2>/dev/null; then
	chmod 755 "$TMP" "$(dirname "$STD")"; chmod 644 "$STD"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$DRIVER" --filter "$STD" --uid 1000 --gid 1000 -- \
		/bin/sh -c 'cat /proc/self/uid_map; id -u; grep -E "^CapEff" /proc/self/status' 2>&1)
	t unprivileged_runtime_maps_the_workload_uid_to_its_own "$out" '[ "$(echo $out)" = "1000 65534 1 1000 CapEff: 0000000000000000" ]'
else
	skip unprivileged_runtime "needs root (to become uid 65534) and unprivileged user namespaces"
fi
finish

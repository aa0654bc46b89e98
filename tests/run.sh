#!/usr/bin/env bash
# `mvm run` end to end: keys, a signed bundle, admission, the sandbox launch with its posture
# check, the audit trail, exit codes, and claim 8 (no valid bundle or plan: the workload never
# starts) through the real command line.
set -u
. "$(dirname "$0")/lib.sh"
MVM=${MVM:-$BUILD/bin/mvm}
PROBE="$PWD/$BUILD/tests/probe"
export MVM_HOME="$TMP/home"
unset MVM_HOST_KEY MVM_TENANT MVM_MAX_WINDOW MVM_CLOCK_SKEW SOURCE_DATE_EPOCH MVM_ACK_DOCKER_TIER
mkdir -p -m 0700 "$MVM_HOME"
K="$TMP/keys"
mkdir -p "$K"
"$MVMC" keygen --role publisher -o "$K/ci" >/dev/null
"$MVMC" keygen --role host -o "$MVM_HOME/host" >/dev/null
"$MVM" trust add "$K/ci.pub" "$MVM_HOME/host.pub" >/dev/null

# A share the workload may write; the marker file proves whether a workload ever started.
mkdir -p "$TMP/out" && chmod 0777 "$TMP/out"
cat >"$TMP/p.yaml" <<YAML
mvm: 1
name: run-test
intent: code:execute
extends: standard
filesystem:
  shares:
    - {host: $TMP/out, guest: /out, mode: rw}
process: {uid: 1000, gid: 1000}
YAML
"$MVMC" build "$TMP/p.yaml" -o "$TMP/b" --sign-key "$K/ci.key" 2>"$TMP/err" || fail build_signed "$(cat "$TMP/err")"

runit() { # NAME WANT_RC CMD... (stdout in $TMP/so, stderr in $TMP/se)
	local name=$1 want=$2
	shift 2
	"$@" >"$TMP/so" 2>"$TMP/se" </dev/null
	local rc=$?
	if [ $rc -eq "$want" ]; then ok "$name"; else fail "$name" "exit $rc, expected $want: $(head -c 600 "$TMP/se")"; fi
}

runit run_executes_the_workload 0 "$MVM" run --profile "$TMP/b" -- /bin/echo hello
grep -qx hello "$TMP/so" || fail run_passes_stdout "stdout: $(cat "$TMP/so")"
grep -qi "tier 3" "$TMP/se" && ok run_prints_the_tier3_banner || fail run_prints_the_tier3_banner "$(cat "$TMP/se")"
MVM_ACK_DOCKER_TIER=1 "$MVM" run --profile "$TMP/b" -- /bin/true 2>"$TMP/se"
if [ ! -s "$TMP/se" ]; then ok banner_silenced_by_ack; else fail banner_silenced_by_ack "$(cat "$TMP/se")"; fi
printf '[security]\nack_docker_tier = true\n' >"$MVM_HOME/config.toml"
"$MVM" run --profile "$TMP/b" -- /bin/true 2>"$TMP/se"
if [ ! -s "$TMP/se" ]; then ok banner_silenced_by_config; else fail banner_silenced_by_config "$(cat "$TMP/se")"; fi
rm -f "$MVM_HOME/config.toml"
export MVM_ACK_DOCKER_TIER=1

runit run_propagates_the_exit_status 7 "$MVM" run --profile "$TMP/b" -- /bin/sh -c 'exit 7'
runit run_propagates_death_by_signal $((128 + 9)) "$MVM" run --profile "$TMP/b" -- /bin/sh -c 'kill -9 $$'
runit run_reports_a_missing_command 127 "$MVM" run --profile "$TMP/b" -- /no/such/command
out=$(echo piped | "$MVM" run --profile "$TMP/b" -- /bin/cat 2>/dev/null)
[ "$out" = piped ] && ok run_passes_stdin || fail run_passes_stdin "got '$out'"
runit run_uses_the_profile_uid 0 "$MVM" run --profile "$TMP/b" -- /usr/bin/id -u
grep -qx 1000 "$TMP/so" || fail run_uses_the_profile_uid "id -u said $(cat "$TMP/so")"

# The audit trail of one run, in order, and the log verifies.
"$MVM" audit show --json >"$TMP/audit" 2>/dev/null
events=$(sed -n 's/.*"event":"\([^"]*\)".*/\1/p' "$TMP/audit" | head -4 | tr '\n' ' ')
if [ "$events" = "plan.admitted plan.launched posture.verified plan.exited " ]; then ok run_audits_admitted_launched_posture_exited; else fail run_audits_admitted_launched_posture_exited "events: $events"; fi
runit audit_log_verifies_after_runs 0 "$MVM" audit verify

# Real workloads under `standard` through mvm run.
cp tests/tier/script.sh tests/tier/hello.c "$TMP/out/"
runit run_busybox_script 0 "$MVM" run --profile "$TMP/b" -- /bin/sh -c 'cd /tmp && cp /out/script.sh . && busybox sh ./script.sh'
runit run_python 0 "$MVM" run --profile "$TMP/b" -- /usr/bin/python3 -c 'print(1)'
grep -qx 1 "$TMP/so" || fail run_python "stdout: $(cat "$TMP/so")"
runit run_cc_compile_and_run 0 "$MVM" run --profile "$TMP/b" -- /bin/sh -c 'cd /tmp && cc /out/hello.c -o a.out && ./a.out'
cp "$PROBE" "$TMP/out/probe"
runit run_mount_is_denied 0 "$MVM" run --profile "$TMP/b" -- /out/probe mount
grep -qx errno=1 "$TMP/so" || fail run_mount_is_denied "probe said $(cat "$TMP/so")"
runit run_ptrace_is_denied 0 "$MVM" run --profile "$TMP/b" -- /out/probe ptrace
grep -qx errno=1 "$TMP/so" || fail run_ptrace_is_denied "probe said $(cat "$TMP/so")"

# Claim 8: without a valid bundle or plan, the workload never starts.
marker() { rm -f "$TMP/out/marker"; }
started() { [ -e "$TMP/out/marker" ]; }
claim8() { # NAME REASON BUNDLE_DIR [extra args...]
	local name=$1 reason=$2 dir=$3
	shift 3
	marker
	"$MVM" run --profile "$dir" "$@" -- /bin/sh -c 'touch /out/marker' >/dev/null 2>"$TMP/se"
	local rc=$?
	if [ $rc -eq 122 ] && ! started && grep -q "refused ($reason)" "$TMP/se"; then ok "$name"; else fail "$name" "rc=$rc started=$(started && echo yes || echo no): $(cat "$TMP/se")"; fi
}
"$MVMC" build "$TMP/p.yaml" -o "$TMP/unsigned" 2>/dev/null
claim8 claim8_unsigned_bundle_never_starts malformed "$TMP/unsigned"
grep -q '"reason"\|refused' "$TMP/se" || true
cp -r "$TMP/b" "$TMP/badsig"
python3 - "$TMP/badsig/bundle.dsse.json" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b'"sig":"') + 12
b[i] = ord('A') if b[i] != ord('A') else ord('B')
open(p, "wb").write(b)
PY
claim8 claim8_bad_signature_never_starts bad-signature "$TMP/badsig"
cp -r "$TMP/b" "$TMP/swapped"
cp "$TMP/unsigned/seccomp.json" "$TMP/swapped/seccomp.json"
printf '\x06\x00\x00\x00\x00\x00\xff\x7f' >"$TMP/swapped/seccomp.$(uname -m).bpf"
claim8 claim9_filter_swapped_after_signing_never_starts artifact-digest "$TMP/swapped"

"$MVM" plan issue --bundle "$TMP/b" --key "$MVM_HOME/host.key" --valid-for 5m -o "$TMP/plan.dsse.json" >/dev/null 2>&1
marker
"$MVM" run --plan "$TMP/plan.dsse.json" --profile "$TMP/b" -- /bin/sh -c 'touch /out/marker' >/dev/null 2>&1
started && ok external_plan_admits_once || fail external_plan_admits_once "first use did not run"
marker
"$MVM" run --plan "$TMP/plan.dsse.json" --profile "$TMP/b" -- /bin/sh -c 'touch /out/marker' >/dev/null 2>"$TMP/se"
rc=$?
if [ $rc -eq 122 ] && ! started && grep -q "refused (replay)" "$TMP/se"; then ok claim8_replayed_plan_never_starts; else fail claim8_replayed_plan_never_starts "rc=$rc: $(cat "$TMP/se")"; fi
"$MVM" plan issue --bundle "$TMP/b" --key "$MVM_HOME/host.key" --valid-for 1s -o "$TMP/short.dsse.json" >/dev/null 2>&1
sleep 2
marker
MVM_CLOCK_SKEW=0 "$MVM" run --plan "$TMP/short.dsse.json" --profile "$TMP/b" -- /bin/sh -c 'touch /out/marker' >/dev/null 2>"$TMP/se"
rc=$?
if [ $rc -eq 122 ] && ! started && grep -q "refused (expired)" "$TMP/se"; then ok claim8_expired_plan_never_starts; else fail claim8_expired_plan_never_starts "rc=$rc: $(cat "$TMP/se")"; fi
if "$MVM" audit show --json 2>/dev/null | grep -q '"event":"plan.rejected.replay"'; then ok replay_is_audited; else fail replay_is_audited "no plan.rejected.replay entry"; fi

# Backends and tiers.
runit require_tier_above_the_sandbox_refuses 125 "$MVM" run --profile "$TMP/b" --require-tier 2 -- /bin/true
runit unbuilt_backend_is_refused_clearly 125 "$MVM" run --profile "$TMP/b" --backend qemu -- /bin/true
grep -q "not built yet" "$TMP/se" || fail unbuilt_backend_is_refused_clearly "$(cat "$TMP/se")"
runit run_without_command_is_usage 121 "$MVM" run --profile "$TMP/b"

# A --share from the command line, read-only by default.
mkdir -p "$TMP/extra" && echo data >"$TMP/extra/f"
runit run_share_option_reads 0 "$MVM" run --profile "$TMP/b" --share "$TMP/extra:/extra" -- /bin/cat /extra/f
"$MVM" run --profile "$TMP/b" --share "$TMP/extra:/extra" -- /bin/sh -c 'echo x > /extra/f' 2>/dev/null
rc=$?
if [ $rc -ne 0 ] && [ "$(cat "$TMP/extra/f")" = data ]; then ok run_share_option_is_read_only; else fail run_share_option_is_read_only "rc=$rc, file: $(cat "$TMP/extra/f")"; fi
finish

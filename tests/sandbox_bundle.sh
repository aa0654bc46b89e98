#!/usr/bin/env bash
# From a signed bundle to the sandbox: `mvmc build --sign-key` writes the bundle, the driver
# verifies it against the publisher key and launches what its plan asks for
# (mvm_sandbox_plan_from_bundle): the verified seccomp.<arch>.bpf bytes, checked at the exec
# stop against the digest plan.json signs; uid, gid, kept capabilities and shares from the
# plan. A BPF file swapped in the bundle after signing never launches (claim 9, first half).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox/common.sh"
sandbox_preflight sandbox_bundle

K="$TMP/keys"
mkdir -p "$K" "$TMP/in" "$TMP/out"
chmod 755 "$TMP" "$TMP/in" && chmod 777 "$TMP/out"
echo "input-data" >"$TMP/in/data" && chmod 644 "$TMP/in/data"
if ! "$MVMC" keygen --role publisher -o "$K/ci" >/dev/null 2>"$TMP/err"; then
	fail keygen "$(cat "$TMP/err")"
	finish
fi
cat >"$TMP/runner.yaml" <<YAML
mvm: 1
name: sandbox-bundle-test
intent: code:execute
extends: standard
seccomp:
  rules:
    - action: errno(EPERM)
      syscalls: ["@setuid"]
filesystem:
  root: ro
  shares:
    - {host: $TMP/in, guest: /job/in, mode: ro}
    - {host: $TMP/out, guest: /job/out, mode: rw}
process:
  uid: 1000
  gid: 1000
  capabilities: [CAP_NET_BIND_SERVICE]
YAML
if ! "$MVMC" build "$TMP/runner.yaml" -o "$TMP/bundle" --sign-key "$K/ci.key" 2>"$TMP/err"; then
	fail build_signed_bundle "$(cat "$TMP/err")"
	finish
fi
run() { "$DRIVER" --bundle "$TMP/bundle" --publisher "$K/ci.pub" --report "$TMP/report" "$@"; }
signed=$(grep -o "\"seccomp.$ARCH.bpf\":\"sha256:[0-9a-f]*\"" "$TMP/bundle/plan.json" | cut -d'"' -f4)

out=$(run -- /usr/bin/python3 -c 'import os; print(open("/job/in/data").read().strip(), os.getuid(), os.getgid())' 2>&1); rc=$?
t bundle_launch_runs_python_with_the_plans_ids_and_shares "rc=$rc out=$out" '[ $rc -eq 0 ] && [ "$out" = "input-data 1000 1000" ]'
if [ $POSTURE = verified ]; then
	t bundle_launch_posture_is_verified_against_the_signed_digest "$(cat "$TMP/report")" \
		'grep -q "^posture: verified" "$TMP/report" && grep -qE "^  ok +seccomp.filter_digest +$signed$" "$TMP/report"'
else
	skip bundle_launch_posture_is_verified_against_the_signed_digest "only root can read a filter back (posture: $POSTURE)"
fi
out=$(run -- /bin/sh -c 'echo result > /job/out/result && echo x > /job/in/x' 2>&1); rc=$?
t bundle_launch_writes_only_the_rw_share "rc=$rc out=$out" '[ $rc -ne 0 ] && [ "$(cat "$TMP/out/result")" = result ] && [ ! -e "$TMP/in/x" ]'
out=$(run -- /usr/bin/python3 -c 'import os
try:
    os.setuid(0)
except PermissionError as e:
    print("EPERM", e.errno)' 2>&1)
t bundle_launch_applies_the_profiles_own_rules "out=$out" '[ "$out" = "EPERM 1" ]'
# The kept capability is in every set (bounding, permitted, effective, inheritable, ambient),
# and nothing else; the posture check expects exactly that.
out=$(run -- /bin/grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status 2>&1)
t bundle_launch_keeps_exactly_the_declared_capability "$out" '[ "$(grep -c ":\s0000000000000400$" <<<"$out")" -eq 5 ] && grep -q "^posture: $POSTURE" "$TMP/report"'

# Claim 9, first half: a BPF file swapped in the bundle after signing is refused, and nothing
# runs (the marker never appears).
cp -r "$TMP/bundle" "$TMP/swapped"
build_filter other minimal
cp "$FILTER" "$TMP/swapped/seccomp.$ARCH.bpf"
rm -f "$TMP/out/marker"
out=$("$DRIVER" --bundle "$TMP/swapped" --publisher "$K/ci.pub" -- /bin/sh -c 'echo ran > /job/out/marker' 2>&1); rc=$?
t claim9_bpf_swapped_in_a_signed_bundle_is_refused_and_never_runs "rc=$rc out=$out" \
	'[ $rc -eq 124 ] && [ ! -e "$TMP/out/marker" ] && grep -q "artifact-digest" <<<"$out"'
# Positive control for the marker: the untouched bundle does create it.
out=$(run -- /bin/sh -c 'echo ran > /job/out/marker' 2>&1); rc=$?
t claim9_marker_appears_with_the_untouched_bundle "rc=$rc out=$out" '[ $rc -eq 0 ] && [ -e "$TMP/out/marker" ]'

# A plan the sandbox cannot honour is refused before anything is launched.
sed 's/root: ro/root: rw/' "$TMP/runner.yaml" >"$TMP/rw.yaml"
"$MVMC" build "$TMP/rw.yaml" -o "$TMP/rwbundle" --sign-key "$K/ci.key" 2>/dev/null
out=$("$DRIVER" --bundle "$TMP/rwbundle" --publisher "$K/ci.pub" -- /bin/true 2>&1); rc=$?
t writable_root_plan_is_refused_by_the_sandbox "rc=$rc out=$out" '[ $rc -eq 125 ] && grep -q "read-only root only" <<<"$out"'
finish

#!/usr/bin/env bash
# Keys, signed bundles and admission end to end through the command lines: mvmc keygen,
# mvmc build --sign-key, mvmc verify, mvm trust, mvm plan issue, mvm admit. (The exhaustive
# bit flips and the rejection ladder in detail are tests/test_admission.c.)
set -u
. "$(dirname "$0")/lib.sh"
MVM=${MVM:-$BUILD/bin/mvm}
export MVM_HOME="$TMP/home"
unset MVM_HOST_KEY MVM_TENANT MVM_MAX_WINDOW MVM_CLOCK_SKEW SOURCE_DATE_EPOCH
mkdir -p -m 0700 "$MVM_HOME"
K="$TMP/keys"
mkdir -p "$K"
P=profiles/python-runner.yaml

expect_rc() { # NAME WANT CMD...
	local name=$1 want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else fail "$name" "exit $rc, expected $want: $(cat "$TMP/err")"; fi
}

json_reason() { sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' "$TMP/out"; }

expect_refusal() { # NAME REASON CMD... (exit 1 and the JSON reason)
	local name=$1 reason=$2
	shift 2
	"$@" --json >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" -eq 1 ] && [ "$(json_reason)" = "$reason" ]; then ok "$name"; else fail "$name" "exit $rc, reason '$(json_reason)', expected 1 '$reason': $(cat "$TMP/err")"; fi
}

# --- keys ---
if "$MVMC" keygen --role publisher -o "$K/ci" >"$TMP/out" && [ "$(stat -c %a "$K/ci.key")" = 600 ] && [ -s "$K/ci.pub" ] &&
	grep -qE 'publisher key [0-9a-f]{32}: wrote' "$TMP/out"; then
	ok keygen_writes_a_0600_secret_key_and_a_public_key
else
	fail keygen_writes_a_0600_secret_key_and_a_public_key "$(ls -l "$K")"
fi
"$MVMC" keygen --role host -o "$MVM_HOME/host" >/dev/null
"$MVMC" keygen --role publisher -o "$K/rogue" >/dev/null
before=$(sha256sum "$K/ci.key")
expect_rc keygen_never_overwrites_a_key 3 "$MVMC" keygen --role publisher -o "$K/ci"
[ "$before" = "$(sha256sum "$K/ci.key")" ] || fail keygen_never_overwrites_a_key "the key changed"
expect_rc keygen_without_role_is_a_usage_error 2 "$MVMC" keygen -o "$K/x"

expect_rc trust_add_publisher_and_host 0 "$MVM" trust add "$K/ci.pub" "$MVM_HOME/host.pub"
expect_rc trust_add_refuses_a_role_mismatch 1 "$MVM" trust add --role host "$K/rogue.pub"
"$MVM" trust list --json >"$TMP/list"
if [ "$(grep -c '"state":"active"' "$TMP/list")" = 2 ] && grep -q '"role":"publisher"' "$TMP/list" && grep -q '"role":"host"' "$TMP/list"; then
	ok trust_list_shows_both_roles
else
	fail trust_list_shows_both_roles "$(cat "$TMP/list")"
fi

# --- build and verify ---
"$MVMC" build "$P" -o "$TMP/unsigned1" && "$MVMC" build "$P" -o "$TMP/unsigned2"
if diff -r "$TMP/unsigned1" "$TMP/unsigned2" >/dev/null && ! grep -q not_before "$TMP/unsigned1/plan.json" && [ ! -e "$TMP/unsigned1/bundle.dsse.json" ]; then
	ok unsigned_build_is_reproducible_and_carries_no_time
else
	fail unsigned_build_is_reproducible_and_carries_no_time "builds differ or carry a time"
fi
SOURCE_DATE_EPOCH=1700000000 "$MVMC" build "$P" -o "$TMP/sde1" --sign-key "$K/ci.key" --valid-for 366d 2>"$TMP/err"
SOURCE_DATE_EPOCH=1700000000 "$MVMC" build "$P" -o "$TMP/sde2" --sign-key "$K/ci.key" --valid-for 366d 2>>"$TMP/err"
if diff -r "$TMP/sde1" "$TMP/sde2" >/dev/null && grep -q '"not_before":1700000000' "$TMP/sde1/plan.json"; then
	ok signed_build_with_source_date_epoch_is_reproducible
else
	fail signed_build_with_source_date_epoch_is_reproducible "$(cat "$TMP/err")"
fi
B="$TMP/bundle"
expect_rc build_with_sign_key_writes_a_bundle 0 "$MVMC" build "$P" -o "$B" --sign-key "$K/ci.key"
if grep -q '"payloadType":"application/vnd.mvm.plan+json"' "$B/bundle.dsse.json" &&
	[ "$(sed -n 's/.*"payload":"\([^"]*\)".*/\1/p' "$B/bundle.dsse.json" | base64 -d | sha256sum)" = "$(sha256sum <"$B/plan.json")" ]; then
	ok bundle_payload_is_the_exact_plan_bytes
else
	fail bundle_payload_is_the_exact_plan_bytes "payload differs from plan.json"
fi
expect_rc build_refuses_a_host_key_for_signing 4 "$MVMC" build "$P" -o "$TMP/hb" --sign-key "$MVM_HOME/host.key"
cp "$K/ci.key" "$K/loose.key" && chmod 0644 "$K/loose.key"
expect_rc build_refuses_a_secret_key_looser_than_0600 4 "$MVMC" build "$P" -o "$TMP/lb" --sign-key "$K/loose.key"
expect_rc valid_for_without_a_time_source_is_a_usage_error 2 "$MVMC" build "$P" -o "$TMP/vb" --valid-for 1d

expect_rc verify_accepts_the_signed_bundle 0 "$MVMC" verify "$B" --trust "$MVM_HOME/trust"
cp -r "$B" "$TMP/tampered" && printf '\x01' | dd of="$TMP/tampered/seccomp.json" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_refusal verify_refuses_a_modified_artifact artifact-digest "$MVMC" verify "$TMP/tampered" --trust "$MVM_HOME/trust"
mkdir -p "$TMP/emptytrust"
expect_refusal verify_refuses_an_untrusted_publisher unknown-key "$MVMC" verify "$B" --trust "$TMP/emptytrust"
"$MVMC" build "$P" -o "$TMP/expired" --sign-key "$K/ci.key" --not-before 1000 --valid-for 1d
expect_refusal admit_refuses_an_expired_bundle expired "$MVM" admit "$TMP/expired"
"$MVMC" build "$P" -o "$TMP/future" --sign-key "$K/ci.key" --not-before 4000000000 --valid-for 1d
expect_refusal admit_refuses_a_bundle_not_yet_valid not-yet-valid "$MVM" admit "$TMP/future"
"$MVMC" build "$P" -o "$TMP/rogue" --sign-key "$K/rogue.key"
expect_refusal admit_refuses_an_unknown_publisher unknown-key "$MVM" admit "$TMP/rogue"

# --- admission ---
expect_rc admit_issues_and_admits_a_plan 0 "$MVM" admit "$B" --json
grep -q '"result":"admitted"' "$TMP/out" || fail admit_issues_and_admits_a_plan "$(cat "$TMP/out")"
expect_rc plan_issue_writes_a_plan 0 "$MVM" plan issue --bundle "$B" --key "$MVM_HOME/host.key" --valid-for 10m -o "$TMP/plan.json"
expect_rc admit_accepts_an_issued_plan 0 "$MVM" admit --plan "$TMP/plan.json"
expect_refusal replayed_plan_is_refused_by_a_second_process replay "$MVM" admit --plan "$TMP/plan.json"
expect_refusal replayed_plan_is_refused_with_the_bundle_named replay "$MVM" admit --plan "$TMP/plan.json" "$B"

"$MVM" plan issue --bundle "$B" --key "$MVM_HOME/host.key" --valid-for 10m -o "$TMP/race.json"
for i in $(seq 1 32); do ("$MVM" admit --plan "$TMP/race.json" >/dev/null 2>&1; echo $? >"$TMP/race.$i") & done
wait
admitted=$(cat "$TMP"/race.* | grep -c '^0$')
refused=$(cat "$TMP"/race.* | grep -c '^1$')
if [ "$admitted" -eq 1 ] && [ "$refused" -eq 31 ]; then ok 32_concurrent_admissions_of_one_plan_admit_exactly_one; else fail 32_concurrent_admissions_of_one_plan_admit_exactly_one "admitted $admitted, refused $refused"; fi

expect_rc plan_issue_refuses_a_window_over_the_maximum 1 "$MVM" plan issue --bundle "$B" --key "$MVM_HOME/host.key" --valid-for 2h
"$MVM" plan issue --bundle "$B" --key "$MVM_HOME/host.key" --valid-for 30m -o "$TMP/long.json"
expect_refusal admit_refuses_a_plan_window_over_its_maximum window-too-long "$MVM" admit --plan "$TMP/long.json" --max-window 10m
"$MVM" plan issue --bundle "$B" --key "$MVM_HOME/host.key" --valid-for 1s -o "$TMP/short.json"
sleep 2
expect_refusal admit_refuses_an_expired_plan expired "$MVM" admit --plan "$TMP/short.json" --skew 0s
"$MVM" plan issue --bundle "$B" --key "$MVM_HOME/host.key" --valid-for 10m --tenant other -o "$TMP/other.json"
expect_refusal admit_refuses_a_plan_for_another_tenant tenant-mismatch "$MVM" admit --plan "$TMP/other.json"
"$MVMC" keygen --role host -o "$K/rogue-host" >/dev/null
"$MVM" plan issue --bundle "$B" --key "$K/rogue-host.key" -o "$TMP/rogue-plan.json"
expect_refusal admit_refuses_a_plan_from_an_untrusted_host unknown-key "$MVM" admit --plan "$TMP/rogue-plan.json"

expect_refusal admit_without_a_host_key_refuses_and_creates_none no-host-key "$MVM" admit "$B" --host-key "$TMP/nokey.key"
[ ! -e "$TMP/nokey.key" ] || fail admit_without_a_host_key_refuses_and_creates_none "a key was created"

# the publisher key retired: new admissions are refused, the audit log still verifies
kid=$("$MVM" trust list | awk '$1=="publisher" && $3=="active" {print $2}')
expect_rc trust_remove_retires_a_key 0 "$MVM" trust remove "$kid"
expect_refusal retired_publisher_key_no_longer_admits wrong-role "$MVM" admit "$B"
"$MVM" trust add "$K/ci.pub" >/dev/null

# plan.admitted cannot be written -> nothing is admitted
chmod 0755 "$MVM_HOME/audit"
expect_rc admit_refuses_when_the_audit_log_cannot_be_written 4 "$MVM" admit "$B"
chmod 0700 "$MVM_HOME/audit"
expect_rc audit_log_of_all_this_verifies 0 "$MVM" audit verify
finish

#!/usr/bin/env bash
# `mvm audit verify|show|tail|recover` end to end: each kind of damage has its own exit code
# (0 clean, 10 tampered, 11 broken chain, 12 truncated, 13 missing, 14 unknown key, 15 torn),
# and a log whose writers were killed with SIGKILL recovers without losing committed entries.
set -u
. "$(dirname "$0")/lib.sh"
MVM=${MVM:-$BUILD/bin/mvm}
export MVM_HOME="$TMP/home"
unset MVM_HOST_KEY MVM_TENANT MVM_MAX_WINDOW MVM_CLOCK_SKEW SOURCE_DATE_EPOCH
mkdir -p -m 0700 "$MVM_HOME"
"$MVMC" keygen --role publisher -o "$TMP/ci" >/dev/null
"$MVMC" keygen --role host -o "$MVM_HOME/host" >/dev/null
"$MVM" trust add "$TMP/ci.pub" "$MVM_HOME/host.pub" >/dev/null
B="$TMP/bundle"
"$MVMC" build profiles/python-runner.yaml -o "$B" --sign-key "$TMP/ci.key"
LOG="$MVM_HOME/audit/default.jsonl"
for i in 1 2 3 4 5 6; do "$MVM" admit "$B" >/dev/null; done
cp "$LOG" "$TMP/good.jsonl"
cp "$MVM_HOME/audit/default.head" "$TMP/good.head"
restore() { cp "$TMP/good.jsonl" "$LOG"; cp "$TMP/good.head" "$MVM_HOME/audit/default.head"; }

expect_verify() { # NAME CODE STATUS
	"$MVM" audit verify --json >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" -eq "$2" ] && grep -q "\"status\":\"$3\"" "$TMP/out"; then ok "$1"; else fail "$1" "exit $rc, expected $2 ($3): $(cat "$TMP/out" "$TMP/err")"; fi
}

expect_verify clean_log_exits_0 0 clean
sed -i '3s/"event":"plan.admitted"/"event":"plan.launched"/' "$LOG"
expect_verify edited_field_exits_10 10 tampered
restore
sed -i '3d' "$LOG"
expect_verify deleted_middle_line_exits_11 11 broken-chain
restore
sed -i '2{h;d};3{G}' "$LOG"
expect_verify reordered_lines_exit_11 11 broken-chain
restore
sed -i '$d' "$LOG"
expect_verify truncated_tail_exits_12 12 truncated
restore
rm "$LOG"
expect_verify deleted_log_exits_13 13 missing
restore
mv "$MVM_HOME/trust/host" "$TMP/host-trust"
expect_verify unknown_key_exits_14 14 unknown-key
mv "$TMP/host-trust" "$MVM_HOME/trust/host"
head -c 200 "$TMP/good.jsonl" | tail -c 100 >>"$LOG"
expect_verify torn_append_exits_15 15 torn
"$MVM" audit recover >/dev/null
expect_verify recover_repairs_a_torn_append 0 clean
if cmp -n "$(stat -c %s "$TMP/good.jsonl")" "$TMP/good.jsonl" "$LOG"; then ok recovery_keeps_every_earlier_entry; else fail recovery_keeps_every_earlier_entry "earlier bytes changed"; fi

# Writers killed with SIGKILL at random moments: the log is clean or torn, never worse, and
# after recovery it verifies with every entry that was committed before.
torn=0
for round in $(seq 1 12); do
	committed=$("$MVM" audit verify --json | sed -n 's/.*"entries":\([0-9]*\).*/\1/p')
	pids=""
	{
		for i in 1 2 3 4 5 6 7 8; do "$MVM" admit "$B" >/dev/null 2>&1 & pids="$pids $!"; done
		sleep "0.0$(printf %02d $((RANDOM % 40 + 5)))"
		kill -9 $pids
		wait
	} 2>/dev/null # (bash reports each killed job)
	"$MVM" audit verify >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 15 ] && torn=$((torn + 1))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 15 ]; then fail kill_9_during_appends_leaves_a_recoverable_log "round $round: exit $rc"; fi
	"$MVM" audit recover --json >"$TMP/out" 2>&1
	now=$(sed -n 's/.*"entries":\([0-9]*\).*/\1/p' "$TMP/out")
	if ! grep -q '"status":"clean"' "$TMP/out" || [ "${now:-0}" -lt "$committed" ]; then
		fail kill_9_during_appends_leaves_a_recoverable_log "round $round: $(cat "$TMP/out") (had $committed)"
	fi
done
# (the deterministic kill -9 between write and commit is tests/test_audit.c)
ok "kill_9_during_appends_leaves_a_recoverable_log ($torn of 12 rounds caught an append in flight)"

"$MVM" audit show >"$TMP/show"
if grep -q 'plan.admitted' "$TMP/show" && [ "$("$MVM" audit tail -n 2 | wc -l)" -eq 2 ] &&
	[ "$("$MVM" audit tail -n 1 --json | grep -c '^{"entry":')" -eq 1 ]; then
	ok show_and_tail_print_entries
else
	fail show_and_tail_print_entries "$(head -3 "$TMP/show")"
fi
"$MVM" audit verify --tenant nobody >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 13 ]; then ok verify_of_a_tenant_without_a_log_exits_13; else fail verify_of_a_tenant_without_a_log_exits_13 "exit $rc"; fi
if [ "$(stat -c %a "$MVM_HOME/audit")" = 700 ] && [ "$(stat -c %a "$LOG")" = 600 ]; then ok audit_files_are_private; else fail audit_files_are_private "$(ls -la "$MVM_HOME/audit")"; fi
finish

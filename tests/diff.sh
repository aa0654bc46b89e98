#!/usr/bin/env bash
# mvmc diff: a table of profile pairs (tests/lint/diff/) with the exit code expected without and
# with --fail-on widen, and the golden text of each (tests/lint/diff/expected/); every YAML
# profile and its DSL twin diff as "no change", and a pair written differently with the same
# meaning builds the same filters; reversing a widening pair narrows; JSON parses; usage errors.
#
# UPDATE_GOLDEN=1 rewrites tests/lint/diff/expected/*.txt from the current output.
set -u
. "$(dirname "$0")/lib.sh"
MVMC=$(realpath "$MVMC")
D=tests/lint/diff

# old new plain --fail-on-widen   (0 no change, 1 changes, 2 error, 3 widened)
cases="
base.yaml base.mvm 0 0
base.yaml widen-syscall.yaml 1 3
base.yaml narrow-syscall.yaml 1 1
base.yaml refusal-kind.yaml 1 1
base.yaml widen-arg.yaml 1 3
base.yaml narrow-arg.yaml 1 1
base.yaml swap-arg.yaml 1 3
base.yaml egress-add.yaml 1 3
base.yaml egress-remove.yaml 1 1
base.yaml egress-port.yaml 1 3
base.yaml egress-covered.yaml 1 1
base.yaml egress-resolver.yaml 1 3
base.yaml secrets-wider.yaml 1 3
base.yaml intent-added.yaml 1 1
intent-vmrun.yaml intent-agent.yaml 1 1
intent-agent.yaml intent-vmrun.yaml 1 1
base.yaml tier-network.yaml 1 3
base.yaml default-kill.yaml 1 1
base.yaml default-allow.yaml 1 3
base.yaml arch-x86.yaml 1 1
base.yaml caps.yaml 1 3
widen-arg.yaml base.yaml 1 1
egress-add.yaml base.yaml 1 1
base.yaml broken.yaml 2 2
"
n=0
while read -r old new plain widen; do
	[ -n "$old" ] || continue
	n=$((n + 1))
	name=${old%.*}--${new%.*}
	"$MVMC" diff "$D/$old" "$D/$new" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	"$MVMC" diff --fail-on widen "$D/$old" "$D/$new" >/dev/null 2>&1
	rcw=$?
	if [ "$rc" -eq "$plain" ] && [ "$rcw" -eq "$widen" ]; then
		ok "diff_${name}_exits_${plain}_${widen}"
	else
		fail "diff_${name}_exits_${plain}_${widen}" "got $rc $rcw: $(cat "$TMP/out" "$TMP/err" | head -20)"
	fi
	golden=$D/expected/$name.txt
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$TMP/out" "$golden"
	if cmp -s "$TMP/out" "$golden"; then ok "diff_golden_$name"; else fail "diff_golden_$name" "$(diff "$golden" "$TMP/out" | head -20)"; fi
done <<<"$cases"
[ "$n" -ge 15 ] && ok "diff_table ($n pairs)" || fail diff_table "only $n pairs"

# an argument region change names the regions that moved, both ways
"$MVMC" diff "$D/base.yaml" "$D/swap-arg.yaml" >"$TMP/out" 2>&1
if grep -q 'socket(domain=0xa): allow -> errno(1)' "$TMP/out" && grep -q 'socket(domain=0x11): errno(1) -> allow' "$TMP/out" &&
	grep -q '^widen+narrow x86_64 socket:' "$TMP/out"; then
	ok diff_names_argument_regions
else
	fail diff_names_argument_regions "$(cat "$TMP/out")"
fi

# ---- twins: same meaning, and same filters ----
for y in profiles/*.yaml; do
	m=${y%.yaml}.mvm
	"$MVMC" diff --fail-on widen "$y" "$m" >"$TMP/out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && grep -qx 'no change in meaning' "$TMP/out" && ok "twin_no_change_$(basename "$y")" ||
		fail "twin_no_change_$(basename "$y")" "rc=$rc $(cat "$TMP/out")"
done
"$MVMC" build "$D/base.yaml" -o "$TMP/b1" 2>/dev/null && "$MVMC" build "$D/base.mvm" -o "$TMP/b2" 2>/dev/null
if cmp -s "$TMP/b1/seccomp.json" "$TMP/b2/seccomp.json" && cmp -s "$TMP/b1/seccomp.x86_64.bpf" "$TMP/b2/seccomp.x86_64.bpf" &&
	cmp -s "$TMP/b1/seccomp.aarch64.bpf" "$TMP/b2/seccomp.aarch64.bpf"; then
	ok no_change_pair_builds_identical_filters
else
	fail no_change_pair_builds_identical_filters "artifacts differ"
fi

# ---- JSON ----
"$MVMC" diff --format json "$D/base.yaml" "$D/swap-arg.yaml" >"$TMP/d.json" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["widened"] and d["narrowed"], d
ch = [c for c in d["changes"] if c["kind"] == "syscall" and c["subject"] == "socket"]
assert len(ch) == 2 and {c["arch"] for c in ch} == {"x86_64", "aarch64"}, ch
assert all(c["effect"] == "widen+narrow" and c["exact"] and c["examples"] for c in ch), ch
' "$TMP/d.json"; then ok diff_json_parses; else fail diff_json_parses "$(cat "$TMP/d.json")"; fi
"$MVMC" diff --format json "$D/base.yaml" "$D/base.mvm" >"$TMP/d.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["changes"] == [] and not d["widened"]' "$TMP/d.json" &&
	ok diff_json_no_change || fail diff_json_no_change "$(cat "$TMP/d.json")"

# ---- usage ----
"$MVMC" diff "$D/base.yaml" >/dev/null 2>&1
[ $? -eq 2 ] && ok diff_one_path_is_usage || fail diff_one_path_is_usage "rc=$?"
"$MVMC" diff --fail-on narrow "$D/base.yaml" "$D/base.yaml" >/dev/null 2>&1
[ $? -eq 2 ] && ok diff_bad_fail_on_is_usage || fail diff_bad_fail_on_is_usage "rc=$?"
"$MVMC" diff "$D/base.yaml" "$TMP/missing.yaml" >/dev/null 2>&1
[ $? -eq 2 ] && ok diff_missing_file_is_error || fail diff_missing_file_is_error "rc=$?"

finish

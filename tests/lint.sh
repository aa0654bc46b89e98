#!/usr/bin/env bash
# mvmc lint end to end: every rule fires on its own fixture and on nothing else, and its fixed
# twin is clean (tests/lint/MVMnnn.bad*.{yaml,mvm} / MVMnnn.good*.{yaml,mvm}); the text output
# of every fixture matches its golden file (tests/lint/expected/); lint keeps going past compile
# errors; exit codes, --werror, --enable/--disable, suppressions; JSON parses; SARIF validates
# against the 2.1.0 schema (with a positive control), fingerprints are the same across runs and
# do not move when lines are inserted above; profiles/ and stdlib/ lint clean; every rule has a
# section in docs/lint-rules.md; the pre-commit hook's command works.
#
# UPDATE_GOLDEN=1 rewrites tests/lint/expected/*.txt from the current output (review the diff).
set -u
. "$(dirname "$0")/lib.sh"
MVMC=$(realpath "$MVMC")
SCHEMA=${SARIF_SCHEMA:-../shared/data/sarif/sarif-schema-2.1.0.json}
[ -f "$SCHEMA" ] || SCHEMA=/work/shared/data/sarif/sarif-schema-2.1.0.json
VALIDATE="python3 tests/lint/validate_sarif.py"

mapfile -t ids < <("$MVMC" lint --list-rules | awk '{print $1}')
[ "${#ids[@]}" -ge 15 ] && ok "rules_listed (${#ids[@]})" || fail rules_listed "only ${#ids[@]} rules"

# ---- each fixture: exactly its rule (bad) or nothing (good), and its golden output ----
for f in tests/lint/*.yaml tests/lint/*.mvm tests/lint/mixed/*.yaml; do
	base=$(basename "$f")
	name=${base%.*}
	[ "${f#tests/lint/mixed/}" != "$f" ] && name=mixed-$name
	"$MVMC" lint "$f" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	golden=tests/lint/expected/$name.${base##*.}.txt
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$TMP/out" "$golden"
	fi
	if cmp -s "$TMP/out" "$golden"; then
		ok "golden_$name"
	else
		fail "golden_$name" "$(diff "$golden" "$TMP/out" 2>&1 | head -20)"
	fi
	case "$base" in
	MVM[0-9][0-9][0-9].bad*)
		id=${base%%.*}
		n=$(grep -c '' "$TMP/out")
		others=$(grep -v "\[$id\]\$" "$TMP/out")
		if [ "$n" -ge 1 ] && [ -z "$others" ]; then
			ok "${id}_fires_alone_on_$base ($n finding(s))"
		else
			fail "${id}_fires_alone_on_$base" "$(cat "$TMP/out" "$TMP/err")"
		fi
		;;
	MVM[0-9][0-9][0-9].good* | clean.*)
		if [ ! -s "$TMP/out" ] && [ "$rc" -eq 0 ]; then
			ok "clean_$base"
		else
			fail "clean_$base" "rc=$rc $(cat "$TMP/out" "$TMP/err")"
		fi
		;;
	esac
done

# every rule has a positive and a negative fixture
for id in "${ids[@]}"; do
	bad=$(ls tests/lint/"$id".bad* 2>/dev/null | head -1)
	good=$(ls tests/lint/"$id".good* 2>/dev/null | head -1)
	if [ -n "$bad" ] && [ -n "$good" ]; then
		ok "fixtures_exist_$id"
	else
		fail "fixtures_exist_$id" "bad='$bad' good='$good'"
	fi
done

# ---- keep going: a profile that does not compile still gets every other finding ----
"$MVMC" lint tests/lint/mixed/keep-going.yaml >"$TMP/out" 2>/dev/null
if grep -q '\[MVM000\]' "$TMP/out" && grep -q '\[MVM001\]' "$TMP/out" && grep -q '\[MVM008\]' "$TMP/out"; then
	ok lint_keeps_going_past_compile_errors
else
	fail lint_keeps_going_past_compile_errors "$(cat "$TMP/out")"
fi
# overlaps are reported with both locations, every pair (the compiler stops at the first)
n=$(grep -c '\[MVM008\]' "$TMP/out")
[ "$n" -ge 3 ] && ok "overlaps_all_reported ($n)" || fail overlaps_all_reported "$n"

# ---- exit codes ----
"$MVMC" lint tests/lint/MVM001.bad.yaml >/dev/null 2>&1
[ $? -eq 0 ] && ok warnings_pass_without_werror || fail warnings_pass_without_werror "rc=$?"
"$MVMC" lint --werror tests/lint/MVM001.bad.yaml >/dev/null 2>&1
[ $? -eq 1 ] && ok werror_fails_on_warnings || fail werror_fails_on_warnings "rc=$?"
"$MVMC" lint tests/lint/MVM010.bad.yaml >/dev/null 2>&1
[ $? -eq 1 ] && ok errors_fail || fail errors_fail "rc=$?"
"$MVMC" lint tests/lint/MVM000.bad.yaml >/dev/null 2>&1
[ $? -eq 1 ] && ok compile_error_fails || fail compile_error_fails "rc=$?"
"$MVMC" lint "$TMP/no-such-file.yaml" >"$TMP/out" 2>/dev/null
rc=$?
[ $rc -eq 3 ] && grep -q 'no-such-file.yaml: error: cannot read' "$TMP/out" && ok missing_path_is_io_error ||
	fail missing_path_is_io_error "rc=$rc $(cat "$TMP/out")"
"$MVMC" lint >/dev/null 2>&1
[ $? -eq 2 ] && ok no_path_is_usage || fail no_path_is_usage "rc=$?"
"$MVMC" lint --format xml tests/lint/clean.yaml >/dev/null 2>&1
[ $? -eq 2 ] && ok bad_format_is_usage || fail bad_format_is_usage "rc=$?"
"$MVMC" lint --disable MVM999 tests/lint/clean.yaml >/dev/null 2>&1
[ $? -eq 2 ] && ok unknown_rule_is_usage || fail unknown_rule_is_usage "rc=$?"

# ---- --enable / --disable ----
out=$("$MVMC" lint --werror --disable MVM001 tests/lint/MVM001.bad.yaml 2>/dev/null)
[ $? -eq 0 ] && [ -z "$out" ] && ok disable_by_id || fail disable_by_id "$out"
out=$("$MVMC" lint --disable dangerous-syscall-unjustified tests/lint/MVM001.bad.yaml 2>/dev/null)
[ -z "$out" ] && ok disable_by_name || fail disable_by_name "$out"
out=$("$MVMC" lint --disable all --enable MVM002 tests/lint/MVM002.bad.yaml tests/lint/MVM001.bad.yaml 2>/dev/null)
if [ -n "$out" ] && ! grep -qv '\[MVM002\]$' <<<"$out"; then ok enable_after_disable_all; else fail enable_after_disable_all "$out"; fi

# ---- suppressions ----
"$MVMC" lint --format json tests/lint/MVM015.good.yaml >"$TMP/sup.json" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"]
assert len(f) == 1 and f[0]["rule"] == "MVM001" and "ticket" in f[0]["suppressed"], f
assert d["summary"]["suppressed"] == 1 and d["summary"]["warnings"] == 0
' "$TMP/sup.json"; then ok suppressed_finding_kept_with_reason_in_json; else fail suppressed_finding_kept_with_reason_in_json "$(cat "$TMP/sup.json")"; fi
# a suppression of a disabled rule is not "unused"
out=$("$MVMC" lint --disable MVM001 tests/lint/MVM015.good.yaml 2>/dev/null)
[ -z "$out" ] && ok suppression_of_disabled_rule_not_reported || fail suppression_of_disabled_rule_not_reported "$out"

# ---- JSON ----
"$MVMC" lint --format json tests/lint >"$TMP/all.json" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"]["files"] >= 30, d["summary"]
for f in d["findings"]:
    assert f["rule"].startswith("MVM") and f["severity"] in ("error", "warning", "note")
    assert len(f["fingerprint"]) == 32
' "$TMP/all.json"; then ok json_report_parses; else fail json_report_parses "$(head -c 400 "$TMP/all.json")"; fi

# ---- SARIF: schema-valid, deterministic, stable fingerprints ----
"$MVMC" lint --format sarif tests/lint >"$TMP/a.sarif" 2>/dev/null
"$MVMC" lint --format sarif tests/lint >"$TMP/b.sarif" 2>/dev/null
if $VALIDATE "$SCHEMA" "$TMP/a.sarif" 2>"$TMP/err"; then ok sarif_valid_against_schema; else fail sarif_valid_against_schema "$(cat "$TMP/err")"; fi
"$MVMC" lint --format sarif tests/lint/clean.yaml >"$TMP/empty.sarif" 2>/dev/null
$VALIDATE "$SCHEMA" "$TMP/empty.sarif" 2>"$TMP/err" && ok sarif_without_results_valid || fail sarif_without_results_valid "$(cat "$TMP/err")"
# positive control: the validator really rejects a broken log
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["runs"][0]["results"][0]["level"] = "fatal"
del d["version"]
json.dump(d, open(sys.argv[2], "w"))
' "$TMP/a.sarif" "$TMP/broken.sarif"
if ! $VALIDATE "$SCHEMA" "$TMP/broken.sarif" 2>/dev/null; then ok sarif_validator_rejects_broken_log; else fail sarif_validator_rejects_broken_log "accepted"; fi
cmp -s "$TMP/a.sarif" "$TMP/b.sarif" && ok sarif_identical_across_runs || fail sarif_identical_across_runs "$(diff "$TMP/a.sarif" "$TMP/b.sarif" | head)"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
run = d["runs"][0]
ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
assert ids == sorted(ids) and ids[0] == "MVM000", ids
for r in run["tool"]["driver"]["rules"]:
    assert "#mvm" in r["helpUri"] and r["shortDescription"]["text"], r
res = run["results"]
assert res and all(r["ruleId"] == ids[r["ruleIndex"]] for r in res)
assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in res)
assert any(r.get("suppressions") for r in res)
assert any(r.get("relatedLocations") for r in res)
' "$TMP/a.sarif" 2>"$TMP/err" && ok sarif_rules_results_and_locations || fail sarif_rules_results_and_locations "$(cat "$TMP/err")"
# a line inserted above every finding changes their lines, not their fingerprints
mkdir -p "$TMP/fp1/tests/lint" "$TMP/fp2/tests/lint"
for f in tests/lint/MVM*.bad*.yaml tests/lint/MVM*.bad*.mvm; do
	cp "$f" "$TMP/fp1/$f"
	{ echo "# an inserted line"; cat "$f"; } >"$TMP/fp2/$f"
done
(cd "$TMP/fp1" && "$MVMC" lint --format sarif tests/lint >../fp1.sarif 2>/dev/null)
(cd "$TMP/fp2" && "$MVMC" lint --format sarif tests/lint >../fp2.sarif 2>/dev/null)
$VALIDATE --fingerprints "$TMP/fp1.sarif" >"$TMP/fp1.txt"
$VALIDATE --fingerprints "$TMP/fp2.sarif" >"$TMP/fp2.txt"
lines1=$(python3 -c 'import json,sys; print([r["locations"][0]["physicalLocation"].get("region",{}).get("startLine") for r in json.load(open(sys.argv[1]))["runs"][0]["results"]])' "$TMP/fp1.sarif")
lines2=$(python3 -c 'import json,sys; print([r["locations"][0]["physicalLocation"].get("region",{}).get("startLine") for r in json.load(open(sys.argv[1]))["runs"][0]["results"]])' "$TMP/fp2.sarif")
if [ -s "$TMP/fp1.txt" ] && cmp -s "$TMP/fp1.txt" "$TMP/fp2.txt" && [ "$lines1" != "$lines2" ]; then
	ok "fingerprints_survive_inserted_lines ($(wc -l <"$TMP/fp1.txt") findings)"
else
	fail fingerprints_survive_inserted_lines "$(diff "$TMP/fp1.txt" "$TMP/fp2.txt" | head)"
fi
# distinct findings have distinct fingerprints
dups=$(awk '{print $2}' "$TMP/fp1.txt" | sort | uniq -d)
[ -z "$dups" ] && ok fingerprints_distinct || fail fingerprints_distinct "$dups"

# ---- the tree's own profiles and stdlib lint clean (findings only when suppressed with a reason) ----
if "$MVMC" lint --werror profiles/ stdlib/ >"$TMP/out" 2>"$TMP/err" && [ ! -s "$TMP/out" ]; then
	ok "profiles_and_stdlib_lint_clean ($(cat "$TMP/err"))"
else
	fail profiles_and_stdlib_lint_clean "$(cat "$TMP/out" "$TMP/err")"
fi
"$MVMC" lint --format json profiles/ stdlib/ >"$TMP/tree.json" 2>/dev/null
python3 -c '
import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    assert f["suppressed"] and len(f["suppressed"]) > 10, f
' "$TMP/tree.json" && ok tree_suppressions_have_reasons || fail tree_suppressions_have_reasons "$(cat "$TMP/tree.json")"

# ---- docs: a section per rule, with the anchor SARIF links to ----
for id in "${ids[@]}"; do
	anchor=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["helpUri"].split("#")[1] for r in d["runs"][0]["tool"]["driver"]["rules"] if r["id"]==sys.argv[2]][0])' "$TMP/a.sarif" "$id")
	if grep -q "^## $id " docs/lint-rules.md && grep -q "id=\"$anchor\"" docs/lint-rules.md; then
		ok "doc_section_$id"
	else
		fail "doc_section_$id" "docs/lint-rules.md has no '## $id' heading with anchor $anchor"
	fi
done

# ---- the pre-commit hook's command, as pre-commit would run it ----
mkdir -p "$TMP/bin"
ln -sf "$MVMC" "$TMP/bin/mvmc"
IFS=$'\t' read -r entry files < <(python3 -c '
import yaml
h = [h for h in yaml.safe_load(open(".pre-commit-hooks.yaml")) if h["id"] == "mvmc-lint"][0]
assert h["language"] == "system"
print(h["entry"] + "\t" + h["files"])
')
if [ -n "$entry" ] && PATH="$TMP/bin:$PATH" $entry profiles/web-research.yaml profiles/web-research.mvm >/dev/null 2>&1; then
	ok precommit_hook_passes_clean_profiles
else
	fail precommit_hook_passes_clean_profiles "entry='$entry'"
fi
PATH="$TMP/bin:$PATH" $entry tests/lint/MVM001.bad.yaml >/dev/null 2>&1
[ $? -eq 1 ] && ok precommit_hook_fails_on_finding || fail precommit_hook_fails_on_finding "rc=$?"
python3 -c '
import re, sys
rx = re.compile(sys.argv[1])
for p in ["profiles/ci-build.yaml", "profiles/ci-build.mvm", "lib/x.mvm"]:
    assert rx.search(p), p
for p in ["stdlib/groups.yaml", ".github/workflows/ci.yml"]:
    assert not rx.search(p), p
' "$files" && ok precommit_hook_file_pattern || fail precommit_hook_file_pattern "$files"

finish

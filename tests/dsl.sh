#!/usr/bin/env bash
# The mvm DSL end to end: every YAML profile has a DSL twin that builds byte-identical
# artifacts; conversions by `mvmc fmt --to` keep the artifacts; every .mvm in the tree is in
# canonical form; fmt's command line (in place, --check, -o, exit codes); the golden
# diagnostics of the malformed inputs in tests/dsl/errors; and a grammar with a conflict
# fails the build.
#
# UPDATE_GOLDEN=1 rewrites tests/dsl/errors/*.err from the current output (review the diff).
set -u
. "$(dirname "$0")/lib.sh"
MVMC=$(realpath "$MVMC")

# ---- twins: the same artifacts from both syntaxes ----
pairs=0
for y in profiles/*.yaml; do
	name=$(basename "$y" .yaml)
	m=profiles/$name.mvm
	if [ ! -f "$m" ]; then
		fail "twin_exists_$name" "$y has no DSL twin $m"
		continue
	fi
	if "$MVMC" build "$y" -o "$TMP/twin-y-$name" 2>"$TMP/err" && "$MVMC" build "$m" -o "$TMP/twin-m-$name" 2>>"$TMP/err" &&
		diff -r "$TMP/twin-y-$name" "$TMP/twin-m-$name" >"$TMP/diff"; then
		ok "twin_builds_identical_artifacts_$name"
	else
		fail "twin_builds_identical_artifacts_$name" "$(cat "$TMP/err" "$TMP/diff")"
	fi
	# the twin is exactly the conversion of the YAML (comments included)
	if "$MVMC" fmt --check --to dsl "$y" 2>"$TMP/err"; then
		ok "twin_is_the_conversion_$name"
	else
		fail "twin_is_the_conversion_$name" "$(cat "$TMP/err")"
	fi
	pairs=$((pairs + 1))
done
[ "$pairs" -ge 4 ] && ok "twins_checked ($pairs pairs)" || fail twins_checked "only $pairs pairs"

# ---- conversions keep the artifacts: YAML -> DSL -> YAML, for profiles and tiers ----
for y in profiles/*.yaml stdlib/tiers/*.yaml; do
	name=$(basename "$y" .yaml)
	d=$TMP/conv-$name
	mkdir -p "$d"
	cp "$y" "$d/$name.yaml"
	if ! "$MVMC" fmt --to dsl "$d/$name.yaml" 2>"$TMP/err" || ! "$MVMC" fmt --to yaml -o "$d/back.yaml" "$d/$name.mvm" 2>>"$TMP/err" ||
		! "$MVMC" fmt --to dsl -o "$d/back.mvm" "$d/back.yaml" 2>>"$TMP/err"; then
		fail "conversion_round_trip_$name" "$(cat "$TMP/err")"
		continue
	fi
	cmp -s "$d/$name.mvm" "$d/back.mvm" || fail "conversion_round_trip_$name" "DSL -> YAML -> DSL changed the text"
	"$MVMC" build "$d/$name.yaml" -o "$d/a1" 2>"$TMP/err" && "$MVMC" build "$d/$name.mvm" -o "$d/a2" 2>>"$TMP/err" &&
		"$MVMC" build "$d/back.yaml" -o "$d/a3" 2>>"$TMP/err"
	if [ $? -eq 0 ] && diff -r "$d/a1" "$d/a2" >/dev/null && diff -r "$d/a1" "$d/a3" >/dev/null; then
		ok "conversion_keeps_artifacts_$name"
	else
		fail "conversion_keeps_artifacts_$name" "$(cat "$TMP/err")"
	fi
done

# ---- every .mvm in the tree is canonical; fmt is idempotent ----
# Fuzz corpora hold deliberately malformed inputs; every other .mvm is a profile and must be canonical.
mapfile -t mvms < <(find . \( -path ./build -o -path ./fuzz \) -prune -o -name '*.mvm' -print | sort)
if [ "${#mvms[@]}" -gt 0 ] && "$MVMC" fmt --check "${mvms[@]}" 2>"$TMP/err"; then
	ok "every_mvm_in_the_tree_is_canonical (${#mvms[@]} files)"
else
	fail every_mvm_in_the_tree_is_canonical "$(cat "$TMP/err")"
fi

cat >"$TMP/messy.mvm" <<'EOF'
# a profile written by hand
mvm   1 ;
profile   messy extends tier standard{intent code:execute;  # why not
seccomp{allow read,write;errno( EPERM )ptrace;}
   process{uid 1000;}}
EOF
chmod 640 "$TMP/messy.mvm"
cp "$TMP/messy.mvm" "$TMP/messy.orig"
"$MVMC" fmt --check "$TMP/messy.mvm" 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && cmp -s "$TMP/messy.mvm" "$TMP/messy.orig" && grep -q "not in canonical form" "$TMP/err"; then
	ok fmt_check_exits_1_and_writes_nothing
else
	fail fmt_check_exits_1_and_writes_nothing "rc=$rc $(cat "$TMP/err")"
fi
if "$MVMC" fmt "$TMP/messy.mvm" && "$MVMC" fmt --check "$TMP/messy.mvm" && [ "$(stat -c %a "$TMP/messy.mvm")" = 640 ] &&
	grep -q "^  seccomp {$" "$TMP/messy.mvm" && grep -q "# why not" "$TMP/messy.mvm"; then
	ok fmt_rewrites_in_place_keeping_comments_and_mode
else
	fail fmt_rewrites_in_place_keeping_comments_and_mode "$(cat "$TMP/messy.mvm")"
fi
cp "$TMP/messy.mvm" "$TMP/once.mvm"
"$MVMC" fmt "$TMP/messy.mvm"
if cmp -s "$TMP/messy.mvm" "$TMP/once.mvm"; then ok fmt_is_idempotent; else fail fmt_is_idempotent "second run changed the file"; fi
if ls -a "$TMP" | grep -q '^\.messy\.mvm\.'; then fail fmt_leaves_no_temporary_file "$(ls -a "$TMP")"; else ok fmt_leaves_no_temporary_file; fi
if "$MVMC" fmt --to yaml -o - "$TMP/messy.mvm" | grep -q "^  uid: 1000$"; then ok fmt_writes_to_stdout; else fail fmt_writes_to_stdout "no YAML on stdout"; fi
"$MVMC" fmt --to yaml "$TMP/messy.mvm" && [ -f "$TMP/messy.yaml" ] && ok fmt_to_writes_the_sibling_file ||
	fail fmt_to_writes_the_sibling_file "no $TMP/messy.yaml"

printf 'mvm 1;\nprofile broken {\n  intent code:execute\n}\n' >"$TMP/broken.mvm"
cp "$TMP/broken.mvm" "$TMP/broken.orig"
"$MVMC" fmt "$TMP/broken.mvm" 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && cmp -s "$TMP/broken.mvm" "$TMP/broken.orig" && grep -q "broken.mvm:3:22: error: expected ';'" "$TMP/err"; then
	ok fmt_of_a_malformed_file_exits_1_and_writes_nothing
else
	fail fmt_of_a_malformed_file_exits_1_and_writes_nothing "rc=$rc $(cat "$TMP/err")"
fi
"$MVMC" fmt "$TMP/nope.mvm" 2>/dev/null; rc=$?
[ $rc -eq 3 ] && ok fmt_of_a_missing_file_exits_3 || fail fmt_of_a_missing_file_exits_3 "rc=$rc"
"$MVMC" fmt --to json "$TMP/messy.mvm" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && ok fmt_usage_error_exits_2 || fail fmt_usage_error_exits_2 "rc=$rc"
"$MVMC" fmt --help | grep -q -- '--check' && ok fmt_help_prints || fail fmt_help_prints "no usage"

# ---- golden diagnostics ----
# Each malformed input is stored as NAME.mvm.in (so that it is not a .mvm of the tree) and
# compiled as NAME.mvm from a scratch directory, so the messages name it relatively.
golden=0
work=$TMP/golden
mkdir -p "$work"
cp -r tests/dsl/errors/inc "$work/"
for in in tests/dsl/errors/*.mvm.in; do
	base=$(basename "$in" .mvm.in)
	cp "$in" "$work/$base.mvm"
	(cd "$work" && MVMC_CARET=1 "$MVMC" build "$base.mvm" -o out >/dev/null 2>"$base.err")
	rc=$?
	want=tests/dsl/errors/$base.err
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$work/$base.err" "$want"
	fi
	if [ $rc -ne 1 ]; then
		fail "golden_$base" "exit $rc, expected 1"
	elif [ -e "$work/out" ]; then
		fail "golden_$base" "a failed build wrote an output directory"
	elif ! diff -u "$want" "$work/$base.err" >"$TMP/diff" 2>&1; then
		fail "golden_$base" "$(cat "$TMP/diff")"
	else
		ok "golden_$base"
	fi
	golden=$((golden + 1))
done
[ "$golden" -ge 25 ] && ok "golden_diagnostics_count ($golden)" || fail golden_diagnostics_count "only $golden"

# ---- a grammar conflict fails the build ----
# The real rule (grammar/grammar.mk) runs on a copy of the grammar in which a profile's name may
# be the keyword 'extends': after `profile`, 'extends' could then start the name or the extends
# clause, a shift/reduce conflict. Positive control: the unmodified grammar builds.
sed 's/^pword: NAME | NUMBER | STRING | kw_noext ;$/pword: NAME | NUMBER | STRING | kw ;/' grammar/parser.y >"$TMP/conflict.y"
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "$@"; }
if cmp -s grammar/parser.y "$TMP/conflict.y"; then
	fail conflicting_grammar_fails_the_build "could not inject the conflict (grammar changed?)"
elif submake BUILD="$TMP/b1" DSL_PARSER_Y="$TMP/conflict.y" "$TMP/b1/gen/grammar/parser.c" >"$TMP/out" 2>&1; then
	fail conflicting_grammar_fails_the_build "bison accepted a grammar with a conflict"
elif ! grep -q "conflict" "$TMP/out"; then
	fail conflicting_grammar_fails_the_build "failed, but not for the conflict: $(cat "$TMP/out")"
else
	ok conflicting_grammar_fails_the_build
fi
if submake BUILD="$TMP/b2" "$TMP/b2/gen/grammar/parser.c" >"$TMP/out" 2>&1; then
	ok real_grammar_builds_without_conflicts
else
	fail real_grammar_builds_without_conflicts "$(cat "$TMP/out")"
fi
finish

#!/usr/bin/env bash
# mvmc build end to end: every example profile and every tier builds, validates against the OCI
# schema, is byte-identical across builds, and its seccomp.json means under runc exactly what
# its BPF means. Then the error paths: exit codes, FILE:LINE:COL messages, atomic output.
set -u
. "$(dirname "$0")/lib.sh"

build_and_check() { # NAME PROFILE
	local name=$1 profile=$2 out="$TMP/$1" out2="$TMP/$1.again"
	if ! "$MVMC" build "$profile" -o "$out" 2>"$TMP/err"; then
		fail "build_$name" "$(cat "$TMP/err")"
		return
	fi
	for f in seccomp.json plan.json seccomp.x86_64.bpf; do
		[ -s "$out/$f" ] || { fail "build_$name" "missing $f"; return; }
	done
	ok "build_$name"
	if /usr/bin/python3 tests/validate_oci.py "$out/seccomp.json"; then ok "oci_schema_$name"; else fail "oci_schema_$name" "schema violations"; fi
	"$MVMC" build "$profile" -o "$out2" 2>/dev/null
	if diff -r "$out" "$out2" >/dev/null; then ok "reproducible_$name"; else fail "reproducible_$name" "two builds differ"; fi
	if "$BUILD/tests/json_vs_bpf" "$out" >"$TMP/jvb" 2>&1; then
		ok "json_means_bpf_$name ($(tail -n 1 "$TMP/jvb"))"
	else
		fail "json_means_bpf_$name" "$(tail -n 3 "$TMP/jvb")"
	fi
	# plan.json binds every artifact by sha256.
	for f in "$out"/seccomp.*; do
		local want
		want="sha256:$(sha256sum "$f" | cut -d' ' -f1)"
		grep -q "\"$(basename "$f")\":\"$want\"" "$out/plan.json" || fail "plan_digest_$name" "$(basename "$f") digest not in plan.json"
	done
}

for p in profiles/*.yaml; do
	build_and_check "$(basename "$p" .yaml)" "$p"
done
for t in essential minimal standard network unrestricted; do
	printf 'mvm: 1\nname: tier-%s\nextends: %s\n' "$t" "$t" >"$TMP/tier-$t.yaml"
	build_and_check "tier_$t" "$TMP/tier-$t.yaml"
done

expect_fail() { # NAME EXIT_CODE PATTERN PROFILE_TEXT
	local name=$1 code=$2 pattern=$3
	printf '%s' "$4" >"$TMP/$name.yaml"
	"$MVMC" build "$TMP/$name.yaml" -o "$TMP/$name.out" 2>"$TMP/$name.err"
	local rc=$?
	if [ "$rc" -ne "$code" ]; then
		fail "$name" "exit $rc, expected $code: $(cat "$TMP/$name.err")"
	elif ! grep -qE -- "$pattern" "$TMP/$name.err"; then
		fail "$name" "message does not match /$pattern/: $(cat "$TMP/$name.err")"
	elif [ -e "$TMP/$name.out" ]; then
		fail "$name" "a failed build left an output directory"
	else
		ok "$name"
	fi
}

expect_fail unknown_key_exits_1_with_location 1 "^mvmc: $TMP/unknown_key_exits_1_with_location.yaml:3:1: error: unknown key 'sekcomp'" \
	$'mvm: 1\nname: x\nsekcomp: {}\n'
expect_fail misspelled_syscall_exits_1_with_suggestion 1 ":4:15: error: unknown syscall 'clse'; did you mean 'close'\?" \
	$'mvm: 1\nseccomp:\n  rules:\n    - allow: [clse]\n'
expect_fail tier_above_intent_exits_1 1 ":3:10: error: tier 'network' is above the ceiling of intent 'code:execute'" \
	$'mvm: 1\nintent: code:execute\nextends: network\n'
expect_fail empty_file_exits_1 1 "error: empty file" ''
expect_fail binary_garbage_exits_1 1 "error: invalid UTF-8" $'\xff\xfe\x00garbage'

"$MVMC" build "$TMP/does-not-exist.yaml" -o "$TMP/nope" 2>"$TMP/e"; rc=$?
if [ $rc -eq 3 ] && grep -q "cannot read profile" "$TMP/e"; then ok missing_input_exits_3; else fail missing_input_exits_3 "rc=$rc $(cat "$TMP/e")"; fi
"$MVMC" build 2>/dev/null; rc=$?
if [ $rc -eq 2 ]; then ok usage_error_exits_2; else fail usage_error_exits_2 "rc=$rc"; fi
"$MVMC" frobnicate 2>/dev/null; rc=$?
if [ $rc -eq 2 ]; then ok unknown_command_exits_2; else fail unknown_command_exits_2 "rc=$rc"; fi
if "$MVMC" --version | grep -qE '^mvmc [0-9]+\.[0-9]+\.[0-9]+$'; then ok version_prints; else fail version_prints "bad output"; fi
if "$MVMC" --help | grep -q 'build PROFILE -o DIR' && "$MVMC" build --help | grep -q -- '--arch LIST'; then ok help_prints; else fail help_prints "bad output"; fi

# Atomic output: a failed build never touches an existing directory.
good=profiles/python-runner.yaml
"$MVMC" build "$good" -o "$TMP/keep" 2>/dev/null
before=$(cd "$TMP/keep" && sha256sum * | sha256sum)
printf 'mvm: 1\nseccomp:\n  rules:\n    - allow: [nosuchcall]\n' >"$TMP/bad.yaml"
"$MVMC" build "$TMP/bad.yaml" -o "$TMP/keep" 2>/dev/null
after=$(cd "$TMP/keep" && sha256sum * | sha256sum)
if [ "$before" = "$after" ]; then ok failed_build_keeps_previous_output; else fail failed_build_keeps_previous_output "output changed"; fi
if ls -a "$TMP" | grep -q '\.tmp\.'; then fail failed_build_leaves_no_temp_dir "$(ls -a "$TMP")"; else ok failed_build_leaves_no_temp_dir; fi

# A rebuild replaces the directory atomically.
"$MVMC" build "$good" -o "$TMP/keep" 2>/dev/null && [ "$(ls "$TMP/keep" | wc -l)" -ge 4 ] && ok rebuild_replaces_output || fail rebuild_replaces_output "rebuild failed"

# Output through a symlink, or over a directory with foreign files, is refused with exit 3.
mkdir -p "$TMP/target" && ln -s "$TMP/target" "$TMP/link"
"$MVMC" build "$good" -o "$TMP/link" 2>"$TMP/e"; rc=$?
if [ $rc -eq 3 ] && grep -q "symbolic link" "$TMP/e" && [ -z "$(ls "$TMP/target")" ]; then ok symlink_output_refused; else fail symlink_output_refused "rc=$rc $(cat "$TMP/e")"; fi
mkdir -p "$TMP/foreign" && echo precious >"$TMP/foreign/notes.txt"
"$MVMC" build "$good" -o "$TMP/foreign" 2>"$TMP/e"; rc=$?
if [ $rc -eq 3 ] && [ "$(cat "$TMP/foreign/notes.txt")" = precious ]; then ok foreign_directory_not_replaced; else fail foreign_directory_not_replaced "rc=$rc"; fi

# --arch narrows the output to one architecture.
"$MVMC" build "$good" -o "$TMP/one" --arch aarch64 2>/dev/null
if [ -e "$TMP/one/seccomp.aarch64.bpf" ] && [ ! -e "$TMP/one/seccomp.x86_64.bpf" ] && grep -q '"arch":\["aarch64"\]' "$TMP/one/plan.json"; then
	ok arch_option_selects_architectures
else
	fail arch_option_selects_architectures "$(ls "$TMP/one")"
fi

# -I and MVMC_PATH override the built-in stdlib.
mkdir -p "$TMP/sl/tiers"
printf 'mvm: 1\nname: standard\nseccomp:\n  default: errno(EACCES)\n' >"$TMP/sl/tiers/standard.yaml"
printf 'mvm: 1\nextends: standard\n' >"$TMP/ov.yaml"
"$MVMC" build "$TMP/ov.yaml" -o "$TMP/ov1" -I "$TMP/sl" 2>/dev/null
MVMC_PATH="$TMP/sl" "$MVMC" build "$TMP/ov.yaml" -o "$TMP/ov2" 2>/dev/null
if grep -q '"defaultErrnoRet": 13' "$TMP/ov1/seccomp.json" && grep -q '"defaultErrnoRet": 13' "$TMP/ov2/seccomp.json"; then
	ok stdlib_search_path_overrides_builtin
else
	fail stdlib_search_path_overrides_builtin "override not applied"
fi
finish

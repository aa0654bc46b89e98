#!/usr/bin/env bash
# mvmc explain: for a syscall, the rules that decide it in first-match order with FILE:LINE:COL,
# where they came from (the profile, a base profile by path, a tier, a group, an included
# group) and their justification, then the default; every syscall of the table without
# --syscall; exit codes. Golden outputs in tests/lint/explain/expected/.
#
# UPDATE_GOLDEN=1 rewrites the golden files from the current output.
set -u
. "$(dirname "$0")/lib.sh"
MVMC=$(realpath "$MVMC")
E=tests/lint/explain

# name | arguments
cases="
app-connect|$E/app.mvm --syscall connect --arch x86_64
app-setuid|$E/app.mvm --syscall setuid --arch aarch64
python-runner-socket|profiles/python-runner.yaml --syscall socket
python-runner-ioctl|profiles/python-runner.mvm --syscall ioctl --arch x86_64
web-research-clone|profiles/web-research.yaml --syscall clone --arch aarch64
static-server-open|profiles/static-server.yaml --syscall open
"
while IFS='|' read -r name args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	"$MVMC" explain $args >"$TMP/out" 2>"$TMP/err"
	rc=$?
	golden=$E/expected/$name.txt
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$TMP/out" "$golden"
	if [ "$rc" -eq 0 ] && cmp -s "$TMP/out" "$golden"; then
		ok "explain_golden_$name"
	else
		fail "explain_golden_$name" "rc=$rc $(diff "$golden" "$TMP/out" | head -20) $(cat "$TMP/err")"
	fi
done <<<"$cases"

out=$("$MVMC" explain "$E/app.mvm" --syscall connect --arch x86_64)
grep -q "app.mvm:6:5 (profile, group @net-client (included from $E/lib-net.mvm:3:7))" <<<"$out" &&
	grep -q 'why: the app has no network' <<<"$out" && ok explain_names_included_group_and_why ||
	fail explain_names_included_group_and_why "$out"
out=$("$MVMC" explain "$E/app.mvm" --syscall setuid --arch x86_64)
grep -q 'base.yaml:7:7 (profile .*base.yaml)' <<<"$out" && grep -q 'never decides.*tier standard, group @setuid' <<<"$out" &&
	ok explain_names_base_profile_and_shadowed_tier_rule || fail explain_names_base_profile_and_shadowed_tier_rule "$out"
out=$("$MVMC" explain profiles/python-runner.yaml --syscall ioctl --arch x86_64)
grep -q 'errno(1) if request == 0x5412 or request == 0x541c  <- .*minimal.yaml:[0-9]*:[0-9]* (tier minimal)' <<<"$out" &&
	grep -q 'otherwise allow' <<<"$out" && ok explain_shows_conditions_and_fallback || fail explain_shows_conditions_and_fallback "$out"
out=$("$MVMC" explain profiles/python-runner.yaml --syscall acct --arch x86_64)
grep -q '^x86_64 acct: errno(1) (default)$' <<<"$out" && grep -q '^x86_64 default: errno(1)  <- .*standard.yaml:[0-9]*:[0-9]* (tier standard)$' <<<"$out" &&
	ok explain_default_with_its_location || fail explain_default_with_its_location "$out"

# every syscall of the table, once, without --syscall
"$MVMC" explain profiles/web-research.yaml --arch aarch64 >"$TMP/all" 2>&1
n=$(grep -E '^aarch64 [a-z0-9_]+:' "$TMP/all" | grep -vc '^aarch64 default:')
want=$(python3 -c '
import re
src = open("lib/syscall_table.c").read()
m = re.search(r"aarch64[a-z_]*\[\]\s*=\s*\{(.*?)\};", src, re.S)
print(len(re.findall(r"\{\s*\"[a-z0-9_]+\",\s*\d+\s*\}", m.group(1))))')
[ "$n" -eq "$want" ] && ok "explain_lists_every_syscall ($n)" || fail explain_lists_every_syscall "$n lines, table has $want"

# exit codes
"$MVMC" explain profiles/web-research.yaml --syscall nosuch >/dev/null 2>&1
[ $? -eq 2 ] && ok explain_unknown_syscall_is_usage || fail explain_unknown_syscall_is_usage "rc=$?"
"$MVMC" explain tests/lint/MVM000.bad.yaml >/dev/null 2>&1
[ $? -eq 1 ] && ok explain_refuses_profile_that_does_not_compile || fail explain_refuses_profile_that_does_not_compile "rc=$?"
"$MVMC" explain >/dev/null 2>&1
[ $? -eq 2 ] && ok explain_without_profile_is_usage || fail explain_without_profile_is_usage "rc=$?"
"$MVMC" explain profiles/web-research.yaml --arch mips >/dev/null 2>&1
[ $? -eq 2 ] && ok explain_unknown_arch_is_usage || fail explain_unknown_arch_is_usage "rc=$?"

finish

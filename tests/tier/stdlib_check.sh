#!/bin/sh
# Checks the stdlib data without building anything: names, groups, constants, argument widths,
# intents and the normal form of every tier (stdlib/check_names.py), and that the generated
# tables in docs/stdlib.md match the data (stdlib/gen_doc.py --check). Needs python3-yaml.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
run() {
	name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok: $name"
	else
		fail=$((fail + 1))
		echo "FAIL: $name"
	fi
}
run stdlib_names_groups_tiers_are_consistent python3 "$root/stdlib/check_names.py" --quiet
run stdlib_doc_tables_match_data python3 "$root/stdlib/gen_doc.py" --check
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Runs libFuzzer targets for a fixed time each and fails if any of them found a crash, a leak,
# a timeout or a violated property (fuzz/README.md). Used by `make fuzz-smoke` and `make fuzz`.
#
# usage: fuzz/run.sh --build DIR --seconds N [--jobs J] TARGET...
#
# Each target reads its committed seeds (fuzz/corpus/T, read-only) and grows its own corpus in
# DIR/corpus/T, with the dictionary fuzz/dict/T.dict. A finding is left in DIR/crashes/ (copy it
# to fuzz/regressions/T/ once fixed: `make check` replays it from then on). The summary (runs
# and executions per second per target, and the total) is printed and kept in
# DIR/summary-<seconds>s.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build/fuzz seconds=60 jobs=1
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 --build DIR --seconds N [--jobs J] TARGET..." >&2; exit 2; }
bin=$build/fuzz/bin
logs=$build/logs
mkdir -p "$logs" "$build/crashes"

run_one() { # TARGET -> prints "TARGET STATUS RUNS"
	local t=$1 dict=fuzz/dict/$1.dict log=$logs/$1.log
	mkdir -p "$build/corpus/$t"
	# A fixed seed (FUZZ_SEED, default 1) makes a CI smoke run repeatable: a finding there can be
	# reproduced with the same command rather than depending on luck.
	local args=(-seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1
		-artifact_prefix="$build/crashes/$t-" "$build/corpus/$t")
	[ -f "$dict" ] && args=(-dict="$dict" "${args[@]}")
	[ -d "fuzz/corpus/$t" ] && args+=("fuzz/corpus/$t")
	# libFuzzer keeps going past max_total_time only for the input in flight; the outer
	# timeout is a last resort against a harness that wedges outside an input.
	timeout --kill-after=30 $((seconds + 120)) "$bin/$t" "${args[@]}" >"$log" 2>&1
	local rc=$?
	local runs
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "$t $rc ${runs:-0}"
}
export -f run_one
export build seconds bin logs

results=$(printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one {}')
summary=$build/summary-${seconds}s.txt
failed=0 total=0
{
	printf '%-12s %12s %10s  %s\n' target executions exec/s result
	while read -r t rc runs; do
		total=$((total + runs))
		if [ "$rc" -eq 0 ]; then res=ok; else res="FAILED (exit $rc, log $logs/$t.log)"; failed=1; fi
		printf '%-12s %12s %10s  %s\n' "$t" "$runs" $((runs / seconds)) "$res"
	done <<<"$(sort <<<"$results")"
	printf '%-12s %12s   (%s s per target)\n' total "$total" "$seconds"
} >"$summary"
cat "$summary"
if grep -q FAILED "$summary"; then
	echo "fuzz: findings (inputs in $build/crashes/):" >&2
	for f in "$build"/crashes/*; do [ -e "$f" ] && echo "  $f" >&2; done
	grep -h -A25 -E '^==[0-9]+==ERROR|property violated|deadly signal' "$logs"/*.log 2>/dev/null | head -80 >&2
	exit 1
fi

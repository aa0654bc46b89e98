#!/usr/bin/env bash
# Line coverage of compiler/ and lib/ (and of the whole project) reached by the fuzz corpora:
# the committed seeds (fuzz/corpus/T), every regression input, and what the fuzzers grew in
# FUZZ_BUILD/corpus/T. Replays them through the harnesses built with clang's source coverage
# (`make fuzz-coverage` builds them into COV_BUILD), merges the profiles and prints llvm-cov's
# report. usage: fuzz/coverage.sh COV_BUILD FUZZ_BUILD TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."
cov=$1 fuzzbuild=$2
shift 2
profdata=${LLVM_PROFDATA:-llvm-profdata}
llvmcov=${LLVM_COV:-llvm-cov}
rm -rf "$cov/profiles"
mkdir -p "$cov/profiles"
objects=()
for t in "$@"; do
	dirs=()
	for d in "fuzz/corpus/$t" "fuzz/regressions/$t" "$fuzzbuild/corpus/$t"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	LLVM_PROFILE_FILE="$cov/profiles/$t-%p.profraw" "$cov/fuzz/replay/$t" "${dirs[@]}" >/dev/null 2>&1 ||
		echo "coverage: $t: replay failed (a finding: run fuzz/run.sh)" >&2
	objects+=(-object "$cov/fuzz/replay/$t")
done
"$profdata" merge -sparse "$cov"/profiles/*.profraw -o "$cov/fuzz.profdata"
# the first -object is the positional binary; SOURCES (directories) select the files reported
bin=${objects[1]}
report() { "$llvmcov" report "$bin" "${objects[@]:2}" -instr-profile="$cov/fuzz.profdata" "$@" 2>/dev/null | tail -1; }
lines() { awk -v what="$1" '{printf "%-20s lines %6d of %6d covered (%s)\n", what, $8 - $9, $8, $10}'; }
report "$PWD/compiler" "$PWD/lib" | lines "compiler/ + lib/"
for d in compiler lib grammar runtime; do
	report "$PWD/$d" | lines "$d/"
done
echo "(per file: $llvmcov report $bin ${objects[*]:2} -instr-profile=$cov/fuzz.profdata $PWD/compiler $PWD/lib)"

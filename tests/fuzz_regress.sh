#!/usr/bin/env bash
# Replays every fuzz target's seed corpus (fuzz/corpus/T) and every input a fuzzer ever crashed
# on (fuzz/regressions/T) through the harness built without libFuzzer (fuzz/replay_main.c), with
# the build's own compiler and flags: plain in `make check`, ASan + UBSan in `make asan`. A crash,
# a sanitizer report or a violated property fails the target. See fuzz/README.md.
. "$(dirname "$0")/lib.sh"

targets=$(sed -n 's/^FUZZ_TARGETS := //p' fuzz/fuzz.mk)
[ -n "$targets" ] || { fail fuzz_targets_listed "no FUZZ_TARGETS in fuzz/fuzz.mk"; finish; }
for t in $targets; do
	bin=$BUILD/fuzz/replay/$t
	if [ ! -x "$bin" ]; then
		fail "fuzz_replay_$t" "$bin is not built"
		continue
	fi
	inputs=()
	[ -d "fuzz/corpus/$t" ] && inputs+=("fuzz/corpus/$t")
	[ -d "fuzz/regressions/$t" ] && inputs+=("fuzz/regressions/$t")
	if [ ${#inputs[@]} -eq 0 ]; then
		fail "fuzz_replay_$t" "no seed corpus in fuzz/corpus/$t"
		continue
	fi
	if out=$("$bin" "${inputs[@]}" 2>&1); then
		ok "fuzz_replay_${t}: $(tail -1 <<<"$out")"
	else
		fail "fuzz_replay_$t" "$(tail -30 <<<"$out")"
	fi
done

# Every regression input belongs to a target, so that none is silently skipped.
for d in fuzz/regressions/*/; do
	[ -d "$d" ] || continue
	t=$(basename "$d")
	if ! grep -qw -- "$t" <<<"$targets"; then
		fail fuzz_regressions_have_targets "fuzz/regressions/$t has no target in fuzz/fuzz.mk"
	fi
done
finish

# Shared helpers for the shell tests. Each test prints "ok NAME" or "FAIL NAME: why" and the
# script exits non-zero if anything failed.
BUILD=${BUILD:-build}
MVMC=${MVMC:-$BUILD/bin/mvmc}
TESTS_FAILED=0
TMP=$(mktemp -d /tmp/mvm-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2" >&2; TESTS_FAILED=$((TESTS_FAILED + 1)); }
skip() { echo "SKIP $1: $2 (the claim it backs is not counted as holding)"; }
finish() {
	if [ "$TESTS_FAILED" -ne 0 ]; then
		echo "$TESTS_FAILED test(s) failed" >&2
		exit 1
	fi
}

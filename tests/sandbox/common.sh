# Shared by tests/sandbox_*.sh: builds the filters the tests run under and wraps the driver.
# Sourced after tests/lib.sh. Each test prints "ok NAME", "FAIL NAME: why" or "SKIP NAME: why".
DRIVER=${DRIVER:-$BUILD/tests/sandbox_driver}
SWAP_DRIVER=${SWAP_DRIVER:-$BUILD/tests/sandbox_driver_swap}
PROBE=$(cd "$(dirname "$BUILD/tests/probe")" 2>/dev/null && pwd)/probe
ARCH=$(uname -m)

# sandbox_preflight: skips the whole script (exit 0 after SKIP) when this host cannot run the
# sandbox at all, naming why.
sandbox_preflight() {
	local name=$1
	if [ ! -x "$DRIVER" ]; then
		fail "$name" "$DRIVER is not built"
		finish
		exit 1
	fi
	if ! unshare --user --map-root-user --mount --pid --fork true 2>/dev/null && [ "$(id -u)" -ne 0 ]; then
		skip "$name" "this host does not allow user namespaces for uid $(id -u)"
		exit 0
	fi
}

# The posture a launch gets on this host: verified as root; partial otherwise, because only
# root can read a filter back (docs/posture.md).
if [ "$(id -u)" -eq 0 ]; then POSTURE=verified; else POSTURE=partial; fi

# build_filter NAME TIER [EXTRA_YAML]: compiles a profile extending TIER into $TMP/NAME and
# sets $FILTER to its BPF for this architecture.
build_filter() {
	local name=$1 tier=$2 extra=${3:-}
	printf 'mvm: 1\nname: sandbox-%s\nextends: %s\n%s' "$name" "$tier" "$extra" >"$TMP/$name.yaml"
	if ! "$MVMC" build "$TMP/$name.yaml" -o "$TMP/$name" 2>"$TMP/$name.err"; then
		fail "build_$name" "$(cat "$TMP/$name.err")"
		finish
		exit 1
	fi
	FILTER="$TMP/$name/seccomp.$ARCH.bpf"
	if [ ! -e "$FILTER" ]; then
		skip "sandbox_$name" "mvmc wrote no filter for host arch $ARCH"
		exit 0
	fi
}

# t NAME WHY 'CONDITION': ok when the condition (shell code, evaluated here) holds, else FAIL
# with WHY.
t() {
	local name=$1 why=$2
	if eval "$3"; then ok "$name"; else fail "$name" "$why"; fi
}

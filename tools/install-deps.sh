#!/usr/bin/env bash
# Installs the Debian 12 packages mvm builds and tests with. The one list, used by README.md
# and .ci/run. Uses sudo only when not already root.
set -euo pipefail
packages=(
	build-essential pkg-config clang llvm
	libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for clang (make fuzz-smoke); llvm: llvm-cov
	libseccomp-dev libyaml-dev libjansson-dev libsodium-dev libcmocka-dev
	bison flex
	python3 python3-jsonschema python3-yaml
	busybox strace
	bubblewrap util-linux binutils
	nftables libnftables-dev iproute2
)
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
run apt-get update -q
run apt-get install -y -q --no-install-recommends "${packages[@]}"

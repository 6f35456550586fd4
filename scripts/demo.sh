#!/usr/bin/env bash
# Builds vtlab (Release) and runs the shipped demo: the hello ROM, then the
# small compute benchmark. Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
vtlab=build/release/frontend/vtlab
roms=build/release/roms
echo "== vtlab run $roms/hello.elf --cmdline \"a=1 b=2\""
status=0
"$vtlab" run "$roms/hello.elf" --cmdline "a=1 b=2" || status=$?
# The guest ends through the debug-exit port with code 0: status (0 << 1) | 1.
[ "$status" -eq 1 ] || { echo "demo: hello ROM failed (status $status)"; exit 1; }
echo
echo "== vtlab run $roms/bench-small.elf"
status=0
"$vtlab" run "$roms/bench-small.elf" || status=$?
[ "$status" -eq 1 ] || { echo "demo: bench-small ROM failed (status $status)"; exit 1; }

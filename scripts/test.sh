#!/usr/bin/env bash
# Builds vtlab and runs the whole test suite: every test in the Release build
# (instruction cases, ROM suites, devices, loaders, CLI), then the unit and ROM
# tests again in the Debug build with AddressSanitizer + UndefinedBehaviorSanitizer;
# in between, a short libFuzzer run over the loader and the command-line parser.
# Installs missing Debian packages first. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

echo "== Release build + all tests"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"

echo "== Short fuzz runs (loader, command line)"
FUZZ_SECONDS=${FUZZ_SECONDS:-15} scripts/fuzz.sh

echo "== Debug (ASan+UBSan) build + unit and ROM tests"
cmake --preset debug >/dev/null
cmake --build --preset debug -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --preset debug -j"$jobs" -L "unit|rom"

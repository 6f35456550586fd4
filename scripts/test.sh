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
# phase NAME: print the name and the minutes and seconds spent so far, so a
# slow CI run shows where its time went.
phase() { printf "== [%dm%02ds] %s\n" $((SECONDS / 60)) $((SECONDS % 60)) "$1"; }

phase "Release build + all tests"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"

phase "Short fuzz runs (loaders, command line, chipset, APICs, fw_cfg, PCI)"
FUZZ_SECONDS=${FUZZ_SECONDS:-5} scripts/fuzz.sh

phase "Debug (ASan+UBSan+LSan) build + unit and ROM tests"
# The sanitizer options live in CMakePresets.json (test preset "debug"): a
# leak fails the test (tests/sanitizer/leak_canary proves it), and ASan
# clears stack shadow with memset rather than mmap, because every guest
# fault unwinds with longjmp (docs/architecture.md) and remapping the
# shadow each time made faults 500 times slower.
cmake --preset debug >/dev/null
cmake --build --preset debug -j"$jobs" --target unit_and_rom_tests
ctest --preset debug -j"$jobs" -L "unit|rom"
phase "done"

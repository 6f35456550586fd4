#!/usr/bin/env bash
# Short libFuzzer runs over the parsers of outside input (the Multiboot/ELF
# Short libFuzzer runs over the parsers of outside input (the Multiboot/ELF
# loader, the bzImage loader, the command line) and over the register blocks
# a guest programs (the legacy chipset and the APICs/HPET driven by a
# nonsense-programming guest, fw_cfg's ports and DMA, PCI configuration and the bridges), starting
# from the seed corpora in tests/.
# FUZZ_SECONDS sets the time per target (default 20). Builds with clang in
# build/fuzz; installs clang and its sanitizer runtime when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
seconds=${FUZZ_SECONDS:-20}
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build/fuzz --target fuzz_loader fuzz_bzimage fuzz_cli_options fuzz_chipset fuzz_apic fuzz_fw_cfg fuzz_pci -j"$(nproc)"
# run_fuzzer BINARY SEEDS: fuzz for $seconds on a scratch copy of the corpus,
# print the outcome in one block, and return libFuzzer's status.
run_fuzzer() {
  local bin=$1 seeds=$2 work log status
  work=$(mktemp -d)
  log=$(mktemp)
  status=0
  "$bin" -max_total_time="$seconds" -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1 || status=$?
  # One write per fuzzer, so parallel runs do not interleave their lines.
  local report
  report="== $(basename "$bin") for ${seconds}s (seeds: $seeds)"$'\n'
  report+=$(grep -E "^stat::number_of_executed_units|^Done|SUMMARY|ERROR" "$log" || true)
  [ "$status" -eq 0 ] || report+=$'\n'"$(basename "$bin") found a failure (status $status)"
  printf '%s\n' "$report"
  rm -rf "$work" "$log"
  return "$status"
}
# Each fuzzer is single-threaded: run as many at once as there are cores.
targets=(
  "build/fuzz/tests/loader/fuzz_loader tests/loader/corpus"
  "build/fuzz/tests/loader/fuzz_bzimage tests/loader/corpus_bzimage"
  "build/fuzz/tests/cli/fuzz_cli_options tests/cli/corpus"
  "build/fuzz/tests/devices/fuzz_chipset tests/devices/corpus"
  "build/fuzz/tests/devices/fuzz_apic tests/devices/corpus_apic"
  "build/fuzz/tests/firmware/fuzz_fw_cfg tests/firmware/corpus"
  "build/fuzz/tests/pci/fuzz_pci tests/pci/corpus"
)
parallel=$(nproc)
failed=0
pids=()
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086 # the entry is "binary seeds"
  run_fuzzer $t &
  pids+=($!)
  if [ ${#pids[@]} -ge "$parallel" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit "$failed"

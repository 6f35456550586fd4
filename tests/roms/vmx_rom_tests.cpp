// The VMX test ROMs (roms/vmx, roms/README.md "vmx"), one ctest entry each:
// `vmx_rom_tests <rom> [vcpus]` boots roms/<rom>.elf on vtlab, checks that
// it ends through the debug-exit port with code 0, prints no FAIL line and
// prints exactly roms/expected/<rom>.txt, then runs it again and checks that
// the second run is the same (instructions, state hash, serial bytes). With
// several vCPUs a third run is cut into slices of 123,457 ticks (ending
// quanta and waits anywhere) and must end the same too (docs/smp.md).
// A CPU model without VMX fails every one of them (each ROM's first test is
// CPUID.1:ECX.VMX).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/machine/loader/load_image.h"
#include "core/machine/machine.h"

namespace {

using namespace vtlab;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Run {
  RunResult result;
  std::string serial;
};

Run run_rom(const std::string& rom, unsigned cpus, u64 slice = 0) {
  CaptureSink serial;
  BootOptions opts;
  opts.image_path = std::string(VTLAB_ROM_DIR) + "/" + rom + ".elf";
  opts.ram_size = 128ull << 20;
  MachineConfig cfg;
  cfg.ram_bytes = opts.ram_size;
  cfg.serial_out = &serial;
  cfg.cpus = cpus;
  cfg.hash_at_end = slice == 0;  // a sliced run hashes once, at its end
  Machine m(cfg);
  m.load(load_image(opts));
  Run r{};
  if (slice) {
    u64 total = 0;
    do {
      r.result = m.run(slice);
      total += slice;
    } while (r.result.end == RunEnd::InsnLimit && total < 2'000'000'000ull);
    r.result.state_hash = m.state_hash();  // instructions: the machine's total, as for one run
  } else {
    r.result = m.run(2'000'000'000ull);
  }
  r.serial = serial.text();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: vmx_rom_tests <rom> [vcpus], e.g. vmx-basic\n");
    return 2;
  }
  const std::string rom = argv[1];
  const unsigned cpus = argc == 3 ? unsigned(std::atoi(argv[2])) : 1;
  if (cpus < 1 || cpus > 15) {
    std::fprintf(stderr, "vmx_rom_tests: vcpus must be 1 to 15\n");
    return 2;
  }
  int failures = 0;
  const Run a = run_rom(rom, cpus);
  std::printf("%s\n%s\n", a.serial.c_str(), a.result.summary().c_str());
  if (a.result.end != RunEnd::DebugExit || a.result.exit_value != 0) {
    std::printf("FAILED: %s did not end with debug-exit code 0\n", rom.c_str());
    ++failures;
  }
  if (a.serial.find("\nFAIL ") != std::string::npos || a.serial.rfind("FAIL ", 0) == 0) {
    std::printf("FAILED: %s reports failed tests (FAIL lines above)\n", rom.c_str());
    ++failures;
  }
  const std::string expected = read_file(std::string(VTLAB_SOURCE_DIR) + "/roms/expected/" + rom + ".txt");
  if (a.serial != expected) {
    std::printf("FAILED: the serial output differs from roms/expected/%s.txt:\n%s", rom.c_str(), expected.c_str());
    ++failures;
  }
  const Run b = run_rom(rom, cpus);
  if (b.serial != a.serial || b.result.instructions != a.result.instructions ||
      b.result.state_hash != a.result.state_hash) {
    std::printf("FAILED: a second run differs (instructions %llu vs %llu)\n",
                static_cast<unsigned long long>(a.result.instructions),
                static_cast<unsigned long long>(b.result.instructions));
    ++failures;
  }
  if (cpus > 1) {
    const Run c = run_rom(rom, cpus, 123'457);
    if (c.serial != a.serial || c.result.instructions != a.result.instructions ||
        c.result.state_hash != a.result.state_hash || c.result.end != a.result.end) {
      std::printf("FAILED: a run cut into slices differs (instructions %llu vs %llu)\n",
                  static_cast<unsigned long long>(a.result.instructions),
                  static_cast<unsigned long long>(c.result.instructions));
      ++failures;
    }
  }
  return failures ? 1 : 0;
}

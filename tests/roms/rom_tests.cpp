// Each shipped ROM boots, prints exactly its expected serial output
// (roms/expected/<name>.txt) and ends through the debug-exit port with code 0.
// Plus determinism: the same image twice gives the same state hash.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/machine/loader/load_image.h"
#include "core/machine/machine.h"

namespace {

using namespace vtlab;

struct RomCase {
  const char* image;     // in the build's roms/ folder
  const char* expected;  // in roms/expected/
  const char* cmdline;
  bool flat_7c00;
  unsigned cpus = 1;
};

// Memory and command line as roms/README.md documents for the expected files.
constexpr RomCase kRoms[] = {
    {"hello.elf", "hello.txt", "a=1 b=2", false},
    {"hello-aout.bin", "hello-aout.txt", "a=1 b=2", false},
    {"hello-elf64.elf", "hello-elf64.txt", "a=1 b=2", false},
    {"hello-mb2.elf", "hello-mb2.txt", "a=1 b=2", false},
    {"faults.elf", "faults.txt", "", false},
    {"smc.elf", "smc.txt", "", false},
    {"bench-small.elf", "bench-small.txt", "", false},
    {"faultbench-small.elf", "faultbench-small.txt", "", false},
    {"chipset.elf", "chipset.txt", "", false},
    {"realmode.bin", "realmode.txt", "", true},
    {"fwcfg.elf", "fwcfg.txt", "", false},
    {"pci.elf", "pci.txt", "", false},
    {"x87.elf", "x87.txt", "", false},
    {"smp.elf", "smp-1.txt", "", false, 1},
    {"smp.elf", "smp-2.txt", "", false, 2},
    {"smp.elf", "smp-4.txt", "", false, 4},
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot read " << path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Booted {
  CaptureSink serial;
  std::unique_ptr<Machine> machine;
};

std::unique_ptr<Booted> boot(const RomCase& rc) {
  auto b = std::make_unique<Booted>();
  BootOptions opts;
  opts.image_path = std::string(VTLAB_ROM_DIR) + "/" + rc.image;
  opts.cmdline = rc.cmdline;
  opts.ram_size = 128ull << 20;
  opts.flat = rc.flat_7c00;
  opts.flat_addr = 0x7c00;
  MachineConfig cfg;
  cfg.ram_bytes = opts.ram_size;
  cfg.cpus = rc.cpus;
  cfg.serial_out = &b->serial;
  b->machine = std::make_unique<Machine>(cfg);
  b->machine->load(load_image(opts));
  return b;
}

}  // namespace

TEST_CASE("every ROM prints its expected output and exits with code 0") {
  for (const RomCase& rc : kRoms) {
    SUBCASE(rc.expected) {
      auto b = boot(rc);
      RunResult r = b->machine->run(2'000'000'000ull);
      INFO(r.summary());
      CHECK(r.end == RunEnd::DebugExit);
      CHECK(r.exit_value == 0);
      CHECK(b->serial.text() == read_file(std::string(VTLAB_SOURCE_DIR) + "/roms/expected/" + rc.expected));
    }
  }
}

TEST_CASE("the same image runs identically twice (state hash, instruction count)") {
  const RomCase& rc = kRoms[6];  // bench-small: the most varied workload
  auto a = boot(rc), b = boot(rc);
  // Stop mid-run at an arbitrary instruction, then at the end.
  RunResult ra = a->machine->run(1'234'567), rb = b->machine->run(1'234'567);
  CHECK(ra.instructions == 1'234'567);
  CHECK(a->machine->state_hash() == b->machine->state_hash());
  ra = a->machine->run();
  rb = b->machine->run();
  CHECK(ra.end == RunEnd::DebugExit);
  CHECK(ra.instructions == rb.instructions);
  CHECK(a->machine->state_hash() == b->machine->state_hash());
  CHECK(a->serial.text() == b->serial.text());
}

TEST_CASE("interrupts and timers are deterministic: the chipset ROM twice, stopped mid-run and at the end") {
  const RomCase& rc = kRoms[8];
  REQUIRE(std::string(rc.image) == "chipset.elf");
  auto a = boot(rc), b = boot(rc);
  // Mid-run: inside the PIT's periodic interrupts.
  RunResult ra = a->machine->run(3'000'000), rb = b->machine->run(3'000'000);
  CHECK(ra.end == RunEnd::InsnLimit);
  CHECK(a->machine->state_hash() == b->machine->state_hash());
  CHECK(a->machine->pic().view().acknowledged == b->machine->pic().view().acknowledged);
  CHECK(a->machine->pic().view().acknowledged > 0);
  ra = a->machine->run();
  rb = b->machine->run();
  CHECK(ra.end == RunEnd::DebugExit);
  CHECK(ra.instructions == rb.instructions);
  CHECK(a->machine->cpu().icount() == b->machine->cpu().icount());
  CHECK(*ra.state_hash == *rb.state_hash);
  CHECK(a->serial.text() == b->serial.text());
}

TEST_CASE("the state hash sees a difference") {
  auto a = boot(kRoms[0]), b = boot(kRoms[0]);
  a->machine->run(1000);
  b->machine->run(1001);
  CHECK(a->machine->state_hash() != b->machine->state_hash());
  auto c = boot(kRoms[0]);
  c->machine->run(1000);
  c->machine->memory().write(0x500000, 1, 0x5a);  // one byte of RAM nobody uses
  CHECK(a->machine->state_hash() != c->machine->state_hash());
}

TEST_CASE("a boot image that does not fit in RAM is refused with a clear error") {
  MachineConfig cfg;
  cfg.ram_bytes = 16u << 20;
  Machine m(cfg);
  BootImage img;
  BootBlob b;
  b.addr = (16u << 20) - 8;
  b.bytes.assign(16, 0x90);  // runs past the end of RAM
  b.what = "kernel";
  img.blobs.push_back(b);
  CHECK_THROWS_WITH_AS(m.load(img), doctest::Contains("kernel does not fit in guest RAM"), Error);
  img.blobs[0].addr = 0x100000;
  img.blobs[0].zero_fill = ~u64(0) - 4;  // length overflows
  CHECK_THROWS_AS(m.load(img), Error);
}

TEST_CASE("SMP runs are deterministic: the smp ROM twice on 1, 2 and 4 vCPUs, stopped mid-run and at the end") {
  for (unsigned cpus : {1u, 2u, 4u}) {
    CAPTURE(cpus);
    const RomCase* rc = nullptr;
    for (const RomCase& c : kRoms)
      if (std::string(c.image) == "smp.elf" && c.cpus == cpus) rc = &c;
    REQUIRE(rc);
    auto a = boot(*rc), b = boot(*rc);
    // Mid-run: the APs are starting or the IPIs are flying.
    RunResult ra = a->machine->run(2'000'000), rb = b->machine->run(2'000'000);
    CHECK(ra.end == RunEnd::InsnLimit);
    CHECK(a->machine->state_hash() == b->machine->state_hash());
    ra = a->machine->run();
    rb = b->machine->run();
    INFO(ra.summary());
    CHECK(ra.end == RunEnd::DebugExit);
    CHECK(ra.exit_value == 0);
    CHECK(ra.instructions == rb.instructions);
    CHECK(*ra.state_hash == *rb.state_hash);
    CHECK(a->serial.text() == b->serial.text());
    for (unsigned i = 0; i < cpus; ++i) CHECK(a->machine->cpu(i).icount() == b->machine->cpu(i).icount());
  }
}

TEST_CASE("an SMP run cut into slices of any size ends in the same state as one run") {
  const RomCase* rc = nullptr;
  for (const RomCase& c : kRoms)
    if (std::string(c.image) == "smp.elf" && c.cpus == 4) rc = &c;
  REQUIRE(rc);
  auto whole = boot(*rc), cut = boot(*rc);
  RunResult rw = whole->machine->run();
  RunResult rc2;
  do rc2 = cut->machine->run(123'457);  // ends quanta and halted waits anywhere
  while (rc2.end == RunEnd::InsnLimit);
  CHECK(rc2.end == RunEnd::DebugExit);
  CHECK(rw.instructions == rc2.instructions);
  CHECK(*rw.state_hash == *rc2.state_hash);
  CHECK(whole->serial.text() == cut->serial.text());
}

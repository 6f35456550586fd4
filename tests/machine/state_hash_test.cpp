// Machine::state_hash: equal for equal state, different for different RAM,
// independent of which RAM pages the host happens to back, and cheap for a
// large, mostly untouched RAM.
#include <doctest/doctest.h>

#include "core/machine/platform_layout.h"
#include "core/machine/ram_hash.h"
#include "tests/machine/guest.h"

using namespace vtlab;
using machine_test::code_at;

TEST_CASE("state hash: RAM contents count, which pages were touched does not") {
  Machine a(MachineConfig{}), b(MachineConfig{});
  a.load(code_at(0x7c00, machine_test::kSpin));
  b.load(code_at(0x7c00, machine_test::kSpin));
  CHECK(a.state_hash() == b.state_hash());
  // Back two pages of b's RAM with zeros: one read (the host's zero page),
  // one written with zeros.
  CHECK(b.memory().read(0x200000, 8) == 0);
  b.memory().write(0x300000, 8, 0);
  CHECK(a.state_hash() == b.state_hash());
  b.memory().write(0x300000, 1, 1);
  CHECK(a.state_hash() != b.state_hash());
  a.memory().write(0x300000, 1, 1);
  CHECK(a.state_hash() == b.state_hash());
  // The same byte on another page is another state.
  a.memory().write(0x300000, 1, 0);
  a.memory().write(0x301000, 1, 1);
  CHECK(a.state_hash() != b.state_hash());
}

TEST_CASE("state hash: RAM above 4 GiB counts") {
  MachineConfig cfg;
  cfg.ram_bytes = u64(4) << 30;  // 3 GiB below the hole, 1 GiB from 4 GiB up
  Machine a(cfg), b(cfg);
  a.load(code_at(0x7c00, machine_test::kSpin));
  b.load(code_at(0x7c00, machine_test::kSpin));
  b.memory().write(PhysMem::kAbove4G + 0x1000, 4, 0x12345678);
  CHECK(a.state_hash() != b.state_hash());
}

TEST_CASE("state hash: its cost follows the pages touched, not the size of RAM") {
  MachineConfig cfg;
  cfg.ram_bytes = u64(64) << 30;
  Machine m(cfg);
  m.load(code_at(0x7c00, machine_test::kSpin));
  m.run(1000);
  // Reading 64 GiB page by page would take many seconds and map 128 MiB of
  // host page tables; only the pages the guest, the loader and the firmware
  // wrote are read (the spinning guest writes nothing; the loader wrote its
  // page of code, the firmware the ACPI tables, a handful of pages).
  RamHashStats stats;
  hash_guest_ram(m.memory(), &stats);
  CHECK(stats.pages_read > 0);
  CHECK(stats.pages_read <= 16);
  MESSAGE("pages read for 64 GiB of RAM: " << stats.pages_read);
  // The pages it skipped were zero: a machine with less RAM and the same
  // contents, hashed reading every page, gives the same value.
  MachineConfig small_cfg;
  small_cfg.ram_bytes = 16u << 20;
  Machine small(small_cfg);
  small.load(code_at(0x7c00, machine_test::kSpin));
  small.run(1000);
  // The ACPI tables sit at the top of RAM below 3 GiB, a different place
  // in each, and the SMBIOS tables describe the RAM size: zero them (and
  // the RSDP, and the F segment's SMBIOS) so the contents are the same.
  for (Machine* x : {&m, &small}) {
    const std::vector<u8> zeros(0x10000, 0);
    x->memory().write_block(*acpi_region_base(x->memory().ram_size()), zeros.data(), zeros.size());
    x->memory().write_block(0xe0000, zeros.data(), 36);
    x->memory().write_block(platform::kFSegment, zeros.data(), platform::kBiosAreaEnd - platform::kFSegment);
  }
  RamHashStats all;
  CHECK(hash_guest_ram(m.memory(), nullptr) == hash_guest_ram(small.memory(), &all, false));
  CHECK(all.pages_read == (16u << 20) / PhysMem::kPageSize);
}

// Machine::state_hash: equal for equal state, different for different RAM,
// independent of which RAM pages the host happens to back, and cheap for a
// large, mostly untouched RAM.
#include <doctest/doctest.h>

#include <chrono>

#include "tests/machine/guest.h"

using namespace vtlab;
using machine_test::code_at;

TEST_CASE("state hash: RAM contents count, the host's backing of zero pages does not") {
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
  // Reading 64 GiB page by page takes tens of seconds and maps 128 MiB of
  // host page tables; skipping the pages never backed takes milliseconds.
  auto t0 = std::chrono::steady_clock::now();
  m.state_hash();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("state hash of 64 GiB of mostly untouched RAM: " << seconds << " s");
  CHECK(seconds < 5);
}

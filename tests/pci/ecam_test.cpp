// ECAM (PCI Express Base Specification §7.2.2): the address decode, every
// access width the CPU can make, extended registers, absent functions, and
// agreement with mechanism #1 over all of bus 0.
#include <doctest/doctest.h>

#include "tests/pci/pci_rig.h"

using namespace pci_test;

TEST_CASE("ECAM: offset bus << 20 | device << 15 | function << 12 | register") {
  PciRig r;
  CHECK(r.ecam.mmio_read(0, 4) == 0x29c08086);
  CHECK(r.ecam.mmio_read(31 << 15, 4) == 0x29188086);
  CHECK(r.ecam.mmio_read((31 << 15) | 0x40, 4) == 0x00000001);       // PMBASE at power-on
  CHECK(r.ecam.mmio_read((31 << 15) | (1 << 12), 4) == 0xffffffff);  // 00:1f.1
  CHECK(r.ecam.mmio_read(1 << 20, 4) == 0xffffffff);                 // bus 1
  CHECK(r.ecam.mmio_read((255u << 20) | (31 << 15) | (7 << 12) | 0xffc, 4) == 0xffffffff);
  // Another first bus moves the decode.
  PciEcam from_bus_1(r.bus, 1);
  CHECK(from_bus_1.mmio_read(0, 4) == 0xffffffff);
}

TEST_CASE("ECAM: reads of 1, 2, 4 and 8 bytes, aligned or not, see the bytes they cover") {
  PciRig r;
  // 00:00.0 bytes 0-7: 86 80 c0 29 06 00 90 00 (IDs, command, status).
  const u64 first8 = 0x0090000629c08086ull;
  for (unsigned size : {1u, 2u, 4u, 8u})
    for (unsigned at = 0; at + size <= 8; ++at) {
      CAPTURE(size);
      CAPTURE(at);
      const u64 want = size == 8 ? first8 : (first8 >> (8 * at)) & ((u64(1) << (8 * size)) - 1);
      CHECK(r.ecam_read(0, 0, 0, at, size) == want);
    }
  // An 8-byte read across a function boundary: the LPC bridge's last dword, then 00:1f.1.
  CHECK(r.ecam.mmio_read((31 << 15) | 0xffc, 8) == 0xffffffff00000000ull);
}

TEST_CASE("ECAM: writes of 1, 2, 4 and 8 bytes reach the registers they cover") {
  PciRig r;
  // LPC 0x60-0x67: PIRQA-D_ROUT, SIRQ_CNTL (0x64, bits 7:6 and 1:0 writable), 0x65-0x67 reserved.
  r.ecam_write(0, 31, 0, 0x60, 8, 0xffffffff0b0a0503ull);
  CHECK(r.ecam_read(0, 31, 0, 0x60, 8) == 0x000000d30b0a0503ull);
  r.ecam_write(0, 31, 0, 0x61, 2, 0x0c0b);  // PIRQB, PIRQC
  CHECK(r.ecam_read(0, 31, 0, 0x60, 4) == 0x0b0c0b03);
  r.ecam_write(0, 31, 0, 0x63, 1, 0x8e);
  CHECK(r.ecam_read(0, 31, 0, 0x60, 4) == 0x8e0c0b03);
  // A dword written at 0x62 covers PIRQC, PIRQD, SIRQ_CNTL and 0x65; bits
  // 6:4 of a PIRQ route are reserved.
  r.ecam_write(0, 31, 0, 0x62, 4, 0x00101010);
  CHECK(r.ecam_read(0, 31, 0, 0x60, 8) == 0x0000001000000b03ull);
}

TEST_CASE("ECAM: an access becomes configuration accesses that never cross a dword") {
  PciRig r;
  TestFunction f;
  r.bus.add(3, 0, f);
  using Accesses = std::vector<std::pair<u16, unsigned>>;
  r.ecam_write(0, 3, 0, 0x40, 8, 0);
  CHECK(f.config_writes == Accesses{{0x40, 4}, {0x44, 4}});
  f.config_writes.clear();
  r.ecam_write(0, 3, 0, 0x42, 4, 0);
  CHECK(f.config_writes == Accesses{{0x42, 2}, {0x44, 2}});
  f.config_writes.clear();
  r.ecam_write(0, 3, 0, 0x47, 2, 0);
  CHECK(f.config_writes == Accesses{{0x47, 1}, {0x48, 1}});
  r.ecam_read(0, 3, 0, 0x41, 8);
  CHECK(f.config_reads == Accesses{{0x41, 3}, {0x44, 4}, {0x48, 1}});
}

TEST_CASE("ECAM: extended registers 0x100-0xfff of these functions read 0 and keep 0") {
  PciRig r;
  for (unsigned dev : {0u, 31u}) {
    for (unsigned reg = 0x100; reg < 0x1000; reg += 4) {
      r.ecam_write(0, dev, 0, reg, 4, 0xffffffff);
      if (r.ecam_read(0, dev, 0, reg, 4) != 0) FAIL("register " << reg << " of device " << dev);
    }
  }
}

TEST_CASE("ECAM and mechanism #1 agree on every dword of bus 0's PCI space") {
  PciRig r;
  TestFunction f;
  r.bus.add(3, 0, f);
  for (unsigned dev = 0; dev < 32; ++dev)
    for (unsigned fn = 0; fn < 8; ++fn)
      for (unsigned reg = 0; reg < 0x100; reg += 4) {
        const u32 by_ports = r.cfg_read(0, dev, fn, reg);
        const u32 by_ecam = u32(r.ecam_read(0, dev, fn, reg, 4));
        if (by_ports != by_ecam) FAIL(dev << "." << fn << " register " << reg);
      }
}

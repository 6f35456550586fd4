// Base address registers (PCI 3.0 §6.2.5): the sizing protocol, type bits,
// and decoding of I/O and memory BARs through the Command register, the
// memory window, the port bus's existing owners, and reset.
#include <doctest/doctest.h>

#include "tests/pci/pci_rig.h"

using namespace pci_test;

namespace {

constexpr unsigned kSlot = 3;

// Writes all ones to a BAR, reads the mask back, restores the old value
// (a driver's sizing sequence, decoding turned off around it).
u32 size_bar(PciRig& r, unsigned reg) {
  const u32 old = r.cfg_read(0, kSlot, 0, reg);
  r.cfg_write(0, kSlot, 0, reg, 0xffffffff);
  const u32 mask = r.cfg_read(0, kSlot, 0, reg);
  r.cfg_write(0, kSlot, 0, reg, old);
  return mask;
}

}  // namespace

TEST_CASE("BAR sizing: all ones written reads back the size mask with the type bits") {
  PciRig r;
  TestFunction f;
  r.bus.add(kSlot, 0, f);
  CHECK(r.cfg_read(0, kSlot, 0, 0x10) == 0x00000001);  // I/O
  CHECK(r.cfg_read(0, kSlot, 0, 0x14) == 0x00000000);  // memory, 32-bit
  CHECK(r.cfg_read(0, kSlot, 0, 0x18) == 0x0000000c);  // memory, 64-bit, prefetchable
  CHECK(size_bar(r, 0x10) == 0xffffffe1);              // 32 bytes of I/O
  CHECK(size_bar(r, 0x14) == 0xfffff000);              // 4 KiB
  CHECK(size_bar(r, 0x18) == 0xfff0000c);              // 1 MiB, low dword
  CHECK(size_bar(r, 0x1c) == 0xffffffff);              // high dword: every bit is address
  CHECK(size_bar(r, 0x20) == 0);                       // not implemented
  CHECK(size_bar(r, 0x24) == 0);
  CHECK(size_bar(r, 0x30) == 0);  // no expansion ROM
  // The type bits stay whatever is written.
  r.cfg_write(0, kSlot, 0, 0x10, 0x0000c000);
  CHECK(r.cfg_read(0, kSlot, 0, 0x10) == 0x0000c001);
  r.cfg_write(0, kSlot, 0, 0x18, 0xfe000003);
  CHECK(r.cfg_read(0, kSlot, 0, 0x18) == 0xfe00000c);
  r.cfg_write(0, kSlot, 0, 0x1c, 0x00000001);
  CHECK(f.bar_address(2) == 0x1fe000000ull);
  // The host and LPC bridges have no BARs.
  for (unsigned dev : {0u, 31u})
    for (unsigned reg = 0x10; reg <= 0x24; reg += 4) {
      r.cfg_write(0, dev, 0, reg, 0xffffffff);
      CHECK(r.cfg_read(0, dev, 0, reg) == 0);
    }
}

TEST_CASE("an I/O BAR decodes its ports while I/O Space is set") {
  PciRig r;
  TestFunction f;
  r.bus.add(kSlot, 0, f);
  r.cfg_write(0, kSlot, 0, 0x10, 0xc000);
  CHECK(r.ports.read(0xc000, 1) == 0xff);  // decoding is off
  r.cfg_write(0, kSlot, 0, 0x04, pci::cmd::kIoSpace, 2);
  CHECK(r.ports.read(0xc000, 4) == 0x03020100);  // the recorder's pattern: the low bytes of the port
  CHECK(r.ports.read(0xc01f, 1) == 0x1f);
  CHECK(r.ports.read(0xc020, 1) == 0xff);
  r.ports.write(0xc010, 2, 0xbeef);
  REQUIRE(f.io.writes.size() == 1);
  CHECK(f.io.writes[0].where == 0xc010);
  CHECK(f.io.writes[0].value == 0xbeef);
  CHECK(std::string(r.ports.owner_name(0xc000)) == "test function BAR0");
  // Moving the BAR releases the old ports.
  r.cfg_write(0, kSlot, 0, 0x10, 0xd020);
  CHECK(r.ports.read(0xc000, 1) == 0xff);
  CHECK(r.ports.read(0xd020, 1) == 0x20);
  r.cfg_write(0, kSlot, 0, 0x04, 0, 2);
  CHECK(r.ports.read(0xd020, 1) == 0xff);
  CHECK(r.ports.owner(0xd020) == nullptr);
}

TEST_CASE("an I/O BAR over ports another device owns leaves them to that device") {
  PciRig r;
  TestFunction f;
  r.bus.add(kSlot, 0, f);
  // 0xce0-0xcff: 0xcf8-0xcff belong to mechanism #1 and the reset control register.
  r.cfg_write(0, kSlot, 0, 0x10, 0xce0);
  r.cfg_write(0, kSlot, 0, 0x04, pci::cmd::kIoSpace, 2);
  CHECK(r.ports.read(0xce0, 1) == 0xe0);
  CHECK(r.ports.read(0xcf7, 1) == 0xf7);
  r.ports.write(0xcf8, 4, 0x80000000);
  CHECK(r.ports.read(0xcf8, 4) == 0x80000000);
  CHECK(r.ports.read(0xcfc, 4) == 0x29c08086);
  CHECK(r.ports.owner(0xcf9) != static_cast<PortDevice*>(&f.io));
  // Turning decoding off gives back only the BAR's own ports.
  r.cfg_write(0, kSlot, 0, 0x04, 0, 2);
  CHECK(r.ports.read(0xce0, 1) == 0xff);
  CHECK(r.cfg_read(0, 0, 0, 0) == 0x29c08086);
  // A BAR that ends beyond 64 KiB of I/O space decodes nothing.
  r.cfg_write(0, kSlot, 0, 0x10, 0x1fff0);
  r.cfg_write(0, kSlot, 0, 0x04, pci::cmd::kIoSpace, 2);
  CHECK(r.bus.decodes().empty());
}

TEST_CASE("memory BARs decode while Memory Space is set, inside the host bridge's window") {
  PciRig r;
  TestFunction f;
  r.bus.add(kSlot, 0, f);
  r.cfg_write(0, kSlot, 0, 0x14, 0xc0001000);
  r.cfg_write(0, kSlot, 0, 0x18, 0xc0100000);
  r.cfg_write(0, kSlot, 0, 0x1c, 0);
  CHECK(r.mem_read(0xc0001000, 4) == 0xffffffff);  // off
  r.cfg_write(0, kSlot, 0, 0x04, pci::cmd::kMemorySpace, 2);
  CHECK(r.mem_read(0xc0001000, 4) == 0x03020100);
  CHECK(r.mem_read(0xc0001ff8, 8) == 0xfffefdfcfbfaf9f8ull);
  CHECK(r.mem_read(0xc0002000, 4) == 0xffffffff);  // past the BAR
  CHECK(r.mem_read(0xc01ffffc, 4) == 0xfffefdfc);  // the 64-bit BAR's last dword
  r.mem_write(0xc0001010, 4, 0x12345678);
  REQUIRE(f.mem.writes.size() == 1);
  CHECK(f.mem.writes[0].where == 0x10);  // offsets from the BAR
  CHECK(f.mem.writes[0].value == 0x12345678);
  // An access that straddles the BAR's end: the BAR's bytes, then open bus.
  CHECK(r.mem_read(0xc0001ffe, 4) == 0xffff'fffeull);
  r.mem_write(0xc0001ffe, 4, 0xaabbccdd);
  REQUIRE(f.mem.writes.size() == 3);  // bytes 0xffe and 0xfff only
  CHECK(f.mem.writes[1].where == 0xffe);
  CHECK(f.mem.writes[2].value == 0xcc);
  // Outside the window (RAM below it, or above 4 GiB): not forwarded to PCI.
  r.cfg_write(0, kSlot, 0, 0x14, 0x10000000);
  r.cfg_write(0, kSlot, 0, 0x1c, 1);
  CHECK(r.bus.decodes().empty());
  r.cfg_write(0, kSlot, 0, 0x1c, 0);
  r.cfg_write(0, kSlot, 0, 0x18, 0xfeb00000);  // the window's last MiB
  REQUIRE(r.bus.decodes().size() == 1);
  CHECK(r.bus.decodes()[0].base == 0xfeb00000);
  r.cfg_write(0, kSlot, 0, 0x18, 0xfec00000);  // would run into the IOAPIC
  CHECK(r.bus.decodes().empty());
}

TEST_CASE("overlapping BARs: the lower device decodes; reset turns decoding off") {
  PciRig r;
  TestFunction a, b;
  b.mem.tag = 0x80;
  r.bus.add(4, 0, b);
  r.bus.add(2, 0, a);
  for (unsigned dev : {2u, 4u}) {
    r.cfg_write(0, dev, 0, 0x14, 0xd0000000);
    r.cfg_write(0, dev, 0, 0x04, pci::cmd::kMemorySpace, 2);
  }
  CHECK(r.mem_read(0xd0000000, 1) == 0x00);  // device 2's
  r.cfg_write(0, 2, 0, 0x04, 0, 2);
  CHECK(r.mem_read(0xd0000000, 1) == 0x80);  // device 4's
  r.bus.reset();
  CHECK(r.bus.decodes().empty());
  CHECK(r.cfg_read(0, 4, 0, 0x14) == 0);
  CHECK(r.cfg_read(0, 4, 0, 0x04, 2) == 0);
}

TEST_CASE("a snapshot restores BAR decoding") {
  PciRig r;
  TestFunction f;
  r.bus.add(kSlot, 0, f);
  r.cfg_write(0, kSlot, 0, 0x10, 0xe000);
  r.cfg_write(0, kSlot, 0, 0x14, 0xc0002000);
  r.cfg_write(0, kSlot, 0, 0x04, pci::cmd::kIoSpace | pci::cmd::kMemorySpace, 2);
  Serializer save;
  r.bus.serialize(save);
  PciRig other;
  TestFunction g;
  other.bus.add(kSlot, 0, g);
  Serializer load(save.data());
  other.bus.serialize(load);
  CHECK(other.ports.read(0xe004, 1) == 0x04);
  CHECK(other.mem_read(0xc0002004, 1) == 0x04);
  CHECK(other.cfg_read(0, kSlot, 0, 0x10) == 0xe001);
}

// The standard header's rules (PCI 3.0 chapter 6): read-only identity,
// the Command bits a function implements, write-one-to-clear status bits,
// the capabilities list, multi-function headers, INTx and bus-master DMA.
#include <doctest/doctest.h>

#include "core/base/error.h"
#include "tests/pci/pci_rig.h"

using namespace pci_test;

TEST_CASE("identity, class code and header type are read only") {
  PciRig r;
  for (unsigned dev : {0u, 31u}) {
    const u32 id = r.cfg_read(0, dev, 0, 0x00), cls = r.cfg_read(0, dev, 0, 0x08);
    const u32 hdr = r.cfg_read(0, dev, 0, 0x0c), sub = r.cfg_read(0, dev, 0, 0x2c);
    r.cfg_write(0, dev, 0, 0x00, 0x12345678);
    r.cfg_write(0, dev, 0, 0x08, 0);
    r.cfg_write(0, dev, 0, 0x0c, 0xffffffff);
    r.cfg_write(0, dev, 0, 0x2c, 0xffffffff);
    r.cfg_write(0, dev, 0, 0x34, 0xffffffff);
    r.cfg_write(0, dev, 0, 0x3c, 0xffffffff);
    CHECK(r.cfg_read(0, dev, 0, 0x00) == id);
    CHECK(r.cfg_read(0, dev, 0, 0x08) == cls);
    CHECK(r.cfg_read(0, dev, 0, 0x0c) == hdr);
    CHECK(r.cfg_read(0, dev, 0, 0x2c) == sub);
    CHECK(r.cfg_read(0, dev, 0, 0x34) == 0xe0);
    CHECK(r.cfg_read(0, dev, 0, 0x3c) == 0);  // no interrupt pin, no line
  }
}

TEST_CASE("command: the bits a function implements, and the ones it cannot turn off") {
  PciRig r;
  CHECK(r.cfg_read(0, 0, 0, 0x04, 2) == 0x0006);   // host bridge: memory, bus master
  CHECK(r.cfg_read(0, 31, 0, 0x04, 2) == 0x0007);  // LPC: I/O, memory, bus master
  r.cfg_write(0, 0, 0, 0x04, 0xffff, 2);
  CHECK(r.cfg_read(0, 0, 0, 0x04, 2) == 0x0146);  // + parity error response, SERR#
  r.cfg_write(0, 0, 0, 0x04, 0x0000, 2);
  CHECK(r.cfg_read(0, 0, 0, 0x04, 2) == 0x0006);
  r.cfg_write(0, 31, 0, 0x04, 0xffff, 2);
  CHECK(r.cfg_read(0, 31, 0, 0x04, 2) == 0x0147);
  CHECK(r.cfg_read(0, 0, 0, 0x06, 2) == 0x0090);   // fast back-to-back, capabilities
  CHECK(r.cfg_read(0, 31, 0, 0x06, 2) == 0x0210);  // DEVSEL medium, capabilities
}

TEST_CASE("status error bits: set by the function, cleared by writing 1") {
  PciRig r;
  TestFunction f;
  r.bus.add(2, 0, f);
  u8 buf[4];
  CHECK_FALSE(f.dma_read(0, buf, 4));  // Bus Master Enable clear: no transfer
  CHECK(r.dma.rids.empty());
  r.cfg_write(0, 2, 0, 0x04, pci::cmd::kBusMaster, 2);
  CHECK(f.dma_write(0x100, "abcd", 4));
  CHECK(r.dma.rids.back() == 0x0010);  // requester id 00:02.0
  CHECK(r.dma.ram[0x103] == 'd');
  CHECK(r.cfg_read(0, 2, 0, 0x06, 2) == 0x0010);
  CHECK_FALSE(f.dma_read(0x20000, buf, 4));  // refused: a master abort
  CHECK(r.cfg_read(0, 2, 0, 0x06, 2) == 0x2010);
  r.cfg_write(0, 2, 0, 0x06, 0xdfff, 2);  // 0 in bit 13 keeps it; the rest is read only
  CHECK(r.cfg_read(0, 2, 0, 0x06, 2) == 0x2010);
  r.cfg_write(0, 2, 0, 0x06, 0x2000, 2);
  CHECK(r.cfg_read(0, 2, 0, 0x06, 2) == 0x0010);
  // A byte write to the command register leaves the status register alone.
  r.cfg_write(0, 2, 0, 0x04, 0xffffffff);
  CHECK(r.cfg_read(0, 2, 0, 0x06, 2) == 0x0010);
}

TEST_CASE("capabilities: a list from 0x34 through each next pointer") {
  PciRig r;
  TestFunction f;
  r.bus.add(2, 0, f);
  auto walk = [&](unsigned dev) {
    std::vector<std::pair<u32, u32>> caps;  // offset, ID
    for (u32 at = r.cfg_read(0, dev, 0, 0x34, 1) & ~3u; at && caps.size() < 48;
         at = r.cfg_read(0, dev, 0, at + 1, 1) & ~3u)
      caps.push_back({at, r.cfg_read(0, dev, 0, at, 1)});
    return caps;
  };
  CHECK(walk(0) == std::vector<std::pair<u32, u32>>{{0xe0, 0x09}});
  CHECK(walk(31) == std::vector<std::pair<u32, u32>>{{0xe0, 0x09}});
  CHECK(walk(2) == std::vector<std::pair<u32, u32>>{{0x50, 0x01}, {0x60, 0x05}});
  CHECK(r.cfg_read(0, 0, 0, 0xe0) == 0x010c0009);  // CAPID0: length 0x0c, version 1
  CHECK(f.config().capabilities() == std::vector<u8>{0x50, 0x60});
  // The list is read only.
  r.cfg_write(0, 2, 0, 0x50, 0xffffffff);
  CHECK(walk(2).size() == 2);
}

TEST_CASE("multi-function: function 0's header type bit 7, checked when functions are added") {
  PciRig r;
  CHECK(r.cfg_read(0, 31, 0, 0x0e, 1) == 0x80);
  CHECK(r.cfg_read(0, 0, 0, 0x0e, 1) == 0x00);
  TestFunction on_lpc, on_host, second, taken;
  r.bus.add(31, 2, on_lpc);  // D31 is multi-function
  CHECK(r.cfg_read(0, 31, 2, 0x00) == 0x56781234);
  CHECK_THROWS_AS(r.bus.add(0, 1, on_host), Error);  // the host bridge is not
  CHECK_THROWS_AS(r.bus.add(0, 0, taken), Error);
  CHECK_THROWS_AS(r.bus.add(7, 1, second), Error);  // no function 0 at all
  CHECK_THROWS_AS(r.bus.add(32, 0, second), Error);
  CHECK_THROWS_AS(r.bus.add(5, 0, on_lpc), Error);  // already on the bus
}

TEST_CASE("device models are checked when they declare BARs and capabilities") {
  struct Bad : PciDevice {
    Bad() : PciDevice("bad") {}
    void bar(unsigned i, BarKind k, u64 size) {
      static Recorder rec;
      declare_bar(i, {k, size, false, &rec, &rec});
    }
    void cap(u8 at, u8 len) { add_capability(at, 0x09, len); }
  };
  Bad b;
  CHECK_THROWS_AS(b.bar(0, BarKind::Io, 512), Error);  // I/O BARs are at most 256 bytes
  CHECK_THROWS_AS(b.bar(0, BarKind::Mem32, 8), Error);
  CHECK_THROWS_AS(b.bar(0, BarKind::Mem32, 0x3000), Error);  // not a power of two
  CHECK_THROWS_AS(b.bar(5, BarKind::Mem64, 0x1000), Error);  // no room for the high dword
  CHECK_THROWS_AS(b.bar(6, BarKind::Mem32, 0x1000), Error);
  b.bar(0, BarKind::Mem64, 0x1000);
  CHECK_THROWS_AS(b.bar(1, BarKind::Mem32, 0x1000), Error);  // BAR 1 is BAR 0's high dword
  CHECK_THROWS_AS(b.cap(0x3c, 4), Error);
  CHECK_THROWS_AS(b.cap(0x42, 4), Error);
  CHECK_THROWS_AS(b.cap(0xfc, 8), Error);
  b.cap(0x40, 8);
  CHECK_THROWS_AS(b.cap(0x44, 4), Error);  // overlaps
}

TEST_CASE("INTx: pin P of device D drives PIRQ (D + P - 1) mod 4; status bit 3; Interrupt Disable") {
  PciRig r;
  TestFunction a(1), b(2), d(4), none(0);
  r.bus.add(2, 0, a);                              // INTA# of device 2: PIRQC#
  r.bus.add(5, 0, b);                              // INTB# of device 5: PIRQC#
  r.bus.add(8, 0, d);                              // INTD# of device 8: PIRQD#
  r.bus.add(9, 0, none);                           // no pin
  CHECK(r.cfg_read(0, 2, 0, 0x3c) == 0x00000100);  // pin 1, line 0
  r.cfg_write(0, 2, 0, 0x3c, 0xffffffff);
  CHECK(r.cfg_read(0, 2, 0, 0x3c) == 0x000001ff);  // Interrupt Line is read/write
  a.set_intx(true);
  CHECK(r.bus.pirq_level(2));
  CHECK(r.ioapic[2].level());  // PIRQC# is IOAPIC input 18
  CHECK(r.cfg_read(0, 2, 0, 0x06, 2) == 0x0018);
  b.set_intx(true);
  a.set_intx(false);
  CHECK(r.bus.pirq_level(2));  // shared: b still holds it
  CHECK(r.cfg_read(0, 2, 0, 0x06, 2) == 0x0010);
  b.set_intx(false);
  CHECK_FALSE(r.bus.pirq_level(2));
  d.set_intx(true);
  CHECK(r.bus.pirq_level(3));
  CHECK(r.ioapic[3].level());
  // Interrupt Disable masks the pin, not the status bit.
  r.cfg_write(0, 8, 0, 0x04, pci::cmd::kInterruptDisable, 2);
  CHECK_FALSE(r.bus.pirq_level(3));
  CHECK(r.cfg_read(0, 8, 0, 0x06, 2) == 0x0018);
  r.cfg_write(0, 8, 0, 0x04, 0, 2);
  CHECK(r.bus.pirq_level(3));
  none.set_intx(true);
  CHECK(r.cfg_read(0, 9, 0, 0x06, 2) == 0x0010);
  CHECK_FALSE(r.bus.pirq_level(0));
  CHECK_FALSE(r.bus.pirq_level(1));
  // A reset deasserts the pins.
  r.bus.reset();
  CHECK_FALSE(r.bus.pirq_level(3));
  CHECK_FALSE(r.ioapic[3].level());
}

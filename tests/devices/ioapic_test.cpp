// The IOAPIC as software programs it (IOREGSEL/IOWIN), with devices driving
// its inputs and local APICs receiving its messages. Expected values from
// Intel's 82093AA datasheet and SDM Vol. 3A §10.8.5 (EOI broadcast).
#include <doctest/doctest.h>

#include "core/base/error.h"
#include "devices/ioapic/ioapic.h"
#include "tests/devices/apic_rig.h"

using namespace vtlab;
using test::ApicRig;

namespace {

struct IoRig : ApicRig {
  IoApic io{bus, 4};
  explicit IoRig(unsigned cpus = 2) : ApicRig(cpus) { enable_all(); }
  u32 reg(u8 index) {
    io.mmio_write(IoApic::kRegSel, 4, index);
    return u32(io.mmio_read(IoApic::kWindow, 4));
  }
  void set_reg(u8 index, u32 v) {
    io.mmio_write(IoApic::kRegSel, 4, index);
    io.mmio_write(IoApic::kWindow, 4, v);
  }
  void route(unsigned pin, u64 entry) {
    set_reg(u8(0x11 + 2 * pin), u32(entry >> 32));
    set_reg(u8(0x10 + 2 * pin), u32(entry));
  }
  bool irr_has(u8 v, unsigned i = 0) { return (read(lapic::kIrr0 + v / 32, i) >> (v % 32)) & 1; }
  void input(unsigned pin, bool level) { io.input(pin).set_level(level); }
};

constexpr u64 kLevel = IoApic::kLevel, kMasked = IoApic::kMasked, kLogical = IoApic::kLogical;
u64 dest(u8 d) { return u64(d) << 56; }

}  // namespace

TEST_CASE("IOAPIC: ID, version, arbitration and the reset redirection table") {
  IoRig r;
  CHECK(r.reg(0x00) == 4u << 24);
  CHECK(r.reg(0x01) == 0x00170011);  // 24 entries, version 11H
  CHECK(r.reg(0x02) == 4u << 24);
  for (u8 i = 0x10; i < 0x40; i += 2) {
    CHECK(r.reg(i) == IoApic::kMasked);
    CHECK(r.reg(u8(i + 1)) == 0);
  }
  r.set_reg(0x00, 0x0b000000);
  CHECK(r.reg(0x00) == 0x0b000000);
  r.set_reg(0x01, 0);  // read only
  CHECK(r.reg(0x01) == 0x00170011);
  CHECK(r.reg(0x40) == 0);  // beyond the table
  CHECK(r.io.mmio_read(IoApic::kRegSel, 4) == 0x40);
  CHECK(r.io.mmio_read(0x20, 4) == 0);  // no register there
  // Only 32-bit writes reach IOWIN.
  r.io.mmio_write(IoApic::kRegSel, 4, 0x10);
  r.io.mmio_write(IoApic::kWindow, 1, 0x33);
  CHECK(r.reg(0x10) == IoApic::kMasked);
  CHECK_THROWS_AS(r.io.input(24), Error);
  r.io.reset();
  CHECK(r.reg(0x00) == 4u << 24);
}

TEST_CASE("IOAPIC: edge-triggered inputs send on rising edges while unmasked; edges while masked are lost") {
  IoRig r;
  r.route(1, dest(1) | 0x31);
  r.input(1, true);
  CHECK(r.irr_has(0x31, 1));
  CHECK(!r.irr_has(0x31, 0));
  CHECK(r.take(1) == 0x31);
  r.eoi(1);
  r.input(1, true);  // no new edge
  CHECK(!r.irr_has(0x31, 1));
  r.input(1, false);
  r.route(1, kMasked | dest(1) | 0x31);
  r.input(1, true);
  r.route(1, dest(1) | 0x31);  // unmasked with the line high: the edge was lost
  CHECK(!r.irr_has(0x31, 1));
  CHECK((r.reg(0x12) & IoApic::kRemoteIrr) == 0);
}

TEST_CASE("IOAPIC: level-triggered inputs and remote IRR; the local APIC's EOI ends it") {
  IoRig r;
  r.route(9, kLevel | dest(0) | 0x39);
  r.input(9, true);
  CHECK(r.irr_has(0x39));
  CHECK((r.reg(0x22) & IoApic::kRemoteIrr) != 0);
  CHECK(r.take() == 0x39);
  // Still asserted: the EOI clears remote IRR and the input sends again.
  r.eoi();
  CHECK(r.irr_has(0x39));
  CHECK((r.reg(0x22) & IoApic::kRemoteIrr) != 0);
  CHECK(r.take() == 0x39);
  r.input(9, false);
  r.eoi();
  CHECK((r.reg(0x22) & IoApic::kRemoteIrr) == 0);
  CHECK(!r.apic().has_interrupt());
  // Remote IRR is read only; unmasking an asserted level input sends.
  r.route(9, kMasked | kLevel | dest(0) | 0x39);
  r.input(9, true);
  CHECK(!r.irr_has(0x39));
  r.route(9, kLevel | dest(0) | 0x39);
  CHECK(r.irr_has(0x39));
  CHECK(r.io.view().messages == 3);
}

TEST_CASE("IOAPIC: a level interrupt nobody accepts leaves remote IRR clear") {
  IoRig r;
  r.write(lapic::kSvr, 0xff, 1);  // APIC 1 software disabled
  r.route(10, kLevel | dest(1) | 0x3a);
  r.input(10, true);
  CHECK((r.reg(0x24) & IoApic::kRemoteIrr) == 0);
}

TEST_CASE("IOAPIC: destinations and delivery modes: logical, lowest priority, NMI, ExtINT") {
  IoRig r(3);
  for (unsigned i = 0; i < 3; ++i) r.write(lapic::kLdr, (1u << i) << 24, i);
  r.route(3, kLogical | dest(0b110) | 0x43);
  r.input(3, true);
  CHECK(!r.irr_has(0x43, 0));
  CHECK(r.irr_has(0x43, 1));
  CHECK(r.irr_has(0x43, 2));
  for (unsigned i = 1; i < 3; ++i) {
    CHECK(r.take(i) == 0x43);
    r.eoi(i);
  }
  r.write(lapic::kTpr, 0x80, 0);
  r.write(lapic::kTpr, 0x10, 2);
  r.write(lapic::kTpr, 0x20, 1);
  r.route(4, kLogical | (1u << 8) | dest(0xff) | 0x44);  // lowest priority
  r.input(4, true);
  CHECK(r.irr_has(0x44, 2));
  CHECK(!r.irr_has(0x44, 1));
  r.route(5, (4u << 8) | dest(1));  // NMI
  r.input(5, true);
  CHECK(r.core(1).nmis == 1);
  r.route(0, (7u << 8) | dest(0));  // ExtINT: the 8259 answers the INTA
  r.pic.vector = 0x20;
  r.input(0, true);
  CHECK(r.apic(0).has_interrupt());
  CHECK(r.take(0) == 0x20);
  CHECK(r.pic.acks == 1);
}

TEST_CASE("IOAPIC: snapshot round trip and garbage") {
  IoRig a, b;
  a.route(7, kLevel | dest(1) | 0x47);
  a.input(7, true);
  Serializer save;
  a.io.serialize(save);
  Serializer load(save.data());
  b.io.serialize(load);
  CHECK(b.io.view().redirection == a.io.view().redirection);
  CHECK(b.io.view().input_levels == a.io.view().input_levels);
  Serializer junk(std::vector<u8>(save.data().size(), 0xff));
  b.io.serialize(junk);
  CHECK(b.io.view().id <= 0xf);
  CHECK((b.io.view().redirection[0] & 0x00fffffffffe0000ull) == 0);
}

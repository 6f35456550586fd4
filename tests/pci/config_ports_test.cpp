// Configuration mechanism #1 (PCI Local Bus Specification 3.0
// §3.2.2.3.2; the Intel MCH's CONFIG_ADDRESS/CONFIG_DATA): the address
// register's bits, dword-only access to it, byte/word pass-through to the
// reset control register at 0xcf9, accesses of each width at 0xcfc + n,
// and functions that are not there.
#include <doctest/doctest.h>

#include "tests/pci/pci_rig.h"

using namespace pci_test;

TEST_CASE("CONFIG_ADDRESS: a dword register; bits 30:24 and 1:0 read 0") {
  PciRig r;
  CHECK(r.ports.read(0xcf8, 4) == 0);
  r.ports.write(0xcf8, 4, 0xffffffff);
  CHECK(r.ports.read(0xcf8, 4) == 0x80fffffc);
  r.ports.write(0xcf8, 4, 0x7f345677);
  CHECK(r.ports.read(0xcf8, 4) == 0x00345674);
  CHECK(r.mech1.address() == 0x00345674);
  r.mech1.reset();
  CHECK(r.ports.read(0xcf8, 4) == 0);
}

TEST_CASE("byte and word accesses to 0xcf8-0xcfb pass through: 0xcf9 is the reset control register") {
  PciRig r;
  r.ports.write(0xcf8, 4, 0x80000000);
  // Linux's mechanism #1 probe (arch/x86/pci/direct.c): a byte to 0xcfb
  // must not disturb CONFIG_ADDRESS.
  r.ports.write(0xcfb, 1, 0x01);
  r.ports.write(0xcf8, 1, 0x00);
  r.ports.write(0xcfa, 1, 0x00);
  CHECK(r.ports.read(0xcf8, 4) == 0x80000000);
  // ... and its mechanism #2 probe must fail: nothing answers there.
  CHECK(r.ports.read(0xcf8, 1) == 0xff);
  CHECK(r.ports.read(0xcfa, 1) == 0xff);
  CHECK(r.ports.read(0xcfb, 1) == 0xff);
  CHECK(r.ports.read(0xcfa, 2) == 0xffff);
  // The reset control register keeps its byte, whichever way it is reached.
  r.ports.write(0xcf9, 1, 0x02);  // SYS_RST: no reset yet
  CHECK(r.ports.read(0xcf9, 1) == 0x02);
  CHECK(r.ports.read(0xcf8, 2) == 0x02ff);  // 0xcf8 open, 0xcf9 RST_CNT
  CHECK(r.ports.read(0xcf8, 4) == 0x80000000);
  CHECK(r.resets == 0);
  // A word written at 0xcf8 is an I/O cycle: its high byte reaches RST_CNT.
  r.ports.write(0xcf8, 2, 0x0600);
  CHECK(r.resets == 1);
  CHECK(r.reset_control.view().reset_control == 0x06);
  CHECK(r.ports.read(0xcf8, 4) == 0x80000000);
}

TEST_CASE("CONFIG_DATA: bytes n.. of the addressed dword at 0xcfc + n, when enabled") {
  PciRig r;
  CHECK(r.cfg_read(0, 0, 0, 0x00) == 0x29c08086);
  CHECK(r.cfg_read(0, 0, 0, 0x00, 2) == 0x8086);
  CHECK(r.cfg_read(0, 0, 0, 0x02, 2) == 0x29c0);
  CHECK(r.cfg_read(0, 0, 0, 0x01, 1) == 0x80);
  CHECK(r.cfg_read(0, 0, 0, 0x03, 1) == 0x29);
  CHECK(r.cfg_read(0, 31, 0, 0x08) == 0x06010002);  // class 06/01/00, revision 2
  // Bits 1:0 of CONFIG_ADDRESS are not part of the register number.
  r.ports.write(0xcf8, 4, 0x80000003);
  CHECK(r.ports.read(0xcfc, 4) == 0x29c08086);
  // A write of each width lands on its bytes: the LPC bridge's PIRQ routes.
  r.cfg_write(0, 31, 0, 0x62, 0x0b, 1);
  CHECK(r.cfg_read(0, 31, 0, 0x60) == 0x800b8080);
  r.cfg_write(0, 31, 0, 0x60, 0x0a05, 2);
  CHECK(r.cfg_read(0, 31, 0, 0x60) == 0x800b0a05);
  r.cfg_write(0, 31, 0, 0x60, 0x80808080);
  CHECK(r.cfg_read(0, 31, 0, 0x60) == 0x80808080);
  // An access running past 0xcff: config bytes 1-3, then the bus at 0xd00.
  r.ports.write(0xcf8, 4, PciRig::address(0, 0, 0, 0));
  CHECK(r.ports.read(0xcfd, 4) == 0xff29c080);
}

TEST_CASE("CONFIG_DATA with the enable bit clear is an ordinary I/O cycle nothing answers") {
  PciRig r;
  r.ports.write(0xcf8, 4, 0x00000000);  // 00:00.0 register 0, not enabled
  CHECK(r.ports.read(0xcfc, 4) == 0xffffffff);
  CHECK(r.ports.read(0xcfe, 2) == 0xffff);
  CHECK(r.ports.read(0xcff, 1) == 0xff);
  r.ports.write(0xcf8, 4, 0x00000000 | (31 << 11) | 0x60);
  r.ports.write(0xcfc, 4, 0x0b0b0b0b);
  CHECK(r.cfg_read(0, 31, 0, 0x60) == 0x80808080);  // unchanged
}

TEST_CASE("functions that are not there read all ones at every width and ignore writes") {
  PciRig r;
  for (unsigned size : {1u, 2u, 4u}) {
    const u32 ones = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    CHECK(r.cfg_read(0, 5, 0, 0, size) == ones);   // empty slot
    CHECK(r.cfg_read(0, 0, 1, 0, size) == ones);   // host bridge: single function
    CHECK(r.cfg_read(0, 31, 3, 0, size) == ones);  // ICH9 D31 functions not modelled
    CHECK(r.cfg_read(1, 0, 0, 0, size) == ones);   // no bus 1
    CHECK(r.cfg_read(255, 31, 7, 0xfc, size) == ones);
  }
  r.cfg_write(0, 5, 0, 0x04, 0xffffffff);
  r.cfg_write(1, 31, 0, 0x60, 0);
  CHECK(r.cfg_read(0, 31, 0, 0x60) == 0x80808080);
}

TEST_CASE("mechanism #1 reaches the first 256 bytes; a snapshot keeps CONFIG_ADDRESS") {
  PciRig r;
  r.ports.write(0xcf8, 4, PciRig::address(0, 31, 0, 0xfc));
  CHECK(r.ports.read(0xcfc, 4) == 0);  // the last dword of the LPC bridge's PCI space
  r.ports.write(0xcf8, 4, 0x80abcd04);
  Serializer save;
  r.mech1.serialize(save);
  PciRig other;
  Serializer load(save.data());
  other.mech1.serialize(load);
  CHECK(other.ports.read(0xcf8, 4) == 0x80abcd04);
  // A damaged snapshot cannot set the bits that read 0.
  std::vector<u8> bad(4, 0xff);
  Serializer damaged(bad);
  other.mech1.serialize(damaged);
  CHECK(other.ports.read(0xcf8, 4) == 0x80fffffc);
}

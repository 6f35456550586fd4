// The Q35 MCH's DRAM controller function at 00:00.0: identity and the
// registers firmware leaves programmed (PCIEXBAR, PAM, TOLUD).
#include <doctest/doctest.h>

#include "tests/pci/pci_rig.h"

using namespace pci_test;

TEST_CASE("host bridge: 8086:29c0, class 06/00/00, single function, no BARs") {
  PciRig r;
  CHECK(r.cfg_read(0, 0, 0, 0x00) == 0x29c08086);
  CHECK(r.cfg_read(0, 0, 0, 0x08) == 0x06000002);
  CHECK(r.cfg_read(0, 0, 0, 0x0c) == 0x00000000);
  CHECK(r.cfg_read(0, 0, 0, 0x2c) == 0);
}

TEST_CASE("host bridge: PCIEXBAR, PAM and TOLUD read as firmware left them and cannot change") {
  PciRig r;
  CHECK(r.cfg_read(0, 0, 0, 0x60) == 0xb0000001);  // 0xb0000000, 256 buses, enabled
  CHECK(r.cfg_read(0, 0, 0, 0x64) == 0);
  CHECK(r.cfg_read(0, 0, 0, 0x90) == 0x33333330);  // PAM0-3: the BIOS area is RAM
  CHECK(r.cfg_read(0, 0, 0, 0x94) == 0x00333333);  // PAM4-6
  CHECK(r.cfg_read(0, 0, 0, 0xb0, 2) == 0x0800);   // 128 MiB
  for (unsigned reg : {0x60u, 0x64u, 0x90u, 0x94u, 0xb0u}) {
    const u32 before = r.cfg_read(0, 0, 0, reg);
    r.cfg_write(0, 0, 0, reg, 0);
    CHECK(r.cfg_read(0, 0, 0, reg) == before);
  }
  Q35HostBridge big{{0xb0000000, 0xc0000000}};
  CHECK(big.config().word(Q35HostBridge::kTolud) == 0xc000);
}

// PCI as the Machine wires it: the firmware set-up of the LPC bridge (the
// ACPI PM block at kPmBase, the SCI on IRQ 9), a machine reset returning
// the bridges to it, the configuration state in the state hash, and the
// platform constants the ACPI tables repeat.
#include <doctest/doctest.h>

#include "core/machine/platform_layout.h"
#include "tests/machine/guest.h"

using namespace vtlab;
using machine_test::code_at;

namespace {

// A guest that counts its boots at 0x500 and resets through 0xcf9 once:
//   inc byte [0x500]; cmp byte [0x500], 2; je done; mov dx, 0xcf9; mov al, 6; out dx, al
//   done: mov al, [0x500]; out 0xf4, al; jmp $
const std::vector<u8> kResetOnce = {0xfe, 0x06, 0x00, 0x05, 0x80, 0x3e, 0x00, 0x05, 0x02, 0x74, 0x06, 0xba,
                                    0xf9, 0x0c, 0xb0, 0x06, 0xee, 0xa0, 0x00, 0x05, 0xe6, 0xf4, 0xeb, 0xfe};

u32 cfg_read(Machine& m, unsigned dev, unsigned reg) {
  m.ports().write(platform::kPciConfigAddress, 4, 0x80000000u | dev << 11 | reg);
  return m.ports().read(platform::kPciConfigData, 4);
}
void cfg_write(Machine& m, unsigned dev, unsigned reg, u32 value) {
  m.ports().write(platform::kPciConfigAddress, 4, 0x80000000u | dev << 11 | reg);
  m.ports().write(platform::kPciConfigData, 4, value);
}

}  // namespace

TEST_CASE("firmware set-up: the LPC bridge decodes the ACPI block at kPmBase, SCI on IRQ 9") {
  Machine m{MachineConfig{}};
  CHECK(cfg_read(m, platform::kHostBridgeDevice, 0) == 0x29c08086);
  CHECK(cfg_read(m, platform::kLpcDevice, 0) == 0x29188086);
  CHECK(cfg_read(m, platform::kLpcDevice, 0x40) == (platform::kPmBase | 1u));
  CHECK(cfg_read(m, platform::kLpcDevice, 0x44) == 0x80);
  CHECK(m.acpi_pm().base() == std::optional<u16>(platform::kPmBase));
  CHECK(m.lpc().sci_route() == std::optional<unsigned>(platform::kSciInterrupt));
  CHECK(cfg_read(m, platform::kHostBridgeDevice, 0x60) == (platform::kEcamBase | 1u));
  // The power button's SCI reaches the 8259's IRQ 9 through the LPC bridge.
  m.ports().write(platform::kPm1aEvtBlk + 2, 2, AcpiPm::kPwrBtn);
  m.acpi_pm().press_power_button();
  CHECK(m.pic().view().slave.irr == 0x02);
  // ECAM in guest-physical memory is the same space.
  CHECK(m.memory().read(platform::kEcamBase + (platform::kLpcDevice << 15) + 0x40, 4) == (platform::kPmBase | 1u));
}

TEST_CASE("a machine reset returns the PCI bridges to what firmware leaves") {
  MachineConfig cfg;
  cfg.on_reset = ResetAction::Reset;
  Machine m(cfg);
  m.load(code_at(0x7c00, kResetOnce));
  cfg_write(m, platform::kLpcDevice, 0x40, 0x680);
  cfg_write(m, platform::kLpcDevice, 0x60, 0x0b0b0b0b);
  CHECK(m.acpi_pm().base() == std::optional<u16>(0x680));
  CHECK(m.ports().read(platform::kPmTmrBlk, 4) == 0xffffffff);
  RunResult r = m.run(1'000'000);
  REQUIRE(r.end == RunEnd::DebugExit);
  CHECK(r.resets == 1);
  CHECK(m.pci_config_ports().address() == 0);
  CHECK(m.acpi_pm().base() == std::optional<u16>(platform::kPmBase));
  CHECK(cfg_read(m, platform::kLpcDevice, 0x60) == 0x80808080);
  CHECK(m.ports().read(0x688, 4) == 0xffffffff);
  CHECK(m.ports().read(platform::kPm1aCntBlk, 2) == 1);  // SCI_EN
}

TEST_CASE("the state hash covers PCI configuration registers and CONFIG_ADDRESS") {
  Machine a{MachineConfig{}}, b{MachineConfig{}};
  CHECK(a.state_hash() == b.state_hash());
  cfg_write(b, platform::kLpcDevice, 0x61, 0x0a);
  CHECK(a.state_hash() != b.state_hash());
  cfg_write(a, platform::kLpcDevice, 0x61, 0x0a);
  CHECK(a.state_hash() == b.state_hash());
  a.ports().write(platform::kPciConfigAddress, 4, 0x80000004);
  CHECK(a.state_hash() != b.state_hash());
}

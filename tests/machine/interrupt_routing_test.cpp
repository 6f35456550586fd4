// Every interrupt source of the machine reaches both the 8259 pair and the
// IOAPIC input platform_layout.h gives it (docs/devices.md "Interrupt
// routing"), and the 8259's INTR reaches the BSP's LINT0 and IOAPIC input 0.
#include <doctest/doctest.h>

#include "core/machine/platform_layout.h"
#include "tests/machine/guest.h"

using namespace vtlab;

namespace {

struct Routed {
  unsigned pic_lines;   // 8259 input levels, IRQ 0-15
  u32 ioapic_lines;     // IOAPIC input levels
};

Routed levels(Machine& m) {
  const DualPicView p = m.pic().view();
  return {unsigned(p.master.lines) | unsigned(p.slave.lines) << 8, m.ioapic().view().input_levels};
}

void advance(Machine& m, u64 ticks) { m.run(ticks); }

}  // namespace

TEST_CASE("every ISA interrupt source drives its 8259 input and its IOAPIC input (IRQ 0 -> GSI 2)") {
  Machine m(MachineConfig{});
  m.load(machine_test::code_at(0x7c00, machine_test::kSpin));
  auto check_irq = [&](unsigned irq) {
    CAPTURE(irq);
    const Routed r = levels(m);
    CHECK(((r.pic_lines >> irq) & 1) == 1);
    CHECK(((r.ioapic_lines >> platform::isa_irq_to_gsi(irq)) & 1) == 1);
  };
  // COM1: THR empty interrupt enabled, OUT2 on.
  m.ports().write(platform::kCom1 + 4, 1, 0x08);
  m.ports().write(platform::kCom1 + 1, 1, 0x02);
  check_irq(platform::kIrqCom1);
  // i8042: a self test puts a byte in the output buffer (keyboard interrupt on).
  m.ports().write(platform::kI8042Command, 1, 0xaa);
  check_irq(platform::kIrqKeyboard);
  // x87 FERR#.
  m.fpu_error().set_ferr(true);
  check_irq(platform::kIrqFpuError);
  // ACPI SCI through the LPC bridge: the power button with PWRBTN_EN.
  m.ports().write(platform::kPm1aEvtBlk + 2, 2, AcpiPm::kPwrBtn);
  m.acpi_pm().press_power_button();
  check_irq(platform::kIrqSci);
  // PIT counter 0, mode 0, count 2: OUT0 goes high two clocks later.
  m.ports().write(platform::kPit + 3, 1, 0x30);
  m.ports().write(platform::kPit, 1, 2);
  m.ports().write(platform::kPit, 1, 0);
  advance(m, 10'000);
  check_irq(platform::kIrqPit);
  CHECK(platform::isa_irq_to_gsi(platform::kIrqPit) == 2);  // GSI 0 is the 8259's INTR
  // RTC: periodic interrupts at 8192 Hz.
  m.ports().write(platform::kRtcIndex, 1, 0x0a);
  m.ports().write(platform::kRtcData, 1, 0x23);
  m.ports().write(platform::kRtcIndex, 1, 0x0b);
  m.ports().write(platform::kRtcData, 1, 0x42);
  advance(m, 200'000);
  check_irq(platform::kIrqRtc);
}

TEST_CASE("the 8259's INTR reaches IOAPIC input 0 and the BSP's LINT0, not the APs'") {
  MachineConfig cfg;
  cfg.cpus = 2;
  Machine m(cfg);
  m.load(machine_test::code_at(0x7c00, machine_test::kSpin));
  // ICW1-ICW4, everything unmasked, then COM1's THRE interrupt on IRQ 4.
  for (auto [port, value] : std::initializer_list<std::pair<u16, u8>>{
           {0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0x21, 0x00}})
    m.ports().write(port, 1, value);
  m.ports().write(platform::kCom1 + 4, 1, 0x08);
  m.ports().write(platform::kCom1 + 1, 1, 0x02);
  CHECK(m.pic().intr());
  CHECK(((m.ioapic().view().input_levels >> platform::kGsiPicIntr) & 1) == 1);
  CHECK(m.lapic(0).view().lint[0]);
  CHECK_FALSE(m.lapic(1).view().lint[0]);
  CHECK(m.lapic(0).has_interrupt());  // virtual wire: LINT0 in ExtINT mode
  CHECK(m.lapic(0).acknowledge() == 0x24);
}

TEST_CASE("HPET legacy replacement takes IRQ 0 and IRQ 8 from the PIT and the RTC, and gives them back") {
  Machine m(MachineConfig{});
  m.load(machine_test::code_at(0x7c00, machine_test::kSpin));
  m.ports().write(platform::kPit + 3, 1, 0x30);  // PIT OUT0 high after 2 clocks
  m.ports().write(platform::kPit, 1, 2);
  m.ports().write(platform::kPit, 1, 0);
  advance(m, 10'000);
  CHECK(((levels(m).ioapic_lines >> 2) & 1) == 1);
  m.hpet().mmio_write(Hpet::kGeneralConfig, 8, Hpet::kEnable | Hpet::kLegacyRoute);
  CHECK(((levels(m).ioapic_lines >> 2) & 1) == 0);  // timer 0 (idle) drives IRQ 0 now
  CHECK((levels(m).pic_lines & 1) == 0);
  m.hpet().mmio_write(Hpet::kGeneralConfig, 8, Hpet::kEnable);
  CHECK(((levels(m).ioapic_lines >> 2) & 1) == 1);  // the PIT again
  CHECK((levels(m).pic_lines & 1) == 1);
}

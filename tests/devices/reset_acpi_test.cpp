// The chipset's reset registers (ports 0x92 and 0xcf9), the ACPI PM1
// registers and PM timer (ICH9 layout at 0x600), and the x87 error latch
// (IRQ 13, port 0xf0).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/base/port_bus.h"
#include "devices/acpi_pm/acpi_pm.h"
#include "devices/fpu_error/fpu_error.h"
#include "devices/reset_control/reset_control.h"
#include "tests/devices/chipset_rig.h"

using namespace vtlab;

TEST_CASE("reset control: 0x92 bit 0 and 0xcf9 bit 2 reset on a 0-to-1 transition") {
  PortBus bus;
  ResetControl rc;
  rc.attach(bus);
  std::vector<std::string> resets;
  rc.on_reset = [&](const char* what) { resets.emplace_back(what); };
  CHECK(bus.read(0x92, 1) == 0x02);  // A20 on
  bus.write(0x92, 1, 0x02);
  CHECK(resets.empty());
  bus.write(0x92, 1, 0x03);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0] == "port 0x92 (fast reset)");
  bus.write(0x92, 1, 0x03);  // no new transition
  CHECK(resets.size() == 1);
  bus.write(0x92, 1, 0x00);
  CHECK(bus.read(0x92, 1) == 0x00);
  CHECK_FALSE(rc.view().a20);
  // Linux's reboot=pci (and the FADT reset register): 0x02, then 0x06.
  bus.write(0xcf9, 1, 0x02);
  CHECK(resets.size() == 1);
  CHECK(bus.read(0xcf9, 1) == 0x02);
  bus.write(0xcf9, 1, 0x06);
  REQUIRE(resets.size() == 2);
  CHECK(resets[1] == "the reset control register (port 0xcf9)");
  CHECK(bus.read(0xcf9, 1) == 0x06);
  bus.write(0xcf9, 1, 0xff);  // bit 2 already set: no transition
  CHECK(resets.size() == 2);
  CHECK(bus.read(0xcf9, 1) == 0x0e);
  // A word read from 0xcf9 reaches only its own byte.
  CHECK(bus.read(0xcf9, 2) == 0xff0e);
  rc.reset();
  CHECK(bus.read(0xcf9, 1) == 0x00);
  CHECK(bus.read(0x92, 1) == 0x02);
  CHECK(rc.view().resets_requested == 2);
}

namespace {

struct PmRig {
  Scheduler s;
  PortBus bus;
  test::EdgeRecorder sci{s};
  AcpiPm pm{s, &sci};
  int power_offs = 0;
  PmRig() {
    pm.attach(bus);
    pm.on_power_off = [this] { ++power_offs; };
  }
  u64 tick(u64 clocks) const { return ClockDomain(s, AcpiPm::kTimerHz).tick_of(clocks); }
};

}  // namespace

TEST_CASE("ACPI PM timer: 3.579545 MHz in virtual time, 24 bits") {
  PmRig r;
  CHECK(r.bus.read(0x608, 4) == 0);
  test::advance_to(r.s, 1'000'000'000);  // one virtual second
  CHECK(r.bus.read(0x608, 4) == 3'579'545);
  test::advance_to(r.s, r.tick(0x1234567));
  CHECK(r.bus.read(0x608, 4) == 0x234567);  // 24 bits
  CHECK(r.bus.read(0x609, 1) == 0x45);      // byte access
  CHECK(r.bus.read(0x60b, 1) == 0x00);
  r.bus.write(0x608, 4, 0);  // read only
  CHECK(r.bus.read(0x608, 4) == 0x234567);
}

TEST_CASE("ACPI PM1: TMR_STS on bit 23 changes, write 1 to clear, SCI while status and enable are set") {
  PmRig r;
  CHECK(r.bus.read(0x600, 2) == 0);
  CHECK(r.bus.read(0x604, 2) == AcpiPm::kSciEn);  // always in ACPI mode
  test::advance_to(r.s, r.tick((1u << 23) - 1));
  CHECK(r.bus.read(0x600, 2) == 0);
  test::advance_to(r.s, r.tick(1u << 23));
  CHECK(r.bus.read(0x600, 2) == AcpiPm::kTmr);
  CHECK_FALSE(r.sci.level());  // TMR_EN is clear
  r.bus.write(0x600, 2, 0xffff);
  CHECK(r.bus.read(0x600, 2) == 0);
  r.bus.write(0x602, 2, AcpiPm::kTmr);  // TMR_EN
  CHECK(r.bus.read(0x602, 2) == AcpiPm::kTmr);
  test::advance_to(r.s, r.tick(3u << 23));
  CHECK(r.sci.times(true) == std::vector<u64>{r.tick(2u << 23)});  // an event at the next change of bit 23
  r.bus.write(0x600, 2, AcpiPm::kTmr);
  CHECK_FALSE(r.sci.level());
  // The power button: PWRBTN_STS, and SCI with PWRBTN_EN.
  r.pm.press_power_button();
  CHECK(r.bus.read(0x600, 2) == AcpiPm::kPwrBtn);
  CHECK_FALSE(r.sci.level());
  r.bus.write(0x602, 2, AcpiPm::kPwrBtn);
  CHECK(r.sci.level());
  r.bus.write(0x601, 1, 0x01);  // byte write of the high half: clears PWRBTN_STS
  CHECK_FALSE(r.sci.level());
  // Reserved enable bits do not stick.
  r.bus.write(0x602, 2, 0xffff);
  CHECK(r.bus.read(0x602, 2) == AcpiPm::kEnMask);
}

TEST_CASE("ACPI PM1_CNT: SLP_EN with SLP_TYP = S5 powers off; other types are ignored") {
  PmRig r;
  r.bus.write(0x604, 2, u32(5u << 10) | AcpiPm::kSlpEn);  // S3 on ICH9: not supported
  CHECK(r.power_offs == 0);
  CHECK(r.bus.read(0x604, 2) == (5u << 10 | AcpiPm::kSciEn));  // SLP_EN reads 0
  r.bus.write(0x604, 2, u32(7u << 10));                        // the type alone does nothing
  CHECK(r.power_offs == 0);
  r.bus.write(0x604, 2, u32(7u << 10) | AcpiPm::kSlpEn | AcpiPm::kGblRls);
  CHECK(r.power_offs == 1);
  CHECK(r.bus.read(0x604, 2) == (7u << 10 | AcpiPm::kSciEn));  // GBL_RLS and SLP_EN read 0
  r.bus.write(0x605, 1, 0x3c);                                 // a byte write of the high half: SLP_EN | SLP_TYP 7
  CHECK(r.power_offs == 2);
  r.pm.reset();
  CHECK(r.bus.read(0x604, 2) == AcpiPm::kSciEn);
  CHECK(r.bus.read(0x606, 2) == 0xffff);  // between PM1_CNT and PM_TMR: nothing
}

TEST_CASE("ACPI PM snapshot keeps status, enables and the pending timer event") {
  PmRig a;
  a.bus.write(0x602, 2, AcpiPm::kTmr);
  test::advance_to(a.s, 1000);
  Serializer save;
  a.pm.serialize(save);
  PmRig b;
  test::advance_to(b.s, 1000);
  Serializer load(save.data());
  b.pm.serialize(load);
  test::advance_to(a.s, a.tick(1u << 23) + 5);
  test::advance_to(b.s, b.tick(1u << 23) + 5);
  CHECK(b.sci.times(true) == a.sci.times(true));
  CHECK(b.sci.level());
}

TEST_CASE("x87 error latch: FERR# raises IRQ 13 until port 0xf0 is written") {
  PortBus bus;
  LatchedIrqLine irq13;
  FpuError fe(&irq13);
  fe.attach(bus);
  CHECK_FALSE(irq13.level());
  bus.write(0xf0, 1, 0x00);  // no error: IGNNE# stays off
  CHECK_FALSE(fe.ignne());
  fe.set_ferr(true);
  CHECK(irq13.level());
  CHECK_FALSE(fe.ignne());
  bus.write(0xf0, 1, 0x00);
  CHECK_FALSE(irq13.level());
  CHECK(fe.ignne());  // while FERR# stays active
  CHECK(bus.read(0xf0, 1) == 0xff);
  fe.set_ferr(false);  // the handler cleared the exception (FNCLEX)
  CHECK_FALSE(fe.ignne());
  CHECK_FALSE(irq13.level());
  fe.set_ferr(true);
  CHECK(irq13.level());
  fe.reset();
  CHECK_FALSE(irq13.level());
  CHECK_FALSE(fe.view().ferr);
  CHECK(fe.view().errors == 2);
}

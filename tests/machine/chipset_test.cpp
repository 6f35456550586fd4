// The chipset as the Machine wires it: ACPI poweroff and the reset paths end
// or restart the run as --on-reset says, firmware set-up of ELCR and CMOS,
// the RTC seed through the input interface, and the chipset's registers in
// the state hash. Tiny real-mode guests at 0x7c00 (hand-assembled bytes).
#include <doctest/doctest.h>

#include "core/base/wall_clock.h"
#include "core/machine/platform_layout.h"
#include "tests/machine/guest.h"

using namespace vtlab;
using machine_test::code_at;

namespace {

// mov dx, 0x604; mov ax, 0x2000 (SLP_EN | SLP_TYP 0, S5 as QEMU); out dx, ax; jmp $
const std::vector<u8> kPowerOff = {0xba, 0x04, 0x06, 0xb8, 0x00, 0x20, 0xef, 0xeb, 0xfe};
// mov dx, 0xcf9; mov al, 6; out dx, al; jmp $
const std::vector<u8> kResetCf9 = {0xba, 0xf9, 0x0c, 0xb0, 0x06, 0xee, 0xeb, 0xfe};
// in al, 0x92; or al, 1; out 0x92, al; jmp $
const std::vector<u8> kReset92 = {0xe4, 0x92, 0x0c, 0x01, 0xe6, 0x92, 0xeb, 0xfe};
// mov al, 0xfe; out 0x64, al; jmp $
const std::vector<u8> kResetKbc = {0xb0, 0xfe, 0xe6, 0x64, 0xeb, 0xfe};
// A guest that counts its boots in RAM at 0x500 (kept across resets) and
// resets through the i8042 until the third boot, which exits with the count:
//   inc byte [0x500]; cmp byte [0x500], 3; je done; mov al, 0xfe; out 0x64, al
//   done: mov al, [0x500]; out 0xf4, al; jmp $
const std::vector<u8> kBootCounter = {0xfe, 0x06, 0x00, 0x05, 0x80, 0x3e, 0x00, 0x05, 0x03, 0x74, 0x04,
                                      0xb0, 0xfe, 0xe6, 0x64, 0xa0, 0x00, 0x05, 0xe6, 0xf4, 0xeb, 0xfe};
// The same with a triple fault on the first boot (an empty IDT, then int3):
//   inc byte [0x500]; cmp byte [0x500], 2; je done; lidt [0x7c18]; int3
//   done: mov al, [0x500]; out 0xf4, al; jmp $; 0x7c18: six zero bytes
const std::vector<u8> kTripleFaultOnce = {0xfe, 0x06, 0x00, 0x05, 0x80, 0x3e, 0x00, 0x05, 0x02, 0x74,
                                          0x06, 0x0f, 0x01, 0x1e, 0x18, 0x7c, 0xcc, 0xa0, 0x00, 0x05,
                                          0xe6, 0xf4, 0xeb, 0xfe, 0,    0,    0,    0,    0,    0};

RunResult run_guest(const std::vector<u8>& code, ResetAction on_reset = ResetAction::Stop) {
  MachineConfig cfg;
  cfg.on_reset = on_reset;
  Machine m(cfg);
  m.load(code_at(0x7c00, code));
  return m.run(50'000'000);
}

}  // namespace

TEST_CASE("ACPI poweroff (PM1a_CNT SLP_EN with SLP_TYP S5) ends the run with status 0") {
  RunResult r = run_guest(kPowerOff);
  CHECK(r.end == RunEnd::PowerOff);
  CHECK(r.host_status() == 0);
  CHECK(r.instructions == 3);
  CHECK(r.summary().find("3 instructions retired, powered off (ACPI S5)") != std::string::npos);
}

TEST_CASE("a reset the guest asks for stops the run by default, naming the way") {
  const std::pair<const std::vector<u8>*, const char*> cases[] = {
      {&kResetCf9, "the reset control register (port 0xcf9)"},
      {&kReset92, "port 0x92 (fast reset)"},
      {&kResetKbc, "the i8042 reset command (0xfe)"},
  };
  for (const auto& [code, what] : cases) {
    CAPTURE(what);
    RunResult r = run_guest(*code);
    CHECK(r.end == RunEnd::Reset);
    CHECK(r.detail == what);
    CHECK(r.host_status() == 0);
    CHECK(r.summary().find(std::string("the guest reset the machine through ") + what +
                           " (stopped: --on-reset stop)") != std::string::npos);
  }
  // A triple fault keeps its own ending and status.
  RunResult t = run_guest(kTripleFaultOnce);
  CHECK(t.end == RunEnd::TripleFault);
  CHECK(t.host_status() == 3);
}

TEST_CASE("--on-reset reset: the machine restarts the image, RAM outside it survives") {
  RunResult r = run_guest(kBootCounter, ResetAction::Reset);
  CHECK(r.end == RunEnd::DebugExit);
  CHECK(r.exit_value == 3);
  CHECK(r.resets == 2);
  CHECK(r.summary().find("after 2 machine resets") != std::string::npos);
  // A triple fault resets the machine too.
  RunResult t = run_guest(kTripleFaultOnce, ResetAction::Reset);
  CHECK(t.end == RunEnd::DebugExit);
  CHECK(t.exit_value == 2);
  CHECK(t.resets == 1);
  // A guest that resets for ever is bounded by the instruction limit: each
  // reset costs virtual time.
  MachineConfig cfg;
  cfg.on_reset = ResetAction::Reset;
  Machine m(cfg);
  m.load(code_at(0x7c00, kResetCf9));
  RunResult loop = m.run(1'000'000);
  CHECK(loop.end == RunEnd::InsnLimit);
  CHECK(loop.resets > 100);
  CHECK(loop.resets < 1000);
  CHECK(m.cpu().icount() >= 1'000'000);
}

TEST_CASE("a reset restores the chipset: PIC, PIT, i8042 command byte, ELCR") {
  MachineConfig cfg;
  cfg.on_reset = ResetAction::Reset;
  Machine m(cfg);
  m.load(code_at(0x7c00, kBootCounter));
  m.ports().write(0x20, 1, 0x11);  // master PIC: ICW1, so it waits for ICW2
  m.ports().write(0x43, 1, 0x34);  // PIT counter 0 in mode 2
  m.ports().write(0x40, 1, 0x00);
  m.ports().write(0x40, 1, 0x10);
  m.ports().write(0x64, 1, 0x60);
  m.ports().write(0x60, 1, 0x00);
  m.run(1'000'000);
  CHECK(m.pit().view().counters[0].mode == 0);
  CHECK_FALSE(m.pit().view().counters[0].counting);
  CHECK(m.i8042().view().command_byte == I8042::kPowerOnCommandByte);
  CHECK(m.ports().read(platform::kElcr + 1, 1) == 0x02);
  CHECK(m.pic().view().master.init_step == 0);
}

TEST_CASE("firmware set-up: SCI level triggered, CMOS memory sizes, RTC seed from the wall clock") {
  MachineConfig cfg;
  cfg.ram_bytes = u64(5) << 30;       // 3 GiB below the hole, 2 GiB above 4 GiB
  FixedWallClock clock(951'825'600);  // 2000-02-29T12:00:00Z
  cfg.wall_clock = &clock;
  Machine m(cfg);
  CHECK(m.ports().read(0x4d0, 1) == 0x00);
  CHECK(m.ports().read(0x4d1, 1) == 0x02);  // IRQ 9
  auto cmos = [&](u8 index) {
    m.ports().write(0x70, 1, index);
    return m.ports().read(0x71, 1);
  };
  CHECK((cmos(0x15) | cmos(0x16) << 8) == 640);
  CHECK((cmos(0x17) | cmos(0x18) << 8) == 0xffff);
  CHECK((cmos(0x34) | cmos(0x35) << 8) == ((3u << 30) - (16u << 20)) >> 16);
  CHECK((cmos(0x5b) | cmos(0x5c) << 8 | cmos(0x5d) << 16) == (2u << 30) >> 16);
  CHECK(cmos(0x09) == 0x00);
  CHECK(cmos(0x08) == 0x02);
  CHECK(cmos(0x07) == 0x29);
  CHECK(cmos(0x04) == 0x12);
  CHECK(cmos(platform::kCmosCentury) == 0x20);
  // Without a wall clock: the fixed default.
  Machine d{MachineConfig{}};
  CHECK(d.rtc().view().civil == civil_from_unix(kDefaultRtcEpoch));
}

TEST_CASE("the chipset's registers are part of the state hash") {
  Machine a{MachineConfig{}}, b{MachineConfig{}};
  a.load(code_at(0x7c00, machine_test::kSpin));
  b.load(code_at(0x7c00, machine_test::kSpin));
  CHECK(a.state_hash() == b.state_hash());
  b.ports().write(0x70, 1, 0x40);
  b.ports().write(0x71, 1, 0x01);  // one CMOS RAM byte
  CHECK(a.state_hash() != b.state_hash());
  a.ports().write(0x70, 1, 0x40);
  a.ports().write(0x71, 1, 0x01);
  CHECK(a.state_hash() == b.state_hash());
  a.ports().write(0x21, 1, 0xfb);  // PIC mask
  CHECK(a.state_hash() != b.state_hash());
}

TEST_CASE("the ports of platform_layout.h are the ones the devices answer on") {
  Machine m{MachineConfig{}};
  const std::pair<u16, const char*> owners[] = {
      {platform::kPicMaster, "8259 master"},
      {platform::kPicSlave + 1, "8259 slave"},
      {platform::kElcr + 1, "ELCR"},
      {platform::kPit + 3, "8254 PIT"},
      {platform::kI8042Data, "i8042 data"},
      {platform::kSystemControlB, "port 61h (NMI status and control)"},
      {platform::kI8042Command, "i8042 command/status"},
      {platform::kRtcData, "MC146818 RTC/CMOS"},
      {platform::kSystemControlA, "port 92h (system control A)"},
      {platform::kFpuErrorClear, "x87 error latch (port 0xf0)"},
      {platform::kDebugExit, "debug-exit"},
      {platform::kResetControl, "reset control (0xcf9)"},
      {platform::kPm1aEvtBlk + 2, "ACPI PM1a_EVT"},
      {platform::kPm1aCntBlk, "ACPI PM1a_CNT"},
      {platform::kPmTmrBlk + 3, "ACPI PM_TMR"},
      {platform::kCom1 + 7, "COM1"},
  };
  for (const auto& [port, name] : owners) {
    CAPTURE(port);
    CHECK(std::string(m.ports().owner_name(port)) == name);
  }
  // The PCI configuration ports around 0xcf9 (mechanism #1).
  for (u16 port : {u16(0xcf8), u16(0xcfa), u16(0xcfb)})
    CHECK(std::string(m.ports().owner_name(port)) == "PCI CONFIG_ADDRESS (0xcf8)");
  for (u16 port : {u16(0xcfc), u16(0xcfd), u16(0xcfe), u16(0xcff)})
    CHECK(std::string(m.ports().owner_name(port)) == "PCI CONFIG_DATA (0xcfc)");
}

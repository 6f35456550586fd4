// The MTRRs the machine programs before a kernel runs, as a PC BIOS does
// (core/machine/firmware/mtrr_setup.h): Linux turns PAT off when it finds
// them disabled.
#include <doctest/doctest.h>

#include "core/machine/platform_layout.h"
#include "cpu/cpu.h"
#include "tests/machine/guest.h"

using namespace vtlab;

namespace {

u64 msr(Machine& m, u32 index) {
  u64 v = ~u64(0);
  REQUIRE(m.cpu().read_msr(index, v));
  return v;
}

// Whether variable range `r` (PHYSBASE/PHYSMASK pair, SDM Vol. 3A §12.11.3)
// covers `addr`, and with which type.
bool covers(Machine& m, unsigned r, u64 addr) {
  const u64 base = msr(m, 0x200 + 2 * r), mask = msr(m, 0x201 + 2 * r);
  const u64 bits = mask & ~u64(0xfff);
  return (mask & (1u << 11)) && (addr & bits) == (base & bits);
}

}  // namespace

TEST_CASE("firmware MTRRs: enabled, write-back by default, VGA window and MMIO hole uncacheable") {
  for (u64 ram : {u64(128) << 20, u64(5) << 30}) {
    CAPTURE(ram);
    MachineConfig cfg;
    cfg.ram_bytes = ram;
    Machine m(cfg);
    m.load(machine_test::code_at(0x7c00, machine_test::kSpin));
    // IA32_MTRR_DEF_TYPE: E (11) and FE (10) set, default type WB (6).
    CHECK(msr(m, 0x2ff) == 0xc06);
    CHECK(msr(m, 0x250) == 0x0606060606060606);                                   // [0, 512 KiB) WB
    CHECK(msr(m, 0x258) == 0x0606060606060606);                                   // [512 KiB, 640 KiB) WB
    CHECK(msr(m, 0x259) == 0);                                                    // VGA window UC
    for (u32 i = 0x268; i <= 0x26f; ++i) CHECK(msr(m, i) == 0x0505050505050505);  // BIOS area WP
    CHECK((msr(m, 0x200) & 0xff) == 0);                                           // range 0 is UC...
    CHECK(covers(m, 0, platform::kMmioHoleStart));                                // ...over [3 GiB, 4 GiB)
    CHECK(covers(m, 0, platform::k4GiB - 1));
    CHECK_FALSE(covers(m, 0, platform::kMmioHoleStart - 1));
    CHECK_FALSE(covers(m, 0, platform::k4GiB));
    for (unsigned r = 1; r < 8; ++r) CHECK(msr(m, 0x201 + 2 * r) == 0);  // the rest unused
  }
}

TEST_CASE("a machine reset programs the firmware MTRRs again") {
  MachineConfig cfg;
  cfg.on_reset = ResetAction::Reset;
  Machine m(cfg);
  // On its first boot (the counter at 0x500 survives resets) the guest
  // disables the MTRRs and resets the machine through the i8042:
  //   inc byte [0x500]; cmp byte [0x500], 1; jne spin
  //   mov ecx, 0x2ff; xor eax, eax; xor edx, edx; wrmsr; mov al, 0xfe; out 0x64, al
  //   spin: jmp $
  m.load(machine_test::code_at(
      0x7c00, {0xfe, 0x06, 0x00, 0x05, 0x80, 0x3e, 0x00, 0x05, 0x01, 0x75, 0x12, 0x66, 0xb9, 0xff, 0x02, 0x00,
               0x00, 0x66, 0x31, 0xc0, 0x66, 0x31, 0xd2, 0x0f, 0x30, 0xb0, 0xfe, 0xe6, 0x64, 0xeb, 0xfe}));
  const RunResult r = m.run(100'000);
  CHECK(r.resets == 1);
  CHECK(msr(m, 0x2ff) == 0xc06);
}

// IRET in protected and IA-32e mode (SDM Vol. 2 IRET, "PROTECTED-MODE",
// "RETURN-TO-OUTER-PRIVILEGE-LEVEL", "RETURN-FROM-64-BIT"): a return to an
// outer level pops SS:ESP and nulls the data segments the new CPL may not
// use; which EFLAGS bits change depends on CPL and IOPL; the CS and SS
// checks with their faults; IRETQ to compatibility mode; NT=1 in IA-32e
// mode is #GP(0).
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(iret32);
SNIPPET(iretq64);

// 32-bit protected mode running IRETD at kCode with the frame `words`
// (EIP, CS, EFLAGS[, ESP, SS]) on the stack.
struct IretRig : Prot32Rig {
  explicit IretRig(std::initializer_list<u32> words, bool user = false) {
    load(kCode, iret32, iret32_end);
    if (user) enter_user(u32(kCode), u32(kUserStack));
    cpu.rip = kCode;
    u64 sp = cpu.gpr[RSP] - 4 * words.size();
    cpu.gpr[RSP] = sp;
    for (u32 w : words) put32(sp, w), sp += 4;
    cpu.set_intercept_exceptions(true);
  }
};

}  // namespace

TEST_CASE("IRETD to CPL 3: SS:ESP popped, data segments with DPL < 3 nulled, IF and IOPL from the image at CPL 0") {
  const u32 flags = u32(fl::kFixed1 | fl::IF | fl::CF | (u64(2) << 12));
  IretRig r({0x1234, 0x1b, flags, 0x7000, 0x23});
  r.cpu.seg[ES] = Cpu::segment_from_descriptor(0x23, r.get(Prot32Rig::kGdt + 0x20, 8));  // DPL 3: stays
  r.step(1);
  CHECK(r.cpu.cpl == 3);
  CHECK(r.cpu.rip == 0x1234);
  CHECK(r.cpu.seg[CS].selector == 0x1b);
  CHECK(r.cpu.seg[SS].selector == 0x23);
  CHECK(r.cpu.gpr[RSP] == 0x7000);
  CHECK(r.cpu.rflags() == flags);  // CPL 0: IF and IOPL taken
  CHECK(r.cpu.seg[DS].selector == 0);
  CHECK((r.cpu.seg[DS].attr & ar::Unusable) != 0);
  CHECK(r.cpu.seg[ES].selector == 0x23);
}

TEST_CASE("IRETD at CPL 3 with IOPL 0 leaves IF and IOPL as they were") {
  IretRig r({0x2000, 0x1b, u32(fl::kFixed1 | (u64(3) << 12) | fl::CF)}, true);  // IF clear, IOPL 3 in the image
  r.cpu.flags.set(fl::kFixed1 | fl::IF);
  r.step(1);
  CHECK(r.cpu.rip == 0x2000);
  CHECK(r.cpu.rflags() == (fl::kFixed1 | fl::IF | fl::CF));
}

TEST_CASE("IRETD checks: a return to an inner level, a CS not present, an SS whose RPL differs") {
  {
    IretRig r({0x2000, 0x08, u32(fl::kFixed1)}, true);  // CPL 3 returning to CPL 0
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kGP);
    CHECK(f->error == 0x08);
    CHECK(r.cpu.cpl == 3);
  }
  {
    IretRig r({0x2000, 0x33, u32(fl::kFixed1), 0x7000, 0x23});
    r.desc(0x30, seg_desc(0, 0xfffff, 0x7a, kFlagG | kFlagDB));  // DPL 3 code, not present
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kNP);
    CHECK(f->error == 0x30);
  }
  {
    IretRig r({0x2000, 0x1b, u32(fl::kFixed1), 0x7000, 0x20});  // SS RPL 0 for a CPL 3 return
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kGP);
    CHECK(f->error == 0x20);
    CHECK(r.cpu.cpl == 0);
    CHECK(r.cpu.rip == Prot32Rig::kCode);
  }
}

TEST_CASE("IRETQ from 64-bit mode to compatibility mode at CPL 3") {
  LongModeRig r;
  r.mem.write_block(0x20000, iretq64, size_t(iretq64_end - iretq64));
  r.cpu.rip = 0x20000;
  const u64 frame[5] = {0x5000, 0x1b, fl::kFixed1 | fl::IF, 0x31000, 0x23};
  r.cpu.gpr[RSP] = LongModeRig::kKernelStack - 40;
  for (unsigned k = 0; k < 5; ++k) r.put64(r.cpu.gpr[RSP] + 8 * k, frame[k]);
  r.step(1);
  CHECK(r.cpu.rip == 0x5000);
  CHECK(r.cpu.cpl == 3);
  CHECK(!r.cpu.long64());
  CHECK(r.cpu.code_size() == 4);
  CHECK(r.cpu.gpr[RSP] == 0x31000);
  CHECK(r.cpu.seg[SS].selector == 0x23);
}

TEST_CASE("IRET with NT=1 in IA-32e mode is #GP(0): there are no tasks") {
  LongModeRig r;
  r.mem.write_block(0x20000, iretq64, size_t(iretq64_end - iretq64));
  r.cpu.rip = 0x20000;
  r.cpu.flags.set(fl::kFixed1 | fl::NT);
  CHECK(run_to_exception(r) == kGP);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.rip == 0x20000);
}

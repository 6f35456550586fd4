// Every exception vector vtlab raises, raised the way software meets it,
// and delivered in IA-32e mode: the handler that runs, whether an error
// code was pushed (it must be exactly when SDM Vol. 3A Table 6-1 and the
// exception table say so), its value, and the saved RIP (the faulting
// instruction for faults, the next one for traps). #MF comes with the x87
// part, #MC, #VE and #CP are never raised (no machine checks, no EPT
// violations to convert, no CET).
#include <string>

#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

constexpr u64 kCode = 0x20000, kStubs = 0x40000, kUnmapped = 0x60000;

struct Trigger {
  u8 vector;
  const char* how;
  std::initializer_list<u8> code;
  bool compat;   // run the code in compatibility mode at CPL 3
  bool user;     // run it at CPL 3 (64-bit mode)
  unsigned ret;  // saved RIP - kCode
  u32 error;     // if the vector has one
};

// DS is loaded with selector 40H, whose descriptor is not present (#NP);
// the TSS limit leaves no room for IST2 (#TS).
const Trigger kTriggers[] = {
    {kDE, "div ecx, ECX = 0", {0xf7, 0xf1}, false, false, 0, 0},
    {kDB, "int1", {0xf1}, false, false, 1, 0},
    {kNMI, "an NMI before the NOP", {0x90}, false, false, 0, 0},
    {kBP, "int3", {0xcc}, false, false, 1, 0},
    {kOF, "add al, 1 from 7FH; into (compatibility mode)", {0xb0, 0x7f, 0x04, 0x01, 0xce}, true, false, 5, 0},
    {kBR, "bound eax, [ebx] out of range (compatibility mode)", {0x62, 0x03}, true, false, 0, 0},
    {kUD, "ud2", {0x0f, 0x0b}, false, false, 0, 0},
    {kNM, "movaps xmm0, xmm1 with CR0.TS", {0x0f, 0x28, 0xc1}, false, false, 0, 0},
    {kDF, "ud2 whose gate is not present, #NP whose gate is not present", {0x0f, 0x0b}, false, false, 0, 0},
    {kTS, "int 50H through a gate on IST2, beyond the TSS limit", {0xcd, 0x50}, false, false, 0, 0x30},
    {kNP, "mov ds, ax: a descriptor not present", {0x8e, 0xd8}, false, false, 0, 0x40},
    {kSS, "mov eax, [rsp] with RSP not canonical", {0x8b, 0x04, 0x24}, false, false, 0, 0},
    {kGP, "mov eax, [rax] with RAX not canonical", {0x8b, 0x00}, false, false, 0, 0},
    {kPF, "a user write to a page that is not present", {0x89, 0x03}, false, true, 0, 2 | 4},
    {kAC, "a misaligned load at CPL 3 with CR0.AM and EFLAGS.AC", {0x8b, 0x43, 0x01}, false, true, 0, 0},
    {kXM, "divps xmm0, xmm1 by zero, #Z unmasked", {0x0f, 0x5e, 0xc1}, false, false, 0, 0},
};

}  // namespace

TEST_CASE("each exception pushes an error code exactly as the exception table says, and the right return RIP") {
  for (const Trigger& t : kTriggers) {
    const std::string how = t.how;
    CAPTURE(how);
    LongModeRig r;
    for (unsigned v = 0; v < 0x60; ++v) {
      r.gate(v, kStubs + 16 * v, 3, 1);  // IST1, DPL 3
      r.put(kStubs + 16 * v, {0xf4});
    }
    r.put(kCode, t.code);
    r.cpu.rip = kCode;
    r.set_pte(kUnmapped, 0);
    r.cpu.gpr[RCX] = 0;
    r.cpu.gpr[RAX] = t.vector == kNP ? 0x40 : u64(1) << 63;
    r.cpu.gpr[RBX] = t.vector == kPF ? kUnmapped : 0x3000;
    r.put(0x3000, {5, 0, 0, 0, 10, 0, 0, 0});  // BOUND limits [5, 10]; EAX = 0 is below
    r.cpu.gdtr.limit = 0x4f;
    r.put64(LongModeRig::kGdt + 0x40, seg_desc(0, 0xfffff, 0x12, kFlagG | kFlagDB));  // data, not present
    switch (t.vector) {
      case kNMI:
        r.cpu.raise_nmi();
        break;
      case kBR:
        r.cpu.gpr[RAX] = 0;
        break;
      case kNM:
        r.cpu.cr0 |= cr0::TS;
        r.cpu.cr4 |= cr4::OSFXSR | cr4::OSXMMEXCPT;
        break;
      case kDF:
        r.put64(LongModeRig::kIdt + 16 * kUD, r.get(LongModeRig::kIdt + 16 * kUD, 8) & ~(u64(1) << 47));
        r.put64(LongModeRig::kIdt + 16 * kNP, r.get(LongModeRig::kIdt + 16 * kNP, 8) & ~(u64(1) << 47));
        break;
      case kTS:
        r.put64(LongModeRig::kIdt + 16 * 0x50, r.get(LongModeRig::kIdt + 16 * 0x50, 8) | u64(3) << 32);  // IST3
        r.cpu.tr.limit = 0x2b;
        break;
      case kSS:
        r.cpu.gpr[RSP] = u64(1) << 47;
        break;
      case kAC:
        r.cpu.cr0 |= cr0::AM;
        break;
      case kXM:
        r.cpu.cr4 |= cr4::OSFXSR | cr4::OSXMMEXCPT;
        r.cpu.mxcsr = 0x1f80 & ~(1u << 9);                                 // ZM clear
        r.cpu.xmm[0] = Xmm{0x3f8000003f800000ull, 0x3f8000003f800000ull};  // 1.0f
        r.cpu.xmm[1] = Xmm{0, 0};
        break;
      default:
        break;
    }
    if (t.compat) r.enter_user(kCode, 0x30000, 0x1b);
    if (t.user) r.enter_user(kCode, 0x30000);
    if (t.vector == kAC) {
      r.cpu.flags.set(r.cpu.rflags() | fl::AC);
      r.cpu.mode_changed();  // EFLAGS set from outside: recompute what depends on it
    }
    CHECK(r.step(20) == StopCause::HaltedForever);
    REQUIRE(r.cpu.rip == kStubs + 16 * t.vector + 1);
    const bool has_error = exception_info(t.vector).error_code;
    // The frame on IST1: [error] RIP CS RFLAGS RSP SS, from the top.
    CHECK(r.cpu.gpr[RSP] == LongModeRig::kIstStack - (has_error ? 48 : 40));
    if (has_error) CHECK(r.get(LongModeRig::kIstStack - 48, 8) == t.error);
    if (t.vector != kDF) CHECK(r.get(LongModeRig::kIstStack - 40, 8) == kCode + t.ret);
  }
}

// Architectural behaviour a hostile guest found wrong in the foundation
// (issue 5 §6), each checked against the SDM section cited: where code is
// fetched from in 64-bit mode, canonical checks on interrupt delivery and
// IRETQ, execute rights of the second page of a page-crossing instruction,
// and the CS limit on instruction fetch.
#include <doctest/doctest.h>

#include "tests/support/cpu_rig.h"

namespace {

using namespace vtlab;
using namespace vtlab::testing;

constexpr u64 kNonCanonical = 0x0000800000000000ull;

// A #GP handler at 0x41000 that saves the error code in RAX and the pushed
// RIP in RBX, then halts.
void install_gp_recorder(LongModeRig& r) {
  r.gate(kGP, 0x41000);
  // mov rax, [rsp]; mov rbx, [rsp+8]; hlt
  r.put(0x41000, {0x48, 0x8b, 0x04, 0x24, 0x48, 0x8b, 0x5c, 0x24, 0x08, 0xf4});
}

// A #PF handler at 0x42000 saving the error code in RAX, the pushed RIP in
// RBX and CR2 in RCX.
void install_pf_recorder(LongModeRig& r) {
  r.gate(kPF, 0x42000);
  // mov rax, [rsp]; mov rbx, [rsp+8]; mov rcx, cr2; hlt
  r.put(0x42000, {0x48, 0x8b, 0x04, 0x24, 0x48, 0x8b, 0x5c, 0x24, 0x08, 0x0f, 0x20, 0xd1, 0xf4});
}

}  // namespace

TEST_CASE("64-bit mode ignores the CS base: a far JMP to a code descriptor with base 1 MiB runs at RIP (SDM Vol. 3A §3.4.4)") {
  LongModeRig r;
  r.put64(LongModeRig::kGdt + 0x38, seg_desc(0x100000, 0xfffff, kCodeAccess, kFlagG | kFlagL));
  r.cpu.rip = 0x20000;
  r.put(0x20000, {0xff, 0x2c, 0x25, 0x00, 0x30, 0x00, 0x00});  // jmp far [0x3000]
  r.put(0x3000, {0x00, 0x20, 0x00, 0x00, 0x38, 0x00});          // m16:32 = 0x38:0x2000
  r.put(0x2000, {0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4});          // mov eax, 1; hlt
  r.put(0x102000, {0xb8, 0x02, 0x00, 0x00, 0x00, 0xf4});        // mov eax, 2; hlt (at base + RIP)
  r.step(10);
  CHECK(r.cpu.seg[CS].selector == 0x38);
  CHECK(r.cpu.gpr[RAX] == 1);
  CHECK(r.cpu.rip == 0x2006);
}

TEST_CASE("INT n through a gate whose target is non-canonical raises #GP(0) at the INT (SDM Vol. 3A §6.14.1)") {
  LongModeRig r;
  install_gp_recorder(r);
  r.gate(0x80, kNonCanonical);
  r.cpu.rip = 0x20000;
  r.put(0x20000, {0xcd, 0x80, 0xf4});  // int 0x80; hlt
  r.step(10);
  CHECK(r.cpu.rip == 0x4100a);  // the #GP handler ran and halted
  CHECK(r.cpu.gpr[RAX] == 0);   // error code: EXT=0 for INT n
  CHECK(r.cpu.gpr[RBX] == 0x20000);
  CHECK(r.cpu.gpr[RSP] == LongModeRig::kKernelStack - 48);  // only the #GP frame was pushed
}

TEST_CASE("an exception through a gate whose target is non-canonical raises #GP(EXT=1)") {
  LongModeRig r;
  install_gp_recorder(r);
  r.gate(kUD, kNonCanonical);
  r.cpu.rip = 0x20000;
  r.put(0x20000, {0x0f, 0x0b});  // ud2
  r.step(10);
  CHECK(r.cpu.rip == 0x4100a);
  CHECK(r.cpu.gpr[RAX] == 1);  // EXT: the event came from outside the instruction stream
  CHECK(r.cpu.gpr[RBX] == 0x20000);
}

TEST_CASE("IRETQ to a non-canonical RIP raises #GP(0) with nothing changed (SDM Vol. 2 IRET)") {
  LongModeRig r;
  install_gp_recorder(r);
  const u64 frame = LongModeRig::kKernelStack - 0x100;
  r.put64(frame + 0, kNonCanonical);  // RIP
  r.put64(frame + 8, 0x08);           // CS
  r.put64(frame + 16, 0x2);           // RFLAGS
  r.put64(frame + 24, 0x80000);       // RSP
  r.put64(frame + 32, 0x10);          // SS
  r.cpu.gpr[RSP] = frame;
  r.cpu.rip = 0x20000;
  r.put(0x20000, {0x48, 0xcf});  // iretq
  r.step(10);
  CHECK(r.cpu.rip == 0x4100a);
  CHECK(r.cpu.gpr[RAX] == 0);
  CHECK(r.cpu.gpr[RBX] == 0x20000);                 // the IRETQ faulted
  // The #GP frame (error, RIP, CS, RFLAGS, RSP, SS) saved RSP as it was before the IRETQ.
  CHECK(r.get(frame - 48 + 32, 8) == frame);
}

TEST_CASE("an instruction crossing into a non-executable page raises #PF (I/D set, CR2 = that page) (SDM Vol. 3A §4.6, §4.7)") {
  LongModeRig r;
  install_pf_recorder(r);
  r.cpu.rip = 0x1ffd;
  r.put(0x1ffd, {0xb8, 0x11, 0x22, 0x33, 0x44, 0xf4});  // mov eax, 0x44332211 across the page end
  SUBCASE("NX on the second page") {
    r.set_pte(0x2000, 0x2000 | 7 | (u64(1) << 63));
    r.step(10);
    CHECK(r.cpu.gpr[RAX] == 0x11);  // present, supervisor, read, instruction fetch
    CHECK(r.cpu.gpr[RBX] == 0x1ffd);
    CHECK(r.cpu.gpr[RCX] == 0x2000);
  }
  SUBCASE("second page not present") {
    r.set_pte(0x2000, 0);
    r.step(10);
    CHECK(r.cpu.gpr[RAX] == 0x10);
    CHECK(r.cpu.gpr[RCX] == 0x2000);
  }
  SUBCASE("second page executable: the instruction runs") {
    r.step(2);
    CHECK(r.cpu.gpr[RAX] == 0x44332211);
  }
}

TEST_CASE("real mode: execution does not run past offset FFFFh into the next segment; #GP(0) instead (SDM Vol. 3B §22.33.1)") {
  CpuRig r;
  r.cpu.reset();
  r.cpu.load_segment_real(CS, 0);
  r.cpu.load_segment_real(SS, 0);
  r.cpu.gpr[RSP] = 0x7000;
  r.put(13 * 4, {0x00, 0x05, 0x00, 0x00});  // #GP -> 0000:0500
  r.put(0x500, {0xbb, 0x78, 0x56, 0xf4});   // mov bx, 0x5678; hlt
  r.put(0x10000, {0xb8, 0x34, 0x12, 0xf4}); // mov ax, 0x1234; hlt: past the segment, must not run
  SUBCASE("a one-byte instruction at FFFFh, then the fetch at 10000h faults") {
    r.cpu.rip = 0xffff;
    r.put(0xffff, {0x90});  // nop
    r.step(10);
    CHECK((r.cpu.gpr[RBX] & 0xffff) == 0x5678);
    CHECK((r.cpu.gpr[RAX] & 0xffff) != 0x1234);
    CHECK(r.get(0x7000 - 6, 2) == 0x0000);  // pushed IP: 10000h as a 16-bit IP
  }
  SUBCASE("an instruction straddling the limit faults at its start") {
    r.cpu.rip = 0xfffe;
    r.put(0xfffe, {0xb8, 0x34});  // mov ax, imm16 would need 10000h
    r.step(10);
    CHECK((r.cpu.gpr[RBX] & 0xffff) == 0x5678);
    CHECK(r.get(0x7000 - 6, 2) == 0xfffe);
  }
}

TEST_CASE("32-bit protected mode: a fetch beyond the CS limit raises #GP(0) (SDM Vol. 3A §5.3)") {
  CpuRig r;
  const u64 gdt = 0x5000;
  r.put64(gdt + 0x08, seg_desc(0x10000, 0x0fff, kCodeAccess, kFlagDB));  // limit 0xfff
  r.cpu.gdtr = TableReg{gdt, 0x0f};
  r.cpu.cr0 = cr0::PE | cr0::ET;
  r.cpu.seg[CS] = Cpu::segment_from_descriptor(0x08, r.mem.read(gdt + 0x08, 8));
  r.cpu.mode_changed();
  r.cpu.set_intercept_exceptions(true);
  r.cpu.rip = 0xffe;
  r.put(0x10ffe, {0x90, 0x90, 0x90, 0x90});  // two NOPs inside the limit, two beyond
  StopCause s = r.step(10);
  REQUIRE(s == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kGP);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.rip == 0x1000);
  CHECK(r.cpu.retired() == 2);
}

TEST_CASE("real mode: IRET to an IP above FFFFh raises #GP(0) (SDM Vol. 2 IRET)") {
  CpuRig r;
  r.cpu.reset();
  r.cpu.load_segment_real(CS, 0);
  r.cpu.load_segment_real(SS, 0);
  r.cpu.set_intercept_exceptions(true);
  r.cpu.gpr[RSP] = 0x7000;
  r.put(0x7000, {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00});  // EIP 10000h, CS 0, EFLAGS
  r.cpu.rip = 0x1000;
  r.put(0x1000, {0x66, 0xcf});  // iretd
  REQUIRE(r.step(5) == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kGP);
  CHECK(r.cpu.rip == 0x1000);
  CHECK((r.cpu.gpr[RSP] & 0xffff) == 0x7000);
}

// Where Intel and AMD hardware differ on behaviour the user-level instruction
// cases cannot express (CPL 0, segment bases, control transfers that AMD
// would send elsewhere), the interpreter follows Intel. One test per
// difference of docs/vendor-differences.md; each fails on the AMD behaviour.
#include <doctest/doctest.h>

#include "cpu/msr_table.h"
#include "tests/support/cpu_rig.h"

namespace {

using namespace vtlab;

using namespace vtlab::testing;

// 64-bit mode at CPL 0 (tests/support/cpu_rig.h), SYSCALL enabled, code at
// kCodeAt; exceptions stop the run (intercepted) instead of being delivered.
// The GDT has the IA32_STAR layout SYSCALL/SYSRET expect.
struct Rig : LongModeRig {
  static constexpr u64 kCodeAt = 0x20000, kStack = kKernelStack;
  Rig() {
    cpu.efer |= efer::SCE;
    cpu.rip = kCodeAt;
    cpu.set_intercept_exceptions(true);
  }
  // Compatibility mode at CPL 3 (selector 0x1b).
  void enter_compat_user() {
    cpu.seg[CS] = Cpu::segment_from_descriptor(0x1b, mem.read(kGdt + 0x18, 8));
    cpu.seg[SS] = Cpu::segment_from_descriptor(0x23, mem.read(kGdt + 0x20, 8));
    cpu.set_cpl(3);
    cpu.mode_changed();
  }
};

}  // namespace

TEST_CASE("null selector loads in 64-bit mode clear the hidden base (Intel; AMD keeps it)") {
  // Intel hardware loads the descriptor cache of DS/ES/FS/GS with a null
  // (unusable) descriptor whose base is 0. AMD keeps the old base unless
  // CPUID Fn8000_0021 EAX[6] (NullSelectClearsBase); Linux documents both
  // (X86_BUG_NULL_SEG). mov fs, ax / mov gs, ax / pop fs with ax = 0, then
  // read fs:[0x3000]: base 0 reads the marker at 0x3000.
  Rig r;
  r.cpu.seg[FS].base = 0x100000;
  r.cpu.seg[GS].base = 0x100000;
  r.put64(0x3000, 0x1111);
  r.put64(0x103000, 0x2222);
  // xor eax, eax; mov fs, ax; mov gs, ax; mov rbx, fs:[0x3000]; mov rcx, gs:[0x3000]
  r.put(Rig::kCodeAt, {0x31, 0xc0, 0x8e, 0xe0, 0x8e, 0xe8, 0x64, 0x48, 0x8b, 0x1c, 0x25, 0x00,
                       0x30, 0x00, 0x00, 0x65, 0x48, 0x8b, 0x0c, 0x25, 0x00, 0x30, 0x00, 0x00});
  r.step(5);
  CHECK(r.cpu.seg[FS].base == 0);
  CHECK(r.cpu.seg[GS].base == 0);
  CHECK(r.cpu.gpr[RBX] == 0x1111);
  CHECK(r.cpu.gpr[RCX] == 0x1111);

  // POP FS of a null selector does the same.
  Rig p;
  p.cpu.seg[FS].base = 0x100000;
  p.put64(Rig::kStack, 0);
  p.put(Rig::kCodeAt, {0x0f, 0xa1});  // pop fs
  p.step(1);
  CHECK(p.cpu.seg[FS].base == 0);
  CHECK(p.cpu.seg[FS].selector == 0);
}

TEST_CASE("SYSRET to a non-canonical RIP is #GP(0) at CPL 0 before any state changes (Intel; SDM Vol. 2 SYSRET)") {
  // AMD completes the return and faults at CPL 3 on the fetch; Intel checks
  // RCX first, so the #GP is taken at CPL 0 with the kernel's RSP.
  Rig r;
  r.cpu.msr.star = u64(0x18) << 48 | u64(0x08) << 32;
  r.cpu.gpr[RCX] = 0x0000800000000000ull;  // first non-canonical address
  r.cpu.gpr[R11] = 0x202;
  r.put(Rig::kCodeAt, {0x48, 0x0f, 0x07});  // sysretq
  StopCause s = r.step(1);
  REQUIRE(s == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kGP);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.cpl == 0);
  CHECK(r.cpu.seg[CS].selector == 0x08);
  CHECK(r.cpu.seg[SS].selector == 0x10);
  CHECK(r.cpu.rip == Rig::kCodeAt);
  CHECK(r.cpu.gpr[RSP] == Rig::kStack);

  // A canonical RCX returns to CPL 3 in 64-bit mode (the control case).
  Rig ok;
  ok.cpu.msr.star = u64(0x18) << 48 | u64(0x08) << 32;
  ok.cpu.gpr[RCX] = 0x21000;
  ok.cpu.gpr[R11] = 0x202;
  ok.put(Rig::kCodeAt, {0x48, 0x0f, 0x07});
  ok.put(0x21000, {0x90});
  ok.step(1);
  CHECK(ok.cpu.cpl == 3);
  CHECK(ok.cpu.seg[CS].selector == 0x2b);
  CHECK(ok.cpu.rip == 0x21000);
}

TEST_CASE("SYSCALL outside 64-bit mode is #UD (Intel; AMD runs it through IA32_CSTAR)") {
  // SDM Vol. 2 SYSCALL: IF (CS.L != 1) or (IA32_EFER.LMA != 1) or
  // (IA32_EFER.SCE != 1) THEN #UD.
  Rig r;
  r.cpu.msr.star = u64(0x18) << 48 | u64(0x08) << 32;
  r.cpu.msr.cstar = 0x22000;
  r.enter_compat_user();
  r.put(Rig::kCodeAt, {0x0f, 0x05});  // syscall
  StopCause s = r.step(1);
  REQUIRE(s == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kUD);
  CHECK(r.cpu.cpl == 3);
  CHECK(r.cpu.rip == Rig::kCodeAt);
}

TEST_CASE(
    "0x66 on near branches in 64-bit mode is ignored (Intel: 64-bit operand size; AMD truncates RIP to 16 bits)") {
  // SDM Vol. 2 JMP/CALL/RET: in 64-bit mode near branches use a 64-bit
  // operand size; the 0x66 prefix does not change it (the displacement stays
  // rel32 for E8/E9). Code sits at 0x20000, above 64 KiB, so a 16-bit RIP
  // would show.
  Rig r;
  // 66 e8 rel32 (call +0x10) -> 0x20016; there: 66 c3 (ret) -> 0x20006;
  // 66 eb 08 (jmp +8) -> 0x20011; there: 66 ff e0 (jmp rax) -> rax
  r.put(Rig::kCodeAt, {0x66, 0xe8, 0x10, 0x00, 0x00, 0x00, 0x66, 0xeb, 0x08});
  r.put(Rig::kCodeAt + 0x11, {0x66, 0xff, 0xe0});
  r.put(Rig::kCodeAt + 0x16, {0x66, 0xc3});
  r.put(0x23000, {0x90});
  r.cpu.gpr[RAX] = 0x23000;
  r.step(1);
  CHECK(r.cpu.rip == Rig::kCodeAt + 0x16);
  CHECK(r.cpu.gpr[RSP] == Rig::kStack - 8);  // an 8-byte return address
  CHECK(r.mem.read(Rig::kStack - 8, 8) == Rig::kCodeAt + 6);
  r.step(1);
  CHECK(r.cpu.rip == Rig::kCodeAt + 6);  // ret popped 8 bytes
  CHECK(r.cpu.gpr[RSP] == Rig::kStack);
  r.step(1);
  CHECK(r.cpu.rip == Rig::kCodeAt + 0x11);
  r.step(1);
  CHECK(r.cpu.rip == 0x23000);
}

TEST_CASE("far JMP/CALL and LFS with REX.W take an m16:64 pointer (Intel; AMD reads m16:32)") {
  // SDM Vol. 2 JMP "REX.W FF /5: JMP m16:64", LFS "REX.W 0F B4 /r: LFS
  // r64, m16:64". With AMD's m16:32 reading, the selector would come from
  // bytes 4-5 of the pointer (here 0: a null selector, #GP).
  Rig r;
  r.put64(0x4000, 0x21000);                                                // offset (8 bytes)
  r.put(0x4008, {0x08, 0x00});                                             // selector 0x08
  r.put(Rig::kCodeAt, {0x48, 0xff, 0x2c, 0x25, 0x00, 0x40, 0x00, 0x00});   // jmp far qword [0x4000]
  r.put(0x21000, {0x48, 0x0f, 0xb4, 0x04, 0x25, 0x10, 0x40, 0x00, 0x00});  // lfs rax, [0x4010]
  r.put64(0x4010, 0x123456789abcull);
  r.put(0x4018, {0x10, 0x00});
  StopCause s = r.step(2);
  CHECK(s != StopCause::Exception);
  CHECK(r.cpu.rip == 0x21009);
  CHECK(r.cpu.seg[CS].selector == 0x08);
  CHECK(r.cpu.gpr[RAX] == 0x123456789abcull);
  CHECK(r.cpu.seg[FS].selector == 0x10);
}

// SYSCALL/SYSRET, SWAPGS and the segment-base MSRs (SDM Vol. 2 SYSCALL,
// SYSRET, SWAPGS, WRMSR; Vol. 3A §5.8.8): flat selectors from IA32_STAR,
// RCX/R11 and IA32_FMASK, SYSRET to 64-bit and compatibility mode, their
// #UD and #GP(0) conditions, SWAPGS with IA32_KERNEL_GS_BASE, and FS/GS
// bases written through their MSRs (canonical or #GP(0)).
#include "cpu/msr_table.h"
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(syscall64);
SNIPPET(syscall32);
SNIPPET(sysretq64);
SNIPPET(sysretl64);
SNIPPET(swapgs64);
SNIPPET(ud2_32);

constexpr u64 kCode = 0x20000, kEntry = 0x40000;
// Linux's layout: kernel CS 10H / SS 18H; user CS32 23H, SS 2BH, CS64 33H.
constexpr u64 kStar = (u64(0x23) << 48) | (u64(0x10) << 32);
constexpr u64 kFmask = fl::TF | fl::DF | fl::IF | fl::AC | fl::NT;

struct SyscallRig : LongModeRig {
  SyscallRig(const u8* b, const u8* e) {
    mem.write_block(kCode, b, size_t(e - b));
    mem.write_block(kEntry, ud2_32, size_t(ud2_32_end - ud2_32));
    cpu.efer |= efer::SCE;
    REQUIRE(cpu.write_msr(msr_index::kStar, kStar));
    REQUIRE(cpu.write_msr(msr_index::kLstar, kEntry));
    REQUIRE(cpu.write_msr(msr_index::kSfmask, kFmask));
    cpu.rip = kCode;
    cpu.set_intercept_exceptions(true);
  }
  int run() { return run_to_exception(*this); }
};

}  // namespace

TEST_CASE("SYSCALL from 64-bit CPL 3: RIP from LSTAR, RCX and R11 saved, RFLAGS masked by FMASK, CS/SS from STAR") {
  SyscallRig r(syscall64, syscall64_end);
  r.enter_user(kCode, 0x30000);
  const u64 flags = fl::kFixed1 | fl::IF | fl::DF | fl::CF | fl::ZF;
  r.cpu.flags.set(flags);
  CHECK(r.run() == kUD);  // the UD2 at LSTAR
  CHECK(r.cpu.rip == kEntry);
  CHECK(r.cpu.gpr[RCX] == kCode + 2);
  CHECK(r.cpu.gpr[R11] == flags);
  CHECK(r.cpu.rflags() == (flags & ~kFmask));
  CHECK(r.cpu.cpl == 0);
  CHECK(r.cpu.seg[CS].selector == 0x10);
  CHECK(r.cpu.seg[SS].selector == 0x18);
  CHECK(r.cpu.long64());
  CHECK(r.cpu.gpr[RSP] == 0x30000);  // SYSCALL does not switch stacks
}

TEST_CASE("SYSCALL is #UD without EFER.SCE, and in compatibility mode on Intel") {
  SyscallRig r(syscall64, syscall64_end);
  r.cpu.efer &= ~efer::SCE;
  r.enter_user(kCode, 0x30000);
  CHECK(r.run() == kUD);
  CHECK(r.cpu.rip == kCode);
  SyscallRig c(syscall32, syscall32_end);
  c.enter_user(kCode, 0x30000, 0x1b);
  CHECK(c.run() == kUD);
  CHECK(c.cpu.rip == kCode);
  CHECK(c.cpu.cpl == 3);
}

TEST_CASE("SYSRET to 64-bit mode (REX.W) and to compatibility mode; RFLAGS from R11") {
  SyscallRig q(sysretq64, sysretq64_end);
  q.cpu.gpr[RCX] = 0x7fff00001000ull;
  q.cpu.gpr[R11] = fl::IF | fl::CF | fl::RF | fl::VM;  // RF and VM are not restored
  CHECK(q.step(1) == StopCause::InsnLimit);
  CHECK(q.cpu.rip == 0x7fff00001000ull);
  CHECK(q.cpu.cpl == 3);
  CHECK(q.cpu.seg[CS].selector == 0x33);
  CHECK(q.cpu.seg[SS].selector == 0x2b);
  CHECK(q.cpu.long64());
  CHECK(q.cpu.rflags() == (fl::kFixed1 | fl::IF | fl::CF));
  SyscallRig l(sysretl64, sysretl64_end);
  l.cpu.gpr[RCX] = 0xffffffff00002000ull;  // only ECX is used
  l.cpu.gpr[R11] = fl::IF;
  CHECK(l.step(1) == StopCause::InsnLimit);
  CHECK(l.cpu.rip == 0x2000);
  CHECK(l.cpu.seg[CS].selector == 0x23);
  CHECK(!l.cpu.long64());
  CHECK(l.cpu.code_size() == 4);
}

TEST_CASE("SYSRET: #GP(0) to a non-canonical RIP (at CPL 0, Intel) and at CPL 3; #UD without SCE") {
  SyscallRig r(sysretq64, sysretq64_end);
  r.cpu.gpr[RCX] = u64(1) << 47;
  CHECK(r.run() == kGP);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.cpl == 0);
  SyscallRig u(sysretq64, sysretq64_end);
  u.enter_user(kCode, 0x30000);
  u.cpu.gpr[RCX] = 0x1000;
  CHECK(u.run() == kGP);
  SyscallRig n(sysretq64, sysretq64_end);
  n.cpu.efer &= ~efer::SCE;
  CHECK(n.run() == kUD);
}

TEST_CASE("SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE at CPL 0; #GP(0) at CPL 3") {
  SyscallRig r(swapgs64, swapgs64_end);
  REQUIRE(r.cpu.write_msr(msr_index::kGsBase, 0x1111000));
  REQUIRE(r.cpu.write_msr(msr_index::kKernelGsBase, 0xffff888000000000ull));
  CHECK(r.run() == kUD);
  CHECK(r.cpu.seg[GS].base == 0xffff888000000000ull);
  u64 v = 0;
  REQUIRE(r.cpu.read_msr(msr_index::kKernelGsBase, v));
  CHECK(v == 0x1111000);
  r.enter_user(kCode, 0x30000);
  CHECK(r.run() == kGP);
  CHECK(r.cpu.seg[GS].base == 0xffff888000000000ull);
}

TEST_CASE("FS/GS bases through their MSRs: the segment base changes; non-canonical values are #GP(0)") {
  LongModeRig r;
  Cpu& c = r.cpu;
  CHECK(c.write_msr(msr_index::kFsBase, 0x7f0000001000ull));
  CHECK(c.seg[FS].base == 0x7f0000001000ull);
  u64 v = 0;
  REQUIRE(c.read_msr(msr_index::kFsBase, v));
  CHECK(v == 0x7f0000001000ull);
  for (u32 index : {msr_index::kFsBase, msr_index::kGsBase, msr_index::kKernelGsBase, msr_index::kLstar,
                    msr_index::kCstar, msr_index::kSysenterEip, msr_index::kSysenterEsp}) {
    CAPTURE(index);
    CHECK(!c.write_msr(index, u64(1) << 47));
  }
  CHECK(c.seg[FS].base == 0x7f0000001000ull);
}

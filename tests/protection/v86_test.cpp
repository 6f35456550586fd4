// Virtual-8086 mode (SDM Vol. 3A ch. 20): entered by IRET from CPL 0,
// left by an interrupt (the frame with ES DS FS GS, null data segments),
// INT n without VME (IOPL-sensitive) and with VME (the interrupt
// redirection bitmap, the IVT handler, VIF in the pushed FLAGS), CLI/STI/
// PUSHF under VME, and the I/O bitmap regardless of IOPL.
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(v86_int30);
SNIPPET(v86_cli_pushf_sti);
SNIPPET(v86_sti);
SNIPPET(v86_iret);
SNIPPET(v86_in);
SNIPPET(iret32);
SNIPPET(ud2_32);

void load(CpuRig& r, u64 at, const u8* b, const u8* e) { r.mem.write_block(at, b, size_t(e - b)); }

// A V86 task: CS:IP = 1000:0100 (code at 0x10100), SS:SP = 2000:FFF0; the
// kernel enters it with IRETD from CPL 0; #GP and #UD handlers are
// interrupt gates to UD2 stubs at 0x11000 / 0x11100, so a run stops there.
struct V86Rig : Prot32Rig {
  explicit V86Rig(u64 extra_flags = 0) {
    gate(13, 0x11000);
    gate(6, 0x11100);
    load(0x11000, ud2_32, ud2_32_end);
    load(0x11100, ud2_32, ud2_32_end);
    load(0x12000, iret32, iret32_end);
    const u64 sp = kKernelStack - 36;
    const u32 frame[9] = {0x100,  0x1000, u32(fl::VM | fl::kFixed1 | extra_flags), 0xfff0, 0x2000, 0x3000, 0x4000,
                          0x5000, 0x6000};  // EIP CS EFLAGS ESP SS ES DS FS GS
    for (unsigned k = 0; k < 9; ++k) put32(sp + 4 * k, frame[k]);
    cpu.gpr[RSP] = sp;
    cpu.rip = 0x12000;
  }
  // Runs the IRETD into V86 mode (one instruction).
  void enter() {
    cpu.set_intercept_exceptions(false);
    step(1);
  }
};

}  // namespace

TEST_CASE("IRETD with VM=1 at CPL 0 enters virtual-8086 mode with real-mode segments at CPL 3") {
  V86Rig r;
  load(r, 0x10100, v86_int30, v86_int30_end);
  r.enter();
  CHECK(r.cpu.v86());
  CHECK(r.cpu.cpl == 3);
  CHECK(r.cpu.rip == 0x100);
  CHECK(r.cpu.seg[CS].base == 0x10000);
  CHECK(r.cpu.seg[SS].base == 0x20000);
  CHECK(r.cpu.seg[ES].selector == 0x3000);
  CHECK(r.cpu.seg[GS].base == 0x60000);
  CHECK(r.cpu.gpr[RSP] == 0xfff0);
  CHECK(r.cpu.code_size() == 2);
}

TEST_CASE("INT n in V86 without VME and IOPL < 3: #GP(0) to the CPL 0 handler with the V86 frame") {
  V86Rig r;
  load(r, 0x10100, v86_int30, v86_int30_end);
  r.enter();
  r.step(1);  // INT 30h faults (no tick: it did not retire); the #GP's delivery
  CHECK(r.cpu.rip == 0x11000);
  CHECK(!r.cpu.v86());
  CHECK(r.cpu.cpl == 0);
  for (unsigned s : {DS, ES, FS, GS}) CHECK((r.cpu.seg[s].attr & ar::Unusable) != 0);
  // Frame on the TSS stack: error, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
  const u64 sp = r.cpu.gpr[RSP];
  CHECK(sp == Prot32Rig::kKernelStack - 40);
  const u32 want[10] = {0, 0x100, 0x1000, 0, 0xfff0, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000};
  for (unsigned k = 0; k < 10; ++k) {
    CAPTURE(k);
    if (k == 3)
      CHECK((r.get(sp + 12, 4) & fl::VM) != 0);
    else
      CHECK(r.get(sp + 4 * k, 4) == want[k]);
  }
}

TEST_CASE("INT n in V86 with IOPL 3 goes to the protected-mode handler through the IDT") {
  V86Rig r(fl::IOPL);
  r.gate(0x30, 0x11200, 3);
  load(r, 0x11200, ud2_32, ud2_32_end);
  load(r, 0x10100, v86_int30, v86_int30_end);
  r.enter();
  r.step(1);
  CHECK(r.cpu.rip == 0x11200);
  CHECK(r.cpu.cpl == 0);
  CHECK(r.get(r.cpu.gpr[RSP], 4) == 0x102);  // returns after INT 30h; no error code
}

TEST_CASE("VME: INT n with its redirection bit clear runs the 8086 handler from the IVT; FLAGS carries VIF as IF") {
  V86Rig r(fl::VIF);
  r.cpu.cr4 |= cr4::VME;
  r.put32(0x30 * 4, 0x7000'0040);  // IVT[30h] = 7000:0040
  load(r, 0x70040, ud2_32, ud2_32_end);
  load(r, 0x10100, v86_int30, v86_int30_end);
  r.enter();
  r.step(1);
  CHECK(r.cpu.v86());
  CHECK(r.cpu.seg[CS].selector == 0x7000);
  CHECK(r.cpu.rip == 0x40);
  CHECK(r.cpu.gpr[RSP] == 0xfff0 - 6);
  const u64 frame = 0x20000 + 0xfff0 - 6;
  CHECK(r.get(frame, 2) == 0x102);  // IP after INT
  CHECK(r.get(frame + 2, 2) == 0x1000);
  const u64 flags = r.get(frame + 4, 2);
  CHECK((flags & fl::IF) != 0);           // the VIF it had
  CHECK((flags & fl::IOPL) == fl::IOPL);  // IOPL shown as 3
  CHECK(!(r.cpu.rflags() & fl::VIF));     // VIF cleared, IF untouched
  // With the bit set (and IOPL < 3): #GP(0).
  V86Rig s;
  s.cpu.cr4 |= cr4::VME;
  s.put(Prot32Rig::kTss + Prot32Rig::kRedirMap + 0x30 / 8, {u8(1 << (0x30 % 8))});
  load(s, 0x10100, v86_int30, v86_int30_end);
  s.enter();
  s.step(1);
  CHECK(s.cpu.rip == 0x11000);
  CHECK(s.get(s.cpu.gpr[RSP], 4) == 0);  // #GP(0)
  CHECK(s.get(s.cpu.gpr[RSP] + 4, 4) == 0x100);
}

TEST_CASE("VME: CLI and STI change VIF, PUSHF shows VIF as IF; STI with VIP set is #GP(0)") {
  V86Rig r(fl::IF);
  r.cpu.cr4 |= cr4::VME;
  load(r, 0x10100, v86_cli_pushf_sti, v86_cli_pushf_sti_end);
  r.enter();
  r.cpu.flags.set(r.cpu.rflags() | fl::VIF);
  r.step(1);  // CLI
  CHECK(!(r.cpu.rflags() & fl::VIF));
  CHECK((r.cpu.rflags() & fl::IF) != 0);
  r.step(1);  // PUSHF
  const u64 pushed = r.get(0x20000 + 0xfff0 - 2, 2);
  CHECK(!(pushed & fl::IF));
  CHECK((pushed & fl::IOPL) == fl::IOPL);
  r.step(1);  // STI
  CHECK((r.cpu.rflags() & fl::VIF) != 0);
  CHECK(r.cpu.rip == 0x103);
  // Without VME the same CLI is #GP(0).
  V86Rig n(fl::IF);
  load(n, 0x10100, v86_cli_pushf_sti, v86_cli_pushf_sti_end);
  n.enter();
  n.step(1);
  CHECK(n.cpu.rip == 0x11000);
  // STI with VIP: #GP(0).
  V86Rig p(fl::VIP);
  p.cpu.cr4 |= cr4::VME;
  load(p, 0x10100, v86_sti, v86_sti_end);
  p.enter();
  p.step(1);
  CHECK(p.cpu.rip == 0x11000);
}

TEST_CASE("VME: the 16-bit IRET in V86 takes VIF from the popped IF") {
  V86Rig r;
  r.cpu.cr4 |= cr4::VME;
  load(r, 0x10100, v86_iret, v86_iret_end);
  r.enter();
  const u64 sp = 0x20000 + 0xfff0;
  r.put(sp, {0x00, 0x02, 0x00, 0x10, u8(fl::IF), u8(fl::IF >> 8)});  // IP 0200, CS 1000, FLAGS IF
  load(r, 0x10200, ud2_32, ud2_32_end);
  r.step(1);
  CHECK(r.cpu.rip == 0x200);
  CHECK((r.cpu.rflags() & fl::VIF) != 0);
  CHECK(!(r.cpu.rflags() & fl::IF));
  CHECK(r.cpu.v86());
}

TEST_CASE("IN in V86 consults the I/O bitmap whatever IOPL is") {
  V86Rig r(fl::IOPL);
  load(r, 0x10100, v86_in, v86_in_end);
  r.put(Prot32Rig::kTss + Prot32Rig::kIoMap + 0x71 / 8, {u8(1 << (0x71 % 8))});
  r.enter();
  r.step(1);
  CHECK(r.cpu.rip == 0x11000);  // #GP(0) although IOPL = 3
  V86Rig ok;
  load(ok, 0x10100, v86_in, v86_in_end);
  ok.enter();
  ok.step(1);
  CHECK(ok.cpu.rip == 0x102);  // allowed by the bitmap with IOPL 0
}

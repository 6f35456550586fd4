// Debug registers and debug exceptions (SDM Vol. 3A ch. 17/18 in the
// current numbering: §17.2 DR0-DR7, §17.3 #DB conditions): instruction
// breakpoints (faults, RF), data and I/O breakpoints (traps), single-step
// with BS, the MOV SS shadow holding it off, general detect; RF in the
// pushed EFLAGS of faults; NMIs and their blocking until IRET; #DF from a
// page fault during a page fault's delivery; the exception table.
#include <string>

#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(nops64);
SNIPPET(store_load64);
SNIPPET(out80_64);
SNIPPET(movss64);
SNIPPET(movdr0_64);
SNIPPET(loop64);
SNIPPET(iretq64);
SNIPPET(sti_nop64);
SNIPPET(hlt64);
SNIPPET(ud2_32);

void load(CpuRig& r, u64 at, const u8* b, const u8* e) { r.mem.write_block(at, b, size_t(e - b)); }

// DR7 for breakpoint i: local enable, R/W, LEN code.
u64 dr7_for(unsigned i, unsigned rw, unsigned len_code) {
  return (u64(1) << (2 * i)) | (u64(rw) << (16 + 4 * i)) | (u64(len_code) << (18 + 4 * i));
}

struct DebugRig : LongModeRig {
  DebugRig() { cpu.set_intercept_exceptions(true); }
  int run(u64 max = 50) {
    StopCause s = cpu.run(cpu.icount() + max);
    return s == StopCause::Exception ? cpu.intercepted_exception().vector : -1;
  }
};

struct NoIrq : InterruptSource {
  bool has_interrupt() override { return false; }
  u8 acknowledge() override { return 0; }
};

}  // namespace

TEST_CASE("instruction breakpoint: #DB fault before the instruction with B0; RF=1 lets it run once") {
  DebugRig r;
  load(r, 0x20000, nops64, nops64_end);
  r.cpu.write_dr(0, 0x20001);
  r.cpu.write_dr(7, dr7_for(0, 0, 0));
  r.cpu.rip = 0x20000;
  CHECK(r.run() == kDB);
  CHECK(r.cpu.rip == 0x20001);  // a fault: the instruction has not run
  CHECK((r.cpu.dr[6] & 0xf) == 1);
  r.cpu.flags.set(r.cpu.rflags() | fl::RF);
  CHECK(r.run() == kUD);  // RF suppressed the breakpoint for one instruction
  CHECK(r.cpu.rip == 0x20002);
  CHECK(!(r.cpu.rflags() & fl::RF));  // cleared after the instruction completed
  // Disabled in DR7: nothing.
  DebugRig d;
  load(d, 0x20000, nops64, nops64_end);
  d.cpu.write_dr(0, 0x20001);
  d.cpu.rip = 0x20000;
  CHECK(d.run() == kUD);
}

TEST_CASE("data breakpoints are traps after the access: write-only ignores reads, read/write catches both") {
  DebugRig r;
  load(r, 0x20000, store_load64, store_load64_end);
  r.cpu.gpr[RBX] = 0x30008;
  r.cpu.gpr[RAX] = 0x1234;
  r.cpu.write_dr(1, 0x3000a);           // inside the 4-byte store
  r.cpu.write_dr(7, dr7_for(1, 1, 3));  // write, 4 bytes (DR1 aligned down to 0x30008)
  r.cpu.rip = 0x20000;
  CHECK(r.run() == kDB);
  CHECK(r.cpu.rip == 0x20002);  // after the store: a trap
  CHECK(r.get(0x30008, 4) == 0x1234);
  CHECK((r.cpu.dr[6] & 0xf) == 2);  // B1
  CHECK(r.run() == kUD);            // the load does not match a write breakpoint
  DebugRig rw;
  load(rw, 0x20000, store_load64, store_load64_end);
  rw.cpu.gpr[RBX] = 0x30008;
  rw.cpu.write_dr(3, 0x30008);
  rw.cpu.write_dr(7, dr7_for(3, 3, 0));
  rw.cpu.rip = 0x20000;
  CHECK(rw.run() == kDB);
  CHECK(rw.cpu.rip == 0x20002);
  CHECK(rw.run() == kDB);
  CHECK(rw.cpu.rip == 0x20005);  // after the load
  CHECK((rw.cpu.dr[6] & 0xf) == 8);
}

TEST_CASE("I/O breakpoints need CR4.DE; they trap after IN/OUT") {
  DebugRig r;
  load(r, 0x20000, out80_64, out80_64_end);
  r.cpu.write_dr(2, 0x80);
  r.cpu.write_dr(7, dr7_for(2, 2, 0));
  r.cpu.rip = 0x20000;
  CHECK(r.run() == kUD);  // R/W = 10B without DE: no I/O breakpoint
  r.cpu.write_cr(4, r.cpu.cr4 | cr4::DE);
  r.cpu.rip = 0x20000;
  CHECK(r.run() == kDB);
  CHECK(r.cpu.rip == 0x20002);
  CHECK((r.cpu.dr[6] & 0xf) == 4);
}

TEST_CASE("single-step: #DB after each instruction with BS; after MOV SS it waits one more instruction") {
  DebugRig r;
  load(r, 0x20000, nops64, nops64_end);
  r.cpu.flags.set(fl::kFixed1 | fl::TF);
  r.cpu.rip = 0x20000;
  CHECK(r.run() == kDB);
  CHECK(r.cpu.rip == 0x20001);
  CHECK((r.cpu.dr[6] & dr6::BS) != 0);
  DebugRig s;
  load(s, 0x20000, movss64, movss64_end);
  s.cpu.flags.set(fl::kFixed1 | fl::TF);
  s.cpu.rip = 0x20000;
  CHECK(s.run() == kDB);
  CHECK(s.cpu.rip == 0x20003);  // after MOV AX, SS
  CHECK(s.run() == kDB);
  CHECK(s.cpu.rip == 0x20006);  // not after MOV SS, AX (0x20005) but after the NOP
}

TEST_CASE("general detect: MOV DR with DR7.GD is a #DB fault with BD; delivery clears GD") {
  DebugRig r;
  load(r, 0x20000, movdr0_64, movdr0_64_end);
  r.cpu.write_dr(7, dr7::GD);
  r.cpu.rip = 0x20000;
  CHECK(r.run() == kDB);
  CHECK(r.cpu.rip == 0x20000);
  CHECK((r.cpu.dr[6] & dr6::BD) != 0);
  LongModeRig d;
  d.gate(1, 0x40000);
  load(d, 0x40000, ud2_32, ud2_32_end);
  load(d, 0x20000, movdr0_64, movdr0_64_end);
  d.cpu.write_dr(7, dr7::GD);
  d.cpu.rip = 0x20000;
  d.step(1);
  CHECK(d.cpu.rip == 0x40000);
  CHECK(!(d.cpu.dr[7] & dr7::GD));
}

TEST_CASE("faults push EFLAGS with RF=1, traps and instruction breakpoints with RF=0 (SDM §17.3.1.1)") {
  LongModeRig r;
  r.gate(13, 0x40000);
  r.gate(3, 0x40000);
  r.gate(1, 0x40000);
  load(r, 0x40000, ud2_32, ud2_32_end);
  r.put(0x20000, {0x8e, 0xd8});  // mov ds, ax: #GP(0x400)
  r.cpu.gpr[RAX] = 0x400;
  r.cpu.rip = 0x20000;
  r.step(1);
  REQUIRE(r.cpu.rip == 0x40000);
  CHECK((r.get(LongModeRig::kKernelStack - 24, 8) & fl::RF) != 0);  // RFLAGS of the #GP frame
  CHECK(!(r.cpu.rflags() & fl::RF));                                // the handler runs with RF=0
  LongModeRig t;
  t.gate(3, 0x40000);
  load(t, 0x40000, ud2_32, ud2_32_end);
  t.put(0x20000, {0xcc});
  t.cpu.rip = 0x20000;
  t.step(1);
  REQUIRE(t.cpu.rip == 0x40000);
  CHECK(!(t.get(LongModeRig::kKernelStack - 24, 8) & fl::RF));
  LongModeRig b;
  b.gate(1, 0x40000);
  load(b, 0x40000, ud2_32, ud2_32_end);
  load(b, 0x20000, nops64, nops64_end);
  b.cpu.write_dr(0, 0x20000);
  b.cpu.write_dr(7, dr7_for(0, 0, 0));
  b.cpu.rip = 0x20000;
  b.step(1);
  REQUIRE(b.cpu.rip == 0x40000);
  CHECK(b.get(LongModeRig::kKernelStack - 40, 8) == 0x20000);
  CHECK(!(b.get(LongModeRig::kKernelStack - 24, 8) & fl::RF));
}

TEST_CASE("NMI: delivered with IF=0, blocked until IRET, then the next one is taken") {
  LongModeRig r;
  r.gate(2, 0x40000);
  load(r, 0x40000, iretq64, iretq64_end);
  load(r, 0x20000, loop64, loop64_end);
  r.cpu.rip = 0x20000;
  r.cpu.flags.set(fl::kFixed1);  // IF=0
  r.step(5);
  r.cpu.raise_nmi();
  r.step(1);  // the NMI's delivery
  CHECK(r.cpu.rip == 0x40000);
  CHECK(r.cpu.deliveries() == 1);
  r.cpu.raise_nmi();  // while the handler runs: held
  CHECK(r.cpu.nmi_pending());
  r.step(1);  // IRETQ
  CHECK(r.cpu.deliveries() == 1);
  r.step(1);  // now the second NMI is delivered
  CHECK(r.cpu.deliveries() == 2);
  CHECK(r.cpu.rip == 0x40000);
  CHECK(!r.cpu.nmi_pending());
}

TEST_CASE("the MOV SS shadow holds an NMI for one instruction; STI's shadow holds interrupts, not NMIs") {
  LongModeRig r;
  r.gate(2, 0x40000);
  load(r, 0x40000, ud2_32, ud2_32_end);
  load(r, 0x20000, movss64, movss64_end);
  r.cpu.rip = 0x20000;
  r.step(2);  // MOV AX, SS; MOV SS, AX
  r.cpu.raise_nmi();
  r.step(1);  // the NOP in the shadow runs first
  CHECK(r.cpu.rip == 0x20006);
  r.step(1);
  CHECK(r.cpu.rip == 0x40000);
  LongModeRig s;
  s.gate(2, 0x40000);
  load(s, 0x40000, ud2_32, ud2_32_end);
  load(s, 0x20000, sti_nop64, sti_nop64_end);
  s.cpu.rip = 0x20000;
  s.cpu.flags.set(fl::kFixed1);
  s.step(1);  // STI: shadow
  s.cpu.raise_nmi();
  s.step(1);
  CHECK(s.cpu.rip == 0x40000);  // taken at once
  CHECK(s.get(LongModeRig::kKernelStack - 40, 8) == 0x20001);
}

TEST_CASE("HLT is woken by an NMI raised by a timer event") {
  LongModeRig r;
  NoIrq none;
  r.cpu.set_interrupt_source(&none);
  r.gate(2, 0x40000);
  load(r, 0x40000, ud2_32, ud2_32_end);
  load(r, 0x20000, hlt64, hlt64_end);
  r.cpu.rip = 0x20000;
  r.cpu.flags.set(fl::kFixed1 | fl::IF);
  r.sched.schedule_at(1000, "nmi", [&] { r.cpu.raise_nmi(); });
  r.step(1000 + 2);
  CHECK(r.cpu.rip == 0x40000);
  CHECK(!r.cpu.halted);
  CHECK(r.get(LongModeRig::kKernelStack - 40, 8) == 0x20001);  // returns after the HLT
}

TEST_CASE("#PF while delivering #PF becomes #DF (SDM Table 6-5); #DF pushes error code 0") {
  LongModeRig r;
  r.gate(14, 0x40000);
  r.gate(8, 0x41000, 0, 1);  // #DF on IST1
  load(r, 0x41000, ud2_32, ud2_32_end);
  r.set_pte(LongModeRig::kKernelStack - 8, 0);  // the page RSP0 pushes onto: not present
  r.enter_user(0x20000, 0x30000);
  r.put(0x20000, {0xc6, 0x04, 0x25, 0x10, 0x00, 0x30, 0x00, 0x01});  // mov byte [0x300010], 1
  r.step(1);  // the store faults; one delivery tick: #PF, then #DF
  CHECK(r.cpu.rip == 0x41000);
  CHECK(r.get(LongModeRig::kIstStack - 48, 8) == 0);        // #DF error code
  CHECK(r.get(LongModeRig::kIstStack - 40, 8) == 0x20000);  // the first fault's instruction
  CHECK(r.cpu.cr2 == LongModeRig::kKernelStack - 8);        // CR2 of the second #PF
}

TEST_CASE("the exception table: classes and error codes of SDM Table 6-1 and 6-4") {
  CHECK(exception_info(kPF).error_code);
  CHECK(exception_info(kAC).error_code);
  CHECK(exception_info(kDF).kind == ExceptionKind::Abort);
  CHECK(!exception_info(kUD).error_code);
  CHECK(exception_info(kBP).kind == ExceptionKind::Trap);
  CHECK(fault_class(kGP) == FaultClass::Contributory);
  CHECK(fault_class(kPF) == FaultClass::PageFault);
  CHECK(fault_class(kUD) == FaultClass::Benign);
  CHECK(exception_info(0x80).kind == ExceptionKind::Interrupt);
  CHECK(std::string(vector_name(kCP)) == "#CP");
}

// The interrupt shadow and HLT (SDM Vol. 2 STI, MOV, POP, HLT; Vol. 3A
// §6.8.3): STI delays interrupts only when it sets IF (in STI; STI the
// second does not), the shadow ends when another event is delivered (STI
// followed by a faulting instruction), POP SS holds interrupts and a
// single-step trap for one instruction, STI; HLT takes a pending interrupt
// after the HLT, and a HLT with IF=0 stops the run but an NMI raised
// afterwards still wakes it.
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(sti_sti64);
SNIPPET(sti_ud2_64);
SNIPPET(sti_hlt64);
SNIPPET(hlt64);
SNIPPET(pop_ss32);
SNIPPET(ud2_32);

constexpr u64 kCode = 0x20000, kIrqHandler = 0x40000, kUdHandler = 0x41000, kNmiHandler = 0x42000;

struct Irq final : InterruptSource {
  bool pending = false;
  unsigned acks = 0;
  bool has_interrupt() override { return pending; }
  u8 acknowledge() override {
    pending = false;
    ++acks;
    return 0x30;
  }
};

// 64-bit mode at CPL 0, IF=0; vector 30H, #UD and NMI handlers are UD2
// stubs (interrupt gates, except #UD: a trap gate, so IF stays as it was);
// exceptions intercepted, so a run stops at the first UD2 it meets.
struct ShadowRig : LongModeRig {
  Irq irq;
  ShadowRig(const u8* b, const u8* e) {
    mem.write_block(kCode, b, size_t(e - b));
    for (u64 h : {kIrqHandler, kUdHandler, kNmiHandler}) mem.write_block(h, ud2_32, size_t(ud2_32_end - ud2_32));
    gate(0x30, kIrqHandler);
    gate(2, kNmiHandler);
    gate(kUD, kUdHandler);
    put64(kIdt + 16 * kUD, get(kIdt + 16 * kUD, 8) | u64(1) << 40);  // type 0xF: trap gate
    cpu.set_interrupt_source(&irq);
    cpu.rip = kCode;
    cpu.set_intercept_exceptions(true);
  }
  // At a handler's first instruction: the return RIP of the frame just pushed.
  u64 pushed_rip() { return get(cpu.gpr[RSP], 8); }
};

}  // namespace

TEST_CASE("STI; STI: only an STI that sets IF delays interrupts; the pending one is taken after the second STI") {
  ShadowRig r(sti_sti64, sti_sti64_end);
  r.irq.pending = true;
  CHECK(run_to_exception(r) == kUD);
  CHECK(r.cpu.rip == kIrqHandler);
  CHECK(r.pushed_rip() == kCode + 2);  // the first NOP had not run
  CHECK(r.irq.acks == 1);
}

TEST_CASE("the STI shadow ends when another event is delivered: a fault in it, then the interrupt at once") {
  ShadowRig r(sti_ud2_64, sti_ud2_64_end);
  r.irq.pending = true;
  r.cpu.set_intercept_exceptions(false);  // deliver the #UD
  r.mem.write_block(kUdHandler, hlt64, size_t(hlt64_end - hlt64));
  r.step(3);  // STI, the #UD's delivery (through a trap gate: IF stays 1), the interrupt's
  CHECK(r.irq.acks == 1);
  CHECK(r.cpu.rip == kIrqHandler);
  // The interrupt arrived before the #UD handler's first instruction ran.
  CHECK(r.pushed_rip() == kUdHandler);
}

TEST_CASE("POP SS holds a pending interrupt for one instruction (SDM Vol. 2 POP)") {
  Prot32Rig r;
  Irq irq;
  r.cpu.set_interrupt_source(&irq);
  r.gate(0x30, 0x11000);
  r.load(0x11000, ud2_32, ud2_32_end);
  r.load(Prot32Rig::kCode, pop_ss32, pop_ss32_end);
  r.cpu.rip = Prot32Rig::kCode;
  r.cpu.flags.set(fl::kFixed1 | fl::IF);
  r.step(2);  // PUSH SS; POP SS
  irq.pending = true;
  r.step(1);  // the first NOP, in the shadow
  CHECK(irq.acks == 0);
  CHECK(r.cpu.rip == Prot32Rig::kCode + 3);
  r.step(1);  // now the interrupt
  CHECK(irq.acks == 1);
  CHECK(r.cpu.rip == 0x11000);
  CHECK(r.get(Prot32Rig::kKernelStack - 12, 4) == Prot32Rig::kCode + 3);
}

TEST_CASE("POP SS holds a single-step trap for one instruction: the #DB comes after the next one") {
  Prot32Rig r;
  r.load(Prot32Rig::kCode, pop_ss32, pop_ss32_end);
  r.cpu.rip = Prot32Rig::kCode;
  r.cpu.flags.set(fl::kFixed1 | fl::TF);
  r.cpu.set_intercept_exceptions(true);
  CHECK(r.step(5) == StopCause::Exception);  // PUSH SS: a trap after it
  CHECK(r.cpu.intercepted_exception().vector == kDB);
  CHECK(r.cpu.rip == Prot32Rig::kCode + 1);
  CHECK(r.step(5) == StopCause::Exception);  // POP SS, then the NOP: one trap after the NOP
  CHECK(r.cpu.intercepted_exception().vector == kDB);
  CHECK(r.cpu.rip == Prot32Rig::kCode + 3);
  CHECK((r.cpu.dr[6] & dr6::BS) != 0);
}

TEST_CASE("STI; HLT with an interrupt pending: HLT runs, the interrupt wakes it at once, returning after the HLT") {
  ShadowRig r(sti_hlt64, sti_hlt64_end);
  r.irq.pending = true;
  r.sched.schedule_at(1'000'000, "far", [] {});
  CHECK(run_to_exception(r, 100) == kUD);
  CHECK(r.cpu.rip == kIrqHandler);
  CHECK(r.pushed_rip() == kCode + 2);  // after the HLT
  CHECK(!r.cpu.halted);
  CHECK(r.cpu.icount() < 10);  // no time skipped
}

TEST_CASE("HLT with IF=0 stops the run; an NMI raised afterwards wakes it, returning after the HLT") {
  ShadowRig r(hlt64, hlt64_end);
  r.irq.pending = true;  // masked: IF=0
  CHECK(r.step(100) == StopCause::HaltedForever);
  CHECK(r.cpu.stop_detail() == "HLT with interrupts disabled");
  CHECK(r.cpu.halted);
  CHECK(r.step(100) == StopCause::HaltedForever);  // still nothing to wake it
  r.cpu.raise_nmi();                               // another agent (the chipset, another vCPU)
  CHECK(run_to_exception(r) == kUD);
  CHECK(r.cpu.rip == kNmiHandler);
  CHECK(r.pushed_rip() == kCode + 1);
  CHECK(r.irq.acks == 0);
}

TEST_CASE("HLT with IF=1 and no event that could wake it stops the run") {
  ShadowRig r(hlt64, hlt64_end);
  r.cpu.flags.set(fl::kFixed1 | fl::IF);
  CHECK(r.step(100) == StopCause::HaltedForever);
  CHECK(r.cpu.stop_detail() == "HLT with nothing to wake it");
}

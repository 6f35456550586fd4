// MONITOR/MWAIT (SDM Vol. 2 MONITOR, MWAIT; Vol. 3A §9.10.4): CPL 0 only
// and only while IA32_MISC_ENABLE[18] enables them (#UD otherwise), the
// #GP(0) for reserved extensions, MONITOR's byte-load checks (#PF, segment
// overrides), MWAIT as a NOP when nothing is armed or the line was written
// since MONITOR, and the wait itself: ended by a store to the line (from a
// device), by an interrupt (delivered with IF=1; with IF=0 only with ECX[0]
// and then not delivered), by an NMI, by a single-step trap; virtual time
// jumps to the event as for HLT; and a whole machine idling in MWAIT
// between the 8254's interrupts.
#include <vector>

#include "core/machine/machine.h"
#include "cpu/cpuid_table.h"
#include "cpu/msr_table.h"
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(monitor64);
SNIPPET(fs_monitor64);
SNIPPET(mwait64);
SNIPPET(monitor_mwait64);
SNIPPET(monitor_store_mwait64);
SNIPPET(monitor_sti_mwait64);
SNIPPET(idle_loop64);
SNIPPET(count_irq64);
SNIPPET(ud2_32);
SNIPPET(mwait_guest);

constexpr u64 kCode = 0x20000, kLine = 0x50040, kHandler = 0x40000;

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

// 64-bit mode at CPL 0 with `code` at kCode, RAX = kLine, interrupts off,
// vector 0x30 and NMI to UD2 stubs (so an interrupt delivered stops a run
// with exceptions intercepted at the stub).
struct MwaitRig : LongModeRig {
  Irq irq;
  MwaitRig(const u8* b, const u8* e) {
    mem.write_block(kCode, b, size_t(e - b));
    mem.write_block(kHandler, ud2_32, size_t(ud2_32_end - ud2_32));
    gate(0x30, kHandler);
    gate(2, kHandler);
    cpu.set_interrupt_source(&irq);
    cpu.gpr[RAX] = kLine;
    cpu.rip = kCode;
    cpu.set_intercept_exceptions(true);
  }
  int run(u64 max = 100) {
    StopCause s = step(max);
    if (s == StopCause::HaltedForever) return -2;
    return s == StopCause::Exception ? cpu.intercepted_exception().vector : -1;
  }
};

}  // namespace

TEST_CASE("MONITOR/MWAIT: #UD at CPL 3 and while IA32_MISC_ENABLE[18] is clear; CPUID follows the bit") {
  u32 r[4];
  {
    MwaitRig m(monitor64, monitor64_end);
    m.cpu.cpuid(1, 0, r);
    CHECK((r[2] & (1u << 3)) != 0);  // reported at power-on
    m.cpu.cpuid(5, 0, r);
    CHECK(r[0] == 64);                // smallest monitor line
    CHECK(r[1] == 64);                // largest
    CHECK(r[2] == 3);                 // extensions enumerated, interrupts as break events
    CHECK(((r[3] >> 4) & 0xf) != 0);  // C1 sub-states for MWAIT hints
    m.enter_user(kCode, 0x30000);
    m.cpu.gpr[RAX] = kLine;
    CHECK(m.run() == kUD);
    CHECK(m.cpu.rip == kCode);
    CHECK(!m.cpu.monitor_armed());
  }
  {
    MwaitRig m(mwait64, mwait64_end);
    m.enter_user(kCode, 0x30000);
    CHECK(m.run() == kUD);
    CHECK(m.cpu.rip == kCode);
  }
  for (bool use_mwait : {false, true}) {
    MwaitRig m(use_mwait ? mwait64 : monitor64, use_mwait ? mwait64_end : monitor64_end);
    REQUIRE(m.cpu.write_msr(msr_index::kMiscEnable, m.cpu.msr.misc_enable & ~misc_enable::kMonitorEnable));
    m.cpu.cpuid(1, 0, r);
    CHECK((r[2] & (1u << 3)) == 0);
    CHECK(m.run() == kUD);
    CHECK(m.cpu.rip == kCode);
  }
}

TEST_CASE("MONITOR with ECX != 0 and MWAIT with a reserved extension bit raise #GP(0)") {
  MwaitRig m(monitor64, monitor64_end);
  m.cpu.gpr[RCX] = 1;
  CHECK(m.run() == kGP);
  CHECK(m.cpu.intercepted_exception().error == 0);
  CHECK(!m.cpu.monitor_armed());
  m.cpu.gpr[RCX] = u64(1) << 32;  // 64-bit mode: all of RCX counts
  CHECK(m.run() == kGP);
  MwaitRig w(mwait64, mwait64_end);
  for (u64 ecx : {u64(2), u64(0x80000001), u64(1) << 40}) {
    w.cpu.gpr[RCX] = ecx;
    w.cpu.rip = kCode;
    CAPTURE(ecx);
    CHECK(w.run() == kGP);
    CHECK(w.cpu.rip == kCode);
  }
}

TEST_CASE(
    "MONITOR checks its address like a byte load: #PF with CR2 on a not-present page; a segment override applies") {
  MwaitRig m(monitor64, monitor64_end);
  m.set_pte(0x60000, 0);
  m.cpu.gpr[RAX] = 0x60010;
  CHECK(m.run() == kPF);
  CHECK(m.cpu.intercepted_exception().error == 0);  // supervisor read of a not-present page
  CHECK(m.cpu.intercepted_exception().fault_address == 0x60010);
  CHECK(!m.cpu.monitor_armed());
  m.cpu.gpr[RAX] = u64(1) << 47;  // not canonical
  m.cpu.rip = kCode;
  CHECK(m.run() == kGP);

  // FS:RAX with FS.base = 0x10000: the line armed is the one at 0x10000 + RAX.
  MwaitRig f(fs_monitor64, fs_monitor64_end);
  f.cpu.seg[FS].base = 0x10000;
  f.cpu.gpr[RAX] = kLine;
  CHECK(f.run() == kUD);  // ran to the UD2
  REQUIRE(f.cpu.monitor_armed());
  f.mem.write(kLine, 4, 1);  // not the monitored line
  f.mem.write_block(kCode, mwait64, size_t(mwait64_end - mwait64));
  f.cpu.rip = kCode;
  f.sched.schedule_at(f.cpu.icount() + 500, "dma", [&] { f.mem.write(0x10000 + kLine + 4, 1, 0x5a); });
  CHECK(f.run(1000) == kUD);
  CHECK(f.cpu.gpr[RBX] == 1);    // the wait ended...
  CHECK(f.cpu.icount() >= 500);  // ...at the store, not before
}

TEST_CASE("MWAIT without an armed monitor, or after a store to the line, returns at once") {
  MwaitRig m(mwait64, mwait64_end);
  m.sched.schedule_at(1'000'000, "far", [] {});
  CHECK(m.run() == kUD);
  CHECK(m.cpu.gpr[RBX] == 1);
  CHECK(m.cpu.icount() < 10);  // no wait
  MwaitRig s(monitor_store_mwait64, monitor_store_mwait64_end);
  s.sched.schedule_at(1'000'000, "far", [] {});
  CHECK(s.run() == kUD);
  CHECK(s.cpu.gpr[RBX] == 1);
  CHECK(s.cpu.icount() < 10);
  CHECK(s.mem.read(kLine + 8, 4) == 1);
  CHECK(!s.cpu.monitor_armed());  // MWAIT leaves the monitor unarmed
}

TEST_CASE("MWAIT waits until a device stores to the monitored line; virtual time jumps to the store") {
  MwaitRig m(monitor_mwait64, monitor_mwait64_end);
  m.sched.schedule_at(40'000, "dma", [&] { m.mem.write(kLine + 60, 1, 0xff); });  // the line's last byte
  StopCause s = m.step(30'000);
  CHECK(s == StopCause::InsnLimit);
  CHECK(m.cpu.waiting_in_mwait());
  CHECK(m.cpu.gpr[RBX] == 0);
  CHECK(m.run(100'000) == kUD);
  CHECK(m.cpu.gpr[RBX] == 1);
  CHECK(m.cpu.rip == kCode + 9);  // the UD2 after INC RBX: MWAIT resumed at the next instruction
  CHECK(m.cpu.icount() >= 40'000);
  CHECK(m.cpu.retired() == 3);  // MONITOR, MWAIT, INC
  CHECK(m.irq.acks == 0);
  // A store just past the line does not end a wait.
  MwaitRig n(monitor_mwait64, monitor_mwait64_end);
  n.sched.schedule_at(1'000, "next line", [&] { n.mem.write(kLine + 64, 1, 0xff); });
  n.sched.schedule_at(9'000, "line", [&] { n.mem.write(kLine, 1, 0xff); });
  CHECK(n.run(100'000) == kUD);
  CHECK(n.cpu.icount() >= 9'000);
}

TEST_CASE("MWAIT with IF=1 is ended by an interrupt, which is delivered with the return address after MWAIT") {
  MwaitRig m(monitor_sti_mwait64, monitor_sti_mwait64_end);
  m.sched.schedule_at(5'000, "irq", [&] { m.irq.pending = true; });
  CHECK(m.run(100'000) == kUD);
  CHECK(m.cpu.rip == kHandler);  // the interrupt handler's UD2
  CHECK(m.irq.acks == 1);
  CHECK(m.get(LongModeRig::kKernelStack - 40, 8) == kCode + 7);  // return RIP: after MWAIT (monitor 3, sti 1, mwait 3)
  CHECK(m.cpu.gpr[RBX] == 0);
  CHECK(m.cpu.icount() >= 5'000);
  CHECK(!m.cpu.halted);
}

TEST_CASE("MWAIT with IF=0: an interrupt ends the wait only with ECX[0]=1, and is not delivered") {
  MwaitRig m(monitor_mwait64, monitor_mwait64_end);
  m.cpu.gpr[RCX] = 0;
  // Monitor armed with ECX=0 (MONITOR needs it), then ECX=1 for MWAIT.
  m.step(1);
  REQUIRE(m.cpu.monitor_armed());
  m.cpu.gpr[RCX] = 1;
  m.sched.schedule_at(m.cpu.icount() + 2'000, "irq", [&] { m.irq.pending = true; });
  CHECK(m.run(100'000) == kUD);
  CHECK(m.cpu.gpr[RBX] == 1);  // MWAIT returned...
  CHECK(m.irq.acks == 0);      // ...with the interrupt still pending (IF=0)
  CHECK(m.irq.pending);
  CHECK(m.cpu.icount() >= 2'000);

  // ECX=0: a masked interrupt does not end it; with nothing else to come,
  // the run stops (as HLT with IF=0 does).
  MwaitRig z(monitor_mwait64, monitor_mwait64_end);
  z.sched.schedule_at(2'000, "irq", [&] { z.irq.pending = true; });
  CHECK(z.run(100'000) == -2);
  CHECK(z.cpu.waiting_in_mwait());
  CHECK(z.cpu.stop_detail() == "MWAIT with interrupts disabled");
  CHECK(z.irq.acks == 0);
}

TEST_CASE("an NMI ends MWAIT and is delivered with the return address after MWAIT") {
  MwaitRig m(monitor_mwait64, monitor_mwait64_end);
  m.sched.schedule_at(1'000'000, "far", [] {});
  CHECK(m.step(500) == StopCause::InsnLimit);
  REQUIRE(m.cpu.waiting_in_mwait());
  m.cpu.raise_nmi();  // another agent (an NMI IPI, the chipset)
  CHECK(m.run() == kUD);
  CHECK(m.cpu.rip == kHandler);
  CHECK(m.get(LongModeRig::kKernelStack - 40, 8) == kCode + 6);
  CHECK(!m.cpu.halted);
}

TEST_CASE("a single-step trap after MWAIT ends the wait at once (a debug exception is a break event)") {
  MwaitRig m(monitor_mwait64, monitor_mwait64_end);
  m.cpu.set_intercept_exceptions(false);  // deliver the #DB, to see the wait end
  m.gate(1, kHandler + 0x200);
  m.put(kHandler + 0x200, {0xf4});  // hlt (IF=0: the run stops there)
  m.sched.schedule_at(1'000'000, "far", [] {});
  m.step(1);  // MONITOR
  m.cpu.flags.set(m.cpu.rflags() | fl::TF);
  CHECK(m.step(100) == StopCause::HaltedForever);
  CHECK(m.cpu.rip == kHandler + 0x201);                          // in the #DB handler
  CHECK(m.get(LongModeRig::kKernelStack - 40, 8) == kCode + 6);  // trap after MWAIT
  CHECK((m.cpu.dr[6] & dr6::BS) != 0);
  CHECK(!m.cpu.waiting_in_mwait());
  CHECK(m.cpu.icount() < 100);
}

TEST_CASE("an OS idle loop: MONITOR the flag, MWAIT with IF=0 and ECX=1, take interrupts, stop when the flag is set") {
  MwaitRig m(idle_loop64, idle_loop64_end);
  m.mem.write_block(kHandler + 0x100, count_irq64, size_t(count_irq64_end - count_irq64));
  m.gate(0x30, kHandler + 0x100);
  m.sched.schedule_at(10'000, "timer", [&] { m.irq.pending = true; });
  m.sched.schedule_at(20'000, "timer", [&] { m.irq.pending = true; });
  m.sched.schedule_at(30'000, "wake", [&] { m.mem.write(kLine, 4, 1); });  // another agent sets the flag
  CHECK(m.run(1'000'000) == kUD);
  CHECK(m.get(kLine + 0x100, 8) == 2);  // both interrupts were handled
  CHECK(m.irq.acks == 2);
  CHECK(m.cpu.gpr[RBX] == 3);  // MWAIT returned three times: two interrupts, one store
  CHECK(m.cpu.icount() >= 30'000);
  CHECK(m.cpu.retired() < 60);  // and never spun
}

TEST_CASE("a whole machine idles in MWAIT between the 8254's interrupts: one wake per interrupt, time jumps") {
  MachineConfig cfg;
  cfg.hash_at_end = false;
  Machine m(cfg);
  BootImage img;
  img.blobs.push_back(BootBlob{0x100000, std::vector<u8>(mwait_guest, mwait_guest_end), 0, "guest"});
  img.mode = StartMode::Protected32;
  img.entry = 0x100000;
  m.load(img);
  const RunResult r = m.run(100'000'000);
  INFO(r.summary());
  REQUIRE(r.end == RunEnd::DebugExit);
  CHECK(r.exit_value == 5);  // MWAIT returned once for each of the 5 interrupts
  // Periods of 1193 clocks of 1.193182 MHz, 1 ms each at the default 1000
  // ticks per microsecond: the first interrupt comes from the rising edge
  // of OUT when the control word sets mode 2, the other four a period
  // apart. 4 ms of virtual time passed while some 150 instructions ran.
  CHECK(m.cpu().icount() >= 3'990'000);
  CHECK(m.cpu().icount() <= 4'010'000);
  CHECK(r.instructions < 300);
}

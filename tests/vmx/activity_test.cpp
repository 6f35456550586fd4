// Guest activity states, INIT and SIPI in VMX operation (SDM Vol. 3C
// §25.4.2, §26.2, §27.3.1.5, §27.7.2, §28.1; cpu/vmx/activity_state.cpp): a
// guest entered in shutdown or wait-for-SIPI runs nothing until an event
// its state lets through, which exits with the state saved; INIT is held
// pending in root operation and wait-for-SIPI.
#include <doctest/doctest.h>

#include <string>

#include "core/machine/machine.h"
#include "cpu/vmx/activity_state.h"
#include "tests/machine/guest.h"
#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

SNIPPET(g_cpuid);
SNIPPET(g_loop);
SNIPPET(g_nmi_handler);
SNIPPET(g_monitor_mwait);

namespace {

constexpr u64 kNmiHandler = 0x31000;
constexpr u32 kShutdown = u32(Activity::Shutdown), kWaitForSipi = u32(Activity::WaitForSipi);

u32 basic(VmxRig& r) { return r.exit_reason() & 0xffff; }

// A 64-bit guest at g_loop (RCX counts its instructions) entered in
// `activity`; runs until the host halts, or `ticks` if it does not.
StopCause enter(VmxRig& r, u32 activity, u64 ticks = 1000) {
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().guest_activity_state = activity;
  r.cpu.gpr[RCX] = 0;
  r.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.cpu.set_intercept_exceptions(true);
  return r.cpu.run(r.cpu.icount() + ticks);
}
StopCause run_on(VmxRig& r, u64 ticks = 1000) { return r.cpu.run(r.cpu.icount() + ticks); }
// Parked: in non-root operation, halted, no guest instruction run.
bool parked(VmxRig& r) { return r.cpu.vmx_non_root() && r.cpu.halted && r.cpu.gpr[RCX] == 0; }

}  // namespace

TEST_CASE("IA32_VMX_MISC reports shutdown and wait-for-SIPI; VM entry accepts activity states 0-3, not 4") {
  const u64 misc = capability(cap_msr::kMisc);
  CHECK(((misc >> 6) & 7) == 7);  // HLT, shutdown, wait-for-SIPI
  for (u32 a : {0u, 1u, 2u, 3u}) {
    VmxRig r;
    r.enter_root();
    r.valid_vmcs();
    r.vmcs().guest_activity_state = a;
    CAPTURE(a);
    CHECK(r.failed_check() == nullptr);
  }
}

TEST_CASE("the events each activity state lets through (the table follows SDM §26.2, §27.7.2, §28.1)") {
  for (unsigned a = 0; a < 4; ++a) CHECK(unsigned(kActivityEvents[a].state) == a);
  const ActivityEvents &sd = activity_events(Activity::Shutdown), &wfs = activity_events(Activity::WaitForSipi);
  CHECK((sd.init && sd.nmi && sd.timer && sd.nmi_window));
  CHECK((!sd.sipi && !sd.external && !sd.mtf));
  CHECK((wfs.sipi && !wfs.init && !wfs.nmi && !wfs.external && !wfs.timer && !wfs.nmi_window && !wfs.mtf));
  CHECK((!activity_events(Activity::Active).sipi && !activity_events(Activity::Hlt).sipi));
}

TEST_CASE("entry checks on activity states: shutdown takes only an injected NMI or #MC, wait-for-SIPI nothing") {
  auto fails = [](u32 activity, u32 inject) -> std::string {
    VmxRig r;
    r.enter_root();
    r.valid_vmcs();
    r.vmcs().guest_activity_state = activity;
    r.vmcs().guest_rflags |= fl::IF;
    r.vmcs().entry_interruption_info = inject;
    const EntryCheck* bad = r.failed_check();
    return bad ? bad->name : "";
  };
  const std::string row = "guest activity state allows the injected event";
  const u32 ext = intr_info::kValid | 0x40, nmi = intr_info::kValid | 2u << 8 | kNMI;
  const u32 mc = intr_info::kValid | 3u << 8 | kMC, db = intr_info::kValid | 3u << 8 | kDB;
  CHECK(fails(kShutdown, ext) == row);
  CHECK(fails(kShutdown, db) == row);
  CHECK(fails(kShutdown, nmi).empty());
  CHECK(fails(kShutdown, mc).empty());
  CHECK(fails(kWaitForSipi, nmi) == row);
  CHECK(fails(kWaitForSipi, mc) == row);
  CHECK(fails(kWaitForSipi, 0).empty());
  // STI or MOV SS blocking needs the active state; the pending-BS rule is
  // for HLT (and blocking) only.
  for (u32 activity : {kShutdown, kWaitForSipi}) {
    VmxRig r;
    r.enter_root();
    r.valid_vmcs();
    r.vmcs().guest_activity_state = activity;
    r.vmcs().guest_rflags |= fl::TF;  // BS 0: allowed outside HLT and blocking
    CHECK(r.failed_check() == nullptr);
    r.vmcs().guest_interruptibility = interruptibility::kBlockingByMovSs;
    const EntryCheck* bad = r.failed_check();
    REQUIRE(bad);
    CHECK(std::string(bad->name) == "guest activity active under STI or MOV SS blocking");
  }
  // Through VMLAUNCH: a VM-entry failure exit (33) before anything is loaded.
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().guest_activity_state = kWaitForSipi;
  r.vmcs().entry_interruption_info = nmi;
  CHECK(r.launch(g_loop, g_loop_end));
  CHECK(r.exit_reason() == (33u | kExitReasonEntryFailure));
}

TEST_CASE("a guest entered in shutdown is parked: it runs nothing, and a run with nothing to end it says so") {
  VmxRig r;
  CHECK(enter(r, kShutdown) == StopCause::HaltedForever);
  CHECK(parked(r));
  CHECK(r.cpu.rip == VmxRig::kGuestCode);
  CHECK(r.cpu.stop_detail() == "the VMX guest activity state shutdown with nothing to end it");
  CHECK(std::string(r.vmx().parked_state_name()) == "shutdown");
}

TEST_CASE("no pending debug exceptions after a VM entry to shutdown or wait-for-SIPI (SDM §27.7.3)") {
  for (u32 activity : {kShutdown, kWaitForSipi}) {
    CAPTURE(activity);
    VmxRig r;
    r.enter_root();
    r.valid_vmcs();
    r.vmcs().guest_activity_state = activity;
    r.vmcs().guest_pending_debug = dr6::BS;
    r.vmcs().exception_bitmap = 1u << kDB;
    r.load(VmxRig::kGuestCode, g_loop, g_loop_end);
    r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
    r.cpu.gpr[RCX] = 0;
    CHECK(run_on(r) == StopCause::HaltedForever);
    CHECK(parked(r));  // no #DB exit
    if (activity == kShutdown)
      r.vmx().hold_init();
    else
      r.vmx().takes_sipi(1);
    run_on(r);
    REQUIRE(r.in_host());
    CHECK(basic(r) == (activity == kShutdown ? 3u : 4u));
    CHECK(r.vmcs().guest_pending_debug == 0);
  }
}

TEST_CASE("shutdown: INIT exits (3) and the exit saves the shutdown state; RIP and registers unchanged") {
  VmxRig r;
  enter(r, kShutdown);
  REQUIRE(parked(r));
  r.vmx().hold_init();
  run_on(r);
  REQUIRE(r.in_host());
  CHECK(basic(r) == 3);
  CHECK(r.vmcs().guest_activity_state == kShutdown);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
  CHECK(r.cpu.gpr[RCX] == 0);
  CHECK(!r.vmx().init_pending());  // the exit took it
  CHECK(r.vmx().parked_state_name() == nullptr);
}

TEST_CASE("shutdown: an NMI exits (0) with NMI exiting; without, it wakes the guest through its IDT") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().pin_controls |= pin::kNmiExiting;
  r.vmcs().guest_activity_state = kShutdown;
  r.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  run_on(r);
  REQUIRE(parked(r));
  r.cpu.raise_nmi();
  run_on(r);
  REQUIRE(r.in_host());
  CHECK(basic(r) == 0);
  CHECK(r.vmcs().exit_interruption_info == (intr_info::kValid | 2u << 8 | kNMI));
  CHECK(r.vmcs().guest_activity_state == kShutdown);

  // NMI exiting 0: delivered to the guest (its handler counts in RDX and
  // returns to g_cpuid, which exits): the guest is active from then on.
  VmxRig w;
  w.enter_root();
  w.valid_vmcs();
  w.vmcs().guest_activity_state = kShutdown;
  w.gate(kNMI, kNmiHandler);
  w.load(kNmiHandler, g_nmi_handler, g_nmi_handler_end);
  w.cpu.gpr[RDX] = 0;
  w.load(VmxRig::kGuestCode, g_cpuid, g_cpuid_end);
  w.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  run_on(w);
  REQUIRE(w.cpu.vmx_non_root());
  w.cpu.raise_nmi();
  run_on(w);
  REQUIRE(w.in_host());
  CHECK(w.cpu.gpr[RDX] == 1);
  CHECK(basic(w) == 10);  // CPUID
  CHECK(w.vmcs().guest_activity_state == u32(Activity::Active));

  // Blocked NMIs (blocking by NMI at entry) leave it in shutdown.
  VmxRig b;
  b.enter_root();
  b.valid_vmcs();
  b.vmcs().guest_activity_state = kShutdown;
  b.vmcs().guest_interruptibility = interruptibility::kBlockingByNmi;
  b.load(VmxRig::kGuestCode, g_cpuid, g_cpuid_end);
  b.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  run_on(b);
  b.cpu.raise_nmi();
  CHECK(run_on(b) == StopCause::HaltedForever);
  CHECK(b.cpu.vmx_non_root());
  CHECK(b.cpu.nmi_pending());
}

TEST_CASE("shutdown: the preemption timer and the NMI window exit; external interrupts do not") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().pin_controls |= pin::kPreemptionTimer;
  r.vmcs().preemption_timer_value = 4;
  r.vmcs().guest_activity_state = kShutdown;
  const u64 start = r.cpu.icount();
  REQUIRE(r.launch(g_loop, g_loop_end, 100000));
  CHECK(basic(r) == 52);
  CHECK(r.vmcs().guest_activity_state == kShutdown);
  CHECK(r.cpu.gpr[RCX] == 0);
  CHECK(r.cpu.icount() - start >= 3 * (u64(1) << kPreemptionTimerShift));  // time passed, as in HLT

  VmxRig n;
  n.enter_root();
  n.valid_vmcs();
  n.vmcs().pin_controls |= pin::kNmiExiting | pin::kVirtualNmis;
  n.vmcs().proc_controls |= proc::kNmiWindowExiting;
  n.vmcs().guest_activity_state = kShutdown;
  REQUIRE(n.launch(g_loop, g_loop_end));
  CHECK(basic(n) == 8);
  CHECK(n.vmcs().guest_activity_state == kShutdown);

  struct Irq : InterruptSource {
    bool has_interrupt() override { return true; }
    u8 acknowledge() override { return 0x41; }
  } irq;
  VmxRig e;
  e.cpu.set_interrupt_source(&irq);
  e.enter_root();
  e.valid_vmcs();
  e.vmcs().pin_controls |= pin::kExternalInterruptExiting;
  e.vmcs().guest_activity_state = kShutdown;
  e.vmcs().guest_rflags |= fl::IF;
  e.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  e.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  e.sched.schedule_at(e.cpu.icount() + 500, "something to wait for", [] {});
  run_on(e, 2000);
  CHECK(parked(e));
}

TEST_CASE("wait-for-SIPI: a SIPI exits (4) with its vector; INIT and NMIs stay blocked, the timer does not exit") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().pin_controls |= pin::kNmiExiting | pin::kPreemptionTimer;
  r.vmcs().exit_controls |= exit_ctl::kSavePreemptionTimer;
  r.vmcs().preemption_timer_value = 2;
  r.vmcs().guest_activity_state = kWaitForSipi;
  r.gate(kNMI, kNmiHandler);  // the host's: after the exit
  r.load(kNmiHandler, g_nmi_handler, g_nmi_handler_end);
  r.cpu.gpr[RDX] = 0;
  r.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.cpu.gpr[RCX] = 0;
  const u64 start = r.cpu.icount();
  CHECK(run_on(r, 100000) == StopCause::HaltedForever);  // past the timer's expiry: no exit
  CHECK(r.cpu.icount() - start >= 2 * (u64(1) << kPreemptionTimerShift));
  REQUIRE(parked(r));
  r.vmx().hold_init();
  r.cpu.raise_nmi();
  run_on(r);
  REQUIRE(parked(r));
  CHECK(r.vmx().takes_sipi(0x9a));
  CHECK(r.vmx().takes_sipi(0x12));  // a second SIPI before the exit: discarded
  run_on(r);
  REQUIRE(r.in_host());
  CHECK(basic(r) == 4);
  CHECK(r.vmcs().exit_qualification == 0x9a);
  CHECK(r.vmcs().guest_activity_state == kWaitForSipi);
  CHECK(r.vmcs().preemption_timer_value == 0);
  CHECK(r.cpu.gpr[RDX] == 1);     // the blocked NMI, taken by the host after the exit
  CHECK(r.vmx().init_pending());  // INIT: still held (root operation blocks it too)
  // The held INIT exits right after the next VM entry to a guest that is
  // not waiting for SIPI, before its first instruction.
  r.vmcs().guest_activity_state = u32(Activity::Active);
  r.vmcs().pin_controls &= ~pin::kPreemptionTimer;
  r.vmcs().exit_controls &= ~exit_ctl::kSavePreemptionTimer;
  REQUIRE(r.resume());
  CHECK(basic(r) == 3);
  CHECK(r.vmcs().guest_activity_state == u32(Activity::Active));
  CHECK(r.cpu.gpr[RCX] == 0);
  CHECK(!r.vmx().init_pending());
}

TEST_CASE("a SIPI to a guest that is active or in HLT is discarded; outside VMX operation it is not the CPU's") {
  VmxRig r;
  enter(r, u32(Activity::Hlt));
  REQUIRE(parked(r));  // HLT: halted, nothing run
  CHECK(r.vmx().takes_sipi(0x10));
  run_on(r);
  REQUIRE(parked(r));
  r.vmx().hold_init();
  run_on(r);
  REQUIRE(r.in_host());
  CHECK(basic(r) == 3);  // the INIT, not a SIPI
  CHECK(r.vmcs().guest_activity_state == u32(Activity::Hlt));
  VmxRig o;
  CHECK(!o.vmx().takes_sipi(0x10));
}

TEST_CASE("a vectoring entry to shutdown (an injected NMI) ends in the active state") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().guest_activity_state = kShutdown;
  r.vmcs().entry_interruption_info = intr_info::kValid | 2u << 8 | kNMI;
  r.gate(kNMI, kNmiHandler);
  r.load(kNmiHandler, g_nmi_handler, g_nmi_handler_end);
  r.cpu.gpr[RDX] = 0;
  REQUIRE(r.launch(g_cpuid, g_cpuid_end));
  CHECK(r.cpu.gpr[RDX] == 1);
  CHECK(basic(r) == 10);
  CHECK(r.vmcs().guest_activity_state == u32(Activity::Active));
}

TEST_CASE("INIT in root operation is held until VMXOFF, which hands it to the vCPU: INIT state, wait-for-SIPI") {
  MachineConfig cfg;
  cfg.cpus = 2;
  Machine m(cfg);
  m.load(machine_test::code_at(0x7c00, {0xf4}));
  Vcpu& ap = m.vcpu(1);
  Cpu& c = ap.cpu();
  ap.startup(0x10);  // running, out of wait-for-SIPI
  c.vmx().enter_operation(VmxRig::kVmxon);
  c.gpr[RBX] = 0x1234;
  ap.init();
  CHECK(c.vmx().init_pending());
  CHECK(c.gpr[RBX] == 0x1234);  // not reset
  CHECK(!ap.apply_pending_init());
  c.vmx().leave_operation();  // VMXOFF: "unblock INIT"
  CHECK(ap.apply_pending_init());
  CHECK(ap.waiting_for_sipi());
  CHECK(c.gpr[RBX] == 0);
  CHECK(!c.vmx().init_pending());
  ap.startup(0x12);
  CHECK(!ap.waiting_for_sipi());
  CHECK(c.seg[CS].base == 0x12000);
}

TEST_CASE("a guest waiting in MWAIT is saved as active: the activity-state field never reports MWAIT (§25.4.2)") {
  struct LateIrq : InterruptSource {
    bool raised = false;
    bool has_interrupt() override { return raised; }
    u8 acknowledge() override { return 0x41; }
  } irq;
  VmxRig r;
  r.cpu.set_interrupt_source(&irq);
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().pin_controls |= pin::kExternalInterruptExiting;
  r.cpu.gpr[RCX] = r.cpu.gpr[RDX] = 0;
  r.sched.schedule_at(r.cpu.icount() + 200, "an interrupt", [&] { irq.raised = true; });
  REQUIRE(r.launch(g_monitor_mwait, g_monitor_mwait_end));
  CHECK(basic(r) == 1);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 11);  // after MWAIT
  CHECK(r.vmcs().guest_activity_state == u32(Activity::Active));
}

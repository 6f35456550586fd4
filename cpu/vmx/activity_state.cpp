// Guest activity states, and INIT and SIPI in VMX operation (SDM Vol. 3C
// §25.4.2, §26.2, §27.7.2, §28.1, §28.3.4; Vol. 2 VMXOFF).
//
// - A VM entry that is not vectoring ends in the activity state of the
//   guest-state area (§27.7.2). HLT is the CPU's own halt (Cpu::halted,
//   woken through events.cpp). Shutdown and wait-for-SIPI park the vCPU: it
//   is halted, so the run loop executes nothing for it and the vCPU
//   scheduler hands its turn on at once (docs/smp.md), and at each boundary
//   only the events kActivityEvents lets through are looked at here.
// - An event that exits directly from an inactive state leaves the state
//   only after the exit: the exit saves that state (§28.1, §28.3.4). An NMI
//   that wakes the shutdown state without exiting (NMI exiting 0) makes the
//   guest active before it is delivered through the guest IDT.
// - INIT is held pending: blocked in root operation until VMXOFF unblocks it
//   (the Vcpu then performs it: the INIT state and wait-for-SIPI), and in
//   the wait-for-SIPI state; in the other states it exits (3) at the next
//   boundary (§24.8, §26.2). A held INIT therefore exits right after a VM
//   entry to a guest that is not waiting for SIPI.
// - A SIPI exits (4, the vector as qualification) from wait-for-SIPI and is
//   discarded in every other state of VMX operation (§26.2, §27.7.2).
#include "cpu/vmx/activity_state.h"

#include "cpu/vmx/capabilities.h"

namespace vtlab {

using namespace vmx;

namespace {

// An injected event other than MTF's "other event" makes the entry
// vectoring: the guest is then active whatever the field says (§27.7.2).
bool vectoring(const Vmcs& v) {
  const u32 info = v.entry_interruption_info;
  return (info & intr_info::kValid) && EventType((info >> intr_info::kTypeShift) & 7) != EventType::Other;
}

}  // namespace

Activity Vmx::activity() const {
  if (parked()) return parked_;
  // A wait in MWAIT is never reported as an activity state (§25.4.2).
  return cpu_.halted && !cpu_.monitor_.waiting ? Activity::Hlt : Activity::Active;
}

void Vmx::enter_activity_state() {
  Cpu& c = cpu_;
  const Activity a = Activity(vmcs_.guest_activity_state & 3);  // the entry checks allow 0-3 only
  parked_ = Activity::Active;
  // HLT: halted; an injected event's delivery wakes it.
  c.halted = a == Activity::Hlt;
  if ((a == Activity::Shutdown || a == Activity::WaitForSipi) && !vectoring(vmcs_)) {
    parked_ = a;
    c.halted = true;
    // §27.7.3: no pending debug exceptions after such an entry.
    c.boundary_debug_traps_ = 0;
  }
}

void Vmx::leave_activity_state() {
  cpu_.halted = false;
  parked_ = Activity::Active;
}

const char* Vmx::parked_state_name() const { return parked() ? activity_events(parked_).name : nullptr; }

bool Vmx::check_parked_events() {
  Cpu& c = cpu_;
  const Vmcs& v = vmcs_;
  const ActivityEvents& lets = activity_events(parked_);
  auto exit_now = [&](const ExitInfo& e) {
    ++c.icount_, ++c.delivery_ticks_;
    vmcs_.idt_vectoring_info = 0;
    vm_exit(e);  // saves the inactive state (§28.1), then leaves it
    return true;
  };
  // Priorities (Vol. 3A §6.9, Vol. 3C §26.2, §27.7): SIPI and INIT, the
  // preemption timer, the NMI window, NMIs. External interrupts and MTF
  // exits are blocked in both states.
  if (lets.sipi && sipi_pending_) {
    sipi_pending_ = false;
    return exit_now(ExitInfo{ExitReason::SIPI, sipi_vector_});
  }
  if (lets.init && init_pending_) {
    init_pending_ = false;
    return exit_now(ExitInfo{ExitReason::INIT_SIGNAL});
  }
  if (lets.timer && timer_expired_) {
    timer_expired_ = false;
    return exit_now(ExitInfo{ExitReason::PREEMPTION_TIMER});
  }
  if (lets.nmi_window && (v.proc_controls & proc::kNmiWindowExiting) && !c.nmi_blocked_)
    return exit_now(ExitInfo{ExitReason::NMI_WINDOW});
  const bool virtual_nmis = v.pin_controls & pin::kVirtualNmis;
  if (lets.nmi && c.nmi_pending_ && (virtual_nmis || !c.nmi_blocked_)) {
    c.nmi_pending_ = false;
    if (v.pin_controls & pin::kNmiExiting) {
      ExitInfo e{ExitReason::EXCEPTION_OR_NMI};
      e.interruption_info = intr_info::make(kNMI, EventType::Nmi, false);
      exit_now(e);
      if (!virtual_nmis) c.nmi_blocked_ = true;  // §28.5: an NMI exit leaves NMIs blocked
      return true;
    }
    // NMI exiting 0: the NMI ends the shutdown state and is delivered
    // through the guest IDT; an exit its delivery causes saves "active"
    // (§28.1).
    leave_activity_state();
    c.nmi_blocked_ = true;
    ++c.icount_, ++c.delivery_ticks_;
    c.external_interrupt(kNMI, EventType::Nmi);
    return true;
  }
  return false;
}

bool Vmx::init_exits() {
  if (!init_pending_) return false;  // not parked: active or HLT, which INIT exits
  init_pending_ = false;
  ++cpu_.icount_, ++cpu_.delivery_ticks_;
  vmcs_.idt_vectoring_info = 0;
  // §26.2: the exit changes no register state and clears no pending event.
  vm_exit(ExitInfo{ExitReason::INIT_SIGNAL});
  return true;
}

void Vmx::hold_init() {
  init_pending_ = true;
  cpu_.end_block();  // in non-root operation it exits at the next boundary
}

void Vmx::init_unblocked() {
  // Vol. 2 VMXOFF: "unblock INIT". The Vcpu takes a held INIT when the run
  // stops after this instruction (take_unblocked_init).
  if (init_pending_) cpu_.request_stop();
}

bool Vmx::take_unblocked_init() {
  if (on_ || !init_pending_) return false;
  init_pending_ = false;
  return true;
}

bool Vmx::takes_sipi(u8 vector) {
  if (!on_) return false;
  // The first SIPI ends the wait (its exit comes at the next boundary);
  // another one before that, or one in any other state, is discarded.
  if (non_root() && activity_events(activity()).sipi && !sipi_pending_) {
    sipi_pending_ = true;
    sipi_vector_ = vector;
    cpu_.end_block();
  }
  return true;
}

void Vmx::reset_activity_state() {
  parked_ = Activity::Active;
  init_pending_ = sipi_pending_ = false;
  sipi_vector_ = 0;
}

void Vmx::serialize_activity_state(Serializer& s) {
  u32 parked = u32(parked_);
  s(parked);
  parked_ = Activity(parked & 3);
  s.flag(init_pending_);
  s.flag(sipi_pending_);
  s(sipi_vector_);
}

}  // namespace vtlab

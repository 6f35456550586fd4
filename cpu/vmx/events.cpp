// Events in VMX non-root operation (SDM Vol. 3C §26.2, §26.7, §27.6):
// exceptions by the exception bitmap (with the #PF error-code mask and
// match), faults during event delivery (IDT-vectoring information, triple
// fault), injected events, the monitor trap flag, the VMX-preemption timer,
// NMIs, the interrupt window and external interrupts. INIT, SIPI and the
// inactive activity states: activity_state.cpp.
#include <string>

#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/vmx.h"

namespace vtlab {

using namespace vmx;

namespace {

// §26.2: exception vector v causes a VM exit if its bit in the exception
// bitmap is 1; for #PF the bit applies when (error AND mask) = match, its
// opposite when not.
bool bitmap_exits(const Vmcs& v, u8 vector, u32 error) {
  if (vector > 31) return false;
  const bool bit = (v.exception_bitmap >> vector) & 1;
  if (vector != kPF) return bit;
  return ((error & v.pf_error_code_mask) == v.pf_error_code_match) ? bit : !bit;
}

// Fault-class exceptions save RF = 1 (§28.3.3); traps and #DB not.
bool fault_class_vector(u8 v) { return v != kDB && v != kBP && v != kOF; }

}  // namespace

bool Vmx::exception_exits(const GuestFault& f, bool fault) {
  if (!bitmap_exits(vmcs_, f.vector, f.error)) return false;
  ExitInfo e{ExitReason::EXCEPTION_OR_NMI};
  e.interruption_info = intr_info::make(f.vector, EventType::HardwareException, f.has_error);
  e.interruption_error = f.has_error ? f.error : 0;
  // §28.2.1: #PF: the linear address (CR2 is not loaded); #DB: the DR6
  // bits the exception would have set.
  if (f.vector == kPF) e.qualification = f.fault_address;
  if (f.vector == kDB) e.qualification = cpu_.dr[6] & (dr6::kHits | dr6::BD | dr6::BS);
  e.fault_rf = fault && fault_class_vector(f.vector);
  vmcs_.idt_vectoring_info = 0;
  vm_exit(e);
  return true;
}

bool Vmx::software_exception_exits(u8 vector, EventType type) {
  if (!bitmap_exits(vmcs_, vector, 0)) return false;
  ExitInfo e{ExitReason::EXCEPTION_OR_NMI};
  e.interruption_info = intr_info::make(vector, type, false);
  // The instruction did not execute: RIP is its address, and its length
  // is recorded (§28.2.4).
  instruction_exit(e, u32(cpu_.next_rip - cpu_.rip));
}

bool Vmx::fault_during_delivery(u8 vector, EventType type, bool has_error, u32 error, const GuestFault& second,
                                int depth, u32 insn_len) {
  // A software interrupt or exception is not combined with a fault in its
  // delivery (that fault is the instruction's): only the fault itself may
  // exit, recording the event and the instruction's length (§28.2.4).
  const bool software = type == EventType::SoftwareInterrupt || type == EventType::SoftwareException ||
                        type == EventType::PrivilegedSoftwareException;
  if (software) {
    if (!bitmap_exits(vmcs_, second.vector, second.error)) return false;
    ExitInfo e{ExitReason::EXCEPTION_OR_NMI};
    e.interruption_info = intr_info::make(second.vector, EventType::HardwareException, second.has_error);
    e.interruption_error = second.has_error ? second.error : 0;
    if (second.vector == kPF) e.qualification = second.fault_address;
    e.instruction_length = insn_len;
    e.fault_rf = true;
    vmcs_.idt_vectoring_info = intr_info::make(vector, type, false);
    vmcs_.idt_vectoring_error_code = 0;
    vm_exit(e);
    return true;
  }
  // What the second exception becomes (SDM Vol. 3A Table 6-5), checked
  // against the bitmap itself first (§26.2: a #DF arises only if the
  // second exception does not exit).
  const FaultClass a = fault_class(vector), b = fault_class(second.vector);
  const bool df = (a == FaultClass::Contributory && b == FaultClass::Contributory) ||
                  (a == FaultClass::PageFault && (b == FaultClass::Contributory || b == FaultClass::PageFault));
  ExitInfo e{ExitReason::EXCEPTION_OR_NMI};
  if (vector != kDF && depth <= 8 && bitmap_exits(vmcs_, second.vector, second.error)) {
    e.interruption_info = intr_info::make(second.vector, EventType::HardwareException, second.has_error);
    e.interruption_error = second.has_error ? second.error : 0;
    if (second.vector == kPF) e.qualification = second.fault_address;
  } else if (vector != kDF && depth <= 8 && df && bitmap_exits(vmcs_, kDF, 0)) {
    e.interruption_info = intr_info::make(kDF, EventType::HardwareException, true);
  } else if (vector == kDF || depth > 8) {
    e = ExitInfo{ExitReason::TRIPLE_FAULT};  // §26.2: a fault while delivering #DF
  } else {
    return false;
  }
  e.fault_rf = e.reason == ExitReason::EXCEPTION_OR_NMI;
  // §28.2.4: the event whose delivery was interrupted.
  vmcs_.idt_vectoring_info = intr_info::make(vector, type, has_error);
  vmcs_.idt_vectoring_error_code = has_error ? error : 0;
  vm_exit(e);
  return true;
}

// §27.6.1: the event in the VM-entry interruption-information field, as
// the first thing in non-root operation.
void Vmx::deliver_injected_event() {
  Cpu& c = cpu_;
  const u32 info = vmcs_.entry_interruption_info;
  const u8 vector = info & intr_info::kVectorMask;
  const EventType type = EventType((info >> intr_info::kTypeShift) & 7);
  const bool has_error = info & intr_info::kErrorValid;
  const u32 error = vmcs_.entry_exception_error_code;
  const u64 after = c.rip + vmcs_.entry_instruction_length;  // software events return past the instruction
  ++c.icount_, ++c.delivery_ticks_;
  switch (type) {
    case EventType::Other:  // MTF: a pending MTF VM exit (§27.6.2)
      mtf_pending_ = true;
      --c.icount_, --c.delivery_ticks_;
      return;
    case EventType::Nmi:
      c.nmi_blocked_ = true;
      c.deliver(vector, false, 0, c.rip, false, type);
      return;
    case EventType::ExternalInterrupt:
    case EventType::HardwareException:
      c.deliver(vector, has_error, error, c.rip, false, type);
      return;
    default: {
      // Software interrupts and exceptions check the gate's DPL as INT n
      // does; a fault there is handled as an exception at this point.
      GuestFault fault{};
      bool faulted = false;
      try {
        FaultThrowScope scope(c);
        c.deliver(vector, has_error, error, after, type != EventType::PrivilegedSoftwareException, type);
      } catch (const GuestFault& f) {
        fault = f, faulted = true;
      }
      if (faulted && fault.vector != kVmExitUnwind) c.handle_event(fault, c.rip);
      return;
    }
  }
}

bool Vmx::check_events() {
  Cpu& c = cpu_;
  const Vmcs& v = vmcs_;
  if (inject_pending_) {
    inject_pending_ = false;
    deliver_injected_event();
    if (!mtf_pending_) return true;
  }
  if (parked()) return check_parked_events();  // shutdown, wait-for-SIPI (activity_state.cpp)
  auto exit_now = [&](const ExitInfo& e) {
    ++c.icount_, ++c.delivery_ticks_;
    vmcs_.idt_vectoring_info = 0;
    vm_exit(e);
    return true;
  };
  // Trap-like exits of the instruction just done (SDM Vol. 3C §30.1.2
  // TPR below threshold, §30.1.4 virtualized EOI, §30.4.3.3 APIC write),
  // and the TPR-below-threshold exit right after VM entry (§27.7.7): they
  // take priority over SMIs, INIT and lower-priority events, so over MTF
  // (the exit drops a pending MTF exit).
  if (ExitInfo trap{ExitReason::EXCEPTION_OR_NMI}; apicv_.take_trap_exit(trap)) return exit_now(trap);
  // Priorities (SDM Vol. 3C §26.7.2, Vol. 3A §6.9): MTF, the preemption
  // timer, NMI window, NMI, interrupt window / virtual interrupt / external
  // interrupt.
  if (init_exits()) return true;  // a held INIT: below the TPR threshold, above MTF (§27.7.7, §27.7.8)
  if (mtf_pending_) {
    mtf_pending_ = false;
    return exit_now(ExitInfo{ExitReason::MONITOR_TRAP_FLAG});
  }
  if (timer_expired_) {
    timer_expired_ = false;
    return exit_now(ExitInfo{ExitReason::PREEMPTION_TIMER});
  }
  const bool movss = c.interrupt_shadow && c.shadow_kind_ == Cpu::Shadow::MovSs;
  const bool virtual_nmis = v.pin_controls & pin::kVirtualNmis;
  // §26.7.6: NMI-window exiting, once there is no virtual-NMI blocking and
  // no MOV SS blocking. Its exits take priority over NMIs (§26.7.6), below
  // the preemption timer (§26.5.1).
  if ((v.proc_controls & proc::kNmiWindowExiting) && !c.nmi_blocked_ && !movss)
    return exit_now(ExitInfo{ExitReason::NMI_WINDOW});
  // With virtual NMIs, nmi_blocked_ is the guest's virtual blocking, which
  // does not hold off real NMIs.
  if ((v.pin_controls & pin::kNmiExiting) && c.nmi_pending_ && (virtual_nmis || !c.nmi_blocked_) && !movss) {
    c.nmi_pending_ = false;
    ExitInfo e{ExitReason::EXCEPTION_OR_NMI};
    e.interruption_info = intr_info::make(kNMI, EventType::Nmi, false);
    exit_now(e);
    if (!virtual_nmis) c.nmi_blocked_ = true;  // §28.5: an NMI exit leaves NMIs blocked
    return true;
  }
  if ((v.proc_controls & proc::kInterruptWindowExiting) && (c.flags.bits & fl::IF) && !c.interrupt_shadow)
    return exit_now(ExitInfo{ExitReason::INTERRUPT_WINDOW});
  // §30.2.2: a recognized virtual interrupt, with the priority of the
  // interrupt window (above external interrupts); delivered through the
  // guest IDT as an external interrupt (it wakes HLT).
  if (apicv_.virtual_interrupt_ready()) {
    const u8 vector = apicv_.take_virtual_interrupt();
    ++c.icount_, ++c.delivery_ticks_;
    c.external_interrupt(vector);
    return true;
  }
  // §26.2: with external-interrupt exiting, RFLAGS.IF does not mask
  // interrupts; STI and MOV SS blocking still do.
  if ((v.pin_controls & pin::kExternalInterruptExiting) && !c.interrupt_shadow && c.irq_source_ &&
      c.irq_source_->has_interrupt()) {
    if (v.pin_controls & pin::kPostedInterrupts) {
      // §30.6: the interrupt is acknowledged; the notification vector is
      // processed (the local APIC gets its EOI, PIR moves to VIRR) without
      // a VM exit; any other vector exits with it (acknowledge-interrupt-
      // on-exit is 1, an entry check). Processing takes a tick.
      const u8 vector = c.irq_source_->acknowledge();
      if (vector == u8(v.posted_intr_nv)) {
        if (c.apic_) c.apic_->end_of_interrupt();
        apicv_.process_posted_interrupts();
        ++c.icount_, ++c.delivery_ticks_;
        return true;
      }
      ExitInfo e{ExitReason::EXTERNAL_INTERRUPT};
      e.interruption_info = intr_info::make(vector, EventType::ExternalInterrupt, false);
      return exit_now(e);
    }
    ExitInfo e{ExitReason::EXTERNAL_INTERRUPT};
    if (v.exit_controls & exit_ctl::kAckInterruptOnExit)
      e.interruption_info = intr_info::make(c.irq_source_->acknowledge(), EventType::ExternalInterrupt, false);
    return exit_now(e);
  }
  return c.check_interrupts_native();
}

void Vmx::task_switch_exit(u16 selector, unsigned source, u32 idt_info, u32 idt_error) {
  ExitInfo e{ExitReason::TASK_SWITCH, u64(selector) | u64(source) << 30};
  if (source != 3) instruction_exit(e, u32(cpu_.next_rip - cpu_.rip));  // CALL, JMP, IRET: unwinds
  vmcs_.idt_vectoring_info = idt_info;
  vmcs_.idt_vectoring_error_code = (idt_info & intr_info::kErrorValid) ? idt_error : 0;
  vm_exit(e);
}

void Vmx::ept_fault(const EptFault& f) {
  Cpu& c = cpu_;
  if (!non_root()) {
    // Second-level translation set up by hand (tests, the debugger), not by
    // VM entry: there is no VMCS to exit to.
    c.fatal_ = StopCause::InternalError;
    c.stop_detail_ =
        "an EPT fault outside VMX non-root operation (guest-physical address " + std::to_string(f.gpa) + ")";
    c.request_stop();
    return;
  }
  ++c.icount_, ++c.delivery_ticks_;  // like any exit from an abandoned instruction or delivery
  ExitInfo e{ExitReason(f.exit_reason()), f.qualification};
  if (f.kind == EptFaultKind::ApicAccess) {
    // A guest-physical access to the APIC-access page (§30.4.6.2): type 15,
    // or 10 during event delivery (Table 28-6); no guest-physical address.
    if (f.during_delivery)
      e.qualification = apic_access::qualification(u32(f.qualification), apic_access::kPhysicalEventDelivery);
  } else {
    e.guest_physical = f.gpa;
  }
  if (f.kind == EptFaultKind::Violation && (f.qualification & ept_qual::kLinearValid)) e.guest_linear = f.gla;
  // RF as a fault would save it, when the access belonged to an instruction (§28.3.3).
  e.fault_rf = !f.during_delivery;
  if (f.during_delivery) e.instruction_length = f.instruction_length;  // software events (§27.2.5)
  vmcs_.idt_vectoring_info = 0;
  if (f.during_delivery) {
    // §28.2.4: the event whose delivery the access belonged to. (The
    // record does not say whether a software event was an INT n or an
    // INT3/INTO: INT3 and INTO are reported as software exceptions.)
    const EventType type = f.software         ? ((f.vector == kBP || f.vector == kOF) ? EventType::SoftwareException
                                                                                      : EventType::SoftwareInterrupt)
                           : f.vector == kNMI ? EventType::Nmi
                           : f.vector < 32    ? EventType::HardwareException
                                              : EventType::ExternalInterrupt;
    vmcs_.idt_vectoring_info = intr_info::make(f.vector, type, f.has_error);
    vmcs_.idt_vectoring_error_code = f.has_error ? f.error : 0;
  }
  vm_exit(e);
}

bool Vmx::exit_during_delivery(u32 idt_info, u32 idt_error, u32 insn_len, bool rf) {
  if (!exit_pending_ || pending_exit_.reason != ExitReason::APIC_ACCESS) return false;
  exit_pending_ = false;
  ExitInfo e = pending_exit_;
  e.qualification = apic_access::qualification(u32(e.qualification), apic_access::kLinearEventDelivery);
  e.instruction_length = insn_len;
  e.fault_rf = rf;
  ++cpu_.icount_, ++cpu_.delivery_ticks_;  // as an EPT fault during delivery
  vmcs_.idt_vectoring_info = idt_info;
  vmcs_.idt_vectoring_error_code = (idt_info & intr_info::kErrorValid) ? idt_error : 0;
  vm_exit(e);
  return true;
}

u64 Vmx::guest_tsc(u64 tsc) const {
  const Vmcs& v = vmcs_;
  if (!(v.proc_controls & proc::kUseTscOffsetting)) return tsc;
  const bool scaling = (v.proc_controls & proc::kSecondaryControls) && (v.proc2_controls & proc2::kUseTscScaling);
  // The multiplier is a fixed-point number with 48 fraction bits.
  if (scaling) tsc = u64((unsigned __int128)tsc * v.tsc_multiplier >> 48);
  return tsc + v.tsc_offset;
}

bool Vmx::pause_loop_exits() {
  // §26.1.3: PAUSEs less than PLE_Gap TSC ticks apart are one loop; a loop
  // that has lasted more than PLE_Window ticks exits. The first PAUSE after
  // VM entry starts a loop.
  const u64 now = cpu_.icount_ + cpu_.insns_this_block() + cpu_.msr.tsc_adjust;
  if (!pause_seen_ || now - last_pause_ > vmcs_.ple_gap) loop_start_ = now;
  pause_seen_ = true;
  last_pause_ = now;
  return now - loop_start_ > vmcs_.ple_window;
}

// ---- the VMX-preemption timer (§26.5.1): counts down by 1 each time bit
// kPreemptionTimerShift of the TSC changes; an event on the scheduler.

void Vmx::arm_preemption_timer() {
  Cpu& c = cpu_;
  const u64 now = c.icount_ + c.insns_this_block();
  const u64 tsc = now + c.msr.tsc_adjust;
  const u64 value = vmcs_.preemption_timer_value;
  if (value == 0) {  // expires before the first guest instruction
    timer_expired_ = true;
    return;
  }
  const u64 deadline_tsc = ((tsc >> kPreemptionTimerShift) + value) << kPreemptionTimerShift;
  timer_deadline_ = deadline_tsc - c.msr.tsc_adjust;
  schedule_preemption_timer();
}

void Vmx::schedule_preemption_timer() {
  timer_armed_ = true;
  timer_event_ = cpu_.scheduler().schedule_at(timer_deadline_, "VMX-preemption timer", [this] {
    timer_armed_ = false;
    timer_expired_ = true;
    cpu_.end_block();
  });
}

u32 Vmx::preemption_timer_remaining() const {
  if (!timer_armed_) return 0;
  const u64 now = cpu_.icount_ + cpu_.insns_this_block();
  if (now >= timer_deadline_) return 0;
  const u64 adj = cpu_.msr.tsc_adjust;
  return u32(((timer_deadline_ + adj) >> kPreemptionTimerShift) - ((now + adj) >> kPreemptionTimerShift));
}

}  // namespace vtlab

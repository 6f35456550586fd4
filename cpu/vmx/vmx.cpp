// VMX operation: entering and leaving it, the current-VMCS pointer and its
// cached copy, VMsucceed/VMfail, and the CR0/CR4 rules of VMX operation.
#include "cpu/vmx/vmx.h"

#include "cpu/vmx/capabilities.h"

namespace vtlab {

using namespace vmx;

Vmx::Vmx(Cpu& cpu) : cpu_(cpu) { cpu_.set_ept_fault_sink(this); }

void Vmx::reset() {
  if (timer_armed_) cpu_.scheduler().cancel(timer_event_);
  on_ = false;
  vmxon_ptr_ = 0;
  current_ = kInvalidPointer;
  launched_ = false;
  vmcs_ = Vmcs{};
  inject_pending_ = mtf_pending_ = tpr_exit_pending_ = false;
  timer_armed_ = timer_expired_ = false;
  timer_deadline_ = 0;
  last_failure_ = nullptr;
  exit_pending_ = false;
  reset_activity_state();  // RESET and INIT drop a held INIT (it is being taken)
  cpu_.vmx_non_root_ = false;
  cpu_.vmx_single_step_ = false;
}

void Vmx::enter_operation(u64 vmxon_region) {
  on_ = true;
  vmxon_ptr_ = vmxon_region;
  current_ = kInvalidPointer;  // SDM Vol. 2 VMXON: current-VMCS pointer := FFFFFFFF_FFFFFFFFH
  launched_ = false;
}

void Vmx::leave_operation() {
  // The current VMCS stays cached in the processor (software is expected
  // to VMCLEAR it first, SDM Vol. 3C §25.11.1); leaving drops the pointer.
  on_ = false;
  current_ = kInvalidPointer;
  init_unblocked();  // SDM Vol. 2 VMXOFF: "unblock INIT" (activity_state.cpp)
}

void Vmx::write_back_current() {
  if (current_valid()) store_region(cpu_.mem(), current_, vmcs_, launched_);
}

void Vmx::clear(u64 pa) {
  // SDM Vol. 2 VMCLEAR: the VMCS data goes to memory, launch state "clear".
  if (pa == current_) {
    store_region(cpu_.mem(), pa, vmcs_, false);
    current_ = kInvalidPointer;
    launched_ = false;
  } else {
    cpu_.mem().write(pa + kLaunchStateOffset, 4, 0);
  }
}

void Vmx::load_current(u64 pa) {
  if (pa == current_) return;
  write_back_current();
  current_ = pa;
  current_shadow_ = cpu_.mem().read(pa + kRevisionOffset, 4) >> 31;
  load_region(cpu_.mem(), pa, vmcs_, &launched_);
}

// SDM Vol. 3C §31.2: CF, PF, AF, ZF, SF, OF report the outcome.
void Vmx::succeed() { cpu_.flags.set_arith(fl::kArith, 0); }

void Vmx::fail_invalid() { cpu_.flags.set_arith(fl::kArith, fl::CF); }

void Vmx::fail(VmError e) {
  if (!current_valid()) return fail_invalid();
  cpu_.flags.set_arith(fl::kArith, fl::ZF);
  vmcs_.vm_instruction_error = u32(e);
}

// CR0 and CR4 in VMX operation must hold the bits IA32_VMX_CR0/CR4_FIXED0
// say and no bit FIXED1 forbids (SDM Vol. 3C §24.8). In non-root operation
// with "unrestricted guest", PE and PG may be 0 (§26.3).
bool Vmx::cr0_allowed(u64 v) const {
  u64 fixed0 = cr0_fixed0();
  if (non_root() && (vmcs_.proc_controls & proc::kSecondaryControls) &&
      (vmcs_.proc2_controls & proc2::kUnrestrictedGuest))
    fixed0 &= ~(cr0::PE | cr0::PG);
  return (v & fixed0) == fixed0 && (v & ~cr0_fixed1()) == 0;
}

bool Vmx::cr4_allowed(u64 v) const { return (v & cr4_fixed0()) == cr4_fixed0() && (v & ~cr4_fixed1()) == 0; }

void Vmx::serialize(Serializer& s) {
  s.flag(on_);
  s(vmxon_ptr_);
  s(current_);
  s.flag(launched_);
  s.flag(current_shadow_);
  vmx::serialize(s, vmcs_);
  s.flag(inject_pending_);
  s.flag(mtf_pending_);
  s.flag(tpr_exit_pending_);
  s.flag(timer_expired_);
  s(timer_deadline_);
  bool timer_was_armed = timer_armed_;
  s.flag(timer_was_armed);
  bool non_root = cpu_.vmx_non_root_;
  s.flag(non_root);
  cpu_.vmx_non_root_ = non_root;
  s.flag(cpu_.vmx_single_step_);
  s(exits_);
  s.flag(host_nmi_blocked_);
  s.flag(pause_seen_);
  s(last_pause_);
  s(loop_start_);
  serialize_activity_state(s);
  // The timer's scheduler event is re-created from timer_deadline_ on load.
  if (!s.saving()) {
    if (timer_armed_) cpu_.scheduler().cancel(timer_event_);
    timer_armed_ = false;
    if (timer_was_armed) schedule_preemption_timer();
  }
}

}  // namespace vtlab

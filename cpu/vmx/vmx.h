// VMX operation of one logical processor (SDM Vol. 3C ch. 24-29): VMX
// root and non-root operation, the current VMCS (held here, typed, and
// written back to its region on VMCLEAR and on VMPTRLD of another one), VM
// entry and VM exit. The instructions are in cpu/vmx/instructions.cpp, the
// entry checks in entry_checks.cpp, VM entry in entry.cpp, VM exit in
// exit.cpp, the exit conditions of instructions in intercepts.cpp and of
// events in events.cpp. docs/vmx.md describes the whole.
#pragma once
#include "core/base/scheduler.h"
#include "core/base/serializer.h"
#include "cpu/cpu.h"
#include "cpu/vmx/exit_reasons.h"
#include "cpu/vmx/vmcs.h"

namespace vtlab {

namespace vmx {
// VM-instruction error numbers (SDM Vol. 3C §31.4, Table 31-1).
enum class VmError : u32 {
  VmcallInRoot = 1,
  VmclearInvalidAddress = 2,
  VmclearVmxonPointer = 3,
  VmlaunchNonClear = 4,
  VmresumeNonLaunched = 5,
  VmresumeAfterVmxoff = 6,
  EntryInvalidControls = 7,
  EntryInvalidHostState = 8,
  VmptrldInvalidAddress = 9,
  VmptrldVmxonPointer = 10,
  VmptrldBadRevision = 11,
  UnsupportedComponent = 12,
  VmwriteReadOnly = 13,
  VmxonInRoot = 15,
  EntryEventsBlockedByMovSs = 26,
  InvalidInveptInvvpidOperand = 28,
};
inline constexpr u64 kInvalidPointer = ~u64(0);

// Guest activity states (SDM Vol. 3C §25.4.2, Table 25-3).
enum class Activity : u32 { Active = 0, Hlt = 1, Shutdown = 2, WaitForSipi = 3 };
// Guest interruptibility-state bits (Table 25-3).
namespace interruptibility {
inline constexpr u32 kBlockingBySti = 1, kBlockingByMovSs = 2, kBlockingBySmi = 4, kBlockingByNmi = 8;
}
// Interruption-information fields (Tables 25-17, 28-16): vector, type,
// error code valid, valid.
namespace intr_info {
inline constexpr u32 kVectorMask = 0xff, kTypeShift = 8, kErrorValid = 1u << 11, kNmiUnblockedByIret = 1u << 12,
                     kValid = 1u << 31;
inline constexpr u32 make(u8 vector, EventType type, bool error) {
  return kValid | vector | u32(type) << kTypeShift | (error ? kErrorValid : 0);
}
}  // namespace intr_info

// What a VM exit records besides the guest state (SDM Vol. 3C §28.2).
struct ExitInfo {
  ExitReason reason;
  u64 qualification = 0;
  u64 guest_linear = 0;
  u64 guest_physical = 0;
  u32 instruction_length = 0;
  u32 instruction_info = 0;
  u32 interruption_info = 0;  // exits due to events (reason 0, 1)
  u32 interruption_error = 0;
  bool entry_failure = false;  // bit 31 of the exit reason (reasons 33, 34)
  bool fault_rf = false;       // a fault-class exception: RFLAGS.RF saved as 1 (§28.3.3)
};
}  // namespace vmx

class Vmx final : public EptFaultSink {
 public:
  explicit Vmx(Cpu& cpu);
  // RESET and INIT: outside VMX operation, no current VMCS.
  void reset();

  bool in_operation() const { return on_; }
  bool non_root() const { return cpu_.vmx_non_root_; }
  u64 vmxon_pointer() const { return vmxon_ptr_; }
  u64 current_vmcs_pointer() const { return current_; }
  bool current_valid() const { return current_ != vmx::kInvalidPointer; }
  bool launched() const { return launched_; }
  // The current VMCS is a shadow VMCS (revision bit 31): VMLAUNCH and
  // VMRESUME fail on it (SDM Vol. 3C §25.10).
  bool current_is_shadow() const { return current_shadow_; }
  vmx::Vmcs& vmcs() { return vmcs_; }
  const vmx::Vmcs& vmcs() const { return vmcs_; }

  // ---- the VMX instructions' state changes (instructions.cpp) ----
  void enter_operation(u64 vmxon_region);
  void leave_operation();
  // VMCLEAR of `pa`: writes the current VMCS back if it is that one.
  void clear(u64 pa);
  // VMPTRLD: writes the current VMCS back, loads `pa`'s.
  void load_current(u64 pa);
  // VMsucceed / VMfailInvalid / VMfailValid (SDM Vol. 3C §31.2).
  void succeed();
  void fail(vmx::VmError e);  // VMfailValid if there is a current VMCS, else VMfailInvalid
  void fail_invalid();
  // VMLAUNCH / VMRESUME after their instruction checks: the entry checks,
  // loading guest state, the MSR-load area, event injection (entry.cpp).
  void vm_entry(bool launch);
  // The entry check that failed last (entry_checks.h), or nullptr.
  const char* last_entry_failure() const { return last_failure_; }

  // ---- VM exits (exit.cpp) ----
  // Saves the guest state, records `e`, loads the host state. RIP and
  // next_rip become the host RIP, and the block ends.
  void vm_exit(const vmx::ExitInfo& e);
  // A VM exit caused by the instruction running now (`len` bytes): the
  // instruction does not execute. Unwinds like a fault
  // (Cpu::vm_exit_unwind); the exit happens when the execution loop has
  // caught it (complete_pending_exit), so code that undoes a partly done
  // instruction on the way out sees guest state, as for any fault. A
  // fault-like exit from inside a walk (EPT, wt-ept) goes the same way.
  [[noreturn]] void instruction_exit(vmx::ExitInfo e, u32 len);
  [[noreturn]] void exit_unwinding(const vmx::ExitInfo& e);
  void complete_pending_exit();
  u64 exits() const { return exits_; }
  u32 last_exit_reason() const { return vmcs_.exit_reason; }

  // ---- hooks of the execution loop (events.cpp) ----
  // A hardware exception in non-root operation: a VM exit if the exception
  // bitmap says so (true).
  bool exception_exits(const GuestFault& f, bool fault);
  // INT3/INTO (software exceptions), INT1: by the exception bitmap; an
  // exit unwinds (false: no exit).
  bool software_exception_exits(u8 vector, EventType type);
  // A fault while delivering an event in non-root operation: a VM exit
  // with IDT-vectoring information (true), or a triple-fault exit.
  // `insn_len`: a software event's instruction length (recorded too).
  bool fault_during_delivery(u8 vector, EventType type, bool has_error, u32 error, const GuestFault& second, int depth,
                             u32 insn_len);
  // Between instructions in non-root operation: injection, MTF, the
  // preemption timer, NMIs, interrupt windows, external interrupts.
  bool check_events();
  // A task switch in non-root operation (SDM Vol. 3C §26.1.2): exit 9 with
  // the new TSS selector and the source (0 CALL, 1 IRET, 2 JMP, 3 IDT task
  // gate, whose event is `idt_info`). For CALL/JMP/IRET it unwinds.
  void task_switch_exit(u16 selector, unsigned source, u32 idt_info, u32 idt_error);
  // ---- activity states, INIT and SIPI (activity_state.cpp) ----
  // An INIT signal in VMX operation (SDM Vol. 3C §24.8, §26.2): held
  // pending. It is blocked in root operation (until VMXOFF unblocks it) and
  // in the wait-for-SIPI state; otherwise it is a VM exit (3) at the next
  // instruction boundary.
  void hold_init();
  bool init_pending() const { return init_pending_; }
  // Once VMXOFF has unblocked a held INIT: true (once), and the INIT is the
  // caller's (the Vcpu's) to perform. VMXOFF requests a stop so that it is
  // taken right after that instruction.
  bool take_unblocked_init();
  // A start-up IPI in VMX operation: a VM exit (4, the vector as
  // qualification) from the wait-for-SIPI state, discarded otherwise
  // (§26.2, §27.7.2). False outside VMX operation.
  bool takes_sipi(u8 vector);
  // The inactive state a VM entry parked the vCPU in (shutdown or
  // wait-for-SIPI; it executes nothing until an event that state lets
  // through), or nullptr.
  const char* parked_state_name() const;
  // MOV to CR8 lowered the virtual TPR below the TPR threshold: a
  // TPR-below-threshold exit (43) after the instruction (trap-like).
  void tpr_below_threshold() {
    tpr_exit_pending_ = true;
    cpu_.end_block();
  }
  // An EPT violation, misconfiguration or PML-full event (mmu/ept.h): exit
  // 48, 49 or 62 (events.cpp). Cpu's run loop calls it once the faulting
  // instruction or event delivery has been abandoned.
  void ept_fault(const EptFault& f) override;
  // VMFUNC's EPTP switching: the new EPT pointer (and, where the EPTP-index
  // field exists, the index).
  void switch_eptp(u64 eptp, u16 index);
  // The TSC as RDTSC/RDTSCP/RDMSR read it in non-root operation: scaled by
  // the TSC multiplier ("use TSC scaling") and offset ("use TSC
  // offsetting"), SDM Vol. 3C §26.3, §27.6.5.
  u64 guest_tsc(u64 tsc) const;
  // PAUSE at CPL 0 with "PAUSE-loop exiting" (§26.1.3): true if this PAUSE
  // ends a loop longer than PLE_Window (it then exits).
  bool pause_loop_exits();
  // An instruction completed with the monitor trap flag set.
  void instruction_completed() { mtf_pending_ = true; }

  // ---- rules of VMX operation for other instructions ----
  // CR0/CR4 values allowed in VMX operation (SDM Vol. 3C §24.8).
  bool cr0_allowed(u64 v) const;
  bool cr4_allowed(u64 v) const;

  void serialize(Serializer& s);

 private:
  friend struct EntryContext;
  void write_back_current();
  void load_guest_state();
  void load_guest_translation();
  void load_host_translation();
  void save_guest_state(const vmx::ExitInfo& e);
  void load_host_state();
  void vmx_abort(u32 indicator);
  bool load_msr_list(u64 addr, u32 count, u32* failed_index);
  void store_msr_list(u64 addr, u32 count);
  void entry_failure(vmx::ExitReason reason, u64 qualification);
  void deliver_injected_event();
  void update_execution_state();  // MTF, TSC offset, preemption timer from the VMCS
  void arm_preemption_timer();    // from the VMCS value, at VM entry
  void schedule_preemption_timer();
  void preemption_timer_fired();
  u32 preemption_timer_remaining() const;
  vmx::Activity activity() const;
  // Activity states (activity_state.cpp).
  void enter_activity_state();  // at the end of VM entry (§27.7.2)
  void leave_activity_state();  // VM exit: active in root operation
  bool parked() const { return parked_ != vmx::Activity::Active; }
  bool check_parked_events();  // a boundary while parked in shutdown or wait-for-SIPI
  bool init_exits();           // a held INIT in active or HLT state: exit 3
  void init_unblocked();       // VMXOFF
  void reset_activity_state();
  void serialize_activity_state(Serializer& s);

  Cpu& cpu_;
  bool on_ = false;
  u64 vmxon_ptr_ = 0;
  u64 current_ = vmx::kInvalidPointer;
  bool launched_ = false;
  bool current_shadow_ = false;
  vmx::Vmcs vmcs_{};
  // Event injection due at the first boundary after VM entry.
  bool inject_pending_ = false;
  bool mtf_pending_ = false;
  bool tpr_exit_pending_ = false;
  // VMX-preemption timer: virtual time at which it reaches 0.
  bool timer_armed_ = false;
  bool timer_expired_ = false;
  u64 timer_deadline_ = 0;
  u64 timer_event_ = 0;
  const char* last_failure_ = nullptr;
  u64 exits_ = 0;
  // The exit an unwinding instruction ends in (instruction_exit).
  vmx::ExitInfo pending_exit_{vmx::ExitReason::EXCEPTION_OR_NMI};
  bool exit_pending_ = false;
  // With "virtual NMIs", Cpu::nmi_blocked_ holds the guest's virtual-NMI
  // blocking in non-root operation; the real blocking waits here.
  bool host_nmi_blocked_ = false;
  // PAUSE-loop exiting: the TSC at the last PAUSE and at the loop's first.
  bool pause_seen_ = false;
  u64 last_pause_ = 0, loop_start_ = 0;
  // Activity states: the inactive state a VM entry parked the guest in
  // (shutdown or wait-for-SIPI; HLT is Cpu::halted), a held INIT, a SIPI
  // taken in wait-for-SIPI (its exit comes at the next boundary).
  vmx::Activity parked_ = vmx::Activity::Active;
  bool init_pending_ = false;
  bool sipi_pending_ = false;
  u8 sipi_vector_ = 0;
};

}  // namespace vtlab

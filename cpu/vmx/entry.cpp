// VM entry (SDM Vol. 3C ch. 27): VMLAUNCH/VMRESUME's own checks, the check
// table (entry_checks.cpp), loading the guest state, the VM-entry MSR-load
// area, and entering non-root operation with the event to inject.
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/entry_checks.h"
#include "cpu/vmx/guest_segments.h"
#include "cpu/vmx/vmx.h"

namespace vtlab {

using namespace vmx;

void Vmx::vm_entry(bool launch) {
  Cpu& c = cpu_;
  // SDM Vol. 2 VMLAUNCH/VMRESUME "Operation", after the common checks.
  if (!current_valid() || current_shadow_) return fail_invalid();
  if (c.interrupt_shadow && c.shadow_kind_ == Cpu::Shadow::MovSs) return fail(VmError::EntryEventsBlockedByMovSs);
  if (launch && launched_) return fail(VmError::VmlaunchNonClear);
  if (!launch && !launched_) return fail(VmError::VmresumeNonLaunched);
  const EntryContext ctx(vmcs_, c.mem(), c.efer & efer::LMA);
  const EntryCheck* bad = first_failed_check(ctx);
  last_failure_ = bad ? bad->name : nullptr;
  if (bad) {
    switch (bad->group) {
      case CheckGroup::Controls:
        return fail(VmError::EntryInvalidControls);
      case CheckGroup::HostState:
        return fail(VmError::EntryInvalidHostState);
      case CheckGroup::GuestState:
        return entry_failure(ExitReason::ENTRY_FAILURE_GUEST_STATE, bad->qualification);
    }
  }
  load_guest_state();
  // §27.4: the MSR-load area; entry k failing is a failure exit with
  // qualification k (the state loaded so far stays loaded, then the host
  // state replaces it).
  u32 failed = 0;
  if (!load_msr_list(vmcs_.entry_msr_load_addr, vmcs_.entry_msr_load_count, &failed)) {
    last_failure_ = "VM-entry MSR-load area";
    return entry_failure(ExitReason::ENTRY_FAILURE_MSR_LOADING, failed);
  }
  if (launch) launched_ = true;
  c.vmx_non_root_ = true;
  inject_pending_ = vmcs_.entry_interruption_info & intr_info::kValid;
  enter_activity_state();  // HLT, shutdown, wait-for-SIPI (activity_state.cpp)
  vmcs_.idt_vectoring_info = 0;
  update_execution_state();
  c.end_block();
}

// §27.8: the failure is reported like a VM exit with bit 31 of the exit
// reason set; no guest state is saved, the host state is loaded.
void Vmx::entry_failure(ExitReason reason, u64 qualification) {
  ExitInfo e{reason, qualification};
  e.entry_failure = true;
  vmcs_.idt_vectoring_info = 0;
  vm_exit(e);
}

// §27.3.2: the guest state comes from the VMCS.
void Vmx::load_guest_state() {
  Cpu& c = cpu_;
  const Vmcs& v = vmcs_;
  // §27.3.2.1: ET, NW, CD and the reserved bits of CR0 are not loaded.
  constexpr u64 kCr0Kept = cr0::ET | cr0::NW | cr0::CD | 0xffc0 | (1u << 17) | 0x1ff80000ull;
  c.cr0 = (v.guest_cr0 & ~kCr0Kept) | (c.cr0 & kCr0Kept);
  c.cr3 = v.guest_cr3;
  c.cr4 = v.guest_cr4;
  if (v.entry_controls & entry_ctl::kLoadDebugControls) {
    c.dr[7] = (v.guest_dr7 & ~u64(0xd000)) | 0x400;  // bits 12, 15:14 always 0, bit 10 always 1
    c.msr.debugctl = v.guest_debugctl;
  }
  c.msr.sysenter_cs = v.guest_sysenter_cs;
  c.msr.sysenter_esp = v.guest_sysenter_esp;
  c.msr.sysenter_eip = v.guest_sysenter_eip;
  if (v.entry_controls & entry_ctl::kLoadPat) c.msr.pat = v.guest_pat;
  const bool guest64 = v.entry_controls & entry_ctl::kIa32eModeGuest;
  if (v.entry_controls & entry_ctl::kLoadEfer) {
    c.efer = v.guest_efer;
  } else {
    // §27.3.2.1: LMA from "IA-32e mode guest", LME too if CR0.PG = 1.
    c.efer = (c.efer & ~efer::LMA) | (guest64 ? efer::LMA : 0);
    if (c.cr0 & cr0::PG) c.efer = (c.efer & ~efer::LME) | (guest64 ? efer::LME : 0);
  }
  for (unsigned s = 0; s < kNumSegs; ++s) {
    const SegFields& f = kGuestSegs[s];
    c.seg[s] = Segment{v.*f.selector, v.*f.base, v.*f.limit, (v.*f.ar) & (0xf0ff | ar::Unusable)};
  }
  c.ldtr =
      Segment{v.guest_ldtr_selector, v.guest_ldtr_base, v.guest_ldtr_limit, v.guest_ldtr_ar & (0xf0ff | ar::Unusable)};
  c.tr = Segment{v.guest_tr_selector, v.guest_tr_base, v.guest_tr_limit, v.guest_tr_ar & 0xf0ff};
  c.gdtr = TableReg{v.guest_gdtr_base, u16(v.guest_gdtr_limit)};
  c.idtr = TableReg{v.guest_idtr_base, u16(v.guest_idtr_limit)};
  c.gpr[RSP] = v.guest_rsp;
  c.rip = c.next_rip = v.guest_rip;
  c.flags.set(v.guest_rflags);
  // §27.3.2.2: CPL is SS.DPL (3 in virtual-8086 mode).
  c.set_cpl((v.guest_rflags & fl::VM) ? 3 : (v.guest_ss_ar >> 5) & 3);
  // §27.6: interruptibility state, pending debug exceptions (the activity
  // state once the entry has succeeded: enter_activity_state).
  const u32 intr = v.guest_interruptibility;
  c.interrupt_shadow = intr & (interruptibility::kBlockingBySti | interruptibility::kBlockingByMovSs);
  c.shadow_kind_ = (intr & interruptibility::kBlockingByMovSs) ? Cpu::Shadow::MovSs : Cpu::Shadow::Sti;
  c.shadow_fresh_ = false;
  // With "virtual NMIs" the field is the virtual-NMI blocking (§27.3.2.5):
  // Cpu::nmi_blocked_ holds it in non-root operation (IRET clears it, an
  // injected NMI sets it); real NMIs exit (NMI exiting is 1) whatever it says.
  if (v.pin_controls & pin::kVirtualNmis) host_nmi_blocked_ = c.nmi_blocked_;
  c.nmi_blocked_ = intr & interruptibility::kBlockingByNmi;
  c.boundary_debug_traps_ = v.guest_pending_debug & (dr6::kHits | dr6::BS);
  load_guest_translation();
  c.mode_changed();
  c.debug_changed();
}

// §27.3.2.4, §28.3.3.1 (TLB): the second-level state (EPT, VPID, PML) goes
// to the translation; PAE PDPTEs come from the VMCS with EPT, from CR3
// without (both checked by the table). Translations are not flushed: with
// VPID they stay tagged, without it set_second_level drops VPID 0000H's.
void Vmx::load_guest_translation() {
  Cpu& c = cpu_;
  const Vmcs& v = vmcs_;
  const u32 p2 = (v.proc_controls & proc::kSecondaryControls) ? v.proc2_controls : 0;
  SecondLevel s;
  s.non_root = true;
  s.ept = p2 & proc2::kEnableEpt;
  s.eptp = v.ept_pointer;
  s.vpid_enabled = p2 & proc2::kEnableVpid;
  s.vpid = v.vpid;
  s.mode_based_exec = p2 & proc2::kModeBasedExecute;
  s.pml = p2 & proc2::kEnablePml;
  s.pml_address = v.pml_address;
  s.pml_index = v.guest_pml_index;
  c.set_second_level(s);
  c.update_paging_mode();
  if (c.paging_ == PagingMode::Pae) {
    if (s.ept) {
      const u64 fields[4] = {v.guest_pdpte0, v.guest_pdpte1, v.guest_pdpte2, v.guest_pdpte3};
      for (unsigned k = 0; k < 4; ++k) c.pdpte[k] = fields[k];
    } else {
      load_pae_pdptes(c.mem(), c.cr3, c.pdpte);
    }
  }
  c.flush_host_tlbs();
}

void Vmx::switch_eptp(u64 eptp, u16 index) {
  vmcs_.ept_pointer = eptp;
  vmcs_.eptp_index = index;
  SecondLevel s = cpu_.second_level();
  s.eptp = eptp;
  cpu_.set_second_level(s);  // mappings stay tagged by their EP4TA: nothing to flush
  cpu_.end_block();
}

// The parts of the controls the interpreter consults as it runs.
void Vmx::update_execution_state() {
  Cpu& c = cpu_;
  const Vmcs& v = vmcs_;
  pause_seen_ = false;
  c.vmx_single_step_ = v.proc_controls & proc::kMonitorTrapFlag;
  timer_expired_ = false;
  if (v.pin_controls & pin::kPreemptionTimer) arm_preemption_timer();
}

}  // namespace vtlab

// VM exits (SDM Vol. 3C ch. 28): the exit-information fields, saving the
// guest state, the MSR-store area, loading the host state, the MSR-load
// area; a failure there is a VMX abort (§28.7).
#include <string>

#include "cpu/msr_table.h"
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/guest_segments.h"
#include "cpu/vmx/vmx.h"
#include "mmu/paging.h"

namespace vtlab {

using namespace vmx;

namespace {

// Access rights as VM exits save them (SDM Vol. 3C §28.3.2): an unusable
// segment has bit 16 set; bits 11:8 and 31:17 are saved as 0.
u32 saved_ar(const Segment& s) {
  if (s.attr & ar::Unusable) return (s.attr & 0xf0ff) | ar::Unusable;
  return s.attr & 0xf0ff;
}

// CR0 bits a VM exit does not load from the host-state area: ET and the
// reserved bits (SDM Vol. 3C §28.5.1).
constexpr u64 kCr0Kept = cr0::ET | 0xffc0 | (1u << 17) | 0x1ff80000ull | 0xffffffff00000000ull;

}  // namespace

// §28.3: the guest state goes to the VMCS.
void Vmx::save_guest_state(const ExitInfo& e) {
  Cpu& c = cpu_;
  Vmcs& v = vmcs_;
  v.guest_cr0 = c.cr0;
  v.guest_cr3 = c.cr3;
  v.guest_cr4 = c.cr4;
  if (v.exit_controls & exit_ctl::kSaveDebugControls) {
    v.guest_dr7 = c.dr[7];
    v.guest_debugctl = c.msr.debugctl;
  }
  v.guest_rsp = c.gpr[RSP];
  v.guest_rip = c.rip;
  v.guest_rflags = c.rflags() | (e.fault_rf ? fl::RF : 0);
  for (unsigned s = 0; s < kNumSegs; ++s) {
    const SegFields& f = kGuestSegs[s];
    v.*f.selector = c.seg[s].selector;
    v.*f.base = c.seg[s].base;
    v.*f.limit = c.seg[s].limit;
    v.*f.ar = saved_ar(c.seg[s]);
  }
  v.guest_ldtr_selector = c.ldtr.selector, v.guest_ldtr_base = c.ldtr.base, v.guest_ldtr_limit = c.ldtr.limit;
  v.guest_ldtr_ar = saved_ar(c.ldtr);
  v.guest_tr_selector = c.tr.selector, v.guest_tr_base = c.tr.base, v.guest_tr_limit = c.tr.limit;
  v.guest_tr_ar = saved_ar(c.tr);
  v.guest_gdtr_base = c.gdtr.base, v.guest_gdtr_limit = c.gdtr.limit;
  v.guest_idtr_base = c.idtr.base, v.guest_idtr_limit = c.idtr.limit;
  v.guest_sysenter_cs = u32(c.msr.sysenter_cs);
  v.guest_sysenter_esp = c.msr.sysenter_esp;
  v.guest_sysenter_eip = c.msr.sysenter_eip;
  if (v.exit_controls & exit_ctl::kSavePat) v.guest_pat = c.msr.pat;
  if (v.exit_controls & exit_ctl::kSaveEfer) v.guest_efer = c.efer;
  // "IA-32e mode guest" follows EFER.LMA (IA32_VMX_MISC[5], §28.2).
  v.entry_controls =
      (v.entry_controls & ~entry_ctl::kIa32eModeGuest) | ((c.efer & efer::LMA) ? entry_ctl::kIa32eModeGuest : 0);
  // Non-register state (§28.3.4).
  v.guest_activity_state = u32(activity());  // the state before the exit (§28.1; activity_state.cpp)
  u32 intr = 0;
  if (c.interrupt_shadow)
    intr |=
        c.shadow_kind_ == Cpu::Shadow::MovSs ? interruptibility::kBlockingByMovSs : interruptibility::kBlockingBySti;
  if (c.nmi_blocked_) intr |= interruptibility::kBlockingByNmi;
  v.guest_interruptibility = intr;
  v.guest_pending_debug = c.deferred_debug_ & (dr6::kHits | dr6::BS);
  // §28.3.4: with EPT, a PAE guest's PDPTEs; the PML index the log reached.
  const SecondLevel& sl = c.second_level();
  if (sl.ept && c.paging_ == PagingMode::Pae) {
    v.guest_pdpte0 = c.pdpte[0], v.guest_pdpte1 = c.pdpte[1], v.guest_pdpte2 = c.pdpte[2], v.guest_pdpte3 = c.pdpte[3];
  }
  if (sl.pml) v.guest_pml_index = sl.pml_index;
  if ((v.pin_controls & pin::kPreemptionTimer) && (v.exit_controls & exit_ctl::kSavePreemptionTimer))
    v.preemption_timer_value = e.reason == ExitReason::PREEMPTION_TIMER ? 0 : preemption_timer_remaining();
}

// §28.5: the host state comes from the VMCS.
void Vmx::load_host_state() {
  Cpu& c = cpu_;
  const Vmcs& v = vmcs_;
  const bool host64 = v.exit_controls & exit_ctl::kHostAddressSpaceSize;
  c.cr0 = (v.host_cr0 & ~kCr0Kept) | (c.cr0 & kCr0Kept);
  c.cr3 = v.host_cr3;
  c.cr4 = v.host_cr4;
  c.dr[7] = 0x400;
  c.msr.debugctl = 0;
  c.msr.sysenter_cs = v.host_sysenter_cs;
  c.msr.sysenter_esp = v.host_sysenter_esp;
  c.msr.sysenter_eip = v.host_sysenter_eip;
  if (v.exit_controls & exit_ctl::kLoadPat) c.msr.pat = v.host_pat;
  if (v.exit_controls & exit_ctl::kLoadEfer)
    c.efer = v.host_efer;
  else
    c.efer = host64 ? (c.efer | efer::LMA | efer::LME) : (c.efer & ~(efer::LMA | efer::LME));
  // Segments (§28.5.2): flat, DPL 0, from the selector fields.
  constexpr u32 kData = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
  for (unsigned s = 0; s < kNumSegs; ++s) {
    const u16 sel = v.*kHostSelectors[s];
    if (s == CS) {
      c.seg[CS] = Segment{
          sel, 0, 0xffffffff,
          ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::G | (host64 ? ar::L : ar::DB)};
    } else if (sel == 0) {
      c.seg[s] = Segment{0, 0, 0xffffffff, kData | ar::Unusable};
    } else {
      c.seg[s] = Segment{sel, 0, 0xffffffff, kData};
    }
  }
  c.seg[FS].base = v.host_fs_base;
  c.seg[GS].base = v.host_gs_base;
  c.tr = Segment{v.host_tr_selector, v.host_tr_base, 0x67, ar::P | 0xb};
  c.ldtr = Segment{0, 0, 0, ar::Unusable};
  c.gdtr = TableReg{v.host_gdtr_base, 0xffff};
  c.idtr = TableReg{v.host_idtr_base, 0xffff};
  c.gpr[RSP] = v.host_rsp;
  c.rip = c.next_rip = v.host_rip;
  c.flags.set(fl::kFixed1);
  c.interrupt_shadow = false;
  c.deferred_debug_ = c.pending_debug_ = 0;
  c.set_cpl(0);
  load_host_translation();
  c.debug_changed();
  c.mode_changed();
}

// Root operation's translation: no EPT, VPID 0000H (whose mappings
// set_second_level drops if the guest ran without VPID, §28.3.3.1), a PAE
// host's PDPTEs from its CR3 (a failure there is VMX abort 2, §28.7).
void Vmx::load_host_translation() {
  Cpu& c = cpu_;
  c.set_second_level(SecondLevel{});
  c.update_paging_mode();
  if (c.paging_ == PagingMode::Pae && !load_pae_pdptes(c.mem(), c.cr3, c.pdpte)) vmx_abort(2);
  c.flush_host_tlbs();
}

void Vmx::vmx_abort(u32 indicator) {
  // §28.7: the indicator is written to the VMCS region and the processor
  // shuts down.
  if (current_valid()) cpu_.mem().write(current_ + kAbortOffset, 4, indicator);
  cpu_.fatal_ = StopCause::TripleFault;
  cpu_.stop_detail_ = "VMX abort " + std::to_string(indicator);
  cpu_.request_stop();
}

// §28.4: the MSR-store area, 16 bytes an entry (index, reserved, value).
void Vmx::store_msr_list(u64 addr, u32 count) {
  for (u32 k = 0; k < count; ++k) {
    const u32 index = u32(cpu_.mem().read(addr + 16 * k, 4));
    u64 value = 0;
    if ((index >> 8) == 0x8 || !cpu_.read_msr(index, value)) return vmx_abort(1);
    cpu_.mem().write(addr + 16 * k + 8, 8, value);
  }
}

// The MSR-load areas of VM entry (§27.4) and VM exit (§28.6): entry k
// (counted from 1) that cannot be loaded is reported in *failed_index.
bool Vmx::load_msr_list(u64 addr, u32 count, u32* failed_index) {
  for (u32 k = 0; k < count; ++k) {
    const u64 lo = cpu_.mem().read(addr + 16 * k, 8);
    const u64 value = cpu_.mem().read(addr + 16 * k + 8, 8);
    const u32 index = u32(lo);
    const bool forbidden = (index >> 8) == 0x8 ||             // x2APIC MSRs
                           index == 0x9b || index == 0x9e ||  // IA32_SMM_MONITOR_CTL, IA32_SMBASE
                           index == msr_index::kFsBase || index == msr_index::kGsBase;
    if ((lo >> 32) || forbidden || !cpu_.write_msr(index, value)) {
      *failed_index = k + 1;
      return false;
    }
  }
  return true;
}

void Vmx::vm_exit(const ExitInfo& e) {
  Cpu& c = cpu_;
  Vmcs& v = vmcs_;
  ++exits_;
  // §28.2: the exit-information fields.
  v.exit_reason = u32(e.reason) | (e.entry_failure ? kExitReasonEntryFailure : 0);
  v.exit_qualification = e.qualification;
  v.guest_linear_address = e.guest_linear;
  v.guest_physical_address = e.guest_physical;
  v.exit_instruction_length = e.instruction_length;
  v.exit_instruction_info = e.instruction_info;
  v.exit_interruption_info = e.interruption_info;
  v.exit_interruption_error_code = e.interruption_error;
  if (!e.entry_failure) {
    // §28.2.4: IDT-vectoring information is filled by the caller when
    // the exit interrupted an event's delivery (events.cpp).
    save_guest_state(e);
    store_msr_list(v.exit_msr_store_addr, v.exit_msr_store_count);
    if (v.pin_controls & pin::kVirtualNmis) c.nmi_blocked_ = host_nmi_blocked_;  // the real blocking again
  }
  v.entry_interruption_info &= ~intr_info::kValid;  // §28.2.4 / §27.8.3: no injection pending any more
  if (timer_armed_) c.scheduler().cancel(timer_event_);
  timer_armed_ = timer_expired_ = false;
  inject_pending_ = mtf_pending_ = tpr_exit_pending_ = false;
  c.vmx_non_root_ = false;
  c.vmx_single_step_ = false;
  leave_activity_state();
  c.monitor_.waiting = false;
  load_host_state();
  if (c.fatal_ != StopCause::None) return;
  u32 failed = 0;
  if (!load_msr_list(v.exit_msr_load_addr, v.exit_msr_load_count, &failed)) vmx_abort(4);
  c.end_block();
}

void Vmx::instruction_exit(ExitInfo e, u32 len) {
  e.instruction_length = len;
  exit_unwinding(e);
}

void Vmx::exit_unwinding(const ExitInfo& e) {
  pending_exit_ = e;
  exit_pending_ = true;
  cpu_.vm_exit_unwind();
}

void Vmx::complete_pending_exit() {
  if (!exit_pending_) return;
  exit_pending_ = false;
  vmcs_.idt_vectoring_info = 0;
  vm_exit(pending_exit_);
}

}  // namespace vtlab

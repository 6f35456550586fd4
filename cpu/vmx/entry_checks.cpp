// The VM-entry check table (SDM Vol. 3C §27.2 controls and host state,
// §27.3.1 guest state), in the SDM's order. Each row is one condition; the
// first row that fails decides the architected failure (entry_checks.h).
// tests/vmx/entry_checks_test.cpp builds, for every row, a VMCS that fails
// it and only it, and asserts that failure.
#include "cpu/vmx/entry_checks.h"

#include "cpu/msr_table.h"
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/guest_segments.h"
#include "cpu/vmx/vmx.h"
#include "mmu/ept.h"
#include "mmu/paging.h"
#include "mmu/phys_mem.h"

namespace vtlab::vmx {

EntryContext::EntryContext(const Vmcs& vmcs, PhysMem& m, bool ia32e) : v(vmcs), mem(m), host_in_ia32e(ia32e) {
  pin = v.pin_controls, proc = v.proc_controls, exit = v.exit_controls, entry = v.entry_controls;
  proc2 = (proc & proc::kSecondaryControls) ? v.proc2_controls : 0;
  host64 = exit & exit_ctl::kHostAddressSpaceSize;
  guest64 = entry & entry_ctl::kIa32eModeGuest;
  unrestricted = proc2 & proc2::kUnrestrictedGuest;
  v86 = v.guest_rflags & fl::VM;
}

namespace {

using C = const EntryContext&;

bool canonical(u64 a) { return u64(i64(a << 16) >> 16) == a; }
bool within_phys(u64 a) { return (a >> kMaxPhysAddrBits) == 0; }
bool page_address(u64 a) { return (a & 0xfff) == 0 && within_phys(a); }
// An MSR area: 16-byte aligned, its last byte within the physical-address width.
bool msr_area(u64 addr, u32 count) {
  return count == 0 || ((addr & 0xf) == 0 && within_phys(addr + 16 * u64(count) - 1));
}
bool pat_valid(u64 v) {
  for (int i = 0; i < 8; ++i)
    if (!valid_memory_type((v >> (8 * i)) & 0xff, true)) return false;
  return true;
}
constexpr u64 kEferReserved = ~(efer::SCE | efer::LME | efer::LMA | efer::NXE);

// ---- the event to inject (§27.2.1.3) ----
u32 inj(C c) { return c.v.entry_interruption_info; }
bool injecting(C c) { return inj(c) & intr_info::kValid; }
u32 inj_type(C c) { return (inj(c) >> 8) & 7; }
u32 inj_vector(C c) { return inj(c) & 0xff; }
// Vectors whose delivery pushes an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC).
bool pushes_error(u32 v) { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

// ---- guest segments (§27.3.1.2) ----
u32 g_ar(C c, unsigned s) { return c.v.*kGuestSegs[s].ar; }
u32 g_limit(C c, unsigned s) { return c.v.*kGuestSegs[s].limit; }
u16 g_sel(C c, unsigned s) { return c.v.*kGuestSegs[s].selector; }
u64 g_base(C c, unsigned s) { return c.v.*kGuestSegs[s].base; }
bool usable(u32 a) { return !(a & ar::Unusable); }
u32 type(u32 a) { return a & 0xf; }
u32 dpl(u32 a) { return (a >> 5) & 3; }
// Bits 11:8 and 31:17 of a usable segment's access rights are reserved.
bool ar_reserved_clear(u32 a) { return (a & 0xf00) == 0 && (a >> 17) == 0; }
// G matches the limit: limit[11:0] != FFFH -> G = 0; limit[31:20] != 0 -> G = 1.
bool granularity_ok(u32 a, u32 limit) {
  if ((limit & 0xfff) != 0xfff && (a & ar::G)) return false;
  if ((limit >> 20) && !(a & ar::G)) return false;
  return true;
}
// For the data segments DS ES FS GS and SS when usable, outside v8086.
template <typename Rule>
bool data_seg(C c, unsigned s, Rule rule) {
  if (c.v86 || !usable(g_ar(c, s))) return true;
  return rule(s);
}
bool v86_seg(C c, unsigned s) {
  return !c.v86 || (g_base(c, s) == u64(g_sel(c, s)) << 4 && g_limit(c, s) == 0xffff && g_ar(c, s) == 0xf3);
}

// ---- pending debug exceptions (§27.3.1.5) ----
bool blocking_sti_or_movss(C c) {
  return c.v.guest_interruptibility & (interruptibility::kBlockingBySti | interruptibility::kBlockingByMovSs);
}

// ---- PDPTEs (§27.3.1.6): PAE paging without EPT loads them from CR3 ----
bool pae_guest(C c) { return (c.v.guest_cr0 & cr0::PG) && (c.v.guest_cr4 & cr4::PAE) && !c.guest64; }
// A present PAE PDPTE may not set reserved bits 2:1, 8:5 or bits beyond
// the physical-address width (SDM Vol. 3A §4.4.1).
bool pdpte_ok(u64 e) { return !(e & 1) || (e & (0x1e6 | ~((u64(1) << kMaxPhysAddrBits) - 1))) == 0; }

}  // namespace

// §27.2.1.1: an EPTP the processor supports (IA32_VMX_EPT_VPID_CAP): its
// memory type, page-walk length, A/D enable, reserved bits 11:7 and bits
// beyond the physical-address width.
bool eptp_valid(u64 p) {
  const u64 caps = ept_cap::kSupported;
  const u64 type = p & eptp::kMemTypeMask, walk = (p >> eptp::kWalkLengthShift) & 7;
  if (!((type == 0 && (caps & ept_cap::kMemTypeUc)) || (type == 6 && (caps & ept_cap::kMemTypeWb)))) return false;
  if (!((walk == 3 && (caps & ept_cap::kWalkLength4)) || (walk == 4 && (caps & ept_cap::kWalkLength5)))) return false;
  if ((p & eptp::kAccessDirty) && !(caps & ept_cap::kAccessDirty)) return false;
  return (p & 0xf80) == 0 && within_phys(p);
}

namespace {

using namespace vtlab::vmx::interruptibility;

#define ROW(name, group, section, ...)                                            \
  {                                                                               \
    name, CheckGroup::group, section, +[](C c) -> bool { return __VA_ARGS__; }, 0 \
  }
#define ROWQ(name, section, qual, ...)                                                    \
  {                                                                                       \
    name, CheckGroup::GuestState, section, +[](C c) -> bool { return __VA_ARGS__; }, qual \
  }

const EntryCheck kChecks[] = {
    // ================= VM-execution control fields (§27.2.1.1)
    ROW("pin-based controls reserved bits", Controls, "27.2.1.1", pin_rule().allows(c.pin)),
    ROW("primary processor-based controls reserved bits", Controls, "27.2.1.1", proc_rule().allows(c.proc)),
    ROW("secondary processor-based controls reserved bits", Controls, "27.2.1.1",
        !(c.proc & proc::kSecondaryControls) || proc2_rule().allows(c.v.proc2_controls)),
    ROW("CR3-target count at most 4", Controls, "27.2.1.1", c.v.cr3_target_count <= kCr3TargetCount),
    ROW("I/O bitmap addresses", Controls, "27.2.1.1",
        !(c.proc & proc::kUseIoBitmaps) || (page_address(c.v.io_bitmap_a) && page_address(c.v.io_bitmap_b))),
    ROW("MSR bitmap address", Controls, "27.2.1.1", !(c.proc & proc::kUseMsrBitmaps) || page_address(c.v.msr_bitmap)),
    ROW("virtual-APIC address", Controls, "27.2.1.1",
        !(c.proc & proc::kUseTprShadow) || page_address(c.v.virtual_apic_page_addr)),
    ROW("TPR threshold bits 31:4 clear", Controls, "27.2.1.1",
        !(c.proc & proc::kUseTprShadow) || (c.proc2 & proc2::kVirtualInterruptDelivery) ||
            (c.v.tpr_threshold >> 4) == 0),
    ROW("TPR threshold at most VTPR[7:4]", Controls, "27.2.1.1",
        !(c.proc & proc::kUseTprShadow) ||
            (c.proc2 & (proc2::kVirtualInterruptDelivery | proc2::kVirtualizeApicAccesses)) ||
            (c.v.tpr_threshold & 0xf) <= (c.mem.read(c.v.virtual_apic_page_addr + 0x80, 1) >> 4)),
    ROW("virtual NMIs need NMI exiting", Controls, "27.2.1.1",
        (c.pin & pin::kNmiExiting) || !(c.pin & pin::kVirtualNmis)),
    ROW("NMI-window exiting needs virtual NMIs", Controls, "27.2.1.1",
        (c.pin & pin::kVirtualNmis) || !(c.proc & proc::kNmiWindowExiting)),
    ROW("VPID not 0", Controls, "27.2.1.1", !(c.proc2 & proc2::kEnableVpid) || c.v.vpid != 0),
    ROW("EPTP valid", Controls, "27.2.1.1", !(c.proc2 & proc2::kEnableEpt) || eptp_valid(c.v.ept_pointer)),
    ROW("PML needs EPT and an aligned PML address", Controls, "27.2.1.1",
        !(c.proc2 & proc2::kEnablePml) || ((c.proc2 & proc2::kEnableEpt) && page_address(c.v.pml_address))),
    ROW("unrestricted guest needs EPT", Controls, "27.2.1.1",
        !(c.proc2 & proc2::kUnrestrictedGuest) || (c.proc2 & proc2::kEnableEpt)),
    ROW("VM-function controls: EPTP switching only, with EPT and an aligned EPTP list", Controls, "27.2.1.1",
        !(c.proc2 & proc2::kEnableVmfunc) ||
            ((c.v.vm_function_control & ~u64(1)) == 0 &&
             (!(c.v.vm_function_control & 1) || ((c.proc2 & proc2::kEnableEpt) && page_address(c.v.eptp_list_addr))))),
    ROW("mode-based execute control needs EPT", Controls, "27.2.1.1",
        !(c.proc2 & proc2::kModeBasedExecute) || (c.proc2 & proc2::kEnableEpt)),
    // ================= VM-exit control fields (§27.2.1.2)
    ROW("VM-exit controls reserved bits", Controls, "27.2.1.2", exit_rule().allows(c.exit)),
    ROW("save preemption timer needs the timer", Controls, "27.2.1.2",
        (c.pin & pin::kPreemptionTimer) || !(c.exit & exit_ctl::kSavePreemptionTimer)),
    ROW("VM-exit MSR-store area", Controls, "27.2.1.2", msr_area(c.v.exit_msr_store_addr, c.v.exit_msr_store_count)),
    ROW("VM-exit MSR-load area", Controls, "27.2.1.2", msr_area(c.v.exit_msr_load_addr, c.v.exit_msr_load_count)),
    // ================= VM-entry control fields (§27.2.1.3)
    ROW("VM-entry controls reserved bits", Controls, "27.2.1.3", entry_rule().allows(c.entry)),
    ROW("injected event: reserved bits 30:12", Controls, "27.2.1.3", !injecting(c) || ((inj(c) >> 12) & 0x7ffff) == 0),
    ROW("injected event: type not reserved", Controls, "27.2.1.3",
        !injecting(c) || (inj_type(c) != 1 && (inj_type(c) != 7 || supports_proc(proc::kMonitorTrapFlag)))),
    ROW("injected event: NMI is vector 2", Controls, "27.2.1.3",
        !injecting(c) || inj_type(c) != 2 || inj_vector(c) == 2),
    ROW("injected event: exception vector at most 31", Controls, "27.2.1.3",
        !injecting(c) || (inj_type(c) != 3 && inj_type(c) != 5 && inj_type(c) != 6) || inj_vector(c) <= 31),
    ROW("injected event: other event is vector 0 (MTF)", Controls, "27.2.1.3",
        !injecting(c) || inj_type(c) != 7 || inj_vector(c) == 0),
    ROW("injected event: error code exactly for the exceptions that push one", Controls, "27.2.1.3",
        !injecting(c) ||
            bool(inj(c) & intr_info::kErrorValid) == (inj_type(c) == 3 && pushes_error(inj_vector(c)) &&
                                                      (c.unrestricted ? (c.v.guest_cr0 & cr0::PE) != 0 : true))),
    ROW("injected event: error code bits 31:16 clear", Controls, "27.2.1.3",
        !injecting(c) || !(inj(c) & intr_info::kErrorValid) || (c.v.entry_exception_error_code >> 16) == 0),
    ROW("injected event: instruction length 0-15", Controls, "27.2.1.3",
        !injecting(c) || (inj_type(c) != 4 && inj_type(c) != 5 && inj_type(c) != 6) ||
            c.v.entry_instruction_length <= 15),
    ROW("VM-entry MSR-load area", Controls, "27.2.1.3", msr_area(c.v.entry_msr_load_addr, c.v.entry_msr_load_count)),
    // ================= host state (§27.2.2 control registers and MSRs)
    ROW("host CR0 fixed bits", HostState, "27.2.2",
        (c.v.host_cr0 & cr0_fixed0()) == cr0_fixed0() && (c.v.host_cr0 & ~cr0_fixed1()) == 0),
    ROW("host CR4 fixed bits", HostState, "27.2.2",
        (c.v.host_cr4 & cr4_fixed0()) == cr4_fixed0() && (c.v.host_cr4 & ~cr4_fixed1()) == 0),
    ROW("host CR3 within the physical-address width", HostState, "27.2.2", within_phys(c.v.host_cr3)),
    ROW("host SYSENTER_ESP/EIP canonical", HostState, "27.2.2",
        canonical(c.v.host_sysenter_esp) && canonical(c.v.host_sysenter_eip)),
    ROW("host PAT valid", HostState, "27.2.2", !(c.exit & exit_ctl::kLoadPat) || pat_valid(c.v.host_pat)),
    ROW("host EFER reserved bits", HostState, "27.2.2",
        !(c.exit & exit_ctl::kLoadEfer) || (c.v.host_efer & kEferReserved) == 0),
    ROW("host EFER.LMA and LME match the host address-space size", HostState, "27.2.2",
        !(c.exit & exit_ctl::kLoadEfer) ||
            (bool(c.v.host_efer & efer::LMA) == c.host64 && bool(c.v.host_efer & efer::LME) == c.host64)),
    // ================= host segment and descriptor-table registers (§27.2.3)
    ROW("host selectors RPL and TI 0", HostState, "27.2.3",
        ((c.v.host_es_selector | c.v.host_cs_selector | c.v.host_ss_selector | c.v.host_ds_selector |
          c.v.host_fs_selector | c.v.host_gs_selector | c.v.host_tr_selector) &
         7) == 0),
    ROW("host CS selector not null", HostState, "27.2.3", c.v.host_cs_selector != 0),
    ROW("host TR selector not null", HostState, "27.2.3", c.v.host_tr_selector != 0),
    ROW("host SS selector not null without 64-bit host", HostState, "27.2.3", c.host64 || c.v.host_ss_selector != 0),
    ROW("host FS, GS, GDTR, IDTR, TR bases canonical", HostState, "27.2.3",
        canonical(c.v.host_fs_base) && canonical(c.v.host_gs_base) && canonical(c.v.host_gdtr_base) &&
            canonical(c.v.host_idtr_base) && canonical(c.v.host_tr_base)),
    // ================= host address-space size (§27.2.4)
    ROW("host address-space size matches IA-32e mode", HostState, "27.2.4", c.host_in_ia32e == c.host64),
    ROW("IA-32e mode guest needs a 64-bit host", HostState, "27.2.4", c.host_in_ia32e || !c.guest64),
    ROW("32-bit host: CR4.PCIDE 0, RIP[63:32] 0", HostState, "27.2.4",
        c.host64 || (!(c.v.host_cr4 & cr4::PCIDE) && (c.v.host_rip >> 32) == 0)),
    ROW("64-bit host: CR4.PAE 1, RIP canonical", HostState, "27.2.4",
        !c.host64 || ((c.v.host_cr4 & cr4::PAE) && canonical(c.v.host_rip))),
    // ================= guest control registers, debug registers, MSRs (§27.3.1.1)
    ROW("guest CR0 fixed bits", GuestState, "27.3.1.1",
        [&] {
          u64 f0 = cr0_fixed0();
          if (c.unrestricted) f0 &= ~(cr0::PE | cr0::PG);
          return (c.v.guest_cr0 & f0) == f0 && (c.v.guest_cr0 & ~cr0_fixed1()) == 0;
        }()),
    ROW("guest CR0.PG needs CR0.PE", GuestState, "27.3.1.1", !(c.v.guest_cr0 & cr0::PG) || (c.v.guest_cr0 & cr0::PE)),
    ROW("guest CR4 fixed bits", GuestState, "27.3.1.1",
        (c.v.guest_cr4 & cr4_fixed0()) == cr4_fixed0() && (c.v.guest_cr4 & ~cr4_fixed1()) == 0),
    ROW("guest DEBUGCTL reserved bits", GuestState, "27.3.1.1",
        !(c.entry & entry_ctl::kLoadDebugControls) || c.v.guest_debugctl == 0),
    ROW("IA-32e mode guest: CR0.PG and CR4.PAE", GuestState, "27.3.1.1",
        !c.guest64 || ((c.v.guest_cr0 & cr0::PG) && (c.v.guest_cr4 & cr4::PAE))),
    ROW("not IA-32e mode guest: CR4.PCIDE 0", GuestState, "27.3.1.1", c.guest64 || !(c.v.guest_cr4 & cr4::PCIDE)),
    ROW("guest CR3 within the physical-address width", GuestState, "27.3.1.1", within_phys(c.v.guest_cr3)),
    ROW("guest DR7[63:32] 0", GuestState, "27.3.1.1",
        !(c.entry & entry_ctl::kLoadDebugControls) || (c.v.guest_dr7 >> 32) == 0),
    ROW("guest SYSENTER_ESP/EIP canonical", GuestState, "27.3.1.1",
        canonical(c.v.guest_sysenter_esp) && canonical(c.v.guest_sysenter_eip)),
    ROW("guest PAT valid", GuestState, "27.3.1.1", !(c.entry & entry_ctl::kLoadPat) || pat_valid(c.v.guest_pat)),
    ROW("guest EFER reserved bits", GuestState, "27.3.1.1",
        !(c.entry & entry_ctl::kLoadEfer) || (c.v.guest_efer & kEferReserved) == 0),
    ROW("guest EFER.LMA is IA-32e mode guest, LME too with paging", GuestState, "27.3.1.1",
        !(c.entry & entry_ctl::kLoadEfer) ||
            (bool(c.v.guest_efer & efer::LMA) == c.guest64 &&
             (!(c.v.guest_cr0 & cr0::PG) || bool(c.v.guest_efer & efer::LME) == c.guest64))),
    // ================= guest segment registers (§27.3.1.2)
    ROW("guest TR selector TI 0", GuestState, "27.3.1.2", !(c.v.guest_tr_selector & 4)),
    ROW("guest LDTR selector TI 0 if usable", GuestState, "27.3.1.2",
        !usable(c.v.guest_ldtr_ar) || !(c.v.guest_ldtr_selector & 4)),
    ROW("guest SS.RPL = CS.RPL", GuestState, "27.3.1.2",
        c.v86 || c.unrestricted || (c.v.guest_ss_selector & 3) == (c.v.guest_cs_selector & 3)),
    ROW("virtual-8086 guest segments: base = selector * 16, limit FFFFH, rights F3H", GuestState, "27.3.1.2",
        v86_seg(c, ES) && v86_seg(c, CS) && v86_seg(c, SS) && v86_seg(c, DS) && v86_seg(c, FS) && v86_seg(c, GS)),
    ROW("guest TR, FS, GS, LDTR bases canonical", GuestState, "27.3.1.2",
        canonical(c.v.guest_tr_base) && canonical(c.v.guest_fs_base) && canonical(c.v.guest_gs_base) &&
            (!usable(c.v.guest_ldtr_ar) || canonical(c.v.guest_ldtr_base))),
    ROW("guest CS, SS, DS, ES bases[63:32] 0", GuestState, "27.3.1.2",
        (c.v.guest_cs_base >> 32) == 0 && (!usable(c.v.guest_ss_ar) || (c.v.guest_ss_base >> 32) == 0) &&
            (!usable(c.v.guest_ds_ar) || (c.v.guest_ds_base >> 32) == 0) &&
            (!usable(c.v.guest_es_ar) || (c.v.guest_es_base >> 32) == 0)),
    ROW("guest CS type", GuestState, "27.3.1.2",
        c.v86 || type(c.v.guest_cs_ar) == 9 || type(c.v.guest_cs_ar) == 11 || type(c.v.guest_cs_ar) == 13 ||
            type(c.v.guest_cs_ar) == 15 || (c.unrestricted && type(c.v.guest_cs_ar) == 3)),
    ROW("guest CS.S 1 and CS.P 1", GuestState, "27.3.1.2",
        c.v86 || ((c.v.guest_cs_ar & ar::S) && (c.v.guest_cs_ar & ar::P) && usable(c.v.guest_cs_ar))),
    ROW(
        "guest CS.DPL", GuestState, "27.3.1.2",
        c.v86 ||
            [&] {
              const u32 t = type(c.v.guest_cs_ar), d = dpl(c.v.guest_cs_ar), ss = dpl(c.v.guest_ss_ar);
              if (t == 3) return d == 0;
              if (t == 9 || t == 11) return d == ss;
              return d <= ss;
            }()),
    ROW("guest CS reserved rights bits", GuestState, "27.3.1.2", c.v86 || ar_reserved_clear(c.v.guest_cs_ar)),
    ROW("guest CS.D/B 0 with CS.L in IA-32e mode", GuestState, "27.3.1.2",
        c.v86 || !c.guest64 || !(c.v.guest_cs_ar & ar::L) || !(c.v.guest_cs_ar & ar::DB)),
    ROW("guest CS granularity", GuestState, "27.3.1.2", c.v86 || granularity_ok(c.v.guest_cs_ar, c.v.guest_cs_limit)),
    ROW("guest SS type 3 or 7 if usable", GuestState, "27.3.1.2",
        data_seg(c, SS, [&](unsigned) { return type(c.v.guest_ss_ar) == 3 || type(c.v.guest_ss_ar) == 7; })),
    ROW(
        "guest SS.DPL", GuestState, "27.3.1.2",
        c.v86 ||
            [&] {
              if (!c.unrestricted && dpl(c.v.guest_ss_ar) != (c.v.guest_ss_selector & 3u)) return false;
              if ((type(c.v.guest_cs_ar) == 3 || !(c.v.guest_cr0 & cr0::PE)) && dpl(c.v.guest_ss_ar) != 0) return false;
              return true;
            }()),
    ROW("guest SS.S, P, reserved bits, granularity if usable", GuestState, "27.3.1.2",
        data_seg(c, SS,
                 [&](unsigned) {
                   const u32 a = c.v.guest_ss_ar;
                   return (a & ar::S) && (a & ar::P) && ar_reserved_clear(a) && granularity_ok(a, c.v.guest_ss_limit);
                 })),
    ROW("guest DS, ES, FS, GS rights if usable", GuestState, "27.3.1.2",
        [&] {
          for (unsigned s : {DS, ES, FS, GS}) {
            const bool ok = data_seg(c, s, [&](unsigned seg) {
              const u32 a = g_ar(c, seg), t = type(a);
              if (!(t & ar::kTypeAccessed) || ((t & ar::kTypeCode) && !(t & ar::kTypeReadable))) return false;
              if (!(a & ar::S) || !(a & ar::P) || !ar_reserved_clear(a) || !granularity_ok(a, g_limit(c, seg)))
                return false;
              // DPL >= RPL for data and non-conforming code (types 0-11).
              if (!c.unrestricted && t <= 11 && dpl(a) < (g_sel(c, seg) & 3u)) return false;
              return true;
            });
            if (!ok) return false;
          }
          return true;
        }()),
    ROW("guest TR type, S, P, reserved bits, granularity, usable", GuestState, "27.3.1.2",
        [&] {
          const u32 a = c.v.guest_tr_ar, t = type(a);
          if (!(t == 11 || (t == 3 && !c.guest64))) return false;
          return !(a & ar::S) && (a & ar::P) && usable(a) && ar_reserved_clear(a) &&
                 granularity_ok(a, c.v.guest_tr_limit);
        }()),
    ROW("guest LDTR type, S, P, reserved bits, granularity if usable", GuestState, "27.3.1.2",
        [&] {
          const u32 a = c.v.guest_ldtr_ar;
          if (!usable(a)) return true;
          return type(a) == 2 && !(a & ar::S) && (a & ar::P) && ar_reserved_clear(a) &&
                 granularity_ok(a, c.v.guest_ldtr_limit);
        }()),
    // ================= guest descriptor-table registers (§27.3.1.3)
    ROW("guest GDTR, IDTR bases canonical", GuestState, "27.3.1.3",
        canonical(c.v.guest_gdtr_base) && canonical(c.v.guest_idtr_base)),
    ROW("guest GDTR, IDTR limits[31:16] 0", GuestState, "27.3.1.3",
        (c.v.guest_gdtr_limit >> 16) == 0 && (c.v.guest_idtr_limit >> 16) == 0),
    // ================= guest RIP and RFLAGS (§27.3.1.4)
    ROW("guest RIP[63:32] 0 outside 64-bit mode, canonical in it", GuestState, "27.3.1.4",
        (c.guest64 && (c.v.guest_cs_ar & ar::L)) ? canonical(c.v.guest_rip) : (c.v.guest_rip >> 32) == 0),
    ROW("guest RFLAGS reserved bits", GuestState, "27.3.1.4",
        (c.v.guest_rflags & ~u64(0x3f7fd7)) == 0 && (c.v.guest_rflags & fl::kFixed1)),
    ROW("guest RFLAGS.VM 0 in IA-32e mode or with CR0.PE 0", GuestState, "27.3.1.4",
        !c.v86 || (!c.guest64 && (c.v.guest_cr0 & cr0::PE))),
    ROW("guest RFLAGS.IF 1 to inject an external interrupt", GuestState, "27.3.1.4",
        !injecting(c) || inj_type(c) != 0 || (c.v.guest_rflags & fl::IF)),
    // ================= guest non-register state (§27.3.1.5)
    ROW("guest activity state supported", GuestState, "27.3.1.5",
        c.v.guest_activity_state == 0 ||
            (c.v.guest_activity_state <= 3 && ((capability(cap_msr::kMisc) >> (5 + c.v.guest_activity_state)) & 1))),
    ROW("guest HLT state needs SS.DPL 0", GuestState, "27.3.1.5",
        c.v.guest_activity_state != u32(Activity::Hlt) || dpl(c.v.guest_ss_ar) == 0),
    ROW("guest activity active under STI or MOV SS blocking", GuestState, "27.3.1.5",
        c.v.guest_activity_state == u32(Activity::Active) || !blocking_sti_or_movss(c)),
    ROW("guest activity state allows the injected event", GuestState, "27.3.1.5",
        [&] {
          if (!injecting(c)) return true;
          const u32 t = inj_type(c), vec = inj_vector(c);
          switch (Activity(c.v.guest_activity_state)) {
            case Activity::Active:
              return true;
            case Activity::Hlt:  // external interrupt, NMI, #DB, #MC, MTF
              return t == 0 || t == 2 || (t == 3 && (vec == 1 || vec == 18)) || (t == 7 && vec == 0);
            case Activity::Shutdown:  // NMI, #MC
              return t == 2 || (t == 3 && vec == 18);
            default:
              return false;  // wait-for-SIPI: nothing
          }
        }()),
    ROW("guest activity not wait-for-SIPI with entry to SMM", GuestState, "27.3.1.5",
        !(c.entry & entry_ctl::kEntryToSmm) || c.v.guest_activity_state != u32(Activity::WaitForSipi)),
    ROW("guest interruptibility reserved bits", GuestState, "27.3.1.5", (c.v.guest_interruptibility >> 4) == 0),
    ROW("guest STI and MOV SS blocking not both", GuestState, "27.3.1.5",
        (c.v.guest_interruptibility & (kBlockingBySti | kBlockingByMovSs)) != (kBlockingBySti | kBlockingByMovSs)),
    ROW("guest STI blocking needs RFLAGS.IF 1", GuestState, "27.3.1.5",
        (c.v.guest_rflags & fl::IF) || !(c.v.guest_interruptibility & kBlockingBySti)),
    ROW("guest no STI/MOV SS blocking to inject an external interrupt or NMI", GuestState, "27.3.1.5",
        !injecting(c) || (inj_type(c) != 0 && inj_type(c) != 2) || !blocking_sti_or_movss(c)),
    ROW("guest SMI blocking 0 outside SMM", GuestState, "27.3.1.5", !(c.v.guest_interruptibility & kBlockingBySmi)),
    ROW("guest no NMI blocking to inject an NMI", GuestState, "27.3.1.5",
        !injecting(c) || inj_type(c) != 2 || (c.pin & pin::kVirtualNmis) ||
            !(c.v.guest_interruptibility & kBlockingByNmi)),
    ROWQ("guest no virtual-NMI blocking to inject an NMI", "27.3.1.5", 3,
         !injecting(c) || inj_type(c) != 2 || !(c.pin & pin::kVirtualNmis) ||
             !(c.v.guest_interruptibility & kBlockingByNmi)),
    ROW("guest pending debug exceptions reserved bits", GuestState, "27.3.1.5",
        (c.v.guest_pending_debug & ~u64(dr6::kHits | dr6::BD | dr6::BS | (1u << 12) | (1u << 16))) == 0),
    ROW("guest pending BS matches TF under blocking or HLT", GuestState, "27.3.1.5",
        [&] {
          if (!blocking_sti_or_movss(c) && c.v.guest_activity_state != u32(Activity::Hlt)) return true;
          const bool bs = c.v.guest_pending_debug & dr6::BS;
          const bool tf = c.v.guest_rflags & fl::TF, btf = c.v.guest_debugctl & 2;
          return (tf && !btf) ? bs : !bs;
        }()),
    ROWQ("VMCS link pointer", "27.3.1.5", 4,
         [&] {
           const u64 p = c.v.vmcs_link_pointer;
           if (p == ~u64(0)) return true;
           if (!page_address(p)) return false;
           // The revision identifier there; bit 31 is the "VMCS shadowing" control.
           const u32 rev = u32(c.mem.read(p, 4));
           return (rev & 0x7fffffff) == kVmcsRevision && bool(rev >> 31) == bool(c.proc2 & proc2::kVmcsShadowing);
         }()),
    // ================= PDPTEs (§27.3.1.6)
    ROWQ("guest PDPTEs (PAE paging)", "27.3.1.6", 2,
         [&] {
           if (!pae_guest(c)) return true;
           if (c.proc2 & proc2::kEnableEpt)  // the PDPTE fields, which VM entry loads with EPT
             return pdpte_ok(c.v.guest_pdpte0) && pdpte_ok(c.v.guest_pdpte1) && pdpte_ok(c.v.guest_pdpte2) &&
                    pdpte_ok(c.v.guest_pdpte3);
           u64 pdpte[4];
           return load_pae_pdptes(c.mem, c.v.guest_cr3, pdpte);
         }()),
};

#undef ROW
#undef ROWQ

}  // namespace

std::span<const EntryCheck> entry_checks() { return kChecks; }

const EntryCheck* first_failed_check(const EntryContext& ctx) {
  for (const EntryCheck& k : kChecks)
    if (!k.ok(ctx)) return &k;
  return nullptr;
}

}  // namespace vtlab::vmx

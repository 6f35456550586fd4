// The VM-entry check table (cpu/vmx/entry_checks.cpp), row by row: a VMCS
// that passes every check; for each row a change to it that fails that row
// first (SDM order); and VMLAUNCH reporting each group's architected
// failure (VMfailValid 7 or 8, or an entry-failure exit 33 / 34 with its
// qualification).
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <string>

#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

SNIPPET(g_cpuid);

namespace {

struct Setup {
  VmxRig& r;
  Vmcs& v;
  bool ia32e = true;  // the host runs in IA-32e mode
};
using Mutation = std::function<void(Setup&)>;

constexpr u64 kNonCanonical = 0x0000800000000000ull;
constexpr u32 kValid = intr_info::kValid;

void v86_segments(Vmcs& v) {
  for (unsigned s = 0; s < kNumSegs; ++s) {
    v.*kGuestSegs[s].selector = 0x1000;
    v.*kGuestSegs[s].base = 0x10000;
    v.*kGuestSegs[s].limit = 0xffff;
    v.*kGuestSegs[s].ar = 0xf3;
  }
}
constexpr u64 kEptp = 0x110000 | 6 | 3 << 3;  // WB, 4 levels (no tables needed for the checks)
void secondary(Vmcs& v, u32 controls) {
  v.proc_controls |= proc::kSecondaryControls;
  v.proc2_controls |= controls;
}
void user_guest(Vmcs& v) {  // CPL 3: CS and SS with DPL and RPL 3
  v.guest_cs_selector = 0x2b, v.guest_cs_ar |= 0x60;
  v.guest_ss_selector = 0x23, v.guest_ss_ar |= 0x60;
}

// One change per row, named as the row is.
const std::map<std::string, Mutation>& mutations() {
  static const std::map<std::string, Mutation> m = {
      {"pin-based controls reserved bits", [](Setup& s) { s.v.pin_controls &= ~2u; }},
      {"primary processor-based controls reserved bits", [](Setup& s) { s.v.proc_controls &= ~2u; }},
      {"secondary processor-based controls reserved bits",
       [](Setup& s) { s.v.proc_controls |= proc::kSecondaryControls, s.v.proc2_controls = 1u << 31; }},
      {"CR3-target count at most 4", [](Setup& s) { s.v.cr3_target_count = 5; }},
      {"I/O bitmap addresses", [](Setup& s) { s.v.proc_controls |= proc::kUseIoBitmaps, s.v.io_bitmap_a = 0x1001; }},
      {"MSR bitmap address", [](Setup& s) { s.v.proc_controls |= proc::kUseMsrBitmaps, s.v.msr_bitmap = 0x1008; }},
      {"virtual-APIC address",
       [](Setup& s) { s.v.proc_controls |= proc::kUseTprShadow, s.v.virtual_apic_page_addr = 0x1080; }},
      {"TPR threshold bits 31:4 clear",
       [](Setup& s) {
         s.v.proc_controls |= proc::kUseTprShadow, s.v.virtual_apic_page_addr = VmxRig::kData;
         s.v.tpr_threshold = 0x10;
       }},
      {"TPR threshold at most VTPR[7:4]",
       [](Setup& s) {
         s.v.proc_controls |= proc::kUseTprShadow, s.v.virtual_apic_page_addr = VmxRig::kData;
         s.r.mem.write(VmxRig::kData + 0x80, 1, 0x30);
         s.v.tpr_threshold = 4;
       }},
      {"virtual NMIs need NMI exiting", [](Setup& s) { s.v.pin_controls |= pin::kVirtualNmis; }},
      {"NMI-window exiting needs virtual NMIs", [](Setup& s) { s.v.proc_controls |= proc::kNmiWindowExiting; }},
      {"VPID not 0", [](Setup& s) { secondary(s.v, proc2::kEnableVpid), s.v.vpid = 0; }},
      {"EPTP valid", [](Setup& s) { secondary(s.v, proc2::kEnableEpt), s.v.ept_pointer = 0x1000 | 6 | 1 << 3; }},
      {"PML needs EPT and an aligned PML address", [](Setup& s) { secondary(s.v, proc2::kEnablePml); }},
      {"unrestricted guest needs EPT", [](Setup& s) { secondary(s.v, proc2::kUnrestrictedGuest); }},
      {"VM-function controls: EPTP switching only, with EPT and an aligned EPTP list",
       [](Setup& s) { secondary(s.v, proc2::kEnableVmfunc), s.v.vm_function_control = 1; }},
      {"mode-based execute control needs EPT", [](Setup& s) { secondary(s.v, proc2::kModeBasedExecute); }},
      {"VM-exit controls reserved bits", [](Setup& s) { s.v.exit_controls &= ~1u; }},
      {"save preemption timer needs the timer", [](Setup& s) { s.v.exit_controls |= exit_ctl::kSavePreemptionTimer; }},
      {"VM-exit MSR-store area", [](Setup& s) { s.v.exit_msr_store_count = 1, s.v.exit_msr_store_addr = 0x1004; }},
      {"VM-exit MSR-load area", [](Setup& s) { s.v.exit_msr_load_count = 1, s.v.exit_msr_load_addr = 0x1004; }},
      {"VM-entry controls reserved bits", [](Setup& s) { s.v.entry_controls &= ~1u; }},
      {"injected event: reserved bits 30:12", [](Setup& s) { s.v.entry_interruption_info = kValid | 1u << 20 | 0x30; }},
      {"injected event: type not reserved", [](Setup& s) { s.v.entry_interruption_info = kValid | 1u << 8 | 0x30; }},
      {"injected event: NMI is vector 2", [](Setup& s) { s.v.entry_interruption_info = kValid | 2u << 8 | 3; }},
      {"injected event: exception vector at most 31",
       [](Setup& s) { s.v.entry_interruption_info = kValid | 3u << 8 | 40; }},
      {"injected event: other event is vector 0 (MTF)",
       [](Setup& s) { s.v.entry_interruption_info = kValid | 7u << 8 | 1; }},
      {"injected event: error code exactly for the exceptions that push one",
       [](Setup& s) { s.v.entry_interruption_info = kValid | 3u << 8 | kUD | intr_info::kErrorValid; }},
      {"injected event: error code bits 31:16 clear",
       [](Setup& s) {
         s.v.entry_interruption_info = kValid | 3u << 8 | kGP | intr_info::kErrorValid;
         s.v.entry_exception_error_code = 0x10000;
       }},
      {"injected event: instruction length 0-15",
       [](Setup& s) { s.v.entry_interruption_info = kValid | 4u << 8 | 0x80, s.v.entry_instruction_length = 16; }},
      {"VM-entry MSR-load area", [](Setup& s) { s.v.entry_msr_load_count = 1, s.v.entry_msr_load_addr = 0x1004; }},
      {"host CR0 fixed bits", [](Setup& s) { s.v.host_cr0 &= ~cr0::NE; }},
      {"host CR4 fixed bits", [](Setup& s) { s.v.host_cr4 &= ~cr4::VMXE; }},
      {"host CR3 within the physical-address width", [](Setup& s) { s.v.host_cr3 |= u64(1) << 50; }},
      {"host SYSENTER_ESP/EIP canonical", [](Setup& s) { s.v.host_sysenter_eip = kNonCanonical; }},
      {"host PAT valid", [](Setup& s) { s.v.exit_controls |= exit_ctl::kLoadPat, s.v.host_pat = 2; }},
      {"host EFER reserved bits",
       [](Setup& s) { s.v.exit_controls |= exit_ctl::kLoadEfer, s.v.host_efer = efer::LMA | efer::LME | 8; }},
      {"host EFER.LMA and LME match the host address-space size",
       [](Setup& s) { s.v.exit_controls |= exit_ctl::kLoadEfer, s.v.host_efer = efer::LME; }},
      {"host selectors RPL and TI 0", [](Setup& s) { s.v.host_ds_selector = 0x13; }},
      {"host CS selector not null", [](Setup& s) { s.v.host_cs_selector = 0; }},
      {"host TR selector not null", [](Setup& s) { s.v.host_tr_selector = 0; }},
      {"host SS selector not null without 64-bit host",
       [](Setup& s) { s.v.exit_controls &= ~exit_ctl::kHostAddressSpaceSize, s.v.host_ss_selector = 0; }},
      {"host FS, GS, GDTR, IDTR, TR bases canonical", [](Setup& s) { s.v.host_fs_base = kNonCanonical; }},
      {"host address-space size matches IA-32e mode",
       [](Setup& s) { s.v.exit_controls &= ~exit_ctl::kHostAddressSpaceSize; }},
      {"IA-32e mode guest needs a 64-bit host",
       [](Setup& s) { s.ia32e = false, s.v.exit_controls &= ~exit_ctl::kHostAddressSpaceSize; }},
      {"32-bit host: CR4.PCIDE 0, RIP[63:32] 0",
       [](Setup& s) {
         s.ia32e = false;
         s.v.exit_controls &= ~exit_ctl::kHostAddressSpaceSize;
         s.v.entry_controls &= ~entry_ctl::kIa32eModeGuest;
         s.v.host_rip = u64(1) << 32;
       }},
      {"64-bit host: CR4.PAE 1, RIP canonical", [](Setup& s) { s.v.host_rip = kNonCanonical; }},
      {"guest CR0 fixed bits", [](Setup& s) { s.v.guest_cr0 &= ~cr0::NE; }},
      {"guest CR0.PG needs CR0.PE",
       [](Setup& s) {
         secondary(s.v, proc2::kUnrestrictedGuest | proc2::kEnableEpt), s.v.ept_pointer = kEptp;
         s.v.guest_cr0 &= ~cr0::PE;
       }},
      {"guest CR4 fixed bits", [](Setup& s) { s.v.guest_cr4 &= ~cr4::VMXE; }},
      {"guest DEBUGCTL reserved bits",
       [](Setup& s) { s.v.entry_controls |= entry_ctl::kLoadDebugControls, s.v.guest_debugctl = 1; }},
      {"IA-32e mode guest: CR0.PG and CR4.PAE", [](Setup& s) { s.v.guest_cr4 &= ~cr4::PAE; }},
      {"not IA-32e mode guest: CR4.PCIDE 0",
       [](Setup& s) { s.v.entry_controls &= ~entry_ctl::kIa32eModeGuest, s.v.guest_cr4 |= cr4::PCIDE; }},
      {"guest CR3 within the physical-address width", [](Setup& s) { s.v.guest_cr3 |= u64(1) << 50; }},
      {"guest DR7[63:32] 0",
       [](Setup& s) { s.v.entry_controls |= entry_ctl::kLoadDebugControls, s.v.guest_dr7 = u64(1) << 32 | 0x400; }},
      {"guest SYSENTER_ESP/EIP canonical", [](Setup& s) { s.v.guest_sysenter_esp = kNonCanonical; }},
      {"guest PAT valid", [](Setup& s) { s.v.entry_controls |= entry_ctl::kLoadPat, s.v.guest_pat = 2; }},
      {"guest EFER reserved bits",
       [](Setup& s) { s.v.entry_controls |= entry_ctl::kLoadEfer, s.v.guest_efer = efer::LMA | efer::LME | 8; }},
      {"guest EFER.LMA is IA-32e mode guest, LME too with paging",
       [](Setup& s) { s.v.entry_controls |= entry_ctl::kLoadEfer, s.v.guest_efer = efer::LME; }},
      {"guest TR selector TI 0", [](Setup& s) { s.v.guest_tr_selector = 0x34; }},
      {"guest LDTR selector TI 0 if usable",
       [](Setup& s) { s.v.guest_ldtr_ar = 0x82, s.v.guest_ldtr_selector = 0x3c; }},
      {"guest SS.RPL = CS.RPL", [](Setup& s) { s.v.guest_ss_selector = 0x13; }},
      {"virtual-8086 guest segments: base = selector * 16, limit FFFFH, rights F3H",
       [](Setup& s) { s.v.guest_rflags |= fl::VM; }},
      {"guest TR, FS, GS, LDTR bases canonical", [](Setup& s) { s.v.guest_fs_base = kNonCanonical; }},
      {"guest CS, SS, DS, ES bases[63:32] 0", [](Setup& s) { s.v.guest_ds_base = u64(1) << 32; }},
      {"guest CS type", [](Setup& s) { s.v.guest_cs_ar = (s.v.guest_cs_ar & ~0xfu) | 3; }},
      {"guest CS.S 1 and CS.P 1", [](Setup& s) { s.v.guest_cs_ar &= ~u32(ar::P); }},
      {"guest CS.DPL", [](Setup& s) { s.v.guest_cs_ar |= 0x60; }},
      {"guest CS reserved rights bits", [](Setup& s) { s.v.guest_cs_ar |= 0x100; }},
      {"guest CS.D/B 0 with CS.L in IA-32e mode", [](Setup& s) { s.v.guest_cs_ar |= ar::DB; }},
      {"guest CS granularity", [](Setup& s) { s.v.guest_cs_limit = 0xffff0; }},
      {"guest SS type 3 or 7 if usable", [](Setup& s) { s.v.guest_ss_ar = (s.v.guest_ss_ar & ~0xfu) | 1; }},
      {"guest SS.DPL", [](Setup& s) { s.v.guest_ss_selector = 0x13, s.v.guest_cs_selector = 0x0b; }},
      {"guest SS.S, P, reserved bits, granularity if usable", [](Setup& s) { s.v.guest_ss_ar &= ~u32(ar::P); }},
      {"guest DS, ES, FS, GS rights if usable", [](Setup& s) { s.v.guest_ds_ar &= ~1u; }},
      {"guest TR type, S, P, reserved bits, granularity, usable", [](Setup& s) { s.v.guest_tr_ar = 0x89; }},
      {"guest LDTR type, S, P, reserved bits, granularity if usable", [](Setup& s) { s.v.guest_ldtr_ar = 0x83; }},
      {"guest GDTR, IDTR bases canonical", [](Setup& s) { s.v.guest_gdtr_base = kNonCanonical; }},
      {"guest GDTR, IDTR limits[31:16] 0", [](Setup& s) { s.v.guest_idtr_limit = 0x10000; }},
      {"guest RIP[63:32] 0 outside 64-bit mode, canonical in it", [](Setup& s) { s.v.guest_rip = kNonCanonical; }},
      {"guest RFLAGS reserved bits", [](Setup& s) { s.v.guest_rflags |= 8; }},
      {"guest RFLAGS.VM 0 in IA-32e mode or with CR0.PE 0",
       [](Setup& s) { v86_segments(s.v), s.v.guest_rflags |= fl::VM; }},
      {"guest RFLAGS.IF 1 to inject an external interrupt",
       [](Setup& s) { s.v.entry_interruption_info = kValid | 0x30; }},
      {"guest activity state supported", [](Setup& s) { s.v.guest_activity_state = 4; }},
      {"guest HLT state needs SS.DPL 0", [](Setup& s) { user_guest(s.v), s.v.guest_activity_state = 1; }},
      {"guest activity active under STI or MOV SS blocking",
       [](Setup& s) { s.v.guest_activity_state = 1, s.v.guest_interruptibility = interruptibility::kBlockingByMovSs; }},
      {"guest activity state allows the injected event",  // HLT takes no #GP
       [](Setup& s) {
         s.v.guest_activity_state = 1;
         s.v.entry_interruption_info = kValid | 3u << 8 | kGP | intr_info::kErrorValid;
       }},
      {"guest interruptibility reserved bits", [](Setup& s) { s.v.guest_interruptibility = 1u << 5; }},
      {"guest STI and MOV SS blocking not both",
       [](Setup& s) { s.v.guest_interruptibility = 3, s.v.guest_rflags |= fl::IF; }},
      {"guest STI blocking needs RFLAGS.IF 1", [](Setup& s) { s.v.guest_interruptibility = 1; }},
      {"guest no STI/MOV SS blocking to inject an external interrupt or NMI",
       [](Setup& s) {
         s.v.entry_interruption_info = kValid | 2u << 8 | 2;
         s.v.guest_interruptibility = interruptibility::kBlockingByMovSs;
       }},
      {"guest SMI blocking 0 outside SMM", [](Setup& s) { s.v.guest_interruptibility = 4; }},
      {"guest no NMI blocking to inject an NMI",
       [](Setup& s) { s.v.entry_interruption_info = kValid | 2u << 8 | 2, s.v.guest_interruptibility = 8; }},
      {"guest no virtual-NMI blocking to inject an NMI",
       [](Setup& s) {
         s.v.pin_controls |= pin::kNmiExiting | pin::kVirtualNmis;
         s.v.entry_interruption_info = kValid | 2u << 8 | 2, s.v.guest_interruptibility = 8;
       }},
      {"guest pending debug exceptions reserved bits", [](Setup& s) { s.v.guest_pending_debug = 1u << 4; }},
      {"guest pending BS matches TF under blocking or HLT",
       [](Setup& s) { s.v.guest_activity_state = 1, s.v.guest_rflags |= fl::TF; }},
      {"VMCS link pointer", [](Setup& s) { s.v.vmcs_link_pointer = 0x1008; }},
      {"guest PDPTEs (PAE paging)",
       [](Setup& s) {
         // A 32-bit PAE guest whose PDPTE 0 has reserved bits 2:1 set.
         s.v.entry_controls &= ~entry_ctl::kIa32eModeGuest;
         s.v.guest_cs_ar = 0xc09b;
         s.v.guest_cr3 = 0x107000;
         s.r.put64(0x107000, 0x108000 | 1 | 6);
       }},
  };
  return m;
}

// Rows no VMCS can fail first while the control they concern is not
// reported (its reserved-bit row catches the VMCS before), with whether it is.
const std::map<std::string, bool (*)()> kUnreachable = {
    {"guest activity not wait-for-SIPI with entry to SMM", [] { return supports_entry(entry_ctl::kEntryToSmm); }},
};

}  // namespace

TEST_CASE("the test VMCS passes every entry check") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  const EntryCheck* bad = r.failed_check();
  CHECK_MESSAGE(bad == nullptr, (bad ? bad->name : ""));
}

TEST_CASE("every entry check: a VMCS that fails it first") {
  for (const EntryCheck& k : entry_checks()) {
    CAPTURE(k.name);
    auto it = mutations().find(k.name);
    if (it == mutations().end()) {
      auto u = kUnreachable.find(k.name);
      REQUIRE_MESSAGE(u != kUnreachable.end(), "no test for this entry check");
      CHECK_MESSAGE(!u->second(), "the control is reported now: give the row a test");
      continue;
    }
    VmxRig r;
    r.enter_root();
    r.valid_vmcs();
    Setup s{r, r.vmcs()};
    it->second(s);
    const EntryCheck* bad = first_failed_check(EntryContext(r.vmcs(), r.mem, s.ia32e));
    REQUIRE(bad);
    CHECK(std::string(bad->name) == k.name);
  }
  for (const auto& [name, m] : mutations()) {
    bool found = false;
    for (const EntryCheck& k : entry_checks()) found |= name == k.name;
    CHECK_MESSAGE(found, name);
  }
}

TEST_CASE("VMLAUNCH: a control check fails with VMfailValid(7), a host-state check with VMfailValid(8)") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().cr3_target_count = 9;
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.run_to_exception();
  CHECK((r.zf() && !r.cf()));
  CHECK(r.vmcs().vm_instruction_error == 7);
  CHECK(!r.vmx().launched());
  CHECK(std::string(r.vmx().last_entry_failure()) == "CR3-target count at most 4");
  r.vmcs().cr3_target_count = 0;
  r.vmcs().host_tr_selector = 0;
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.run_to_exception();
  CHECK(r.zf());
  CHECK(r.vmcs().vm_instruction_error == 8);
  CHECK(r.cpu.rip == VmxRig::kHostCode + 3);  // the UD2 after VMLAUNCH: entry did not happen
}

TEST_CASE("VMLAUNCH: a guest-state check fails with an entry-failure exit (33, bit 31) to the host") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.vmcs().vmcs_link_pointer = 0x1008;
  r.vmcs().guest_rip = 0x55;  // not saved over
  CHECK(r.launch(g_cpuid, g_cpuid_end));
  CHECK(r.exit_reason() == (33u | kExitReasonEntryFailure));
  CHECK(r.vmcs().exit_qualification == 4);  // the VMCS link pointer
  CHECK(r.vmcs().guest_rip == 0x55);
  CHECK(!r.vmx().launched());
}

TEST_CASE("VMLAUNCH: an MSR-load entry that cannot be loaded fails with exit 34, qualification its number") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  const u64 area = VmxRig::kMsrArea;
  r.put64(area, msr_index::kStar), r.put64(area + 8, 0x1234);  // loads
  r.put64(area + 16, 0x808), r.put64(area + 24, 0);            // x2APIC TPR: not allowed
  r.vmcs().entry_msr_load_addr = area, r.vmcs().entry_msr_load_count = 2;
  CHECK(r.launch(g_cpuid, g_cpuid_end));
  CHECK(r.exit_reason() == (34u | kExitReasonEntryFailure));
  CHECK(r.vmcs().exit_qualification == 2);
  CHECK(r.cpu.msr.star == 0x1234);  // the first entry was loaded
}

TEST_CASE("with EPT a PAE guest's PDPTEs come from the VMCS fields, which the PDPTE row checks (qualification 2)") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  Vmcs& v = r.vmcs();
  secondary(v, proc2::kEnableEpt), v.ept_pointer = kEptp;
  v.entry_controls &= ~entry_ctl::kIa32eModeGuest;
  v.guest_cs_ar = 0xc09b;
  v.guest_cr3 = 0x107000;
  r.put64(0x107000, 0x108000 | 1 | 6);  // a bad PDPTE in memory: not looked at with EPT
  v.guest_pdpte0 = 0x108000 | 1;
  CHECK(r.failed_check() == nullptr);
  v.guest_pdpte2 = 0x108000 | 1 | 0x20;  // reserved bit 5
  const EntryCheck* bad = r.failed_check();
  REQUIRE(bad);
  CHECK(std::string(bad->name) == "guest PDPTEs (PAE paging)");
  CHECK(bad->qualification == 2);
}

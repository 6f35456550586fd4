// VMX with EPT, VPID and unrestricted guest (the translation itself is
// tested in tests/ept): VM entry gives the CPU the second-level state, EPT
// faults become exits 48/49 with their information, a real-mode guest runs
// under "unrestricted guest", INVEPT/INVVPID check their types.
#include <doctest/doctest.h>

#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

SNIPPET(g_cpuid);
SNIPPET(g_load_rbx);
SNIPPET(g_invept);
SNIPPET(g_invvpid);
SNIPPET(invept_);
SNIPPET(invvpid_);
SNIPPET(g_vmfunc);

namespace {

constexpr u64 kEpt = VmxRig::kEpt, kEptp = VmxRig::kEptp;  // identity 4-KiB pages for the first 2 MiB (VmxRig)

void build_ept(VmxRig& r) { r.build_identity_ept(); }
void ept_pte(VmxRig& r, u64 gpa, u64 bits) { r.ept_pte(gpa, bits); }

VmxRig& with_ept(VmxRig& r, u32 more = 0) {
  r.enter_root();
  r.valid_vmcs();
  build_ept(r);
  r.vmcs().proc_controls |= proc::kSecondaryControls;
  r.vmcs().proc2_controls = proc2::kEnableEpt | more;
  r.vmcs().ept_pointer = kEptp;
  return r;
}
u32 basic(VmxRig& r) { return r.exit_reason() & 0xffff; }

}  // namespace

TEST_CASE("a guest under EPT and VPID runs and exits; the host runs without them again") {
  VmxRig r;
  with_ept(r, proc2::kEnableVpid).vmcs().vpid = 5;
  r.load(VmxRig::kGuestCode, g_cpuid, g_cpuid_end);
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.cpu.set_intercept_exceptions(true);
  r.cpu.run(r.cpu.icount() + 1);  // VMLAUNCH only
  REQUIRE(r.cpu.vmx_non_root());
  CHECK(r.cpu.second_level().ept_active());
  CHECK(r.cpu.second_level().effective_vpid() == 5);
  r.run_to_exception();
  REQUIRE(r.in_host());
  CHECK(basic(r) == 10);
  CHECK(!r.cpu.second_level().ept_active());
  CHECK(r.cpu.second_level().effective_vpid() == 0);
}

TEST_CASE("EPT violation (48): qualification, guest-physical and guest-linear address, RIP of the access") {
  VmxRig r;
  with_ept(r);
  ept_pte(r, 0x7000, 0);  // not present in EPT; present in the guest's paging
  r.cpu.gpr[RBX] = 0x7010;
  REQUIRE(
      r.launch(g_load_rbx, g_load_rbx_end, 1000, false));  // the debugger's exception stop would catch the EPT fault
  CHECK(basic(r) == 48);
  CHECK(r.vmcs().guest_physical_address == 0x7010);
  CHECK(r.vmcs().guest_linear_address == 0x7010);
  const u64 q = r.vmcs().exit_qualification;
  CHECK((q & ept_qual::kRead) != 0);
  CHECK((q & (ept_qual::kWrite | ept_qual::kFetch)) == 0);
  CHECK(((q >> ept_qual::kRightsShift) & 7) == 0);  // the entry allowed nothing
  CHECK((q & ept_qual::kLinearValid) != 0);
  CHECK((q & ept_qual::kTranslated) != 0);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
  CHECK(r.vmcs().idt_vectoring_info == 0);
}

TEST_CASE("EPT misconfiguration (49): a write-only entry") {
  VmxRig r;
  with_ept(r);
  ept_pte(r, 0x7000, 2 | 6 << 3);  // W without R: a misconfiguration
  r.cpu.gpr[RBX] = 0x7000;
  REQUIRE(
      r.launch(g_load_rbx, g_load_rbx_end, 1000, false));  // the debugger's exception stop would catch the EPT fault
  CHECK(basic(r) == 49);
  CHECK(r.vmcs().guest_physical_address == 0x7000);
}

TEST_CASE("an EPT violation while delivering an event records it as IDT-vectoring information") {
  VmxRig r;
  with_ept(r);
  ept_pte(r, VmxRig::kIdt, 0);                                           // the guest's IDT page is not mapped by EPT
  r.vmcs().entry_interruption_info = intr_info::kValid | 3u << 8 | kUD;  // inject #UD
  REQUIRE(r.launch(g_cpuid, g_cpuid_end, 1000, false));
  CHECK(basic(r) == 48);
  CHECK(r.vmcs().guest_physical_address == VmxRig::kIdt + kUD * 16);
  CHECK(r.vmcs().idt_vectoring_info == (intr_info::kValid | 3u << 8 | kUD));
}

TEST_CASE("unrestricted guest: a real-mode guest (CR0.PE = PG = 0) runs under EPT") {
  VmxRig r;
  with_ept(r, proc2::kUnrestrictedGuest);
  Vmcs& v = r.vmcs();
  v.entry_controls &= ~entry_ctl::kIa32eModeGuest;
  v.guest_cr0 = cr0::NE | cr0::ET;
  v.guest_cr4 = cr4::VMXE;
  v.guest_cs_selector = 0x3000, v.guest_cs_base = 0x30000, v.guest_cs_limit = 0xffff, v.guest_cs_ar = 0x9b;
  for (unsigned s : {ES, SS, DS, FS, GS}) {
    v.*kGuestSegs[s].selector = 0, v.*kGuestSegs[s].base = 0, v.*kGuestSegs[s].limit = 0xffff;
    v.*kGuestSegs[s].ar = 0x93;
  }
  v.guest_rip = 0;
  v.guest_rsp = 0x8000;
  REQUIRE(r.failed_check() == nullptr);
  r.load(0x30000, g_cpuid, g_cpuid_end);  // CPUID is 0F A2 in every mode
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.cpu.set_intercept_exceptions(true);
  r.cpu.run(r.cpu.icount() + 1);
  REQUIRE(r.cpu.vmx_non_root());
  CHECK(!r.cpu.protected_mode());
  CHECK(r.cpu.code_size() == 2);
  r.run_to_exception();
  REQUIRE(r.in_host());
  CHECK(basic(r) == 10);
  CHECK(r.vmcs().guest_rip == 0);
  CHECK(r.vmcs().guest_cs_base == 0x30000);
  CHECK((r.vmcs().guest_cr0 & cr0::PE) == 0);
}

TEST_CASE("INVEPT/INVVPID: types IA32_VMX_EPT_VPID_CAP reports succeed, others fail (28); in non-root they exit") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.put64(VmxRig::kData, kEptp), r.put64(VmxRig::kData + 8, 0);
  auto run = [&](const u8* b, const u8* e, u64 type) {
    r.cpu.gpr[RAX] = VmxRig::kData, r.cpu.gpr[RBX] = type;
    r.host_runs(b, e);
    return r.run_to_exception() == kUD && r.cpu.rip == VmxRig::kHostCode + u64(e - b) - 2;
  };
  for (u64 type : {1, 2}) {
    CHECK(run(invept_, invept__end, type));
    CHECK((!r.cf() && !r.zf()));
  }
  CHECK(run(invept_, invept__end, 3));
  CHECK(r.zf());
  CHECK(r.vmcs().vm_instruction_error == 28);
  r.put64(VmxRig::kData, 7);  // VPID 7
  for (u64 type : {0, 1, 2, 3}) {
    CHECK(run(invvpid_, invvpid__end, type));
    CHECK(!r.zf());
  }
  r.put64(VmxRig::kData, 0);  // VPID 0 is invalid for types 0, 1, 3
  CHECK(run(invvpid_, invvpid__end, 1));
  CHECK(r.zf());
  CHECK(r.vmcs().vm_instruction_error == 28);
  // In non-root operation: exits 50 and 53 with the register in the information.
  VmxRig g;
  with_ept(g);
  g.cpu.gpr[RAX] = VmxRig::kData, g.cpu.gpr[RBX] = 1;
  REQUIRE(g.launch(g_invept, g_invept_end));
  CHECK(basic(g) == 50);
  CHECK(((g.vmcs().exit_instruction_info >> 28) & 0xf) == RBX);
  VmxRig h;
  with_ept(h);
  h.cpu.gpr[RAX] = VmxRig::kData, h.cpu.gpr[RBX] = 1;
  REQUIRE(h.launch(g_invvpid, g_invvpid_end));
  CHECK(basic(h) == 53);
}

TEST_CASE("VMFUNC EPTP switching: a valid list entry becomes the EPT pointer; an invalid one or index exits (59)") {
  constexpr u64 kList = 0x10a000;
  VmxRig r;
  with_ept(r, proc2::kEnableVmfunc).vmcs().vm_function_control = 1;
  r.vmcs().eptp_list_addr = kList;
  const u64 other = kEptp | eptp::kAccessDirty;  // the same tables, with A/D: another valid EPTP
  r.put64(kList + 8 * 3, other);
  r.cpu.gpr[RAX] = 0, r.cpu.gpr[RCX] = 3;
  REQUIRE(r.launch(g_vmfunc, g_vmfunc_end));
  CHECK(basic(r) == 10);  // the CPUID after VMFUNC: it switched and went on
  CHECK(r.vmcs().ept_pointer == other);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 3);
  for (u64 ecx : {u64(4), u64(512)}) {  // entry 4 is 0 (invalid); 512 is past the list
    VmxRig s;
    with_ept(s, proc2::kEnableVmfunc).vmcs().vm_function_control = 1;
    s.vmcs().eptp_list_addr = kList;
    s.cpu.gpr[RAX] = 0, s.cpu.gpr[RCX] = ecx;
    REQUIRE(s.launch(g_vmfunc, g_vmfunc_end));
    CHECK(basic(s) == 59);
    CHECK(s.vmcs().ept_pointer == kEptp);
    CHECK(s.vmcs().guest_rip == VmxRig::kGuestCode);
  }
}

TEST_CASE("INVEPT single-context fails (28) on an EPTP that VM entry would refuse: memory type, walk length") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  auto invept = [&](u64 eptp) {
    r.put64(VmxRig::kData, eptp), r.put64(VmxRig::kData + 8, 0);
    r.cpu.gpr[RAX] = VmxRig::kData, r.cpu.gpr[RBX] = 1;
    r.host_runs(invept_, invept__end);
    REQUIRE(r.run_to_exception() == kUD);
    return r.zf() ? r.vmcs().vm_instruction_error : 0;
  };
  CHECK(invept(kEpt | 6 | 3 << 3) == 0);  // WB (IA32_VMX_EPT_VPID_CAP bit 14)
  CHECK(invept(kEpt | 0 | 3 << 3) == 0);  // UC (bit 8)
  for (u64 type : {1, 2, 3, 4, 5, 7}) {
    CAPTURE(type);
    CHECK(invept(kEpt | type | 3 << 3) == 28);
  }
  CHECK(invept(kEpt | 6 | 1 << 3) == 28);  // a 2-level walk
}

// The VMX instructions' preconditions and outcomes (SDM Vol. 3C ch. 31):
// #UD / #GP, VMsucceed (CF = ZF = 0), VMfailInvalid (CF = 1), VMfailValid
// (ZF = 1, the VM-instruction error field), launch state, 64-bit fields'
// high halves.
#include <doctest/doctest.h>

#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

SNIPPET(vmxon_rax);
SNIPPET(vmxoff_);
SNIPPET(vmclear_rax);
SNIPPET(vmptrld_rax);
SNIPPET(vmptrst_rax);
SNIPPET(vmread_rax_rbx);
SNIPPET(vmread_mem);
SNIPPET(vmwrite_rax_rbx);
SNIPPET(vmcall_);
SNIPPET(vmfunc_);
SNIPPET(invept_);
SNIPPET(g_cpuid);

namespace {

// Runs `snippet` in the host (it ends in UD2); true if it reached the UD2.
bool run(VmxRig& r, const u8* b, const u8* e, u64 rax = 0, u64 rbx = 0) {
  r.cpu.gpr[RAX] = rax, r.cpu.gpr[RBX] = rbx;
  r.host_runs(b, e);
  const int v = r.run_to_exception();
  return v == kUD && r.cpu.rip == VmxRig::kHostCode + u64(e - b) - 2;
}
// The exception the first instruction of `snippet` raises (-1: none).
int fault_of(VmxRig& r, const u8* b, const u8* e, u64 rax = 0) {
  r.cpu.gpr[RAX] = rax;
  r.host_runs(b, e);
  const int v = r.run_to_exception();
  return r.cpu.rip == VmxRig::kHostCode ? v : -1;
}

}  // namespace

TEST_CASE("VMXON: #UD without CR4.VMXE, #GP at CPL 3 and unlocked FEATURE_CONTROL, VMfailInvalid, VMsucceed") {
  {
    VmxRig r;
    r.cpu.cr4 &= ~cr4::VMXE;
    CHECK(fault_of(r, vmxon_rax, vmxon_rax_end, VmxRig::kVmxon) == kUD);
  }
  {
    VmxRig r;
    r.cpu.msr.feature_control = kFeatureControlLock;  // VMX not enabled
    CHECK(fault_of(r, vmxon_rax, vmxon_rax_end, VmxRig::kVmxon) == kGP);
    r.cpu.msr.feature_control = kFeatureControlVmxOutsideSmx;  // not locked
    CHECK(fault_of(r, vmxon_rax, vmxon_rax_end, VmxRig::kVmxon) == kGP);
  }
  {
    VmxRig r;
    r.cpu.cr0 &= ~cr0::NE;  // CR0 not allowed in VMX operation
    CHECK(fault_of(r, vmxon_rax, vmxon_rax_end, VmxRig::kVmxon) == kGP);
  }
  {
    VmxRig r;
    r.put64(VmxRig::kData, VmxRig::kVmxon + 8);  // not 4-KByte aligned
    CHECK(run(r, vmxon_rax, vmxon_rax_end, VmxRig::kData));
    CHECK(r.cf());
    CHECK(!r.vmx().in_operation());
    r.mem.write(VmxRig::kVmxon, 4, kVmcsRevision + 1);  // wrong revision
    r.put64(VmxRig::kData, VmxRig::kVmxon);
    CHECK(run(r, vmxon_rax, vmxon_rax_end, VmxRig::kData));
    CHECK(r.cf());
    r.mem.write(VmxRig::kVmxon, 4, kVmcsRevision);
    CHECK(run(r, vmxon_rax, vmxon_rax_end, VmxRig::kData));
    CHECK(!r.cf());
    CHECK(!r.zf());
    CHECK(r.vmx().in_operation());
    CHECK(r.vmx().current_vmcs_pointer() == kInvalidPointer);
    // Again, in VMX root operation: VMfail with no current VMCS = VMfailInvalid.
    CHECK(run(r, vmxon_rax, vmxon_rax_end, VmxRig::kData));
    CHECK(r.cf());
    // At CPL 3 (VMX root operation): #GP.
    r.enter_user(VmxRig::kHostCode, 0x30000);
    r.load(VmxRig::kHostCode, vmxon_rax, vmxon_rax_end);
    CHECK(r.run_to_exception() == kGP);
  }
}

TEST_CASE("outside VMX operation the other VMX instructions are #UD; at CPL 3 #GP") {
  VmxRig r;
  CHECK(fault_of(r, vmclear_rax, vmclear_rax_end, VmxRig::kData) == kUD);
  CHECK(fault_of(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData) == kUD);
  CHECK(fault_of(r, vmread_rax_rbx, vmread_rax_rbx_end) == kUD);
  CHECK(fault_of(r, vmxoff_, vmxoff__end) == kUD);
  CHECK(fault_of(r, vmcall_, vmcall__end) == kUD);
  CHECK(fault_of(r, vmfunc_, vmfunc__end) == kUD);                 // VMFUNC is #UD outside non-root operation
  CHECK(fault_of(r, invept_, invept__end, VmxRig::kData) == kUD);  // outside VMX operation
  r.enter_root();
  CHECK(fault_of(r, vmfunc_, vmfunc__end) == kUD);
  r.cpu.cpl = 3;  // CPL 3 in 64-bit mode (the code segment stays; only the privilege matters here)
  r.cpu.mode_changed();
  CHECK(fault_of(r, vmclear_rax, vmclear_rax_end, VmxRig::kData) == kGP);
}

TEST_CASE("VMCLEAR and VMPTRLD: errors 2, 3, 9, 10, 11; VMPTRST; write-back on VMPTRLD of another") {
  VmxRig r;
  r.vmx().enter_operation(VmxRig::kVmxon);
  // No current VMCS: every VMfail is VMfailInvalid.
  r.put64(VmxRig::kData, 0x1001);
  CHECK(run(r, vmclear_rax, vmclear_rax_end, VmxRig::kData));
  CHECK(r.cf());
  r.put64(VmxRig::kData, VmxRig::kVmcs);
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));
  CHECK(!r.cf());
  CHECK(!r.zf());
  CHECK(r.vmx().current_vmcs_pointer() == VmxRig::kVmcs);
  // Now VMfailValid with the error number in the current VMCS.
  auto error = [&] { return r.vmcs().vm_instruction_error; };
  r.put64(VmxRig::kData, 0x1001);
  CHECK(run(r, vmclear_rax, vmclear_rax_end, VmxRig::kData));
  CHECK((r.zf() && !r.cf()));
  CHECK(error() == 2);
  r.put64(VmxRig::kData, VmxRig::kVmxon);
  CHECK(run(r, vmclear_rax, vmclear_rax_end, VmxRig::kData));
  CHECK(error() == 3);
  r.put64(VmxRig::kData, u64(1) << 50);  // beyond the physical-address width
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));
  CHECK(error() == 9);
  r.put64(VmxRig::kData, VmxRig::kVmxon);
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));
  CHECK(error() == 10);
  r.mem.write(VmxRig::kVmcs2, 4, kVmcsRevision + 1);  // another revision
  r.put64(VmxRig::kData, VmxRig::kVmcs2);
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));
  CHECK(error() == 11);
  r.mem.write(VmxRig::kVmcs2, 4, kVmcsRevision);
  // VMPTRST stores the current-VMCS pointer.
  CHECK(run(r, vmptrst_rax, vmptrst_rax_end, VmxRig::kData + 8));
  CHECK(r.get(VmxRig::kData + 8, 8) == VmxRig::kVmcs);
  // VMPTRLD of another VMCS writes the current one back; loading it again reads it.
  r.vmcs().guest_rip = 0xfeed;
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));  // kData holds kVmcs2
  CHECK(r.vmx().current_vmcs_pointer() == VmxRig::kVmcs2);
  CHECK(r.vmcs().guest_rip == 0);
  r.put64(VmxRig::kData, VmxRig::kVmcs);
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));
  CHECK(r.vmcs().guest_rip == 0xfeed);
  // VMCLEAR of the current VMCS: written back, no current VMCS any more.
  r.vmcs().guest_rip = 0xbeef;
  CHECK(run(r, vmclear_rax, vmclear_rax_end, VmxRig::kData));
  CHECK(!r.cf());
  CHECK(r.vmx().current_vmcs_pointer() == kInvalidPointer);
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));
  CHECK(r.vmcs().guest_rip == 0xbeef);
}

TEST_CASE(
    "VMREAD/VMWRITE: VMfailInvalid without a VMCS, error 12 for no such field, exit-information fields writable, high "
    "halves") {
  VmxRig r;
  r.vmx().enter_operation(VmxRig::kVmxon);
  CHECK(run(r, vmread_rax_rbx, vmread_rax_rbx_end, u32(Field::GUEST_RIP)));
  CHECK(r.cf());
  r.vmx().load_current(VmxRig::kVmcs);
  CHECK(run(r, vmwrite_rax_rbx, vmwrite_rax_rbx_end, u32(Field::GUEST_RIP), 0x123456789abcull));
  CHECK((!r.cf() && !r.zf()));
  CHECK(r.vmcs().guest_rip == 0x123456789abcull);
  CHECK(run(r, vmread_rax_rbx, vmread_rax_rbx_end, u32(Field::GUEST_RIP), 0));
  CHECK(r.cpu.gpr[RBX] == 0x123456789abcull);
  // A 16-bit field: the upper bits of the source are dropped.
  CHECK(run(r, vmwrite_rax_rbx, vmwrite_rax_rbx_end, u32(Field::GUEST_CS_SELECTOR), 0xabcd1234));
  CHECK(r.vmcs().guest_cs_selector == 0x1234);
  // The high half of a 64-bit field (encoding bit 0 = 1).
  r.vmcs().tsc_offset = 0x1111111122222222ull;
  CHECK(run(r, vmwrite_rax_rbx, vmwrite_rax_rbx_end, u32(Field::TSC_OFFSET) | 1, 0xffffffff33333333ull));
  CHECK(r.vmcs().tsc_offset == 0x3333333322222222ull);
  CHECK(run(r, vmread_rax_rbx, vmread_rax_rbx_end, u32(Field::TSC_OFFSET) | 1));
  CHECK(r.cpu.gpr[RBX] == 0x33333333);
  // No such field; the high half of a natural-width field; a field of an unreported feature.
  for (u64 enc : {u64(0x7777), u64(u32(Field::GUEST_RIP) | 1), u64(u32(Field::VE_INFO_ADDR))}) {
    CAPTURE(enc);
    CHECK(run(r, vmread_rax_rbx, vmread_rax_rbx_end, enc));
    CHECK((r.zf() && !r.cf()));
    CHECK(r.vmcs().vm_instruction_error == 12);
  }
  // IA32_VMX_MISC[29]: VMWRITE may write an exit-information field.
  CHECK(run(r, vmwrite_rax_rbx, vmwrite_rax_rbx_end, u32(Field::EXIT_QUALIFICATION), 77));
  CHECK(!r.zf());
  CHECK(r.vmcs().exit_qualification == 77);
  // VMREAD to memory.
  r.cpu.gpr[RCX] = VmxRig::kData;
  CHECK(run(r, vmread_mem, vmread_mem_end, u32(Field::GUEST_RIP)));
  CHECK(r.get(VmxRig::kData + 8, 8) == 0x123456789abcull);
}

TEST_CASE("VMLAUNCH needs a clear VMCS (4), VMRESUME a launched one (5); VMCALL in root operation fails (1)") {
  VmxRig r;
  r.enter_root();
  r.valid_vmcs();
  r.host_runs(VmxRig::vmresume_begin(), VmxRig::vmresume_end());
  r.run_to_exception();
  CHECK(r.zf());
  CHECK(r.vmcs().vm_instruction_error == 5);
  CHECK(run(r, vmcall_, vmcall__end));
  CHECK(r.zf());
  CHECK(r.vmcs().vm_instruction_error == 1);
  REQUIRE(r.launch(g_cpuid, g_cpuid_end));  // launched: exits at the CPUID
  CHECK(r.vmx().launched());
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.run_to_exception();
  CHECK(r.zf());
  CHECK(r.vmcs().vm_instruction_error == 4);
}

TEST_CASE("VMXOFF leaves VMX operation: VMX instructions are #UD again, CR4.VMXE may be cleared") {
  VmxRig r;
  r.enter_root();
  CHECK(run(r, vmxoff_, vmxoff__end));
  CHECK(!r.vmx().in_operation());
  CHECK(!r.cf());
  CHECK(fault_of(r, vmxoff_, vmxoff__end) == kUD);
}

TEST_CASE("a shadow VMCS (revision bit 31) can be made current and written, but not launched (VMfailInvalid)") {
  VmxRig r;
  r.vmx().enter_operation(VmxRig::kVmxon);
  r.mem.write(VmxRig::kVmcs2, 4, kVmcsRevision | 0x80000000u);
  r.put64(VmxRig::kData, VmxRig::kVmcs2);
  CHECK(run(r, vmptrld_rax, vmptrld_rax_end, VmxRig::kData));
  CHECK((!r.cf() && !r.zf()));
  CHECK(r.vmx().current_is_shadow());
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.run_to_exception();
  CHECK(r.cf());
}

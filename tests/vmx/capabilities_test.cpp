// What the CPU reports about VMX (SDM Vol. 3C §24.6, §24.7, Vol. 3D App. A)
// is coherent: CPUID, IA32_FEATURE_CONTROL, the capability MSRs, CR4.VMXE
// and the CR0/CR4 rules of VMX operation.
#include <doctest/doctest.h>

#include "cpu/cpuid_table.h"
#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

TEST_CASE("CPUID.1:ECX.VMX is reported, MOV to CR4 accepts VMXE, the firmware's lock enables VMX") {
  CpuRig r;
  CHECK(r.cpu.reports(feature::VMX));
  r.cpu.cr0 |= cr0::PE;
  r.cpu.write_cr(4, cr4::VMXE);  // would raise (throw GuestFault) if refused
  CHECK(r.cpu.cr4 == cr4::VMXE);
  CHECK(r.cpu.write_msr(msr_index::kFeatureControl, kFeatureControlLock | kFeatureControlVmxOutsideSmx));
  CHECK(!r.cpu.write_msr(msr_index::kFeatureControl, kFeatureControlLock));  // locked
  CpuRig fresh;
  CHECK(!fresh.cpu.write_msr(msr_index::kFeatureControl, 2));  // VMX inside SMX: no SMX
}

TEST_CASE("the capability MSRs: BASIC, TRUE controls, must-be-one inside may-be-one, read-only") {
  CpuRig r;
  u64 basic = 0;
  REQUIRE(r.cpu.read_msr(cap_msr::kBasic, basic));
  CHECK((basic & 0x7fffffff) == kVmcsRevision);
  CHECK(((basic >> 32) & 0x1fff) == kVmcsRegionSize);
  CHECK(((basic >> 50) & 0xf) == 6);  // write-back
  CHECK(((basic >> 55) & 1) == 1);    // TRUE controls
  CHECK(!r.cpu.write_msr(cap_msr::kBasic, basic));
  // Each control MSR: its must-be-one bits may be one; each TRUE MSR
  // allows the same ones and requires a subset (SDM Vol. 3D §A.2).
  const u32 pairs[][2] = {{cap_msr::kPinbased, cap_msr::kTruePinbased},
                          {cap_msr::kProcbased, cap_msr::kTrueProcbased},
                          {cap_msr::kExit, cap_msr::kTrueExit},
                          {cap_msr::kEntry, cap_msr::kTrueEntry}};
  for (const auto& p : pairs) {
    u64 plain = 0, tru = 0;
    REQUIRE(r.cpu.read_msr(p[0], plain));
    REQUIRE(r.cpu.read_msr(p[1], tru));
    CHECK((u32(plain) & ~u32(plain >> 32)) == 0);
    CHECK((plain >> 32) == (tru >> 32));
    CHECK((u32(tru) & ~u32(plain)) == 0);
  }
  // The default1 bits that have a function may be cleared through TRUE.
  CHECK((capability(cap_msr::kProcbased) & proc::kCr3LoadExiting) != 0);
  CHECK(!(capability(cap_msr::kTrueProcbased) & proc::kCr3LoadExiting));
  CHECK(!(capability(cap_msr::kTrueExit) & exit_ctl::kSaveDebugControls));
  CHECK(!(capability(cap_msr::kTrueEntry) & entry_ctl::kLoadDebugControls));
}

TEST_CASE("MSRs of unreported features do not exist: EPT_VPID_CAP, VMFUNC, PROCBASED_CTLS3") {
  CpuRig r;
  u64 v = 0;
  CHECK(r.cpu.read_msr(cap_msr::kProcbased2, v));  // secondary controls are reported
  CHECK(supports_proc(proc::kSecondaryControls));
  CHECK(r.cpu.read_msr(cap_msr::kEptVpidCap, v) ==
        (supports_proc2(proc2::kEnableEpt) || supports_proc2(proc2::kEnableVpid)));
  CHECK(r.cpu.read_msr(cap_msr::kVmfunc, v) == supports_proc2(proc2::kEnableVmfunc));
  CHECK(!r.cpu.read_msr(cap_msr::kProcbased3, v));
  CHECK(!r.cpu.read_msr(0x493, v));
}

TEST_CASE("IA32_VMX_MISC: timer rate, activity states, CR3 targets, VMWRITE to any field") {
  const u64 misc = capability(cap_msr::kMisc);
  CHECK((misc & 0x1f) == kPreemptionTimerShift);
  CHECK(((misc >> 6) & 7) == 7);  // HLT, shutdown, wait-for-SIPI (tests/vmx/activity_test.cpp)
  CHECK(((misc >> 16) & 0x1ff) == kCr3TargetCount);
  CHECK(((misc >> 25) & 7) == 0);  // 512 MSRs a list
  CHECK(((misc >> 29) & 1) == 1);
}

TEST_CASE("CR0/CR4_FIXED: PE NE PG and VMXE fixed; FIXED1 of CR4 is what MOV to CR4 accepts") {
  CHECK(capability(cap_msr::kCr0Fixed0) == (cr0::PE | cr0::NE | cr0::PG));
  CHECK(capability(cap_msr::kCr4Fixed0) == cr4::VMXE);
  CHECK(capability(cap_msr::kCr4Fixed1) == kSupportedCr4);
  CHECK((kSupportedCr4 & cr4::VMXE) != 0);
}

TEST_CASE("IA32_VMX_VMCS_ENUM: the highest index of the VMCS fields that exist") {
  const u64 e = capability(cap_msr::kVmcsEnum);
  unsigned top = 0;
  for (const FieldInfo& f : vmcs_fields())
    if (field_exists(f)) top = std::max(top, field_index(f.encoding));
  CHECK(((e >> 1) & 0x1ff) == top);
  CHECK(top >= 0x17);  // the preemption-timer value (0x482E) is index 23
}

TEST_CASE("in VMX operation CR4.VMXE and CR0.PE/NE/PG cannot be cleared (#GP)") {
  VmxRig r;
  r.enter_root();
  CHECK_THROWS_AS(r.cpu.write_cr(4, r.cpu.cr4 & ~cr4::VMXE), GuestFault);
  CHECK_THROWS_AS(r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::NE), GuestFault);
  CHECK((r.cpu.cr4 & cr4::VMXE) != 0);
  r.vmx().leave_operation();
  r.cpu.write_cr(4, r.cpu.cr4 & ~cr4::VMXE);
  CHECK(!(r.cpu.cr4 & cr4::VMXE));
}

#include "core/machine/machine.h"
#include "tests/machine/guest.h"

TEST_CASE("the firmware locks IA32_FEATURE_CONTROL with VMX outside SMX enabled, on every vCPU") {
  MachineConfig cfg;
  cfg.cpus = 2;
  Machine m(cfg);
  m.load(machine_test::code_at(0x7c00, {0xf4}));
  for (unsigned k = 0; k < 2; ++k) {
    u64 v = 0;
    REQUIRE(m.cpu(k).read_msr(msr_index::kFeatureControl, v));
    CHECK(v == (kFeatureControlLock | kFeatureControlVmxOutsideSmx));
    CHECK(!m.cpu(k).write_msr(msr_index::kFeatureControl, kFeatureControlLock));
  }
}

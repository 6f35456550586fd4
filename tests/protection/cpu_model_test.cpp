// The CPU model: CPUID leaves (signature, topology as a function of the
// vCPU count and ID, TSC/crystal frequency from the virtual clock, leaves
// above the maximum) and the MSR table (every row exists exactly when its
// CPUID feature is reported; an MSR the model lacks is #GP(0); the rules of
// MTRRs, PAT, FEATURE_CONTROL, MISC_ENABLE, TSC/TSC_ADJUST, APIC_BASE).
// SDM Vol. 2 CPUID, Vol. 3A §10.4.4, §11.11, §11.12, §17.17, Vol. 4 ch. 2.
#include "cpu/cpuid_table.h"
#include "cpu/msr_table.h"
#include "cpu/vmx/capabilities.h"
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(rdmsr64);
SNIPPET(wrmsr64);

struct Regs {
  u32 a, b, c, d;
};
Regs cpuid(Cpu& cpu, u32 leaf, u32 sub = 0) {
  u32 r[4];
  cpu.cpuid(leaf, sub, r);
  return {r[0], r[1], r[2], r[3]};
}

// A local APIC double that records what the CPU tells it.
struct FakeApic : LocalApicHooks {
  bool x2 = true, deadline = true;
  u64 last_base = 0, last_deadline = 0;
  u32 last_x2_index = 0;
  u64 last_x2_value = 0;
  bool x2apic_supported() const override { return x2; }
  bool tsc_deadline_supported() const override { return deadline; }
  void apic_base_written(u64 v) override { last_base = v; }
  void tsc_deadline_written(u64 v) override { last_deadline = v; }
  u64 tsc_deadline() const override { return last_deadline; }
  bool x2apic_read(u32 index, u64& out) override {
    out = index == 0x802 ? 0x1234 : 0;  // the x2APIC ID register
    return index == 0x802;
  }
  bool x2apic_write(u32 index, u64 v) override {
    last_x2_index = index, last_x2_value = v;
    return true;
  }
};

}  // namespace

TEST_CASE("CPUID: GenuineIntel, family 6 model 9AH stepping 3, and leaves above the maximum answer as the highest") {
  CpuRig r;
  Regs v = cpuid(r.cpu, 0);
  CHECK(v.a == 0x1f);        // up to leaf 1FH, V2 extended topology
  CHECK(v.b == 0x756e6547);  // "Genu"
  CHECK(v.d == 0x49656e69);  // "ineI"
  CHECK(v.c == 0x6c65746e);  // "ntel"
  Regs one = cpuid(r.cpu, 1);
  CHECK(((one.a >> 8) & 0xf) == 6);
  CHECK((((one.a >> 4) & 0xf) | ((one.a >> 12) & 0xf0)) == 0x9a);
  CHECK((one.a & 0xf) == 3);
  CHECK(r.cpu.gpr[RDX] == one.a);  // the reset signature in EDX (SDM Vol. 3A §9.1.4)
  // Above the maximum basic (and extended) leaf: leaf 1FH's answer (its
  // first subleaf: the SMT level, EBX = 1 logical processor).
  r.cpu.set_topology({5, 8});
  Regs top = cpuid(r.cpu, 0x1f), above = cpuid(r.cpu, 0x20), far_above = cpuid(r.cpu, 0x80000100);
  for (const Regs& x : {above, far_above}) {
    CHECK(x.a == top.a);
    CHECK(x.b == top.b);
    CHECK(x.c == top.c);
    CHECK(x.d == top.d);
  }
  CHECK(top.b == 1);
  CHECK(top.d == 5);  // x2APIC ID
  // The leaves between 16H and 1FH report nothing (no SoC vendor, TLB,
  // hybrid, PCONFIG, LBR or AMX information): all zero.
  for (u32 leaf = 0x17; leaf < 0x1f; ++leaf) {
    Regs z = cpuid(r.cpu, leaf);
    CAPTURE(leaf);
    CHECK((z.a | z.b | z.c | z.d) == 0);
  }
  CHECK(cpuid(r.cpu, 0x80000000).a == 0x80000008);
}

TEST_CASE("CPUID topology leaves follow the vCPU count and APIC ID the CPU is given") {
  CpuRig r;
  Regs one = cpuid(r.cpu, 1);
  CHECK(((one.b >> 16) & 0xff) == 1);
  CHECK((one.b >> 24) == 0);
  CHECK(!(one.d & (1u << 28)));  // HTT: one logical processor
  CHECK((cpuid(r.cpu, 4, 0).a >> 26) == 0);
  CHECK(cpuid(r.cpu, 0xb, 1).b == 1);

  r.cpu.set_topology({2, 3});
  one = cpuid(r.cpu, 1);
  CHECK((one.b >> 24) == 2);                           // initial APIC ID
  CHECK(((one.b >> 16) & 0xff) == 4);                  // addressable IDs: 3 rounded up to 4
  CHECK((one.d & (1u << 28)) != 0);                    // HTT: EBX[23:16] is valid
  CHECK((cpuid(r.cpu, 4, 0).a >> 26) == 3);            // cores per package - 1 (addressable)
  CHECK(((cpuid(r.cpu, 4, 3).a >> 14) & 0xfff) == 3);  // the L3 is shared by all
  CHECK(((cpuid(r.cpu, 4, 0).a >> 14) & 0xfff) == 0);  // the L1d by one
  CHECK((cpuid(r.cpu, 4, 4).a & 0x1f) == 0);           // no fifth cache
  Regs smt = cpuid(r.cpu, 0xb, 0), core = cpuid(r.cpu, 0xb, 1), end = cpuid(r.cpu, 0xb, 2);
  CHECK(smt.a == 0);
  CHECK(smt.b == 1);
  CHECK(smt.c == 0x100);
  CHECK(core.a == 2);  // x2APIC ID >> 2 = package
  CHECK(core.b == 3);
  CHECK(core.c == 0x201);
  CHECK(core.d == 2);
  CHECK(end.b == 0);
  CHECK(end.c == 2);  // level type 0: invalid
}

TEST_CASE("CPUID leaves 15H/16H and MSR_PLATFORM_INFO give the virtual clock rate the TSC runs at") {
  for (u64 rate : {1000u, 2500u}) {
    Scheduler sched(rate);
    PortBus ports;
    PhysMem mem(2 << 20);
    Cpu cpu(mem, ports, sched);
    Regs t = cpuid(cpu, 0x15);
    REQUIRE(t.a != 0);
    CHECK(u64(t.c) * t.b / t.a == rate * 1'000'000);  // TSC Hz
    CHECK(t.c == kCrystalHz);
    CHECK(cpuid(cpu, 0x16).a == rate);
    u64 info = 0;
    REQUIRE(cpu.read_msr(msr_index::kPlatformInfo, info));
    CHECK(((info >> 8) & 0xff) == rate / 100);
    CHECK(!(info & (1u << 31)));  // no CPUID faulting
    CHECK(!cpu.write_msr(msr_index::kPlatformInfo, info));
  }
  CpuRig r;
  CHECK((cpuid(r.cpu, 0x80000007).d & (1u << 8)) != 0);  // invariant TSC
}

TEST_CASE("each MSR row exists exactly when CPUID reports its feature; others are #GP(0)") {
  CpuRig r;
  for (const MsrDesc& d : msr_table()) {
    CAPTURE(d.name);
    const bool exists = !d.needs || r.cpu.reports(*d.needs);
    u64 v = 0;
    // x2APIC registers need x2APIC mode besides the feature.
    if (d.first == msr_index::kX2apicFirst) {
      CHECK(!exists);
      continue;
    }
    // The VMX capability MSRs: each exists as IA32_VMX_BASIC and the
    // control MSRs say (cpu/vmx/capabilities.cpp; tests/vmx).
    if (d.first == vmx::cap_msr::kFirst) {
      for (u32 i = d.first; i <= d.last; ++i) CHECK(r.cpu.read_msr(i, v) == (exists && vmx::read_capability_msr(i, v)));
      continue;
    }
    CHECK(r.cpu.read_msr(d.first, v) == exists);
    CHECK(r.cpu.read_msr(d.last, v) == exists);
  }
  // Not part of the model: speculation control, CPUID faulting, MCG_CTL
  // (MCG_CAP.MCG_CTL_P = 0), MCi_CTL2 (no CMCI), a bank past MCG_CAP's
  // count, AMD's MSRs, a made-up index.
  for (u32 index :
       {0x48u, 0x49u, 0x140u, 0x17bu, 0x280u, msr_index::kMc0Ctl + 4 * kMcBanks, 0xc0010015u, 0xc0011029u, 0x1234u}) {
    u64 v;
    CAPTURE(index);
    CHECK(!r.cpu.read_msr(index, v));
    CHECK(!r.cpu.write_msr(index, 0));
  }
}

TEST_CASE("RDMSR/WRMSR of an MSR that does not exist raise #GP(0), at CPL 0, changing nothing") {
  LongModeRig r;
  r.cpu.set_intercept_exceptions(true);
  r.cpu.gpr[RCX] = 0x48;  // IA32_SPEC_CTRL: not reported
  r.cpu.gpr[RAX] = 0x1111;
  r.cpu.gpr[RDX] = 0x2222;
  r.put(0x20000, {});
  r.mem.write_block(0x20000, rdmsr64, size_t(rdmsr64_end - rdmsr64));
  r.cpu.rip = 0x20000;
  REQUIRE(r.step(5) == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kGP);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.rip == 0x20000);
  CHECK(r.cpu.gpr[RAX] == 0x1111);
  CHECK(r.cpu.gpr[RDX] == 0x2222);
  // WRMSR of a reserved bit of an MSR that exists: #GP(0) as well.
  r.mem.write_block(0x20000, wrmsr64, size_t(wrmsr64_end - wrmsr64));
  r.cpu.gpr[RCX] = msr_index::kSfmask;
  r.cpu.gpr[RDX] = 1;  // bit 32: reserved
  r.cpu.rip = 0x20000;
  REQUIRE(r.step(5) == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kGP);
  CHECK(r.cpu.msr.sfmask == 0);
  // A present MSR reads through the instruction.
  r.mem.write_block(0x20000, rdmsr64, size_t(rdmsr64_end - rdmsr64));
  r.cpu.gpr[RCX] = msr_index::kMtrrCap;
  r.cpu.rip = 0x20000;
  r.step(5);
  CHECK(r.cpu.intercepted_exception().vector == kUD);  // ran to its end
  CHECK(r.cpu.gpr[RAX] == 0x508);
}

TEST_CASE("MTRRs and PAT accept only valid memory types and no reserved bits (SDM §11.11.2, §11.12.2)") {
  CpuRig r;
  Cpu& c = r.cpu;
  u64 v = 1;
  REQUIRE(c.read_msr(msr_index::kMtrrDefType, v));
  CHECK(v == 0);                                        // MTRRs disabled at reset
  CHECK(c.write_msr(msr_index::kMtrrDefType, 0xc06));   // enabled, fixed enabled, default WB
  CHECK(!c.write_msr(msr_index::kMtrrDefType, 0xc02));  // type 2 is reserved
  CHECK(!c.write_msr(msr_index::kMtrrDefType, 0x1006));
  CHECK(c.write_msr(0x200, 0x80000000 | 0));      // PHYSBASE0: UC at 2 GiB
  CHECK(!c.write_msr(0x200, 0x80000000 | 3));     // reserved type
  CHECK(!c.write_msr(0x200, u64(1) << 46));       // above MAXPHYADDR
  CHECK(c.write_msr(0x201, 0x3fff80000800ull));   // PHYSMASK0: 2 GiB, valid
  CHECK(!c.write_msr(0x201, 0x3fff80000801ull));  // bit 0 reserved
  CHECK(c.write_msr(0x20f, 0));                   // PHYSMASK7 exists
  CHECK(c.msr.mtrr_var[1] == 0x3fff80000800ull);
  CHECK(c.write_msr(msr_index::kMtrrFix4kC0000, 0x0505050505050505ull));
  CHECK(!c.write_msr(msr_index::kMtrrFix4kF8000, 0x0700000000000000ull));  // 7 is a PAT-only type
  CHECK(c.msr.mtrr_fixed[3] == 0x0505050505050505ull);
  u64 pat = 0;
  REQUIRE(c.read_msr(msr_index::kPat, pat));
  CHECK(pat == 0x0007040600070406ull);  // power-on PAT
  CHECK(c.write_msr(msr_index::kPat, 0x0007010600070106ull));
  CHECK(!c.write_msr(msr_index::kPat, 0x0007040600070402ull));
  CHECK(!c.write_msr(msr_index::kPat, 0x0807040600070406ull));
}

TEST_CASE("IA32_FEATURE_CONTROL: lock bit, then every write is #GP(0); VMX outside SMX only") {
  CpuRig r;
  CHECK(!r.cpu.write_msr(msr_index::kFeatureControl, 2));  // VMX inside SMX: no SMX
  CHECK(r.cpu.write_msr(msr_index::kFeatureControl, 4));   // VMX outside SMX, unlocked
  CHECK(r.cpu.write_msr(msr_index::kFeatureControl, 5));
  CHECK(!r.cpu.write_msr(msr_index::kFeatureControl, 5));
  CHECK(!r.cpu.write_msr(msr_index::kFeatureControl, 0));
  u64 v = 0;
  REQUIRE(r.cpu.read_msr(msr_index::kFeatureControl, v));
  CHECK(v == 5);
}

TEST_CASE("TSC and IA32_TSC_ADJUST move together (SDM §17.17.3)") {
  CpuRig r;
  u64 tsc = 0, adj = 0;
  CHECK(r.cpu.write_msr(msr_index::kTsc, 1'000'000));
  REQUIRE(r.cpu.read_msr(msr_index::kTscAdjust, adj));
  CHECK(adj == 1'000'000 - r.cpu.icount());
  CHECK(r.cpu.write_msr(msr_index::kTscAdjust, adj + 500));
  REQUIRE(r.cpu.read_msr(msr_index::kTsc, tsc));
  CHECK(tsc == 1'000'500);
}

TEST_CASE(
    "IA32_MISC_ENABLE: limit-CPUID, XD-disable and MONITOR enable change CPUID; BTS/PEBS unavailable are read-only") {
  CpuRig r;
  Cpu& c = r.cpu;
  u64 m = 0;
  REQUIRE(c.read_msr(msr_index::kMiscEnable, m));
  CHECK(m == (misc_enable::kFastStrings | misc_enable::kBtsUnavailable | misc_enable::kPebsUnavailable |
              misc_enable::kMonitorEnable));
  CHECK((cpuid(c, 1).c & (1u << 3)) != 0);  // MONITOR reported at power-on
  CHECK(cpuid(c, 5).a == 64);               // and its leaf
  CHECK(c.write_msr(msr_index::kMiscEnable, misc_enable::kFastStrings | misc_enable::kLimitCpuid));
  REQUIRE(c.read_msr(msr_index::kMiscEnable, m));
  CHECK((m & misc_enable::kBtsUnavailable) != 0);
  CHECK(cpuid(c, 0).a == 2);
  CHECK(cpuid(c, 7).a == cpuid(c, 2).a);  // leaf 7 is above the maximum now
  CHECK(cpuid(c, 2).a == 0xff01);
  CHECK((cpuid(c, 0x80000001).d & (1u << 20)) != 0);
  CHECK(c.write_msr(msr_index::kMiscEnable, misc_enable::kXdDisable));
  CHECK((cpuid(c, 0x80000001).d & (1u << 20)) == 0);  // NX no longer reported
  CHECK(!c.write_msr(msr_index::kEfer, efer::NXE));   // and EFER.NXE is reserved
  CHECK((cpuid(c, 1).c & (1u << 3)) == 0);            // MONITOR enable (bit 18) cleared: MONITOR not reported
  CHECK(cpuid(c, 5).a == 0);                          // nor leaf 05H
  CHECK(c.write_msr(msr_index::kMiscEnable, misc_enable::kMonitorEnable));
  CHECK((cpuid(c, 1).c & (1u << 3)) != 0);
  CHECK(!c.write_msr(msr_index::kMiscEnable, 1u << 16));  // Enhanced SpeedStep: not in this model
}

TEST_CASE("IA32_BIOS_SIGN_ID takes the write of 0 that precedes CPUID and reads the revision") {
  CpuRig r;
  CHECK(r.cpu.write_msr(msr_index::kBiosSignId, 0));
  u64 v = 0;
  REQUIRE(r.cpu.read_msr(msr_index::kBiosSignId, v));
  CHECK((v >> 32) != 0);
  CHECK(u32(v) == 0);
}

TEST_CASE("IA32_APIC_BASE: the APIC's CPUID bits, x2APIC transitions, TSC_DEADLINE and x2APIC MSRs reach the APIC") {
  CpuRig r;
  Cpu& c = r.cpu;
  u64 v = 0;
  REQUIRE(c.read_msr(msr_index::kApicBase, v));
  CHECK(v == 0xfee00900);                                           // BSP, enabled, default base
  CHECK((cpuid(c, 1).d & (1u << 9)) == 0);                          // no APIC attached
  CHECK(!c.write_msr(msr_index::kApicBase, v | apic_base::kExtd));  // no x2APIC without one
  CHECK(!c.read_msr(msr_index::kTscDeadline, v));
  FakeApic apic;
  c.set_local_apic(&apic);
  CHECK((cpuid(c, 1).d & (1u << 9)) != 0);
  CHECK((cpuid(c, 1).c & (1u << 21)) != 0);  // x2APIC
  CHECK((cpuid(c, 1).c & (1u << 24)) != 0);  // TSC-deadline
  CHECK(!c.read_msr(0x802, v));              // xAPIC mode: the x2APIC range is #GP
  CHECK(c.write_msr(msr_index::kApicBase, 0xfee00900 | apic_base::kExtd));
  CHECK(apic.last_base == (0xfee00900 | apic_base::kExtd));
  REQUIRE(c.read_msr(0x802, v));
  CHECK(v == 0x1234);
  CHECK(c.write_msr(0x830, 0x55));
  CHECK(apic.last_x2_index == 0x830);
  CHECK(!c.write_msr(msr_index::kApicBase, 0xfee00900));  // x2APIC -> xAPIC directly: invalid
  CHECK(!c.write_msr(msr_index::kApicBase, 0xfee00000 | apic_base::kExtd | apic_base::kBsp));  // EXTD without EN
  CHECK(c.write_msr(msr_index::kApicBase, 0xfee00100));                                        // x2APIC -> disabled
  CHECK((cpuid(c, 1).d & (1u << 9)) == 0);  // CPUID.1:EDX.APIC follows EN
  CHECK(!c.write_msr(msr_index::kApicBase, 0xfee00100 | apic_base::kEnable | apic_base::kExtd));  // disabled -> x2APIC
  CHECK(c.write_msr(msr_index::kApicBase, 0xfee00900));
  CHECK(c.write_msr(msr_index::kTscDeadline, 12345));
  CHECK(apic.last_deadline == 12345);
  REQUIRE(c.read_msr(msr_index::kTscDeadline, v));
  CHECK(v == 12345);
  CHECK(!c.write_msr(msr_index::kApicBase, u64(1) << 46 | 0x900));  // above MAXPHYADDR
}

TEST_CASE("machine-check banks as Linux probes them: MCG_CAP, MCi_CTL kept, MCi_STATUS/ADDR/MISC read 0, take only 0") {
  CpuRig r;
  Cpu& c = r.cpu;
  CHECK((cpuid(c, 1).d & (1u << 14)) != 0);  // MCA
  CHECK((cpuid(c, 1).d & (1u << 7)) != 0);   // MCE
  u64 cap = 0;
  REQUIRE(c.read_msr(msr_index::kMcgCap, cap));
  CHECK((cap & 0xff) == kMcBanks);
  CHECK((cap & ~u64(0xff)) == 0);  // no MCG_CTL, CMCI, extended state, LMCE
  CHECK(!c.write_msr(msr_index::kMcgCap, cap));
  u64 v = 1;
  REQUIRE(c.read_msr(msr_index::kMcgStatus, v));
  CHECK(v == 0);
  CHECK(c.write_msr(msr_index::kMcgStatus, 0));
  CHECK(!c.write_msr(msr_index::kMcgStatus, 8));  // LMCE_S: no LMCE
  for (u32 bank = 0; bank < kMcBanks; ++bank) {
    CAPTURE(bank);
    const u32 ctl = msr_index::kMc0Ctl + 4 * bank;
    CHECK(c.write_msr(ctl, ~u64(0)));  // enable every error type (__mcheck_cpu_init_clear_banks)
    REQUIRE(c.read_msr(ctl, v));
    CHECK(v == ~u64(0));  // read back (__mcheck_cpu_check_banks)
    for (u32 reg = 1; reg < 4; ++reg) {
      v = 1;
      REQUIRE(c.read_msr(ctl + reg, v));
      CHECK(v == 0);  // nothing logged
      CHECK(c.write_msr(ctl + reg, 0));
      CHECK(!c.write_msr(ctl + reg, 1));  // writing 1s is #GP (SDM Vol. 3B §15.3.2.2)
    }
  }
}

TEST_CASE("MSR_POWER_CTL: the C1E-enable bit intel_idle sets on this model is writable, nothing else") {
  CpuRig r;
  u64 v = 1;
  REQUIRE(r.cpu.read_msr(msr_index::kPowerCtl, v));
  CHECK(v == 0);
  CHECK(r.cpu.write_msr(msr_index::kPowerCtl, 2));
  REQUIRE(r.cpu.read_msr(msr_index::kPowerCtl, v));
  CHECK(v == 2);
  CHECK(!r.cpu.write_msr(msr_index::kPowerCtl, 1));
}

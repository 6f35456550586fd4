// What the CPU is told about the machine around it: its place in the
// topology (CPUID leaves 1, 4, 0BH are a function of it), the local APIC it
// talks to through MSRs (IA32_APIC_BASE, IA32_TSC_DEADLINE, the x2APIC
// range), and where RDRAND/RDSEED take their numbers from. The Machine sets
// these; the CPU works without any of them (one vCPU, no APIC, the
// deterministic default entropy).
#pragma once
#include "core/base/types.h"

namespace vtlab {

// The vCPU's initial APIC ID and how many vCPUs the package has (SMP:
// vCPU n of N gets {n, N}). All vCPUs are cores of one package, one thread
// per core (docs/cpu-model.md).
struct CpuTopology {
  u32 apic_id = 0;
  u32 count = 1;
};

// The local APIC as the CPU sees it (devices/ implements it). The MSRs
// live in the CPU's table (cpu/msr_table.cpp); the APIC is told of writes
// and answers the x2APIC register range.
class LocalApicHooks {
 public:
  virtual ~LocalApicHooks() = default;
  // Capabilities the CPU reports through CPUID when this APIC is attached.
  virtual bool x2apic_supported() const { return false; }
  virtual bool tsc_deadline_supported() const { return false; }
  // IA32_APIC_BASE was written (the value is already checked and stored).
  virtual void apic_base_written(u64 value) { (void)value; }
  // IA32_TSC_DEADLINE was written (0 disarms the timer), and its value as
  // the APIC reports it (0 outside TSC-deadline mode and once fired).
  virtual void tsc_deadline_written(u64 deadline) { (void)deadline; }
  virtual u64 tsc_deadline() const { return 0; }
  // MOV to/from CR8 (64-bit mode): CR8[3:0] is a window on TPR[7:4] (SDM
  // Vol. 3A §10.8.6.1). A write stores TPR = value << 4 (TPR[3:0] cleared);
  // a read returns TPR[7:4]. An APIC that keeps the TPR answers true; the
  // CPU keeps CR8 itself when none is attached or the APIC answers false.
  virtual bool tpr_read(u8& tpr) {
    (void)tpr;
    return false;
  }
  virtual bool tpr_written(u8 tpr) {
    (void)tpr;
    return false;
  }
  // An EOI to the local APIC by the processor itself (VMX posted-interrupt
  // processing, SDM Vol. 3C §30.6): ends the highest in-service vector.
  virtual void end_of_interrupt() {}
  // RDMSR/WRMSR of 800H-8FFH in x2APIC mode; false raises #GP(0).
  virtual bool x2apic_read(u32 index, u64& out) {
    (void)index, (void)out;
    return false;
  }
  virtual bool x2apic_write(u32 index, u64 value) {
    (void)index, (void)value;
    return false;
  }
};

}  // namespace vtlab

#include "devices/lapic/lapic_regs.h"

namespace vtlab::lapic {
namespace {

using A = Access;

// SDM Vol. 3A Table 10-1 (xAPIC) and Table 10-6 (x2APIC). In x2APIC mode
// the ID and LDR are read only, APR, RRD, DFR and ICR high do not exist
// (their MSRs are reserved), and EOI and ESR accept only 0.
constexpr RegInfo kRegs[] = {
    {kId, kId, "ID", A::ReadWrite, A::ReadOnly, 0},
    {kVersion, kVersion, "version", A::ReadOnly, A::ReadOnly, 0},
    {kTpr, kTpr, "TPR", A::ReadWrite, A::ReadWrite, 0xff},
    {kApr, kApr, "APR", A::ReadOnly, A::None, 0},
    {kPpr, kPpr, "PPR", A::ReadOnly, A::ReadOnly, 0},
    {kEoi, kEoi, "EOI", A::WriteOnly, A::WriteOnly, 0},
    {kRrd, kRrd, "remote read", A::ReadOnly, A::None, 0},
    {kLdr, kLdr, "LDR", A::ReadWrite, A::ReadOnly, 0},
    {kDfr, kDfr, "DFR", A::ReadWrite, A::None, 0},
    {kSvr, kSvr, "spurious-interrupt vector", A::ReadWrite, A::ReadWrite, kSvrWritable},
    {kIsr0, kIsr0 + 7, "ISR", A::ReadOnly, A::ReadOnly, 0},
    {kTmr0, kTmr0 + 7, "TMR", A::ReadOnly, A::ReadOnly, 0},
    {kIrr0, kIrr0 + 7, "IRR", A::ReadOnly, A::ReadOnly, 0},
    {kEsr, kEsr, "ESR", A::ReadWrite, A::ReadWrite, 0},
    {kIcrLow, kIcrLow, "ICR", A::ReadWrite, A::ReadWrite, kIcrX2apicWritable},
    {kIcrHigh, kIcrHigh, "ICR high", A::ReadWrite, A::None, 0},
    {kLvtTimer, kLvtTimer, "LVT timer", A::ReadWrite, A::ReadWrite, kLvtTimerWritable},
    {kLvtThermal, kLvtThermal, "LVT thermal sensor", A::ReadWrite, A::ReadWrite, kLvtMonitorWritable},
    {kLvtPerf, kLvtPerf, "LVT performance counters", A::ReadWrite, A::ReadWrite, kLvtMonitorWritable},
    {kLvtLint0, kLvtLint0, "LVT LINT0", A::ReadWrite, A::ReadWrite, kLvtLintWritable},
    {kLvtLint1, kLvtLint1, "LVT LINT1", A::ReadWrite, A::ReadWrite, kLvtLintWritable},
    {kLvtError, kLvtError, "LVT error", A::ReadWrite, A::ReadWrite, kLvtErrorWritable},
    {kInitialCount, kInitialCount, "initial count", A::ReadWrite, A::ReadWrite, 0xffffffff},
    {kCurrentCount, kCurrentCount, "current count", A::ReadOnly, A::ReadOnly, 0},
    {kDivideConfig, kDivideConfig, "divide configuration", A::ReadWrite, A::ReadWrite, kDivideWritable},
    {kSelfIpi, kSelfIpi, "SELF IPI", A::None, A::WriteOnly, 0xff},
};

}  // namespace

const RegInfo* find_reg(unsigned reg) {
  for (const RegInfo& r : kRegs)
    if (reg >= r.first && reg <= r.last) return &r;
  return nullptr;
}

std::span<const RegInfo> registers() { return kRegs; }

}  // namespace vtlab::lapic

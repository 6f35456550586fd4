// The local APIC's register map (SDM Vol. 3A Table 10-1, xAPIC MMIO
// offsets, and Table 10-6, x2APIC MSRs 800H-8FFH): one row per register,
// with who may read and write it in each mode and, for x2APIC mode, the bits
// a WRMSR may set (a 1 anywhere else is #GP(0), §10.12.1.3). Registers are
// numbered by MMIO offset >> 4, which is also MSR index - 800H.
#pragma once
#include <span>

#include "core/base/types.h"

namespace vtlab::lapic {

enum Reg : u8 {
  kId = 0x02,
  kVersion = 0x03,
  kTpr = 0x08,
  kApr = 0x09,
  kPpr = 0x0a,
  kEoi = 0x0b,
  kRrd = 0x0c,
  kLdr = 0x0d,
  kDfr = 0x0e,
  kSvr = 0x0f,
  kIsr0 = 0x10,  // ISR 0x10-0x17, TMR 0x18-0x1f, IRR 0x20-0x27: 32 vectors each
  kTmr0 = 0x18,
  kIrr0 = 0x20,
  kEsr = 0x28,
  kIcrLow = 0x30,
  kIcrHigh = 0x31,
  kLvtTimer = 0x32,
  kLvtThermal = 0x33,
  kLvtPerf = 0x34,
  kLvtLint0 = 0x35,
  kLvtLint1 = 0x36,
  kLvtError = 0x37,
  kInitialCount = 0x38,
  kCurrentCount = 0x39,
  kDivideConfig = 0x3e,
  kSelfIpi = 0x3f,  // x2APIC only
};

// Access in one mode.
enum class Access : u8 { None, ReadOnly, WriteOnly, ReadWrite };

struct RegInfo {
  u8 first, last;  // register numbers (ISR/TMR/IRR span eight)
  const char* name;
  Access xapic, x2apic;
  u64 x2apic_writable;  // bits WRMSR may set in x2APIC mode
};

const RegInfo* find_reg(unsigned reg);
std::span<const RegInfo> registers();

// The version register: version 14H (an integrated xAPIC), six LVT entries
// (max LVT entry 5: timer, thermal, performance, LINT0, LINT1, error; no
// CMCI, as IA32_MCG_CAP reports none), no EOI-broadcast suppression.
inline constexpr u32 kVersionValue = 0x14 | (5u << 16);

// LVT entry bits (SDM Vol. 3A Figure 10-8).
inline constexpr u32 kLvtVector = 0xff, kLvtDeliveryModeShift = 8, kLvtDeliveryMode = 7u << 8,
                     kLvtDeliveryStatus = 1u << 12, kLvtPolarityLow = 1u << 13, kLvtRemoteIrr = 1u << 14,
                     kLvtLevel = 1u << 15, kLvtMasked = 1u << 16, kLvtTimerModeShift = 17, kLvtTimerMode = 3u << 17;
// The bits software writes in each LVT entry (the rest are reserved or read only).
inline constexpr u32 kLvtTimerWritable = kLvtVector | kLvtMasked | kLvtTimerMode;
inline constexpr u32 kLvtMonitorWritable = kLvtVector | kLvtDeliveryMode | kLvtMasked;  // thermal, performance
inline constexpr u32 kLvtLintWritable = kLvtVector | kLvtDeliveryMode | kLvtPolarityLow | kLvtLevel | kLvtMasked;
inline constexpr u32 kLvtErrorWritable = kLvtVector | kLvtMasked;
inline constexpr u32 kLvtReset = kLvtMasked;

// Timer modes (LVT timer bits 18:17, §10.5.4).
enum class TimerMode : u8 { OneShot = 0, Periodic = 1, TscDeadline = 2, Reserved = 3 };

// Spurious-interrupt vector register (Figure 10-23).
inline constexpr u32 kSvrVector = 0xff, kSvrEnable = 1u << 8, kSvrFocusDisable = 1u << 9;
inline constexpr u32 kSvrWritable = kSvrVector | kSvrEnable | kSvrFocusDisable;
inline constexpr u32 kSvrReset = 0xff;

// Error status register bits (Figure 10-9 / 10-14).
inline constexpr u32 kEsrSendIllegalVector = 1u << 5, kEsrReceiveIllegalVector = 1u << 6,
                     kEsrIllegalRegister = 1u << 7;

// ICR bits (Figure 10-12 / 10-28).
inline constexpr u64 kIcrVector = 0xff, kIcrDeliveryModeShift = 8, kIcrLogical = 1u << 11,
                     kIcrDeliveryStatus = 1u << 12, kIcrAssert = 1u << 14, kIcrLevel = 1u << 15,
                     kIcrShorthandShift = 18;
inline constexpr u32 kIcrLowWritable = 0x000ccfff;  // xAPIC: all but delivery status, remote read status
inline constexpr u64 kIcrX2apicWritable = 0xffffffff000ccfffull;

// Divide configuration: bits 0, 1, 3 (Figure 10-10).
inline constexpr u32 kDivideWritable = 0xb;
// The divisor a DCR value selects: 2, 4, ..., 128, then 1 (value 111b).
constexpr unsigned divide_shift(u32 dcr) { return ((((dcr >> 1) & 4) | (dcr & 3)) + 1) & 7; }

// DFR: model bits 31:28 (1111 flat, 0000 cluster); bits 27:0 read as ones.
inline constexpr u32 kDfrFlat = 0xffffffff, kDfrModelMask = 0xf0000000;

}  // namespace vtlab::lapic

// The exit-reason table (cpu/vmx/exit_reasons.def): numbers, names, what
// each exit records, and whether vtlab causes it.
#pragma once
#include <span>

#include "core/base/types.h"

namespace vtlab::vmx {

enum class ExitReason : u16 {
#define EXIT_REASON(num, NAME, text, flags, vtlab) NAME = num,
#include "cpu/vmx/exit_reasons.def"
#undef EXIT_REASON
};

namespace exit_flag {
inline constexpr u8 Q = 1, L = 2, I = 4, G = 8, F = 16;
}

struct ExitReasonInfo {
  u16 number;
  const char* name;  // ENUM-style name
  const char* text;  // for people: traces, the debugger
  u8 flags;          // exit_flag::*
  bool caused;       // vtlab causes this exit
};
std::span<const ExitReasonInfo> exit_reasons();
const ExitReasonInfo* find_exit_reason(u16 number);
// "CPUID", "EPT violation", ... or "exit reason N" for one not in the table.
const char* exit_reason_text(u16 number);

// Bit 31 of the exit-reason field: the exit is a VM-entry failure.
inline constexpr u32 kExitReasonEntryFailure = 1u << 31;

}  // namespace vtlab::vmx

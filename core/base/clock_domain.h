// A device clock (the PIT's 1.193182 MHz, the RTC's 32.768 kHz, the ACPI PM
// timer's 3.579545 MHz) expressed in virtual time, exactly and without drift.
//
// Virtual time is counted in ticks; the scheduler's rate gives ticks per
// virtual second (T = insns_per_us * 10^6, 10^9 by default). A device clock of
// F Hz has had floor(t * F / T) rising edges by tick t, counted from tick 0,
// and its k-th edge falls on tick ceil(k * T / F). Both are integer functions
// of t or k alone (128-bit intermediates), so no rounding error accumulates
// however long the run, and two runs compute identical edges.
#pragma once
#include "core/base/scheduler.h"
#include "core/base/types.h"

namespace vtlab {

class ClockDomain {
 public:
  ClockDomain(const Scheduler& scheduler, u64 hz) : ticks_per_second_(scheduler.insns_per_us() * 1'000'000), hz_(hz) {}

  u64 hz() const { return hz_; }
  // Edges of the device clock up to and including tick t.
  u64 clocks_at(u64 ticks) const { return u64((unsigned __int128)ticks * hz_ / ticks_per_second_); }
  // The first tick at which `clocks` edges have happened (saturates at
  // Scheduler::kNever).
  u64 tick_of(u64 clocks) const {
    unsigned __int128 t = ((unsigned __int128)clocks * ticks_per_second_ + hz_ - 1) / hz_;
    return t >= Scheduler::kNever ? Scheduler::kNever : u64(t);
  }

 private:
  u64 ticks_per_second_;
  u64 hz_;
};

}  // namespace vtlab

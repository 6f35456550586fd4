// The local APIC timer (SDM Vol. 3A §10.5.4): one-shot and periodic
// countdown on the divided crystal clock, and TSC-deadline mode.
//
// In virtual time: the timer clock is a ClockDomain; a countdown that
// starts at clock edge S with initial count N and divisor 2^k reaches 0 at
// edge S + N * 2^k, the exact tick of which the scheduler fires. A periodic
// timer's next period starts at that edge, so periods never drift. The
// current count at edge C is N - floor((C - S) / 2^k).
#include <algorithm>

#include "devices/lapic/lapic.h"

namespace vtlab {

using namespace lapic;

u32 Lapic::current_count() const {
  const TimerMode mode = timer_mode();
  if (!counting_ || initial_count_ == 0 || (mode != TimerMode::OneShot && mode != TimerMode::Periodic)) return 0;
  const u64 elapsed = (clocks() - period_start_) >> divide_shift(divide_config_);
  if (mode == TimerMode::OneShot) return elapsed >= initial_count_ ? 0 : u32(initial_count_ - elapsed);
  return u32(initial_count_ - elapsed % initial_count_);
}

void Lapic::write_initial_count(u32 value) {
  const TimerMode mode = timer_mode();
  if (mode == TimerMode::TscDeadline) return;  // ignored in TSC-deadline mode
  initial_count_ = value;
  // Writing starts a new count; 0 stops the timer.
  counting_ = value != 0 && (mode == TimerMode::OneShot || mode == TimerMode::Periodic);
  period_start_ = clocks();
  arm_timer_event();
}

void Lapic::write_divide_config(u32 value) {
  if (counting_) {
    // Count on from the current value at the new divisor: the period is
    // re-based so that the same number of counts are done.
    const u64 done = u64(initial_count_ - current_count()) << divide_shift(value);
    period_start_ = clocks() - std::min(done, clocks());
  }
  divide_config_ = value;
  arm_timer_event();
}

u64 Lapic::tsc_deadline() const { return timer_mode() == TimerMode::TscDeadline ? tsc_deadline_ : 0; }

void Lapic::write_tsc_deadline(u64 value) {
  if (timer_mode() != TimerMode::TscDeadline) return;  // ignored in the other modes
  tsc_deadline_ = value;  // 0 disarms
  arm_timer_event();
}

void Lapic::timer_mode_changed() {
  // A mode change disarms the timer (§10.5.4.1).
  initial_count_ = 0;
  counting_ = false;
  tsc_deadline_ = 0;
  arm_timer_event();
}

void Lapic::stop_timer() {
  if (timer_event_tick_ != Scheduler::kNever) scheduler_.cancel(timer_event_);
  timer_event_tick_ = Scheduler::kNever;
}

void Lapic::arm_timer_event() {
  stop_timer();
  u64 tick = Scheduler::kNever;
  if (!enabled()) return;
  if (timer_mode() == TimerMode::TscDeadline) {
    if (!tsc_deadline_) return;
    // Due at the first tick whose TSC (virtual time + offset) reaches the
    // deadline: now if it already has.
    const u64 now = scheduler_.now(), tsc = now + (core_ ? core_->tsc_offset() : 0);
    const u64 wait = tsc_deadline_ > tsc ? tsc_deadline_ - tsc : 0;
    tick = wait >= Scheduler::kNever - now ? Scheduler::kNever : now + wait;
  } else if (counting_) {
    tick = clock_.tick_of(period_start_ + (u64(initial_count_) << divide_shift(divide_config_)));
    if (tick < scheduler_.now()) tick = scheduler_.now();
  }
  if (tick == Scheduler::kNever) return;
  timer_event_tick_ = tick;
  timer_event_ = scheduler_.schedule_at(tick, "lapic-timer", [this] { on_timer_event(); });
}

void Lapic::on_timer_event() {
  timer_event_tick_ = Scheduler::kNever;
  switch (timer_mode()) {
    case TimerMode::TscDeadline:
      tsc_deadline_ = 0;  // disarms itself and clears the MSR
      break;
    case TimerMode::OneShot:
      counting_ = false;
      break;
    case TimerMode::Periodic:
      period_start_ += u64(initial_count_) << divide_shift(divide_config_);
      break;
    default:
      return;
  }
  local_interrupt(kTimer);  // masked: counted, not delivered
  arm_timer_event();
}

}  // namespace vtlab

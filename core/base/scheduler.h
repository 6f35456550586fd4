// Virtual time and timed events. Virtual time is the count of retired
// instructions (DESIGN: determinism is the spine); every timer in the
// machine is an event on this one scheduler. The CPU advances `now` and
// asks for the next deadline so it can stop exactly there.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/base/types.h"

namespace vtlab {

class Scheduler {
 public:
  using Callback = std::function<void()>;
  static constexpr u64 kNever = ~u64(0);

  // Virtual clock rate: instructions per virtual microsecond (default 1000,
  // i.e. one instruction per virtual nanosecond).
  explicit Scheduler(u64 insns_per_us = 1000) : rate_(insns_per_us) {}

  u64 now() const { return now_; }
  void advance_to(u64 t) { now_ = t; }
  u64 insns_per_us() const { return rate_; }
  u64 ns_to_insns(u64 ns) const { return ns * rate_ / 1000; }
  u64 insns_to_ns(u64 insns) const { return insns * 1000 / rate_; }

  // Returns an id usable with cancel(). Events at equal times fire in the
  // order they were scheduled.
  u64 schedule_at(u64 when, std::string name, Callback cb);
  u64 schedule_in(u64 delta, std::string name, Callback cb) {
    return schedule_at(now_ + delta, std::move(name), std::move(cb));
  }
  void cancel(u64 id);
  u64 next_deadline() const { return events_.empty() ? kNever : events_.front().when; }
  // Fires every event due at or before now().
  void run_due();

 private:
  struct Event {
    u64 when;
    u64 seq;
    u64 id;
    std::string name;
    Callback cb;
  };
  std::vector<Event> events_;  // kept sorted by (when, seq)
  u64 now_ = 0;
  u64 rate_;
  u64 next_seq_ = 0;
};

}  // namespace vtlab

// Shared pieces of the chipset device tests: a line that records its edges
// with their virtual times, and moving virtual time forward the way the CPU
// does (every event at its own tick).
#pragma once
#include <utility>
#include <vector>

#include "core/base/io.h"
#include "core/base/scheduler.h"

namespace vtlab::test {

class EdgeRecorder final : public IrqLine {
 public:
  explicit EdgeRecorder(const Scheduler& s) : scheduler_(s) {}
  void set_level(bool high) override {
    if (high != level_) edges.emplace_back(scheduler_.now(), high);
    level_ = high;
  }
  bool level() const { return level_; }
  // Ticks of the rising (or falling) edges, in order.
  std::vector<u64> times(bool rising) const {
    std::vector<u64> t;
    for (const auto& [when, high] : edges)
      if (high == rising) t.push_back(when);
    return t;
  }
  std::vector<std::pair<u64, bool>> edges;

 private:
  const Scheduler& scheduler_;
  bool level_ = false;
};

// Runs every event due up to `target`, each at its own time, then stops at
// `target`.
inline void advance_to(Scheduler& s, u64 target) {
  while (s.next_deadline() <= target) {
    s.advance_to(s.next_deadline());
    s.run_due();
  }
  s.advance_to(target);
}

}  // namespace vtlab::test

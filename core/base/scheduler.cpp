#include "core/base/scheduler.h"

#include <algorithm>

namespace vtlab {

u64 Scheduler::schedule_at(u64 when, std::string name, Callback cb) {
  u64 seq = next_seq_++;
  Event ev{when, seq, seq, std::move(name), std::move(cb)};
  auto pos = std::upper_bound(events_.begin(), events_.end(), ev, [](const Event& a, const Event& b) {
    return a.when != b.when ? a.when < b.when : a.seq < b.seq;
  });
  events_.insert(pos, std::move(ev));
  return seq;
}

void Scheduler::cancel(u64 id) {
  std::erase_if(events_, [id](const Event& e) { return e.id == id; });
}

void Scheduler::run_due() {
  while (!events_.empty() && events_.front().when <= now_) {
    Event ev = std::move(events_.front());
    events_.erase(events_.begin());
    ev.cb();
  }
}

}  // namespace vtlab

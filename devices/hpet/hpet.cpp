#include "devices/hpet/hpet.h"

#include <algorithm>

namespace vtlab {

namespace {
constexpr u64 kFemtosecondsPerSecond = 1'000'000'000'000'000ull;
}

Hpet::Hpet(Scheduler& scheduler, HpetConfig config)
    : scheduler_(scheduler), hw_(config), clock_(scheduler, config.clock_hz) {
  reset();
}

Hpet::~Hpet() {
  for (unsigned n = 0; n < kTimers; ++n) disarm(n);
}

void Hpet::set_route_line(unsigned gsi, IrqLine* line) {
  if (gsi < route_lines_.size()) route_lines_[gsi] = line;
}

void Hpet::set_legacy_lines(IrqLine* irq0, IrqLine* irq8) {
  legacy_[0] = irq0;
  legacy_[1] = irq8;
}

u64 Hpet::capabilities() const {
  return u64(kFemtosecondsPerSecond / hw_.clock_hz) << 32 | hw_.id;
}

u64 Hpet::counter() const {
  return (config_reg_ & kEnable) ? counter_base_ + (clocks() - enable_clock_) : counter_base_;
}

void Hpet::reset() {
  for (unsigned n = 0; n < kTimers; ++n) {
    disarm(n);
    if (timers_[n].driven) timers_[n].driven->set_level(false);
    timers_[n] = Timer{};
  }
  const bool was_legacy = legacy_replacement();
  config_reg_ = 0;
  status_ = 0;
  counter_base_ = 0;
  enable_clock_ = clocks();
  if (was_legacy && on_legacy_change) on_legacy_change(false);
}

// ---- registers ----

u64 Hpet::read64(u64 reg) const {
  if (reg == kCapabilities) return capabilities();
  if (reg == kGeneralConfig) return config_reg_;
  if (reg == kInterruptStatus) return status_;
  if (reg == kMainCounter) return counter();
  if (reg >= kTimerBase && reg < kTimerBase + kTimers * kTimerStride) {
    const unsigned n = unsigned((reg - kTimerBase) / kTimerStride);
    const Timer& t = timers_[n];
    switch ((reg - kTimerBase) % kTimerStride) {
      case 0x00:
        return t.config | kPeriodicCap | kSize64Cap | u64(hw_.route_cap[n]) << 32;
      case 0x08:
        return (t.config & kMode32) ? u32(t.comparator) : t.comparator;
      default:
        return 0;  // FSB interrupt route: no FSB delivery
    }
  }
  return 0;
}

void Hpet::write64(u64 reg, u64 value, u64 mask) {
  const u64 merged = (read64(reg) & ~mask) | (value & mask);
  if (reg == kGeneralConfig) return write_general_config(merged);
  if (reg == kInterruptStatus) {
    // Write 1 to clear a level-triggered timer's status.
    status_ &= ~(value & mask & ((1u << kTimers) - 1));
    for (unsigned n = 0; n < kTimers; ++n) update_level(n);
    return;
  }
  if (reg == kMainCounter) {
    counter_base_ = merged;
    enable_clock_ = clocks();
    restart_matching();
    return;
  }
  if (reg >= kTimerBase && reg < kTimerBase + kTimers * kTimerStride) {
    const unsigned n = unsigned((reg - kTimerBase) / kTimerStride);
    const u64 field = (reg - kTimerBase) % kTimerStride;
    if (field == 0x00) return write_timer_config(n, merged);
    if (field == 0x08) return write_comparator(n, value, mask);
  }
}

void Hpet::write_general_config(u64 value) {
  const u64 old = config_reg_;
  const u64 now = counter();
  config_reg_ = value & (kEnable | kLegacyRoute);
  if ((old ^ config_reg_) & kEnable) {
    counter_base_ = now;  // halting keeps the value; starting counts on from it
    enable_clock_ = clocks();
  }
  for (unsigned n = 0; n < kTimers; ++n) {
    arm(n);
    update_level(n);
  }
  if (((old ^ config_reg_) & kLegacyRoute) && on_legacy_change) on_legacy_change(legacy_replacement());
}

void Hpet::write_timer_config(unsigned n, u64 value) {
  Timer& t = timers_[n];
  const u64 old = t.config;
  t.config = value & kTimerWritable;
  if ((t.config & kMode32) && !(old & kMode32)) {
    t.comparator = u32(t.comparator);
    t.period = u32(t.period);
  }
  arm(n);
  update_level(n);
}

void Hpet::write_comparator(unsigned n, u64 value, u64 mask) {
  Timer& t = timers_[n];
  const bool periodic = t.config & kPeriodic;
  u64 width = (t.config & kMode32) ? 0xffffffffull : ~u64(0);
  if (!periodic || (t.config & kValSet)) t.comparator = ((t.comparator & ~mask) | (value & mask)) & width;
  if (periodic) t.period = ((t.period & ~mask) | (value & mask)) & width;
  t.config &= ~kValSet;
  t.from = counter();
  arm(n);
}

// ---- matching ----

void Hpet::restart_matching() {
  const u64 now = counter();
  for (unsigned n = 0; n < kTimers; ++n) {
    timers_[n].from = now;
    arm(n);
  }
}

u64 Hpet::next_match(unsigned n) const {
  const Timer& t = timers_[n];
  const u64 from = std::max(t.from, counter());
  if (t.config & kMode32) {
    const u64 ahead = u32(u32(t.comparator) - u32(from));
    return from > kNone - ahead ? kNone : from + ahead;
  }
  return t.comparator >= from ? t.comparator : kNone;
}

void Hpet::disarm(unsigned n) {
  Timer& t = timers_[n];
  if (t.event_tick != Scheduler::kNever) scheduler_.cancel(t.event_id);
  t.event_tick = Scheduler::kNever;
}

void Hpet::arm(unsigned n) {
  disarm(n);
  if (!(config_reg_ & kEnable)) return;
  const u64 match = next_match(n);
  if (match == kNone) return;
  Timer& t = timers_[n];
  t.match = match;
  u64 tick = clock_.tick_of(enable_clock_ + (match - counter_base_));
  if (tick == Scheduler::kNever) return;
  tick = std::max(tick, scheduler_.now());
  t.event_tick = tick;
  t.event_id = scheduler_.schedule_at(tick, "hpet-timer", [this, n] { fire(n); });
}

void Hpet::fire(unsigned n) {
  Timer& t = timers_[n];
  t.event_tick = Scheduler::kNever;
  t.from = t.match + 1;
  if ((t.config & kPeriodic) && t.period) {
    if (t.config & kMode32) {
      t.comparator = u32(t.comparator + t.period);
    } else {
      t.comparator += t.period;
      // At a virtual clock slower than the counter, the counter can pass
      // more than one count per tick: keep the comparator ahead of it.
      const u64 now = counter();
      if (t.comparator < now) t.comparator += (now - t.comparator + t.period - 1) / t.period * t.period;
    }
  }
  if (t.config & kIntLevel) {
    status_ |= 1u << n;
    update_level(n);
  } else if ((t.config & kIntEnable)) {
    if (IrqLine* line = output(n)) {
      line->set_level(true);
      line->set_level(false);
    }
  }
  // A period of 0 (or a one-shot) looks for the next match from here: the
  // 32-bit wrap, or none.
  arm(n);
}

IrqLine* Hpet::output(unsigned n) const {
  if (legacy_replacement() && n < 2) return legacy_[n];
  const unsigned route = unsigned((timers_[n].config & kRouteMask) >> kRouteShift);
  if (!((hw_.route_cap[n] >> route) & 1)) return nullptr;
  return route_lines_[route];
}

void Hpet::update_level(unsigned n) {
  Timer& t = timers_[n];
  const bool assert = (config_reg_ & kEnable) && (t.config & kIntLevel) && (t.config & kIntEnable) &&
                      ((status_ >> n) & 1);
  IrqLine* target = assert ? output(n) : nullptr;
  if (t.driven == target) return;
  if (t.driven) t.driven->set_level(false);
  t.driven = target;
  if (target) target->set_level(true);
}

// ---- MMIO ----

u64 Hpet::mmio_read(u64 offset, unsigned size) {
  const u64 reg = offset & ~u64(7);
  const u64 v = read64(reg);
  if (size == 8 && !(offset & 7)) return v;
  const u64 half = (offset & 4) ? v >> 32 : u32(v);
  const unsigned shift = 8 * unsigned(offset & 3);
  const u64 bytes = half >> shift;
  return size >= 4 ? u32(bytes) : bytes & ((u64(1) << (8 * size)) - 1);
}

void Hpet::mmio_write(u64 offset, unsigned size, u64 value) {
  const u64 reg = offset & ~u64(7);
  if (size == 8 && !(offset & 7)) return write64(reg, value, ~u64(0));
  if (size != 4 || (offset & 3)) return;
  if (offset & 4)
    write64(reg, value << 32, 0xffffffff00000000ull);
  else
    write64(reg, u32(value), 0xffffffffull);
}

// ---- state ----

void Hpet::serialize(Serializer& s) {
  s(config_reg_);
  s(status_);
  s(counter_base_);
  s(enable_clock_);
  for (Timer& t : timers_) {
    s(t.config);
    s(t.comparator);
    s(t.period);
    s(t.from);
  }
  if (s.saving()) return;
  config_reg_ &= kEnable | kLegacyRoute;
  status_ &= (1u << kTimers) - 1;
  enable_clock_ = std::min(enable_clock_, clocks());
  for (unsigned n = 0; n < kTimers; ++n) {
    timers_[n].config &= kTimerWritable;
    arm(n);
    update_level(n);
  }
  if (on_legacy_change) on_legacy_change(legacy_replacement());
}

HpetView Hpet::view() const {
  HpetView v;
  v.capabilities = capabilities();
  v.config = config_reg_;
  v.status = status_;
  v.counter = counter();
  for (unsigned n = 0; n < kTimers; ++n) {
    const Timer& t = timers_[n];
    v.timers[n].config = read64(kTimerBase + n * kTimerStride);
    v.timers[n].comparator = read64(kTimerBase + n * kTimerStride + 8);
    v.timers[n].period = t.period;
    v.timers[n].line = t.driven != nullptr;
    v.timers[n].next_event_tick = t.event_tick;
  }
  return v;
}

}  // namespace vtlab

#include "devices/rtc_cmos/rtc_cmos.h"

#include <algorithm>

#include "core/base/byte_ports.h"

namespace vtlab {

using namespace rtc;

RtcCmos::RtcCmos(Scheduler& scheduler, IrqLine* irq8, i64 unix_seconds, RtcCmosConfig config)
    : scheduler_(scheduler), irq_(irq8), config_(config), clock_(scheduler, kClockHz) {
  power_on(unix_seconds);
}

RtcCmos::~RtcCmos() { cancel_event(); }

void RtcCmos::attach(PortBus& bus) { bus.attach(config_.base, 2, this, "MC146818 RTC/CMOS"); }

void RtcCmos::power_on(i64 unix_seconds) {
  cancel_event();
  ram_.fill(0);
  ram_[kRegA] = kPowerOnA;
  ram_[kRegB] = kPowerOnB;
  const CivilTime civil = civil_from_unix(unix_seconds);
  TimeRegs t{};
  set_time(t, civil, kPowerOnB);
  store_time_regs(t);
  ram_[kCenturyByte] = from_binary(unsigned(((civil.year / 100) % 100 + 100) % 100), true);
  index_ = 0;
  nmi_mask_ = false;
  flags_ = 0;
  div_start_ = synced_ = clocks();
  updates_done_ = 0;
  irq_level_ = false;
  if (irq_) irq_->set_level(false);
  reschedule();
}

void RtcCmos::reset() {
  sync(clocks());
  ram_[kRegB] &= u8(~(kPie | kAie | kUie | kSqwe));
  flags_ = 0;
  update_irq();
  reschedule();
}

void RtcCmos::set_nvram(u8 index, u8 value) {
  index &= 0x7f;
  if (index >= kFirstRam) ram_[index] = value;
}

TimeRegs RtcCmos::time_regs() const {
  TimeRegs t;
  std::copy_n(ram_.begin(), t.size(), t.begin());
  return t;
}

void RtcCmos::store_time_regs(const TimeRegs& t) { std::copy(t.begin(), t.end(), ram_.begin()); }

// ---- the divider chain in oscillator edges ----------------------------------------

u64 RtcCmos::periodic_clocks() const {
  const unsigned rs = ram_[kRegA] & kRsMask;
  if (rs == 0) return 0;
  if (rs <= 2) return u64(1) << (rs + 6);  // 256 Hz and 128 Hz with a 32.768 kHz time base
  return u64(1) << (rs - 1);
}

u64 RtcCmos::updates_until(u64 c) const {
  constexpr u64 kFirstEnd = kFirstUpdateClocks + kUpdateCycleClocks;
  if (c < div_start_ || c - div_start_ < kFirstEnd) return 0;
  return (c - div_start_ - kFirstEnd) / kSecondClocks + 1;
}

u64 RtcCmos::next_update_end(u64 c) const {
  return div_start_ + kFirstUpdateClocks + kUpdateCycleClocks + updates_until(c) * kSecondClocks;
}

bool RtcCmos::update_in_progress(u64 c) const {
  if (!divider_running() || (ram_[kRegB] & kSet)) return false;
  return next_update_end(c) - c <= kUipLeadClocks + kUpdateCycleClocks;
}

RtcCmos::CaughtUp RtcCmos::caught_up(u64 c) const {
  CaughtUp k{time_regs(), flags_, updates_done_};
  if (c <= synced_ || !divider_running()) return k;
  if (const u64 p = periodic_clocks(); p && (c - div_start_) / p > (synced_ - div_start_) / p) k.flags |= kPf;
  const u64 total = updates_until(c);
  if (ram_[kRegB] & kSet) k.updates_done = total;  // updates inhibited
  for (; k.updates_done < total; ++k.updates_done) {
    advance_one_second(k.time, ram_[kRegB]);
    k.flags |= kUf;
    if (alarm_matches(k.time)) k.flags |= kAf;
  }
  return k;
}

void RtcCmos::sync(u64 c) {
  if (c <= synced_) return;
  const CaughtUp k = caught_up(c);
  store_time_regs(k.time);
  flags_ = k.flags;
  updates_done_ = k.updates_done;
  synced_ = c;
}

// ---- interrupts and events ------------------------------------------------------------

u8 RtcCmos::reg_c_value() const {
  const bool irqf = flags_ & ram_[kRegB] & (kPf | kAf | kUf);
  return u8(flags_ | (irqf ? kIrqf : 0));
}

void RtcCmos::update_irq() {
  const bool level = reg_c_value() & kIrqf;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_->set_level(level);
}

void RtcCmos::cancel_event() {
  if (event_clock_ != Scheduler::kNever) scheduler_.cancel(event_id_);
  event_clock_ = Scheduler::kNever;
}

void RtcCmos::reschedule() {
  cancel_event();
  if (irq_level_ || !divider_running()) return;  // an asserted IRQ waits for a read of C
  const u64 c = synced_;
  const u8 b = ram_[kRegB];
  u64 next = Scheduler::kNever;
  if (const u64 p = periodic_clocks(); p && (b & kPie)) next = div_start_ + ((c - div_start_) / p + 1) * p;
  if ((b & (kUie | kAie)) && !(b & kSet)) next = std::min(next, next_update_end(c));
  if (next == Scheduler::kNever || next <= c) return;  // <= c: only a damaged snapshot's wrapped arithmetic
  const u64 tick = clock_.tick_of(next);
  if (tick == Scheduler::kNever) return;
  event_clock_ = next;
  event_id_ = scheduler_.schedule_at(tick, "RTC", [this] { on_event(); });
}

void RtcCmos::on_event() {
  event_clock_ = Scheduler::kNever;
  sync(clocks());
  update_irq();
  reschedule();
}

// ---- ports ------------------------------------------------------------------------------

u8 RtcCmos::read_register(u8 index) {
  switch (index) {
    case kRegA:
      return u8(ram_[kRegA] | (update_in_progress(synced_) ? kUip : 0));
    case kRegC: {
      const u8 v = reg_c_value();
      flags_ = 0;  // reading C clears every flag and IRQF
      update_irq();
      reschedule();
      return v;
    }
    case kRegD:
      return kVrt;
    default:
      return ram_[index];
  }
}

void RtcCmos::write_register(u8 index, u8 value) {
  switch (index) {
    case kRegA: {
      const bool was_running = divider_running();
      ram_[kRegA] = value & u8(~kUip);
      if (!was_running && divider_running()) {
        // Out of divider reset: the first update begins half a second later.
        div_start_ = synced_;
        updates_done_ = 0;
      }
      break;
    }
    case kRegB:
      if (value & kSet) value &= u8(~kUie);  // SET clears UIE
      ram_[kRegB] = value;
      break;
    case kRegC:
    case kRegD:
      return;  // read only
    default:
      ram_[index] = value;
      break;
  }
  update_irq();
  reschedule();
}

u8 RtcCmos::read_byte(u16 port) {
  if (port != config_.base + 1) return 0xff;  // the index register is write only
  sync(clocks());
  return read_register(index_);
}

void RtcCmos::write_byte(u16 port, u8 value) {
  if (port == config_.base) {
    index_ = value & 0x7f;
    nmi_mask_ = value & 0x80;
  } else if (port == config_.base + 1) {
    sync(clocks());
    write_register(index_, value);
  }
}

u32 RtcCmos::port_read(u16 port, unsigned size) {
  return read_byte_ports(port, size, [this](u16 p) { return read_byte(p); });
}

void RtcCmos::port_write(u16 port, unsigned size, u32 value) {
  write_byte_ports(port, size, value, [this](u16 p, u8 b) { write_byte(p, b); });
}

// ---- snapshot and debugger ---------------------------------------------------------------

void RtcCmos::serialize(Serializer& s) {
  s.raw(ram_.data(), ram_.size());
  s(index_);
  s.flag(nmi_mask_);
  s(flags_);
  s(div_start_);
  s(synced_);
  s(updates_done_);
  if (s.saving()) return;
  index_ &= 0x7f;
  flags_ &= kPf | kAf | kUf;
  ram_[kRegA] &= u8(~kUip);
  if (synced_ < div_start_) synced_ = div_start_;
  updates_done_ = std::min(updates_done_, updates_until(synced_));
  irq_level_ = reg_c_value() & kIrqf;
  if (irq_) irq_->set_level(irq_level_);
  reschedule();
}

RtcCmosView RtcCmos::view() const {
  RtcCmosView v;
  const u64 c = std::max(clocks(), synced_);
  const CaughtUp k = caught_up(c);
  v.time = k.time;
  v.reg_a = u8(ram_[kRegA] | (update_in_progress(c) ? kUip : 0));
  v.reg_b = ram_[kRegB];
  v.reg_c = u8(k.flags | ((k.flags & ram_[kRegB] & (kPf | kAf | kUf)) ? kIrqf : 0));
  v.reg_d = kVrt;
  v.index = index_;
  v.nmi_masked = nmi_mask_;
  v.irq_line = irq_level_;
  v.divider_running = divider_running();
  v.civil = read_time(v.time, v.reg_b, ram_[kCenturyByte]);
  if (divider_running() && !(ram_[kRegB] & kSet)) v.next_update_tick = clock_.tick_of(next_update_end(c));
  v.next_event_tick = event_clock_ == Scheduler::kNever ? Scheduler::kNever : clock_.tick_of(event_clock_);
  return v;
}

}  // namespace vtlab

#include "devices/pit8254/pit8254.h"

#include "core/base/byte_ports.h"

namespace vtlab {

Pit8254::Pit8254(Scheduler& scheduler, IrqLine* irq0, Pit8254Config config)
    : scheduler_(scheduler), irq_(irq0), config_(config), clock_(scheduler, kClockHz) {
  reset();
}

Pit8254::~Pit8254() { cancel_event(); }

void Pit8254::attach(PortBus& bus) { bus.attach(config_.base, 4, this, "8254 PIT"); }

u32 Pit8254::port_read(u16 port, unsigned size) {
  u32 v = read_byte_ports(port, size, [this](u16 p) { return read_byte(p); });
  return v;
}

void Pit8254::port_write(u16 port, unsigned size, u32 value) {
  write_byte_ports(port, size, value, [this](u16 p, u8 b) { write_byte(p, b); });
  update_out0();
}

u8 Pit8254::read_byte(u16 port) {
  const unsigned offset = u16(port - config_.base);
  if (offset >= 3) return 0xff;  // the control word register is write-only
  return counters_[offset].read(clocks());
}

void Pit8254::write_byte(u16 port, u8 value) {
  const unsigned offset = u16(port - config_.base);
  if (offset > 3) return;
  if (offset == 3)
    write_control(value);
  else
    counters_[offset].write(value, clocks());
}

void Pit8254::write_control(u8 value) {
  const u64 c = clocks();
  const unsigned select = value >> 6;
  if (select == 3) {  // read-back command
    for (unsigned i = 0; i < 3; ++i) {
      if (!(value & (2u << i))) continue;
      if (!(value & 0x20)) counters_[i].latch_count(c);
      if (!(value & 0x10)) counters_[i].latch_status(c);
    }
    return;
  }
  if ((value & 0x30) == 0)
    counters_[select].latch_count(c);
  else
    counters_[select].write_control(value, c);
}

void Pit8254::set_gate(unsigned counter, bool level) {
  counters_[counter % 3].set_gate(level, clocks());
  if (counter % 3 == 0) update_out0();
}

void Pit8254::drive_irq(bool level) {
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_->set_level(level);
}

void Pit8254::cancel_event() {
  if (event_clock_ != PitCounter::kNever) scheduler_.cancel(event_id_);
  event_clock_ = PitCounter::kNever;
}

void Pit8254::update_out0() {
  const u64 c = clocks();
  drive_irq(counters_[0].out(c));
  const u64 next = counters_[0].next_out_change(c);
  if (next == event_clock_) return;
  cancel_event();
  if (next == PitCounter::kNever || next <= c) return;  // <= c: only a damaged snapshot's wrapped arithmetic
  const u64 tick = clock_.tick_of(next);
  if (tick == Scheduler::kNever) return;
  event_clock_ = next;
  event_id_ = scheduler_.schedule_at(tick, "PIT OUT0", [this] { on_out0_event(); });
}

void Pit8254::on_out0_event() {
  const u64 due = event_clock_;
  event_clock_ = PitCounter::kNever;
  // The level at the edge the event was for, then the level now: if the
  // clock outran the tick rate, a short pulse still reaches the PIC.
  drive_irq(counters_[0].out(due));
  update_out0();
}

void Pit8254::reset() {
  cancel_event();
  for (PitCounter& counter : counters_) counter.reset();
  counters_[2].set_gate(false, clocks());
  drive_irq(false);
  update_out0();
}

void Pit8254::serialize(Serializer& s) {
  for (PitCounter& counter : counters_) counter.serialize(s);
  if (s.saving()) return;
  cancel_event();
  irq_level_ = counters_[0].out(clocks());
  if (irq_) irq_->set_level(irq_level_);
  update_out0();
}

Pit8254View Pit8254::view() const {
  Pit8254View v;
  const u64 c = clocks();
  for (unsigned i = 0; i < 3; ++i) v.counters[i] = counters_[i].view(c);
  v.clocks = c;
  v.irq_line = irq_level_;
  v.next_event_tick = event_clock_ == PitCounter::kNever ? Scheduler::kNever : clock_.tick_of(event_clock_);
  return v;
}

}  // namespace vtlab

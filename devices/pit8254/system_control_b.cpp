#include "devices/pit8254/system_control_b.h"

#include "core/base/byte_ports.h"

namespace vtlab {

u8 SystemControlB::value() const {
  u8 v = control_;
  if (pit_.out(2)) v |= 0x20;
  if ((pit_.clocks() / kRefreshClocks) & 1) v |= 0x10;
  return v;
}

void SystemControlB::write(u8 value) {
  control_ = value & kWritable;
  pit_.set_gate(2, control_ & 0x01);
}

u32 SystemControlB::port_read(u16 port, unsigned size) {
  return read_byte_ports(port, size, [this](u16 p) { return p == port_ ? value() : u8(0xff); });
}

void SystemControlB::port_write(u16 port, unsigned size, u32 value) {
  write_byte_ports(port, size, value, [this](u16 p, u8 b) {
    if (p == port_) write(b);
  });
}

void SystemControlB::reset() { write(0); }

void SystemControlB::serialize(Serializer& s) {
  s(control_);
  if (!s.saving()) control_ &= kWritable;  // the PIT's gate is part of the PIT's own state
}

SystemControlBView SystemControlB::view() const {
  SystemControlBView v;
  v.value = value();
  v.gate2 = control_ & 0x01;
  v.speaker_data = control_ & 0x02;
  v.out2 = pit_.out(2);
  const PitCounterView c2 = pit_.view().counters[2];
  v.speaker_on = v.speaker_data && v.gate2 && c2.mode == 3 && c2.counting;
  v.speaker_hz = v.speaker_on ? u32(Pit8254::kClockHz / c2.initial_count) : 0;
  return v;
}

}  // namespace vtlab

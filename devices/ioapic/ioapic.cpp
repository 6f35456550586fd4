#include "devices/ioapic/ioapic.h"

#include <string>

#include "core/base/error.h"

namespace vtlab {

IoApic::IoApic(ApicBus& bus, u8 id) : bus_(bus), reset_id_(id) {
  for (unsigned i = 0; i < kPins; ++i) {
    inputs_[i].ioapic = this;
    inputs_[i].pin = i;
  }
  bus_.add_eoi_listener(*this);
  reset();
}

IrqLine& IoApic::input(unsigned pin) {
  if (pin >= kPins) throw Error("IOAPIC: input " + std::to_string(pin) + " does not exist (0-23)");
  return inputs_[pin];
}

void IoApic::reset() {
  id_ = reset_id_ & 0xf;
  index_ = 0;
  entries_.fill(kMasked);
  messages_ = 0;
}

void IoApic::set_input(unsigned pin, bool high) {
  const bool was = (levels_ >> pin) & 1;
  levels_ = high ? levels_ | (1u << pin) : levels_ & ~(1u << pin);
  const u64 e = entries_[pin];
  if (e & kMasked) return;
  if (e & kLevel)
    service(pin);
  else if (high && !was)
    send(pin);  // a rising edge
}

void IoApic::service(unsigned pin) {
  const u64 e = entries_[pin];
  if ((e & kMasked) || !(e & kLevel) || (e & kRemoteIrr) || !((levels_ >> pin) & 1)) return;
  send(pin);
}

void IoApic::send(unsigned pin) {
  const u64 e = entries_[pin];
  ApicMessage m;
  m.vector = u8(e & kVector);
  m.mode = DeliveryMode((e >> kDeliveryModeShift) & 7);
  m.logical = e & kLogical;
  m.level = e & kLevel;
  m.destination = u32(e >> 56);
  ++messages_;
  const unsigned accepted = bus_.deliver(m);
  // Remote IRR: a local APIC accepted the level-triggered interrupt and
  // owes an EOI (§ "Remote IRR" of the datasheet).
  if ((e & kLevel) && accepted && (m.mode == DeliveryMode::Fixed || m.mode == DeliveryMode::LowestPriority))
    entries_[pin] |= kRemoteIrr;
}

void IoApic::eoi(u8 vector) {
  for (unsigned pin = 0; pin < kPins; ++pin) {
    if ((entries_[pin] & kRemoteIrr) && (entries_[pin] & kVector) == vector) {
      entries_[pin] &= ~kRemoteIrr;
      service(pin);
    }
  }
}

u32 IoApic::read_register(u8 index) const {
  switch (index) {
    case 0x00:
      return u32(id_) << 24;
    case 0x01:
      return kVersion;
    case 0x02:
      return u32(id_) << 24;
    default:
      break;
  }
  if (index >= 0x10 && index < 0x10 + 2 * kPins) {
    const u64 e = entries_[(index - 0x10) / 2];
    return (index & 1) ? u32(e >> 32) : u32(e);
  }
  return 0;
}

void IoApic::write_register(u8 index, u32 value) {
  if (index == 0x00) {
    id_ = (value >> 24) & 0xf;
    return;
  }
  if (index < 0x10 || index >= 0x10 + 2 * kPins) return;  // read only or absent
  const unsigned pin = (index - 0x10) / 2;
  u64& e = entries_[pin];
  const u64 old = e;
  const u64 written = (index & 1) ? (u64(value) << 32) | (e & 0xffffffff) : (e & ~u64(0xffffffff)) | value;
  e = (written & kWritable) | (old & kRemoteIrr);
  // An edge-triggered entry has no remote IRR.
  if (!(e & kLevel)) e &= ~kRemoteIrr;
  service(pin);  // e.g. unmasking an asserted level input
}

u64 IoApic::mmio_read(u64 offset, unsigned size) {
  u32 v = 0;
  if (offset == kRegSel)
    v = index_;
  else if (offset >= kWindow && offset < kWindow + 4)
    v = read_register(index_) >> (8 * (offset - kWindow));
  return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void IoApic::mmio_write(u64 offset, unsigned size, u64 value) {
  if (offset == kRegSel)
    index_ = u8(value);
  else if (offset == kWindow && size == 4)
    write_register(index_, u32(value));
}

void IoApic::serialize(Serializer& s) {
  s(id_);
  s(index_);
  s(entries_);
  s(levels_);
  s(messages_);
  if (s.saving()) return;
  id_ &= 0xf;
  for (u64& e : entries_) e &= kWritable | kRemoteIrr;
}

IoApicView IoApic::view() const {
  IoApicView v;
  v.id = id_;
  v.index = index_;
  v.redirection = entries_;
  v.input_levels = levels_;
  v.messages = messages_;
  return v;
}

}  // namespace vtlab

#include "devices/pic8259/dual_pic.h"

#include <string>

#include "core/base/byte_ports.h"
#include "core/base/error.h"

namespace vtlab {

namespace {
constexpr unsigned kCascadePin = 2;
}

DualPic::DualPic(DualPicConfig config) : config_(config) {
  for (unsigned i = 0; i < inputs_.size(); ++i) {
    inputs_[i].pic = this;
    inputs_[i].irq = i;
  }
}

void DualPic::attach(PortBus& bus) {
  bus.attach(config_.master_base, 2, this, "8259 master");
  bus.attach(config_.slave_base, 2, this, "8259 slave");
  bus.attach(config_.elcr_base, 2, this, "ELCR");
}

IrqLine& DualPic::input(unsigned irq) {
  if (irq >= inputs_.size() || irq == kCascadePin)
    throw Error("8259 pair: IRQ " + std::to_string(irq) + " is not an input line");
  return inputs_[irq];
}

void DualPic::set_intr_output(IrqLine* line) {
  intr_out_ = line;
  if (intr_out_) intr_out_->set_level(intr_level_);
}

void DualPic::set_irq(unsigned irq, bool level) {
  if (irq < 8)
    master_.set_input(irq, level);
  else
    slave_.set_input(irq - 8, level);
  propagate();
}

void DualPic::propagate() {
  master_.set_input(kCascadePin, slave_.intr());
  const bool intr = master_.intr();
  if (intr == intr_level_) return;
  intr_level_ = intr;
  if (intr_out_) intr_out_->set_level(intr);
}

u8 DualPic::acknowledge() {
  ++acknowledged_;
  const Pic8259::Ack m = master_.acknowledge();
  u8 vector;
  if (m.spurious) {
    ++spurious_;
    vector = master_.vector_for(m.level);
  } else if (!master_.is_cascade_input(m.level)) {
    vector = master_.vector_for(m.level);
  } else if (m.level == kCascadePin && slave_.responds_to_cascade(m.level)) {
    const Pic8259::Ack s = slave_.acknowledge();
    if (s.spurious) ++spurious_;
    vector = slave_.vector_for(s.level);
  } else {
    vector = 0xff;  // no slave answers this cascade address: the bus floats
  }
  propagate();
  return vector;
}

u8 DualPic::read_byte(u16 port) {
  if ((port & ~1u) == config_.master_base) return master_.read(port & 1);
  if ((port & ~1u) == config_.slave_base) return slave_.read(port & 1);
  if ((port & ~1u) == config_.elcr_base) return elcr_[port & 1];
  return 0xff;
}

void DualPic::write_byte(u16 port, u8 value) {
  if ((port & ~1u) == config_.master_base)
    master_.write(port & 1, value);
  else if ((port & ~1u) == config_.slave_base)
    slave_.write(port & 1, value);
  else if ((port & ~1u) == config_.elcr_base)
    write_elcr(port & 1, value);
  propagate();
}

void DualPic::write_elcr(unsigned index, u8 value) {
  elcr_[index] = value & kElcrWritable[index];
  (index == 0 ? master_ : slave_).set_elcr(elcr_[index]);
}

u32 DualPic::port_read(u16 port, unsigned size) {
  u32 v = read_byte_ports(port, size, [this](u16 p) { return read_byte(p); });
  propagate();  // a poll read acknowledges
  return v;
}

void DualPic::port_write(u16 port, unsigned size, u32 value) {
  write_byte_ports(port, size, value, [this](u16 p, u8 b) { write_byte(p, b); });
}

void DualPic::reset() {
  master_.reset();
  slave_.reset();
  write_elcr(0, 0);
  write_elcr(1, 0);
  acknowledged_ = spurious_ = 0;
  propagate();
}

void DualPic::serialize(Serializer& s) {
  master_.serialize(s);
  slave_.serialize(s);
  s(elcr_[0]);
  s(elcr_[1]);
  s(acknowledged_);
  s(spurious_);
  if (s.saving()) return;
  write_elcr(0, elcr_[0]);
  write_elcr(1, elcr_[1]);
  // The master's cascade pin and the output follow the restored chips.
  master_.set_input(kCascadePin, slave_.intr());
  intr_level_ = master_.intr();
  if (intr_out_) intr_out_->set_level(intr_level_);
}

DualPicView DualPic::view() const {
  DualPicView v;
  v.master = master_.view();
  v.slave = slave_.view();
  v.elcr[0] = elcr_[0];
  v.elcr[1] = elcr_[1];
  v.intr = master_.intr();
  v.acknowledged = acknowledged_;
  v.spurious = spurious_;
  return v;
}

}  // namespace vtlab

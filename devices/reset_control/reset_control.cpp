#include "devices/reset_control/reset_control.h"

#include "core/base/byte_ports.h"

namespace vtlab {

void ResetControl::attach(PortBus& bus) {
  bus.attach(config_.port92, 1, this, "port 92h (system control A)");
  bus.attach(config_.reset_control, 1, this, "reset control (0xcf9)");
}

u8 ResetControl::read_byte(u16 port) const {
  if (port == config_.port92) return port92_;
  if (port == config_.reset_control) return rst_cnt_;
  return 0xff;
}

void ResetControl::write_byte(u16 port, u8 value) {
  if (port == config_.port92) {
    const bool rising = (value & kFastReset) && !(port92_ & kFastReset);
    port92_ = value;
    if (rising) request("port 0x92 (fast reset)");
  } else if (port == config_.reset_control) {
    const bool rising = (value & kRstCpu) && !(rst_cnt_ & kRstCpu);
    rst_cnt_ = value & kRstCntMask;
    if (rising) request("the reset control register (port 0xcf9)");
  }
}

void ResetControl::request(const char* what) {
  ++resets_;
  if (on_reset) on_reset(what);
}

u32 ResetControl::port_read(u16 port, unsigned size) {
  return read_byte_ports(port, size, [this](u16 p) { return read_byte(p); });
}

void ResetControl::port_write(u16 port, unsigned size, u32 value) {
  write_byte_ports(port, size, value, [this](u16 p, u8 b) { write_byte(p, b); });
}

void ResetControl::reset() {
  port92_ = kA20;
  rst_cnt_ = 0;
}

void ResetControl::serialize(Serializer& s) {
  s(port92_);
  s(rst_cnt_);
  s(resets_);
  if (!s.saving()) rst_cnt_ &= kRstCntMask;
}

ResetControlView ResetControl::view() const { return {port92_, rst_cnt_, bool(port92_ & kA20), resets_}; }

}  // namespace vtlab

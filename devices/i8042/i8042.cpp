#include "devices/i8042/i8042.h"

#include "core/base/byte_ports.h"

namespace vtlab {

namespace {
constexpr u8 kReadRamFirst = 0x20, kReadRamLast = 0x3f, kWriteRamFirst = 0x60, kWriteRamLast = 0x7f;
constexpr u8 kDisableAux = 0xa7, kEnableAux = 0xa8, kTestAux = 0xa9, kSelfTest = 0xaa, kTestKbd = 0xab,
             kDisableKbd = 0xad, kEnableKbd = 0xae, kReadInputPort = 0xc0, kReadOutputPort = 0xd0,
             kWriteOutputPort = 0xd1, kWriteKbdBuffer = 0xd2, kWriteAuxBuffer = 0xd3, kWriteAux = 0xd4, kA20Off = 0xdd,
             kA20On = 0xdf, kReadTestInputs = 0xe0, kPulseFirst = 0xf0;
constexpr u8 kPortTestOk = 0x00;
constexpr u8 kInputPort = 0x80;  // keyboard not locked
constexpr u8 kOutputPortReset = 0x01, kOutputPortA20 = 0x02, kOutputPortIdle = kOutputPortReset | kOutputPortA20;
}  // namespace

I8042::I8042(IrqLine* irq1, IrqLine* irq12, I8042Config config) : irq1_(irq1), irq12_(irq12), config_(config) {
  reset();
}

void I8042::attach(PortBus& bus) {
  bus.attach(config_.data_port, 1, this, "i8042 data");
  bus.attach(config_.command_port, 1, this, "i8042 command/status");
}

void I8042::reset() {
  for (u8& b : ram_) b = 0;
  ram_[0] = kPowerOnCommandByte;
  output_ = 0;
  obf_ = aux_data_ = command_last_ = false;
  output_port_ = kOutputPortIdle;
  pending_ = 0;
  reply_ = 0;
  has_reply_ = reply_aux_ = false;
  keyboard_queue_.clear();
  mouse_queue_.clear();
  keyboard_.reset();
  keyboard_.set_translated(ram_[0] & kTranslate);
  mouse_.reset();
  update_irqs();
}

u8 I8042::status() const {
  return u8((obf_ ? kObf : 0) | (ram_[0] & kSys) | (command_last_ ? kCommandLast : 0) | kNotInhibited |
            (obf_ && aux_data_ ? kAuxData : 0));
}

u32 I8042::port_read(u16 port, unsigned size) {
  return read_byte_ports(port, size, [this](u16 p) {
    if (p == config_.data_port) return read_data();
    if (p == config_.command_port) return status();
    return u8(0xff);
  });
}

void I8042::port_write(u16 port, unsigned size, u32 value) {
  write_byte_ports(port, size, value, [this](u16 p, u8 b) {
    if (p == config_.data_port) {
      command_last_ = false;
      write_data(b);
    } else if (p == config_.command_port) {
      command_last_ = true;
      write_command(b);
    }
  });
}

u8 I8042::read_data() {
  const u8 v = output_;  // an empty buffer reads as its last byte
  obf_ = false;
  // The line drops before the next byte raises it again: one edge per byte
  // for an edge-triggered PIC, as the serial transfer's gap gives on a PC.
  update_irqs();
  refill();
  return v;
}

void I8042::reply(u8 byte, bool aux) {
  reply_ = byte;
  reply_aux_ = aux;
  has_reply_ = true;
  refill();
}

void I8042::refill() {
  if (!obf_) {
    if (has_reply_) {
      output_ = reply_;
      aux_data_ = reply_aux_;
      has_reply_ = false;
      obf_ = true;
    } else if (!(ram_[0] & kKbdDisabled) && !keyboard_queue_.empty()) {
      output_ = keyboard_queue_.pop();
      aux_data_ = false;
      obf_ = true;
    } else if (!(ram_[0] & kAuxDisabled) && !mouse_queue_.empty()) {
      output_ = mouse_queue_.pop();
      aux_data_ = true;
      obf_ = true;
    }
  }
  update_irqs();
}

void I8042::update_irqs() {
  const bool kbd = obf_ && !aux_data_ && (ram_[0] & kKbdInt);
  const bool aux = obf_ && aux_data_ && (ram_[0] & kAuxInt);
  if (kbd != irq1_level_) {
    irq1_level_ = kbd;
    if (irq1_) irq1_->set_level(kbd);
  }
  if (aux != irq12_level_) {
    irq12_level_ = aux;
    if (irq12_) irq12_->set_level(aux);
  }
}

void I8042::request_reset(const char* what) {
  ++resets_;
  if (on_reset) on_reset(what);
}

void I8042::write_data(u8 value) {
  const u8 command = pending_;
  pending_ = 0;
  if (command >= kWriteRamFirst && command <= kWriteRamLast) {
    ram_[command & 0x1f] = value;
    keyboard_.set_translated(ram_[0] & kTranslate);
    refill();  // an enabled port may release its bytes; the interrupt bits changed
    return;
  }
  switch (command) {
    case kWriteOutputPort:
      write_output_port(value);
      break;
    case kWriteKbdBuffer:
      reply(value, false);
      break;
    case kWriteAuxBuffer:
      reply(value, true);
      break;
    case kWriteAux:
      mouse_.receive(value, mouse_queue_);
      refill();
      break;
    default:
      keyboard_.receive(value, keyboard_queue_);
      refill();
      break;
  }
}

void I8042::write_output_port(u8 value) {
  output_port_ = value;
  if (!(value & kOutputPortReset)) request_reset("the i8042 output port (reset line low)");
}

void I8042::write_command(u8 command) {
  pending_ = 0;
  if (command >= kReadRamFirst && command <= kReadRamLast) return reply(ram_[command & 0x1f]);
  if ((command >= kWriteRamFirst && command <= kWriteRamLast) || command == kWriteOutputPort ||
      command == kWriteKbdBuffer || command == kWriteAuxBuffer || command == kWriteAux) {
    pending_ = command;
    return;
  }
  if (command >= kPulseFirst) {
    // Output port bits whose command bit is 0 are pulsed low; bit 0 is the
    // CPU reset line.
    if (!(command & kOutputPortReset)) request_reset("the i8042 reset command (0xfe)");
    return;
  }
  switch (command) {
    case kDisableAux:
      ram_[0] |= kAuxDisabled;
      break;
    case kEnableAux:
      ram_[0] &= u8(~kAuxDisabled);
      break;
    case kTestAux:
    case kTestKbd:
    case kReadTestInputs:
      reply(kPortTestOk);
      return;
    case kSelfTest:
      reply(kSelfTestOk);
      return;
    case kDisableKbd:
      ram_[0] |= kKbdDisabled;
      break;
    case kEnableKbd:
      ram_[0] &= u8(~kKbdDisabled);
      break;
    case kReadInputPort:
      reply(kInputPort);
      return;
    case kReadOutputPort:
      reply(u8((output_port_ & 0x0f) | (obf_ && !aux_data_ ? 0x10 : 0) | (obf_ && aux_data_ ? 0x20 : 0) | 0xc0));
      return;
    case kA20Off:
      output_port_ &= u8(~kOutputPortA20);
      return;
    case kA20On:
      output_port_ |= kOutputPortA20;
      return;
    default:
      return;  // not a command of this controller: ignored
  }
  refill();
}

void I8042::serialize(Serializer& s) {
  s.raw(ram_, sizeof ram_);
  s(output_);
  s.flag(obf_);
  s.flag(aux_data_);
  s.flag(command_last_);
  s(output_port_);
  s(pending_);
  s(reply_);
  s.flag(has_reply_);
  s.flag(reply_aux_);
  keyboard_queue_.serialize(s);
  mouse_queue_.serialize(s);
  keyboard_.serialize(s);
  mouse_.serialize(s);
  s(resets_);
  if (s.saving()) return;
  irq1_level_ = !(obf_ && !aux_data_ && (ram_[0] & kKbdInt));
  irq12_level_ = !(obf_ && aux_data_ && (ram_[0] & kAuxInt));
  update_irqs();  // drives both lines to the restored levels
}

I8042View I8042::view() const {
  I8042View v;
  v.status = status();
  v.command_byte = ram_[0];
  v.output_buffer = output_;
  v.output_port = output_port_;
  v.pending_command = pending_;
  v.irq1 = irq1_level_;
  v.irq12 = irq12_level_;
  v.reply_waiting = has_reply_;
  v.keyboard_queue = keyboard_queue_.size();
  v.mouse_queue = mouse_queue_.size();
  v.resets_requested = resets_;
  v.keyboard = keyboard_.view();
  v.mouse = mouse_.view();
  return v;
}

}  // namespace vtlab

// The 8042 keyboard controller of a PC (data port 0x60, command/status port
// 0x64) with a PS/2 keyboard on its first port (IRQ 1) and a PS/2 mouse on
// the auxiliary port (IRQ 12). Enough for an OS to probe the controller and
// both devices, and to reset the machine through it.
//
// Status (0x64 read): bit 0 OBF, 1 IBF (always 0: every byte is taken at
// once), 2 system flag (command byte bit 2), 3 last write was a command, 4
// keyboard not inhibited (1), 5 the output buffer holds mouse data, 6
// timeout and 7 parity error (never set).
//
// Command byte (RAM byte 0): bit 0 keyboard interrupt, 1 mouse interrupt,
// 2 system flag, 4 keyboard disabled, 5 mouse disabled, 6 translation.
// Power-on value 0x65: what a PC BIOS hands over (keyboard interrupt on,
// mouse port disabled, translation on).
//
// Commands (0x64 write):
//   20-3F read RAM byte n (20: the command byte)   60-7F write RAM byte n
//   A7/A8 disable/enable the mouse port            A9 mouse port test -> 00
//   AA self test -> 55                             AB keyboard port test -> 00
//   AD/AE disable/enable the keyboard port         C0 read input port -> 80
//   D0 read output port      D1 write output port (bit 0 = 0 resets the
//   machine; bit 1 A20, stored only: the address bus has no A20 gate)
//   D2/D3 write the keyboard/mouse output buffer (loopback)
//   D4 send the next data byte to the mouse        DD/DF A20 off/on
//   E0 read test inputs -> 00
//   F0-FF pulse output port bits whose command bit is 0: bit 0 is the reset
//   line, so FE (and any even Fx) resets the machine
//   anything else is ignored.
// A data byte (0x60 write) goes to the keyboard unless a command waits for
// it. Replies from the controller come before device bytes; a device byte
// reaches the output buffer only while its port is enabled. Bytes move
// into the output buffer as soon as it is empty (no serial-line delay), and
// IRQ 1 / IRQ 12 are high while it holds keyboard / mouse data and the
// command byte enables that interrupt.
#pragma once
#include <functional>

#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"
#include "devices/i8042/ps2_keyboard.h"
#include "devices/i8042/ps2_mouse.h"

namespace vtlab {

struct I8042Config {
  u16 data_port = 0x60;
  u16 command_port = 0x64;
};

struct I8042View {
  u8 status = 0;
  u8 command_byte = 0;
  u8 output_buffer = 0;  // the last byte placed there
  u8 output_port = 0;
  u8 pending_command = 0;  // a command waiting for its data byte (0: none)
  bool irq1 = false, irq12 = false;
  bool reply_waiting = false;  // a controller reply not yet in the output buffer
  unsigned keyboard_queue = 0, mouse_queue = 0;
  u64 resets_requested = 0;
  Ps2KeyboardView keyboard;
  Ps2MouseView mouse;
};

class I8042 final : public PortDevice {
 public:
  static constexpr u8 kPowerOnCommandByte = 0x65;
  static constexpr u8 kSelfTestOk = 0x55;
  // Status bits.
  static constexpr u8 kObf = 0x01, kSystemFlag = 0x04, kCommandLast = 0x08, kNotInhibited = 0x10, kAuxData = 0x20;
  // Command byte bits.
  static constexpr u8 kKbdInt = 0x01, kAuxInt = 0x02, kSys = 0x04, kKbdDisabled = 0x10, kAuxDisabled = 0x20,
                      kTranslate = 0x40;

  // irq1 and irq12 may be null.
  I8042(IrqLine* irq1, IrqLine* irq12, I8042Config config = {});

  void attach(PortBus& bus);
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // Called when the guest pulses the reset line (command 0xfe, or the
  // output port written with bit 0 clear); `what` names the way.
  std::function<void(const char* what)> on_reset;

  void reset();
  void serialize(Serializer& s);
  I8042View view() const;

 private:
  u8 read_data();
  u8 status() const;
  void write_data(u8 value);
  void write_command(u8 command);
  void write_output_port(u8 value);
  void request_reset(const char* what);
  void reply(u8 byte, bool aux = false);
  // Moves the next waiting byte into an empty output buffer, then drives
  // the IRQ lines.
  void refill();
  void update_irqs();

  IrqLine* irq1_;
  IrqLine* irq12_;
  I8042Config config_;
  u8 ram_[32] = {};  // ram_[0] is the command byte
  u8 output_ = 0;
  bool obf_ = false, aux_data_ = false;
  bool command_last_ = false;
  u8 output_port_ = 0x03;  // reset line high (inactive), A20 on
  u8 pending_ = 0;
  // A controller reply (one at a time; a newer one replaces it) and whether
  // it counts as mouse data (command D3).
  u8 reply_ = 0;
  bool has_reply_ = false, reply_aux_ = false;
  Ps2Queue keyboard_queue_, mouse_queue_;
  Ps2Keyboard keyboard_;
  Ps2Mouse mouse_;
  bool irq1_level_ = false, irq12_level_ = false;
  u64 resets_ = 0;
};

}  // namespace vtlab

// A PS/2 (MF2) keyboard as seen through its command set, without keys: it
// acknowledges and answers the host commands an OS sends while probing and
// configuring it. Key input is not connected (the serial console is
// vtlab's input); a key source would push scan codes into the same queue.
//
//   FF reset -> FA AA        F2 identify -> FA AB 83 (AB 41 through the
//   FE resend the last byte     controller's translation, as Linux expects)
//   F6 defaults, F5 disable, F4 enable scanning -> FA
//   F3 typematic, ED LEDs -> FA, then the parameter byte -> FA
//   F0 scan code set -> FA, parameter 1-3 -> FA; 0 -> FA and the current set
//   EE echo -> EE            anything else -> FE
#pragma once
#include "devices/i8042/ps2_device.h"

namespace vtlab {

struct Ps2KeyboardView {
  bool scanning = true;
  u8 scancode_set = 2;
  u8 leds = 0;
  u8 typematic = 0x2b;
  u8 pending_command = 0;  // a command waiting for its parameter byte
};

class Ps2Keyboard final : public Ps2Device {
 public:
  static constexpr u8 kIdFirst = 0xab, kIdSecond = 0x83, kIdSecondTranslated = 0x41;

  void receive(u8 byte, Ps2Queue& out) override;
  void reset() override;
  void serialize(Serializer& s) override;
  Ps2KeyboardView view() const;
  // The controller translates set-2 codes to set 1 (its command byte bit 6).
  void set_translated(bool on) { translated_ = on; }

 private:
  void reply(Ps2Queue& out, u8 b) {
    out.push(b);
    last_sent_ = b;
  }
  void parameter(u8 byte, Ps2Queue& out);

  bool translated_ = true;
  bool scanning_ = true;
  u8 set_ = 2;
  u8 leds_ = 0;
  u8 typematic_ = 0x2b;  // 10.9 characters/s, 500 ms delay: the default
  u8 pending_ = 0;
  u8 last_sent_ = kPs2Ack;
};

}  // namespace vtlab

// A standard PS/2 mouse (device ID 0, three-byte packets) as seen through
// its command set; it never moves and no button is pressed. Enough for an
// OS to find a mouse on the auxiliary port and configure it.
//
//   FF reset -> FA AA 00      F2 get ID -> FA 00        FE resend
//   F6 defaults, F5 disable, F4 enable reporting, F0 remote mode,
//   EA stream mode, E7 / E6 scaling 2:1 / 1:1, EC reset wrap mode -> FA
//   F3 sample rate, E8 resolution -> FA, then the parameter -> FA
//   E9 status -> FA, status, resolution, sample rate
//   EB read data -> FA 08 00 00 (no motion)
//   EE wrap mode -> FA; in wrap mode every byte but EC and FF is echoed
//   anything else -> FE
#pragma once
#include "devices/i8042/ps2_device.h"

namespace vtlab {

struct Ps2MouseView {
  bool reporting = false, remote = false, wrap = false, scaling_2to1 = false;
  u8 resolution = 2, sample_rate = 100;
  u8 pending_command = 0;
};

class Ps2Mouse final : public Ps2Device {
 public:
  static constexpr u8 kDeviceId = 0x00;

  void receive(u8 byte, Ps2Queue& out) override;
  void reset() override { *this = Ps2Mouse(); }
  void serialize(Serializer& s) override;
  Ps2MouseView view() const;

 private:
  void reply(Ps2Queue& out, u8 b) {
    out.push(b);
    last_sent_ = b;
  }
  void set_defaults();

  bool reporting_ = false, remote_ = false, wrap_ = false, scaling_ = false;
  u8 resolution_ = 2, rate_ = 100;
  u8 pending_ = 0;
  u8 last_sent_ = kPs2Ack;
};

}  // namespace vtlab

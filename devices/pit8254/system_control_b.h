// Port 0x61, "NMI status and control" on Intel's PIIX4 and ICH9 (System
// Control Port B on the PC/AT): the PIT counter 2 gate and the speaker.
//
//   bit 7  SERR# NMI source status (read only; no source in vtlab: 0)
//   bit 6  IOCHK# NMI source status (read only; 0)
//   bit 5  PIT counter 2 OUT (read only)
//   bit 4  refresh cycle toggle (read only): flips every 18 PIT clocks
//          (15.09 us), the period of the PC/AT's refresh counter 1
//   bit 3  IOCHK# NMI disable (read/write)
//   bit 2  SERR# NMI disable (read/write)
//   bit 1  speaker data enable (read/write): the speaker sounds OUT2 AND this
//   bit 0  PIT counter 2 GATE (read/write)
//
// Reset value 0. The speaker has no host output; the debugger view says
// whether it would sound and at what frequency (mode 3 on counter 2).
#pragma once
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"
#include "devices/pit8254/pit8254.h"

namespace vtlab {

struct SystemControlBView {
  u8 value = 0;  // what a read of the port returns now
  bool gate2 = false, speaker_data = false, out2 = false;
  bool speaker_on = false;  // OUT2 is a square wave reaching the speaker
  u32 speaker_hz = 0;       // its frequency (0 if off)
};

class SystemControlB final : public PortDevice {
 public:
  static constexpr u16 kDefaultPort = 0x61;
  static constexpr u8 kWritable = 0x0f;
  static constexpr u64 kRefreshClocks = 18;

  explicit SystemControlB(Pit8254& pit, u16 port = kDefaultPort) : pit_(pit), port_(port) {}

  void attach(PortBus& bus) { bus.attach(port_, 1, this, "port 61h (NMI status and control)"); }
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  void reset();
  void serialize(Serializer& s);
  SystemControlBView view() const;

 private:
  u8 value() const;
  void write(u8 value);

  Pit8254& pit_;
  u16 port_;
  u8 control_ = 0;  // bits 3:0
};

}  // namespace vtlab

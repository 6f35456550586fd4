// The PC/AT's x87 error logic: the processor's FERR# output sets a latch
// that drives ISA IRQ 13, and a write of any value to port 0xf0 clears the
// latch and asserts IGNNE# while FERR# stays active (IGNNE# drops with
// FERR#, as the PIIX/ICH chipsets' "coprocessor error" logic does). This is
// how x87 errors are reported when CR0.NE = 0 (SDM Vol. 1 §8.7 and Appendix
// D). The CPU drives FERR# through Machine's X87ErrorPins adapter
// (cpu/x87/error_pins.h).
#pragma once
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"

namespace vtlab {

struct FpuErrorView {
  bool latched = false;  // IRQ 13 asserted
  bool ignne = false;    // IGNNE# asserted (port 0xf0 written while FERR# is active)
  bool ferr = false;     // the processor's FERR# input
  u64 errors = 0;
};

class FpuError final : public PortDevice {
 public:
  static constexpr u16 kDefaultPort = 0xf0;

  explicit FpuError(IrqLine* irq13, u16 port = kDefaultPort) : irq_(irq13), port_(port) {}

  void attach(PortBus& bus) { bus.attach(port_, 1, this, "x87 error latch (port 0xf0)"); }
  u32 port_read(u16, unsigned size) override { return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1; }
  void port_write(u16 port, unsigned size, u32 value) override;

  // FERR# from the processor: asserting it sets the latch and raises IRQ
  // 13; releasing it drops IGNNE#.
  void set_ferr(bool asserted);
  bool ignne() const { return ignne_; }

  void reset();
  void serialize(Serializer& s);
  FpuErrorView view() const { return {latched_, ignne_, ferr_, errors_}; }

 private:
  void drive();

  IrqLine* irq_;
  u16 port_;
  bool latched_ = false, ignne_ = false, ferr_ = false;
  u64 errors_ = 0;
};

}  // namespace vtlab

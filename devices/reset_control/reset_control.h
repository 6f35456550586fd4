// The chipset's two software reset registers:
// - port 0x92, System Control Port A ("fast reset", PIIX4/ICH9 port 92h):
//   bit 0 INIT_NOW: a 0-to-1 transition resets the processor (vtlab resets
//   the machine, as QEMU does); bit 1 ALT_A20_GATE (stored and read back;
//   the address bus has no A20 gate, addresses always carry bit 20); the
//   other bits read back as written.
// - port 0xcf9, the Reset Control Register (ICH9 "RST_CNT"): bit 1 SYS_RST
//   (hard reset), bit 2 RST_CPU: a 0-to-1 transition resets the machine,
//   bit 3 FULL_RST; bits 1-3 read back, bit 0 and 7:4 read 0. It is a byte
//   register inside the PCI configuration ports (0xcf8-0xcff): only byte
//   accesses at 0xcf9 reach it; a wider access starting there sees the
//   other bytes as an empty bus.
// The FADT's RESET_REG names 0xcf9 with the value 0x06 (platform_layout.h).
// A reset is reported through on_reset; what happens then (stop the run or
// reset the machine) is the machine's choice.
#pragma once
#include <functional>

#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"

namespace vtlab {

struct ResetControlConfig {
  u16 port92 = 0x92;
  u16 reset_control = 0xcf9;
};

struct ResetControlView {
  u8 port92 = 0, reset_control = 0;
  bool a20 = true;
  u64 resets_requested = 0;
};

class ResetControl final : public PortDevice {
 public:
  static constexpr u8 kFastReset = 0x01, kA20 = 0x02;
  static constexpr u8 kSysRst = 0x02, kRstCpu = 0x04, kFullRst = 0x08, kRstCntMask = 0x0e;

  explicit ResetControl(ResetControlConfig config = {}) : config_(config) {}

  void attach(PortBus& bus);
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // Called from inside the port write that requests the reset.
  std::function<void(const char* what)> on_reset;

  void reset();
  void serialize(Serializer& s);
  ResetControlView view() const;

 private:
  u8 read_byte(u16 port) const;
  void write_byte(u16 port, u8 value);
  void request(const char* what);

  ResetControlConfig config_;
  u8 port92_ = kA20;  // A20 on, as firmware leaves it
  u8 rst_cnt_ = 0;
  u64 resets_ = 0;
};

}  // namespace vtlab

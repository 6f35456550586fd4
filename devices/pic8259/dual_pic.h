// The PC/AT pair of 8259A interrupt controllers with the chipset's
// edge/level control registers (ELCR, as on Intel's PIIX and ICH chipsets):
// master at 0x20-0x21 (IRQ 0-7), slave at 0xa0-0xa1 (IRQ 8-15) with its INTR
// on master IR2, ELCR at 0x4d0 (IRQ 0-7) and 0x4d1 (IRQ 8-15).
//
// - Devices drive the sixteen ISA lines through input(irq) (IrqLine); there
//   is no input 2, which the slave's INTR occupies (on the ISA bus the IRQ2
//   pin is IRQ9).
// - The CPU side: intr() is the master's INTR output, acknowledge() the two
//   INTA cycles (the machine adapts these to the CPU's InterruptSource). A cascade acknowledge reaches
//   the slave whose ICW3 ID matches the master's cascade address; if none
//   does, the data bus floats and the vector read is 0xff.
// - The INTR output is also driven on an optional IrqLine (set_intr_output),
//   so a local APIC's LINT0 in ExtINT mode can sit between the pair and the
//   CPU later and call acknowledge() itself.
// - ELCR bits of IRQ 0, 1, 2, 8 and 13 are reserved as zero (always edge),
//   as on PIIX4/ICH9; a 1 there is ignored. A set ELCR bit puts the pin in
//   level mode whatever ICW1.LTIM says.
// - Port accesses wider than a byte are split into byte accesses.
#pragma once
#include <array>

#include "core/base/input.h"
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"
#include "devices/pic8259/pic8259.h"

namespace vtlab {

struct DualPicConfig {
  u16 master_base = 0x20;
  u16 slave_base = 0xa0;
  u16 elcr_base = 0x4d0;
};

struct DualPicView {
  Pic8259View master, slave;
  u8 elcr[2] = {};
  bool intr = false;
  u64 acknowledged = 0;  // INTA cycles
  u64 spurious = 0;      // of which answered with a default IR7 vector
};

class DualPic final : public PortDevice {
 public:
  static constexpr u8 kElcrWritable[2] = {0xf8, 0xde};

  explicit DualPic(DualPicConfig config = {});
  DualPic(const DualPic&) = delete;
  DualPic& operator=(const DualPic&) = delete;

  void attach(PortBus& bus);
  // The line of ISA IRQ `irq` (0-15 except 2); throws vtlab::Error otherwise.
  IrqLine& input(unsigned irq);
  void set_intr_output(IrqLine* line);

  bool intr() const { return intr_level_; }  // kept current by every change (propagate)
  // The INTA cycles: returns the vector the CPU reads.
  u8 acknowledge();

  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // Power-on / reset state: both chips uninitialized, ELCR all edge. Input
  // levels are kept (the devices still drive their lines).
  void reset();
  void serialize(Serializer& s);
  DualPicView view() const;

 private:
  class Input final : public IrqLine {
   public:
    DualPic* pic = nullptr;
    unsigned irq = 0;
    void set_level(bool high) override { pic->set_irq(irq, high); }
  };

  void set_irq(unsigned irq, bool level);
  u8 read_byte(u16 port);
  void write_byte(u16 port, u8 value);
  void write_elcr(unsigned index, u8 value);
  // Feeds the slave's INTR to master IR2 and drives the INTR output.
  void propagate();

  DualPicConfig config_;
  Pic8259 master_{true}, slave_{false};
  u8 elcr_[2] = {};
  std::array<Input, 16> inputs_{};
  IrqLine* intr_out_ = nullptr;
  bool intr_level_ = false;
  u64 acknowledged_ = 0, spurious_ = 0;
};

}  // namespace vtlab

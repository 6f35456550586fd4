// One Intel 8259A programmable interrupt controller (8259A datasheet,
// order 231468), without its bus side: DualPic (dual_pic.h) wires two of
// them as the PC/AT pair and gives them ports.
//
// Modelled as the datasheet describes it:
// - Initialization: ICW1 (port A0=0, D4=1) starts the sequence and resets the
//   edge-sense latches, clears IMR, gives IR7 the lowest priority, sets the
//   slave address to 7, clears special mask mode, selects IRR for reads and,
//   when IC4=0, zeroes every ICW4 function (so the chip is in MCS-80/85
//   mode). ISR is cleared too (the datasheet's list is silent; software
//   expects a clean start). Then ICW2 (vector bits T7-T3), ICW3 unless SNGL,
//   ICW4 if IC4.
// - OCW1 (A0=1 after init): IMR. OCW2: non-specific/specific EOI, rotate on
//   (non-)specific EOI, set priority, rotate in automatic EOI set/clear, no
//   operation. OCW3: special mask mode (ESMM/SMM), poll, read IRR/ISR.
// - Edge mode: an IR input's rising edge sets a latch; the request (IRR bit)
//   is that latch while the input stays high. The datasheet requires the
//   input to stay high until the first INTA; a request that goes away
//   before the acknowledge yields the default IR7 (spurious) vector. Level
//   mode (LTIM or the chipset's ELCR bit): IRR follows the input.
// - Priority: fully nested with rotation (the `lowest` level); in special
//   mask mode an in-service level blocks only itself; in special fully
//   nested mode (master) a cascade input in service does not block further
//   requests from its slave.
// - INTA: the highest-priority request is moved to ISR (cleared at once in
//   AEOI mode, with rotation if rotate-in-AEOI is set). Vector in 8086 mode:
//   T7-T3 | level. In MCS-80/85 mode the CPU's second INTA reads the low byte
//   of the CALL address the chip supplies (interval 4 or 8 per ADI, A7-A5 /
//   A7-A6 from ICW1), so that byte is the vector.
#pragma once
#include "core/base/serializer.h"
#include "core/base/types.h"

namespace vtlab {

// Read-only picture of one 8259A for the debugger (no side effects).
struct Pic8259View {
  u8 irr = 0, isr = 0, imr = 0;
  u8 lines = 0;        // input levels
  u8 level_mode = 0;   // pins in level-triggered mode (LTIM or ELCR)
  u8 vector_base = 0;  // ICW2 & 0xf8
  u8 icw1 = 0, icw3 = 0, icw4 = 0;
  u8 init_step = 0;  // 0: ready; 2, 3, 4: waiting for that ICW
  u8 lowest_priority = 7;
  bool special_mask = false, read_isr = false, poll_pending = false, rotate_in_aeoi = false;
  bool intr = false;  // the INTR output
};

class Pic8259 {
 public:
  // Bits of ICW1 and ICW4.
  static constexpr u8 kIcw1Ic4 = 0x01, kIcw1Single = 0x02, kIcw1Adi = 0x04, kIcw1Ltim = 0x08, kIcw1Init = 0x10;
  static constexpr u8 kIcw4Upm = 0x01, kIcw4Aeoi = 0x02, kIcw4Sfnm = 0x10, kIcw4Mask = 0x1f;

  explicit Pic8259(bool master) : master_(master) {}

  // Power-on state; the input levels and the ELCR stay (they are the
  // devices' and the chipset's).
  void reset();
  bool is_master() const { return master_; }
  // The ELCR bits the chipset applies to this chip (1 = level triggered).
  void set_elcr(u8 elcr);
  // Sets input `pin` (0-7) to `level`.
  void set_input(unsigned pin, bool level);

  // Port side: A0 = 0 or 1.
  u8 read(unsigned a0);
  void write(unsigned a0, u8 value);

  // The INTR output: a request that may interrupt what is in service.
  bool intr() const { return pending_level() >= 0; }
  // INTA: the level acknowledged (0-7), or 7 with `spurious` set when no
  // request is there (nothing is put in service then).
  struct Ack {
    unsigned level;
    bool spurious;
  };
  Ack acknowledge();
  // The byte this chip puts on the bus for an acknowledged level.
  u8 vector_for(unsigned level) const;
  bool is_cascade_input(unsigned level) const;  // master: a slave sits on this pin
  bool responds_to_cascade(unsigned id) const;  // slave: its ICW3 ID matches
  bool mcs80_mode() const { return !(icw4_ & kIcw4Upm); }

  void serialize(Serializer& s);
  Pic8259View view() const;

 private:
  u8 requests() const { return irr() & ~imr_; }
  u8 irr() const;
  int pending_level() const;  // -1 if none
  int highest_in(u8 bits) const;
  unsigned priority_of(unsigned level) const { return (level - lowest_ - 1) & 7; }
  void write_icw1(u8 value);
  void write_ocw2(u8 value);
  void write_ocw3(u8 value);
  void end_of_interrupt(unsigned level, bool rotate);
  u8 poll();
  u8 level_pins() const { return (icw1_ & kIcw1Ltim) ? 0xff : elcr_; }

  bool master_;
  u8 lines_ = 0;  // input levels
  u8 edge_ = 0;   // edge-sense latches (edge mode)
  u8 isr_ = 0, imr_ = 0;
  u8 elcr_ = 0;
  u8 icw1_ = 0, icw2_ = 0, icw3_ = 7, icw4_ = 0;
  u8 init_step_ = 0;
  u8 lowest_ = 7;
  bool special_mask_ = false, read_isr_ = false, poll_ = false, rotate_aeoi_ = false;
};

}  // namespace vtlab

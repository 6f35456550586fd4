// One counter of an Intel 8254 programmable interval timer (8254 datasheet,
// order 231164), as a function of its input clock: every operation takes the
// clock count `c` (edges of CLK since power-on) at which it happens, and the
// counter's value and OUT level at any clock are computed from the state
// left by the last operation. So the counter needs no event per clock, and a
// read at a given virtual time always gives the same answer.
//
// Modes as the datasheet gives them (N = the initial count; 0 means 2^16,
// or 10^4 when counting in BCD):
// 0 interrupt on terminal count: OUT low from the control word or count
//   write; the count is loaded on the next CLK; OUT goes high N clocks later
//   and stays high while the counter wraps on. GATE low suspends counting.
//   Writing the first byte of a two-byte count stops counting and sets OUT
//   low; the second byte loads the new count on the next CLK.
// 1 hardware retriggerable one-shot: a GATE rising edge loads the count on
//   the next CLK and sets OUT low; OUT goes high at terminal count.
// 2 rate generator: OUT goes low for one CLK when the count reaches 1, then
//   the count is reloaded (period N). GATE low forces OUT high and suspends
//   counting; a GATE rising edge reloads on the next CLK. A new count takes
//   effect at the next reload.
// 3 square wave: OUT high for ceil(N/2) clocks and low for floor(N/2); the
//   counter decrements by two (an odd N loads N-1). GATE as in mode 2; a new
//   count takes effect at the end of the current half cycle.
// 4 software triggered strobe: like mode 0, but OUT stays high and goes low
//   for one CLK when the count reaches 0.
// 5 hardware triggered strobe: like mode 1, with the strobe of mode 4.
// Counts of 1 in modes 2 and 3, which the datasheet forbids, behave as the
// same formulas give: OUT stays low (mode 2) or high (mode 3).
//
// Reading: the counter latch command and the read-back command (count and
// status, 8254 only) latch values until they are read; without a latch,
// reads return the live value in the programmed byte order. The status byte
// is OUT, NULL COUNT (a count written but not yet loaded into the counting
// element) and the six low bits of the control word.
//
// Power-on state (undefined on the chip): as if control word mode 0,
// LSB-then-MSB, binary had been written, with no count: OUT low, not
// counting.
#pragma once
#include "core/base/serializer.h"
#include "core/base/types.h"

namespace vtlab {

struct PitCounterView {
  u8 control = 0;  // control word bits 5:0 (RW1 RW0 M2 M1 M0 BCD)
  u8 mode = 0;     // 0-5
  bool bcd = false;
  u16 count_register = 0;  // the initial count as written
  u32 initial_count = 0;   // in counting units (1..65536 or 1..10000), 0 if none written
  u16 value = 0;           // the counter as a read would give it
  bool out = false, gate = false, null_count = false;
  bool counting = false;  // loaded and not held by GATE
  bool count_latched = false, status_latched = false;
};

class PitCounter {
 public:
  static constexpr u64 kNever = ~u64(0);

  void reset();
  // A control word for this counter with RW != 0 (bits 5:0 of the byte).
  void write_control(u8 control, u64 c);
  void latch_count(u64 c);   // counter latch command / read-back COUNT
  void latch_status(u64 c);  // read-back STATUS
  u8 read(u64 c);
  void write(u8 value, u64 c);
  void set_gate(bool level, u64 c);

  bool gate() const { return gate_; }
  bool out(u64 c) const;
  u16 read_value(u64 c) const;  // the count as the chip presents it (BCD if counting in BCD)
  unsigned mode() const;
  // The first clock after `c` at which OUT may change, or kNever. (It may be
  // early, never late: the caller re-evaluates there.)
  u64 next_out_change(u64 c) const;

  void serialize(Serializer& s);
  PitCounterView view(u64 c) const;

 private:
  struct Segment {
    u64 load = 0;    // the clock at which the counting element holds n (k = offset)
    u32 n = 65536;   // initial count in counting units (never 0)
    u32 offset = 0;  // mode 3: a segment that begins in the low half
  };

  bool bcd() const { return control_ & 1; }
  unsigned rw() const { return (control_ >> 4) & 3; }
  u32 modulus() const { return bcd() ? 10000 : 65536; }
  u32 count_units() const;  // cr_ decoded
  Segment segment_at(u64 c) const { return pending_ && c >= pending_seg_.load ? pending_seg_ : seg_; }
  // Clocks counted in the segment (k), or -1 before its load clock.
  i64 elapsed(u64 c) const;
  u32 value_at(u64 c) const;  // counting units
  u8 status(u64 c) const;
  void sync(u64 c);
  void count_written(u64 c);
  // Loads the counting element with n at clock `load` (k = offset there).
  void arm(u32 n, u64 load, u32 offset, u64 c);
  // Stops counting at clock c with the current value and OUT kept.
  void hold(u64 c);

  u8 control_ = 0x30;
  u16 cr_ = 0;
  bool cr_valid_ = false;  // a whole count was written since the control word
  u8 cr_lsb_ = 0;
  bool write_msb_next_ = false;
  bool read_msb_next_ = false;  // the read flip-flop, shared by latched and live reads
  u16 latch_ = 0;
  bool count_latched_ = false;
  u8 status_ = 0;
  bool status_latched_ = false;
  bool gate_ = true;

  // The counting element.
  bool armed_ = false;   // loaded (or loading at seg_.load)
  bool frozen_ = false;  // held by GATE at k = frozen_k_
  u64 frozen_k_ = 0;
  Segment seg_;
  bool pending_ = false;  // modes 2, 3: a new count loads at pending_seg_.load
  Segment pending_seg_;
  u32 pre_value_ = 0;  // value before seg_.load or while not armed
  bool pre_out_ = false;
  u64 transfer_clock_ = kNever;  // NULL COUNT until this clock
};

}  // namespace vtlab

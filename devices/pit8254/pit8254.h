// The Intel 8254 programmable interval timer as wired in a PC: three
// counters on 0x40-0x42, the control word register on 0x43, all clocked at
// 1.193182 MHz. Counter 0's OUT drives ISA IRQ 0; counter 1 (once DRAM
// refresh) is free; counter 2's GATE and OUT are reached through port 0x61
// (SystemControlB), where OUT2 also feeds the speaker.
//
// Virtual time: the PIT clock is a ClockDomain of 1,193,182 Hz (the rate
// QEMU and Linux's PIT_TICK_RATE use), so the c-th CLK edge is at tick
// ceil(c * 10^9 / 1193182) at the default 1 tick per virtual nanosecond;
// a counter's value and OUT are computed from the edge count at the time
// of each access (pit_counter.h), and counter 0's OUT changes are scheduler
// events, each at the exact tick of the CLK edge that changes it.
//
// Control word (0x43): SC1:SC0 select the counter (11 = read-back command),
// RW1:RW0 = 00 is the counter latch command, otherwise the byte order (LSB,
// MSB, LSB then MSB); M2:M0 the mode; BCD. Read-back (SC = 11): bit 5 clear
// latches the count, bit 4 clear the status, of the counters selected by
// bits 3:1. Reading port 0x43 gives 0xff (the register is write-only on the
// 8254). Accesses wider than a byte are split into byte accesses.
#pragma once
#include <array>

#include "core/base/clock_domain.h"
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "core/base/serializer.h"
#include "devices/pit8254/pit_counter.h"

namespace vtlab {

struct Pit8254Config {
  u16 base = 0x40;
};

struct Pit8254View {
  std::array<PitCounterView, 3> counters{};
  u64 clocks = 0;         // CLK edges since power-on
  bool irq_line = false;  // the level driven on IRQ 0
  u64 next_event_tick = Scheduler::kNever;
};

class Pit8254 final : public PortDevice {
 public:
  static constexpr u64 kClockHz = 1'193'182;

  // irq0 (counter 0's OUT) may be null.
  Pit8254(Scheduler& scheduler, IrqLine* irq0, Pit8254Config config = {});
  ~Pit8254() override;
  Pit8254(const Pit8254&) = delete;
  Pit8254& operator=(const Pit8254&) = delete;

  void attach(PortBus& bus);
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // GATE inputs: counters 0 and 1 are tied high on a PC; counter 2's gate
  // is port 0x61 bit 0.
  void set_gate(unsigned counter, bool level);
  bool gate(unsigned counter) const { return counters_[counter % 3].gate(); }
  bool out(unsigned counter) const { return counters_[counter % 3].out(clocks()); }
  u64 clocks() const { return clock_.clocks_at(scheduler_.now()); }
  const ClockDomain& clock() const { return clock_; }

  // Power-on state (pit_counter.h): no counter counting, OUT low; gates 0
  // and 1 high, gate 2 low (port 0x61 resets to 0).
  void reset();
  // Saves or loads the counters; on load re-drives IRQ 0 and re-arms the
  // OUT0 event.
  void serialize(Serializer& s);
  Pit8254View view() const;

 private:
  u8 read_byte(u16 port);
  void write_byte(u16 port, u8 value);
  void write_control(u8 value);
  void drive_irq(bool level);
  // Drives IRQ 0 from OUT0 now and schedules an event at its next change.
  void update_out0();
  void on_out0_event();
  void cancel_event();

  Scheduler& scheduler_;
  IrqLine* irq_;
  Pit8254Config config_;
  ClockDomain clock_;
  std::array<PitCounter, 3> counters_{};
  bool irq_level_ = false;
  u64 event_clock_ = PitCounter::kNever;  // the CLK edge the pending event is for
  u64 event_id_ = 0;
};

}  // namespace vtlab

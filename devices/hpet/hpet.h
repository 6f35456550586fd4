// A High Precision Event Timer block (IA-PC HPET specification 1.0a) at
// platform::kHpetBase: a 64-bit main counter and three comparators, as the
// ACPI HPET table announces (platform::kHpetEventTimerBlockId).
//
// - Main counter: kHpetClockHz (100 MHz, COUNTER_CLK_PERIOD 10^7 fs, as
//   QEMU's) as a ClockDomain of virtual time: while ENABLE_CNF is set its
//   value is the value it had when last enabled or written plus the clock
//   edges since, an exact function of the tick; cleared it stands still.
//   Writes take effect whether or not the counter runs.
// - Registers (64 bits; 4- and 8-byte accesses, the upper half at +4; a
//   narrower read gives the low bytes of its half, a narrower write is
//   ignored): 000h capabilities and ID (read only), 010h general
//   configuration (ENABLE_CNF bit 0, LEG_RT_CNF bit 1), 020h general
//   interrupt status (level-triggered timers' status, write 1 to clear),
//   0F0h main counter, and per timer n at 100h + 20h*n: configuration and
//   capabilities, +8 comparator, +10h FSB route (no FSB delivery:
//   Tn_FSB_INT_DEL_CAP = 0, the register reads 0). Every other offset reads
//   0 and ignores writes.
// - Timers: all three are 64-bit and periodic capable. A comparator fires
//   when the main counter reaches its value (the low 32 bits in 32-bit mode,
//   Tn_32MODE_CNF, so it fires again at each 2^32 wrap), counting from the
//   counter's value when the comparator or the counter was last written. In
//   periodic mode (Tn_TYPE_CNF) a write sets the period, and also the
//   comparator when Tn_VAL_SET_CNF is set (which then clears itself); each
//   match adds the period to the comparator. A period of 0 fires once.
// - Interrupts: edge-triggered timers pulse their line; level-triggered ones
//   set their bit in the status register (also with Tn_INT_ENB_CNF clear)
//   and hold their line asserted until software clears it. With LEG_RT_CNF
//   set, timer 0 drives the legacy IRQ 0 line and timer 1 the legacy IRQ 8
//   line (the machine disconnects the PIT and the RTC from them meanwhile:
//   on_legacy_change); otherwise, and for timer 2, Tn_INT_ROUTE_CNF picks
//   an IOAPIC input among those Tn_INT_ROUTE_CAP allows (a route outside the
//   capability drives nothing). ENABLE_CNF clear: no interrupts, level
//   lines released.
#pragma once
#include <array>
#include <functional>

#include "core/base/clock_domain.h"
#include "core/base/io.h"
#include "core/base/scheduler.h"
#include "core/base/serializer.h"

namespace vtlab {

struct HpetConfig {
  u32 id = 0x8086a201;  // capabilities and ID, bits 31:0 (bits 12:8 + 1 timers)
  u64 clock_hz = 100'000'000;
  std::array<u32, 3> route_cap{0x00f00000, 0x00f00000, 0x00f00800};
};

struct HpetTimerView {
  u64 config = 0, comparator = 0, period = 0;
  bool line = false;  // the level this timer drives now
  u64 next_event_tick = Scheduler::kNever;
};

struct HpetView {
  u64 capabilities = 0, config = 0, status = 0, counter = 0;
  std::array<HpetTimerView, 3> timers{};
};

class Hpet final : public MmioDevice {
 public:
  static constexpr unsigned kTimers = 3;
  // General configuration.
  static constexpr u64 kEnable = 1, kLegacyRoute = 2;
  // Timer configuration and capabilities bits.
  static constexpr u64 kIntLevel = 1u << 1, kIntEnable = 1u << 2, kPeriodic = 1u << 3, kPeriodicCap = 1u << 4,
                       kSize64Cap = 1u << 5, kValSet = 1u << 6, kMode32 = 1u << 8, kRouteShift = 9,
                       kRouteMask = 0x1fu << 9;
  static constexpr u64 kTimerWritable = kIntLevel | kIntEnable | kPeriodic | kValSet | kMode32 | kRouteMask;
  // Register offsets.
  static constexpr u64 kCapabilities = 0x000, kGeneralConfig = 0x010, kInterruptStatus = 0x020,
                       kMainCounter = 0x0f0, kTimerBase = 0x100, kTimerStride = 0x20;

  Hpet(Scheduler& scheduler, HpetConfig config = {});
  ~Hpet() override;
  Hpet(const Hpet&) = delete;
  Hpet& operator=(const Hpet&) = delete;

  // Outputs: IOAPIC input `gsi` (0-31) for routed timers, and the legacy
  // IRQ 0 / IRQ 8 lines of legacy replacement mode. Null: not connected.
  void set_route_line(unsigned gsi, IrqLine* line);
  void set_legacy_lines(IrqLine* irq0, IrqLine* irq8);
  // Told when LEG_RT_CNF changes.
  std::function<void(bool)> on_legacy_change;
  bool legacy_replacement() const { return config_reg_ & kLegacyRoute; }

  u64 mmio_read(u64 offset, unsigned size) override;
  void mmio_write(u64 offset, unsigned size, u64 value) override;

  u64 counter() const;
  u64 capabilities() const;
  // Reset: counter halted at 0, timers one-shot, edge, disabled, comparators
  // all ones, legacy replacement off.
  void reset();
  void serialize(Serializer& s);
  HpetView view() const;

 private:
  struct Timer {
    u64 config = 0;  // writable bits only
    u64 comparator = ~u64(0);
    u64 period = 0;
    u64 from = 0;   // matches are looked for at counter values >= this
    u64 match = 0;  // the counter value the armed event is for
    u64 event_id = 0;
    u64 event_tick = Scheduler::kNever;
    IrqLine* driven = nullptr;  // the line this timer holds asserted (level)
  };

  u64 clocks() const { return clock_.clocks_at(scheduler_.now()); }
  u64 read64(u64 reg) const;
  void write64(u64 reg, u64 value, u64 mask);
  void write_general_config(u64 value);
  void write_timer_config(unsigned n, u64 value);
  void write_comparator(unsigned n, u64 value, u64 mask);
  // The counter value of timer n's next match, or nothing (kNone).
  u64 next_match(unsigned n) const;
  void arm(unsigned n);
  void disarm(unsigned n);
  void fire(unsigned n);
  IrqLine* output(unsigned n) const;
  // Drives timer n's level line from its status, enable and routing.
  void update_level(unsigned n);
  void restart_matching();

  static constexpr u64 kNone = ~u64(0);

  Scheduler& scheduler_;
  HpetConfig hw_;
  ClockDomain clock_;
  std::array<IrqLine*, 32> route_lines_{};
  IrqLine* legacy_[2] = {};
  u64 config_reg_ = 0;
  u64 status_ = 0;
  u64 counter_base_ = 0;  // the counter's value at enable_clock_ (or while halted)
  u64 enable_clock_ = 0;
  std::array<Timer, kTimers> timers_{};
};

}  // namespace vtlab

// The Motorola MC146818A real-time clock and its 114 bytes of CMOS RAM, at
// ports 0x70 (index; bit 7 masks NMI) and 0x71 (data), interrupting on
// ISA IRQ 8.
//
// Time base. The chip counts a 32.768 kHz crystal through its divider
// chain; here that crystal is a ClockDomain of 32,768 Hz, so the k-th
// oscillator edge is at tick ceil(k * 10^9 / 32768) at the default rate, and
// every instant below is an exact edge count from the moment the divider
// was started (power-on, or register A's DV bits set to 010 after a divider
// reset):
// - Update cycles begin 0.5 s (16384 edges) after the divider starts and
//   every second (32768 edges) after that. An update cycle lasts 1984 us
//   (65 edges); at its end the time registers have advanced one second and
//   UF is set (AF too, if the alarm matches). UIP reads 1 from 244 us (8
//   edges) before the cycle begins until it ends, so after UIP reads 0 the
//   time stays put for at least 244 us, as the datasheet promises.
// - Periodic interrupts: PF is set every 2^(RS-1) edges for RS = 3..15 and
//   every 128 / 256 edges for RS = 1 / 2 (256 Hz / 128 Hz), counted on the
//   same divider, whether or not PIE is set.
// - SET = 1 inhibits updates (the divider keeps running; UIP reads 0) and
//   clears UIE. DV other than 010 holds the divider in reset: no updates,
//   no periodic flags.
// Flags and the time are brought up to date when software looks (a port
// access) and at scheduler events that exist only while an enabled
// interrupt is due: the periodic rate while PIE = 1, each update end while
// UIE or AIE = 1 and SET = 0. While IRQ 8 is asserted no event is needed:
// the line stays high until register C is read, which clears all flags.
//
// Registers: 0-9 time/calendar/alarms (raw bytes in the mode of register B,
// see rtc_time.h); A: UIP (read only), DV, RS; B: SET PIE AIE UIE SQWE DM
// 24/12 DSE (DSE, daylight saving, is stored but the clock never adjusts
// itself); C: IRQF PF AF UF, read only, cleared by reading; D: VRT = 1.
// Index 0x0e-0x7f: RAM. Port 0x70 is write only (reads give 0xff). The
// chip has no century: CMOS byte 0x32 (the PC's century byte) is plain RAM,
// seeded from the host time by the constructor.
//
// Power-on state: what a PC BIOS leaves: A = 0x26 (divider running,
// 1024 Hz rate), B = 0x02 (24-hour, BCD), the time from the WallClock
// given to the constructor (input interface; fixed unless --rtc host).
// reset() is the chip's RESET pin (a system reset): clears PIE, AIE, UIE,
// SQWE and the flags in C; the time, RAM and the rest stay.
#pragma once
#include <array>

#include "core/base/clock_domain.h"
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "core/base/serializer.h"
#include "core/base/wall_clock.h"
#include "devices/rtc_cmos/rtc_time.h"

namespace vtlab {

struct RtcCmosConfig {
  u16 base = 0x70;  // index port; data at base + 1
};

struct RtcCmosView {
  rtc::TimeRegs time{};                           // registers 0-9 as stored
  u8 reg_a = 0, reg_b = 0, reg_c = 0, reg_d = 0;  // as reads would give them; C is not cleared
  u8 index = 0;
  bool nmi_masked = false;
  bool irq_line = false;
  bool divider_running = false;
  CivilTime civil{};                         // registers 0-9 decoded, century from CMOS 0x32
  u64 next_update_tick = Scheduler::kNever;  // end of the next update cycle (kNever if none)
  u64 next_event_tick = Scheduler::kNever;
};

class RtcCmos final : public PortDevice {
 public:
  static constexpr u64 kClockHz = 32768;
  static constexpr u64 kFirstUpdateClocks = 16384;  // 0.5 s after the divider starts
  static constexpr u64 kSecondClocks = 32768;
  static constexpr u64 kUpdateCycleClocks = 65;  // 1984 us
  static constexpr u64 kUipLeadClocks = 8;       // 244 us
  static constexpr u8 kCenturyByte = 0x32;
  static constexpr u8 kPowerOnA = 0x26, kPowerOnB = 0x02;

  // irq8 may be null. `unix_seconds` is the time at power-on (UTC).
  RtcCmos(Scheduler& scheduler, IrqLine* irq8, i64 unix_seconds, RtcCmosConfig config = {});
  ~RtcCmos() override;
  RtcCmos(const RtcCmos&) = delete;
  RtcCmos& operator=(const RtcCmos&) = delete;

  void attach(PortBus& bus);
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // Port 0x70 bit 7 as last written (1 = NMI disabled).
  bool nmi_masked() const { return nmi_mask_; }
  // CMOS RAM (0x0e-0x7f) as firmware sets it up, without side effects.
  u8 nvram(u8 index) const { return ram_[index & 0x7f]; }
  void set_nvram(u8 index, u8 value);

  void power_on(i64 unix_seconds);
  void reset();  // the RESET pin
  void serialize(Serializer& s);
  RtcCmosView view() const;

 private:
  u8 read_byte(u16 port);
  void write_byte(u16 port, u8 value);
  u8 read_register(u8 index);
  void write_register(u8 index, u8 value);

  u64 clocks() const { return clock_.clocks_at(scheduler_.now()); }
  bool divider_running() const { return (ram_[rtc::kRegA] & rtc::kDvMask) == rtc::kDv32kHz; }
  u64 periodic_clocks() const;
  u64 updates_until(u64 c) const;    // update cycles ended by edge c
  u64 next_update_end(u64 c) const;  // the first update end after c
  bool update_in_progress(u64 c) const;
  u8 reg_c_value() const;
  // The time and flags at edge c: the update cycles and periodic ticks since
  // the last sync applied to copies.
  struct CaughtUp {
    rtc::TimeRegs time;
    u8 flags;
    u64 updates_done;
  };
  CaughtUp caught_up(u64 c) const;
  void sync(u64 c);
  void update_irq();
  void reschedule();
  void cancel_event();
  void on_event();
  rtc::TimeRegs time_regs() const;
  void store_time_regs(const rtc::TimeRegs& t);

  Scheduler& scheduler_;
  IrqLine* irq_;
  RtcCmosConfig config_;
  ClockDomain clock_;

  std::array<u8, 128> ram_{};  // registers 0-0x0b as stored, RAM from 0x0e (C and D are computed)
  u8 index_ = 0;
  bool nmi_mask_ = false;
  u8 flags_ = 0;       // PF AF UF
  u64 div_start_ = 0;  // edge at which the divider chain started
  u64 synced_ = 0;     // edge up to which flags and time are current
  u64 updates_done_ = 0;
  bool irq_level_ = false;
  u64 event_clock_ = Scheduler::kNever;
  u64 event_id_ = 0;
};

}  // namespace vtlab

// ACPI fixed hardware (ACPI 6.5 §4.8): the PM1a event block (PM1_STS,
// PM1_EN), the PM1a control block (PM1_CNT) and the power management
// timer, at the I/O block of Intel's ICH9 (base 0x600: PM1_STS +0, PM1_EN
// +2, PM1_CNT +4, PM_TMR +8; platform_layout.h has the FADT view of it).
//
// - PM timer: 24 bits (FADT TMR_VAL_EXT = 0) counting a 3.579545 MHz clock
//   from power-on, a ClockDomain of 3,579,545 Hz in virtual time, so the
//   value at tick t is floor(t * 3579545 / 10^9) mod 2^24 at the default
//   rate. It is not reset by a machine reset (it never stops). TMR_STS is
//   set each time bit 23 of the count changes.
// - PM1_STS (write 1 to clear): TMR_STS (0), GBL_STS (5), PWRBTN_STS (8),
//   SLPBTN_STS (9), RTC_STS (10), WAK_STS (15). Only TMR_STS and
//   PWRBTN_STS (press_power_button) have sources here.
// - PM1_EN: TMR_EN (0), GBL_EN (5), PWRBTN_EN (8), SLPBTN_EN (9), RTC_EN
//   (10). The SCI (IRQ 9, level) is asserted while a status bit and its
//   enable are both set.
// - PM1_CNT: SCI_EN (0) reads 1 always: there is no SMM and no SMI_CMD
//   port, so the machine is in ACPI mode from power-on (FADT SMI_CMD = 0).
//   BM_RLD (1) is stored; GBL_RLS (2) and SLP_EN (13) are write-only and
//   read 0. Writing SLP_EN = 1 with SLP_TYP (12:10) = the S5 value (ICH9: 7)
//   powers the machine off (on_power_off); other sleep types are not
//   supported (the DSDT offers only \_S5) and the write is ignored.
// Registers accept any access width; a wide access is split into bytes, so
// a byte write to PM1_CNT's high byte may set SLP_EN and SLP_TYP together.
#pragma once
#include <functional>
#include <optional>

#include "core/base/clock_domain.h"
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "core/base/serializer.h"

namespace vtlab {

struct AcpiPmConfig {
  u16 base = 0x600;
  u8 slp_typ_s5 = 7;
};

struct AcpiPmView {
  u16 pm1_sts = 0, pm1_en = 0, pm1_cnt = 0;
  u32 pm_tmr = 0;
  bool sci = false;
  u64 next_event_tick = Scheduler::kNever;
};

class AcpiPm final : public PortDevice {
 public:
  static constexpr u64 kTimerHz = 3'579'545;
  static constexpr unsigned kTimerBits = 24;
  // PM1_STS / PM1_EN bits.
  static constexpr u16 kTmr = 1u << 0, kBm = 1u << 4, kGbl = 1u << 5, kPwrBtn = 1u << 8, kSlpBtn = 1u << 9,
                       kRtc = 1u << 10, kPciExpWake = 1u << 14, kWak = 1u << 15;
  static constexpr u16 kStsMask = kTmr | kBm | kGbl | kPwrBtn | kSlpBtn | kRtc | kPciExpWake | kWak;
  static constexpr u16 kEnMask = kTmr | kGbl | kPwrBtn | kSlpBtn | kRtc | kPciExpWake;
  static constexpr u16 kSciSources = kTmr | kGbl | kPwrBtn | kSlpBtn | kRtc;
  // PM1_CNT bits.
  static constexpr u16 kSciEn = 1u << 0, kBmRld = 1u << 1, kGblRls = 1u << 2, kSlpTypShift = 10, kSlpTypMask = 7u << 10,
                       kSlpEn = 1u << 13;
  // Port offsets from the base.
  static constexpr unsigned kPm1Sts = 0, kPm1En = 2, kPm1Cnt = 4, kPmTmr = 8;

  // sci may be null.
  AcpiPm(Scheduler& scheduler, IrqLine* sci, AcpiPmConfig config = {});
  ~AcpiPm() override;
  AcpiPm(const AcpiPm&) = delete;
  AcpiPm& operator=(const AcpiPm&) = delete;

  void attach(PortBus& bus);
  // The chipset moves the block or stops decoding it (ICH9 PMBASE and
  // ACPI_EN): the ports are released and, given a base, claimed there
  // (ports another device already owns stay that device's).
  void relocate(PortBus& bus, std::optional<u16> base);
  std::optional<u16> base() const { return decoded_ ? std::optional<u16>(config_.base) : std::nullopt; }
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // Called from inside the PM1_CNT write that enters S5.
  std::function<void()> on_power_off;
  // The power button (a host-side request to shut down): sets PWRBTN_STS.
  void press_power_button();

  u32 timer() const;
  void reset();
  void serialize(Serializer& s);
  AcpiPmView view() const;

 private:
  u8 read_byte(unsigned offset);
  void write_byte(unsigned offset, u8 value);
  u64 clocks() const { return clock_.clocks_at(scheduler_.now()); }
  // Sets TMR_STS if bit 23 changed since the last look.
  void sync_timer();
  void update_sci();
  void reschedule();
  void cancel_event();

  Scheduler& scheduler_;
  IrqLine* sci_;
  AcpiPmConfig config_;
  ClockDomain clock_;
  u16 sts_ = 0, en_ = 0, cnt_ = kSciEn;
  u64 timer_epoch_ = 0;  // (count >> 23) when TMR_STS was last brought up to date
  bool sci_level_ = false;
  bool decoded_ = false;  // the ports at config_.base are claimed
  u64 event_epoch_ = Scheduler::kNever;
  u64 event_id_ = 0;
};

}  // namespace vtlab

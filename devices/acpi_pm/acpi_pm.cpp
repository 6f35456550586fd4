#include "devices/acpi_pm/acpi_pm.h"

#include <algorithm>

#include "core/base/byte_ports.h"

namespace vtlab {

namespace {
constexpr unsigned kEpochShift = AcpiPm::kTimerBits - 1;  // TMR_STS: bit 23 changed
}

AcpiPm::AcpiPm(Scheduler& scheduler, IrqLine* sci, AcpiPmConfig config)
    : scheduler_(scheduler), sci_(sci), config_(config), clock_(scheduler, kTimerHz) {
  reset();
}

AcpiPm::~AcpiPm() { cancel_event(); }

namespace {
struct PortRange {
  unsigned offset, count;
  const char* name;
};
constexpr PortRange kRanges[] = {
    {AcpiPm::kPm1Sts, 4, "ACPI PM1a_EVT"},
    {AcpiPm::kPm1Cnt, 2, "ACPI PM1a_CNT"},
    {AcpiPm::kPmTmr, 4, "ACPI PM_TMR"},
};
}  // namespace

void AcpiPm::attach(PortBus& bus) {
  for (const PortRange& r : kRanges) bus.attach(u16(config_.base + r.offset), r.count, this, r.name);
  decoded_ = true;
}

void AcpiPm::relocate(PortBus& bus, std::optional<u16> base) {
  if (decoded_)
    for (const PortRange& r : kRanges) bus.detach(u16(config_.base + r.offset), r.count, this);
  decoded_ = base.has_value();
  if (!base) return;
  config_.base = *base;
  for (const PortRange& r : kRanges) bus.attach_free(u16(config_.base + r.offset), r.count, this, r.name);
}

u32 AcpiPm::timer() const { return u32(clocks() & ((u64(1) << kTimerBits) - 1)); }

void AcpiPm::sync_timer() {
  const u64 epoch = clocks() >> kEpochShift;
  if (epoch != timer_epoch_) sts_ |= kTmr;
  timer_epoch_ = epoch;
}

u8 AcpiPm::read_byte(unsigned offset) {
  switch (offset) {
    case kPm1Sts:
    case kPm1Sts + 1:
      sync_timer();
      return u8(sts_ >> (8 * (offset - kPm1Sts)));
    case kPm1En:
    case kPm1En + 1:
      return u8(en_ >> (8 * (offset - kPm1En)));
    case kPm1Cnt:
    case kPm1Cnt + 1:
      return u8(cnt_ >> (8 * (offset - kPm1Cnt)));
    case kPmTmr:
    case kPmTmr + 1:
    case kPmTmr + 2:
    case kPmTmr + 3:
      return u8(timer() >> (8 * (offset - kPmTmr)));
    default:
      return 0xff;
  }
}

void AcpiPm::write_byte(unsigned offset, u8 value) {
  const unsigned shift = 8 * (offset & 1);
  switch (offset) {
    case kPm1Sts:
    case kPm1Sts + 1:
      sync_timer();
      sts_ &= u16(~((u16(value) << shift) & kStsMask));  // write 1 to clear
      break;
    case kPm1En:
    case kPm1En + 1:
      en_ = u16((en_ & ~(0xffu << shift)) | ((u16(value) << shift) & kEnMask & (0xffu << shift)));
      break;
    case kPm1Cnt:
    case kPm1Cnt + 1: {
      const u16 written = u16(value) << shift;
      const u16 kept = u16(cnt_ & ~(0xffu << shift));
      cnt_ = u16(kept | (written & (kBmRld | kSlpTypMask)) | kSciEn);
      if ((written & kSlpEn) && ((cnt_ & kSlpTypMask) >> kSlpTypShift) == config_.slp_typ_s5 && on_power_off)
        on_power_off();
      break;
    }
    default:
      break;  // PM_TMR is read only
  }
}

u32 AcpiPm::port_read(u16 port, unsigned size) {
  return read_byte_ports(port, size, [this](u16 p) { return read_byte(u16(p - config_.base)); });
}

void AcpiPm::port_write(u16 port, unsigned size, u32 value) {
  write_byte_ports(port, size, value, [this](u16 p, u8 b) { write_byte(u16(p - config_.base), b); });
  update_sci();
  reschedule();
}

void AcpiPm::press_power_button() {
  sts_ |= kPwrBtn;
  update_sci();
}

void AcpiPm::update_sci() {
  sync_timer();
  const bool level = (cnt_ & kSciEn) && (sts_ & en_ & kSciSources);
  if (level == sci_level_) return;
  sci_level_ = level;
  if (sci_) sci_->set_level(level);
}

void AcpiPm::cancel_event() {
  if (event_epoch_ != Scheduler::kNever) scheduler_.cancel(event_id_);
  event_epoch_ = Scheduler::kNever;
}

// An event is needed only for the timer's SCI: when TMR_EN is set and
// TMR_STS is still clear, at the next change of bit 23.
void AcpiPm::reschedule() {
  cancel_event();
  if (!(en_ & kTmr) || (sts_ & kTmr)) return;
  const u64 next = timer_epoch_ + 1;
  const u64 tick = clock_.tick_of(next << kEpochShift);
  if (tick == Scheduler::kNever) return;
  event_epoch_ = next;
  event_id_ = scheduler_.schedule_at(tick, "ACPI PM timer", [this] {
    event_epoch_ = Scheduler::kNever;
    update_sci();
    reschedule();
  });
}

void AcpiPm::reset() {
  cancel_event();
  sts_ = en_ = 0;
  cnt_ = kSciEn;
  timer_epoch_ = clocks() >> kEpochShift;
  update_sci();
}

void AcpiPm::serialize(Serializer& s) {
  s(sts_);
  s(en_);
  s(cnt_);
  s(timer_epoch_);
  if (s.saving()) return;
  sts_ &= kStsMask;
  en_ &= kEnMask;
  timer_epoch_ = std::min(timer_epoch_, clocks() >> kEpochShift);
  cnt_ = u16((cnt_ & (kBmRld | kSlpTypMask)) | kSciEn);
  sync_timer();
  sci_level_ = (sts_ & en_ & kSciSources) != 0;  // SCI_EN is always set
  if (sci_) sci_->set_level(sci_level_);
  reschedule();
}

AcpiPmView AcpiPm::view() const {
  AcpiPmView v;
  const u64 epoch = clocks() >> kEpochShift;
  v.pm1_sts = u16(sts_ | (epoch != timer_epoch_ ? kTmr : 0));
  v.pm1_en = en_;
  v.pm1_cnt = cnt_;
  v.pm_tmr = timer();
  v.sci = sci_level_;
  v.next_event_tick =
      event_epoch_ == Scheduler::kNever ? Scheduler::kNever : clock_.tick_of(event_epoch_ << kEpochShift);
  return v;
}

}  // namespace vtlab

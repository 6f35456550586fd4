#include "devices/lapic/lapic.h"

#include <algorithm>

#include "devices/lapic/apic_bus.h"

namespace vtlab {

using namespace lapic;

Lapic::Lapic(Scheduler& scheduler, ApicBus& bus, LapicConfig config)
    : scheduler_(scheduler), bus_(bus), config_(config), clock_(scheduler, config.timer_hz) {
  for (unsigned i = 0; i < 2; ++i) {
    lint_pins_[i].apic = this;
    lint_pins_[i].pin = i;
  }
  reset();
}

Lapic::~Lapic() { stop_timer(); }

int Lapic::highest(const Bits& b) {
  for (int w = 7; w >= 0; --w)
    if (b[w]) return w * 32 + 31 - __builtin_clz(b[w]);
  return -1;
}

void Lapic::clear_registers() {
  stop_timer();
  tpr_ = 0;
  ldr_ = 0;
  dfr_ = kDfrFlat;
  svr_ = kSvrReset;
  irr_ = isr_ = tmr_ = Bits{};
  esr_ = errors_ = 0;
  icr_low_ = icr_high_ = 0;
  lvt_.fill(kLvtReset);
  extint_message_ = false;
  in_error_ = false;
  initial_count_ = divide_config_ = 0;
  counting_ = false;
  period_start_ = 0;
  tsc_deadline_ = 0;
}

void Lapic::reset() {
  clear_registers();
  apic_base_ = (config_.base & ~u64(0xfff)) | kBaseEnable | (config_.bsp ? kBaseBsp : 0);
  id_ = u8(config_.apic_id);
  delivered_ = 0;
  signal();
}

void Lapic::init() {
  clear_registers();
  signal();
}

void Lapic::set_apic_base(u64 value) {
  const bool was_enabled = enabled();
  apic_base_ = value;
  // Globally disabling loses the state; enabling again starts from the
  // reset values (§10.4.3, §10.12.5.1). The ID stays in both.
  if (was_enabled != enabled()) clear_registers();
  // xAPIC -> x2APIC: the ID becomes the x2APIC ID and the LDR the derived
  // one (both computed on read); the rest is kept (undefined in the SDM).
  signal();
}

u8 Lapic::ppr() const {
  const int isrv = highest(isr_);
  const u8 isr_class = isrv < 0 ? 0 : u8(isrv & 0xf0);
  return (tpr_ & 0xf0) >= isr_class ? tpr_ : isr_class;
}

u8 Lapic::arbitration_priority() const {
  const int isrv = highest(isr_), irrv = highest(irr_);
  const u8 isr_class = isrv < 0 ? 0 : u8(isrv & 0xf0), irr_class = irrv < 0 ? 0 : u8(irrv & 0xf0);
  if ((tpr_ & 0xf0) >= irr_class && (tpr_ & 0xf0) > isr_class) return tpr_;
  return std::max({u8(tpr_ & 0xf0), isr_class, irr_class});
}

u32 Lapic::x2apic_ldr() const {
  // Logical x2APIC ID (§10.12.10.2): cluster ID = x2APIC ID[19:4] in bits
  // 31:16, one bit per member (x2APIC ID[3:0]) in bits 15:0.
  return ((config_.apic_id >> 4) << 16) | (1u << (config_.apic_id & 0xf));
}

void Lapic::signal() {
  if (core_) core_->interrupt_changed();
}

bool Lapic::extint_pending() const {
  const u32 lint0 = lvt_[kLint0];
  const bool through_lint0 = !(lint0 & kLvtMasked) &&
                             DeliveryMode((lint0 & kLvtDeliveryMode) >> kLvtDeliveryModeShift) ==
                                 DeliveryMode::ExtInt &&
                             lint_level_[0];
  return through_lint0 || extint_message_;
}

bool Lapic::has_interrupt() const {
  if (!enabled()) return lint_level_[0];  // no APIC: LINT0 is INTR
  const int v = highest(irr_);
  if (v >= 0 && (v & 0xf0) > (ppr() & 0xf0)) return true;
  return extint_pending();
}

u8 Lapic::acknowledge() {
  ++delivered_;
  if (!enabled()) return extint_ ? extint_->acknowledge() : u8(0xff);
  const int v = highest(irr_);
  if (v >= 0 && (v & 0xf0) > (ppr() & 0xf0)) {
    set(irr_, unsigned(v), false);
    set(isr_, unsigned(v), true);
    return u8(v);
  }
  if (extint_pending()) {
    extint_message_ = false;
    return extint_ ? extint_->acknowledge() : u8(0xff);
  }
  // Nothing deliverable any more: the spurious vector, nothing put in
  // service (§10.9).
  --delivered_;
  return u8(svr_ & kSvrVector);
}

void Lapic::set_tpr(u8 value) {
  tpr_ = value;
  signal();  // a lower TPR may let a pending interrupt through
}

void Lapic::error(u32 esr_bit) {
  errors_ |= esr_bit;
  if (in_error_) return;  // the error LVT's own illegal vector: recorded, not delivered again
  in_error_ = true;
  local_interrupt(kError);
  in_error_ = false;
}

void Lapic::accept_fixed(u8 vector, bool level) {
  if (vector < 16) return error(kEsrReceiveIllegalVector);
  set(irr_, vector, true);
  set(tmr_, vector, level);
  signal();
}

void Lapic::local_interrupt(unsigned index) {
  const u32 entry = lvt_[index];
  if (entry & kLvtMasked) return;
  // Only LINT0/1 have a trigger mode; the others are edge (§10.5.1).
  const bool level = (index == kLint0 || index == kLint1) && (entry & kLvtLevel);
  // The timer and error entries have no delivery-mode field: fixed.
  const DeliveryMode mode = (index == kTimer || index == kError)
                                ? DeliveryMode::Fixed
                                : DeliveryMode((entry & kLvtDeliveryMode) >> kLvtDeliveryModeShift);
  switch (mode) {
    case DeliveryMode::Fixed:
      return accept_fixed(u8(entry & kLvtVector), level);
    case DeliveryMode::Nmi:
      if (core_) core_->nmi();
      return;
    case DeliveryMode::Init:
      if (core_) core_->init();
      return;
    case DeliveryMode::ExtInt:
      return signal();
    default:  // SMI (no SMM) and the reserved encodings
      return;
  }
}

void Lapic::set_lint(unsigned pin, bool high) {
  const bool rising = high && !lint_level_[pin];
  lint_level_[pin] = high;
  if (!enabled()) {
    // A processor without an APIC: LINT0 is INTR, LINT1 is NMI (§10.4.3).
    if (pin == 0)
      signal();
    else if (rising && core_)
      core_->nmi();
    return;
  }
  evaluate_lint(pin, rising);
}

void Lapic::evaluate_lint(unsigned pin, bool rising) {
  const unsigned index = kLint0 + pin;
  const u32 entry = lvt_[index];
  if (entry & kLvtMasked) return;
  const auto mode = DeliveryMode((entry & kLvtDeliveryMode) >> kLvtDeliveryModeShift);
  if (mode == DeliveryMode::ExtInt) return signal();  // level: follows the pin
  if (mode == DeliveryMode::Fixed && (entry & kLvtLevel)) {
    // Level triggered: accepted while asserted and not already being
    // serviced (remote IRR, §10.5.1).
    if (!lint_level_[pin] || (entry & kLvtRemoteIrr)) return;
    lvt_[index] |= kLvtRemoteIrr;
    return local_interrupt(index);
  }
  if (rising) local_interrupt(index);
}

void Lapic::eoi() {
  const int v = highest(isr_);
  if (v < 0) return;
  set(isr_, unsigned(v), false);
  // A level-triggered interrupt's EOI goes to the IOAPICs (§10.8.5).
  if (test(tmr_, unsigned(v))) bus_.broadcast_eoi(u8(v));
  for (unsigned pin = 0; pin < 2; ++pin) {
    u32& entry = lvt_[kLint0 + pin];
    if ((entry & kLvtRemoteIrr) && (entry & kLvtVector) == u32(v)) {
      entry &= ~kLvtRemoteIrr;
      evaluate_lint(pin, false);  // still asserted: accepted again
    }
  }
  signal();
}

void Lapic::write_svr(u32 value) {
  svr_ = value;
  // Software disabled: every LVT entry masked (§10.4.7.2).
  if (!(svr_ & kSvrEnable))
    for (u32& e : lvt_) e |= kLvtMasked;
  signal();
}

void Lapic::write_lvt(unsigned index, u32 value) {
  static constexpr u32 kWritable[kLvtCount] = {kLvtTimerWritable, kLvtMonitorWritable, kLvtMonitorWritable,
                                               kLvtLintWritable,  kLvtLintWritable,    kLvtErrorWritable};
  if (!software_enabled()) value |= kLvtMasked;  // masks stay set while software disabled
  const u32 old = lvt_[index];
  // Remote IRR and delivery status are read only.
  lvt_[index] = (value & kWritable[index]) | (old & kLvtRemoteIrr);
  if (index == kTimer && ((old ^ lvt_[index]) & kLvtTimerMode)) timer_mode_changed();
  if (index == kLint0 || index == kLint1) evaluate_lint(index - kLint0, false);
  signal();
}

void Lapic::send_ipi() {
  ApicMessage m;
  const u64 icr = x2apic_mode() ? (u64(icr_high_) << 32 | icr_low_) : icr_low_;
  m.vector = u8(icr & kIcrVector);
  m.mode = DeliveryMode((icr >> kIcrDeliveryModeShift) & 7);
  m.logical = icr & kIcrLogical;
  m.assert = icr & kIcrAssert;
  m.level = icr & kIcrLevel;
  m.shorthand = Shorthand((icr >> kIcrShorthandShift) & 3);
  m.wide = x2apic_mode();
  m.destination = x2apic_mode() ? icr_high_ : icr_high_ >> 24;
  if ((m.mode == DeliveryMode::Fixed || m.mode == DeliveryMode::LowestPriority) && m.vector < 16)
    return error(kEsrSendIllegalVector);  // not sent (§10.5.3)
  if (m.mode == DeliveryMode::RemoteRead || m.mode == DeliveryMode::Smi) return;
  bus_.deliver(m, this);
}

bool Lapic::receive(const ApicMessage& m) {
  if (!enabled()) return false;
  switch (m.mode) {
    case DeliveryMode::Fixed:
    case DeliveryMode::LowestPriority:
      if (!accepts_fixed()) return false;
      if (m.vector < 16) {
        error(kEsrReceiveIllegalVector);
        return false;
      }
      accept_fixed(m.vector, m.level);
      return true;
    case DeliveryMode::Nmi:
      if (core_) core_->nmi();
      return true;
    case DeliveryMode::Init:
      // The INIT level de-assert message has no effect since the Pentium 4.
      if (m.level && !m.assert) return false;
      if (core_) core_->init();
      return true;
    case DeliveryMode::StartUp:
      if (core_) core_->startup(m.vector);
      return true;
    case DeliveryMode::ExtInt:
      extint_message_ = true;
      signal();
      return true;
    default:  // SMI (no SMM), remote read
      return false;
  }
}

bool Lapic::addressed_by(const ApicMessage& m) const {
  if (x2apic_mode()) {
    // An 8-bit destination's broadcast (FFh) is the x2APIC broadcast.
    const u32 dest = (!m.wide && m.destination == 0xff) ? 0xffffffff : m.destination;
    if (dest == 0xffffffff) return true;
    if (!m.logical) return dest == config_.apic_id;
    const u32 ldr = x2apic_ldr();
    return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff) != 0;
  }
  const u8 dest = u8(m.destination);
  if (dest == 0xff) return true;  // broadcast, physical and logical
  if (!m.logical) return dest == id_;
  const u8 ldr = u8(ldr_ >> 24);
  if ((dfr_ & kDfrModelMask) == kDfrModelMask) return (dest & ldr) != 0;  // flat model
  // Cluster model (§10.6.2.2): cluster in bits 7:4 (15: every cluster),
  // members in bits 3:0.
  return ((dest >> 4) == (ldr >> 4) || (dest >> 4) == 0xf) && (dest & ldr & 0xf) != 0;
}

// ---- register access ----

u64 Lapic::read_register(unsigned reg, bool x2apic) {
  switch (reg) {
    case kId:
      return x2apic ? config_.apic_id : u32(id_) << 24;
    case kVersion:
      return kVersionValue;
    case kTpr:
      return tpr_;
    case kApr:
      return arbitration_priority();
    case kPpr:
      return ppr();
    case kLdr:
      return x2apic ? x2apic_ldr() : ldr_;
    case kDfr:
      return dfr_;
    case kSvr:
      return svr_;
    case kEsr:
      return esr_;
    case kIcrLow:
      return x2apic ? (u64(icr_high_) << 32 | icr_low_) : icr_low_;
    case kIcrHigh:
      return icr_high_;
    case kInitialCount:
      return timer_mode() == TimerMode::TscDeadline ? 0 : initial_count_;
    case kCurrentCount:
      return current_count();
    case kDivideConfig:
      return divide_config_;
    default:
      break;
  }
  if (reg >= kIsr0 && reg < kIsr0 + 8) return isr_[reg - kIsr0];
  if (reg >= kTmr0 && reg < kTmr0 + 8) return tmr_[reg - kTmr0];
  if (reg >= kIrr0 && reg < kIrr0 + 8) return irr_[reg - kIrr0];
  if (reg >= kLvtTimer && reg <= kLvtError) return lvt_[reg - kLvtTimer];
  return 0;  // remote read: no remote read ever completes
}

void Lapic::write_register(unsigned reg, u64 value, bool x2apic) {
  switch (reg) {
    case kId:
      id_ = u8(value >> 24);
      return;
    case kTpr:
      return set_tpr(u8(value));
    case kEoi:
      return eoi();
    case kLdr:
      ldr_ = u32(value) & 0xff000000;
      return;
    case kDfr:
      dfr_ = u32(value) | ~kDfrModelMask;
      return;
    case kSvr:
      return write_svr(u32(value) & kSvrWritable);
    case kEsr:
      // A write makes the errors since the last write readable (§10.5.3).
      esr_ = errors_;
      errors_ = 0;
      return;
    case kIcrLow:
      if (x2apic) {
        icr_low_ = u32(value & kIcrX2apicWritable);
        icr_high_ = u32(value >> 32);
      } else {
        icr_low_ = u32(value) & kIcrLowWritable;
      }
      return send_ipi();
    case kIcrHigh:
      icr_high_ = u32(value) & 0xff000000;
      return;
    case kInitialCount:
      return write_initial_count(u32(value));
    case kDivideConfig:
      return write_divide_config(u32(value) & kDivideWritable);
    case kSelfIpi: {
      const u8 vector = u8(value);
      if (vector < 16) return error(kEsrSendIllegalVector);
      return accept_fixed(vector, false);
    }
    default:
      break;
  }
  if (reg >= kLvtTimer && reg <= kLvtError) write_lvt(reg - kLvtTimer, u32(value));
  // Everything else is read only: the write is ignored.
}

u64 Lapic::mmio_read(u64 offset, unsigned size) {
  const u64 open_bus = size >= 8 ? ~u64(0) : (u64(1) << (8 * size)) - 1;
  if (!xapic_mode()) return open_bus;
  const unsigned reg = unsigned(offset >> 4) & 0xff, byte = unsigned(offset & 0xf);
  const RegInfo* info = find_reg(reg);
  if (!info || info->xapic == Access::None) {
    error(kEsrIllegalRegister);
    return 0;
  }
  if (info->xapic == Access::WriteOnly || byte >= 4) return 0;
  const u64 value = u32(read_register(reg, false)) >> (8 * byte);
  return size >= 8 ? value : value & open_bus;
}

void Lapic::mmio_write(u64 offset, unsigned size, u64 value) {
  if (!xapic_mode()) return;
  const unsigned reg = unsigned(offset >> 4) & 0xff;
  const RegInfo* info = find_reg(reg);
  if (!info || info->xapic == Access::None) return error(kEsrIllegalRegister);
  // Only aligned 32-bit stores reach a register (§10.4.1).
  if (size != 4 || (offset & 0xf)) return;
  if (info->xapic == Access::ReadOnly) return;
  write_register(reg, u32(value), false);
}

bool Lapic::x2apic_read(u32 msr, u64& out) {
  if (!x2apic_mode() || msr < 0x800 || msr > 0x8ff) return false;
  const RegInfo* info = find_reg(msr - 0x800);
  if (!info || info->x2apic == Access::None || info->x2apic == Access::WriteOnly) return false;
  out = read_register(msr - 0x800, true);
  return true;
}

bool Lapic::x2apic_write(u32 msr, u64 value) {
  if (!x2apic_mode() || msr < 0x800 || msr > 0x8ff) return false;
  const RegInfo* info = find_reg(msr - 0x800);
  if (!info || info->x2apic == Access::None || info->x2apic == Access::ReadOnly) return false;
  if (value & ~info->x2apic_writable) return false;  // reserved bits (§10.12.1.3)
  write_register(msr - 0x800, value, true);
  return true;
}

LapicView Lapic::view() const {
  LapicView v;
  v.enabled = enabled();
  v.x2apic = x2apic_mode();
  v.software_enabled = software_enabled();
  v.apic_base = apic_base_;
  v.id = x2apic_mode() ? config_.apic_id : u32(id_) << 24;
  v.tpr = tpr_;
  v.ppr = ppr();
  v.apr = arbitration_priority();
  v.ldr = x2apic_mode() ? x2apic_ldr() : ldr_;
  v.dfr = dfr_;
  v.svr = svr_;
  v.esr = esr_;
  v.pending_errors = errors_;
  v.irr = irr_;
  v.isr = isr_;
  v.tmr = tmr_;
  v.icr = u64(icr_high_) << 32 | icr_low_;
  for (unsigned i = 0; i < kLvtCount; ++i) v.lvt[i] = lvt_[i];
  v.initial_count = timer_mode() == TimerMode::TscDeadline ? 0 : initial_count_;
  v.current_count = current_count();
  v.divide_config = divide_config_;
  v.tsc_deadline = tsc_deadline();
  v.lint[0] = lint_level_[0];
  v.lint[1] = lint_level_[1];
  v.extint_pending = extint_pending();
  v.next_timer_tick = timer_event_tick_;
  v.delivered = delivered_;
  return v;
}

void Lapic::serialize(Serializer& s) {
  s(apic_base_);
  s(id_);
  s(tpr_);
  s(ldr_);
  s(dfr_);
  s(svr_);
  s(irr_);
  s(isr_);
  s(tmr_);
  s(esr_);
  s(errors_);
  s(icr_low_);
  s(icr_high_);
  s(lvt_);
  s.flag(lint_level_[0]);
  s.flag(lint_level_[1]);
  s.flag(extint_message_);
  s(delivered_);
  s(initial_count_);
  s(divide_config_);
  s.flag(counting_);
  s(period_start_);
  s(tsc_deadline_);
  if (s.saving()) return;
  // Clamp what a damaged snapshot could hold out of range.
  svr_ &= kSvrWritable;
  divide_config_ &= kDivideWritable;
  dfr_ |= ~kDfrModelMask;
  if (initial_count_ == 0) counting_ = false;
  in_error_ = false;
  arm_timer_event();
  signal();
}

}  // namespace vtlab

#include "devices/pci/lpc/ich9_lpc.h"

namespace vtlab {

using namespace pci;

namespace {

// PIRQx_ROUT bits 3:0 that name an ISA IRQ (ICH9: IRQ 3-7, 9-12, 14, 15).
constexpr bool routable_irq(unsigned irq) {
  return (irq >= 3 && irq <= 7) || (irq >= 9 && irq <= 12) || irq == 14 || irq == 15;
}

// SCI_IRQ_SEL: where the SCI goes; 0 for the reserved code.
constexpr unsigned kSciTargets[8] = {9, 10, 11, 0, 20, 21, 22, 23};

}  // namespace

Ich9Lpc::Ich9Lpc() : PciDevice("ICH9 LPC bridge") {
  sci_input_.lpc = this;
  set_identity(kVendor, kDevice, kRevision, kClassIsaBridge, kHeaderMultiFunction);
  set_command_bits(cmd::kParityErrorResponse | cmd::kSerr, cmd::kIoSpace | cmd::kMemorySpace | cmd::kBusMaster);
  set_status_bits(sts::kDevselMedium, sts::kErrorBits);
  add_capability(kFdcap, cap::kVendorSpecific, 0x0c);
  cfg().init8(kFdcap + 2, 0x0c);  // length
  cfg().init8(kFdcap + 3, 0x01);  // version
  // Register, power-on value, size, write mask (ICH9 datasheet, D31:F0).
  struct Reg {
    u16 offset;
    u32 value;
    unsigned size;
    u32 writable;
  };
  static constexpr Reg kRegs[] = {
      {kPmBase, 0x00000001, 4, 0x0000ff80},
      {kAcpiCntl, 0x00, 1, 0x87},
      {kGpioBase, 0x00000001, 4, 0x0000ffc0},
      {kGpioCntl, 0x00, 1, 0x10},
      {kPirqARout, 0x80808080, 4, 0x8f8f8f8f},
      {kSirqCntl, 0x10, 1, 0xc3},
      {kPirqERout, 0x80808080, 4, 0x8f8f8f8f},
      {kLpcIoDec, 0x0000, 2, 0x1377},
      {kLpcEn, 0x0000, 2, 0x3f0f},
      {kGen1Dec, 0, 4, 0x00fcfffd},
      {kGen1Dec + 4, 0, 4, 0x00fcfffd},
      {kGen1Dec + 8, 0, 4, 0x00fcfffd},
      {kGen1Dec + 12, 0, 4, 0x00fcfffd},
  };
  for (const Reg& r : kRegs) {
    for (unsigned i = 0; i < r.size; ++i) cfg().init8(u16(r.offset + i), u8(r.value >> (8 * i)));
    cfg().set_writable(r.offset, r.size, r.writable);
  }
}

// A line is driven only when the bridge's output on it changes, so it never
// pulls down a line another device holds up (the 8259 inputs are shared
// with the ISA devices).
void Ich9Lpc::set_isa_lines(const std::array<IrqLine*, kIsaIrqs>& lines) {
  isa_lines_ = lines;
  for (unsigned i = 0; i < kIsaIrqs; ++i)
    if (isa_lines_[i] && isa_level_[i]) isa_lines_[i]->set_level(true);
}

void Ich9Lpc::set_ioapic_lines(const std::array<IrqLine*, kPirqs>& lines) {
  ioapic_lines_ = lines;
  for (unsigned i = 0; i < kPirqs; ++i)
    if (ioapic_lines_[i] && ioapic_level_[i]) ioapic_lines_[i]->set_level(true);
}

std::optional<u16> Ich9Lpc::pm_decode() const {
  if (!(config().byte(kAcpiCntl) & kAcpiEn)) return std::nullopt;
  return u16(config().dword(kPmBase) & 0xff80);
}

std::optional<unsigned> Ich9Lpc::pirq_route(unsigned pirq) const {
  const u8 r = config().byte(pirq_register(pirq));
  if ((r & kIrqEn) || !routable_irq(r & 0xf)) return std::nullopt;
  return r & 0xf;
}

std::optional<unsigned> Ich9Lpc::sci_route() const {
  const unsigned t = kSciTargets[config().byte(kAcpiCntl) & kSciIrqSelMask];
  if (!t) return std::nullopt;
  return t;
}

void Ich9Lpc::set_pirq(unsigned pirq, bool asserted) {
  if (pirq >= kPirqs || pirq_[pirq] == asserted) return;
  pirq_[pirq] = asserted;
  update_irqs();
}

void Ich9Lpc::SciInput::set_level(bool high) {
  if (lpc->sci_ == high) return;
  lpc->sci_ = high;
  lpc->update_irqs();
}

void Ich9Lpc::update_irqs() {
  std::array<bool, kIsaIrqs> isa{};
  std::array<bool, kPirqs> ioapic{};
  for (unsigned p = 0; p < kPirqs; ++p) {
    if (!pirq_[p]) continue;
    ioapic[p] = true;
    if (std::optional<unsigned> irq = pirq_route(p)) isa[*irq] = true;
  }
  if (std::optional<unsigned> t = sci_route(); t && sci_) {
    if (*t < kIsaIrqs)
      isa[*t] = true;
    else
      ioapic[*t - kIoApicFirstGsi] = true;
  }
  for (unsigned i = 0; i < kIsaIrqs; ++i) {
    if (isa[i] == isa_level_[i]) continue;
    isa_level_[i] = isa[i];
    if (isa_lines_[i]) isa_lines_[i]->set_level(isa[i]);
  }
  for (unsigned i = 0; i < kPirqs; ++i) {
    if (ioapic[i] == ioapic_level_[i]) continue;
    ioapic_level_[i] = ioapic[i];
    if (ioapic_lines_[i]) ioapic_lines_[i]->set_level(ioapic[i]);
  }
}

void Ich9Lpc::update_pm_decode() {
  const std::optional<u16> now = pm_decode();
  if (now == pm_decode_) return;
  pm_decode_ = now;
  if (on_pm_decode) on_pm_decode(now);
}

void Ich9Lpc::after_write(u16 offset, unsigned size) {
  const auto touches = [&](u16 first, unsigned count) { return offset < first + count && first < offset + size; };
  if (touches(kPmBase, 2) || touches(kAcpiCntl, 1)) update_pm_decode();
  if (touches(kAcpiCntl, 1) || touches(kPirqARout, 4) || touches(kPirqERout, 4)) update_irqs();
}

void Ich9Lpc::device_reset() {
  update_pm_decode();
  update_irqs();
}

// Every read-only bit of D31:F0 is a constant. The decode the loaded
// registers give is announced whatever it was before, so the ACPI block
// follows a snapshot; the outputs change where the loaded routes change
// them. (The inputs, PIRQs and the SCI, are not saved: their sources drive
// them again.)
void Ich9Lpc::after_load() {
  cfg().restore_read_only(reg::kDeviceSpecific, PciConfigSpace::kSize - reg::kDeviceSpecific);
  pm_decode_ = pm_decode();
  if (on_pm_decode) on_pm_decode(pm_decode_);
  update_irqs();
}

}  // namespace vtlab

#include "devices/pci/pci_device.h"

#include "core/base/error.h"
#include "devices/pci/pci_bus.h"

namespace vtlab {

using namespace pci;

u32 PciDevice::config_read(u16 offset, unsigned size) { return read_hook(offset, size, cfg_.read(offset, size)); }

void PciDevice::config_write(u16 offset, unsigned size, u32 value) {
  const u16 old_command = cfg_.word(reg::kCommand);
  cfg_.write(offset, size, value);
  const u16 changed = old_command ^ cfg_.word(reg::kCommand);
  if (bus_) {
    if ((changed & (cmd::kIoSpace | cmd::kMemorySpace)) || touches(offset, size, reg::kBar0, 4 * reg::kBarCount))
      bus_->decode_changed(*this);
    if (changed & cmd::kInterruptDisable) bus_->intx_changed();
  }
  after_write(offset, size);
}

void PciDevice::reset() {
  cfg_.restore_power_on();
  intx_ = false;
  device_reset();
  if (bus_) {
    bus_->decode_changed(*this);
    bus_->intx_changed();
  }
}

void PciDevice::serialize(Serializer& s) {
  cfg_.serialize(s);
  s.flag(intx_);
  device_serialize(s);
  if (s.saving()) return;
  // The standard header's read-only bits are constants but for Status bit
  // 3, which is the pin's state.
  cfg_.restore_read_only(0, reg::kDeviceSpecific);
  const u16 status = cfg_.word(reg::kStatus);
  cfg_.init16(reg::kStatus, intx_ ? u16(status | sts::kInterrupt) : u16(status & ~sts::kInterrupt));
}

u16 PciDevice::requester_id() const { return pci::requester_id(bus_ ? bus_->number() : 0, devfn_); }

u64 PciDevice::bar_address(unsigned index) const {
  const u32 low = cfg_.dword(u16(reg::kBar0 + 4 * index));
  switch (bars_[index].kind) {
    case BarKind::Io:
      return low & bar::kIoAddressMask;
    case BarKind::Mem32:
      return low & bar::kMemAddressMask;
    case BarKind::Mem64:
      return (low & bar::kMemAddressMask) | u64(cfg_.dword(u16(reg::kBar0 + 4 * index + 4))) << 32;
    case BarKind::None:
      break;
  }
  return 0;
}

bool PciDevice::intx_output() const {
  return intx_ && interrupt_pin() >= 1 && interrupt_pin() <= 4 && !(cfg_.word(reg::kCommand) & cmd::kInterruptDisable);
}

void PciDevice::set_identity(u16 vendor, u16 device, u8 revision, u32 class_code, u8 header_type) {
  cfg_.init16(reg::kVendorId, vendor);
  cfg_.init16(reg::kDeviceId, device);
  cfg_.init8(reg::kRevisionId, revision);
  cfg_.init8(reg::kProgIf, u8(class_code));
  cfg_.init8(reg::kSubclass, u8(class_code >> 8));
  cfg_.init8(reg::kClassCode, u8(class_code >> 16));
  cfg_.init8(reg::kHeaderType, header_type);
}

void PciDevice::set_command_bits(u16 writable, u16 fixed_ones) {
  cfg_.init16(reg::kCommand, fixed_ones);
  cfg_.set_writable(reg::kCommand, 2, writable & ~fixed_ones);
}

void PciDevice::set_status_bits(u16 fixed, u16 error_bits) {
  cfg_.init16(reg::kStatus, u16((cfg_.word(reg::kStatus) & sts::kCapabilitiesList) | fixed));
  cfg_.set_write_clear(reg::kStatus, 2, error_bits & sts::kErrorBits);
}

void PciDevice::declare_bar(unsigned index, const PciBarSpec& spec) {
  const bool io = spec.kind == BarKind::Io;
  const bool pow2 = spec.size && !(spec.size & (spec.size - 1));
  if (index >= reg::kBarCount || spec.kind == BarKind::None ||
      (spec.kind == BarKind::Mem64 && index + 1 >= reg::kBarCount))
    throw Error(name_ + ": BAR " + std::to_string(index) + " does not fit the header");
  if (!pow2 || (io && (spec.size < 4 || spec.size > 256)) || (!io && spec.size < 16) ||
      (spec.kind == BarKind::Mem32 && spec.size > (u64(1) << 31)))
    throw Error(name_ + ": BAR " + std::to_string(index) + " has a size PCI does not allow");
  if ((io && !spec.io) || (!io && !spec.mmio)) throw Error(name_ + ": BAR " + std::to_string(index) + " has no target");
  const bool wide = spec.kind == BarKind::Mem64;
  for (unsigned i = index; i <= index + (wide ? 1 : 0); ++i)
    if (bars_[i].kind != BarKind::None || (i > 0 && bars_[i - 1].kind == BarKind::Mem64))
      throw Error(name_ + ": BAR " + std::to_string(i) + " declared twice");
  bars_[index] = spec;
  const u16 at = u16(reg::kBar0 + 4 * index);
  // The address bits below the size read 0 whatever is written: the sizing
  // protocol (PCI 3.0 §6.2.5.1) reads them back as the size mask.
  const u32 size_mask = ~u32(spec.size - 1);
  if (io) {
    cfg_.init32(at, bar::kIo);
    cfg_.set_writable(at, 4, size_mask & bar::kIoAddressMask);
  } else {
    cfg_.init32(at, (wide ? bar::kMem64 : 0) | (spec.prefetchable ? bar::kPrefetchable : 0));
    cfg_.set_writable(at, 4, size_mask & bar::kMemAddressMask);
    if (wide) cfg_.set_writable(u16(at + 4), 4, ~u32((spec.size - 1) >> 32));
  }
}

void PciDevice::set_interrupt_pin(u8 pin) {
  if (pin < 1 || pin > 4) throw Error(name_ + ": interrupt pin must be 1-4 (INTA#-INTD#)");
  cfg_.init8(reg::kInterruptPin, pin);
  cfg_.set_writable(reg::kInterruptLine, 1, 0xff);
}

void PciDevice::set_intx(bool asserted) {
  if (interrupt_pin() < 1 || interrupt_pin() > 4 || asserted == intx_) return;
  intx_ = asserted;
  const u16 status = cfg_.word(reg::kStatus);
  cfg_.init16(reg::kStatus, asserted ? u16(status | sts::kInterrupt) : u16(status & ~sts::kInterrupt));
  if (bus_) bus_->intx_changed();
}

bool PciDevice::dma_read(u64 addr, void* dst, u64 len) {
  DmaPort* port = bus_ ? bus_->dma() : nullptr;
  if (!port || !(cfg_.word(reg::kCommand) & cmd::kBusMaster)) return false;
  if (port->dma_read(requester_id(), addr, dst, len)) return true;
  note_master_abort();
  return false;
}

bool PciDevice::dma_write(u64 addr, const void* src, u64 len) {
  DmaPort* port = bus_ ? bus_->dma() : nullptr;
  if (!port || !(cfg_.word(reg::kCommand) & cmd::kBusMaster)) return false;
  if (port->dma_write(requester_id(), addr, src, len)) return true;
  note_master_abort();
  return false;
}

// A transfer the DmaPort refused ended in a master abort: Received Master
// Abort (status bit 13, PCI 3.0 §6.2.3), if the function implements it.
void PciDevice::note_master_abort() {
  if (cfg_.write_clear(reg::kStatus, 2) & sts::kReceivedMasterAbort)
    cfg_.init16(reg::kStatus, u16(cfg_.word(reg::kStatus) | sts::kReceivedMasterAbort));
}

}  // namespace vtlab

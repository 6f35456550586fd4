#include "devices/pci/pci_bus.h"

#include <algorithm>

#include "core/base/error.h"

namespace vtlab {

using namespace pci;

namespace {

constexpr u32 all_ones(unsigned size) { return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1; }

}  // namespace

PciBus::PciBus(PortBus& ports, DmaPort* dma, u64 memory_base, u64 memory_size, u8 number)
    : ports_(ports), dma_(dma), number_(number) {
  window_.bus = this;
  window_.base = memory_base;
  window_.size = memory_size;
}

void PciBus::add(unsigned device, unsigned function, PciDevice& dev) {
  if (device >= kDevicesPerBus || function >= kFunctionsPerDevice) throw Error("PCI address out of range");
  const u8 df = devfn(device, function);
  const std::string where = std::to_string(device) + "." + std::to_string(function);
  if (fns_[df]) throw Error("PCI slot " + where + " is taken by " + fns_[df]->name());
  if (dev.bus_) throw Error(dev.name() + " is already on a PCI bus");
  if (function > 0) {
    const PciDevice* f0 = fns_[devfn(device, 0)];
    if (!f0 || !(f0->config().byte(reg::kHeaderType) & kHeaderMultiFunction))
      throw Error("PCI function " + where + " needs a multi-function function 0");
  }
  dev.bus_ = this;
  dev.devfn_ = df;
  dev.cfg_.save_power_on();
  fns_[df] = &dev;
  decode_changed(dev);
  intx_changed();
}

u32 PciBus::config_read(u8 bus, u8 devfn, u16 offset, unsigned size) {
  PciDevice* dev = bus == number_ ? fns_[devfn] : nullptr;
  if (!dev) return all_ones(size);
  return dev->config_read(offset, size) & all_ones(size);
}

void PciBus::config_write(u8 bus, u8 devfn, u16 offset, unsigned size, u32 value) {
  if (PciDevice* dev = bus == number_ ? fns_[devfn] : nullptr) dev->config_write(offset, size, value & all_ones(size));
}

void PciBus::decode_changed(PciDevice& dev) {
  // Release what the function decoded, then derive it again.
  for (const Decode& d : decodes_)
    if (d.dev == &dev && d.io) ports_.detach(u16(d.base), unsigned(d.size), dev.bars_[d.bar].io);
  std::erase_if(decodes_, [&](const Decode& d) { return d.dev == &dev; });
  const u16 command = dev.cfg_.word(reg::kCommand);
  for (unsigned i = 0; i < reg::kBarCount; ++i) {
    const PciBarSpec& spec = dev.bars_[i];
    const u64 base = dev.bar_address(i);
    if (spec.kind == BarKind::Io) {
      // x86 I/O space is 64 KiB: a range beyond it decodes nothing.
      if (!(command & cmd::kIoSpace) || base + spec.size > 0x10000) continue;
      ports_.attach_free(u16(base), unsigned(spec.size), spec.io, dev.name() + " BAR" + std::to_string(i));
      decodes_.push_back({true, base, spec.size, &dev, i});
    } else if (spec.kind == BarKind::Mem32 || spec.kind == BarKind::Mem64) {
      const bool inside = base >= window_.base && base - window_.base <= window_.size &&
                          spec.size <= window_.size - (base - window_.base);
      if (!(command & cmd::kMemorySpace) || !inside) continue;
      decodes_.push_back({false, base, spec.size, &dev, i});
    }
  }
  std::sort(decodes_.begin(), decodes_.end(), [](const Decode& a, const Decode& b) {
    return a.dev->devfn_ != b.dev->devfn_ ? a.dev->devfn_ < b.dev->devfn_ : a.bar < b.bar;
  });
}

void PciBus::set_pirq_router(PirqRouter* router) {
  router_ = router;
  if (router_)
    for (unsigned p = 0; p < kPirqsFromSlots; ++p) router_->set_pirq(p, pirq_level_[p]);
}

void PciBus::intx_changed() {
  std::array<bool, kPirqsFromSlots> level{};
  for (unsigned df = 0; df < fns_.size(); ++df)
    if (const PciDevice* dev = fns_[df]; dev && dev->intx_output())
      level[pirq_of(device_of(u8(df)), dev->interrupt_pin())] = true;
  for (unsigned p = 0; p < kPirqsFromSlots; ++p) {
    if (level[p] == pirq_level_[p]) continue;
    pirq_level_[p] = level[p];
    if (router_) router_->set_pirq(p, level[p]);
  }
}

void PciBus::reset() {
  for (PciDevice* dev : fns_)
    if (dev) dev->reset();
}

void PciBus::serialize(Serializer& s) {
  for (PciDevice* dev : fns_)
    if (dev) dev->serialize(s);
  if (s.saving()) return;
  for (PciDevice* dev : fns_)
    if (dev) {
      decode_changed(*dev);
      dev->after_load();
    }
  intx_changed();
  // The router's inputs are not part of its snapshot: drive them all.
  if (router_)
    for (unsigned p = 0; p < kPirqsFromSlots; ++p) router_->set_pirq(p, pirq_level_[p]);
}

const PciBus::Decode* PciBus::memory_decode(u64 addr) const {
  for (const Decode& d : decodes_)
    if (!d.io && addr - d.base < d.size) return &d;
  return nullptr;
}

// An access that one BAR holds whole goes to its device in one piece; one
// that straddles a BAR's edge goes byte by byte. (A BAR is at least 16
// bytes and an access at most 8, so an access that touches no BAR at
// either end touches none.) Nothing decoded is open bus: all ones.
u64 PciBus::window_read(u64 addr, unsigned size) {
  const Decode* first = memory_decode(addr);
  const Decode* last = memory_decode(addr + size - 1);
  if (first && first == last) return first->dev->bars_[first->bar].mmio->mmio_read(addr - first->base, size);
  if (!first && !last) {
    if (log_->on(LogCategory::GuestErrors)) log_unclaimed_access(*log_, "MMIO address", addr, size, std::nullopt);
    return size >= 8 ? ~u64(0) : (u64(1) << (8 * size)) - 1;
  }
  u64 v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const Decode* d = memory_decode(addr + i);
    const u64 byte = d ? d->dev->bars_[d->bar].mmio->mmio_read(addr + i - d->base, 1) & 0xff : 0xff;
    v |= byte << (8 * i);
  }
  return v;
}

void PciBus::window_write(u64 addr, unsigned size, u64 value) {
  const Decode* first = memory_decode(addr);
  const Decode* last = memory_decode(addr + size - 1);
  if (first && first == last) return first->dev->bars_[first->bar].mmio->mmio_write(addr - first->base, size, value);
  if (!first && !last) {
    if (log_->on(LogCategory::GuestErrors)) log_unclaimed_access(*log_, "MMIO address", addr, size, value);
    return;
  }
  for (unsigned i = 0; i < size; ++i)
    if (const Decode* d = memory_decode(addr + i))
      d->dev->bars_[d->bar].mmio->mmio_write(addr + i - d->base, 1, (value >> (8 * i)) & 0xff);
}

u64 PciBus::Window::mmio_read(u64 offset, unsigned size) { return bus->window_read(base + offset, size); }
void PciBus::Window::mmio_write(u64 offset, unsigned size, u64 value) { bus->window_write(base + offset, size, value); }

}  // namespace vtlab

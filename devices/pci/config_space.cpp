#include "devices/pci/config_space.h"

#include "core/base/error.h"

namespace vtlab {

void PciConfigSpace::write(u16 offset, unsigned size, u32 value) {
  for (unsigned i = 0; i < size; ++i) {
    const u16 at = u16(offset + i);
    const u8 v = u8(value >> (8 * i));
    bytes_[at] = u8((bytes_[at] & ~wmask_[at]) | (v & wmask_[at]));
    bytes_[at] &= u8(~(v & w1c_[at]));
  }
}

std::vector<u8> PciConfigSpace::capabilities() const {
  std::vector<u8> list;
  if (!(word(pci::reg::kStatus) & pci::sts::kCapabilitiesList)) return list;
  // The bottom two bits of every pointer are reserved (PCI 3.0 §6.7).
  u8 at = bytes_[pci::reg::kCapabilitiesPtr] & ~3u;
  while (at >= pci::reg::kDeviceSpecific && list.size() < (pci::kConfigSize - pci::reg::kDeviceSpecific) / 4) {
    for (u8 seen : list)
      if (seen == at) return list;
    list.push_back(at);
    at = bytes_[at + 1] & ~3u;
  }
  return list;
}

void PciConfigSpace::add_capability(u8 offset, u8 id, u8 length) {
  if (offset < pci::reg::kDeviceSpecific || (offset & 3) || length < 2 || offset + length > pci::kConfigSize)
    throw Error("PCI capability placed outside [0x40, 0x100) or not dword aligned");
  for (const auto& [at, len] : capability_extents_)
    if (offset < at + len && at < offset + length) throw Error("PCI capability overlaps another");
  const std::vector<u8> list = capabilities();
  bytes_[offset] = id;
  bytes_[offset + 1] = 0;
  if (list.empty())
    bytes_[pci::reg::kCapabilitiesPtr] = offset;
  else
    bytes_[list.back() + 1] = offset;
  init16(pci::reg::kStatus, u16(word(pci::reg::kStatus) | pci::sts::kCapabilitiesList));
  capability_extents_.emplace_back(offset, length);
}

}  // namespace vtlab

#include "devices/pci/host_bridge/config_ports.h"

#include <algorithm>

namespace vtlab {

void PciConfigPorts::attach() {
  ports_.attach(kAddressPort, 1, this, "PCI CONFIG_ADDRESS (0xcf8)");
  ports_.attach(kAddressPort + 2, 2, this, "PCI CONFIG_ADDRESS (0xcf8)");
  ports_.attach(kDataPort, 4, this, "PCI CONFIG_DATA (0xcfc)");
}

u8 PciConfigPorts::pass_read(u16 port) { return ports_.owner(port) == this ? 0xff : u8(ports_.read(port, 1)); }

void PciConfigPorts::pass_write(u16 port, u8 value) {
  if (ports_.owner(port) != this) ports_.write(port, 1, value);
}

// An access is cut into its lanes: 0xcf8-0xcfb pass through byte by byte,
// 0xcfc-0xcff are one configuration access, bytes past 0xcff go to the bus.
u32 PciConfigPorts::port_read(u16 port, unsigned size) {
  if (port == kAddressPort && size == 4) return address_;
  u32 value = 0;
  for (unsigned i = 0; i < size;) {
    const u16 p = u16(port + i);
    if (p >= kDataPort && p < kDataPort + 4) {
      const unsigned n = std::min<unsigned>(size - i, kDataPort + 4 - p);
      const u32 mask = n >= 4 ? ~0u : (1u << (8 * n)) - 1;
      const u32 lanes = enabled() ? pci_.config_read(bus(), devfn(), u16(reg() + p - kDataPort), n) : mask;
      value |= (lanes & mask) << (8 * i);
      i += n;
    } else {
      value |= u32(pass_read(p)) << (8 * i);
      ++i;
    }
  }
  return value;
}

void PciConfigPorts::port_write(u16 port, unsigned size, u32 value) {
  if (port == kAddressPort && size == 4) {
    address_ = value & kAddressMask;
    return;
  }
  for (unsigned i = 0; i < size;) {
    const u16 p = u16(port + i);
    if (p >= kDataPort && p < kDataPort + 4) {
      const unsigned n = std::min<unsigned>(size - i, kDataPort + 4 - p);
      if (enabled()) pci_.config_write(bus(), devfn(), u16(reg() + p - kDataPort), n, value >> (8 * i));
      i += n;
    } else {
      pass_write(p, u8(value >> (8 * i)));
      ++i;
    }
  }
}

void PciConfigPorts::serialize(Serializer& s) {
  s(address_);
  if (!s.saving()) address_ &= kAddressMask;
}

}  // namespace vtlab

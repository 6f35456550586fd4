#include "devices/pci/host_bridge/ecam.h"

#include <algorithm>

namespace vtlab {

namespace {

struct EcamTarget {
  u8 bus, devfn;
  u16 reg;
};

EcamTarget decode(u64 offset, u8 first_bus) {
  return {u8(first_bus + (offset >> 20)), u8(offset >> 12), u16(offset & 0xfff)};
}

}  // namespace

u64 PciEcam::mmio_read(u64 offset, unsigned size) {
  u64 value = 0;
  for (unsigned i = 0; i < size;) {
    const u64 at = offset + i;
    const unsigned n = std::min<unsigned>(size - i, 4 - unsigned(at & 3));
    const EcamTarget t = decode(at, first_bus_);
    value |= u64(pci_.config_read(t.bus, t.devfn, t.reg, n)) << (8 * i);
    i += n;
  }
  return value;
}

void PciEcam::mmio_write(u64 offset, unsigned size, u64 value) {
  for (unsigned i = 0; i < size;) {
    const u64 at = offset + i;
    const unsigned n = std::min<unsigned>(size - i, 4 - unsigned(at & 3));
    const EcamTarget t = decode(at, first_bus_);
    pci_.config_write(t.bus, t.devfn, t.reg, n, u32(value >> (8 * i)));
    i += n;
  }
}

}  // namespace vtlab

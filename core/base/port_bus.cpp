#include "core/base/port_bus.h"

#include <vector>

#include "core/base/error.h"

namespace vtlab {

PortBus::PortBus() { names_.emplace_back("(none)"); }

// Names are shared: decoders that move (attach_free/detach) reuse theirs.
u8 PortBus::name_index(const std::string& name) {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return u8(i);
  if (names_.size() > 255) throw Error("more than 255 port owner names");
  names_.push_back(name);
  return u8(names_.size() - 1);
}

void PortBus::attach(u16 first, unsigned count, PortDevice* dev, std::string name) {
  if (u32(first) + count > 65536) throw Error("port range of " + name + " exceeds 0xffff");
  const u8 idx = name_index(name);
  for (unsigned i = 0; i < count; ++i) {
    if (devs_[first + i]) throw Error("port " + std::to_string(first + i) + " claimed twice");
    devs_[first + i] = dev;
    name_idx_[first + i] = idx;
  }
}

unsigned PortBus::attach_free(u16 first, unsigned count, PortDevice* dev, const std::string& name) {
  const u8 idx = name_index(name);
  unsigned claimed = 0;
  for (u32 p = first; p < u32(first) + count && p < 65536; ++p) {
    if (devs_[p]) continue;
    devs_[p] = dev;
    name_idx_[p] = idx;
    ++claimed;
  }
  return claimed;
}

void PortBus::detach(u16 first, unsigned count, const PortDevice* dev) {
  for (u32 p = first; p < u32(first) + count && p < 65536; ++p) {
    if (devs_[p] != dev) continue;
    devs_[p] = nullptr;
    name_idx_[p] = 0;
  }
}

u32 PortBus::read(u16 port, unsigned size) {
  if (PortDevice* d = devs_[port]) return d->port_read(port, size);
  if (log_->on(LogCategory::GuestErrors)) log_unclaimed_access(*log_, "port", port, size, std::nullopt);
  return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

void PortBus::write(u16 port, unsigned size, u32 value) {
  if (PortDevice* d = devs_[port]) return d->port_write(port, size, value);
  if (log_->on(LogCategory::GuestErrors)) log_unclaimed_access(*log_, "port", port, size, value);
}

const char* PortBus::owner_name(u16 port) const { return names_[name_idx_[port]].c_str(); }

}  // namespace vtlab

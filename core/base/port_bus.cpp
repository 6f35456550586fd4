#include "core/base/port_bus.h"

#include <vector>

#include "core/base/error.h"

namespace vtlab {

PortBus::PortBus() { names_.emplace_back("(none)"); }

void PortBus::attach(u16 first, unsigned count, PortDevice* dev, std::string name) {
  if (u32(first) + count > 65536) throw Error("port range of " + name + " exceeds 0xffff");
  names_.push_back(std::move(name));
  for (unsigned i = 0; i < count; ++i) {
    if (devs_[first + i]) throw Error("port " + std::to_string(first + i) + " claimed twice");
    devs_[first + i] = dev;
    name_idx_[first + i] = u8(names_.size() - 1);
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

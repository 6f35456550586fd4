// I/O-port dispatch: 64K ports, each owned by at most one device.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/base/io.h"
#include "core/base/log.h"

namespace vtlab {

class PortBus {
 public:
  PortBus();
  // Registers ports [first, first+count). Overlap with another device is a
  // programming error and throws vtlab::Error.
  void attach(u16 first, unsigned count, PortDevice* dev, std::string name);
  // For decoders the guest programs (PCI BARs, ICH9 PMBASE): claims the
  // ports of [first, first+count) that no device owns yet and returns how
  // many it claimed. A port another device owns stays that device's (on a
  // PC two decoders of one port are a configuration error with undefined
  // results; here the one already there keeps it).
  unsigned attach_free(u16 first, unsigned count, PortDevice* dev, const std::string& name);
  // Releases the ports of [first, first+count) that `dev` owns.
  void detach(u16 first, unsigned count, const PortDevice* dev);
  PortDevice* owner(u16 port) const { return devs_[port]; }

  // Unclaimed ports read as all ones and ignore writes, as on a PC.
  u32 read(u16 port, unsigned size);
  void write(u16 port, unsigned size, u32 value);

  const char* owner_name(u16 port) const;

  // Unclaimed accesses are logged under guest-errors.
  void set_log(Log& log) { log_ = &log; }

 private:
  std::array<PortDevice*, 65536> devs_{};
  u8 name_index(const std::string& name);

  std::array<u8, 65536> name_idx_{};
  std::vector<std::string> names_;
  Log* log_ = &Log::off();
};

}  // namespace vtlab

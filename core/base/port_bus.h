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

  // Unclaimed ports read as all ones and ignore writes, as on a PC.
  u32 read(u16 port, unsigned size);
  void write(u16 port, unsigned size, u32 value);

  const char* owner_name(u16 port) const;

  // Unclaimed accesses are logged under guest-errors.
  void set_log(Log& log) { log_ = &log; }

 private:
  std::array<PortDevice*, 65536> devs_{};
  std::array<u8, 65536> name_idx_{};
  std::vector<std::string> names_;
  Log* log_ = &Log::off();
};

}  // namespace vtlab

// Everything that reaches the guest from outside passes through an
// InputSource (DESIGN: live / record / replay). Devices ask for input only
// at deterministic points (scheduler events), so a file-fed run is exactly
// repeatable; record/replay of live input builds on this interface.
#pragma once
#include <optional>
#include <string>

#include "core/base/types.h"

namespace vtlab {

class ByteInput {
 public:
  virtual ~ByteInput() = default;
  // The next byte if one is available now; never blocks.
  virtual std::optional<u8> poll() = 0;
  // Why the host side stopped working (a read error), or empty. The machine
  // ends the run with this message when it is set.
  virtual std::string failure() const { return {}; }
};

}  // namespace vtlab

// Everything that reaches the guest from outside passes through an
// InputSource (DESIGN: live / record / replay). Devices ask for input only
// at deterministic points (scheduler events), so a file-fed run is exactly
// repeatable; record/replay of live input builds on this interface.
#pragma once
#include <optional>
#include <string>

#include "core/base/types.h"

namespace vtlab {

class Scheduler;

class ByteInput {
 public:
  virtual ~ByteInput() = default;
  // The next byte if one is available now; never blocks.
  virtual std::optional<u8> poll() = 0;
  // Why the host side stopped working (a read error), or empty. The machine
  // ends the run with this message when it is set.
  virtual std::string failure() const { return {}; }
  // True once no byte will ever come again (end of a file, stdin closed):
  // the UART stops polling, so a guest halted with nothing else to wake it
  // ends the run instead of waiting for ever.
  virtual bool exhausted() const { return false; }
  // Input that is released at given virtual times (a keystroke script) needs
  // the machine's clock; the machine calls this once, before the run.
  virtual void bind_clock(const Scheduler&) {}
};

// The host's wall clock, as the guest may see it: read once, when the machine
// is built, to seed the RTC (seconds since 1970-01-01 00:00:00 UTC). Live,
// fixed and (later) recorded/replayed implementations are in
// core/base/wall_clock.h; nothing else in vtlab reads host time for the guest.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual i64 unix_seconds() = 0;
};

}  // namespace vtlab

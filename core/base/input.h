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

// Random numbers for the guest (RDRAND, RDSEED) come through an
// EntropySource. The default source is deterministic: a 64-bit generator
// seeded by a constant (or a seed the Machine is given), so two runs of the
// same image read the same numbers. A live source (host randomness) must be
// recorded for replay.
class EntropySource {
 public:
  virtual ~EntropySource() = default;
  // The next 64 random bits; false if none are available now (the
  // instruction then reports CF=0, as hardware does when its entropy
  // pool is drained).
  virtual bool next(u64& out) = 0;
};

// SplitMix64 (Steele, Lea, Flood 2014): a fixed, documented sequence for a
// given seed, identical on every host.
class DeterministicEntropy final : public EntropySource {
 public:
  static constexpr u64 kDefaultSeed = 0x7674'6c61'6230'0001ull;  // "vtlab0" + 1
  explicit DeterministicEntropy(u64 seed = kDefaultSeed) : state_(seed) {}
  bool next(u64& out) override {
    u64 z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    out = z ^ (z >> 31);
    return true;
  }
  u64 state() const { return state_; }

 private:
  u64 state_;
};

}  // namespace vtlab

// A keystroke script: serial input released at fixed virtual times, so a
// test can drive a shell and the run stays deterministic
// (`vtlab run --serial-in keys:PATH`; docs/cli.md "Keystroke scripts").
//
//   # comments and blank lines are ignored
//   @50000000 root\n          bytes available from tick 50,000,000 on
//   @+20000000 uname -a\n     20,000,000 ticks after the previous entry
//   @0x10000000 poweroff\n    ticks in decimal or 0x hex
//
// One entry per line: '@', the time (absolute, or '+' and a delay after the
// previous entry's time), one space, then the text to the end of the line.
// Escapes in the text: \n \r \t \e (ESC) \\ and \xHH; the line break of the
// script itself is never sent. Times may not go backwards. A tick is one
// instruction retired (docs/architecture.md "Virtual time").
//
// The UART takes one byte per input poll (every 100 us of virtual time), so
// an entry's bytes arrive one by one from its time on; an entry whose time
// comes before the previous entry's bytes are all taken queues behind them.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/base/input.h"
#include "core/base/scheduler.h"

namespace vtlab {

struct KeyScriptEntry {
  u64 tick = 0;
  std::string bytes;
  bool operator==(const KeyScriptEntry&) const = default;
};

// Parses a script; throws vtlab::Error "line N: ..." on malformed input.
std::vector<KeyScriptEntry> parse_key_script(std::string_view text);

class KeyScriptInput final : public ByteInput {
 public:
  static constexpr u64 kMaxFileBytes = 16u << 20;

  explicit KeyScriptInput(std::vector<KeyScriptEntry> entries) : entries_(std::move(entries)) {}
  // Reads and parses the script file; errors name the path.
  static KeyScriptInput from_file(const std::string& path);

  std::optional<u8> poll() override;
  void bind_clock(const Scheduler& scheduler) override { clock_ = &scheduler; }
  bool exhausted() const override { return remaining() == 0; }

  // Bytes not yet handed out.
  u64 remaining() const;

 private:
  std::vector<KeyScriptEntry> entries_;
  std::size_t entry_ = 0, offset_ = 0;
  const Scheduler* clock_ = nullptr;  // unbound: every byte is due at once
};

}  // namespace vtlab

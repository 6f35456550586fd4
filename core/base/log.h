// The diagnostic log for the person whose guest misbehaves, in the spirit of
// QEMU's `-d unimp,guest_errors,int`. Off by default. Each category is one
// bit; a hook tests its bit with one predictable branch and sits only on
// slow paths (unclaimed I/O, #UD records, refused MSRs, event delivery),
// never in the per-instruction fast path, so a run without --log costs the
// same as before. Every line starts with the instruction count:
//
//   1234 guest-errors: OUT to unclaimed port 0x80 (1 byte): 0x3, RIP 0x7c04
#pragma once
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/base/types.h"

namespace vtlab {

enum class LogCategory : u32 {
  Unimp = 1u << 0,        // what vtlab does not implement: instructions, MSRs
  GuestErrors = 1u << 1,  // what the guest gets wrong: unclaimed ports/MMIO, invalid opcodes
  Int = 1u << 2,          // every exception and interrupt delivered
};

struct LogCategoryInfo {
  std::string_view name;  // as on the command line
  LogCategory category;
  std::string_view what;  // for --help
};
std::span<const LogCategoryInfo> log_categories();

// "unimp,int" -> the mask. Throws vtlab::Error naming an unknown category
// and listing the valid ones.
u32 parse_log_categories(std::string_view list);

class Log {
 public:
  // Where a line is written from: the instruction count (retired so far,
  // the current instruction not included) and the current RIP.
  struct Place {
    u64 instructions = 0;
    u64 rip = 0;
  };

  bool on(LogCategory c) const { return (mask_ & u32(c)) != 0; }
  // Starts logging the categories in `mask` to `out` (not owned).
  void enable(u32 mask, std::FILE* out) { mask_ = out ? mask : 0, out_ = out; }
  void set_place_source(std::function<Place()> source) { place_ = std::move(source); }
  Place place() const { return place_ ? place_() : Place{}; }

  // One line: "<instructions> <category>: <printf text>\n".
  [[gnu::format(printf, 3, 4)]] void line(LogCategory c, const char* format, ...);

  // The log of parts nobody has given one: always off.
  static Log& off();

 private:
  u32 mask_ = 0;
  std::FILE* out_ = nullptr;
  std::function<Place()> place_;
};

// The guest-errors line for an access nothing claims: `space` is "port" or
// "MMIO address"; `written` is the value of a write, none for a read.
void log_unclaimed_access(Log& log, const char* space, u64 address, unsigned size, std::optional<u64> written);

}  // namespace vtlab

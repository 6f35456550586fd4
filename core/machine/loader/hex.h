// Hex formatting for error messages ("0x1badb002").
#pragma once
#include <cstdio>
#include <string>

#include "core/base/types.h"

namespace vtlab::loader {

inline std::string hex(u64 value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// "[0x100000, 0x101000)": a half-open guest-physical range.
inline std::string hex_range(u64 begin, u64 end) { return "[" + hex(begin) + ", " + hex(end) + ")"; }

}  // namespace vtlab::loader

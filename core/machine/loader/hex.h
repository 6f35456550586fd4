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

// "[0x100000, 0x101000)": a half-open guest-physical range. Built by
// appending: GCC 12 warns falsely (-Wrestrict, PR 105651) on
// "literal" + std::string once inlined at -O2.
inline std::string hex_range(u64 begin, u64 end) {
  std::string text(1, '[');
  text += hex(begin);
  text += ", ";
  text += hex(end);
  text += ')';
  return text;
}

}  // namespace vtlab::loader

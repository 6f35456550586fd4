// Overflow-checked arithmetic for sizes and addresses read from untrusted
// files. Every sum of file-supplied numbers goes through here, so a header
// that makes offset + size wrap around is reported instead of slipping past
// a bounds check.
#pragma once
#include <optional>

#include "core/base/types.h"

namespace vtlab::loader {

inline std::optional<u64> checked_add(u64 a, u64 b) {
  u64 sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

inline std::optional<u64> checked_mul(u64 a, u64 b) {
  u64 product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// Rounds `value` up to a multiple of `alignment` (a power of two).
inline std::optional<u64> checked_align_up(u64 value, u64 alignment) {
  auto bumped = checked_add(value, alignment - 1);
  if (!bumped) return std::nullopt;
  return *bumped & ~(alignment - 1);
}

constexpr u64 kPageSize = 4096;
constexpr u64 k4GiB = u64{1} << 32;

}  // namespace vtlab::loader

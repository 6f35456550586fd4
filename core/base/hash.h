// A small, stable 64-bit hash (FNV-1a) for machine state hashes: the same
// bytes give the same value on every host.
#pragma once
#include <cstring>

#include "core/base/types.h"

namespace vtlab {

class StateHash {
 public:
  void bytes(const void* p, std::size_t n) {
    auto* b = static_cast<const u8*>(p);
    for (std::size_t i = 0; i < n; ++i) h_ = (h_ ^ b[i]) * 0x100000001b3ull;
  }
  template <typename T>
  void value(const T& v) {
    bytes(&v, sizeof v);
  }
  u64 digest() const { return h_; }

 private:
  u64 h_ = 0xcbf29ce484222325ull;
};

}  // namespace vtlab

// A growing little-endian byte buffer for building boot information
// structures that will be copied into guest memory as they are.
#pragma once
#include <string>
#include <vector>

#include "core/base/types.h"

namespace vtlab::loader {

class LeBuffer {
 public:
  u64 size() const { return bytes_.size(); }
  std::vector<u8>& bytes() { return bytes_; }

  void append_u16(u16 v) { append_le(v, 2); }
  void append_u32(u32 v) { append_le(v, 4); }
  void append_u64(u64 v) { append_le(v, 8); }
  void append_zeros(u64 count) { bytes_.resize(bytes_.size() + count, 0); }
  // The string's bytes and a terminating NUL.
  void append_cstring(const std::string& s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    bytes_.push_back(0);
  }
  void align(u64 alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
  }
  // Overwrites bytes already appended (fields whose value is known later).
  void put_u32(u64 offset, u32 v) {
    for (int i = 0; i < 4; ++i) bytes_.at(offset + i) = static_cast<u8>(v >> (8 * i));
  }

 private:
  void append_le(u64 v, int width) {
    for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<u8>(v >> (8 * i)));
  }
  std::vector<u8> bytes_;
};

}  // namespace vtlab::loader

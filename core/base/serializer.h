// One serialize(Serializer&) per stateful part both saves and loads (the
// ares pattern). Snapshots are built on this.
#pragma once
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/base/error.h"
#include "core/base/types.h"

namespace vtlab {

class Serializer {
 public:
  enum class Mode { Save, Load };
  Serializer() : mode_(Mode::Save) {}
  explicit Serializer(std::vector<u8> data) : mode_(Mode::Load), data_(std::move(data)) {}

  bool saving() const { return mode_ == Mode::Save; }
  const std::vector<u8>& data() const { return data_; }

  void raw(void* p, std::size_t n) {
    if (saving()) {
      auto* b = static_cast<u8*>(p);
      data_.insert(data_.end(), b, b + n);
    } else {
      if (pos_ + n > data_.size()) throw Error("snapshot is truncated");
      std::memcpy(p, data_.data() + pos_, n);
      pos_ += n;
    }
  }
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void operator()(T& v) { raw(&v, sizeof v); }
  // A bool as one byte; any non-zero byte loads as true (a bool object must
  // never hold another bit pattern).
  void flag(bool& b) {
    u8 v = b;
    raw(&v, 1);
    b = v != 0;
  }

 private:
  Mode mode_;
  std::vector<u8> data_;
  std::size_t pos_ = 0;
};

}  // namespace vtlab

// What the i8042 controller and the PS/2 devices behind it share: a byte
// queue (a device's output buffer, 16 bytes as in PS/2 keyboards) and the
// device interface the controller sends command bytes to.
#pragma once
#include <array>

#include "core/base/serializer.h"
#include "core/base/types.h"

namespace vtlab {

class Ps2Queue {
 public:
  static constexpr unsigned kCapacity = 16;
  // A byte that does not fit is dropped (the device's buffer overflowed).
  void push(u8 b) {
    if (count_ < kCapacity) bytes_[(head_ + count_++) % kCapacity] = b;
  }
  bool empty() const { return count_ == 0; }
  unsigned size() const { return count_; }
  u8 pop() {
    u8 b = bytes_[head_];
    head_ = u8((head_ + 1) % kCapacity);
    --count_;
    return b;
  }
  void clear() { head_ = count_ = 0; }
  void serialize(Serializer& s) {
    s.raw(bytes_.data(), bytes_.size());
    s(head_);
    s(count_);
    if (!s.saving()) {
      head_ %= kCapacity;
      if (count_ > kCapacity) count_ = kCapacity;
    }
  }

 private:
  std::array<u8, kCapacity> bytes_{};
  u8 head_ = 0, count_ = 0;
};

// PS/2 replies.
inline constexpr u8 kPs2Ack = 0xfa;
inline constexpr u8 kPs2Resend = 0xfe;
inline constexpr u8 kPs2SelfTestPassed = 0xaa;

class Ps2Device {
 public:
  virtual ~Ps2Device() = default;
  // A byte from the host; the reply bytes go to `out`.
  virtual void receive(u8 byte, Ps2Queue& out) = 0;
  virtual void reset() = 0;
  virtual void serialize(Serializer& s) = 0;
};

}  // namespace vtlab

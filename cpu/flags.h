// Lazy arithmetic flags (DESIGN: "arithmetic records result, operands and
// kind; flags are computed when read"). The common ALU operations record
// their inputs; everything else sets flags eagerly through set_arith().
#pragma once
#include "core/base/types.h"
#include "cpu/state.h"

namespace vtlab {

enum class LazyOp : u8 { None, Add, Adc, Sub, Sbb, Logic, Inc, Dec };

class LazyFlags {
 public:
  // Non-arithmetic bits are always exact in `bits`; the six arithmetic ones
  // are exact only when op == None.
  u64 bits = fl::kFixed1;

  bool cf() const;
  // Condition code cc (0..15) as in Jcc/SETcc/CMOVcc (SDM Vol. 1 App. B).
  bool cond(unsigned cc) const;

  template <typename T>
  void record(LazyOp op, T res, T a, T b, bool carry_in = false) {
    op_ = op;
    size_ = sizeof(T);
    res_ = res, a_ = a, b_ = b;
    cin_ = carry_in;
  }
  // INC/DEC keep CF: fold the current CF into `bits` before going lazy.
  template <typename T>
  void record_incdec(LazyOp op, T res, T a) {
    u64 carry = cf() ? fl::CF : 0;
    bits = (bits & ~fl::CF) | carry;
    record<T>(op, res, a, T(1));
  }

  u64 get() const { return op_ == LazyOp::None ? bits : (bits & ~fl::kArith) | compute(); }
  void set(u64 v) {
    op_ = LazyOp::None;
    bits = v | fl::kFixed1;
  }
  // Replaces the arithmetic bits selected by mask.
  void set_arith(u64 mask, u64 v) {
    // Only the arithmetic bits outside `mask` need computing first.
    u64 base = (fl::kArith & ~mask) && op_ != LazyOp::None ? get() : bits;
    bits = (base & ~mask) | (v & mask);
    op_ = LazyOp::None;
  }

  bool zf() const {
    return op_ == LazyOp::None ? (bits & fl::ZF) != 0 : res_ == 0;
  }
  bool sf() const {
    return op_ == LazyOp::None ? (bits & fl::SF) != 0 : (res_ >> (size_ * 8 - 1)) & 1;
  }
  bool of() const {
    switch (op_) {
      case LazyOp::None: return bits & fl::OF;
      case LazyOp::Add:
      case LazyOp::Adc:
      case LazyOp::Inc: return (((a_ ^ res_) & (b_ ^ res_)) >> (size_ * 8 - 1)) & 1;
      case LazyOp::Sub:
      case LazyOp::Sbb:
      case LazyOp::Dec: return (((a_ ^ b_) & (a_ ^ res_)) >> (size_ * 8 - 1)) & 1;
      case LazyOp::Logic: return false;
    }
    return false;
  }
  bool pf() const {
    return op_ == LazyOp::None ? (bits & fl::PF) != 0 : !__builtin_parity(unsigned(res_ & 0xff));
  }
 private:
  u64 compute() const;
  // a < b as signed numbers of the recorded size (SF != OF after a - b).
  bool signed_less() const {
    unsigned sh = 64 - size_ * 8;
    return i64(a_ << sh) < i64(b_ << sh);
  }

  u64 res_ = 0, a_ = 0, b_ = 0;
  LazyOp op_ = LazyOp::None;
  u8 size_ = 8;
  bool cin_ = false;
};

inline bool LazyFlags::cf() const {
  switch (op_) {
    case LazyOp::None: return bits & fl::CF;
    case LazyOp::Add: return res_ < a_;
    case LazyOp::Adc: return res_ < a_ || (cin_ && res_ == a_);
    case LazyOp::Sub: return a_ < b_;
    case LazyOp::Sbb: return a_ < b_ || (cin_ && a_ == b_);
    case LazyOp::Logic: return false;
    case LazyOp::Inc:
    case LazyOp::Dec: return bits & fl::CF;
  }
  return false;
}

inline bool LazyFlags::cond(unsigned cc) const {
  bool r;
  switch (cc >> 1) {
    case 0: r = of(); break;                       // O
    case 1: r = cf(); break;                       // B/C
    case 2: r = zf(); break;                       // E/Z
    case 3: r = cf() || zf(); break;               // BE
    case 4: r = sf(); break;                       // S
    case 5: r = pf(); break;                       // P
    case 6:                                        // L
      // After a compare, "less" is the signed comparison of the operands.
      if (op_ == LazyOp::Sub) return (signed_less() ^ (cc & 1));
      r = sf() != of();
      break;
    default:                                       // LE
      if (op_ == LazyOp::Sub) return ((signed_less() || res_ == 0) ^ (cc & 1));
      r = zf() || (sf() != of());
      break;
  }
  return r ^ (cc & 1);
}

}  // namespace vtlab

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
    u64 cf = get() & fl::CF;
    bits = (bits & ~fl::CF) | cf;
    record<T>(op, res, a, T(1));
  }

  u64 get() const { return op_ == LazyOp::None ? bits : (bits & ~fl::kArith) | compute(); }
  void set(u64 v) {
    op_ = LazyOp::None;
    bits = v | fl::kFixed1;
  }
  // Replaces the arithmetic bits selected by mask.
  void set_arith(u64 mask, u64 v) {
    bits = (get() & ~mask) | (v & mask);
    op_ = LazyOp::None;
  }

  bool cf() const;
  bool zf() const {
    return op_ == LazyOp::None ? (bits & fl::ZF) != 0 : res_ == 0;
  }
  bool sf() const {
    return op_ == LazyOp::None ? (bits & fl::SF) != 0 : (res_ >> (size_ * 8 - 1)) & 1;
  }
  bool of() const { return (get() & fl::OF) != 0; }
  bool pf() const { return (get() & fl::PF) != 0; }
  // Condition code cc (0..15) as in Jcc/SETcc/CMOVcc (SDM Vol. 1 App. B).
  bool cond(unsigned cc) const;

 private:
  u64 compute() const;

  u64 res_ = 0, a_ = 0, b_ = 0;
  LazyOp op_ = LazyOp::None;
  u8 size_ = 8;
  bool cin_ = false;
};

}  // namespace vtlab

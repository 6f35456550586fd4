#include "cpu/flags.h"

namespace vtlab {

bool LazyFlags::cf() const {
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

u64 LazyFlags::compute() const {
  u64 sign = u64(1) << (size_ * 8 - 1);
  u64 f = 0;
  if (cf()) f |= fl::CF;
  if (!__builtin_parity(unsigned(res_ & 0xff))) f |= fl::PF;
  if (res_ == 0) f |= fl::ZF;
  if (res_ & sign) f |= fl::SF;
  switch (op_) {
    case LazyOp::Add:
    case LazyOp::Adc:
    case LazyOp::Inc:
      if ((a_ ^ res_) & (b_ ^ res_) & sign) f |= fl::OF;
      if ((a_ ^ b_ ^ res_) & 0x10) f |= fl::AF;
      break;
    case LazyOp::Sub:
    case LazyOp::Sbb:
    case LazyOp::Dec:
      if ((a_ ^ b_) & (a_ ^ res_) & sign) f |= fl::OF;
      if ((a_ ^ b_ ^ res_) & 0x10) f |= fl::AF;
      break;
    case LazyOp::Logic:  // OF=CF=0; AF is undefined, 0 like current Intel parts
    case LazyOp::None: break;
  }
  return f;
}

bool LazyFlags::cond(unsigned cc) const {
  bool r;
  switch (cc >> 1) {
    case 0: r = of(); break;                       // O
    case 1: r = cf(); break;                       // B/C
    case 2: r = zf(); break;                       // E/Z
    case 3: r = cf() || zf(); break;               // BE
    case 4: r = sf(); break;                       // S
    case 5: r = pf(); break;                       // P
    case 6: r = sf() != of(); break;               // L
    default: r = zf() || (sf() != of()); break;    // LE
  }
  return r ^ (cc & 1);
}

}  // namespace vtlab

#include "cpu/flags.h"

namespace vtlab {

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

}  // namespace vtlab

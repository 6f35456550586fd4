// Memory operands of the x87 arithmetic and compare instructions: single,
// double, word and dword integers, widened to the register format.
#pragma once
#include "cpu/x87/convert.h"
#include "cpu/x87/fpu.h"

namespace vtlab::x87 {

enum class MemType : u8 { F32, F64, I16, I32 };

// The operand as a register value. Singles and doubles widen exactly (an
// SNaN stays signaling, for the instruction's NaN rules); a denormal
// becomes a normal extended value and is reported in `denormal` (#D).
struct MemOperand {
  F80 v;
  bool denormal;
};

// An IEEE single/double as F80 without any exception.
inline MemOperand widen(u64 bits, unsigned frac_bits, unsigned exp_bits) {
  const bool sign = bits >> (frac_bits + exp_bits);
  const u64 frac = bits & ((u64(1) << frac_bits) - 1);
  const u32 emax = (1u << exp_bits) - 1, bias = emax >> 1;
  const u32 e = u32(bits >> frac_bits) & emax;
  const u64 aligned = frac << (63 - frac_bits);
  if (e == emax) return {make(sign, kMaxExp, kJ | aligned), false};
  if (e == 0) {
    if (frac == 0) return {zero(sign), false};
    const Unrounded u = normalized(sign, i32(kBias - bias + 1), u128(aligned) << 64);
    return {make(sign, u16(u.exp), u64(u.m >> 64)), true};
  }
  return {make(sign, u16(e - bias + kBias), kJ | aligned), false};
}

template <MemType M>
MemOperand read_mem_operand(Cpu& c, const Insn& i) {
  if constexpr (M == MemType::F32) return widen(c.read_lin<u32>(c.mem_linear(i, 4, Access::Read)), 23, 8);
  if constexpr (M == MemType::F64) return widen(c.read_lin<u64>(c.mem_linear(i, 8, Access::Read)), 52, 11);
  if constexpr (M == MemType::I16) return {from_int(i16(c.read_lin<u16>(c.mem_linear(i, 2, Access::Read)))), false};
  if constexpr (M == MemType::I32) return {from_int(i32(c.read_lin<u32>(c.mem_linear(i, 4, Access::Read)))), false};
}

}  // namespace vtlab::x87

// MUL, IMUL (one, two and three operands), DIV, IDIV, MULX.
// SF/ZF/AF/PF after MUL/IMUL and all flags after DIV/IDIV are undefined
// (SDM Vol. 2); we set SF/ZF/PF from the low result and clear AF, and leave
// flags unchanged on division. Tests mask those bits.
#include "cpu/handlers/common.h"

namespace vtlab {
namespace {

template <unsigned S>
using wide_t = std::conditional_t<S == 8, u128, u64>;
template <unsigned S>
using swide_t = std::conditional_t<S == 8, i128, i64>;

template <unsigned S>
void set_mul_flags(Cpu& c, uint_t<S> lo, bool overflow) {
  u64 f = szp_flags<S>(lo) | (overflow ? fl::CF | fl::OF : 0);
  c.flags.set_arith(fl::kArith, f);
}

// Stores a double-width product/quotient pair: AX for bytes, rDX:rAX otherwise.
template <unsigned S>
void store_pair(Cpu& c, uint_t<S> lo, uint_t<S> hi) {
  if constexpr (S == 1) {
    c.write_gpr<2>(RAX, u16(lo | (u16(hi) << 8)));
  } else {
    c.write_gpr<S>(RAX, lo);
    c.write_gpr<S>(RDX, hi);
  }
}

template <unsigned S>
void mul(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  wide_t<S> p = wide_t<S>(T(c.gpr[RAX])) * c.read_op<S>(i, 0);
  T lo = T(p), hi = T(p >> (S * 8));
  store_pair<S>(c, lo, hi);
  set_mul_flags<S>(c, lo, hi != 0);
}

template <unsigned S>
void imul(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  using ST = sint_t<S>;
  if (i.nops == 1) {
    swide_t<S> p = swide_t<S>(ST(c.gpr[RAX])) * ST(c.read_op<S>(i, 0));
    T lo = T(p), hi = T(p >> (S * 8));
    store_pair<S>(c, lo, hi);
    set_mul_flags<S>(c, lo, p != swide_t<S>(ST(lo)));
    return;
  }
  // Two- and three-operand forms: truncated product into a register.
  ST a = ST(c.read_op<S>(i, i.nops == 2 ? 0 : 1));
  ST b = i.nops == 2 ? ST(c.read_op<S>(i, 1)) : ST(T(i.imm));
  swide_t<S> p = swide_t<S>(a) * b;
  T lo = T(p);
  c.write_reg<S>(i.op[0], lo);
  set_mul_flags<S>(c, lo, p != swide_t<S>(ST(lo)));
}

template <unsigned S>
void div(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  T d = c.read_op<S>(i, 0);
  if (d == 0) c.raise(kDE);
  wide_t<S> n = S == 1 ? wide_t<S>(u16(c.gpr[RAX])) : (wide_t<S>(T(c.gpr[RDX])) << (S * 8)) | T(c.gpr[RAX]);
  wide_t<S> q = n / d;
  if (q >> (S * 8)) c.raise(kDE);  // quotient does not fit
  T r = T(n % d);
  if constexpr (S == 1)
    c.write_gpr<2>(RAX, u16(u8(q) | (u16(r) << 8)));
  else
    store_pair<S>(c, T(q), r);
}

template <unsigned S>
void idiv(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  using ST = sint_t<S>;
  ST d = ST(c.read_op<S>(i, 0));
  if (d == 0) c.raise(kDE);
  // The dividend AX / DX:AX / EDX:EAX / RDX:RAX, sign-extended from its width.
  wide_t<S> raw = S == 1 ? wide_t<S>(u16(c.gpr[RAX])) : (wide_t<S>(T(c.gpr[RDX])) << (S * 8)) | T(c.gpr[RAX]);
  constexpr unsigned kWideBits = sizeof(wide_t<S>) * 8, kBits = S * 16;
  swide_t<S> n = swide_t<S>(raw << (kWideBits - kBits)) >> (kWideBits - kBits);
  // The most negative dividend / -1 overflows the wide type too: check first.
  constexpr swide_t<S> wmin = swide_t<S>(wide_t<S>(1) << (sizeof(wide_t<S>) * 8 - 1));
  if (n == wmin && d == -1) c.raise(kDE);
  swide_t<S> q = n / d, r = n % d;
  if (q != swide_t<S>(ST(q))) c.raise(kDE);
  if constexpr (S == 1)
    c.write_gpr<2>(RAX, u16(u8(q) | (u16(u8(r)) << 8)));
  else
    store_pair<S>(c, T(q), T(r));
}

// MULX hi, lo, src: unsigned rDX * src, no flags (BMI2).
template <unsigned S>
void mulx(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  wide_t<S> p = wide_t<S>(T(c.gpr[RDX])) * c.read_op<S>(i, 2);
  c.write_reg<S>(i.op[1], T(p));
  c.write_reg<S>(i.op[0], T(p >> (S * 8)));  // if both name one register, it gets the high half
}

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_MUL, VTLAB_SIZED(mul)},
    {ZYDIS_MNEMONIC_IMUL, VTLAB_SIZED(imul)},
    {ZYDIS_MNEMONIC_DIV, VTLAB_SIZED(div)},
    {ZYDIS_MNEMONIC_IDIV, VTLAB_SIZED(idiv)},
    {ZYDIS_MNEMONIC_MULX, VTLAB_SIZED_WDQ(mulx)},
};

}  // namespace

std::span<const InsnRow> muldiv_rows() { return kRows; }

}  // namespace vtlab

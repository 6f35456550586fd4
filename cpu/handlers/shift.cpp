// Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD, and the
// flag-less BMI2 forms SARX SHLX SHRX RORX. SDM Vol. 2 "SAL/SAR/SHL/SHR",
// "RCL/RCR/ROL/ROR", "SHLD", "SHRD".
//
// The count is masked to 5 bits (6 for 64-bit operands). A masked count of
// 0 changes neither the operand nor any flag. OF is defined only for a
// count of 1; for larger counts we compute it with the count-1 formula, as
// current Intel cores do, and tests mask it. AF is undefined (left as 0).
#include "cpu/handlers/common.h"

namespace vtlab {
namespace {

enum class Sh { Rol, Ror, Rcl, Rcr, Shl, Shr, Sar };

template <unsigned S>
unsigned shift_count(Cpu& c, const Insn& i) {
  u64 raw = i.op[1].kind == OpKind::Imm ? i.imm : i.op[1].kind == OpKind::None ? 1 : c.gpr[RCX];
  return unsigned(raw & (S == 8 ? 63 : 31));
}

template <Sh OP, unsigned S>
void shift(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  constexpr unsigned W = S * 8;
  constexpr T msb = T(sign_bit<S>());
  unsigned n = shift_count<S>(c, i);
  Dest<S> d(c, i);
  T a = d.get();
  if (n == 0) {
    // No flag changes, but still a write: a 32-bit register is zero-extended
    // and a read-only page faults.
    d.set(a);
    return;
  }
  T r = 0;
  bool cf = (OP == Sh::Rcl || OP == Sh::Rcr) && c.flags.cf();
  bool of = false;
  u64 mask = fl::CF | fl::OF;
  switch (OP) {
    case Sh::Shl:
      r = n < W ? T(u64(a) << n) : 0;
      cf = n <= W ? (u64(a) >> (W - n)) & 1 : false;
      of = bool(r & msb) != cf;
      mask = fl::kArith;
      break;
    case Sh::Shr:
      r = n < W ? T(a >> n) : 0;
      cf = n <= W ? (a >> (n - 1)) & 1 : false;
      of = a & msb;
      mask = fl::kArith;
      break;
    case Sh::Sar: {
      unsigned k = n < W ? n : W - 1;
      r = T(sint_t<S>(a) >> k);
      cf = n < W ? (sint_t<S>(a) >> (n - 1)) & 1 : (a & msb) != 0;
      of = false;
      mask = fl::kArith;
      break;
    }
    case Sh::Rol: {
      unsigned k = n % W;
      r = k ? T((a << k) | (a >> (W - k))) : a;
      cf = r & 1;
      of = bool(r & msb) != cf;
      break;
    }
    case Sh::Ror: {
      unsigned k = n % W;
      r = k ? T((a >> k) | (a << (W - k))) : a;
      cf = r & msb;
      of = bool(r & msb) != bool(r & (msb >> 1));
      break;
    }
    case Sh::Rcl: {
      unsigned k = S < 4 ? n % (W + 1) : n;
      r = a;
      for (unsigned s = 0; s < k; ++s) {
        bool out = r & msb;
        r = T((r << 1) | T(cf));
        cf = out;
      }
      of = bool(r & msb) != cf;
      if (k == 0) return d.set(a);
      break;
    }
    case Sh::Rcr: {
      unsigned k = S < 4 ? n % (W + 1) : n;
      of = bool(a & msb) != cf;  // computed before the rotate (SDM RCR)
      r = a;
      for (unsigned s = 0; s < k; ++s) {
        bool out = r & 1;
        r = T((r >> 1) | (cf ? msb : T(0)));
        cf = out;
      }
      if (k == 0) return d.set(a);
      break;
    }
  }
  d.set(r);
  u64 nf = (cf ? fl::CF : 0) | (of ? fl::OF : 0);
  if (mask == fl::kArith) nf |= szp_flags<S>(r);
  c.flags.set_arith(mask, nf);
}

// SHLD/SHRD dest, src, count: the count is masked like shifts; for 16-bit
// operands counts above 16 give an undefined result (we shift through a
// 32-bit pattern, which matches Intel hardware).
template <bool LEFT, unsigned S>
void shxd(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  constexpr unsigned W = S * 8;
  constexpr T msb = T(sign_bit<S>());
  u64 raw = i.op[2].kind == OpKind::Imm ? i.imm : c.gpr[RCX];
  unsigned n = unsigned(raw & (S == 8 ? 63 : 31));
  Dest<S> d(c, i);
  T a = d.get();
  T b = c.read_reg<S>(i.op[1]);
  if (n == 0) {
    d.set(a);  // as for shifts: zero-extends a 32-bit register
    return;
  }
  T r;
  bool cf;
  if constexpr (S == 2) {
    // 16-bit forms act on the 48-bit pattern a:b:a, which defines what
    // counts 17..31 produce (the SDM leaves them undefined).
    u64 pat = (u64(a) << 32) | (u64(b) << 16) | a;
    if (LEFT) {
      r = T((pat << n) >> 32);
      cf = (pat >> (48 - n)) & 1;
    } else {
      r = T(pat >> n);
      cf = (pat >> (n - 1)) & 1;
    }
  } else {
    if (LEFT) {
      r = T((u64(a) << n) | (n ? u64(b) >> (W - n) : 0));
      if constexpr (S == 8) r = (a << n) | (b >> (W - n));
      cf = (a >> (W - n)) & 1;
    } else {
      r = T((a >> n) | T(u64(b) << (W - n)));
      if constexpr (S == 8) r = (a >> n) | (b << (W - n));
      cf = (a >> (n - 1)) & 1;
    }
  }
  d.set(r);
  bool of = bool((r ^ a) & msb);
  c.flags.set_arith(fl::kArith, szp_flags<S>(r) | (cf ? fl::CF : 0) | (of ? fl::OF : 0));
}

// BMI2: count masked to the operand width, no flags.
template <Sh OP, unsigned S>
void shift_bmi(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  constexpr unsigned W = S * 8;
  T a = c.read_op<S>(i, 1);
  unsigned n = unsigned((OP == Sh::Ror ? i.imm : c.gpr[i.op[2].reg]) & (W - 1));
  T r;
  switch (OP) {
    case Sh::Shl: r = T(a << n); break;
    case Sh::Shr: r = T(a >> n); break;
    case Sh::Sar: r = T(sint_t<S>(a) >> n); break;
    default: r = n ? T((a >> n) | (a << (W - n))) : a; break;
  }
  c.write_reg<S>(i.op[0], r);
}

#define SHIFT(op) \
  ::vtlab::HandlerSet { {VTLAB_H(shift<op, 1>), VTLAB_H(shift<op, 2>), VTLAB_H(shift<op, 4>), VTLAB_H(shift<op, 8>)} }
#define SHXD(left) \
  ::vtlab::HandlerSet { {nullptr, VTLAB_H(shxd<left, 2>), VTLAB_H(shxd<left, 4>), VTLAB_H(shxd<left, 8>)} }
#define BMI(op) \
  ::vtlab::HandlerSet { {nullptr, nullptr, VTLAB_H(shift_bmi<op, 4>), VTLAB_H(shift_bmi<op, 8>)} }

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_ROL, SHIFT(Sh::Rol)}, {ZYDIS_MNEMONIC_ROR, SHIFT(Sh::Ror)},
    {ZYDIS_MNEMONIC_RCL, SHIFT(Sh::Rcl)}, {ZYDIS_MNEMONIC_RCR, SHIFT(Sh::Rcr)},
    {ZYDIS_MNEMONIC_SHL, SHIFT(Sh::Shl)},
    {ZYDIS_MNEMONIC_SHR, SHIFT(Sh::Shr)}, {ZYDIS_MNEMONIC_SAR, SHIFT(Sh::Sar)},
    {ZYDIS_MNEMONIC_SHLD, SHXD(true)},    {ZYDIS_MNEMONIC_SHRD, SHXD(false)},
    {ZYDIS_MNEMONIC_SHLX, BMI(Sh::Shl)},  {ZYDIS_MNEMONIC_SHRX, BMI(Sh::Shr)},
    {ZYDIS_MNEMONIC_SARX, BMI(Sh::Sar)},  {ZYDIS_MNEMONIC_RORX, BMI(Sh::Ror)},
};

}  // namespace

std::span<const InsnRow> shift_rows() { return kRows; }

}  // namespace vtlab

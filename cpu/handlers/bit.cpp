// Bit instructions: BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT/POPCNT, and the
// BMI1/BMI2 set ANDN BEXTR BLSI BLSMSK BLSR BZHI PDEP PEXT.
// Undefined flags (SDM Vol. 2 per instruction) keep their previous values.
#include "cpu/handlers/common.h"

namespace vtlab {
namespace {

enum class Bt { Test, Set, Reset, Complement };

// BT* with a register bit offset on a memory operand address a bit string:
// the offset is signed and may reach beyond the operand (SDM Vol. 2 BT).
template <Bt OP, unsigned S>
void bt(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  constexpr unsigned W = S * 8;
  const bool imm = i.op[1].kind == OpKind::Imm;
  i64 offset = imm ? i64(i.imm & (W - 1)) : i64(sint_t<S>(c.read_reg<S>(i.op[1])));
  constexpr Access acc = OP == Bt::Test ? Access::Read : Access::Write;
  unsigned bit;
  T v;
  u64 lin = 0;
  bool mem = i.op[0].kind == OpKind::Mem;
  if (mem) {
    i64 unit = imm ? 0 : (offset >> (S == 2 ? 4 : S == 4 ? 5 : 6));
    u64 ea = (c.effective_address(i) + u64(unit * i64(S))) & asize_mask(i);
    lin = c.linear(i.mem.seg, ea, S, acc);
    v = c.read_lin<T>(lin);
    bit = unsigned(offset & (W - 1));
  } else {
    v = c.read_reg<S>(i.op[0]);
    bit = unsigned(offset & (W - 1));
  }
  bool old = (v >> bit) & 1;
  T nv = v;
  if (OP == Bt::Set) nv = T(v | (T(1) << bit));
  if (OP == Bt::Reset) nv = T(v & ~(T(1) << bit));
  if (OP == Bt::Complement) nv = T(v ^ (T(1) << bit));
  if (OP != Bt::Test) {
    if (mem)
      c.write_lin<T>(lin, nv);
    else
      c.write_reg<S>(i.op[0], nv);
  }
  c.flags.set_arith(fl::CF, old ? fl::CF : 0);
}

// BSF/BSR with a zero source set ZF; the SDM leaves the destination
// undefined. Intel hardware writes its old value back at the operand size:
// with a 32-bit operand that clears the upper half in 64-bit mode (Linux
// relies on it, arch/x86/include/asm/bitops.h); 16- and 64-bit destinations
// keep their value. AMD leaves even the upper half (docs/vendor-differences.md).
template <bool REVERSE, unsigned S>
void bsf(Cpu& c, const Insn& i) {
  uint_t<S> v = c.read_op<S>(i, 1);
  if (v == 0) {
    if constexpr (S == 4) c.write_reg<S>(i.op[0], c.read_reg<S>(i.op[0]));
    c.flags.set_arith(fl::ZF, fl::ZF);
    return;
  }
  unsigned idx = REVERSE ? 63 - unsigned(__builtin_clzll(u64(v))) : unsigned(__builtin_ctzll(u64(v)));
  c.write_reg<S>(i.op[0], uint_t<S>(idx));
  c.flags.set_arith(fl::ZF, 0);
}

template <bool LEADING, unsigned S>
void tzcnt(Cpu& c, const Insn& i) {
  constexpr unsigned W = S * 8;
  uint_t<S> v = c.read_op<S>(i, 1);
  unsigned n;
  if (v == 0)
    n = W;
  else
    n = LEADING ? unsigned(__builtin_clzll(u64(v))) - (64 - W) : unsigned(__builtin_ctzll(u64(v)));
  c.write_reg<S>(i.op[0], uint_t<S>(n));
  c.flags.set_arith(fl::CF | fl::ZF, (v == 0 ? fl::CF : 0) | (n == 0 ? fl::ZF : 0));
}

template <unsigned S>
void popcnt(Cpu& c, const Insn& i) {
  uint_t<S> v = c.read_op<S>(i, 1);
  c.write_reg<S>(i.op[0], uint_t<S>(__builtin_popcountll(u64(v))));
  c.flags.set_arith(fl::kArith, v == 0 ? fl::ZF : 0);
}

template <unsigned S>
void andn(Cpu& c, const Insn& i) {
  uint_t<S> r = uint_t<S>(~c.read_reg<S>(i.op[1]) & c.read_op<S>(i, 2));
  c.write_reg<S>(i.op[0], r);
  c.flags.set_arith(fl::CF | fl::OF | fl::ZF | fl::SF, szp_flags<S>(r) & (fl::ZF | fl::SF));
}

template <unsigned S>
void bextr(Cpu& c, const Insn& i) {
  constexpr unsigned W = S * 8;
  uint_t<S> src = c.read_op<S>(i, 1);
  u64 ctl = c.read_reg<S>(i.op[2]);
  unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
  u64 r = start < W ? u64(src) >> start : 0;
  if (len < 64) r &= (u64(1) << len) - 1;
  c.write_reg<S>(i.op[0], uint_t<S>(r));
  c.flags.set_arith(fl::CF | fl::OF | fl::ZF, r == 0 ? fl::ZF : 0);
}

enum class Bls { Isolate, Mask, Reset };

template <Bls OP, unsigned S>
void bls(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  T s = c.read_op<S>(i, 1);
  T r = OP == Bls::Isolate ? T(s & (0 - s)) : OP == Bls::Mask ? T(s ^ (s - 1)) : T(s & (s - 1));
  c.write_reg<S>(i.op[0], r);
  bool cf = OP == Bls::Isolate ? s != 0 : s == 0;
  u64 f = (cf ? fl::CF : 0) | (r & sign_bit<S>() ? fl::SF : 0) | (r == 0 ? fl::ZF : 0);
  c.flags.set_arith(fl::CF | fl::OF | fl::ZF | fl::SF, f);
}

template <unsigned S>
void bzhi(Cpu& c, const Insn& i) {
  constexpr unsigned W = S * 8;
  uint_t<S> src = c.read_op<S>(i, 1);
  unsigned n = c.read_reg<S>(i.op[2]) & 0xff;
  uint_t<S> r = n < W ? uint_t<S>(src & ((u64(1) << n) - 1)) : src;
  c.write_reg<S>(i.op[0], r);
  u64 f = (n > W - 1 ? fl::CF : 0) | (r & sign_bit<S>() ? fl::SF : 0) | (r == 0 ? fl::ZF : 0);
  c.flags.set_arith(fl::CF | fl::OF | fl::ZF | fl::SF, f);
}

template <unsigned S>
void pdep(Cpu& c, const Insn& i) {
  u64 src = c.read_reg<S>(i.op[1]), mask = c.read_op<S>(i, 2), r = 0;
  for (u64 m = mask, k = 0; m; m &= m - 1, ++k)
    if ((src >> k) & 1) r |= m & (0 - m);
  c.write_reg<S>(i.op[0], uint_t<S>(r));
}

template <unsigned S>
void pext(Cpu& c, const Insn& i) {
  u64 src = c.read_reg<S>(i.op[1]), mask = c.read_op<S>(i, 2), r = 0;
  unsigned k = 0;
  for (u64 m = mask; m; m &= m - 1, ++k)
    if (src & m & (0 - m)) r |= u64(1) << k;
  c.write_reg<S>(i.op[0], uint_t<S>(r));
}

#define BT(op) \
  ::vtlab::HandlerSet { {nullptr, VTLAB_H(bt<op, 2>), VTLAB_H(bt<op, 4>), VTLAB_H(bt<op, 8>)} }
#define WDQ2(fn, arg) \
  ::vtlab::HandlerSet { {nullptr, VTLAB_H(fn<arg, 2>), VTLAB_H(fn<arg, 4>), VTLAB_H(fn<arg, 8>)} }
#define DQ(fn) \
  ::vtlab::HandlerSet { {nullptr, nullptr, VTLAB_H(fn<4>), VTLAB_H(fn<8>)} }
#define DQ2(fn, arg) \
  ::vtlab::HandlerSet { {nullptr, nullptr, VTLAB_H(fn<arg, 4>), VTLAB_H(fn<arg, 8>)} }

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_BT, BT(Bt::Test)},
    {ZYDIS_MNEMONIC_BTS, BT(Bt::Set), attr::kLockable},
    {ZYDIS_MNEMONIC_BTR, BT(Bt::Reset), attr::kLockable},
    {ZYDIS_MNEMONIC_BTC, BT(Bt::Complement), attr::kLockable},
    {ZYDIS_MNEMONIC_BSF, WDQ2(bsf, false)},
    {ZYDIS_MNEMONIC_BSR, WDQ2(bsf, true)},
    {ZYDIS_MNEMONIC_TZCNT, WDQ2(tzcnt, false)},
    {ZYDIS_MNEMONIC_LZCNT, WDQ2(tzcnt, true)},
    {ZYDIS_MNEMONIC_POPCNT, VTLAB_SIZED_WDQ(popcnt)},
    {ZYDIS_MNEMONIC_ANDN, DQ(andn)},
    {ZYDIS_MNEMONIC_BEXTR, DQ(bextr)},
    {ZYDIS_MNEMONIC_BLSI, DQ2(bls, Bls::Isolate)},
    {ZYDIS_MNEMONIC_BLSMSK, DQ2(bls, Bls::Mask)},
    {ZYDIS_MNEMONIC_BLSR, DQ2(bls, Bls::Reset)},
    {ZYDIS_MNEMONIC_BZHI, DQ(bzhi)},
    {ZYDIS_MNEMONIC_PDEP, DQ(pdep)},
    {ZYDIS_MNEMONIC_PEXT, DQ(pext)},
};

}  // namespace

std::span<const InsnRow> bit_rows() { return kRows; }

}  // namespace vtlab

// Shared by the SSE/SSE2 handler groups (cpu/handlers/sse_*.cpp): the
// availability checks, XMM/memory operand access with the legacy-SSE
// alignment rule, lane views of an XMM value, and the row helpers.
#pragma once
#include <array>
#include <cstring>
#include <span>

#include "cpu/handlers/common.h"

namespace vtlab::sse {

// #UD / #NM for instructions that use the XMM state (SDM Vol. 3A §13.1.4,
// Vol. 2 "Exceptions (All Operating Modes)": #UD if CR0.EM=1 or
// CR4.OSFXSR=0, then #NM if CR0.TS=1).
inline void require_sse(Cpu& c) {
  if ((c.cr0 & cr0::EM) || !(c.cr4 & cr4::OSFXSR)) c.raise(kUD);
  if (c.cr0 & cr0::TS) c.raise(kNM);
}

enum class Align : u8 { Any, Required };

// Linear address of the memory operand; legacy-SSE 16-byte operands (and
// FXSAVE areas) that must be aligned give #GP(0) otherwise (SDM Vol. 1
// §10.4.1.1 / Vol. 3A §13.1.4).
inline u64 mem_addr(Cpu& c, const Insn& i, unsigned size, Access acc, Align a) {
  u64 lin = c.mem_linear(i, size, acc);
  if (a == Align::Required && (lin & 15)) c.raise(kGP, 0);
  return lin;
}

// Operand n as a full 128-bit value: an XMM register, or memory of the
// operand's size (16, 8, 4, 2 or 1 bytes) zero-extended. 16-byte memory
// operands are alignment-checked unless `a` is Align::Any.
inline Xmm read_src(Cpu& c, const Insn& i, int n, Align a = Align::Required) {
  const Operand& o = i.op[n];
  if (o.kind == OpKind::Xmm) return c.xmm[o.reg];
  Xmm v{};
  switch (o.size) {
    case 16: return c.read_lin<Xmm>(mem_addr(c, i, 16, Access::Read, a));
    case 8: v.lo = c.read_lin<u64>(c.mem_linear(i, 8, Access::Read)); break;
    case 4: v.lo = c.read_lin<u32>(c.mem_linear(i, 4, Access::Read)); break;
    case 2: v.lo = c.read_lin<u16>(c.mem_linear(i, 2, Access::Read)); break;
    default: v.lo = c.read_lin<u8>(c.mem_linear(i, 1, Access::Read)); break;
  }
  return v;
}

// Stores the low op[n].size bytes of v to memory operand n.
inline void write_mem(Cpu& c, const Insn& i, int n, const Xmm& v, Align a = Align::Required) {
  switch (i.op[n].size) {
    case 16: c.write_lin<Xmm>(mem_addr(c, i, 16, Access::Write, a), v); break;
    case 8: c.write_lin<u64>(c.mem_linear(i, 8, Access::Write), v.lo); break;
    case 4: c.write_lin<u32>(c.mem_linear(i, 4, Access::Write), u32(v.lo)); break;
    case 2: c.write_lin<u16>(c.mem_linear(i, 2, Access::Write), u16(v.lo)); break;
    default: c.write_lin<u8>(c.mem_linear(i, 1, Access::Write), u8(v.lo)); break;
  }
}

inline Xmm& dst(Cpu& c, const Insn& i) { return c.xmm[i.op[0].reg]; }

// Lane views: an XMM value as 16/sizeof(T) elements of T, lane 0 lowest.
template <typename T>
using Lanes = std::array<T, 16 / sizeof(T)>;
template <typename T>
Lanes<T> lanes(const Xmm& x) {
  Lanes<T> l;
  std::memcpy(l.data(), &x, 16);
  return l;
}
template <typename T>
Xmm to_xmm(const Lanes<T>& l) {
  Xmm x;
  std::memcpy(&x, l.data(), 16);
  return x;
}

template <typename To, typename From>
To bits(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}

// Handler templates for the integer and shuffle groups of SSE3 and later:
// xmm1 = F(xmm1, xmm2/m128) and xmm1 = F(xmm1, xmm2/m128, imm8), the
// 16-byte memory operand alignment-checked unless A is Align::Any.
template <Xmm (*F)(const Xmm&, const Xmm&), Align A = Align::Required>
void binary(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1, A);
  dst(c, i) = F(dst(c, i), s);
}
template <Xmm (*F)(const Xmm&, const Xmm&, u8), Align A = Align::Required>
void binary_imm(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1, A);
  dst(c, i) = F(dst(c, i), s, u8(i.imm));
}

// Row helper: forms whose operands the decoder could not map (MMX
// registers give OpKind::None until MMX exists) decode to #UD.
inline bool operands_mapped(const Insn& i) {
  for (unsigned n = 0; n < i.nops && n < 4; ++n)
    if (i.op[n].kind == OpKind::None) return false;
  return true;
}
template <Handler H>
ChainedHandler xmm_forms(const Insn& i) {
  return operands_mapped(i) ? ChainedHandler{&chained<H>} : nullptr;
}

#define VTLAB_SSE_ROW(mn, h) \
  ::vtlab::InsnRow { ZYDIS_MNEMONIC_##mn, {}, 0, ::vtlab::SizeFrom::Op0, &::vtlab::sse::xmm_forms<&h> }
#define VTLAB_SSE_SELECT(mn, sel) ::vtlab::InsnRow { ZYDIS_MNEMONIC_##mn, {}, 0, ::vtlab::SizeFrom::Op0, &sel }

// The row groups; cpu/handlers/sse.cpp joins them into sse_rows().
std::span<const InsnRow> move_rows();
std::span<const InsnRow> fp_rows();
std::span<const InsnRow> convert_rows();
std::span<const InsnRow> int_rows();
std::span<const InsnRow> shuffle_rows();
std::span<const InsnRow> state_rows();

// MOVSD/CMPSD: the SSE2 scalar-double forms (the string forms share the
// mnemonic; cpu/handlers/sse.cpp dispatches).
ChainedHandler movsd_xmm_handler(const Insn& i);
ChainedHandler cmpsd_xmm_handler(const Insn& i);

}  // namespace vtlab::sse

// SSE4.2 (SDM Vol. 1 §12.10-12.12): the string and text instructions
// PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (engine in
// cpu/sse/string_compare.h), PCMPGTQ, and CRC32. (POPCNT, which CPUID
// reports separately, is with the bit instructions.)
#include "cpu/sse/sse.h"
#include "cpu/sse/string_compare.h"

namespace vtlab::sse {
namespace {

// PCMPxSTRx: CF = result non-zero, ZF/SF = the text/the set is shorter
// than a register, OF = result bit 0, AF = PF = 0. Their 16-byte memory
// operand need not be aligned (SDM Vol. 1 §12.10.3).
template <bool Explicit>
StringCompare compare(Cpu& c, const Insn& i) {
  require_sse(c);
  const u8 imm = u8(i.imm);
  const Xmm s2 = read_src(c, i, 1, Align::Any), &s1 = dst(c, i);
  unsigned len1, len2;
  if constexpr (Explicit) {
    // EAX/EDX, or RAX/RDX with REX.W (64-bit operand size).
    const bool w = i.opsize == 8;
    len1 = explicit_length(w ? i64(c.gpr[RAX]) : i64(i32(c.gpr[RAX])), imm);
    len2 = explicit_length(w ? i64(c.gpr[RDX]) : i64(i32(c.gpr[RDX])), imm);
  } else {
    len1 = implicit_length(s1, imm);
    len2 = implicit_length(s2, imm);
  }
  const StringCompare r = string_compare(s1, len1, s2, len2, imm);
  u64 f = 0;
  if (r.intres2) f |= fl::CF;
  if (r.src2_short) f |= fl::ZF;
  if (r.src1_short) f |= fl::SF;
  if (r.intres2 & 1) f |= fl::OF;
  c.flags.set_arith(fl::kArith, f);
  return r;
}

// ...I: the index to ECX (a 32-bit write: RCX's upper half cleared).
template <bool Explicit>
void pcmpstri(Cpu& c, const Insn& i) {
  const StringCompare r = compare<Explicit>(c, i);
  c.gpr[RCX] = string_index(r, u8(i.imm));
}

// ...M: the mask to XMM0.
template <bool Explicit>
void pcmpstrm(Cpu& c, const Insn& i) {
  const StringCompare r = compare<Explicit>(c, i);
  c.xmm[0] = string_mask(r, u8(i.imm));
}

// PCMPGTQ: signed quadword greater-than.
Xmm pcmpgtq(const Xmm& a, const Xmm& b) {
  auto gt = [](u64 x, u64 y) { return i64(x) > i64(y) ? ~u64(0) : u64(0); };
  return Xmm{gt(a.lo, b.lo), gt(a.hi, b.hi)};
}

// CRC32 r32/r64, r/m8/16/32/64: CRC-32C (polynomial 11EDC6F41H, bit
// reflected), the source's bytes in memory order, no inversion before or
// after (SDM Vol. 2 CRC32). A general-purpose instruction: no CR0/CR4
// conditions. The 32-bit result is zero-extended into a 64-bit destination.
u32 crc32c_byte(u32 crc, u8 b) {
  crc ^= b;
  for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
  return crc;
}
void crc32(Cpu& c, const Insn& i) {
  const unsigned n = i.op[1].size;
  u64 v;
  switch (n) {
    case 1:
      v = c.read_op<1>(i, 1);
      break;
    case 2:
      v = c.read_op<2>(i, 1);
      break;
    case 4:
      v = c.read_op<4>(i, 1);
      break;
    default:
      v = c.read_op<8>(i, 1);
      break;
  }
  u32 crc = u32(c.gpr[i.op[0].reg]);
  for (unsigned k = 0; k < n; ++k) crc = crc32c_byte(crc, u8(v >> (8 * k)));
  c.gpr[i.op[0].reg] = crc;
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(PCMPESTRI, pcmpstri<true>),  VTLAB_SSE_ROW(PCMPESTRM, pcmpstrm<true>),
    VTLAB_SSE_ROW(PCMPISTRI, pcmpstri<false>), VTLAB_SSE_ROW(PCMPISTRM, pcmpstrm<false>),
    VTLAB_SSE_ROW(PCMPGTQ, binary<&pcmpgtq>),  {ZYDIS_MNEMONIC_CRC32, VTLAB_ONE(crc32)},
};

}  // namespace
}  // namespace vtlab::sse

namespace vtlab {
std::span<const InsnRow> sse42_rows() { return sse::kRows; }
}  // namespace vtlab

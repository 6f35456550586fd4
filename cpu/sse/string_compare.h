// The comparison engine of the SSE4.2 string instructions PCMPESTRI,
// PCMPESTRM, PCMPISTRI and PCMPISTRM (SDM Vol. 2 §4.1 "Imm8 Control Byte
// Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM"): element
// format, aggregation, polarity and output selection from imm8, with the
// SDM's override rules for elements past the end of either string.
#pragma once
#include "core/base/types.h"
#include "cpu/state.h"

namespace vtlab::sse {

struct StringCompare {
  u16 intres2;                  // one bit per element (8 or 16 used)
  unsigned ub;                  // elements per register: 16 bytes or 8 words
  bool src1_short, src2_short;  // SF, ZF: a string shorter than a register
};

// Elements per register for imm8: 16 (bytes) or 8 (words).
constexpr unsigned string_elements(u8 imm) { return (imm & 1) ? 8 : 16; }

// Length of an implicit (null-terminated) string: the index of the first
// zero element, or the element count.
unsigned implicit_length(const Xmm& x, u8 imm);
// Length given in EAX/EDX (RAX/RDX with REX.W): the absolute value,
// saturated to the element count.
unsigned explicit_length(i64 reg, u8 imm);

// src1 = xmm1 (the set, ranges or needle, len1 elements valid), src2 =
// xmm2/m128 (the text, len2 elements valid).
StringCompare string_compare(const Xmm& src1, unsigned len1, const Xmm& src2, unsigned len2, u8 imm);

// The outputs: PCMPxSTRI's index (imm8[6]: most significant set bit
// instead of least; the element count if none), PCMPxSTRM's mask
// (imm8[6]: expanded to whole elements instead of a bit mask).
unsigned string_index(const StringCompare& r, u8 imm);
Xmm string_mask(const StringCompare& r, u8 imm);

}  // namespace vtlab::sse

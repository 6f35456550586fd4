#include "cpu/sse/string_compare.h"

#include <cstring>

namespace vtlab::sse {
namespace {

enum Aggregation : u8 { kEqualAny, kRanges, kEqualEach, kEqualOrdered };

// Element k of x as imm8[1:0] says: unsigned/signed bytes or words.
int element(const Xmm& x, unsigned k, u8 imm) {
  u8 b[16];
  std::memcpy(b, &x, 16);
  if (imm & 1) {
    const u16 w = u16(b[2 * k] | b[2 * k + 1] << 8);
    return (imm & 2) ? int(i16(w)) : int(w);
  }
  return (imm & 2) ? int(i8(b[k])) : int(b[k]);
}

// BoolRes for src2 element j (valid: v2) against src1 element i (v1), with
// the forced values of the SDM's table "Comparison Result for Each Element
// Pair BoolRes[i,j]" where an element lies past the end of its string.
bool bool_res(Aggregation agg, int s1, bool v1, int s2, bool v2, unsigned i) {
  if (!v1 || !v2) {
    switch (agg) {
      case kEqualEach:
        return !v1 && !v2;
      case kEqualOrdered:
        return !v1;
      default:
        return false;
    }
  }
  if (agg == kRanges) return (i & 1) ? s2 <= s1 : s2 >= s1;  // even: lower bound, odd: upper
  return s1 == s2;
}

}  // namespace

unsigned implicit_length(const Xmm& x, u8 imm) {
  const unsigned ub = string_elements(imm);
  for (unsigned k = 0; k < ub; ++k)
    if (element(x, k, imm & 1) == 0) return k;
  return ub;
}

unsigned explicit_length(i64 reg, u8 imm) {
  const u64 mag = reg < 0 ? u64(0) - u64(reg) : u64(reg);
  const unsigned ub = string_elements(imm);
  return mag > ub ? ub : unsigned(mag);
}

StringCompare string_compare(const Xmm& src1, unsigned len1, const Xmm& src2, unsigned len2, u8 imm) {
  const unsigned ub = string_elements(imm);
  const auto agg = Aggregation((imm >> 2) & 3);
  int a[16], b[16];
  for (unsigned k = 0; k < ub; ++k) a[k] = element(src1, k, imm), b[k] = element(src2, k, imm);
  auto res = [&](unsigned j, unsigned i) { return bool_res(agg, a[i], i < len1, b[j], j < len2, i); };
  u32 r1 = 0;
  for (unsigned j = 0; j < ub; ++j) {
    bool bit = false;
    switch (agg) {
      case kEqualAny:
        for (unsigned i = 0; i < ub && !bit; ++i) bit = res(j, i);
        break;
      case kRanges:
        for (unsigned i = 0; i + 1 < ub && !bit; i += 2) bit = res(j, i) && res(j, i + 1);
        break;
      case kEqualEach:
        bit = res(j, j);
        break;
      case kEqualOrdered:
        bit = true;
        for (unsigned i = 0; i + j < ub && bit; ++i) bit = res(j + i, i);
        break;
    }
    if (bit) r1 |= 1u << j;
  }
  const u32 all = (1u << ub) - 1, valid2 = (1u << len2) - 1;
  // Polarity (imm8[5:4]): positive, negative (all inverted), masked
  // positive, masked negative (only the valid elements of src2 inverted).
  const u32 invert = ((imm >> 4) & 3) == 1 ? all : ((imm >> 4) & 3) == 3 ? valid2 : 0;
  const u32 r2 = (r1 ^ invert) & all;
  return StringCompare{u16(r2), ub, len1 < ub, len2 < ub};
}

unsigned string_index(const StringCompare& r, u8 imm) {
  if (r.intres2 == 0) return r.ub;
  if (imm & 0x40) return 31u - unsigned(__builtin_clz(r.intres2));
  return unsigned(__builtin_ctz(r.intres2));
}

Xmm string_mask(const StringCompare& r, u8 imm) {
  if (!(imm & 0x40)) return Xmm{r.intres2, 0};
  u8 m[16] = {};
  const unsigned width = 16 / r.ub;
  for (unsigned k = 0; k < r.ub; ++k)
    if (r.intres2 & (1u << k)) std::memset(m + k * width, 0xff, width);
  Xmm x;
  std::memcpy(&x, m, 16);
  return x;
}

}  // namespace vtlab::sse

#include "cpu/sse/round.h"

#include "cpu/sse/fp_env.h"

namespace vtlab::sse {
namespace {

// IEEE binary formats: P significand bits (with the hidden one), E
// exponent bits.
template <typename T, unsigned P, unsigned E>
struct Format {
  static constexpr unsigned kFrac = P - 1;
  static constexpr T kSign = T(1) << (P - 1 + E);
  static constexpr T kFracMask = (T(1) << kFrac) - 1;
  static constexpr unsigned kExpMax = (1u << E) - 1;
  static constexpr int kBias = int(kExpMax >> 1);
  static constexpr T kQuiet = T(1) << (kFrac - 1);
};

template <typename F, typename T>
T round_to_integral(T x, RoundMode m, bool daz, bool suppress_precision, u32* flags) {
  const T sign = x & F::kSign;
  const unsigned exp = unsigned((x >> F::kFrac) & F::kExpMax);
  const T frac = x & F::kFracMask;
  if (exp == F::kExpMax) {  // infinity or NaN
    if (frac && !(frac & F::kQuiet)) {
      *flags |= mx::IE;
      return x | F::kQuiet;
    }
    return x;
  }
  if (exp == 0 && (frac == 0 || daz)) return sign;  // +-0, or a denormal read as zero
  // |x| = m * 2^-shift with m the significand as an integer.
  const int e = exp ? int(exp) - F::kBias : 1 - F::kBias;
  const int shift = int(F::kFrac) - e;
  if (shift <= 0) return x;  // |x| >= 2^(P-1): already integral
  const T mant = exp ? (frac | (T(1) << F::kFrac)) : frac;
  T ipart = 0, rem = mant;
  bool above_half = false, at_half = false;
  if (shift < int(sizeof(T) * 8)) {
    ipart = mant >> shift;
    rem = mant & ((T(1) << shift) - 1);
    const T half = T(1) << (shift - 1);
    above_half = rem > half;
    at_half = rem == half;
  }  // else |x| < 2^-(width-P): far below one half
  if (rem == 0) return x;
  bool up;
  switch (m) {
    case RoundMode::Nearest:
      up = above_half || (at_half && (ipart & 1));
      break;
    case RoundMode::Down:
      up = sign != 0;
      break;
    case RoundMode::Up:
      up = sign == 0;
      break;
    default:
      up = false;
      break;
  }
  if (up) ++ipart;
  if (!suppress_precision) *flags |= mx::PE;
  if (ipart == 0) return sign;
  // ipart <= 2^(P-1): exactly representable; normalise it.
  unsigned top = 0;
  while ((ipart >> (top + 1)) != 0) ++top;
  const T biased = T(unsigned(F::kBias) + top);
  const T fraction = (ipart << (F::kFrac - top)) & F::kFracMask;
  return sign | (biased << F::kFrac) | fraction;
}

}  // namespace

u32 round_f32(u32 x, RoundMode m, bool daz, bool suppress_precision, u32* flags) {
  return round_to_integral<Format<u32, 24, 8>>(x, m, daz, suppress_precision, flags);
}
u64 round_f64(u64 x, RoundMode m, bool daz, bool suppress_precision, u32* flags) {
  return round_to_integral<Format<u64, 53, 11>>(x, m, daz, suppress_precision, flags);
}

}  // namespace vtlab::sse

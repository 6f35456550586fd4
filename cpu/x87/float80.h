// The x87 double extended-precision format (SDM Vol. 1 §4.2.2, §8.2.2) in
// software: the value type, its classes, and the rounding environment. Every
// result vtlab's x87 computes goes through this code (no host x87), so it is
// the same on every host.
#pragma once
#include "core/base/types.h"

namespace vtlab::x87 {

// An 80-bit register image: 64-bit significand with the explicit integer bit
// (J, bit 63), then sign and 15-bit biased exponent.
struct F80 {
  u64 sig = 0;
  u16 se = 0;  // bit 15 sign, bits 14:0 exponent (bias 16383)
  bool sign() const { return se >> 15; }
  u16 exp() const { return se & 0x7fff; }
  bool operator==(const F80&) const = default;
};

inline constexpr int kBias = 16383;
inline constexpr u16 kMaxExp = 0x7fff;
inline constexpr u64 kJ = u64(1) << 63, kQuietBit = u64(1) << 62;

inline constexpr F80 make(bool sign, u16 exp, u64 sig) { return F80{sig, u16((sign ? 0x8000 : 0) | exp)}; }
// The default NaN of an invalid operation ("real indefinite", Table 4-3).
inline constexpr F80 kIndefinite{0xc000000000000000ull, 0xffff};
inline constexpr F80 zero(bool sign) { return make(sign, 0, 0); }
inline constexpr F80 infinity(bool sign) { return make(sign, kMaxExp, kJ); }
inline constexpr F80 one(bool sign = false) { return make(sign, kBias, kJ); }
inline F80 negate(F80 x) { return F80{x.sig, u16(x.se ^ 0x8000)}; }
inline F80 abs(F80 x) { return F80{x.sig, u16(x.se & 0x7fff)}; }

// Operand classes (SDM Vol. 1 §8.2.2, Table 8-3). Denormal includes the
// pseudo-denormals (exponent 0, J=1), which 387-and-later processors accept
// as denormal operands. Unsupported: unnormals, pseudo-infinities and
// pseudo-NaNs (J=0 with a non-zero exponent), which raise #IA (§8.2.2).
enum class Cls : u8 { Zero, Denormal, Normal, Inf, QNaN, SNaN, Unsupported };

inline Cls classify(F80 x) {
  const u16 e = x.exp();
  const bool j = x.sig & kJ;
  if (e == 0) return x.sig == 0 ? Cls::Zero : Cls::Denormal;
  if (!j) return Cls::Unsupported;
  if (e != kMaxExp) return Cls::Normal;
  if ((x.sig << 1) == 0) return Cls::Inf;
  return (x.sig & kQuietBit) ? Cls::QNaN : Cls::SNaN;
}
inline bool is_nan(Cls c) { return c == Cls::QNaN || c == Cls::SNaN; }
inline bool is_finite_nonzero(Cls c) { return c == Cls::Normal || c == Cls::Denormal; }

// Exception flags, as in the status word and (masks) the control word.
namespace ex {
inline constexpr u8 IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, kAll = 0x3f;
inline constexpr u8 kPreComputation = IE | DE | ZE;
}  // namespace ex

enum class Rounding : u8 { Nearest = 0, Down = 1, Up = 2, Zero = 3 };

// What an operation needs from the control word: precision (significand
// bits of the result: 24, 53 or 64), rounding, and the exception masks.
struct Env {
  u8 bits = 64;
  Rounding rc = Rounding::Nearest;
  u8 masks = ex::kAll;
  bool masked(u8 e) const { return (masks & e) == e; }
};

// The environment of a control word. PC=01 is reserved; it selects 64 bits
// here (see docs/x87.md).
inline Env env_from_fcw(u16 fcw, bool precision_control = true) {
  static constexpr u8 kBits[4] = {24, 64, 53, 64};
  return Env{precision_control ? kBits[(fcw >> 8) & 3] : u8(64), Rounding((fcw >> 10) & 3), u8(fcw & ex::kAll)};
}

// The outcome of an operation with a register destination: the value, the
// exceptions it raised, the C1 "rounded up" bit (SDM Vol. 1 §8.1.3.1), and
// whether the destination is written (not after an unmasked invalid,
// denormal or zero-divide exception: §8.5, those are pre-computation).
struct Result {
  F80 v;
  u8 flags = 0;
  bool c1 = false;
  bool write = true;
};

// A finite non-zero value before rounding: m (bit 127 set) / 2^127 *
// 2^(exp - bias). Bit 0 of m may be a sticky bit standing for lower ones.
struct Unrounded {
  bool sign;
  i32 exp;
  u128 m;
};

// Rounds to `env.bits` with the rounding control, handling overflow and
// underflow with their masked and unmasked (biased by 2^±24576) responses
// for a register destination (SDM Vol. 1 §8.5.4, §8.5.5).
Result round_pack(const Unrounded& u, const Env& env);

// A binary format's rounding parameters: significand bits and the range of
// normal exponents, in x87 (bias 16383) terms. A denormal result has
// exponent emin - 1; infinity emax + 1.
struct Format {
  u8 bits;
  i32 emin, emax;
};
inline constexpr Format kFloat32{24, kBias - 126, kBias + 127}, kFloat64{53, kBias - 1022, kBias + 1023};

// A rounded value in a Format: sign, exponent (x87 terms, see Format), the
// significand left-aligned in 64 bits (J = bit 63, 0 for a denormal).
// `write` false: an unmasked exception leaves the destination unwritten
// (memory destinations on overflow and underflow, SDM Vol. 1 §8.5.4-8.5.5).
struct Packed {
  bool sign;
  i32 exp = 0;
  u64 sig = 0;
  u8 flags = 0;
  bool c1 = false;
  bool write = true;
};
// Rounds into a format with the control word's rounding and masks.
// memory: the destination is memory (unmasked #O/#U store nothing) rather
// than a register (they store the result biased by 2^-+24576).
Packed round_to(const Unrounded& u, const Format& f, const Env& env, bool memory);

// Normalizes m so bit 127 is set (m != 0) and builds an Unrounded.
Unrounded normalized(bool sign, i32 exp, u128 m);

// A finite non-zero operand as an Unrounded (exact): denormals are
// normalized, pseudo-denormals read with exponent 1.
Unrounded unpack(F80 x);

// x87 NaN rules for two operands (SDM Vol. 1 §4.8.3.5, Table 4-7): a QNaN
// wins over an SNaN; two of a kind: the larger significand. The result is
// quieted. Sets IE for an SNaN.
F80 propagate_nan(F80 a, F80 b, u8& flags);
F80 quiet(F80 x);

}  // namespace vtlab::x87

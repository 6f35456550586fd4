// Conversions between the x87 register format and the memory formats:
// single and double precision (FLD/FST/FSTP m32/m64 and the m32/m64 forms
// of the arithmetic), integers (FILD, FIST/FISTP/FISTTP and the integer
// arithmetic), and packed BCD (FBLD/FBSTP). SDM Vol. 1 §4.2, §4.7, §8.2.
#pragma once
#include "cpu/x87/float80.h"

namespace vtlab::x87 {

// A value loaded from memory: exact (every single, double and 64-bit
// integer fits), with #IA for an SNaN and #D for a denormal; `write` false
// when such an exception is unmasked (nothing is loaded).
struct Loaded {
  F80 v;
  u8 flags = 0;
  bool write = true;
};
Loaded from_float32(u32 bits, const Env& env);
Loaded from_float64(u64 bits, const Env& env);
F80 from_int(i64 v);
// Packed BCD (FBLD): 18 digits and a sign byte. Digits above 9 are
// invalid and give an undefined result (here: each nibble weighted by its
// power of ten, as this CPU does).
F80 from_bcd(const u8 (&b)[10]);

// A value stored to memory: the bits, the flags, C1 (rounded up), and
// whether anything is stored (not after an unmasked exception, except #P).
struct Stored {
  u64 bits = 0;
  u8 flags = 0;
  bool c1 = false;
  bool write = true;
};
Stored to_float32(F80 x, const Env& env);
Stored to_float64(F80 x, const Env& env);
// FIST/FISTP (truncate = false: the rounding control) and FISTTP.
Stored to_int(F80 x, unsigned bytes, const Env& env, bool truncate);
struct StoredBcd {
  u8 b[10] = {};
  u8 flags = 0;
  bool c1 = false;
  bool write = true;
};
StoredBcd to_bcd(F80 x, const Env& env);

}  // namespace vtlab::x87

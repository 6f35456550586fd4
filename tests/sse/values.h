// Operand values for SSE tests: IEEE specials and edge integers mixed with
// random bits, from a deterministic generator.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sse_test {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

struct Rng {
  u64 s;
  explicit Rng(u64 seed) : s(seed) {}
  u64 next() {  // splitmix64
    u64 z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned n) { return unsigned(next() % n); }
};

inline u64 seed_of(std::string_view name) {
  u64 h = 1469598103934665603ull;
  for (char ch : name) h = (h ^ u8(ch)) * 1099511628211ull;
  return h;
}

// Str: text for the SSE4.2 string instructions (zeros, a small alphabet
// so elements often match, and random words).
enum class Lane { F32, F64, I8, I16, I32, I64, Raw, Str };

inline constexpr u32 kF32Specials[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000, 0x3dcccccd, 0x7f800000,
    0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0xffd00001, 0x7f800001, 0xff812345, 0x7fbfffff,
    0x00000001, 0x007fffff, 0x80400000, 0x00800000, 0x80800000, 0x00c00000, 0x7f7fffff, 0xff7fffff,
    0x7f000000, 0x1f800000, 0x20000000, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0xdf000000,
    0x3f000000, 0x3f800001, 0x4b000000, 0x00ffffff, 0x0d800000, 0x33800000,
};
inline constexpr u64 kF64Specials[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x3ff8000000000000,
    0x4008000000000000, 0x3fb999999999999a, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000000, 0x7ff8000000012345, 0xfffa000000000001, 0x7ff0000000000001, 0xfff0000012345678,
    0x7ff7ffffffffffff, 0x0000000000000001, 0x000fffffffffffff, 0x8008000000000000, 0x0010000000000000,
    0x8010000000000000, 0x0018000000000000, 0x7fefffffffffffff, 0xffefffffffffffff, 0x7fe0000000000000,
    0x41e0000000000000, 0xc1e0000000000000, 0x41dfffffffc00000, 0x43e0000000000000, 0xc3e0000000000000,
    0x43dfffffffffffff, 0x3fe0000000000000, 0x3ff0000000000001, 0x4330000000000000, 0x47efffffe0000000,
    0x47effffff0000000, 0x3810000000000000, 0x36a0000000000000, 0x380fffffffffffff, 0x001fffffffffffff,
    0x2000000000000000, 0x5fe0000000000000,
};
inline constexpr u64 kIntEdges[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
                                    0x80000000, 0xffffffff, 0x7fffffffffffffff, 0x8000000000000000,
                                    0xffffffffffffffff, 0x0f, 0x10, 0x3f, 0x40};

// One lane's worth of bits (low `width` bytes meaningful).
inline u64 lane_value(Rng& r, Lane k) {
  bool special = r.below(10) < 7;
  switch (k) {
    case Lane::F32:
      return special ? kF32Specials[r.below(std::size(kF32Specials))] : u32(r.next());
    case Lane::F64:
      return special ? kF64Specials[r.below(std::size(kF64Specials))] : r.next();
    case Lane::Raw: return r.next();
    case Lane::Str: {
      static constexpr u16 kAlphabet[] = {0x0061, 0x0062, 0x0063, 0x6100, 0x6161, 0x0001,
                                          0x00ff, 0x8000, 0x7fff, 0xff80, 0x0180, 0x6263};
      const unsigned pick = r.below(8);
      return pick < 2 ? 0 : pick < 6 ? kAlphabet[r.below(std::size(kAlphabet))] : u16(r.next());
    }
    default: {
      u64 v = special ? kIntEdges[r.below(std::size(kIntEdges))] : r.next();
      if (r.below(4) == 0) v = ~v + (r.below(2) ? 0 : 1);  // negations of the edges
      return v;
    }
  }
}

inline unsigned lane_bytes(Lane k) {
  switch (k) {
    case Lane::F32: case Lane::I32: return 4;
    case Lane::F64: case Lane::I64: case Lane::Raw: return 8;
    case Lane::I8: return 1;
    case Lane::I16: case Lane::Str: return 2;
  }
  return 8;
}

// 16 bytes of lanes of kind k.
inline void fill_lanes(Rng& r, Lane k, u8* out16) {
  unsigned w = lane_bytes(k);
  for (unsigned off = 0; off < 16; off += w) {
    u64 v = lane_value(r, k);
    std::memcpy(out16 + off, &v, w);
  }
}

}  // namespace sse_test

// Operand values for generated cases: edge values per kind and width, and a
// seeded PRNG for the random ones (so a spec always gives the same file).
#pragma once

#include <string>
#include <vector>

#include "tests/insn/case.h"

namespace insn::gen {

// splitmix64: small, fast, and identical on every host.
struct Rng {
    u64 s;
    explicit Rng(u64 seed) : s(seed) {}
    u64 next() {
        u64 z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    u64 below(u64 n) { return n ? next() % n : 0; }
};

using Bytes = std::vector<u8>;

// Value kinds (see docs/instruction-test-format.md, "Spec files"):
//   int nz count bitoff u8 cnt ps pd b w d q x zero mxcsr fx xs xsbad round
//   strimm str slen clmul f80 f80int f80trig f80unit f80log f80pos bcd env
//   save fx87 xs87
// `bits` is the operand size. edge_values lists the interesting values (all
// of them for `count`); random_value draws one more.
std::vector<Bytes> edge_values(const std::string& kind, int bits);
Bytes random_value(const std::string& kind, int bits, Rng& rng);
bool is_known_kind(const std::string& kind);

// An x87 register image of a kind: f80 (every class), f80int (around the
// integer widths), f80trig / f80unit / f80log / f80pos (the transcendental
// instructions' operands).
struct X87Bits {
    u64 sig;
    u16 se;
};
X87Bits random_x87(const std::string& kind, Rng& rng);

Bytes u64_bytes(u64 v, int bits);
u64 bytes_u64(const Bytes& b);  // low 8 bytes, zero-extended

}  // namespace insn::gen

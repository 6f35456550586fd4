// AES-NI (AESENC AESENCLAST AESDEC AESDECLAST AESIMC AESKEYGENASSIST; SDM
// Vol. 1 §12.13, Vol. 2 AESENC, FIPS-197) and PCLMULQDQ, in software. The
// S-boxes are derived from their definition (multiplicative inverse in
// GF(2^8) followed by FIPS-197's affine map) when first used.
//
// The state is the XMM register's 16 bytes in memory order: byte r + 4c
// is row r, column c (FIPS-197 §3.4).
#include "cpu/sse/sse.h"

namespace vtlab::sse {
namespace {

using Block = Lanes<u8>;

// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
u8 gmul(u8 a, u8 b) {
  u8 p = 0;
  while (b) {
    if (b & 1) p ^= a;
    a = u8((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
    b >>= 1;
  }
  return p;
}

u8 rotl8(u8 v, unsigned n) { return u8((v << n) | (v >> (8 - n))); }

struct SBoxes {
  u8 fwd[256], inv[256];
  SBoxes() {
    for (unsigned x = 0; x < 256; ++x) {
      u8 invx = 0;  // x^254 = x^-1 (0 for 0)
      if (x) {
        u8 p = 1;
        for (int k = 0; k < 254; ++k) p = gmul(p, u8(x));
        invx = p;
      }
      const u8 s = u8(invx ^ rotl8(invx, 1) ^ rotl8(invx, 2) ^ rotl8(invx, 3) ^ rotl8(invx, 4) ^ 0x63);
      fwd[x] = s;
      inv[s] = u8(x);
    }
  }
};
const SBoxes& sboxes() {
  static const SBoxes s;
  return s;
}

Block sub_bytes(Block b, const u8 (&box)[256]) {
  for (u8& v : b) v = box[v];
  return b;
}

// ShiftRows: row r rotated left by r columns; InvShiftRows the inverse.
Block shift_rows(const Block& in, bool inverse) {
  Block out;
  for (unsigned r = 0; r < 4; ++r)
    for (unsigned c = 0; c < 4; ++c) {
      const unsigned shifted = r + 4 * ((c + r) % 4);
      if (inverse)
        out[shifted] = in[r + 4 * c];
      else
        out[r + 4 * c] = in[shifted];
    }
  return out;
}

// MixColumns (coefficients 2 3 1 1) and InvMixColumns (0e 0b 0d 09): each
// column times the circulant matrix of its coefficients.
Block mix_columns(const Block& in, bool inverse) {
  static constexpr u8 kFwd[4] = {2, 3, 1, 1}, kInv[4] = {0x0e, 0x0b, 0x0d, 0x09};
  const u8* m = inverse ? kInv : kFwd;
  Block out;
  for (unsigned c = 0; c < 4; ++c)
    for (unsigned r = 0; r < 4; ++r) {
      u8 v = 0;
      for (unsigned k = 0; k < 4; ++k) v ^= gmul(in[4 * c + k], m[(k + 4 - r) % 4]);
      out[4 * c + r] = v;
    }
  return out;
}

Xmm xor_key(const Block& b, const Xmm& key) {
  Xmm x = to_xmm(b);
  x.lo ^= key.lo, x.hi ^= key.hi;
  return x;
}

// One round: xmm1 = state, xmm2/m128 = round key.
template <bool Decrypt, bool Last>
Xmm aes_round(const Xmm& state, const Xmm& key) {
  const SBoxes& s = sboxes();
  Block b = sub_bytes(shift_rows(lanes<u8>(state), Decrypt), Decrypt ? s.inv : s.fwd);
  if (!Last) b = mix_columns(b, Decrypt);
  return xor_key(b, key);
}

// AESIMC: InvMixColumns of the source (a decryption round key from an
// encryption one).
Xmm aesimc(const Xmm&, const Xmm& s) { return to_xmm(mix_columns(lanes<u8>(s), true)); }

// AESKEYGENASSIST: SubWord and RotWord (ROR 8) of source dwords 1 and 3,
// the round constant imm8 XORed into the rotated ones.
Xmm aeskeygenassist(const Xmm&, const Xmm& s, u8 rcon) {
  const SBoxes& box = sboxes();
  const Lanes<u32> w = lanes<u32>(s);
  auto sub_word = [&](u32 v) {
    u32 r = 0;
    for (unsigned k = 0; k < 4; ++k) r |= u32(box.fwd[(v >> (8 * k)) & 0xff]) << (8 * k);
    return r;
  };
  auto rot_word = [](u32 v) { return (v >> 8) | (v << 24); };
  const u32 x1 = sub_word(w[1]), x3 = sub_word(w[3]);
  return to_xmm(Lanes<u32>{x1, rot_word(x1) ^ rcon, x3, rot_word(x3) ^ rcon});
}

// PCLMULQDQ: the carry-less product of the quadword of xmm1 selected by
// imm8[0] and that of xmm2/m128 selected by imm8[4].
Xmm pclmulqdq(const Xmm& d, const Xmm& s, u8 imm) {
  const u64 a = (imm & 0x01) ? d.hi : d.lo, b = (imm & 0x10) ? s.hi : s.lo;
  u128 r = 0;
  for (unsigned k = 0; k < 64; ++k)
    if ((b >> k) & 1) r ^= u128(a) << k;
  return Xmm{u64(r), u64(r >> 64)};
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(AESENC, (binary<&aes_round<false, false>>)),
    VTLAB_SSE_ROW(AESENCLAST, (binary<&aes_round<false, true>>)),
    VTLAB_SSE_ROW(AESDEC, (binary<&aes_round<true, false>>)),
    VTLAB_SSE_ROW(AESDECLAST, (binary<&aes_round<true, true>>)),
    VTLAB_SSE_ROW(AESIMC, binary<&aesimc>),
    VTLAB_SSE_ROW(AESKEYGENASSIST, binary_imm<&aeskeygenassist>),
    VTLAB_SSE_ROW(PCLMULQDQ, binary_imm<&pclmulqdq>),
};

}  // namespace
}  // namespace vtlab::sse

namespace vtlab {
std::span<const InsnRow> aes_clmul_rows() { return sse::kRows; }
}  // namespace vtlab

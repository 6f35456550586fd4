// Edge and random operand values by kind.
#include "tests/insn/gen/values.h"

#include <algorithm>
#include <cstring>

namespace insn::gen {

namespace {

u64 mask_bits(int bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

std::vector<u64> int_edges(int bits) {
    const u64 m = mask_bits(bits), sign = 1ull << (bits - 1);
    std::vector<u64> v = {0, 1, 2, sign - 1, sign, sign + 1, m, m - 1, 0x5555555555555555ull & m,
                          0xaaaaaaaaaaaaaaaaull & m, 0x0f0f0f0f0f0f0f0full & m, (1ull << (bits / 2)) & m,
                          0x7f, 0x80, 0xff & m};
    return v;
}

// IEEE special and boundary values (Intel SDM Vol. 1, 4.8 and 11.5): zeros,
// denormals, normal bounds, infinities, QNaN/SNaN, halfway cases for rounding,
// and integer-conversion boundaries.
const u32 kF32Specials[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xc0200000, 0x3f000000,
    0xbf000000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000,
    0x7fc00000, 0x7f800001, 0xffc00000, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0xdf000000,
    0x3eaaaaab, 0x42c80000, 0xc0f80000, 0x60ad78ec, 0x40400000, 0x4b800001, 0x00400000, 0x7fa00000};
const u64 kF64Specials[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x3ff8000000000000,
    0x4004000000000000, 0xc004000000000000, 0x3fe0000000000000, 0xbfe0000000000000, 0x0000000000000001,
    0x800fffffffffffff, 0x0010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff, 0x7ff0000000000000,
    0xfff0000000000000, 0x7ff8000000000000, 0x7ff0000000000001, 0xfff8000000000000, 0x41e0000000000000,
    0xc1e0000000000000, 0x41dfffffffc00000, 0x43e0000000000000, 0xc3e0000000000000, 0x3fd5555555555555,
    0x4059000000000000, 0x47efffffe0000000, 0x36a0000000000000, 0x3810000000000000, 0x41dfffffffe00000,
    0x7ff4000000000000, 0x0008000000000000};

// A "reasonable" random float: random sign, exponent near 1, random mantissa.
u32 random_f32(Rng& rng) {
    u32 exp = static_cast<u32>(127 - 20 + rng.below(40));
    return static_cast<u32>((rng.next() & 1) << 31 | exp << 23 | (rng.next() & 0x7fffff));
}
u64 random_f64(Rng& rng) {
    u64 exp = 1023 - 40 + rng.below(80);
    return (rng.next() & 1) << 63 | exp << 52 | (rng.next() & 0xfffffffffffffull);
}

template <typename T>
void put(Bytes& b, int lane, T v) { std::memcpy(b.data() + lane * sizeof(T), &v, sizeof(T)); }

int lane_bits(const std::string& kind) {
    return kind == "b" ? 8 : kind == "w" ? 16 : kind == "d" ? 32 : 64;
}

// Text for the SSE4.2 string instructions (16 bytes; as words, the pairs):
// terminated and unterminated strings, empty ones, data after a
// terminator, repeats for substring searches, range pairs, signed extremes.
const char* const kStrings[] = {
    "abcd", "", "abcdefghijklmnop", "a\0xyzxyzxyzxyz", "xxabyyabzzabab", "azAZ09", "ab", "ba",
    "\x80\xff\x7f\x01\x80\x7f", "a\0b\0c\0\0\0", "aaaaaaaaaaaaaaaa", "\xff\xff\x01\x80", "pqrstuvwxyzabcd"};
constexpr size_t kStringLen[] = {4, 0, 16, 15, 14, 6, 2, 2, 6, 10, 16, 4, 15};
const u8 kStrAlphabet[] = {'a', 'b', 'c', 'A', 'Z', '0', '9', 0x80, 0xff, 0x7f, 0x01};

// XSAVE images (576 bytes: legacy region, header; SDM Vol. 1 §13.4): a
// valid FXSAVE part, then XSTATE_BV / XCOMP_BV as given (`rest` goes to
// header byte `rest_at`, 0 for none).
Bytes xsave_image(Rng& rng, u64 xstate_bv, u64 xcomp_bv, u32 mxcsr, size_t rest_at = 0, u8 rest = 0) {
    Bytes b(576, 0);
    put<u16>(b, 0, 0x037f);
    std::memcpy(b.data() + 24, &mxcsr, 4);
    for (size_t i = 160; i < 416; ++i) b[i] = static_cast<u8>(rng.next());
    for (size_t i = 416; i < 512; ++i) b[i] = static_cast<u8>(rng.next());  // not used by XRSTOR
    std::memcpy(b.data() + 512, &xstate_bv, 8);
    std::memcpy(b.data() + 520, &xcomp_bv, 8);
    if (rest_at) b[512 + rest_at] = rest;
    return b;
}
constexpr u64 kCompacted = 1ull << 63;

const u32 kMxcsrValues[] = {0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9fc0, 0x1fbf, 0x1f80 | 0x40, 0x1f80 | 0x8000,
                            0x1e80, 0x1d80, 0x1b80, 0x1780, 0x0f80, 0x0000, 0xffbf, 0x1f81, 0x11f80};

// x87 values (SDM Vol. 1 §8.2.2): every class of the register format.
u64 random_sig(Rng& r) {
    u64 s = r.next();
    switch (r.below(4)) {
        case 0: s &= ~0ull << r.below(64); break;          // short: exact and halfway cases
        case 1: s |= (1ull << r.below(64)) - 1; break;     // runs of ones
        default: break;
    }
    return s;
}
constexpr u64 kJ = 1ull << 63, kQ = 1ull << 62;

X87Bits f80(bool sign, unsigned exp, u64 sig) { return {sig, static_cast<u16>((sign ? 0x8000 : 0) | exp)}; }

X87Bits random_f80_any(Rng& r) {
    const bool sign = r.below(2);
    switch (r.below(16)) {
        case 0: return f80(sign, 0, 0);
        case 1: return f80(sign, 0, random_sig(r) >> (1 + r.below(63)));          // denormal
        case 2: return f80(sign, 0, kJ | random_sig(r));                          // pseudo-denormal
        case 3: return f80(sign, 0x7fff, kJ);                                     // infinity
        case 4: return f80(sign, 0x7fff, kJ | kQ | (random_sig(r) >> 2));         // QNaN
        case 5: return f80(sign, 0x7fff, kJ | (1 + (random_sig(r) >> 3)));        // SNaN
        case 6: return f80(sign, 1 + static_cast<unsigned>(r.below(0x7ffe)), random_sig(r) & ~kJ);  // unnormal
        case 7: return r.below(2) ? X87Bits{0xc000000000000000ull, 0xffff} : f80(sign, 0x7fff, random_sig(r) & ~kJ);
        case 8: return f80(sign, 1 + static_cast<unsigned>(r.below(80)), kJ | random_sig(r));       // tiny
        case 9: return f80(sign, 0x7ffe - static_cast<unsigned>(r.below(80)), kJ | random_sig(r));  // huge
        default: return f80(sign, 16383 - 40 + static_cast<unsigned>(r.below(80)), kJ | random_sig(r));
    }
}

// Values for integer and BCD stores: magnitudes around every integer width,
// halfway cases, and now and then anything.
X87Bits random_f80_int(Rng& r) {
    if (r.below(5) == 0) return random_f80_any(r);
    const unsigned e = static_cast<unsigned>(r.below(68));
    u64 sig = kJ | (random_sig(r) >> 1);
    if (r.below(3) == 0) sig &= ~0ull << (63 - std::min(63u, e + 1));  // x.5 or integer
    return f80(r.below(2), 16383 - (r.below(6) == 0 ? 2 : 0) + e, sig);
}

// Operands for the transcendental instructions: normal values of moderate
// size (the documented ranges are the caller's: F2XM1 |x| <= 1, FYL2XP1
// |x| < 1 - sqrt(2)/2), and some specials.
X87Bits random_f80_range(Rng& r, int min_exp, int max_exp, bool positive) {
    if (r.below(8) == 0) {
        X87Bits v = random_f80_any(r);
        if (positive) v.se &= 0x7fff;
        return v;
    }
    const unsigned e = static_cast<unsigned>(16383 + min_exp + static_cast<int>(r.below(static_cast<u64>(max_exp - min_exp + 1))));
    return f80(positive ? false : r.below(2), e, kJ | random_sig(r));
}

}  // namespace

X87Bits random_x87(const std::string& kind, Rng& rng) {
    if (kind == "f80int") return random_f80_int(rng);
    if (kind == "f80trig") return random_f80_range(rng, -70, rng.below(4) == 0 ? 62 : 4, false);
    if (kind == "f80unit") return random_f80_range(rng, -70, -1, false);
    if (kind == "f80log") return random_f80_range(rng, -70, -3, false);
    if (kind == "f80pos") return random_f80_range(rng, -100, 100, true);
    return random_f80_any(rng);
}

bool is_known_kind(const std::string& k) {
    for (const char* n : {"int", "nz", "count", "bitoff", "u8", "cnt", "ps", "pd", "b", "w", "d", "q", "x", "zero",
                          "mxcsr", "fx", "rfl", "pred", "scount", "xcount", "pastend",
                          "belowstart", "noncanon", "round", "strimm", "clmul", "str", "slen", "xs", "xsbad", "xs87",
                          "f80", "f80int", "f80trig", "f80unit", "f80log", "f80pos", "bcd", "env", "save", "fx87"})
        if (k == n) return true;
    return false;
}

Bytes u64_bytes(u64 v, int bits) {
    Bytes b(static_cast<size_t>(bits / 8));
    std::memcpy(b.data(), &v, std::min<size_t>(8, b.size()));
    return b;
}

u64 bytes_u64(const Bytes& b) {
    u64 v = 0;
    std::memcpy(&v, b.data(), std::min<size_t>(8, b.size()));
    return v;
}

std::vector<Bytes> edge_values(const std::string& kind, int bits) {
    std::vector<Bytes> out;
    if (kind == "int" || kind == "nz") {
        for (u64 v : int_edges(std::min(bits, 64)))
            if (kind == "int" || v != 0) out.push_back(u64_bytes(v, bits));
    } else if (kind == "count") {  // every count 0 .. 2*width+1 (masking and count >= width)
        for (u64 c = 0; c <= static_cast<u64>(2 * bits + 1); ++c) out.push_back(u64_bytes(c, 8));
    } else if (kind == "bitoff") {  // bit-string offsets, also beyond the operand and negative
        const long long w = bits;
        for (long long v : {0LL, 1LL, w - 1, w, w + 1, 2 * w + 3, -1LL, -w, -w - 1, 1000LL, -1000LL, 4095LL, -4096LL})
            out.push_back(u64_bytes(static_cast<u64>(v), bits));
    } else if (kind == "u8") {
        for (u64 v : {0x00, 0x01, 0x1b, 0x4e, 0x7f, 0x80, 0xb1, 0xe4, 0xff}) out.push_back(u64_bytes(v, 8));
    } else if (kind == "cnt") {
        for (u64 v = 0; v <= 5; ++v) out.push_back(u64_bytes(v, bits));
    } else if (kind == "ps") {
        constexpr int n = sizeof kF32Specials / 4;
        for (int i = 0; i < n; ++i) {
            Bytes b(static_cast<size_t>(bits / 8));
            for (int l = 0; l < bits / 32; ++l) put<u32>(b, l, kF32Specials[(i + 7 * l) % n]);
            out.push_back(b);
        }
    } else if (kind == "pd") {
        constexpr int n = sizeof kF64Specials / 8;
        for (int i = 0; i < n; ++i) {
            Bytes b(static_cast<size_t>(bits / 8));
            for (int l = 0; l < bits / 64; ++l) put<u64>(b, l, kF64Specials[(i + 11 * l) % n]);
            out.push_back(b);
        }
    } else if (kind == "b" || kind == "w" || kind == "d" || kind == "q") {
        const int lb = lane_bits(kind);
        auto edges = int_edges(lb);
        for (size_t i = 0; i < edges.size(); ++i) {
            Bytes b(static_cast<size_t>(bits / 8));
            for (int l = 0; l < bits / lb; ++l) {
                const u64 v = edges[(i + 3 * l) % edges.size()];
                std::memcpy(b.data() + l * lb / 8, &v, static_cast<size_t>(lb / 8));
            }
            out.push_back(b);
        }
    } else if (kind == "rfl") {  // values for POPF: settable flags and ID (never TF/AC/IOPL)
        for (u64 v : {0x202ull, 0xcd7ull, 0x200202ull, 0x602ull}) out.push_back(u64_bytes(v, bits));
    } else if (kind == "pastend") {  // accesses at and across the end of a window (#PF)
        for (u64 v : {kDataBase + kDataSize, kDataBase + kDataSize - 4, kDataBase + kDataSize - 1, kStackTop})
            out.push_back(u64_bytes(v, 64));
    } else if (kind == "belowstart") {
        for (u64 v : {kDataBase - 8, kDataBase - 1, kStackBase - 8, kCodeBase, kCodeBase + kCodeSize}) out.push_back(u64_bytes(v, 64));
    } else if (kind == "noncanon") {  // #GP(0), not #PF
        for (u64 v : {0x8000000000000000ull, 0x0000800000000000ull, 0x7ffffffffffffffcull}) out.push_back(u64_bytes(v, 64));
    } else if (kind == "pred") {  // CMPPS/CMPSS predicates 0..7
        for (u64 v = 0; v < 8; ++v) out.push_back(u64_bytes(v, 8));
    } else if (kind == "scount" || kind == "xcount") {  // packed shift counts: in range, = lane width, beyond
        for (u64 v : {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255}) {
            Bytes b = u64_bytes(v, bits);
            if (kind == "xcount" && bits == 128) b[8] = static_cast<u8>(v * 3);  // high qword is ignored
            out.push_back(b);
        }
    } else if (kind == "zero") {
        out.push_back(Bytes(static_cast<size_t>(bits / 8), 0));
    } else if (kind == "mxcsr") {
        for (u32 v : kMxcsrValues) out.push_back(u64_bytes(v, 32));
    } else if (kind == "round") {  // ROUNDxx imm8[3:0]: the four modes, MXCSR.RC, precision suppressed
        for (u64 v = 0; v < 16; ++v) out.push_back(u64_bytes(v, 8));
    } else if (kind == "strimm") {  // PCMPxSTRx: every control byte imm8[6:0]
        for (u64 v = 0; v < 128; ++v) out.push_back(u64_bytes(v, 8));
    } else if (kind == "clmul") {  // PCLMULQDQ quadword selectors
        for (u64 v : {0x00, 0x01, 0x10, 0x11}) out.push_back(u64_bytes(v, 8));
    } else if (kind == "str") {
        for (size_t i = 0; i < std::size(kStrings); ++i) {
            Bytes b(static_cast<size_t>(bits / 8), 0);
            std::memcpy(b.data(), kStrings[i], std::min(kStringLen[i], b.size()));
            out.push_back(b);
        }
    } else if (kind == "slen") {  // PCMPESTRx lengths: around 8 and 16, negative, saturating, INT_MIN
        for (u64 v : {0ull, 1ull, 3ull, 7ull, 8ull, 9ull, 15ull, 16ull, 17ull, ~0ull, ~6ull, ~15ull, ~16ull,
                      0x7fffffffull, 0x80000000ull, 0x8000000000000000ull, 0x100000005ull})
            out.push_back(u64_bytes(v, bits));
    } else if (kind == "xs") {  // valid XSAVE images, standard and compacted, every XSTATE_BV of x87|SSE
        Rng rng(0x5a7e);
        for (u64 bv = 0; bv < 4; ++bv) out.push_back(xsave_image(rng, bv, 0, 0x1f80 | (bv << 13)));
        for (u64 bv = 0; bv < 4; ++bv) out.push_back(xsave_image(rng, bv, kCompacted | 3, 0x9fc0 ^ (bv << 13)));
        out.push_back(xsave_image(rng, 2, kCompacted | 2, 0x3f80));
        out.push_back(xsave_image(rng, 0, kCompacted, 0x1f80));
        out.push_back(xsave_image(rng, 2, 0, 0x1f80, 24, 0xee));  // header bytes 24-63 are not checked (standard)
        out.push_back(xsave_image(rng, 2 | (1ull << 62), 0, 0x1f80));  // (#GP: not in XCR0)
    } else if (kind == "xsbad") {  // XRSTOR #GP(0): the header rules and MXCSR reserved bits
        Rng rng(0xbad);
        out.push_back(xsave_image(rng, 2, 1, 0x1f80));                    // standard: XCOMP_BV must be 0
        out.push_back(xsave_image(rng, 2, 0, 0x1f80, 16, 1));             // standard: bytes 16-23 must be 0
        out.push_back(xsave_image(rng, 2, 0, 0x1f80, 23, 0x80));
        out.push_back(xsave_image(rng, 1ull << 8, 0, 0x1f80));            // XSTATE_BV bit 8 (PT) never in XCR0
        out.push_back(xsave_image(rng, 2, 0, 0x10000));                   // MXCSR reserved bit
        out.push_back(xsave_image(rng, 3, kCompacted | 1, 0x1f80));       // compacted: XSTATE_BV not in XCOMP_BV
        out.push_back(xsave_image(rng, 2, kCompacted | 2, 0x1f80, 40, 1)); // compacted: bytes 16-63 must be 0
        out.push_back(xsave_image(rng, 2, kCompacted | 2 | (1ull << 8), 0x1f80));  // XCOMP_BV bit not in XCR0
        out.push_back(xsave_image(rng, 2, kCompacted | 2, 0x8000ffff));   // compacted: MXCSR reserved bit
    }
    return out;  // "x" and "fx" have no edge list: random only
}

Bytes random_value(const std::string& kind, int bits, Rng& rng) {
    Bytes b(static_cast<size_t>(bits / 8));
    if (kind == "int" || kind == "nz") {
        u64 v = rng.next();
        switch (rng.below(4)) {  // mix small, sign-boundary-near and full-width values
            case 0: v &= 0xff; break;
            case 1: v = (1ull << (rng.below(static_cast<u64>(std::min(bits, 64))))) + rng.below(3) - 1; break;
            default: break;
        }
        if (kind == "nz" && (v & mask_bits(std::min(bits, 64))) == 0) v = 3;
        b = u64_bytes(v, bits);
    } else if (kind == "count") {
        b = u64_bytes(rng.below(256), 8);
    } else if (kind == "bitoff") {
        b = u64_bytes(static_cast<u64>(static_cast<long long>(rng.below(8192)) - 4096), bits);
    } else if (kind == "u8") {
        b = u64_bytes(rng.below(256), 8);
    } else if (kind == "cnt") {
        b = u64_bytes(rng.below(7), bits);
    } else if (kind == "ps" || kind == "pd") {
        const bool f32 = kind == "ps";
        for (int l = 0; l < bits / (f32 ? 32 : 64); ++l) {
            const bool special = rng.below(3) == 0;
            if (f32) put<u32>(b, l, special ? kF32Specials[rng.below(std::size(kF32Specials))] : random_f32(rng));
            else put<u64>(b, l, special ? kF64Specials[rng.below(std::size(kF64Specials))] : random_f64(rng));
        }
    } else if (kind == "b" || kind == "w" || kind == "d" || kind == "q") {
        const int lb = lane_bits(kind);
        auto edges = int_edges(lb);
        for (int l = 0; l < bits / lb; ++l) {
            const u64 v = rng.below(2) ? edges[rng.below(edges.size())] : rng.next();
            std::memcpy(b.data() + l * lb / 8, &v, static_cast<size_t>(lb / 8));
        }
    } else if (kind == "rfl") {
        b = u64_bytes((rng.next() & (kSettableFlags | 0x200000)) | kFixedFlags, bits);
    } else if (kind == "pred") {
        b = u64_bytes(rng.below(8), 8);
    } else if (kind == "scount" || kind == "xcount") {
        for (auto& x : b) x = static_cast<u8>(rng.next());
        const u64 v = rng.below(70);
        std::memcpy(b.data(), &v, std::min<size_t>(8, b.size()));
    } else if (kind == "mxcsr") {
        b = u64_bytes(kMxcsrValues[rng.below(std::size(kMxcsrValues))], 32);
    } else if (kind.rfind("f80", 0) == 0) {  // an x87 register image (m80fp)
        const X87Bits v = random_x87(kind, rng);
        std::memcpy(b.data(), &v.sig, 8);
        std::memcpy(b.data() + 8, &v.se, 2);
    } else if (kind == "bcd") {  // packed BCD: mostly valid digits, sign byte 00 or 80
        for (auto& x : b) x = static_cast<u8>(rng.next());
        if (rng.below(4)) {
            const u64 ndig = rng.below(19);
            for (int i = 0; i < 9; ++i) {
                const u8 lo = static_cast<u8>(2 * static_cast<u64>(i) < ndig ? rng.below(10) : 0);
                const u8 hi = static_cast<u8>(2 * static_cast<u64>(i) + 1 < ndig ? rng.below(10) : 0);
                b[static_cast<size_t>(i)] = static_cast<u8>(hi << 4 | lo);
            }
            b[9] = rng.below(2) ? 0x80 : 0;
        }
    } else if (kind == "env" || kind == "save" || kind == "fx87") {
        // x87 environment / FSAVE / FXSAVE images: control word with
        // random masks, precision and rounding; a status word whose set
        // flags are masked (nothing pending) and random condition codes
        // and TOP; random tags, pointers and opcode; registers of every class.
        for (auto& x : b) x = static_cast<u8>(rng.next());
        const u16 fcw = static_cast<u16>(0x1040 | (rng.next() & 0x0f3f));
        const u16 fsw = static_cast<u16>((rng.next() & 0x4700) | ((rng.next() & 0x3f) & fcw) | (rng.below(8) << 11));
        const bool wide = bits / 8 == 28 || bits / 8 == 108;
        auto put16 = [&](size_t off, u16 v) { std::memcpy(b.data() + off, &v, 2); };
        if (kind == "fx87") {
            for (auto& x : b) x = 0;
            put16(0, fcw);
            put16(2, fsw);
            b[4] = static_cast<u8>(rng.next());
            const u32 mx = 0x1f80;
            std::memcpy(b.data() + 24, &mx, 4);
            for (int k = 0; k < 8; ++k) {
                const X87Bits v = random_f80_any(rng);
                std::memcpy(b.data() + 32 + 16 * k, &v.sig, 8);
                std::memcpy(b.data() + 40 + 16 * k, &v.se, 2);
            }
            for (int i = 160; i < 416 && i < bits / 8; ++i) b[static_cast<size_t>(i)] = static_cast<u8>(rng.next());
        } else {
            put16(0, fcw);
            put16(wide ? 4 : 2, fsw);
            put16(wide ? 8 : 4, static_cast<u16>(rng.next()));
            if (kind == "save")
                for (int k = 0; k < 8; ++k) {
                    const X87Bits v = random_f80_any(rng);
                    const size_t off = (wide ? 28 : 14) + 10 * static_cast<size_t>(k);
                    std::memcpy(b.data() + off, &v.sig, 8);
                    std::memcpy(b.data() + off + 8, &v.se, 2);
                }
        }
    } else if (kind == "xs87") {
        // An XSAVE image (standard or compacted, any XSTATE_BV of x87|SSE)
        // whose x87 part is an fx87 one: registers of every class.
        const Bytes fx = random_value("fx87", 4096, rng);
        const u64 bv = rng.below(4);
        b = xsave_image(rng, bv, rng.below(2) ? kCompacted | 3 : 0, 0x1f80);
        std::copy(fx.begin(), fx.begin() + 24, b.begin());
        std::copy(fx.begin() + 32, fx.begin() + 160, b.begin() + 32);
    } else if (kind == "round" || kind == "strimm" || kind == "clmul") {
        b = u64_bytes(kind == "round" ? rng.below(16) : kind == "clmul" ? rng.below(256) : rng.below(128), 8);
    } else if (kind == "str") {  // zeros, a small alphabet (so elements match), random bytes
        for (auto& x : b) {
            const u64 k = rng.below(10);
            x = k < 2 ? 0 : k < 7 ? kStrAlphabet[rng.below(std::size(kStrAlphabet))] : static_cast<u8>(rng.next());
        }
    } else if (kind == "slen") {
        b = u64_bytes(rng.below(4) == 0 ? rng.next() : static_cast<u64>(static_cast<long long>(rng.below(41)) - 20), bits);
    } else if (kind == "xs") {
        const u64 bv = rng.below(4), compacted = rng.below(2);
        b = xsave_image(rng, bv, compacted ? kCompacted | bv | rng.below(4) : 0, kMxcsrValues[rng.below(6)]);
    } else if (kind == "xsbad") {
        b = xsave_image(rng, 2, 0, 0x1f80, 8 + rng.below(16), static_cast<u8>(1 + rng.below(255)));
    } else if (kind == "fx") {
        // A valid FXSAVE image (Intel SDM Vol. 1, Table 10-2): default x87
        // control word, valid MXCSR, random XMM registers.
        for (auto& x : b) x = 0;
        put<u16>(b, 0, 0x037f);
        const u32 mx = kMxcsrValues[rng.below(6)];
        std::memcpy(b.data() + 24, &mx, 4);
        for (int i = 160; i < 416 && i < bits / 8; ++i) b[static_cast<size_t>(i)] = static_cast<u8>(rng.next());
    } else if (kind != "zero") {  // "x": random bytes
        for (auto& x : b) x = static_cast<u8>(rng.next());
    }
    return b;
}

}  // namespace insn::gen

// x87 memory-format conversions (cpu/x87/convert.h) against this machine's
// FPU: FLD m32/m64 of every IEEE class, FST m32/m64, FIST/FISTTP of every
// size and FBSTP/FBLD, under random control words. Stored bits (or that
// nothing was stored), the loaded value, the flags and C1 must agree.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cpu/x87/convert.h"
#include "tests/x87/host_x87.h"
#include "tests/x87/values.h"

namespace x87_test {
namespace {

using namespace vtlab::x87;

int count() {
  const char* e = std::getenv("VTLAB_X87_SOAK");
  return 100000 * (e ? std::max(1, std::atoi(e)) : 1);
}

constexpr u16 kC1 = 0x200, kES = 0x80, kB = 0x8000, kCmp = 0x3f | kES | kB | kC1;

u16 status(u8 flags, u16 fcw, bool c1) {
  const u16 unmasked = flags & ~fcw & 0x3f;
  return u16(flags | (unmasked ? kES | kB : 0) | (c1 ? kC1 : 0));
}

// Values near the integer and single/double limits, as well as the usual classes.
F80 store_operand(Rng& r) {
  if (r.below(3)) return random_f80(r);
  const int e = int(r.below(70));  // 2^0 .. 2^69: around every integer width
  F80 v = make(r.below(2), u16(kBias + e), kJ | (random_sig(r) >> r.below(64)));
  if (r.below(4) == 0) v = make(v.sign(), u16(kBias + (r.below(2) ? 127 : -126) + int(r.below(5)) - 2), v.sig);
  if (r.below(4) == 0) v = make(v.sign(), u16(kBias + (r.below(2) ? 1023 : -1022) + int(r.below(5)) - 2), v.sig);
  if (r.below(6) == 0) v = make(v.sign(), u16(kBias - 149 - int(r.below(30))), v.sig);
  if (r.below(6) == 0) v = make(v.sign(), u16(kBias - 1074 - int(r.below(60))), v.sig);
  return v;
}

template <typename T, typename HostFn, typename ModelFn>
int run_store(const char* name, u64 seed, HostFn host, ModelFn model) {
  Rng rng{seed};
  int bad = 0;
  const int n = count();
  for (int k = 0; k < n; ++k) {
    const F80 a = store_operand(rng);
    const u16 fcw = random_fcw(rng);
    const T fill = T(0x5a5a5a5a5a5a5a5aull);
    T out;
    const HostState h = host(a, fcw, out, fill);
    const Stored s = model(a, env_from_fcw(fcw, false));
    const T want = s.write ? T(s.bits) : fill;
    if (out == want && (h.fsw & kCmp) == status(s.flags, fcw, s.c1)) continue;
    if (bad++ < 15)
      std::fprintf(stderr, "%s a=%04x_%016llx fcw=%04x: host %llx fsw=%04x, model %llx fsw=%04x\n", name, a.se,
                   (unsigned long long)a.sig, fcw, (unsigned long long)out, h.fsw & kCmp, (unsigned long long)want,
                   status(s.flags, fcw, s.c1));
  }
  std::fprintf(stderr, "%s: %d values, %d differ\n", name, n, bad);
  return bad;
}

}  // namespace

TEST_CASE("FST m32/m64 round like this CPU") {
  CHECK(run_store<u32>("fst m32", 21, host_fst32, to_float32) == 0);
  CHECK(run_store<u64>("fst m64", 22, host_fst64, to_float64) == 0);
}

TEST_CASE("FIST/FISTP/FISTTP give this CPU's integers and flags") {
  CHECK(run_store<u16>("fist m16", 23, host_fist16, [](F80 a, const Env& e) { return to_int(a, 2, e, false); }) == 0);
  CHECK(run_store<u32>("fist m32", 24, host_fist32, [](F80 a, const Env& e) { return to_int(a, 4, e, false); }) == 0);
  CHECK(run_store<u64>("fistp m64", 25, host_fistp64, [](F80 a, const Env& e) { return to_int(a, 8, e, false); }) == 0);
  CHECK(run_store<u16>("fisttp m16", 26, host_fisttp16, [](F80 a, const Env& e) { return to_int(a, 2, e, true); }) ==
        0);
  CHECK(run_store<u32>("fisttp m32", 27, host_fisttp32, [](F80 a, const Env& e) { return to_int(a, 4, e, true); }) ==
        0);
  CHECK(run_store<u64>("fisttp m64", 28, host_fisttp64, [](F80 a, const Env& e) { return to_int(a, 8, e, true); }) ==
        0);
}

TEST_CASE("FBSTP and FBLD agree with this CPU") {
  Rng rng{29};
  int bad = 0;
  const int n = count();
  for (int k = 0; k < n; ++k) {
    F80 a = store_operand(rng);
    if (rng.below(2)) a = make(a.sign(), u16(kBias + rng.below(62)), a.sig | kJ);
    const u16 fcw = random_fcw(rng);
    Bcd fill;
    std::memset(fill.b, 0x5a, 10);
    Bcd out;
    const HostState h = host_fbstp(a, fcw, out, fill);
    const StoredBcd s = to_bcd(a, env_from_fcw(fcw, false));
    const u8* want = s.write ? s.b : fill.b;
    if (std::memcmp(out.b, want, 10) == 0 && (h.fsw & kCmp) == status(s.flags, fcw, s.c1)) continue;
    if (bad++ < 15)
      std::fprintf(stderr, "fbstp a=%04x_%016llx fcw=%04x: fsw host %04x model %04x\n", a.se, (unsigned long long)a.sig,
                   fcw, h.fsw & kCmp, status(s.flags, fcw, s.c1));
  }
  CHECK(bad == 0);
  int bad_load = 0;
  for (int k = 0; k < n; ++k) {
    Bcd v;
    for (u8& b : v.b) b = u8(rng.next());
    if (rng.below(2))  // mostly valid digits
      for (int i = 0; i < 9; ++i) v.b[i] = u8((rng.below(10) << 4) | rng.below(10));
    const HostState h = host_fbld(v, 0x37f);
    if (h.st[0] == from_bcd(v.b)) continue;
    if (bad_load++ < 10) std::fprintf(stderr, "fbld: host %04x_%016llx\n", h.st[0].se, (unsigned long long)h.st[0].sig);
  }
  CHECK(bad_load == 0);
}

TEST_CASE("FLD m32/m64 load like this CPU") {
  Rng rng{30};
  int bad = 0;
  const int n = count();
  for (int k = 0; k < n; ++k) {
    const u16 fcw = random_fcw(rng);
    const bool dbl = rng.below(2);
    u64 bits = rng.next();
    switch (rng.below(5)) {
      case 0:
        bits &= dbl ? 0x800fffffffffffffull : 0x807fffffull;
        break;  // zero/denormal
      case 1:
        bits |= dbl ? 0x7ff0000000000000ull : 0x7f800000ull;
        break;  // inf/NaN
      case 2:
        bits &= dbl ? 0xfff0000000000000ull : 0xff800000ull;
        break;  // exact powers, zeros, inf
      default:
        break;
    }
    if (!dbl) bits = u32(bits);
    const HostState h = dbl ? host_fld64(bits, fcw) : host_fld32(u32(bits), fcw);
    const Loaded l = dbl ? from_float64(bits, env_from_fcw(fcw)) : from_float32(u32(bits), env_from_fcw(fcw));
    // Not loaded: nothing was pushed (the register keeps FNINIT's contents).
    const bool ok = (h.fsw & kCmp) == status(l.flags, fcw, false) && (!l.write || h.st[0] == l.v);
    if (ok) continue;
    if (bad++ < 15)
      std::fprintf(stderr, "fld%s %llx fcw=%04x: host %04x_%016llx fsw=%04x, model %04x_%016llx fsw=%04x\n",
                   dbl ? "64" : "32", (unsigned long long)bits, fcw, h.st[0].se, (unsigned long long)h.st[0].sig,
                   h.fsw & kCmp, l.v.se, (unsigned long long)l.v.sig, status(l.flags, fcw, false));
  }
  CHECK(bad == 0);
}

}  // namespace x87_test

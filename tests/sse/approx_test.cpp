// RCP/RSQRT in software: the SDM bound |rel err| <= 1.5*2^-12 over every
// significand, and the special cases. The exactness oracle used for
// unmasked overflow/underflow, against an independent host-FP check.
#include <doctest/doctest.h>

#include <cfenv>
#include <cmath>
#include <cstring>
#include <ios>

#include "cpu/sse/approx.h"
#include "cpu/sse/exact.h"
#include "tests/sse/values.h"

namespace sse_test {
namespace {

using vtlab::sse::Arith;
using vtlab::sse::exact_unbounded;
using vtlab::sse::rcp_approx;
using vtlab::sse::rsqrt_approx;

float f32(u32 b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

constexpr double kBound = 1.5 / 4096.0;

TEST_CASE("RCP: every significand within the SDM bound") {
  double worst = 0;
  for (u32 exp : {127u, 1u, 200u, 252u}) {
    for (u32 frac = 0; frac < (1u << 23); frac += (exp == 127 ? 1 : 97)) {
      u32 x = (exp << 23) | frac;
      double want = 1.0 / double(f32(x));
      u32 got = rcp_approx(x);
      if (std::fabs(want) < 0x1p-126) continue;  // tiny results flush: below
      double err = std::fabs(double(f32(got)) - want) / std::fabs(want);
      worst = std::max(worst, err);
      if (err > kBound) FAIL("rcp(" << std::hex << x << ") = " << got);
      if (rcp_approx(x | 0x80000000u) != (got | 0x80000000u)) FAIL("sign of rcp(-" << std::hex << x << ")");
    }
  }
  MESSAGE("worst rcp relative error: " << worst * 4096 << " * 2^-12");
}

TEST_CASE("RSQRT: every significand of two binades within the SDM bound") {
  double worst = 0;
  for (u32 exp : {127u, 128u, 1u, 2u, 253u, 254u}) {
    for (u32 frac = 0; frac < (1u << 23); frac += (exp >= 127 && exp <= 128 ? 1 : 89)) {
      u32 x = (exp << 23) | frac;
      double want = 1.0 / std::sqrt(double(f32(x)));
      double err = std::fabs(double(f32(rsqrt_approx(x))) - want) / want;
      worst = std::max(worst, err);
      if (err > kBound) FAIL("rsqrt(" << std::hex << x << ")");
    }
  }
  MESSAGE("worst rsqrt relative error: " << worst * 4096 << " * 2^-12");
}

TEST_CASE("RCP/RSQRT special cases (SDM Vol. 2 RCPPS/RSQRTPS)") {
  CHECK(rcp_approx(0x00000000) == 0x7f800000);
  CHECK(rcp_approx(0x80000000) == 0xff800000);
  CHECK(rcp_approx(0x00000001) == 0x7f800000);  // denormal: as 0
  CHECK(rcp_approx(0x807fffff) == 0xff800000);
  CHECK(rcp_approx(0x7f800000) == 0x00000000);
  CHECK(rcp_approx(0xff800000) == 0x80000000);
  CHECK(rcp_approx(0x7f800001) == 0x7fc00001);  // SNaN quieted
  CHECK(rcp_approx(0xffc12345) == 0xffc12345);  // QNaN kept
  CHECK(rcp_approx(0x3f800000) == 0x3f800000);  // 1 -> 1 (exact at 12 bits)
  CHECK(rcp_approx(0x7f7fffff) == 0x00000000);  // tiny result flushed
  CHECK(rcp_approx(0xff000000) == 0x80000000);  // -2^127 -> -2^-127: tiny, -0
  CHECK(rcp_approx(0x7e800000) == 0x00800000);  // 2^126 -> 2^-126: normal
  CHECK(rsqrt_approx(0x00000000) == 0x7f800000);
  CHECK(rsqrt_approx(0x80000000) == 0xff800000);
  CHECK(rsqrt_approx(0x80000001) == 0xff800000);  // negative denormal: -0
  CHECK(rsqrt_approx(0xbf800000) == 0xffc00000);  // negative: default NaN
  CHECK(rsqrt_approx(0xff800000) == 0xffc00000);
  CHECK(rsqrt_approx(0x7f800000) == 0x00000000);
  CHECK(rsqrt_approx(0x7fa00000) == 0x7fe00000);
  CHECK(rsqrt_approx(0x40800000) == 0x3f000000);  // 1/sqrt(4) = 0.5
}

// Independent check of exact_unbounded: do the operation in a wider host
// format (double for single, x87 long double for double) with the inexact
// flag; exact there and no bits beyond the target precision <=> exact.
bool wide_exact_f32(Arith op, u32 a, u32 b, bool daz) {
  auto val = [&](u32 v) {
    if (daz && (v & 0x7f800000u) == 0) v &= 0x80000000u;
    return double(f32(v));
  };
  std::feclearexcept(FE_ALL_EXCEPT);
  volatile double x = val(a), y = val(b), r = 0;
  switch (op) {
    case Arith::Add: r = x + y; break;
    case Arith::Sub: r = x - y; break;
    case Arith::Mul: r = x * y; break;
    case Arith::Div: r = x / y; break;
    case Arith::Cvt: r = y; break;
  }
  if (std::fetestexcept(FE_INEXACT)) return false;
  double m = std::fabs(r);
  if (m == 0 || std::isinf(m)) return true;
  int e;
  double f = std::frexp(m, &e);
  double scaled = std::ldexp(f, 24);
  return scaled == std::floor(scaled);
}
bool wide_exact_f64(Arith op, u64 a, u64 b) {
  auto val = [](u64 v) {
    double d;
    std::memcpy(&d, &v, 8);
    return static_cast<long double>(d);
  };
  std::feclearexcept(FE_ALL_EXCEPT);
  volatile long double x = val(a), y = val(b), r = 0;
  switch (op) {
    case Arith::Add: r = x + y; break;
    case Arith::Sub: r = x - y; break;
    case Arith::Mul: r = x * y; break;
    case Arith::Div: r = x / y; break;
    case Arith::Cvt: r = y; break;
  }
  if (std::fetestexcept(FE_INEXACT)) return false;
  long double m = std::fabs(r);
  if (m == 0 || std::isinf(m)) return true;
  int e;
  long double f = std::frexp(m, &e);
  long double scaled = std::ldexp(f, 53);
  return scaled == std::floor(scaled);
}

bool finite32(u32 v) { return (v & 0x7f800000u) != 0x7f800000u; }
bool finite64(u64 v) { return (v & 0x7ff0000000000000ull) != 0x7ff0000000000000ull; }

TEST_CASE("exact_unbounded agrees with a wider host computation") {
  Rng r(42);
  int checked = 0;
  for (int n = 0; n < 200000; ++n) {
    Arith op = Arith(r.below(4));
    u32 a = u32(lane_value(r, Lane::F32)), b = u32(lane_value(r, Lane::F32));
    if (r.below(2)) b = (b & 0x807fffffu) | (((a >> 23) & 0xff) + r.below(60) - 30) % 256 << 23;  // near exponents
    if (r.below(3) == 0) b = u32(r.next() & 0xff000000u) | (a & 0xffffff & ~0xfu);  // short significands
    bool daz = r.below(4) == 0;
    if (!finite32(a) || !finite32(b) || (op == Arith::Div && f32(b) == 0)) continue;
    if (op == Arith::Div && daz && (b & 0x7f800000u) == 0) continue;
    CHECK_MESSAGE(exact_unbounded(op, a, b, false, false, daz) == wide_exact_f32(op, a, b, daz),
                  "op " << int(op) << " " << std::hex << a << " " << b);
    ++checked;
  }
  for (int n = 0; n < 200000; ++n) {
    Arith op = Arith(r.below(4));
    u64 a = lane_value(r, Lane::F64), b = lane_value(r, Lane::F64);
    if (r.below(3) == 0) b = (r.next() & 0xfff0000000000000ull) | (a & 0x000ffffffff00000ull);
    if (!finite64(a) || !finite64(b) || (op == Arith::Div && (b << 1) == 0)) continue;
    CHECK_MESSAGE(exact_unbounded(op, a, b, true, true, false) == wide_exact_f64(op, a, b),
                  "op " << int(op) << " " << std::hex << a << " " << b);
    ++checked;
  }
  // Narrowing conversion: exact iff the double's significand fits 24 bits.
  CHECK(exact_unbounded(Arith::Cvt, 0, 0x47f0000000000000ull, true, false, false));
  CHECK(!exact_unbounded(Arith::Cvt, 0, 0x47f0000000000001ull, true, false, false));
  CHECK(exact_unbounded(Arith::Cvt, 0, 0x3ff0000020000000ull, true, false, false));
  CHECK(!exact_unbounded(Arith::Cvt, 0, 0x3ff0000010000000ull, true, false, false));
  MESSAGE(checked << " operand pairs");
}

}  // namespace
}  // namespace sse_test

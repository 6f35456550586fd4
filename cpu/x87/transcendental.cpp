// The x87 transcendental instructions through GNU MPFR (see
// transcendental.h). Each function is evaluated with MPFR's correct
// rounding toward zero at 128 bits, with MPFR's inexact flag as a sticky
// bit; rounding that again to 64 bits (round_pack) is then a correct
// rounding of the exact value in every rounding mode ("round to odd":
// the first rounding keeps more than two extra bits and never hides
// inexactness). FSIN/FCOS/FSINCOS/FPTAN and FPATAN are thus correctly
// rounded. Where a function is evaluated on a computed argument or
// product (F2XM1's x*ln 2, FYL2X's y*log2(x), FYL2XP1's y*log2(1+x)),
// those are carried at 512 bits, so the result is the correct rounding
// unless the exact value lies within about 2^-440 of a rounding boundary.
#include "cpu/x87/transcendental.h"

#include <cstdint>  // before mpfr.h: declares the intmax_t functions

#include <gmp.h>
#include <mpfr.h>

namespace vtlab::x87 {
namespace {

constexpr mpfr_prec_t kWork = 512, kFinal = 128;

// An mpfr_t with a lifetime (no raise() happens in this file: plain RAII
// is safe here).
struct Mp {
  mpfr_t v;
  explicit Mp(mpfr_prec_t p = kWork) { mpfr_init2(v, p); }
  ~Mp() { mpfr_clear(v); }
  Mp(const Mp&) = delete;
  Mp& operator=(const Mp&) = delete;
  operator mpfr_ptr() { return v; }
};

// A finite F80 into an mpfr (exact: 64 bits fit).
void set_f80(mpfr_ptr d, F80 x) {
  if (classify(x) == Cls::Zero) {
    mpfr_set_zero(d, x.sign() ? -1 : 1);
    return;
  }
  const Unrounded u = unpack(x);
  mpfr_set_uj_2exp(d, uintmax_t(u64(u.m >> 64)), mpfr_exp_t(u.exp - kBias - 63), MPFR_RNDN);
  if (u.sign) mpfr_neg(d, d, MPFR_RNDN);
}

// A finite non-zero value already rounded toward zero to kFinal bits
// (`ternary` from MPFR, or `extra_sticky` for inexactness before) into an
// x87 register result, rounded with the control word.
Result finish(mpfr_ptr r, int ternary, bool extra_sticky, const Env& env, u8 flags) {
  mpz_t z;
  mpz_init(z);
  const mpfr_exp_t e = mpfr_get_z_2exp(z, r);
  const bool neg = mpz_sgn(z) < 0;
  mpz_abs(z, z);
  const size_t bits = mpz_sizeinbase(z, 2);
  u128 m = 0;
  for (size_t limb = 0; limb < 2 && limb < mpz_size(z); ++limb)
    m |= u128(mpz_getlimbn(z, mp_size_t(limb))) << (64 * limb);
  mpz_clear(z);
  m <<= 128 - bits;
  if (ternary != 0 || extra_sticky) m |= 1;
  Env e64 = env;
  e64.bits = 64;
  Result res = round_pack(Unrounded{neg, i32(e + mpfr_exp_t(bits) - 1 + kBias), m}, e64);
  res.flags |= flags;
  return res;
}

// A value computed at kWork bits (inexact) rounded toward zero to kFinal.
Result finish_from(mpfr_ptr value, bool inexact, const Env& env, u8 flags) {
  Mp r(kFinal);
  const int t = mpfr_set(r, value, MPFR_RNDZ);
  return finish(r, t, inexact, env, flags);
}

Result invalid(const Env& env) {
  Result r;
  r.v = kIndefinite;
  r.flags = ex::IE;
  r.write = env.masked(ex::IE);
  return r;
}

Result exact(F80 v, u8 flags = 0) {
  Result r;
  r.v = v;
  r.flags = flags;
  return r;
}

// NaNs and unsupported formats of one or two operands.
bool nan_case(F80 a, F80 b, bool two, const Env& env, Result& r) {
  const Cls ca = classify(a), cb = two ? classify(b) : Cls::Zero;
  if (ca == Cls::Unsupported || cb == Cls::Unsupported) {
    r = invalid(env);
    return true;
  }
  if (!is_nan(ca) && !is_nan(cb)) return false;
  r = Result{};
  r.v = two ? propagate_nan(a, b, r.flags) : propagate_nan(a, a, r.flags);
  r.write = !(r.flags & ex::IE) || env.masked(ex::IE);
  return true;
}

// #D for denormal operands: true when unmasked (nothing else happens).
bool denormal_stops(bool any, const Env& env, Result& r) {
  if (!any) return false;
  r.flags |= ex::DE;
  if (env.masked(ex::DE)) return false;
  r.write = false;
  return true;
}

// p / 2, p being the x87's 66-bit pi (exact).
mpfr_srcptr half_p() {
  struct Const {
    mpfr_t v;
    Const() {
      mpfr_init2(v, 68);
      // 0.C90FDAA22168C234C * 2^2 / 2, written as C.90FDAA22168C234C / 8.
      mpfr_set_str(v, "C.90FDAA22168C234C", 16, MPFR_RNDN);
      mpfr_div_2ui(v, v, 3, MPFR_RNDN);
    }
  };
  static const Const c;
  return c.v;
}

}  // namespace

Result f2xm1(F80 x, const Env& env) {
  Result r;
  if (nan_case(x, x, false, env, r)) return r;
  const Cls c = classify(x);
  if (c == Cls::Zero) return exact(x);
  if (c == Cls::Inf) return exact(x.sign() ? one(true) : x);  // SDM table: -inf gives -1
  // Outside -1..+1 the SDM leaves the result undefined; this CPU returns
  // the operand and reports it inexact.
  if ((c == Cls::Normal && x.exp() >= kBias && !(x.exp() == kBias && x.sig == kJ))) return exact(x, ex::PE);
  if (denormal_stops(c == Cls::Denormal, env, r)) return r;
  Mp a, t;
  set_f80(a, x);
  mpfr_const_log2(t, MPFR_RNDN);
  mpfr_mul(t, t, a, MPFR_RNDN);  // x ln 2
  Mp y(kFinal);
  const int tern = mpfr_expm1(y, t, MPFR_RNDZ);
  return finish(y, tern, true, env, r.flags);
}

Result fyl2x(F80 x, F80 y, const Env& env) {
  Result r;
  if (nan_case(x, y, true, env, r)) return r;
  const Cls cx = classify(x), cy = classify(y);
  if (x.sign() && cx != Cls::Zero) return invalid(env);  // log of a negative number
  const bool den = cx == Cls::Denormal || cy == Cls::Denormal;
  if (cx == Cls::Zero) {
    if (cy == Cls::Zero) return invalid(env);
    if (cy == Cls::Inf) return exact(infinity(!y.sign()));
    r.flags |= ex::ZE;  // before #D, as FDIV's zero divisor
    r.v = infinity(!y.sign());
    r.write = env.masked(ex::ZE);
    return r;
  }
  if (cx == Cls::Inf) {
    if (cy == Cls::Zero) return invalid(env);
    if (denormal_stops(den, env, r)) return r;
    return exact(infinity(y.sign()), r.flags);
  }
  const bool is_one = x == one();
  if (cy == Cls::Inf) {
    if (is_one) return invalid(env);
    if (denormal_stops(den, env, r)) return r;
    const bool below_one = x.exp() < kBias;  // log2(x) < 0
    return exact(infinity(y.sign() != below_one), r.flags);
  }
  if (denormal_stops(den, env, r)) return r;
  Mp a, b, l;
  set_f80(a, x);
  set_f80(b, y);
  const int tl = mpfr_log2(l, a, MPFR_RNDN);
  Mp p(kWork + 64);
  mpfr_mul(p, l, b, MPFR_RNDN);  // exact
  if (mpfr_zero_p(p)) return exact(zero(mpfr_signbit(p)), r.flags);
  return finish_from(p, tl != 0, env, r.flags);
}

Result fyl2xp1(F80 x, F80 y, const Env& env) {
  Result r;
  if (nan_case(x, y, true, env, r)) return r;
  const Cls cx = classify(x), cy = classify(y);
  const bool den = cx == Cls::Denormal || cy == Cls::Denormal;
  if (cx == Cls::Zero) {
    if (cy == Cls::Inf) return invalid(env);
    if (denormal_stops(den, env, r)) return r;
    return exact(zero(x.sign() != y.sign()), r.flags);
  }
  if (cy == Cls::Zero) {
    if (cx == Cls::Inf) return invalid(env);
    if (denormal_stops(den, env, r)) return r;
    return exact(zero(x.sign() != y.sign()), r.flags);
  }
  if (cx == Cls::Inf || cy == Cls::Inf) {
    // Outside the instruction's range (|x| < 1 - sqrt(2)/2); the SDM leaves
    // the result undefined: the limit of the function.
    if (cx == Cls::Inf && x.sign()) return invalid(env);
    if (denormal_stops(den, env, r)) return r;
    return exact(infinity(y.sign() != (cx != Cls::Inf && x.sign())), r.flags);
  }
  if (denormal_stops(den, env, r)) return r;
  Mp a, b, l, ln2;
  set_f80(a, x);
  set_f80(b, y);
  // x <= -1 is outside the instruction's range (undefined in the SDM);
  // this CPU returns x and reports it inexact. Above the range it
  // computes the function, as here.
  if (mpfr_cmp_si(a, -1) <= 0) return exact(x, u8(r.flags | ex::PE));
  mpfr_log1p(l, a, MPFR_RNDN);
  mpfr_const_log2(ln2, MPFR_RNDN);
  mpfr_div(l, l, ln2, MPFR_RNDN);
  Mp p(kWork + 64);
  mpfr_mul(p, l, b, MPFR_RNDN);  // exact
  return finish_from(p, true, env, r.flags);
}

Result fpatan(F80 x, F80 y, const Env& env) {
  Result r;
  if (nan_case(x, y, true, env, r)) return r;
  const Cls cx = classify(x), cy = classify(y);
  if (denormal_stops(cx == Cls::Denormal || cy == Cls::Denormal, env, r)) return r;
  Mp a, b, t(kFinal);
  set_f80(a, x);
  set_f80(b, y);
  if (cx == Cls::Inf) mpfr_set_inf(a, x.sign() ? -1 : 1);
  if (cy == Cls::Inf) mpfr_set_inf(b, y.sign() ? -1 : 1);
  const int tt = mpfr_atan2(t, b, a, MPFR_RNDZ);  // IEEE 754 / C99 atan2 special cases
  if (mpfr_zero_p(t)) return exact(zero(mpfr_signbit(t)), r.flags);
  return finish(t, tt, false, env, r.flags);
}

Trig trig(TrigOp op, F80 x, const Env& env) {
  Trig out;
  Result r;
  if (nan_case(x, x, false, env, r)) {
    out.first = out.second = r.v;
    out.flags = r.flags;
    out.write = r.write;
    return out;
  }
  const Cls c = classify(x);
  if (c == Cls::Inf) {
    out.first = out.second = kIndefinite;
    out.flags = ex::IE;
    out.write = env.masked(ex::IE);
    return out;
  }
  if (c != Cls::Zero && x.exp() >= kBias + 63) {
    out.out_of_range = true;
    out.write = false;
    return out;
  }
  if (denormal_stops(c == Cls::Denormal, env, r)) {
    out.flags = r.flags;
    out.write = false;
    return out;
  }
  if (c == Cls::Zero) {  // sin/tan(+-0) = +-0, cos(+-0) = +1
    out.first = op == TrigOp::Cos ? one() : x;
    out.second = one();
    return out;
  }
  // Reduction by the x87's pi (SDM Vol. 1 §8.3.8): r = x - k * p/2 with k
  // the nearest integer, exactly; then the function of r for k's quadrant.
  Mp a, k, r0, kz_tmp;
  set_f80(a, x);
  mpfr_div(k, a, half_p(), MPFR_RNDN);
  mpfr_rint(k, k, MPFR_RNDN);
  mpfr_mul(kz_tmp, k, half_p(), MPFR_RNDN);  // exact: 63 + 66 bits
  mpfr_sub(r0, a, kz_tmp, MPFR_RNDN);        // exact
  mpz_t kz;
  mpz_init(kz);
  mpfr_get_z(kz, k, MPFR_RNDN);
  const unsigned quadrant = unsigned(mpz_fdiv_ui(kz, 4));
  mpz_clear(kz);
  // sin(x) = sin r, cos r, -sin r, -cos r for quadrants 0..3; cos(x) is
  // sin(x) one quadrant on; tan(x) = tan r or -cot r.
  auto eval = [&](bool cosine) {
    const unsigned q = (quadrant + (cosine ? 1 : 0)) & 3;
    Mp v(kFinal);
    const int t = (q & 1) ? mpfr_cos(v, r0, MPFR_RNDZ) : mpfr_sin(v, r0, MPFR_RNDZ);
    if (q & 2) mpfr_neg(v, v, MPFR_RNDN);
    if (mpfr_zero_p(v)) return exact(zero(mpfr_signbit(v)), r.flags);
    return finish(v, t, false, env, r.flags);
  };
  Result first, second;
  switch (op) {
    case TrigOp::Sin:
      first = eval(false);
      break;
    case TrigOp::Cos:
      first = eval(true);
      break;
    case TrigOp::SinCos:
      first = eval(false), second = eval(true);
      break;
    case TrigOp::Tan: {
      Mp v(kFinal);
      int t;
      if (quadrant & 1) {
        t = mpfr_cot(v, r0, MPFR_RNDZ);
        mpfr_neg(v, v, MPFR_RNDN);
      } else {
        t = mpfr_tan(v, r0, MPFR_RNDZ);
      }
      first = mpfr_zero_p(v) ? exact(zero(mpfr_signbit(v)), r.flags) : finish(v, t, false, env, r.flags);
      break;
    }
  }
  out.first = first.v;
  out.second = op == TrigOp::SinCos ? second.v : one();
  out.flags = first.flags | second.flags;
  out.c1 = op == TrigOp::SinCos ? second.c1 : first.c1;
  out.write = first.write && second.write;
  return out;
}

}  // namespace vtlab::x87

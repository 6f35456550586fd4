// The software x87 arithmetic (cpu/x87) against this machine's FPU: random
// operands of every class under random control words. Result bits, the
// exception flags, ES and the C1 round-up bit must be the same. Set
// VTLAB_X87_SOAK=N for N times more operands.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "cpu/x87/arith.h"
#include "tests/x87/host_x87.h"
#include "tests/x87/values.h"

namespace x87_test {
namespace {

using namespace vtlab::x87;

int soak() {
  const char* e = std::getenv("VTLAB_X87_SOAK");
  return e ? std::max(1, std::atoi(e)) : 1;
}

std::string f80_text(F80 v) {
  char b[40];
  std::snprintf(b, sizeof b, "%04x_%016llx", v.se, static_cast<unsigned long long>(v.sig));
  return b;
}

constexpr u16 kC1 = 0x200, kES = 0x80, kB = 0x8000;

// Compares the model's result for ST0 (and status flags) with the host's.
struct Checker {
  const char* name;
  int failures = 0, runs = 0;
  void check(F80 a, F80 b, u16 fcw, const HostState& h, const Result& r) {
    ++runs;
    const F80 want = r.write ? r.v : a;
    const u16 unmasked = r.flags & ~fcw & 0x3f;
    const u16 fsw = u16(r.flags | (unmasked ? kES | kB : 0) | (r.c1 ? kC1 : 0));
    const u16 cmp = 0x3f | kES | kB | kC1;
    if (h.st[0] == want && (h.fsw & cmp) == fsw) return;
    if (failures++ < 20)
      std::fprintf(stderr, "%s a=%s b=%s fcw=%04x: host %s fsw=%04x, model %s fsw=%04x%s\n", name, f80_text(a).c_str(),
                   f80_text(b).c_str(), fcw, f80_text(h.st[0]).c_str(), h.fsw & cmp, f80_text(want).c_str(), fsw,
                   r.write ? "" : " (not written)");
  }
};

void run_binary(const char* name, HostState (*host)(F80, F80, u16), Result (*model)(F80, F80, const Env&),
                bool precision_control, u64 seed) {
  Checker ck{name};
  Rng rng{seed};
  const int n = 200000 * soak();
  for (int k = 0; k < n; ++k) {
    const F80 a = random_f80(rng), b = random_f80(rng);
    const u16 fcw = random_fcw(rng);
    ck.check(a, b, fcw, host(a, b, fcw), model(a, b, env_from_fcw(fcw, precision_control)));
  }
  std::fprintf(stderr, "%s: %d operand pairs, %d differ\n", name, ck.runs, ck.failures);
  CHECK(ck.failures == 0);
}

}  // namespace

TEST_CASE("FADD/FSUB/FMUL/FDIV are bit-exact with this CPU") {
  run_binary(
      "fadd", host_fadd, [](F80 a, F80 b, const Env& e) { return vtlab::x87::add(a, b, e); }, true, 1);
  run_binary(
      "fsub", host_fsub, [](F80 a, F80 b, const Env& e) { return vtlab::x87::sub(a, b, e); }, true, 2);
  run_binary(
      "fmul", host_fmul, [](F80 a, F80 b, const Env& e) { return vtlab::x87::mul(a, b, e); }, true, 3);
  run_binary(
      "fdiv", host_fdiv, [](F80 a, F80 b, const Env& e) { return vtlab::x87::div(a, b, e); }, true, 4);
}

TEST_CASE("FSQRT is bit-exact with this CPU") {
  run_binary(
      "fsqrt", host_fsqrt, [](F80 a, F80, const Env& e) { return vtlab::x87::sqrt(a, e); }, true, 5);
}

}  // namespace x87_test

namespace x87_test {
namespace {

constexpr u16 kC0 = 0x100, kC2 = 0x400, kC3 = 0x4000;

// A generic comparison: the host's ST0/ST1 and the FSW bits in `cmp` against
// the model's prediction.
struct Expect {
  F80 st0, st1;
  u16 fsw;
};

int compare_run(const char* name, int n, u64 seed, u16 cmp, HostState (*host)(F80, F80, u16),
                const std::function<Expect(F80, F80, u16)>& model, const std::function<F80(Rng&)>& gen_b = {}) {
  Rng rng{seed};
  int failures = 0;
  for (int k = 0; k < n; ++k) {
    const F80 a = random_f80(rng), b = gen_b ? gen_b(rng) : random_f80(rng);
    const u16 fcw = random_fcw(rng);
    const HostState h = host(a, b, fcw);
    const Expect e = model(a, b, fcw);
    if (h.st[0] == e.st0 && h.st[1] == e.st1 && (h.fsw & cmp) == (e.fsw & cmp)) continue;
    if (failures++ < 20)
      std::fprintf(stderr, "%s a=%s b=%s fcw=%04x: host %s %s fsw=%04x, model %s %s fsw=%04x\n", name,
                   f80_text(a).c_str(), f80_text(b).c_str(), fcw, f80_text(h.st[0]).c_str(), f80_text(h.st[1]).c_str(),
                   h.fsw & cmp, f80_text(e.st0).c_str(), f80_text(e.st1).c_str(), e.fsw & cmp);
  }
  std::fprintf(stderr, "%s: %d operand pairs, %d differ\n", name, n, failures);
  return failures;
}

u16 status(u8 flags, u16 fcw, bool c1) {
  const u16 unmasked = flags & ~fcw & 0x3f;
  return u16(flags | (unmasked ? kES | kB : 0) | (c1 ? kC1 : 0));
}

// A scale factor: mostly small integers and fractions, sometimes anything.
F80 scale_factor(Rng& r) {
  if (r.below(4) == 0) return random_f80(r);
  const u64 v = r.below(40000);
  if (v == 0) return zero(r.below(2));
  const int lz = __builtin_clzll(v);
  return make(r.below(2), u16(kBias + 63 - lz), (v << lz) | (r.below(2) ? r.next() >> (64 - lz) : 0));
}

}  // namespace

TEST_CASE("FRNDINT, FSCALE and FXTRACT are bit-exact with this CPU") {
  const int n = 100000 * soak();
  const u16 all = 0x3f | kES | kB | kC1;
  CHECK(compare_run("frndint", n, 11, all, host_frndint, [](F80 a, F80 b, u16 fcw) {
          const Result r = round_to_int(a, env_from_fcw(fcw, false));
          return Expect{r.write ? r.v : a, b, status(r.flags, fcw, r.c1)};
        }) == 0);
  CHECK(compare_run(
            "fscale", n, 12, all, host_fscale,
            [](F80 a, F80 b, u16 fcw) {
              const Result r = scale(a, b, env_from_fcw(fcw, false));
              return Expect{r.write ? r.v : a, b, status(r.flags, fcw, r.c1)};
            },
            scale_factor) == 0);
  CHECK(compare_run("fxtract", n, 13, all, host_fxtract, [](F80 a, F80 b, u16 fcw) {
          const Extracted x = extract(a, env_from_fcw(fcw, false));
          // ST0 = significand, ST1 = exponent after the push; unmasked: unchanged.
          if (!x.write) return Expect{a, b, status(x.flags, fcw, false)};
          return Expect{x.significand, x.exponent, status(x.flags, fcw, false)};
        }) == 0);
}

TEST_CASE("FPREM and FPREM1 are bit-exact with this CPU, condition codes included") {
  const int n = 100000 * soak();
  const u16 all = 0x3f | kES | kB | kC0 | kC1 | kC2 | kC3;
  for (bool ieee : {false, true}) {
    CHECK(compare_run(
              ieee ? "fprem1" : "fprem", n, ieee ? 15 : 14, all, ieee ? host_fprem1 : host_fprem,
              [ieee](F80 a, F80 b, u16 fcw) {
                const Remainder r = remainder(a, b, ieee, env_from_fcw(fcw, false));
                u16 fsw = status(r.flags, fcw, false);
                if (r.write && !(r.flags & ex::IE & ~fcw)) {
                  fsw |= r.complete ? 0 : kC2;
                  fsw |= (r.q & 4 ? kC0 : 0) | (r.q & 2 ? kC3 : 0) | (r.q & 1 ? kC1 : 0);
                }
                return Expect{r.write ? r.v : a, b, fsw};
              },
              [](Rng& r) {
                F80 b = random_f80(r);
                if (r.below(2) && classify(b) == Cls::Normal) b = make(b.sign(), u16(kBias - 40 + r.below(80)), b.sig);
                return b;
              }) == 0);
  }
}

TEST_CASE("FCOM and FUCOM set C0/C2/C3 and the flags as this CPU does") {
  const int n = 100000 * soak();
  const u16 all = 0x3f | kES | kB | kC0 | kC1 | kC2 | kC3;
  for (bool quiet : {false, true}) {
    CHECK(compare_run(quiet ? "fucom" : "fcom", n, quiet ? 17 : 16, all, quiet ? host_fucom : host_fcom,
                      [quiet](F80 a, F80 b, u16 fcw) {
                        const Compared c = compare(a, b, quiet);
                        static constexpr u16 kCodes[4] = {kC0, kC3, 0, kC0 | kC2 | kC3};
                        return Expect{a, b, u16(status(c.flags, fcw, false) | kCodes[unsigned(c.order)])};
                      }) == 0);
  }
}

}  // namespace x87_test

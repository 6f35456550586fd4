// The software x87 arithmetic (cpu/x87) against this machine's FPU: random
// operands of every class under random control words. Result bits, the
// exception flags, ES and the C1 round-up bit must be the same. Set
// VTLAB_X87_SOAK=N for N times more operands.
#include <doctest/doctest.h>

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
      std::fprintf(stderr, "%s a=%s b=%s fcw=%04x: host %s fsw=%04x, model %s fsw=%04x%s\n", name,
                   f80_text(a).c_str(), f80_text(b).c_str(), fcw, f80_text(h.st[0]).c_str(), h.fsw & cmp,
                   f80_text(want).c_str(), fsw, r.write ? "" : " (not written)");
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
  run_binary("fadd", host_fadd, add, true, 1);
  run_binary("fsub", host_fsub, sub, true, 2);
  run_binary("fmul", host_fmul, mul, true, 3);
  run_binary("fdiv", host_fdiv, div, true, 4);
}

TEST_CASE("FSQRT is bit-exact with this CPU") {
  run_binary("fsqrt", host_fsqrt, [](F80 a, F80, const Env& e) { return vtlab::x87::sqrt(a, e); }, true, 5);
}

}  // namespace x87_test

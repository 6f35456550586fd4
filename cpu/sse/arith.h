// Handler templates for SSE floating-point instructions of the form
// "xmm1 = op(xmm1, xmm2/mem)" run through the host (cpu/sse/fp_env.h).
#pragma once
#include "cpu/sse/exact.h"
#include "cpu/sse/fp_env.h"
#include "cpu/sse/sse.h"

namespace vtlab::sse {

// Operations that cannot overflow or underflow (SQRT, MIN/MAX, CMP,
// most conversions): the host's masked flags are the architectural ones.
template <host::Fn Op>
void fp(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1);
  Xmm d = dst(c, i);
  finish(c, Op(host_csr(c.mxcsr), d, s));
  dst(c, i) = d;
}

template <typename T>
bool is_denormal(T v) {
  if constexpr (sizeof(T) == 4)
    return (v & 0x7f800000u) == 0 && (v & 0x7fffffu) != 0;
  else
    return (v & 0x7ff0000000000000ull) == 0 && (v & 0x000fffffffffffffull) != 0;
}

// Flags of one operation (operands a, b; result r as the host computed it,
// raising host flags f) when overflow or underflow is unmasked: with
// OM=0/UM=0, UE means "tiny" even when exact, and PE is the inexactness at
// unbounded exponent (cpu/sse/exact.h). Otherwise f as it is. In/Out:
// element types (u32 single, u64 double).
template <Arith K, typename In, typename Out>
u32 op_flags(u32 guest, u32 f, In a, In b, Out r) {
  bool over = f & mx::OE;
  bool under = (f & mx::UE) || (!(guest & mx::UM) && is_denormal(r));
  if ((over && !(guest & mx::OM)) || (under && !(guest & mx::UM))) {
    f &= ~(mx::PE | mx::UE);
    if (under) f |= mx::UE;
    if (!exact_unbounded(K, a, b, sizeof(In) == 8, sizeof(Out) == 8, guest & mx::DAZ)) f |= mx::PE;
  }
  return f;
}

// Flags of an operation that overflowed or underflowed with that exception
// unmasked, recomputed element by element with the scalar form `Scalar`.
// N: elements produced.
template <host::Fn Scalar, Arith K, typename In, typename Out, unsigned N>
u32 unmasked_range_flags(u32 guest, u32 csr, const Xmm& d, const Xmm& s) {
  Lanes<In> dl = lanes<In>(d), sl = lanes<In>(s);
  u32 total = 0;
  for (unsigned k = 0; k < N; ++k) {
    Xmm a{}, b{};
    std::memcpy(&a, &dl[k], sizeof(In));
    std::memcpy(&b, &sl[k], sizeof(In));
    u32 f = Scalar(csr, a, b);
    total |= op_flags<K, In, Out>(guest, f, dl[k], sl[k], lanes<Out>(a)[0]);
  }
  return total;
}

// One IEEE operation `r = a op b` of an instruction built from several
// (SSE3 horizontal and alternating add/subtract, SSE4.1 dot products), run
// by the host's scalar form `Scalar` under the guest MXCSR. Returns the
// flags this operation raises on its own; the instruction ORs them and
// calls finish(). T: u32 (single) or u64 (double).
template <host::Fn Scalar, Arith K, typename T>
u32 lane_op(u32 guest, T a, T b, T& r) {
  Xmm x{}, y{};
  std::memcpy(&x, &a, sizeof a);
  std::memcpy(&y, &b, sizeof b);
  u32 f = Scalar(host_csr(guest), x, y);
  std::memcpy(&r, &x, sizeof r);
  return op_flags<K, T, T>(guest, f, a, b, r);
}

// ADD/SUB/MUL/DIV and the narrowing conversions, which can overflow and
// underflow. Op is the instruction, Scalar its one-element form.
template <host::Fn Op, host::Fn Scalar, Arith K, typename In, typename Out, unsigned N>
void arith(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1);
  const Xmm d0 = dst(c, i);
  Xmm d = d0;
  const u32 guest = c.mxcsr, csr = host_csr(guest);
  u32 f = Op(csr, d, s);
  bool range = !(guest & mx::OM) && (f & mx::OE);
  if (!(guest & mx::UM) && !range) {
    range = f & mx::UE;
    Lanes<Out> r = lanes<Out>(d);
    for (unsigned k = 0; k < N; ++k) range |= is_denormal(r[k]);
  }
  if (range) f = unmasked_range_flags<Scalar, K, In, Out, N>(guest, csr, d0, s);
  finish(c, f);
  dst(c, i) = d;
}

}  // namespace vtlab::sse

// SSE3 (SDM Vol. 1 §12.3): ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD, MOVSLDUP,
// MOVSHDUP, MOVDDUP, LDDQU. FISTTP (x87) and MONITOR/MWAIT (their own
// CPUID bit) are not here.
//
// The floating-point ones are separate IEEE additions/subtractions per
// element, each run by the host's scalar ADDSS/SUBSS/ADDSD/SUBSD under the
// guest MXCSR (cpu/sse/arith.h lane_op): the same bits and flags on every
// host. The operand order is the SDM's pseudo-code order (the lower element
// first), which decides which NaN a two-NaN addition returns.
#include "cpu/sse/arith.h"

namespace vtlab::sse {
namespace {

using A = Arith;

// One element's operation: which operands (from d = xmm1, s = xmm2/m128,
// element indexes) and add or subtract.
struct LaneOp {
  bool from_src_a, from_src_b;
  u8 a, b;
  bool sub;
};

// dest[k] = op_k(...) for the element layout `ops` (N elements of T); all
// elements are computed before the destination is written, and unmasked
// exceptions leave it untouched (finish()).
template <typename T, unsigned N, const LaneOp (&Ops)[N]>
void fp_lanes(Cpu& c, const Insn& i) {
  require_sse(c);
  const Lanes<T> s = lanes<T>(read_src(c, i, 1)), d = lanes<T>(dst(c, i));
  const u32 guest = c.mxcsr;
  Lanes<T> r;
  u32 f = 0;
  for (unsigned k = 0; k < N; ++k) {
    const LaneOp& o = Ops[k];
    const T a = o.from_src_a ? s[o.a] : d[o.a], b = o.from_src_b ? s[o.b] : d[o.b];
    if constexpr (sizeof(T) == 4)
      f |= o.sub ? lane_op<&host::subss, A::Sub>(guest, a, b, r[k]) : lane_op<&host::addss, A::Add>(guest, a, b, r[k]);
    else
      f |= o.sub ? lane_op<&host::subsd, A::Sub>(guest, a, b, r[k]) : lane_op<&host::addsd, A::Add>(guest, a, b, r[k]);
  }
  finish(c, f);
  dst(c, i) = to_xmm(r);
}

// SDM Vol. 2 ADDSUBPS: d0-s0, d1+s1, d2-s2, d3+s3.
constexpr LaneOp kAddsubps[4] = {
    {false, true, 0, 0, true}, {false, true, 1, 1, false}, {false, true, 2, 2, true}, {false, true, 3, 3, false}};
constexpr LaneOp kAddsubpd[2] = {{false, true, 0, 0, true}, {false, true, 1, 1, false}};
// HADDPS: d0+d1, d2+d3, s0+s1, s2+s3 (HSUBPS: the same with "-").
template <bool Sub>
constexpr LaneOp kHps[4] = {
    {false, false, 0, 1, Sub}, {false, false, 2, 3, Sub}, {true, true, 0, 1, Sub}, {true, true, 2, 3, Sub}};
template <bool Sub>
constexpr LaneOp kHpd[2] = {{false, false, 0, 1, Sub}, {true, true, 0, 1, Sub}};

// MOVSLDUP / MOVSHDUP: the even (odd) single of each pair duplicated.
template <unsigned Odd>
Xmm dup_singles(const Xmm&, const Xmm& s) {
  Lanes<u32> x = lanes<u32>(s);
  return to_xmm(Lanes<u32>{x[Odd], x[Odd], x[2 + Odd], x[2 + Odd]});
}

// MOVDDUP xmm1, xmm2/m64: the low double in both halves (an 8-byte memory
// operand, no alignment rule).
void movddup(Cpu& c, const Insn& i) {
  require_sse(c);
  const u64 v = read_src(c, i, 1).lo;
  dst(c, i) = Xmm{v, v};
}

// LDDQU: a 16-byte load that may be misaligned.
void lddqu(Cpu& c, const Insn& i) {
  require_sse(c);
  dst(c, i) = read_src(c, i, 1, Align::Any);
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(ADDSUBPS, (fp_lanes<u32, 4, kAddsubps>)),
    VTLAB_SSE_ROW(ADDSUBPD, (fp_lanes<u64, 2, kAddsubpd>)),
    VTLAB_SSE_ROW(HADDPS, (fp_lanes<u32, 4, kHps<false>>)),
    VTLAB_SSE_ROW(HSUBPS, (fp_lanes<u32, 4, kHps<true>>)),
    VTLAB_SSE_ROW(HADDPD, (fp_lanes<u64, 2, kHpd<false>>)),
    VTLAB_SSE_ROW(HSUBPD, (fp_lanes<u64, 2, kHpd<true>>)),
    VTLAB_SSE_ROW(MOVSLDUP, binary<&dup_singles<0>>),
    VTLAB_SSE_ROW(MOVSHDUP, binary<&dup_singles<1>>),
    VTLAB_SSE_ROW(MOVDDUP, movddup),
    VTLAB_SSE_ROW(LDDQU, lddqu),
};

}  // namespace
}  // namespace vtlab::sse

namespace vtlab {
std::span<const InsnRow> sse3_rows() { return sse::kRows; }
}  // namespace vtlab

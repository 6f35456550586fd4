// SSE/SSE2 instruction rows: the groups in cpu/handlers/sse_*.cpp joined,
// plus MOVSD/CMPSD, whose mnemonics name both the dword string
// instructions and the SSE2 scalar-double ones.
#include <vector>

#include "cpu/sse/sse.h"

namespace vtlab {

ChainedHandler string_movsd_handler();
ChainedHandler string_cmpsd_handler();

namespace {

ChainedHandler select_movsd(const Insn& i) {
  if (i.op[0].kind == OpKind::Xmm || i.op[1].kind == OpKind::Xmm) return sse::movsd_xmm_handler(i);
  return string_movsd_handler();
}

ChainedHandler select_cmpsd(const Insn& i) {
  if (i.op[0].kind == OpKind::Xmm) return sse::cmpsd_xmm_handler(i);
  return string_cmpsd_handler();
}

}  // namespace

std::span<const InsnRow> sse_rows() {
  static const std::vector<InsnRow> rows = [] {
    std::vector<InsnRow> v = {
        {ZYDIS_MNEMONIC_MOVSD, {}, 0, SizeFrom::OpSize, &select_movsd},
        {ZYDIS_MNEMONIC_CMPSD, {}, 0, SizeFrom::OpSize, &select_cmpsd},
    };
    for (auto group : {sse::move_rows(), sse::fp_rows(), sse::convert_rows(), sse::int_rows(), sse::shuffle_rows(),
                       sse::state_rows()})
      v.insert(v.end(), group.begin(), group.end());
    return v;
  }();
  return rows;
}

}  // namespace vtlab

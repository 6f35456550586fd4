// SSE/SSE2 instruction rows. (Being filled in: see cpu/handlers/sse_*.cpp.)
#include "cpu/handlers/common.h"

namespace vtlab {

Handler string_movsd_handler();
Handler string_cmpsd_handler();

namespace {

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_MOVSD, {}, 0, SizeFrom::OpSize,
     [](const Insn& i) -> Handler { return i.op[0].kind == OpKind::Xmm || i.op[1].kind == OpKind::Xmm ? nullptr : string_movsd_handler(); }},
    {ZYDIS_MNEMONIC_CMPSD, {}, 0, SizeFrom::OpSize,
     [](const Insn& i) -> Handler { return i.op[0].kind == OpKind::Xmm ? nullptr : string_cmpsd_handler(); }},
};

}  // namespace

std::span<const InsnRow> sse_rows() { return kRows; }

}  // namespace vtlab

// The behaviours where Intel and AMD hardware give different results, as one
// list (docs/vendor-differences.md explains each). The interpreter follows
// Intel for all of them. Case files record both vendors' outcomes where a
// case shows one (native-amd lines, insn-gen vendor rules); the random
// differential test asks vendor_split_hazard() so that it never emits one
// unmasked, since it compares with whatever CPU runs the test.
#pragma once

#include <Zydis/Zydis.h>

#include <span>

namespace insn {

struct VendorSplit {
    const char* id;     // short name, used in docs and messages
    const char* where;  // where it is tested
};

// Every known split, in the order of docs/vendor-differences.md.
std::span<const VendorSplit> vendor_splits();

// The id of the split a decoded 64-bit-mode instruction can show for some
// operand values (BSF r32 with a zero source, REP with 0x67 and ECX = 0, ...),
// or nullptr if it shows none whatever its operands.
const char* vendor_split_hazard(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* operands);

}  // namespace insn

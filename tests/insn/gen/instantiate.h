// Expands a spec's forms into cases (without bytes: those come from the
// assembler, or from the form's explicit `bytes`).
#pragma once

#include <vector>

#include "tests/insn/case.h"
#include "tests/insn/gen/spec.h"

namespace insn::gen {

struct PendingCase {
    Case c;
    const Form* form = nullptr;
    u64 mem_operand = 0;  // address of the first memory operand (0 if none)
};

std::vector<PendingCase> instantiate(const Spec& spec);

}  // namespace insn::gen

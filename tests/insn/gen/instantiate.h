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
    int width = 64;       // the form's operand width W for this case
    u64 source = 0;       // the source operand's value (as the undef rules see it)
    int dest_reg = -1;    // register of the first operand, if it is a register
};

std::vector<PendingCase> instantiate(const Spec& spec);

}  // namespace insn::gen

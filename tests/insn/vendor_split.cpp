// The vendor-split list and the hazard test the random sequences use.
#include "tests/insn/vendor_split.h"

namespace insn {

namespace {

constexpr VendorSplit kSplits[] = {
    {"rep-a32-count0", "cases/string.txt (insn-gen rule @a32-rep-count0)"},
    {"bsf-bsr-zero-source", "cases/bit.txt (insn-gen rule @bsf-zero)"},
    {"push-sreg-wide", "cases/sreg.txt (insn-gen rule @push-sreg)"},
    {"fxsave-mxcsr-mask", "cases/mxcsr.txt (insn-gen 'vendor mem')"},
    {"null-selector-base", "tests/insn_interp/vendor_split_test.cpp"},
    {"sysret-noncanonical", "tests/insn_interp/vendor_split_test.cpp"},
    {"syscall-compat-mode", "tests/insn_interp/vendor_split_test.cpp"},
    {"near-branch-0x66", "tests/insn_interp/vendor_split_test.cpp"},
    {"far-pointer-rex-w", "tests/insn_interp/vendor_split_test.cpp"},
    {"shxd16-count-above-16", "undefined in the SDM: masked in cases/shld.txt (insn-gen rule @shld)"},
    {"x87-compare-unmasked-ia", "cases/x87_compare.txt (insn-gen rule @x87-compare-ia)"},
    {"x87-load-denormal-unmasked", "cases/x87_load_store.txt (insn-gen rule @x87-load-denormal)"},
    {"x87-fcomi-c1", "cases/x87_compare.txt (insn-gen rule @x87-fcomi-c1)"},
};

bool is_x87_compare(ZydisMnemonic m) {
    switch (m) {
        case ZYDIS_MNEMONIC_FCOM: case ZYDIS_MNEMONIC_FCOMP: case ZYDIS_MNEMONIC_FCOMPP:
        case ZYDIS_MNEMONIC_FUCOM: case ZYDIS_MNEMONIC_FUCOMP: case ZYDIS_MNEMONIC_FUCOMPP:
        case ZYDIS_MNEMONIC_FCOMI: case ZYDIS_MNEMONIC_FCOMIP: case ZYDIS_MNEMONIC_FUCOMI:
        case ZYDIS_MNEMONIC_FUCOMIP: case ZYDIS_MNEMONIC_FICOM: case ZYDIS_MNEMONIC_FICOMP:
            return true;
        default:
            return false;
    }
}

bool has_segment_operand(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops) {
    for (unsigned i = 0; i < insn.operand_count; ++i)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(ops[i].reg.value) == ZYDIS_REGCLASS_SEGMENT &&
            ops[i].visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN)
            return true;
    return false;
}

}  // namespace

std::span<const VendorSplit> vendor_splits() { return kSplits; }

const char* vendor_split_hazard(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops) {
    constexpr ZydisInstructionAttributes kRep = ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE;
    const ZydisMnemonic m = insn.mnemonic;
    if (insn.meta.category == ZYDIS_CATEGORY_STRINGOP && (insn.attributes & kRep) && insn.address_width == 32)
        return "rep-a32-count0";
    if (m == ZYDIS_MNEMONIC_BSF || m == ZYDIS_MNEMONIC_BSR) return "bsf-bsr-zero-source";
    if (m == ZYDIS_MNEMONIC_PUSH && has_segment_operand(insn, ops) && insn.operand_width > 16) return "push-sreg-wide";
    if (m == ZYDIS_MNEMONIC_FXSAVE || m == ZYDIS_MNEMONIC_FXSAVE64) return "fxsave-mxcsr-mask";
    if ((m == ZYDIS_MNEMONIC_MOV || m == ZYDIS_MNEMONIC_POP) && has_segment_operand(insn, ops) &&
        ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(ops[0].reg.value) == ZYDIS_REGCLASS_SEGMENT)
        return "null-selector-base";
    if (m == ZYDIS_MNEMONIC_LDS || m == ZYDIS_MNEMONIC_LES || m == ZYDIS_MNEMONIC_LFS || m == ZYDIS_MNEMONIC_LGS ||
        m == ZYDIS_MNEMONIC_LSS)
        return insn.operand_width == 64 ? "far-pointer-rex-w" : "null-selector-base";
    if (m == ZYDIS_MNEMONIC_SYSRET) return "sysret-noncanonical";
    if ((m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD) && insn.operand_width == 16) {
        const ZydisDecodedOperand& count = ops[2];
        if (count.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || (count.imm.value.u & 31) > 16) return "shxd16-count-above-16";
    }
    if (m == ZYDIS_MNEMONIC_FCOMI || m == ZYDIS_MNEMONIC_FCOMIP || m == ZYDIS_MNEMONIC_FUCOMI ||
        m == ZYDIS_MNEMONIC_FUCOMIP)
        return "x87-fcomi-c1";  // (x87-compare-unmasked-ia too)
    if (is_x87_compare(m)) return "x87-compare-unmasked-ia";
    if (m == ZYDIS_MNEMONIC_FLD)
        for (unsigned i = 0; i < insn.operand_count; ++i)
            if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && (ops[i].size == 32 || ops[i].size == 64))
                return "x87-load-denormal-unmasked";
    if (m == ZYDIS_MNEMONIC_SYSCALL && insn.machine_mode != ZYDIS_MACHINE_MODE_LONG_64) return "syscall-compat-mode";
    const bool branch = insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR || insn.meta.category == ZYDIS_CATEGORY_COND_BR ||
                        insn.meta.category == ZYDIS_CATEGORY_CALL || insn.meta.category == ZYDIS_CATEGORY_RET;
    if (branch && insn.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR && (insn.attributes & ZYDIS_ATTRIB_HAS_REX) &&
        insn.raw.rex.W)
        return "far-pointer-rex-w";
    if (branch && insn.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR && (insn.attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE))
        return "near-branch-0x66";
    return nullptr;
}

}  // namespace insn

// The classes, most specific first. Zydis follows the Intel SDM (which is
// what vtlab's CPU decodes); Capstone 4.0.2 is older and more permissive.
#include "tests/decoder/disagreement_classes.h"

#include <algorithm>

namespace decoder_check {

namespace {

// Legacy prefixes (and REX in 64-bit mode) at the start of the window.
struct Prefixes {
    bool lock = false, rep = false, opsize = false, addrsize = false, rex = false;
    size_t opcode = 0;  // index of the first byte after the prefixes
};

Prefixes prefixes(const Observation& o) {
    Prefixes p;
    for (size_t i = 0; i < o.bytes.size(); ++i) {
        const auto b = o.bytes[i];
        if (b == 0xf0) p.lock = true;
        else if (b == 0xf2 || b == 0xf3) p.rep = true;
        else if (b == 0x66) p.opsize = true;
        else if (b == 0x67) p.addrsize = true;
        else if (b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65) {
        } else if (o.mode == Mode::M64 && (b & 0xf0) == 0x40) p.rex = true;
        else {
            p.opcode = i;
            return p;
        }
    }
    p.opcode = o.bytes.size();
    return p;
}

int at(const Observation& o, size_t i) { return i < o.bytes.size() ? o.bytes[i] : -1; }
bool zydis_only(const Observation& o) { return o.zydis.length && !o.capstone; }
bool capstone_only(const Observation& o) { return !o.zydis.length && o.capstone; }

bool is_vex_leader(const Observation& o, size_t i) {
    const int b = at(o, i);
    if (b == 0x8f) return (at(o, i + 1) & 0x1f) >= 8;  // XOP: map select >= 8 (POP r/m has reg = 0)
    if (b != 0xc4 && b != 0xc5 && b != 0x62) return false;
    // Outside 64-bit mode C4/C5/62 are VEX/EVEX only when ModRM.mod == 11.
    return o.mode == Mode::M64 || (at(o, i + 1) & 0xc0) == 0xc0;
}

const std::vector<DisagreementClass> kClasses = {
    {"lock_on_non_lockable",
     "LOCK on an instruction that is not a lockable read-modify-write is #UD (SDM Vol. 2, LOCK); Capstone 4 "
     "decodes it anyway",
     [](const Observation& o) { return capstone_only(o) && prefixes(o).lock; }},
    {"prefix_before_vex_evex",
     "66/F2/F3/F0/REX before a VEX/EVEX/XOP prefix is #UD (SDM Vol. 2, 2.3.2); Capstone 4 ignores the prefix",
     [](const Observation& o) {
         const auto p = prefixes(o);
         return (p.opsize || p.rep || p.lock || p.rex) && is_vex_leader(o, p.opcode);
     }},
    {"reserved_control_debug_register",
     "MOV to/from CR1, CR5-CR7, CR9-CR15 (0F 20/22) and DR8-15 is #UD (SDM Vol. 2, MOV-Move to/from Control "
     "Registers); Capstone 4 decodes any register number",
     [](const Observation& o) {
         const auto p = prefixes(o);
         const int b = at(o, p.opcode + 1);
         return capstone_only(o) && at(o, p.opcode) == 0x0f && b >= 0x20 && b <= 0x23;
     }},
    {"amd_3dnow_0f0f",
     "0F 0F is AMD 3DNow! (removed from current CPUs; Zydis rejects unknown suffixes, Capstone 4 decodes "
     "them as FEMMS)",
     [](const Observation& o) {
         const auto p = prefixes(o);
         return at(o, p.opcode) == 0x0f && at(o, p.opcode + 1) == 0x0f;
     }},
    {"via_padlock_0fa6_0fa7",
     "0F A6/A7 with ModRM >= C0 are VIA PadLock (XSHA*, XCRYPT*): Capstone 4 decodes them, Zydis does not",
     [](const Observation& o) {
         const auto p = prefixes(o);
         const int b = at(o, p.opcode + 1);
         return capstone_only(o) && at(o, p.opcode) == 0x0f && (b == 0xa6 || b == 0xa7);
     }},
    {"fence_modrm_rm_nonzero",
     "LFENCE/MFENCE/SFENCE (0F AE /5,/6,/7 with mod 11) ignore ModRM.rm on hardware and in Zydis; Capstone 4 "
     "only accepts rm = 0",
     [](const Observation& o) {
         const auto p = prefixes(o);
         const int m = at(o, p.opcode + 2);
         return zydis_only(o) && at(o, p.opcode) == 0x0f && at(o, p.opcode + 1) == 0xae && (m & 0xc0) == 0xc0 &&
                ((m >> 3) & 7) >= 5;
     }},
    {"vex_evex_xop_field_checks",
     "VEX/EVEX/XOP: Capstone 4 ignores the W/L/map restrictions that make an encoding #UD (e.g. VBLENDVPD "
     "with VEX.W1), decodes AMD XOP forms Zydis rejects, and sizes some EVEX forms differently",
     [](const Observation& o) { return is_vex_leader(o, prefixes(o).opcode); }},
    {"prefixed_moffs_mov",
     "MOV AL/AX/EAX/RAX <-> moffs (A0-A3) with both 66 and F2/F3: valid (the REP prefix is ignored), Capstone 4 "
     "rejects it",
     [](const Observation& o) {
         const int op = at(o, prefixes(o).opcode);
         return zydis_only(o) && op >= 0xa0 && op <= 0xa3;
     }},
    {"push_imm_opsize_with_rep",
     "PUSH imm (68) with 66 and F2/F3: Capstone 4 drops the operand-size override when a REP prefix is also "
     "present and reads an imm32",
     [](const Observation& o) {
         const auto p = prefixes(o);
         return p.opsize && p.rep && at(o, p.opcode) == 0x68;
     }},
    {"sse4a_extrq_insertq",
     "66/F2 0F 78/79 are AMD SSE4a EXTRQ/INSERTQ (with two immediates) in Zydis, VMREAD/VMWRITE with an "
     "ignored prefix in Capstone 4",
     [](const Observation& o) {
         const auto p = prefixes(o);
         const int b = at(o, p.opcode + 1);
         return (p.rep || p.opsize) && at(o, p.opcode) == 0x0f && (b == 0x78 || b == 0x79);
     }},
    {"capstone4_missing_sse_forms",
     "Capstone 4 rejects some valid SSE2/SSE3 encodings with a mandatory prefix (e.g. 66 0F E6 CVTTPD2DQ, "
     "F3 0F E6 CVTDQ2PD, F3 0F D6 MOVQ2DQ, 66 0F 6D PUNPCKHQDQ)",
     [](const Observation& o) {
         const auto p = prefixes(o);
         return zydis_only(o) && (p.opsize || p.rep) && at(o, p.opcode) == 0x0f;
     }},
    {"mandatory_prefix_selects_undefined_form",
     "in the 0F/0F38/0F3A maps the 66/F2/F3 prefix selects the instruction; where the selected form is "
     "undefined (#UD) Capstone 4 ignores the prefix or its absence (e.g. F3 0F EF as PXOR mm, 0F 38 25 "
     "without 66 as PMOVSXDQ)",
     [](const Observation& o) { return capstone_only(o) && at(o, prefixes(o).opcode) == 0x0f; }},
    {"segment_register_move",
     "MOV to/from segment registers (8C/8E): MOV CS and Sreg numbers 6-7 are #UD for Zydis; Capstone 4 accepts "
     "them, and rejects some REX forms that Zydis accepts",
     [](const Observation& o) {
         const int op = at(o, prefixes(o).opcode);
         return op == 0x8c || op == 0x8e;
     }},
    {"hint_nop_space_0f18_0f1f",
     "0F 18-1F is the reserved-NOP space, partly reassigned (MPX BND*, CET ENDBR/RDSSP, PREFETCH hints): Zydis "
     "decodes the assignments, Capstone 4 decodes some as NOP and rejects others",
     [](const Observation& o) {
         const auto p = prefixes(o);
         const int b = at(o, p.opcode + 1);
         return at(o, p.opcode) == 0x0f && b >= 0x18 && b <= 0x1f;
     }},
    {"ud0_ud1_modrm",
     "UD0 (0F FF) and UD1 (0F B9) take a ModRM byte in the SDM; Capstone 4 decodes them without one (AMD's "
     "older description of UD0)",
     [](const Observation& o) {
         const auto p = prefixes(o);
         const int b = at(o, p.opcode + 1);
         return at(o, p.opcode) == 0x0f && (b == 0xff || b == 0xb9);
     }},
    {"near_branch_prefixes",
     "Prefixes on near JMP/Jcc/CALL/RET: in 64-bit mode Intel CPUs ignore 66 (rel32 stays) where AMD and "
     "Capstone 4 use rel16 (vtlab models Intel: Zydis is right); Capstone 4 also mis-sizes 67- and F2 (BND)-"
     "prefixed branches",
     [](const Observation& o) {
         const auto p = prefixes(o);
         if (!p.opsize && !p.addrsize && !p.rep) return false;
         const int op = at(o, p.opcode), op2 = at(o, p.opcode + 1);
         return op == 0xe8 || op == 0xe9 || op == 0xc2 || op == 0xc3 || op == 0xca || op == 0xcb ||
                (op == 0x0f && op2 >= 0x80 && op2 <= 0x8f) || (op == 0xff && ((op2 >> 3) & 7) >= 2 && ((op2 >> 3) & 7) <= 5);
     }},
    {"amd_prefetch_0f0d",
     "0F 0D /r with any ModRM.reg is PREFETCH/PREFETCHW (reserved forms alias on AMD); Capstone 4 only knows "
     "/0 and /1",
     [](const Observation& o) {
         const auto p = prefixes(o);
         return at(o, p.opcode) == 0x0f && at(o, p.opcode + 1) == 0x0d;
     }},
    {"isa_newer_than_capstone4",
     "instructions from extensions Capstone 4.0.2 (2020) does not know: CET, MOVDIR*, ENQCMD, SERIALIZE, "
     "TSXLDTRK, HRESET, UINTR, AMX, AVX512-FP16/BF16/VNNI/VBMI2/BITALG/VP2INTERSECT, GFNI, VAES, KNC, ...",
     [](const Observation& o) {
         if (!zydis_only(o) && !(o.zydis.length && o.capstone)) return false;
         switch (o.zydis.insn.meta.isa_ext) {
             case ZYDIS_ISA_EXT_BASE:
             case ZYDIS_ISA_EXT_SSE:
             case ZYDIS_ISA_EXT_SSE2:
             case ZYDIS_ISA_EXT_MMX:
             case ZYDIS_ISA_EXT_X87:
                 return false;
             default:
                 return zydis_only(o);
         }
     }},
};

}  // namespace

const std::vector<DisagreementClass>& disagreement_classes() { return kClasses; }

}  // namespace decoder_check

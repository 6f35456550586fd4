// Random sequence generator: a table of instruction forms (mnemonic, operand
// shape, widths, flags read/written/left undefined), encoded with Zydis.
#include "tests/insn/random_seq.h"

#include <Zydis/Encoder.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "tests/insn/vendor_split.h"

namespace insn {

namespace {

struct Rng {  // splitmix64
    u64 s;
    u64 next() {
        u64 z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    u64 below(u64 n) { return next() % n; }
};

// Operand shapes.
// RR_NZ: "or src, imm" with a non-zero imm8 first, so the source is never
// zero (BSF/BSR with a zero source is a vendor split: tests/insn/vendor_split.h).
// x87 shapes: ST0_STI "op st(0), st(i)", STI_ST0 "op st(i), st(0)", STI "op
// st(i)", FM a memory operand of the form's width, FPU no operand. MMX: MM_MM,
// MM_M (m64), MM_R / R_MM (MOVD/MOVQ), MM_I8 (shift count), MM_MM_I8.
enum class Shape { R, RR, RI, RM, MR, M, RRR, RRI8, SHIFT_I, RR_SHIFT_I, X_X, X_M, X_X_I8, R32_X, X_R, R_X_I8, X_R_I8, NONE, LEA, R_R8, PUSH, POP, RR_NZ,
                   ST0_STI, STI_ST0, STI, FM, FPU, MM_MM, MM_M, MM_R, R_MM, MM_I8, MM_MM_I8 };

enum : u8 { W8 = 1, W16 = 2, W32 = 4, W64 = 8, W128 = 16 };

constexpr u64 S = kStatusFlags;
constexpr u64 OSZPC = OF | SF | ZF | PF | CF;

enum class ShiftKind { None, Shift, Rotate };  // per-count flag rules (undef_rules.cpp)

struct SeqForm {
    ZydisMnemonic mn;
    Shape shape;
    u8 widths;
    u64 reads;   // flags read
    u64 writes;  // flags given defined values
    u64 undef;   // flags left undefined
    ShiftKind shift = ShiftKind::None;
};

#define M(x) ZYDIS_MNEMONIC_##x
const SeqForm kForms[] = {
    // ALU
    {M(ADD), Shape::RR, W8 | W16 | W32 | W64, 0, S, 0},
    {M(ADD), Shape::RI, W8 | W16 | W32 | W64, 0, S, 0},
    {M(ADD), Shape::MR, W8 | W16 | W32 | W64, 0, S, 0},
    {M(ADC), Shape::RR, W8 | W16 | W32 | W64, CF, S, 0},
    {M(SUB), Shape::RR, W8 | W16 | W32 | W64, 0, S, 0},
    {M(SUB), Shape::RM, W16 | W32 | W64, 0, S, 0},
    {M(SBB), Shape::RI, W8 | W16 | W32 | W64, CF, S, 0},
    {M(CMP), Shape::RR, W8 | W16 | W32 | W64, 0, S, 0},
    {M(CMP), Shape::RM, W32 | W64, 0, S, 0},
    {M(AND), Shape::RR, W8 | W16 | W32 | W64, 0, OSZPC, AF},
    {M(OR), Shape::RI, W8 | W16 | W32 | W64, 0, OSZPC, AF},
    {M(XOR), Shape::RR, W8 | W16 | W32 | W64, 0, OSZPC, AF},
    {M(XOR), Shape::MR, W32 | W64, 0, OSZPC, AF},
    {M(TEST), Shape::RR, W8 | W16 | W32 | W64, 0, OSZPC, AF},
    {M(INC), Shape::R, W8 | W16 | W32 | W64, 0, S & ~CF, 0},
    {M(DEC), Shape::M, W16 | W32 | W64, 0, S & ~CF, 0},
    {M(NEG), Shape::R, W8 | W16 | W32 | W64, 0, S, 0},
    {M(NOT), Shape::R, W8 | W16 | W32 | W64, 0, 0, 0},
    // Moves and exchanges
    {M(MOV), Shape::RR, W8 | W16 | W32 | W64, 0, 0, 0},
    {M(MOV), Shape::RI, W8 | W16 | W32 | W64, 0, 0, 0},
    {M(MOV), Shape::RM, W8 | W16 | W32 | W64, 0, 0, 0},
    {M(MOV), Shape::MR, W8 | W16 | W32 | W64, 0, 0, 0},
    {M(MOVZX), Shape::R_R8, W16 | W32 | W64, 0, 0, 0},
    {M(MOVSX), Shape::R_R8, W16 | W32 | W64, 0, 0, 0},
    {M(XCHG), Shape::RR, W8 | W16 | W32 | W64, 0, 0, 0},
    {M(XADD), Shape::RR, W8 | W16 | W32 | W64, 0, S, 0},
    {M(CMPXCHG), Shape::RR, W8 | W16 | W32 | W64, 0, S, 0},
    {M(BSWAP), Shape::R, W32 | W64, 0, 0, 0},
    {M(LEA), Shape::LEA, W16 | W32 | W64, 0, 0, 0},
    {M(PUSH), Shape::PUSH, W64, 0, 0, 0},
    {M(POP), Shape::POP, W64, 0, 0, 0},
    // Multiply (no divide: a #DE would end most sequences early)
    {M(IMUL), Shape::RR, W16 | W32 | W64, 0, OF | CF, SF | ZF | AF | PF},
    {M(IMUL), Shape::RRI8, W16 | W32 | W64, 0, OF | CF, SF | ZF | AF | PF},
    {M(MUL), Shape::R, W8 | W16 | W32 | W64, 0, OF | CF, SF | ZF | AF | PF},
    // Shifts and rotates by an immediate 1..width-1
    {M(SHL), Shape::SHIFT_I, W8 | W16 | W32 | W64, 0, 0, 0, ShiftKind::Shift},
    {M(SHR), Shape::SHIFT_I, W8 | W16 | W32 | W64, 0, 0, 0, ShiftKind::Shift},
    {M(SAR), Shape::SHIFT_I, W8 | W16 | W32 | W64, 0, 0, 0, ShiftKind::Shift},
    {M(ROL), Shape::SHIFT_I, W8 | W16 | W32 | W64, 0, 0, 0, ShiftKind::Rotate},
    {M(ROR), Shape::SHIFT_I, W8 | W16 | W32 | W64, 0, 0, 0, ShiftKind::Rotate},
    {M(RCL), Shape::SHIFT_I, W8 | W16 | W32 | W64, CF, 0, 0, ShiftKind::Rotate},
    {M(RCR), Shape::SHIFT_I, W8 | W16 | W32 | W64, CF, 0, 0, ShiftKind::Rotate},
    {M(SHLD), Shape::RR_SHIFT_I, W32 | W64, 0, 0, 0, ShiftKind::Shift},
    {M(SHRD), Shape::RR_SHIFT_I, W32 | W64, 0, 0, 0, ShiftKind::Shift},
    // Bits
    {M(BT), Shape::RI, W16 | W32 | W64, 0, CF, OF | SF | AF | PF},
    {M(BTS), Shape::RI, W16 | W32 | W64, 0, CF, OF | SF | AF | PF},
    {M(BTC), Shape::RR, W16 | W32 | W64, 0, CF, OF | SF | AF | PF},
    {M(TZCNT), Shape::RR, W16 | W32 | W64, 0, CF | ZF, OF | SF | PF | AF},
    {M(LZCNT), Shape::RR, W16 | W32 | W64, 0, CF | ZF, OF | SF | PF | AF},
    {M(POPCNT), Shape::RR, W16 | W32 | W64, 0, S, 0},
    {M(BSF), Shape::RR_NZ, W16 | W32 | W64, 0, ZF, CF | OF | SF | AF | PF},
    {M(BSR), Shape::RR_NZ, W16 | W32 | W64, 0, ZF, CF | OF | SF | AF | PF},
    {M(ANDN), Shape::RRR, W32 | W64, 0, OF | SF | ZF | CF, AF | PF},
    {M(BEXTR), Shape::RRR, W32 | W64, 0, OF | ZF | CF, AF | SF | PF},
    {M(BLSI), Shape::RR, W32 | W64, 0, OF | SF | ZF | CF, AF | PF},
    {M(BLSR), Shape::RR, W32 | W64, 0, OF | SF | ZF | CF, AF | PF},
    {M(BZHI), Shape::RRR, W32 | W64, 0, OF | SF | ZF | CF, AF | PF},
    {M(PDEP), Shape::RRR, W32 | W64, 0, 0, 0},
    {M(PEXT), Shape::RRR, W32 | W64, 0, 0, 0},
    {M(SHLX), Shape::RRR, W32 | W64, 0, 0, 0},
    {M(SARX), Shape::RRR, W32 | W64, 0, 0, 0},
    {M(RORX), Shape::RRI8, W32 | W64, 0, 0, 0},
    {M(ADCX), Shape::RR, W32 | W64, CF, CF, 0},
    {M(ADOX), Shape::RR, W32 | W64, OF, OF, 0},
    // Flag users and flag instructions
    {M(CMOVB), Shape::RR, W16 | W32 | W64, CF, 0, 0},
    {M(CMOVZ), Shape::RR, W32 | W64, ZF, 0, 0},
    {M(CMOVLE), Shape::RR, W32 | W64, ZF | SF | OF, 0, 0},
    {M(CMOVNBE), Shape::RM, W64, CF | ZF, 0, 0},
    {M(SETL), Shape::R, W8, SF | OF, 0, 0},
    {M(SETNP), Shape::R, W8, PF, 0, 0},
    {M(LAHF), Shape::NONE, 0, SF | ZF | AF | PF | CF, 0, 0},
    {M(SAHF), Shape::NONE, 0, 0, SF | ZF | AF | PF | CF, 0},
    {M(CMC), Shape::NONE, 0, CF, CF, 0},
    {M(STC), Shape::NONE, 0, 0, CF, 0},
    {M(CQO), Shape::NONE, 0, 0, 0, 0},
    {M(CWDE), Shape::NONE, 0, 0, 0, 0},
    // SSE / SSE2 (MXCSR keeps every exception masked)
    {M(ADDPS), Shape::X_X, W128, 0, 0, 0},
    {M(MULPD), Shape::X_X, W128, 0, 0, 0},
    {M(DIVSS), Shape::X_X, W128, 0, 0, 0},
    {M(SUBSD), Shape::X_M, W128, 0, 0, 0},
    {M(MINPS), Shape::X_X, W128, 0, 0, 0},
    {M(MAXSD), Shape::X_X, W128, 0, 0, 0},
    {M(SQRTPD), Shape::X_X, W128, 0, 0, 0},
    {M(ANDPS), Shape::X_X, W128, 0, 0, 0},
    {M(XORPD), Shape::X_X, W128, 0, 0, 0},
    {M(CMPPS), Shape::X_X_I8, W128, 0, 0, 0},  // predicate = imm8 & 7 (see emit)
    {M(SHUFPS), Shape::X_X_I8, W128, 0, 0, 0},
    {M(PSHUFD), Shape::X_X_I8, W128, 0, 0, 0},
    {M(UNPCKLPS), Shape::X_X, W128, 0, 0, 0},
    {M(PUNPCKHBW), Shape::X_X, W128, 0, 0, 0},
    {M(PACKSSDW), Shape::X_X, W128, 0, 0, 0},
    {M(PADDB), Shape::X_X, W128, 0, 0, 0},
    {M(PSUBUSW), Shape::X_X, W128, 0, 0, 0},
    {M(PMULLW), Shape::X_X, W128, 0, 0, 0},
    {M(PMULUDQ), Shape::X_M, W128, 0, 0, 0},
    {M(PMADDWD), Shape::X_X, W128, 0, 0, 0},
    {M(PCMPGTD), Shape::X_X, W128, 0, 0, 0},
    {M(PSRAW), Shape::X_X, W128, 0, 0, 0},
    {M(PSADBW), Shape::X_X, W128, 0, 0, 0},
    {M(CVTDQ2PS), Shape::X_X, W128, 0, 0, 0},
    {M(CVTPS2DQ), Shape::X_X, W128, 0, 0, 0},
    {M(CVTTPD2DQ), Shape::X_X, W128, 0, 0, 0},
    {M(CVTSD2SS), Shape::X_X, W128, 0, 0, 0},
    {M(MOVAPS), Shape::X_X, W128, 0, 0, 0},
    {M(MOVMSKPS), Shape::R32_X, W128, 0, 0, 0},
    {M(PMOVMSKB), Shape::R32_X, W128, 0, 0, 0},
    {M(MOVQ), Shape::X_R, W128, 0, 0, 0},
    {M(COMISS), Shape::X_X, W128, 0, S, 0},
    {M(UCOMISD), Shape::X_X, W128, 0, S, 0},
    // SSE3, SSSE3
    {M(ADDSUBPS), Shape::X_X, W128, 0, 0, 0},
    {M(HADDPD), Shape::X_X, W128, 0, 0, 0},
    {M(HSUBPS), Shape::X_M, W128, 0, 0, 0},
    {M(MOVSHDUP), Shape::X_X, W128, 0, 0, 0},
    {M(MOVDDUP), Shape::X_X, W128, 0, 0, 0},
    {M(PSHUFB), Shape::X_X, W128, 0, 0, 0},
    {M(PHADDW), Shape::X_X, W128, 0, 0, 0},
    {M(PHSUBSW), Shape::X_X, W128, 0, 0, 0},
    {M(PMADDUBSW), Shape::X_X, W128, 0, 0, 0},
    {M(PMULHRSW), Shape::X_M, W128, 0, 0, 0},
    {M(PSIGNB), Shape::X_X, W128, 0, 0, 0},
    {M(PABSD), Shape::X_X, W128, 0, 0, 0},
    {M(PALIGNR), Shape::X_X_I8, W128, 0, 0, 0},
    // SSE4.1
    {M(PMULLD), Shape::X_X, W128, 0, 0, 0},
    {M(PMULDQ), Shape::X_X, W128, 0, 0, 0},
    {M(PMINSB), Shape::X_X, W128, 0, 0, 0},
    {M(PMAXUD), Shape::X_X, W128, 0, 0, 0},
    {M(PCMPEQQ), Shape::X_X, W128, 0, 0, 0},
    {M(PACKUSDW), Shape::X_X, W128, 0, 0, 0},
    {M(PHMINPOSUW), Shape::X_X, W128, 0, 0, 0},
    {M(PMOVSXBW), Shape::X_X, W128, 0, 0, 0},
    {M(PMOVZXWQ), Shape::X_X, W128, 0, 0, 0},
    {M(PTEST), Shape::X_X, W128, 0, S, 0},
    {M(BLENDVPS), Shape::X_X, W128, 0, 0, 0},  // mask: XMM0
    {M(PBLENDVB), Shape::X_X, W128, 0, 0, 0},
    {M(BLENDPD), Shape::X_X_I8, W128, 0, 0, 0},
    {M(PBLENDW), Shape::X_X_I8, W128, 0, 0, 0},
    {M(ROUNDPS), Shape::X_X_I8, W128, 0, 0, 0},
    {M(ROUNDSD), Shape::X_X_I8, W128, 0, 0, 0},
    {M(DPPS), Shape::X_X_I8, W128, 0, 0, 0},
    {M(DPPD), Shape::X_X_I8, W128, 0, 0, 0},
    {M(MPSADBW), Shape::X_X_I8, W128, 0, 0, 0},
    {M(INSERTPS), Shape::X_X_I8, W128, 0, 0, 0},
    {M(EXTRACTPS), Shape::R_X_I8, W32, 0, 0, 0},
    {M(PEXTRB), Shape::R_X_I8, W32, 0, 0, 0},
    {M(PEXTRQ), Shape::R_X_I8, W64, 0, 0, 0},
    {M(PINSRD), Shape::X_R_I8, W32, 0, 0, 0},
    {M(PINSRB), Shape::X_R_I8, W32, 0, 0, 0},
    // SSE4.2 (string compares set CF ZF SF OF and clear AF PF), AES, PCLMULQDQ
    {M(PCMPISTRI), Shape::X_X_I8, W128, 0, S, 0},
    {M(PCMPISTRM), Shape::X_X_I8, W128, 0, S, 0},
    {M(PCMPESTRI), Shape::X_X_I8, W128, 0, S, 0},
    {M(PCMPESTRM), Shape::X_M, W128, 0, S, 0},  // imm8 added in emit
    {M(PCMPGTQ), Shape::X_X, W128, 0, 0, 0},
    {M(CRC32), Shape::RR, W32 | W64, 0, 0, 0},
    {M(CRC32), Shape::R_R8, W32 | W64, 0, 0, 0},
    {M(AESENC), Shape::X_X, W128, 0, 0, 0},
    {M(AESDECLAST), Shape::X_X, W128, 0, 0, 0},
    {M(AESIMC), Shape::X_X, W128, 0, 0, 0},
    {M(AESKEYGENASSIST), Shape::X_X_I8, W128, 0, 0, 0},
    {M(PCLMULQDQ), Shape::X_X_I8, W128, 0, 0, 0},
    // x87 (every exception masked: FCW keeps IM..PM set; C0, C2, C3 are
    // undefined after most of these and not compared). No transcendentals:
    // they may differ from the CPU in the last bit (docs/x87.md).
    {M(FADD), Shape::ST0_STI, 0, 0, 0, 0},
    {M(FSUBR), Shape::ST0_STI, 0, 0, 0, 0},
    {M(FMUL), Shape::STI_ST0, 0, 0, 0, 0},
    {M(FDIV), Shape::ST0_STI, 0, 0, 0, 0},
    {M(FDIVRP), Shape::STI_ST0, 0, 0, 0, 0},
    {M(FSUBP), Shape::STI_ST0, 0, 0, 0, 0},
    {M(FADD), Shape::FM, W32 | W64, 0, 0, 0},
    {M(FDIVR), Shape::FM, W32 | W64, 0, 0, 0},
    {M(FIMUL), Shape::FM, W16 | W32, 0, 0, 0},
    {M(FLD), Shape::FM, W32 | W64, 0, 0, 0},
    {M(FLD), Shape::STI, 0, 0, 0, 0},
    {M(FILD), Shape::FM, W16 | W32 | W64, 0, 0, 0},
    {M(FST), Shape::FM, W32 | W64, 0, 0, 0},
    {M(FSTP), Shape::STI, 0, 0, 0, 0},
    {M(FISTP), Shape::FM, W16 | W32 | W64, 0, 0, 0},
    {M(FISTTP), Shape::FM, W32, 0, 0, 0},
    {M(FXCH), Shape::STI, 0, 0, 0, 0},
    {M(FCOMI), Shape::ST0_STI, 0, 0, S, 0},
    {M(FUCOMIP), Shape::ST0_STI, 0, 0, S, 0},
    {M(FCMOVB), Shape::ST0_STI, 0, CF, 0, 0},
    {M(FCMOVNE), Shape::ST0_STI, 0, ZF, 0, 0},
    {M(FSQRT), Shape::FPU, 0, 0, 0, 0},
    {M(FCHS), Shape::FPU, 0, 0, 0, 0},
    {M(FRNDINT), Shape::FPU, 0, 0, 0, 0},
    {M(FSCALE), Shape::FPU, 0, 0, 0, 0},
    {M(FXTRACT), Shape::FPU, 0, 0, 0, 0},
    {M(FPREM1), Shape::FPU, 0, 0, 0, 0},
    {M(FLDPI), Shape::FPU, 0, 0, 0, 0},
    {M(FLD1), Shape::FPU, 0, 0, 0, 0},
    {M(FINCSTP), Shape::FPU, 0, 0, 0, 0},
    {M(FXAM), Shape::FPU, 0, 0, 0, 0},
    // MMX (the registers are the x87's: TOP = 0 and every tag valid after
    // each, all empty after EMMS)
    {M(PADDB), Shape::MM_MM, 0, 0, 0, 0},
    {M(PSUBUSW), Shape::MM_MM, 0, 0, 0, 0},
    {M(PMULHW), Shape::MM_MM, 0, 0, 0, 0},
    {M(PMADDWD), Shape::MM_M, 0, 0, 0, 0},
    {M(PUNPCKLBW), Shape::MM_MM, 0, 0, 0, 0},
    {M(PACKSSWB), Shape::MM_MM, 0, 0, 0, 0},
    {M(PCMPGTW), Shape::MM_MM, 0, 0, 0, 0},
    {M(PXOR), Shape::MM_MM, 0, 0, 0, 0},
    {M(PAVGB), Shape::MM_MM, 0, 0, 0, 0},
    {M(PSADBW), Shape::MM_M, 0, 0, 0, 0},
    {M(PSHUFB), Shape::MM_MM, 0, 0, 0, 0},
    {M(PHADDSW), Shape::MM_MM, 0, 0, 0, 0},
    {M(PSHUFW), Shape::MM_MM_I8, 0, 0, 0, 0},
    {M(PSRLQ), Shape::MM_I8, 0, 0, 0, 0},
    {M(PSRAW), Shape::MM_I8, 0, 0, 0, 0},
    {M(MOVD), Shape::MM_R, W32, 0, 0, 0},
    {M(MOVQ), Shape::R_MM, W64, 0, 0, 0},
    {M(EMMS), Shape::NONE, 0, 0, 0, 0},
};
#undef M

constexpr int kDataPointer = R15;                  // [r15 + disp] memory operands
constexpr u64 kPointerValue = kDataBase + 0x4000;  // disp in [0, kMemSpan)
constexpr u64 kMemSpan = 0x1000;

ZydisRegister gpr(int idx, int bits) {
    switch (bits) {
        case 8: return static_cast<ZydisRegister>(idx < 4 ? ZYDIS_REGISTER_AL + idx : ZYDIS_REGISTER_SPL + (idx - 4));
        case 16: return static_cast<ZydisRegister>(ZYDIS_REGISTER_AX + idx);
        case 32: return static_cast<ZydisRegister>(ZYDIS_REGISTER_EAX + idx);
        default: return static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + idx);
    }
}

class Builder {
public:
    explicit Builder(u64 seed) : rng_{seed ^ 0x5eedf00dull} {}

    Case build(int length) {
        Case c;
        c.name = "random";
        init_state(c);
        for (int n = 0; n < length;) {
            n += emit(c, length - n);
        }
        c.insn_count = length;
        c.flags_undef = maybe_undef_;
        return c;
    }

private:
    int pick_gpr() {  // never rsp (stack) or r15 (memory pointer)
        for (;;) {
            const int r = static_cast<int>(rng_.below(16));
            if (r != RSP && r != kDataPointer) return r;
        }
    }
    ZydisEncoderOperand reg(ZydisRegister r) {
        ZydisEncoderOperand o{};
        o.type = ZYDIS_OPERAND_TYPE_REGISTER;
        o.reg.value = r;
        return o;
    }
    ZydisEncoderOperand mem(int bytes) {
        ZydisEncoderOperand o{};
        o.type = ZYDIS_OPERAND_TYPE_MEMORY;
        o.mem.base = ZYDIS_REGISTER_R15;
        o.mem.displacement = static_cast<ZyanI64>(rng_.below(kMemSpan / 16) * 16 + (bytes < 16 ? rng_.below(16 / bytes) * bytes : 0));
        o.mem.size = static_cast<ZyanU16>(bytes);
        return o;
    }
    ZydisEncoderOperand imm(u64 v) {
        ZydisEncoderOperand o{};
        o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
        o.imm.u = v;
        return o;
    }
    ZydisEncoderOperand xmm() { return reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + rng_.below(16))); }
    ZydisEncoderOperand st(unsigned i) { return reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_ST0 + i)); }
    ZydisEncoderOperand mm() { return reg(static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + rng_.below(8))); }

    // Random immediate that fits a signed `bits`-bit field (the encoder picks imm8 when it can).
    u64 simm(int bits) {
        const int b = bits > 32 ? 32 : bits;
        const u64 v = rng_.next() & ((1ull << b) - 1);
        return (v & (1ull << (b - 1))) ? v | ~((1ull << b) - 1) : v;
    }

    // Encodes one instruction of a random form (two for RR_NZ: the guard and
    // the instruction) if at most `room` fit; returns how many were emitted.
    int emit(Case& c, int room) {
        const SeqForm& f = kForms[rng_.below(std::size(kForms))];
        if (f.reads & maybe_undef_) return 0;  // would consume an undefined flag
        std::vector<u8> guard;  // RR_NZ: "or src, imm8" before the instruction
        int bits = 0;
        if (f.widths & (W8 | W16 | W32 | W64)) {
            do bits = 8 << rng_.below(4);
            while (!(f.widths & (bits / 8)));
        }
        ZydisEncoderRequest req{};
        req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
        req.mnemonic = f.mn;
        auto& op = req.operands;
        u64 writes = f.writes, undef = f.undef;
        int n = 0;
        switch (f.shape) {
            case Shape::R: op[n++] = reg(gpr(pick_gpr(), bits)); break;
            case Shape::M: op[n++] = mem(bits / 8); break;
            case Shape::RR: op[n++] = reg(gpr(pick_gpr(), bits)); op[n++] = reg(gpr(pick_gpr(), bits)); break;
            case Shape::RRR:
                for (int i = 0; i < 3; ++i) op[n++] = reg(gpr(pick_gpr(), bits));
                break;
            case Shape::RI:
                op[n++] = reg(gpr(pick_gpr(), bits));
                op[n++] = imm(f.mn == ZYDIS_MNEMONIC_BT || f.mn == ZYDIS_MNEMONIC_BTS ? rng_.below(256) : simm(bits));
                break;
            case Shape::RRI8:
                op[n++] = reg(gpr(pick_gpr(), bits));
                op[n++] = reg(gpr(pick_gpr(), bits));
                op[n++] = imm(f.mn == ZYDIS_MNEMONIC_RORX ? rng_.below(256) : simm(8));
                break;
            case Shape::RM: op[n++] = reg(gpr(pick_gpr(), bits)); op[n++] = mem(bits / 8); break;
            case Shape::MR: op[n++] = mem(bits / 8); op[n++] = reg(gpr(pick_gpr(), bits)); break;
            case Shape::R_R8: op[n++] = reg(gpr(pick_gpr(), bits)); op[n++] = reg(gpr(pick_gpr(), 8)); break;
            case Shape::LEA: {
                op[n++] = reg(gpr(pick_gpr(), bits));
                ZydisEncoderOperand m{};
                m.type = ZYDIS_OPERAND_TYPE_MEMORY;
                m.mem.base = gpr(pick_gpr(), 64);
                m.mem.index = gpr(pick_gpr(), 64);
                m.mem.scale = static_cast<ZyanU8>(1u << rng_.below(4));
                m.mem.displacement = static_cast<ZyanI64>(simm(32));
                op[n++] = m;
                break;
            }
            case Shape::SHIFT_I:
            case Shape::RR_SHIFT_I: {
                op[n++] = reg(gpr(pick_gpr(), bits));
                if (f.shape == Shape::RR_SHIFT_I) op[n++] = reg(gpr(pick_gpr(), bits));
                const u64 count = 1 + rng_.below(static_cast<u64>(bits - 1));
                op[n++] = imm(count);
                // Same rules as gen/undef_rules.cpp for a count in 1..width-1.
                const u64 of = count == 1 ? OF : 0;
                if (f.shift == ShiftKind::Shift) writes = CF | SF | ZF | PF | of, undef = AF | (OF & ~of);
                else writes = CF | of, undef = OF & ~of;
                break;
            }
            case Shape::PUSH:
                if (c.init.gpr[RSP] - pushes_ * 8 < kStackBase + 0x100) return 0;
                op[n++] = reg(gpr(pick_gpr(), 64));
                ++pushes_;
                break;
            case Shape::POP:
                op[n++] = reg(gpr(pick_gpr(), 64));
                --pushes_;
                break;
            case Shape::RR_NZ: {
                if (room < 2) return 0;
                const int dst = pick_gpr(), src = pick_gpr();
                ZydisEncoderRequest g{};
                g.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
                g.mnemonic = ZYDIS_MNEMONIC_OR;
                g.operand_count = 2;
                g.operands[0] = reg(gpr(src, bits));
                g.operands[1] = imm(1ull << rng_.below(7));
                u8 gb[ZYDIS_MAX_INSTRUCTION_LENGTH];
                ZyanUSize glen = sizeof gb;
                if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&g, gb, &glen))) return 0;
                guard.assign(gb, gb + glen);
                op[n++] = reg(gpr(dst, bits));
                op[n++] = reg(gpr(src, bits));
                break;
            }
            case Shape::X_X: op[n++] = xmm(); op[n++] = xmm(); break;
            case Shape::X_M: op[n++] = xmm(); op[n++] = mem(16); break;
            case Shape::X_X_I8:  // CMPPS: only predicates 0..7 exist without VEX (imm8[7:3] reserved)
                op[n++] = xmm();
                op[n++] = xmm();
                op[n++] = imm(f.mn == ZYDIS_MNEMONIC_CMPPS ? rng_.below(8) : rng_.below(256));
                break;
            case Shape::R32_X: op[n++] = reg(gpr(pick_gpr(), 32)); op[n++] = xmm(); break;
            case Shape::X_R: op[n++] = xmm(); op[n++] = reg(gpr(pick_gpr(), 64)); break;
            case Shape::R_X_I8:  // PEXTRx/EXTRACTPS: a GPR of the element's width (32 or 64) from an xmm
                op[n++] = reg(gpr(pick_gpr(), bits)), op[n++] = xmm(), op[n++] = imm(rng_.below(256));
                break;
            case Shape::X_R_I8:
                op[n++] = xmm(), op[n++] = reg(gpr(pick_gpr(), bits)), op[n++] = imm(rng_.below(256));
                break;
            case Shape::NONE: break;
            case Shape::FPU: break;
            case Shape::ST0_STI: op[n++] = st(0); op[n++] = st(static_cast<unsigned>(rng_.below(8))); break;
            case Shape::STI_ST0: op[n++] = st(static_cast<unsigned>(rng_.below(8))); op[n++] = st(0); break;
            case Shape::STI: op[n++] = st(static_cast<unsigned>(rng_.below(8))); break;
            case Shape::FM: {
                int b;
                do b = 8 << rng_.below(4);
                while (!(f.widths & (b / 8)));
                op[n++] = mem(b / 8);
                break;
            }
            case Shape::MM_MM: op[n++] = mm(); op[n++] = mm(); break;
            case Shape::MM_M: op[n++] = mm(); op[n++] = mem(8); break;
            case Shape::MM_R: op[n++] = mm(); op[n++] = reg(gpr(pick_gpr(), bits)); break;
            case Shape::R_MM: op[n++] = reg(gpr(pick_gpr(), bits)); op[n++] = mm(); break;
            case Shape::MM_I8: op[n++] = mm(); op[n++] = imm(rng_.below(70)); break;
            case Shape::MM_MM_I8: op[n++] = mm(); op[n++] = mm(); op[n++] = imm(rng_.below(256)); break;
        }
        // X_M forms need 16-byte alignment for the packed integer ones.
        if (f.shape == Shape::X_M) op[1].mem.displacement &= ~0xfll;
        if (f.mn == ZYDIS_MNEMONIC_PCMPESTRM) op[n++] = imm(rng_.below(128));
        req.operand_count = static_cast<ZyanU8>(n);
        u8 buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
        ZyanUSize len = sizeof buf;
        if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, buf, &len))) return 0;  // e.g. AH with REX
        // Never a vendor-split behaviour unmasked: the hazards allowed are
        // BSF/BSR behind its guard (the source is non-zero), the x87 splits
        // that need an unmasked exception (FCW masks them all here), and
        // FCOMI's C1 (then not compared).
        const char* hazard = vendor_split_hazard_of(buf, len);
        const std::string_view h = hazard ? hazard : "";
        const bool allowed = (f.shape == Shape::RR_NZ && h == "bsf-bsr-zero-source") ||
                             h == "x87-compare-unmasked-ia" || h == "x87-load-denormal-unmasked" || h == "x87-fcomi-c1";
        if (hazard && !allowed) return 0;
        if (c.bytes.size() + guard.size() + len + 16 > kCodeSize) return 0;
        c.bytes.insert(c.bytes.end(), guard.begin(), guard.end());
        c.bytes.insert(c.bytes.end(), buf, buf + len);
        maybe_undef_ = (maybe_undef_ & ~writes) | undef;
        const bool x87 = f.shape == Shape::ST0_STI || f.shape == Shape::STI_ST0 || f.shape == Shape::STI ||
                         f.shape == Shape::FM || f.shape == Shape::FPU;
        if (x87) c.fsw_undef |= kFswC0 | kFswC2 | kFswC3;
        if (h == "x87-fcomi-c1") c.fsw_undef |= kFswC1;
        return guard.empty() ? 1 : 2;
    }

    static const char* vendor_split_hazard_of(const u8* bytes, ZyanUSize len) {
        ZydisDecoder dec;
        ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        ZydisDecodedInstruction zi;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, len, &zi, ops))) return "undecodable";
        return vendor_split_hazard(zi, ops);
    }

    void init_state(Case& c) {
        for (int i = 0; i < 16; ++i) c.init.gpr[i] = interesting(64);
        c.init.gpr[RSP] = kDefaultRsp;
        c.init.gpr[kDataPointer] = kPointerValue;
        c.init.rflags = kFixedFlags | (rng_.next() & kSettableFlags);
        // Random rounding mode, FTZ and DAZ; every exception masked.
        c.init.mxcsr = 0x1f80 | static_cast<u32>(rng_.below(4) << 13) | (rng_.below(2) ? 0x8000u : 0) | (rng_.below(2) ? 0x40u : 0);
        for (auto& x : c.init.xmm)
            for (int lane = 0; lane < 4; ++lane) {
                u32 v;
                switch (rng_.below(4)) {
                    case 0: v = static_cast<u32>(rng_.next()); break;  // anything (often NaN/huge)
                    case 1: v = static_cast<u32>(interesting(32)); break;
                    default:  // a float of moderate magnitude
                        v = static_cast<u32>((rng_.next() & 1) << 31 | (107 + rng_.below(40)) << 23 | (rng_.next() & 0x7fffff));
                }
                std::memcpy(x + 4 * lane, &v, 4);
            }
        // x87: every exception masked, random precision and rounding, a
        // random stack (TOP, tags) of values of every class.
        c.init.fcw = static_cast<u16>(0x007f | (rng_.below(4) << 10) | (rng_.below(2) ? 0x300 : rng_.below(2) ? 0x200 : 0));
        c.init.ftw = static_cast<u8>(rng_.next());
        c.init.fsw = static_cast<u16>(rng_.below(8) << 11);
        for (auto& r : c.init.st) r = x87_value();
        MemBytes data{kPointerValue, std::vector<u8>(kMemSpan + 16)};
        for (auto& b : data.bytes) b = static_cast<u8>(rng_.next());
        c.mem_init.push_back(data);
        MemBytes stack{kDefaultRsp - 0x100, std::vector<u8>(0x200)};
        for (auto& b : stack.bytes) b = static_cast<u8>(rng_.next());
        c.mem_init.push_back(stack);
    }

    // 80-bit register images: mostly normal values of moderate magnitude,
    // also zeros, denormals, infinities, NaNs and unsupported encodings.
    X87Value x87_value() {
        const u64 sig = rng_.next();
        const u16 sign = rng_.below(2) ? 0x8000 : 0;
        switch (rng_.below(10)) {
            case 0: return X87Value{0, sign};
            case 1: return X87Value{sig & ~(1ull << 63), sign};                        // denormal
            case 2: return X87Value{1ull << 63, static_cast<u16>(sign | 0x7fff)};       // infinity
            case 3: return X87Value{sig | (1ull << 63), static_cast<u16>(sign | 0x7fff)};  // NaN
            case 4: return X87Value{sig, static_cast<u16>(rng_.next())};                // anything
            default:
                return X87Value{sig | (1ull << 63), static_cast<u16>(sign | (0x3fff - 40 + rng_.below(80)))};
        }
    }

    u64 interesting(int bits) {
        const u64 m = bits == 64 ? ~0ull : (1ull << bits) - 1;
        switch (rng_.below(6)) {
            case 0: return rng_.below(16);
            case 1: return (~0ull - rng_.below(4)) & m;
            case 2: return (1ull << rng_.below(static_cast<u64>(bits))) & m;
            default: return rng_.next() & m;
        }
    }

    Rng rng_;
    u64 maybe_undef_ = 0;
    long pushes_ = 0;
};

}  // namespace

Case make_random_sequence(u64 seed, int length) { return Builder(seed).build(length); }

}  // namespace insn

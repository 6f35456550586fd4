// Vendor rules for insn-gen (spec key `vendor`); each names the source of
// both vendors' values. docs/vendor-differences.md lists them all.
#include "tests/insn/gen/vendor_rules.h"

#include <stdexcept>
#include <string>

namespace insn::gen {

namespace {

u64 window_base_of(u64 addr) { return addr >= kStackBase && addr < kStackTop ? kStackBase : kDataBase; }

// Final image of the window holding `addr` after outcome `o`.
std::vector<u8> final_window(const Case& c, const Outcome& o, u64 base) {
    auto img = initial_window(c, base);
    for (const auto& m : o.mem_changes)
        for (size_t i = 0; i < m.bytes.size(); ++i)
            if (m.addr + i >= base && m.addr + i < base + img.size()) img[m.addr + i - base] = m.bytes[i];
    return img;
}

// `o` with the final bytes at [addr, addr+bytes.size()) replaced.
void set_final_bytes(const Case& c, Outcome& o, u64 addr, const std::vector<u8>& bytes) {
    std::vector<MemBytes> changes;
    for (u64 base : {kDataBase, kStackBase}) {
        auto img = final_window(c, o, base);
        if (base == window_base_of(addr))
            for (size_t i = 0; i < bytes.size(); ++i) img[addr + i - base] = bytes[i];
        append_memory_changes(base, initial_window(c, base), img, changes);
    }
    o.mem_changes = changes;
}

int gpr_by_name(const std::string& name) {
    for (int i = 0; i < 16; ++i)
        if (name == kGprNames[i]) return i;
    throw std::runtime_error("vendor rule: unknown register '" + name + "'");
}

// vendor mem OFFSET intel B.. amd B..: fixed bytes at the first memory operand.
Outcome mem_bytes(const VendorRule& r, const PendingCase& pc, Outcome o, Vendor v) {
    if (o.exception) return o;
    set_final_bytes(pc.c, o, pc.mem_operand + r.offset, v == Vendor::Intel ? r.intel : r.amd);
    return o;
}

// @a32-rep-count0 REG...: a REP string instruction with a 32-bit address
// size (0x67) in 64-bit mode and ECX = 0 runs no iteration. Intel hardware
// still writes REG... as 32-bit registers (upper halves cleared: the issue's
// Intel Xeon report, string.txt a32_rep_movs*/stos* .0); AMD leaves them as
// they were (recorded on this AMD EPYC; the SDM's REP pseudo-code writes
// nothing when the count is 0).
Outcome a32_rep_count0(const VendorRule& r, const PendingCase& pc, Outcome o, Vendor v) {
    if (o.exception || static_cast<u32>(pc.c.init.gpr[RCX]) != 0) return o;
    for (const auto& name : r.args) {
        const int g = gpr_by_name(name);
        const u64 before = pc.c.init.gpr[g];
        o.state.gpr[g] = v == Vendor::Intel ? static_cast<u32>(before) : before;
    }
    return o;
}

// @bsf-zero: BSF/BSR with a zero source (ZF = 1; the SDM leaves the
// destination undefined). With a 32-bit operand size Intel hardware writes
// the destination's low half back, clearing the upper half (Linux,
// arch/x86/include/asm/bitops.h, quoting Intel's CPU architects); AMD
// documents it as unchanged (APM Vol. 3 BSF/BSR). With a 64-bit operand size
// both leave it unchanged (same sources). 16-bit stays undefined (@bsf).
Outcome bsf_zero(const VendorRule&, const PendingCase& pc, Outcome o, Vendor v) {
    const u64 mask = pc.width >= 64 ? ~0ull : (1ull << pc.width) - 1;
    if (o.exception || pc.dest_reg < 0 || (pc.source & mask) != 0 || pc.width != 32) return o;
    const u64 before = pc.c.init.gpr[pc.dest_reg];
    o.state.gpr[pc.dest_reg] = v == Vendor::Intel ? static_cast<u32>(before) : before;
    return o;
}

// @push-sreg: PUSH FS/GS with a 64-bit operand size. Intel: "all recent Core
// and Atom processors perform a 16-bit move, leaving the upper portion of
// the stack location unmodified" (SDM Vol. 2 PUSH); AMD writes the
// zero-extended selector (recorded on this AMD EPYC; APM Vol. 3 PUSH).
Outcome push_sreg(const VendorRule&, const PendingCase& pc, Outcome o, Vendor v) {
    const u64 slot = o.state.gpr[RSP], size = pc.c.init.gpr[RSP] - slot;
    if (o.exception || size <= 2) return o;
    const auto before = initial_window(pc.c, kStackBase), after = final_window(pc.c, o, kStackBase);
    std::vector<u8> bytes(after.begin() + static_cast<long>(slot - kStackBase),
                          after.begin() + static_cast<long>(slot - kStackBase + size));
    for (size_t i = 2; i < size; ++i) bytes[i] = v == Vendor::Intel ? before[slot - kStackBase + i] : 0;
    set_final_bytes(pc.c, o, slot, bytes);
    return o;
}

// The value of a denormal single (frac_bits 23) or double (52) widened to
// the x87 register format: exact, normalized.
X87Value widen_denormal(u64 bits, unsigned frac_bits, unsigned bias) {
    const bool sign = bits >> (frac_bits + (frac_bits == 23 ? 8 : 11));
    u64 sig = (bits & ((1ull << frac_bits) - 1)) << (63 - frac_bits);
    int exp = 16383 - static_cast<int>(bias) + 1;
    while (!(sig >> 63)) sig <<= 1, --exp;
    return X87Value{sig, static_cast<u16>((sign ? 0x8000 : 0) | exp)};
}

// @x87-load-denormal: FLD m32fp/m64fp of a denormal with #D unmasked (and
// room on the stack). The SDM: "the top-of-stack pointer (TOP) and source
// operands remain unchanged" for an unmasked #D (Vol. 1 §8.5.2), so Intel
// pushes nothing (Bochs, which models Intel's x87, agrees); this AMD EPYC
// pushes the value and sets DE and ES. Both set DE, ES and B and clear C1
// (as this CPU does when an unmasked #IA keeps an SNaN from being loaded).
Outcome x87_load_denormal(const VendorRule&, const PendingCase& pc, Outcome o, Vendor v) {
    const Case& c = pc.c;
    const State& in = c.init;
    // FLD m32fp is D9 /0, FLD m64fp DD /0 (after any prefixes).
    u8 opcode = 0;
    for (u8 b : c.bytes)
        if (b >= 0xd8 && b <= 0xdf) {
            opcode = b;
            break;
        }
    const bool dbl = opcode == 0xdd;
    const unsigned top = fsw_top(in.fsw);
    const bool full = (in.ftw >> ((top + 7) & 7)) & 1;
    if (o.exception || (in.fcw & 2) || full) return o;
    u64 bits = 0;
    for (const auto& m : c.mem_init)
        for (size_t i = 0; i < m.bytes.size(); ++i)
            if (m.addr + i >= pc.mem_operand && m.addr + i < pc.mem_operand + (dbl ? 8 : 4))
                bits |= static_cast<u64>(m.bytes[i]) << (8 * (m.addr + i - pc.mem_operand));
    const bool denormal = dbl ? ((bits >> 52) & 0x7ff) == 0 && (bits & ((1ull << 52) - 1))
                              : ((bits >> 23) & 0xff) == 0 && (bits & ((1ull << 23) - 1));
    if (!denormal) return o;
    State& s = o.state;
    s.fcw = in.fcw;
    s.fsw = static_cast<u16>((in.fsw | 0x02 | 0x80 | 0x8000) & ~kFswC1);
    s.ftw = in.ftw;
    for (int k = 0; k < 8; ++k) s.st[k] = in.st[k];
    if (v == Vendor::Amd) {
        const unsigned t = (top + 7) & 7;
        s.fsw = static_cast<u16>((s.fsw & ~0x3800) | t << 11);
        s.ftw = static_cast<u8>(in.ftw | 1u << t);
        for (int k = 7; k > 0; --k) s.st[k] = in.st[k - 1];
        s.st[0] = dbl ? widen_denormal(bits, 52, 1023) : widen_denormal(bits, 23, 127);
    }
    return o;
}

// @x87-compare-ia: FCOM/FUCOM/FCOMI/FUCOMI and their popping forms when an
// unmasked #IA is raised (NaN operands). The SDM: the condition codes (and
// ZF, PF, CF) "are set only if the exception is masked" (Vol. 2 FCOM, FUCOM,
// FCOMI; FCOMI clears OF, SF and AF regardless); this AMD EPYC sets them to
// unordered. Neither vendor pops.
Outcome x87_compare_ia(const VendorRule&, const PendingCase& pc, Outcome o, Vendor v) {
    const State& in = pc.c.init;
    if (o.exception || (in.fcw & 1) || !(o.state.fsw & 1) || (in.fsw & 1)) return o;
    u8 opcode = 0, modrm = 0;
    for (size_t i = 0; i + 1 < pc.c.bytes.size(); ++i)
        if (pc.c.bytes[i] >= 0xd8 && pc.c.bytes[i] <= 0xdf) {
            opcode = pc.c.bytes[i], modrm = pc.c.bytes[i + 1];
            break;
        }
    const bool eflags = (opcode == 0xdb || opcode == 0xdf) && modrm >= 0xe8 && modrm <= 0xf7;
    if (eflags) {
        const u64 zpc = ZF | PF | CF;
        const u64 keep = o.state.rflags & ~(zpc | OF | SF | AF);
        o.state.rflags = keep | (v == Vendor::Intel ? in.rflags & zpc : zpc);
    } else {
        const u16 codes = kFswC0 | kFswC2 | kFswC3;
        o.state.fsw = static_cast<u16>((o.state.fsw & ~codes) | (v == Vendor::Intel ? in.fsw & codes : codes));
    }
    return o;
}

// @x87-fcomi-c1: FCOMI/FCOMIP/FUCOMI/FUCOMIP. The SDM (Vol. 2 FCOMI, "FPU
// Flags Affected") sets C1 to 0; this AMD EPYC leaves C1 as it was unless
// a stack underflow clears it.
Outcome x87_fcomi_c1(const VendorRule&, const PendingCase& pc, Outcome o, Vendor v) {
    if (o.exception) return o;
    const State& in = pc.c.init;
    u8 modrm = 0;
    for (size_t i = 0; i + 1 < pc.c.bytes.size(); ++i)
        if (pc.c.bytes[i] == 0xdb || pc.c.bytes[i] == 0xdf) {
            modrm = pc.c.bytes[i + 1];
            break;
        }
    const unsigned top = fsw_top(in.fsw);
    auto empty = [&](unsigned k) { return !((in.ftw >> ((top + k) & 7)) & 1); };
    const bool underflow = empty(0) || empty(modrm & 7u);
    const u16 c1 = v == Vendor::Intel || underflow ? 0 : static_cast<u16>(in.fsw & kFswC1);
    o.state.fsw = static_cast<u16>((o.state.fsw & ~kFswC1) | c1);
    return o;
}

}  // namespace

Outcome outcome_for_vendor(const VendorRule& rule, const PendingCase& pc, const Outcome& recorded, Vendor v) {
    if (rule.rule == "mem") return mem_bytes(rule, pc, recorded, v);
    if (rule.rule == "@a32-rep-count0") return a32_rep_count0(rule, pc, recorded, v);
    if (rule.rule == "@bsf-zero") return bsf_zero(rule, pc, recorded, v);
    if (rule.rule == "@push-sreg") return push_sreg(rule, pc, recorded, v);
    if (rule.rule == "@x87-load-denormal") return x87_load_denormal(rule, pc, recorded, v);
    if (rule.rule == "@x87-compare-ia") return x87_compare_ia(rule, pc, recorded, v);
    if (rule.rule == "@x87-fcomi-c1") return x87_fcomi_c1(rule, pc, recorded, v);
    throw std::runtime_error("unknown vendor rule '" + rule.rule + "'");
}

VendorOutcome vendor_difference(const Case& c, const Outcome& base, const Outcome& other, Vendor v) {
    VendorOutcome d;
    d.vendor = v;
    for (int g = 0; g < 16; ++g)
        if (base.state.gpr[g] != other.state.gpr[g]) d.gprs.emplace_back(static_cast<u8>(g), other.state.gpr[g]);
    if (base.state.rflags != other.state.rflags) d.rflags = other.state.rflags;
    if (base.state.fsw != other.state.fsw) d.fsw = other.state.fsw;
    if (base.state.ftw != other.state.ftw) d.ftw = other.state.ftw;
    for (int k = 0; k < 8; ++k)
        if (!(base.state.st[k] == other.state.st[k])) d.st.emplace_back(static_cast<u8>(k), other.state.st[k]);
    for (u64 b : {kDataBase, kStackBase}) {
        const auto x = final_window(c, base, b), y = final_window(c, other, b);
        for (size_t i = 0; i < x.size();) {
            if (x[i] == y[i]) {
                ++i;
                continue;
            }
            MemBytes run{b + i, {}};
            while (i < x.size() && x[i] != y[i]) run.bytes.push_back(y[i++]);
            d.mem.push_back(std::move(run));
        }
    }
    return d;
}

}  // namespace insn::gen

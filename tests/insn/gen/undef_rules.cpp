// Undefined-result rules, from the "Flags Affected" sections of the Intel
// SDM Vol. 2 entries. Counts are masked to 5 bits (6 with REX.W) first.
#include "tests/insn/gen/undef_rules.h"

#include <stdexcept>

#include "tests/insn/flag_names.h"

namespace insn::gen {

namespace {

u64 masked(int width, u64 count) { return count & (width == 64 ? 63 : 31); }

// SAL/SHL/SHR: count 0 leaves flags alone; AF undefined for a nonzero count;
// OF defined only for 1-bit shifts; CF undefined for SHL/SHR when the count
// is >= the operand size.
UndefResult shift(int w, u64 c, bool is_sar) {
    const u64 m = masked(w, c);
    if (m == 0) return {};
    UndefResult r{AF | (m != 1 ? OF : 0)};
    if (!is_sar && m >= static_cast<u64>(w)) r.flags |= CF;
    return r;
}

// ROL/ROR/RCL/RCR: OF defined only when the masked count is 1 (SDM: "If the
// masked count is 0, the flags are not affected... otherwise OF is undefined").
UndefResult rotate(int w, u64 c) {
    const u64 m = masked(w, c);
    return {m > 1 ? OF : 0};
}

// SHLD/SHRD: count > operand size (only possible for 16-bit) leaves the
// destination and all flags undefined; otherwise AF undefined and OF
// undefined unless the count is 1.
UndefResult double_shift(int w, u64 c) {
    const u64 m = masked(w, c);
    if (m == 0) return {};
    if (m > static_cast<u64>(w)) return {kStatusFlags, true};
    return {AF | (m != 1 ? OF : 0)};
}

// BSF/BSR: CF OF SF AF PF undefined. A zero source leaves the destination
// undefined in the SDM; for 32- and 64-bit operands what Intel and AMD
// hardware do is known and recorded instead (vendor rule @bsf-zero), so
// only the 16-bit destination stays unchecked.
UndefResult bit_scan(int w, u64 source) {
    const u64 mask = w >= 64 ? ~0ull : (1ull << w) - 1;
    return {CF | OF | SF | AF | PF, (source & mask) == 0 && w == 16};
}

}  // namespace

UndefResult undef_for(const std::string& spec, int width, u64 count, u64 source) {
    if (spec.empty()) return {};
    if (spec == "@shift") return shift(width, count, false);
    if (spec == "@sar") return shift(width, count, true);
    if (spec == "@rotate") return rotate(width, count);
    if (spec == "@shld") return double_shift(width, count);
    if (spec == "@bsf") return bit_scan(width, source);
    if (spec == "@bswap") return {0, width == 16};  // SDM: BSWAP of a 16-bit register is undefined
    if (spec[0] == '@') throw std::runtime_error("unknown undef rule '" + spec + "'");
    auto mask = flags_from_names(spec);
    if (!mask) throw std::runtime_error("bad undef flag list '" + spec + "'");
    return {*mask};
}

}  // namespace insn::gen

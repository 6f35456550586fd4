// diff_outcomes: the comparison used by every harness (native check,
// interpreter, JIT), so all of them honour the undefined masks the same way.
#include "tests/insn/outcome_diff.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "tests/insn/case_io.h"
#include "tests/insn/flag_names.h"

namespace insn {

namespace {

std::string xmm_hex(const u8 (&b)[16]) {
    std::string s;
    char buf[4];
    for (int i = 15; i >= 0; --i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        s += buf;
    }
    return s;
}

bool approx_lane_equal(u32 e_bits, u32 a_bits) {
    if (e_bits == a_bits) return true;
    float e, a;
    std::memcpy(&e, &e_bits, 4);
    std::memcpy(&a, &a_bits, 4);
    // Zero, infinity and NaN results are exact in the SDM's tables.
    if (!std::isfinite(e) || !std::isfinite(a) || e == 0 || a == 0) return false;
    if (std::signbit(e) != std::signbit(a)) return false;
    return std::fabs(static_cast<double>(a) - e) <= kApproxRelTolerance * std::fabs(static_cast<double>(e));
}

bool xmm_equal(const Case& c, const u8 (&e)[16], const u8 (&a)[16]) {
    if (!c.approx) return std::memcmp(e, a, 16) == 0;
    for (int lane = 0; lane < 4; ++lane) {
        u32 eb, ab;
        std::memcpy(&eb, e + 4 * lane, 4);
        std::memcpy(&ab, a + 4 * lane, 4);
        if (!approx_lane_equal(eb, ab)) return false;
    }
    return true;
}

// Distance in ulps of two x87 values of one sign and class (finite, or the
// same special value); ~0 when they cannot be compared by distance.
unsigned __int128 x87_key(const X87Value& v) {
    const unsigned e = v.se & 0x7fff;
    return (static_cast<unsigned __int128>(e) << 63) | (e ? v.sig & ~(1ull << 63) : v.sig);
}
bool x87_close(const X87Value& e, const X87Value& a) {
    if (e == a) return true;
    if ((e.se ^ a.se) & 0x8000) return false;
    const unsigned ee = e.se & 0x7fff, ae = a.se & 0x7fff;
    if (ee == 0x7fff || ae == 0x7fff) return false;  // infinities and NaNs are exact
    const unsigned __int128 ke = x87_key(e), ka = x87_key(a);
    return (ke > ka ? ke - ka : ka - ke) <= kApproxX87Ulps;
}

std::string x87_text(const X87Value& v) {
    char b[32];
    std::snprintf(b, sizeof b, "%04x_%016llx", v.se, static_cast<unsigned long long>(v.sig));
    return b;
}

std::map<u64, u8> compared_bytes(const Case& c, const std::vector<MemBytes>& runs) {
    std::map<u64, u8> m;
    for (const auto& r : runs)
        for (size_t i = 0; i < r.bytes.size(); ++i) {
            const u64 a = r.addr + i;
            bool undef = false;
            for (const auto& u : c.mem_undef) undef |= a >= u.addr && a < u.addr + u.bytes.size();
            if (!undef) m[a] = r.bytes[i];
        }
    return m;
}

}  // namespace

std::string diff_outcomes(const Case& c, const Outcome& expected, const Outcome& actual) {
    std::string d;
    auto line = [&](const std::string& s) { d += s + "\n"; };

    if (expected.exception.has_value() != actual.exception.has_value()) {
        auto desc = [](const Outcome& o) {
            if (!o.exception) return std::string("no exception");
            const char* n = vector_name(o.exception->vector);
            return "#" + std::string(n ? n : std::to_string(o.exception->vector)) + " at " + hex(o.exception->rip);
        };
        line("exception: expected " + desc(expected) + ", got " + desc(actual));
    } else if (expected.exception) {
        const auto &e = *expected.exception, &a = *actual.exception;
        if (e.vector != a.vector) line("exception vector: expected " + std::to_string(e.vector) + ", got " + std::to_string(a.vector));
        if (e.error_code != a.error_code) line("error code: expected " + hex(e.error_code) + ", got " + hex(a.error_code));
        if (e.rip != a.rip) line("exception rip: expected " + hex(e.rip) + ", got " + hex(a.rip));
        if (e.vector == PF_ && e.cr2 != a.cr2) line("cr2: expected " + hex(e.cr2) + ", got " + hex(a.cr2));
    }

    const State &es = expected.state, &as = actual.state;
    for (int i = 0; i < 16; ++i)
        if (!(c.gpr_undef & (1u << i)) && es.gpr[i] != as.gpr[i])
            line(std::string(kGprNames[i]) + ": expected " + hex(es.gpr[i]) + ", got " + hex(as.gpr[i]));
    if (es.rip != as.rip) line("rip: expected " + hex(es.rip) + ", got " + hex(as.rip));
    const u64 flag_diff = (es.rflags ^ as.rflags) & ~c.flags_undef;
    if (flag_diff)
        line("rflags: expected " + hex(es.rflags) + ", got " + hex(as.rflags) + " (differ in " + flags_to_names(flag_diff) + ")");
    for (int i = 0; i < 16; ++i)
        if (!xmm_equal(c, es.xmm[i], as.xmm[i]))
            line("xmm" + std::to_string(i) + ": expected " + xmm_hex(es.xmm[i]) + ", got " + xmm_hex(as.xmm[i]) +
                 (c.approx ? " (beyond approx tolerance)" : ""));
    if (es.mxcsr != as.mxcsr) line("mxcsr: expected " + hex(es.mxcsr) + ", got " + hex(as.mxcsr));
    if (es.fcw != as.fcw) line("fcw: expected " + hex(es.fcw) + ", got " + hex(as.fcw));
    const u16 fsw_mask = static_cast<u16>(~c.fsw_undef & ~(c.approx ? kFswC1 : 0));
    if ((es.fsw ^ as.fsw) & fsw_mask)
        line("fsw: expected " + hex(es.fsw) + ", got " + hex(as.fsw) + " (differ in " + hex((es.fsw ^ as.fsw) & fsw_mask) + ")");
    if (es.ftw != as.ftw) line("ftw: expected " + hex(es.ftw) + ", got " + hex(as.ftw));
    for (int i = 0; i < 8; ++i)
        if (!(c.approx ? x87_close(es.st[i], as.st[i]) : es.st[i] == as.st[i]))
            line("st" + std::to_string(i) + ": expected " + x87_text(es.st[i]) + ", got " + x87_text(as.st[i]) +
                 (c.approx ? " (beyond approx tolerance)" : ""));

    const auto em = compared_bytes(c, expected.mem_changes), am = compared_bytes(c, actual.mem_changes);
    if (em != am) {
        int shown = 0;
        auto initial_byte = [&](u64 a) {
            u8 v = 0;
            for (const auto& r : c.mem_init)
                if (a >= r.addr && a < r.addr + r.bytes.size()) v = r.bytes[a - r.addr];
            return v;
        };
        std::map<u64, bool> addrs;
        for (auto& [a, v] : em) addrs[a] = true;
        for (auto& [a, v] : am) addrs[a] = true;
        for (auto& [a, unused] : addrs) {
            auto ei = em.find(a), ai = am.find(a);
            const u8 ev = ei != em.end() ? ei->second : initial_byte(a);
            const u8 av = ai != am.end() ? ai->second : initial_byte(a);
            if (ev == av) continue;
            if (shown++ < 8) line("mem " + hex(a) + ": expected " + hex(ev) + ", got " + hex(av));
        }
        if (shown > 8) line("... " + std::to_string(shown - 8) + " more differing bytes");
    }
    return d;
}

}  // namespace insn

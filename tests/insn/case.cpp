// Helpers on the case data model: window images and memory change lists.
#include "tests/insn/case.h"

#include <cstring>
#include <map>

namespace insn {

namespace {
struct VectorName {
    u8 vector;
    const char* name;
};
constexpr VectorName kVectorNames[] = {{DE, "DE"}, {DB, "DB"}, {BP, "BP"}, {UD, "UD"}, {NM, "NM"},
                                       {SS, "SS"}, {GP, "GP"}, {PF_, "PF"}, {MF, "MF"}, {AC, "AC"}, {XM, "XM"}};
}  // namespace

const char* vector_name(u8 vector) {
    for (const auto& v : kVectorNames)
        if (v.vector == vector) return v.name;
    return nullptr;
}

std::optional<u8> vector_from_name(std::string_view name) {
    for (const auto& v : kVectorNames)
        if (name == v.name) return v.vector;
    return std::nullopt;
}

bool in_windows(u64 addr, u64 size) {
    auto inside = [&](u64 base, u64 len) { return addr >= base && addr + size <= base + len && addr + size >= addr; };
    return inside(kDataBase, kDataSize) || inside(kStackBase, kStackSize);
}

std::vector<u8> initial_window(const Case& c, u64 window_base) {
    const u64 size = window_base == kStackBase ? kStackSize : kDataSize;
    std::vector<u8> image(size, 0);
    for (const auto& m : c.mem_init)
        for (size_t i = 0; i < m.bytes.size(); ++i) {
            const u64 a = m.addr + i;
            if (a >= window_base && a < window_base + size) image[a - window_base] = m.bytes[i];
        }
    return image;
}

void append_memory_changes(u64 base, std::span<const u8> before, std::span<const u8> after,
                           std::vector<MemBytes>& out) {
    const size_t n = std::min(before.size(), after.size());
    for (size_t i = 0; i < n;) {
        if (before[i] == after[i]) {
            ++i;
            continue;
        }
        MemBytes run{base + i, {}};
        while (i < n && before[i] != after[i]) run.bytes.push_back(after[i++]);
        out.push_back(std::move(run));
    }
}

void fxsave_image(const State& s, u8* img) {
    std::memset(img, 0, 512);
    std::memcpy(img + 0, &s.fcw, 2);
    std::memcpy(img + 2, &s.fsw, 2);
    img[4] = s.ftw;
    std::memcpy(img + 24, &s.mxcsr, 4);
    for (int k = 0; k < 8; ++k) {
        std::memcpy(img + 32 + 16 * k, &s.st[k].sig, 8);
        std::memcpy(img + 40 + 16 * k, &s.st[k].se, 2);
    }
    std::memcpy(img + 160, s.xmm, sizeof s.xmm);
}

void state_from_fxsave(const u8* img, State& s) {
    std::memcpy(&s.fcw, img + 0, 2);
    std::memcpy(&s.fsw, img + 2, 2);
    s.ftw = img[4];
    std::memcpy(&s.mxcsr, img + 24, 4);
    for (int k = 0; k < 8; ++k) {
        std::memcpy(&s.st[k].sig, img + 32 + 16 * k, 8);
        std::memcpy(&s.st[k].se, img + 40 + 16 * k, 2);
    }
    std::memcpy(s.xmm, img + 160, sizeof s.xmm);
}

const char* vendor_name(Vendor v) { return v == Vendor::Intel ? "intel" : "amd"; }

Outcome native_expectation(const Case& c, Vendor vendor) {
    Outcome o = c.expected;
    const VendorOutcome* vo = nullptr;
    for (const auto& d : c.vendor_outcomes)
        if (d.vendor == vendor) vo = &d;
    if (!vo) return o;
    for (auto [g, v] : vo->gprs) o.state.gpr[g] = v;
    if (vo->rflags) o.state.rflags = *vo->rflags;
    if (vo->fsw) o.state.fsw = *vo->fsw;
    if (vo->ftw) o.state.ftw = *vo->ftw;
    for (const auto& [k, v] : vo->st) o.state.st[k] = v;
    if (vo->mem.empty()) return o;
    // Rebuild the canonical change list with the vendor's bytes overlaid.
    std::map<u64, u8> final_bytes;
    for (const auto& m : o.mem_changes)
        for (size_t i = 0; i < m.bytes.size(); ++i) final_bytes[m.addr + i] = m.bytes[i];
    for (const auto& m : vo->mem)
        for (size_t i = 0; i < m.bytes.size(); ++i) final_bytes[m.addr + i] = m.bytes[i];
    o.mem_changes.clear();
    for (u64 base : {kDataBase, kStackBase}) {
        const auto before = initial_window(c, base);
        auto after = before;
        for (auto [a, v] : final_bytes)
            if (a >= base && a < base + after.size()) after[a - base] = v;
        append_memory_changes(base, before, after, o.mem_changes);
    }
    return o;
}

}  // namespace insn

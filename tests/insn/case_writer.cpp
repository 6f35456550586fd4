// Writes cases in the text format of docs/instruction-test-format.md. Only values that
// differ from the defaults (inputs) or from the initial state (outputs) are
// written, so a case shows what the instruction is about.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/insn/case_io.h"
#include "tests/insn/flag_names.h"

namespace insn {

std::string hex(u64 v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

namespace {

// 128-bit value, most significant dword first, dwords separated by '_'.
std::string xmm_text(const u8 (&b)[16]) {
    std::string s;
    char buf[4];
    for (int i = 15; i >= 0; --i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        s += buf;
        if (i % 4 == 0 && i != 0) s += '_';
    }
    return s;
}

std::string rip_text(u64 rip) {
    if (rip >= kCodeBase && rip < kCodeBase + kCodeSize) return "+" + std::to_string(rip - kCodeBase);
    return hex(rip);
}

std::string bytes_text(const std::vector<u8>& bytes, size_t from, size_t n) {
    std::string s;
    char buf[4];
    for (size_t i = from; i < from + n; ++i) {
        std::snprintf(buf, sizeof buf, i == from ? "%02x" : " %02x", bytes[i]);
        s += buf;
    }
    return s;
}

// Emits "key a=b c=d ..." lines with at most `per_line` items.
void emit_items(std::string& out, const char* key, const std::vector<std::string>& items, size_t per_line) {
    for (size_t i = 0; i < items.size(); i += per_line) {
        out += "  ";
        out += key;
        for (size_t j = i; j < std::min(items.size(), i + per_line); ++j) out += " " + items[j];
        out += '\n';
    }
}

void emit_mem(std::string& out, const char* key, const std::vector<MemBytes>& runs) {
    for (const auto& m : runs)
        for (size_t i = 0; i < m.bytes.size(); i += 16)
            out += std::string("  ") + key + " " + hex(m.addr + i) + ": " +
                   bytes_text(m.bytes, i, std::min<size_t>(16, m.bytes.size() - i)) + "\n";
}

// Register items of `s` that differ from `base`. rip/rflags are forced when
// `always_rip_flags` (outputs), since they are what a reader looks at first.
std::vector<std::string> state_items(const State& s, const State& base, bool always_rip_flags) {
    std::vector<std::string> items;
    for (int i = 0; i < 16; ++i)
        if (s.gpr[i] != base.gpr[i]) items.push_back(std::string(kGprNames[i]) + "=" + hex(s.gpr[i]));
    if (always_rip_flags) items.push_back("rip=" + rip_text(s.rip));
    if (always_rip_flags || s.rflags != base.rflags) items.push_back("rflags=" + hex(s.rflags));
    if (s.mxcsr != base.mxcsr) items.push_back("mxcsr=" + hex(s.mxcsr));
    if (s.fcw != base.fcw) items.push_back("fcw=" + hex(s.fcw));
    if (s.fsw != base.fsw) items.push_back("fsw=" + hex(s.fsw));
    if (s.ftw != base.ftw) items.push_back("ftw=" + hex(s.ftw));
    return items;
}

// x87 registers that differ from `base`: as mmN where the value reads as an
// MMX write (TOP = 0, exponent all ones), else as stN.
std::vector<std::string> x87_items(const State& s, const State& base) {
    std::vector<std::string> items;
    for (int i = 0; i < 8; ++i) {
        if (s.st[i] == base.st[i]) continue;
        char buf[48];
        if (fsw_top(s.fsw) == 0 && s.st[i].se == 0xffff)
            std::snprintf(buf, sizeof buf, "mm%d=0x%llx", i, static_cast<unsigned long long>(s.st[i].sig));
        else
            std::snprintf(buf, sizeof buf, "st%d=%04x_%016llx", i, s.st[i].se, static_cast<unsigned long long>(s.st[i].sig));
        items.push_back(buf);
    }
    return items;
}

std::vector<std::string> xmm_items(const State& s, const State& base) {
    std::vector<std::string> items;
    for (int i = 0; i < 16; ++i)
        if (!std::equal(s.xmm[i], s.xmm[i] + 16, base.xmm[i]))
            items.push_back("xmm" + std::to_string(i) + "=" + xmm_text(s.xmm[i]));
    return items;
}

}  // namespace

std::string format_case(const Case& c) {
    std::string out = "case " + c.name + "\n";
    if (!c.asm_text.empty()) out += "  asm " + c.asm_text + "\n";
    out += "  bytes " + bytes_text(c.bytes, 0, c.bytes.size()) + "\n";
    if (c.insn_count != 1) out += "  count " + std::to_string(c.insn_count) + "\n";
    if (c.flags_undef || c.gpr_undef || c.fsw_undef) {
        out += "  undef";
        if (c.flags_undef) out += " flags=" + flags_to_names(c.flags_undef);
        if (c.fsw_undef) out += " fsw=" + hex(c.fsw_undef);
        if (c.gpr_undef) {
            std::string regs;
            for (int i = 0; i < 16; ++i)
                if (c.gpr_undef & (1u << i)) regs += (regs.empty() ? "" : ",") + std::string(kGprNames[i]);
            out += " regs=" + regs;
        }
        out += '\n';
    }
    for (const auto& m : c.mem_undef) out += "  undef-mem " + hex(m.addr) + "+" + std::to_string(m.bytes.size()) + "\n";
    if (c.approx) out += "  approx\n";

    State defaults;
    defaults.gpr[RSP] = kDefaultRsp;
    emit_items(out, "in", state_items(c.init, defaults, false), 4);
    emit_items(out, "in", xmm_items(c.init, defaults), 2);
    emit_items(out, "in", x87_items(c.init, defaults), 3);
    emit_mem(out, "in-mem", c.mem_init);

    const Outcome& e = c.expected;
    emit_items(out, "out", state_items(e.state, c.init, true), 4);
    emit_items(out, "out", xmm_items(e.state, c.init), 2);
    emit_items(out, "out", x87_items(e.state, c.init), 3);
    emit_mem(out, "out-mem", e.mem_changes);
    if (e.exception) {
        const auto& x = *e.exception;
        const char* name = vector_name(x.vector);
        out += "  fault " + (name ? std::string(name) : std::to_string(x.vector)) + " error=" + hex(x.error_code) +
               " rip=" + rip_text(x.rip);
        if (x.vector == PF_) out += " cr2=" + hex(x.cr2);
        out += '\n';
    }
    for (const auto& d : c.vendor_outcomes) {
        const std::string key = std::string("native-") + vendor_name(d.vendor);
        std::vector<std::string> items;
        for (auto [g, v] : d.gprs) items.push_back(std::string(kGprNames[g]) + "=" + hex(v));
        if (d.rflags) items.push_back("rflags=" + hex(*d.rflags));
        if (d.fsw) items.push_back("fsw=" + hex(*d.fsw));
        if (d.ftw) items.push_back("ftw=" + hex(*d.ftw));
        for (const auto& [k, v] : d.st) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "st%d=%04x_%016llx", k, v.se, static_cast<unsigned long long>(v.sig));
            items.push_back(buf);
        }
        emit_items(out, key.c_str(), items, 4);
        emit_mem(out, (key + "-mem").c_str(), d.mem);
        if (!d.note.empty()) out += "  note " + d.note + "\n";
    }
    out += "end\n";
    return out;
}

std::string format_case_file(const std::vector<Case>& cases, std::string_view header_comment) {
    std::string out;
    size_t start = 0;
    while (start <= header_comment.size() && !header_comment.empty()) {
        size_t nl = header_comment.find('\n', start);
        if (nl == std::string_view::npos) nl = header_comment.size();
        out += "# " + std::string(header_comment.substr(start, nl - start)) + "\n";
        start = nl + 1;
    }
    for (const auto& c : cases) out += "\n" + format_case(c);
    return out;
}

std::vector<std::string> list_case_files(const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace insn

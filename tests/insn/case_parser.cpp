// Parses the case text format (docs/instruction-test-format.md). Every error names the
// file and line and says what was expected.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "tests/insn/case_io.h"
#include "tests/insn/flag_names.h"

namespace insn {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_words(std::string_view s) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
        if (j > i) words.push_back(s.substr(i, j - i));
        i = j;
    }
    return words;
}

class Parser {
public:
    Parser(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

    std::vector<Case> run() {
        std::vector<Case> cases;
        size_t pos = 0;
        while (pos <= text_.size()) {
            size_t nl = text_.find('\n', pos);
            if (nl == std::string_view::npos) nl = text_.size();
            ++line_;
            line_text(text_.substr(pos, nl - pos), cases);
            pos = nl + 1;
        }
        if (open_) fail(open_line_, "case '" + cur_.name + "' has no 'end'");
        return cases;
    }

private:
    [[noreturn]] void fail(int line, const std::string& msg) const {
        throw ParseError(file_ + ":" + std::to_string(line) + ": " + msg);
    }
    [[noreturn]] void fail(const std::string& msg) const { fail(line_, msg); }

    u64 number(std::string_view s, const char* what) const {
        const std::string_view original = s;
        int base = 10;
        if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            s.remove_prefix(2);
            base = 16;
        }
        u64 v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
        if (ec != std::errc() || p != s.data() + s.size() || s.empty())
            fail(std::string("bad ") + what + " '" + std::string(original) + "' (expected a number, hex with 0x)");
        return v;
    }

    std::vector<u8> hex_bytes(const std::vector<std::string_view>& words, size_t from) const {
        std::vector<u8> out;
        for (size_t i = from; i < words.size(); ++i) {
            if (words[i].size() != 2) fail("bad byte '" + std::string(words[i]) + "' (expected two hex digits)");
            u64 v = 0;
            auto [p, ec] = std::from_chars(words[i].data(), words[i].data() + 2, v, 16);
            if (ec != std::errc() || p != words[i].data() + 2) fail("bad byte '" + std::string(words[i]) + "'");
            out.push_back(static_cast<u8>(v));
        }
        return out;
    }

    void xmm_value(std::string_view s, u8 (&out)[16]) const {
        std::string digits;
        for (char ch : s)
            if (ch != '_') digits += ch;
        if (digits.size() != 32 || digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            fail("bad xmm value '" + std::string(s) + "' (expected 32 hex digits, most significant first)");
        for (int i = 0; i < 16; ++i) out[15 - i] = static_cast<u8>(std::stoul(digits.substr(2 * i, 2), nullptr, 16));
    }

    // "EEEE_SSSSSSSSSSSSSSSS": sign/exponent, then the 64-bit significand.
    X87Value x87_value(std::string_view s) const {
        std::string digits;
        for (char ch : s)
            if (ch != '_') digits += ch;
        if (digits.size() != 20 || digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            fail("bad x87 value '" + std::string(s) + "' (expected 4 hex digits of sign and exponent, '_', 16 of significand)");
        return X87Value{std::stoull(digits.substr(4), nullptr, 16), static_cast<u16>(std::stoul(digits.substr(0, 4), nullptr, 16))};
    }

    u64 rip_value(std::string_view s) const {
        if (!s.empty() && s[0] == '+') return kCodeBase + number(s.substr(1), "rip offset");
        return number(s, "rip");
    }

    static int gpr_index(std::string_view name) {
        for (int i = 0; i < 16; ++i)
            if (name == kGprNames[i]) return i;
        return -1;
    }

    // Applies "name=value" items to a state. `seen` catches duplicates.
    void assign(State& s, std::string_view item, bool is_output, std::vector<std::string>& seen) {
        size_t eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0)
            fail("expected name=value, got '" + std::string(item) + "'");
        std::string name(item.substr(0, eq));
        std::string_view value = item.substr(eq + 1);
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) fail("register '" + name + "' given twice");
        seen.push_back(name);
        if (int g = gpr_index(name); g >= 0) {
            s.gpr[g] = number(value, "register value");
        } else if (name == "rflags") {
            s.rflags = number(value, "rflags");
            if (!is_output && ((s.rflags & ~(kSettableFlags | kFixedFlags)) || (s.rflags & kFixedFlags) != kFixedFlags))
                fail("initial rflags may only set cf,pf,af,zf,sf,df,of (and must have 0x202 set)");
        } else if (name == "mxcsr") {
            s.mxcsr = static_cast<u32>(number(value, "mxcsr"));
        } else if (name == "fcw" || name == "fsw") {
            const u64 v = number(value, name.c_str());
            if (v > 0xffff) fail(name + " is 16 bits");
            (name == "fcw" ? s.fcw : s.fsw) = static_cast<u16>(v);
        } else if (name == "ftw") {
            const u64 v = number(value, "ftw");
            if (v > 0xff) fail("ftw is the abridged tag byte (8 bits, FXSAVE's)");
            s.ftw = static_cast<u8>(v);
        } else if ((name.rfind("st", 0) == 0 || name.rfind("mm", 0) == 0) && name.size() == 3 && name[2] >= '0' &&
                   name[2] <= '7') {
            const int n = name[2] - '0';
            if (name[0] == 's') {
                s.st[n] = x87_value(value);
            } else {
                s.st[n] = X87Value{number(value, "mm value"), 0xffff};  // an MMX write: exponent all ones
                (is_output ? out_mm_ : in_mm_) = true;
            }
        } else if (name == "rip") {
            if (!is_output) fail("initial rip is fixed at the code page start; 'rip' belongs on an 'out' line");
            s.rip = rip_value(value);
        } else if (name.rfind("xmm", 0) == 0 && name.size() > 3) {
            u64 n = number(std::string_view(name).substr(3), "xmm register number");
            if (n > 15) fail("no register " + name);
            xmm_value(value, s.xmm[n]);
        } else {
            fail("unknown register '" + name + "'");
        }
    }

    MemBytes mem_line(const std::vector<std::string_view>& w) const {
        if (w.size() < 3 || w[1].back() != ':') fail("expected '" + std::string(w[0]) + " 0xADDR: bytes...'");
        MemBytes m{number(w[1].substr(0, w[1].size() - 1), "address"), hex_bytes(w, 2)};
        if (!in_windows(m.addr, m.bytes.size()))
            fail("memory " + std::string(w[1]) + " is outside the data and stack windows");
        return m;
    }

    static void add_run(std::vector<MemBytes>& runs, MemBytes m) {
        if (!runs.empty() && runs.back().addr + runs.back().bytes.size() == m.addr)
            runs.back().bytes.insert(runs.back().bytes.end(), m.bytes.begin(), m.bytes.end());
        else
            runs.push_back(std::move(m));
    }

    void line_text(std::string_view raw, std::vector<Case>& cases) {
        if (size_t hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);
        std::string_view text = trim(raw);
        if (text.empty()) return;
        auto w = split_words(text);
        const std::string_view key = w[0];
        std::string_view rest = trim(text.substr(key.size()));

        if (key == "case") {
            if (open_) fail("'case' inside case '" + cur_.name + "' (missing 'end' before line " + std::to_string(line_) + ")");
            if (w.size() != 2) fail("expected 'case NAME' (one word)");
            start_case(std::string(w[1]));
            return;
        }
        if (!open_) fail("'" + std::string(key) + "' outside a case (expected 'case NAME')");

        if (key == "end") {
            finish_case(cases);
        } else if (key == "asm") {
            cur_.asm_text = std::string(rest);
        } else if (key == "bytes") {
            if (w.size() < 2) fail("'bytes' needs at least one byte");
            cur_.bytes = hex_bytes(w, 1);
            if (cur_.bytes.size() > kCodeSize - 64) fail("too many instruction bytes for the code page");
            have_bytes_ = true;
        } else if (key == "count") {
            if (w.size() != 2) fail("expected 'count N'");
            cur_.insn_count = static_cast<int>(number(w[1], "count"));
            if (cur_.insn_count < 1) fail("count must be at least 1");
        } else if (key == "undef") {
            for (size_t i = 1; i < w.size(); ++i) undef_item(w[i]);
        } else if (key == "undef-mem") {
            size_t plus = rest.find('+');
            if (plus == std::string_view::npos) fail("expected 'undef-mem 0xADDR+LEN'");
            MemBytes m{number(rest.substr(0, plus), "address"), {}};
            m.bytes.resize(number(rest.substr(plus + 1), "length"));
            if (!in_windows(m.addr, m.bytes.size())) fail("undef-mem range is outside the windows");
            cur_.mem_undef.push_back(std::move(m));
        } else if (key == "approx") {
            cur_.approx = true;
        } else if (key == "in") {
            if (w.size() < 2) fail("'in' needs name=value items");
            for (size_t i = 1; i < w.size(); ++i) assign(cur_.init, w[i], false, in_seen_);
        } else if (key == "out") {
            if (w.size() < 2) fail("'out' needs name=value items");
            for (size_t i = 1; i < w.size(); ++i) out_items_.emplace_back(line_, std::string(w[i]));
        } else if (key == "in-mem") {
            add_run(cur_.mem_init, mem_line(w));
        } else if (key == "out-mem") {
            add_run(cur_.expected.mem_changes, mem_line(w));
        } else if (key == "fault") {
            fault_line(w);
        } else if (auto v = vendor_keyword(key, "")) {
            if (w.size() < 2) fail("expected '" + std::string(key) + " REG=VALUE...'");
            VendorOutcome& d = vendor_block(*v);
            for (size_t i = 1; i < w.size(); ++i) {
                size_t eq = w[i].find('=');
                int g = eq == std::string_view::npos ? -1 : gpr_index(w[i].substr(0, eq));
                if (g < 0 && eq != std::string_view::npos && vendor_x87_item(d, w[i].substr(0, eq), w[i].substr(eq + 1)))
                    continue;
                if (g < 0)
                    fail("expected REG=VALUE with a general register, rflags or an x87 register (fsw, ftw, stN) after '" + std::string(key) +
                         "', got '" + std::string(w[i]) + "'");
                for (auto [r, val] : d.gprs)
                    if (r == g) fail("register '" + std::string(kGprNames[g]) + "' given twice for " + vendor_name(*v));
                d.gprs.emplace_back(static_cast<u8>(g), number(w[i].substr(eq + 1), "register value"));
            }
        } else if (auto vm = vendor_keyword(key, "-mem")) {
            add_run(vendor_block(*vm).mem, mem_line(w));
        } else if (key == "native" || key == "native-mem") {
            fail("'" + std::string(key) + "' names no vendor: use native-amd" + (key == "native" ? "" : "-mem") +
                 " or native-intel" + (key == "native" ? "" : "-mem"));
        } else if (key == "note") {
            if (last_vendor_ < 0) fail("'note' must follow a native-amd/native-intel line");
            auto& note = cur_.vendor_outcomes[static_cast<size_t>(last_vendor_)].note;
            note += (note.empty() ? "" : " ") + std::string(rest);
        } else {
            fail("unknown keyword '" + std::string(key) + "'");
        }
    }

    // "native-amd" / "native-intel" (+ suffix): the vendor, or nothing.
    static std::optional<Vendor> vendor_keyword(std::string_view key, std::string_view suffix) {
        for (Vendor v : {Vendor::Amd, Vendor::Intel})
            if (key == "native-" + std::string(vendor_name(v)) + std::string(suffix)) return v;
        return std::nullopt;
    }

    // fsw=, ftw= and stN= items of a native-* line; false for another name.
    bool vendor_x87_item(VendorOutcome& d, std::string_view name, std::string_view value) {
        if (name == "rflags") {
            d.rflags = number(value, "rflags");
        } else if (name == "fsw") {
            d.fsw = static_cast<u16>(number(value, "fsw"));
        } else if (name == "ftw") {
            d.ftw = static_cast<u8>(number(value, "ftw"));
        } else if (name.size() == 3 && name.substr(0, 2) == "st" && name[2] >= '0' && name[2] <= '7') {
            d.st.emplace_back(static_cast<u8>(name[2] - '0'), x87_value(value));
        } else {
            return false;
        }
        return true;
    }

    // The case's block for a vendor (one per vendor); later 'note' lines attach to it.
    VendorOutcome& vendor_block(Vendor v) {
        auto& list = cur_.vendor_outcomes;
        size_t i = 0;
        while (i < list.size() && list[i].vendor != v) ++i;
        if (i == list.size()) list.push_back(VendorOutcome{v, {}, {}, {}});
        last_vendor_ = static_cast<int>(i);
        return list[i];
    }

    void undef_item(std::string_view item) {
        if (item.rfind("flags=", 0) == 0) {
            auto mask = flags_from_names(item.substr(6));
            if (!mask) fail("bad flag list '" + std::string(item.substr(6)) + "' (names: cf,pf,af,zf,sf,df,of)");
            cur_.flags_undef |= *mask;
        } else if (item.rfind("regs=", 0) == 0) {
            std::string_view list = item.substr(5);
            while (!list.empty()) {
                size_t comma = list.find(',');
                int g = gpr_index(list.substr(0, comma));
                if (g < 0) fail("unknown register '" + std::string(list.substr(0, comma)) + "' in undef regs");
                cur_.gpr_undef |= static_cast<u16>(1u << g);
                list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            }
        } else if (item.rfind("fsw=", 0) == 0) {
            const u64 v = number(item.substr(4), "fsw mask");
            if (v > 0xffff) fail("the fsw mask is 16 bits");
            cur_.fsw_undef |= static_cast<u16>(v);
        } else {
            fail("expected 'flags=...', 'regs=...' or 'fsw=...' after 'undef', got '" + std::string(item) + "'");
        }
    }

    void fault_line(const std::vector<std::string_view>& w) {
        if (w.size() < 2) fail("expected 'fault VECTOR error=N rip=R [cr2=A]'");
        Exception x;
        auto v = vector_from_name(w[1]);
        if (!v) fail("unknown exception vector '" + std::string(w[1]) + "' (DE DB BP UD NM SS GP PF MF AC XM)");
        x.vector = *v;
        bool have_rip = false;
        for (size_t i = 2; i < w.size(); ++i) {
            size_t eq = w[i].find('=');
            std::string_view k = w[i].substr(0, eq), val = eq == std::string_view::npos ? "" : w[i].substr(eq + 1);
            if (k == "error") x.error_code = static_cast<u32>(number(val, "error code"));
            else if (k == "rip") x.rip = rip_value(val), have_rip = true;
            else if (k == "cr2") x.cr2 = number(val, "cr2");
            else fail("unknown fault field '" + std::string(k) + "' (error, rip, cr2)");
        }
        if (!have_rip) fail("fault needs rip=...");
        cur_.expected.exception = x;
    }

    void start_case(std::string name) {
        cur_ = Case{};
        cur_.name = std::move(name);
        cur_.file = file_;
        cur_.line = line_;
        cur_.init.gpr[RSP] = kDefaultRsp;
        open_ = true;
        open_line_ = line_;
        have_bytes_ = false;
        in_seen_.clear();
        out_items_.clear();
        last_vendor_ = -1;
        in_mm_ = out_mm_ = false;
    }

    void finish_case(std::vector<Case>& cases) {
        if (!have_bytes_) fail(open_line_, "case '" + cur_.name + "' has no 'bytes'");
        // The expected state starts as the initial one; 'out' lists what changed.
        State s = cur_.init;
        std::vector<std::string> seen;
        int saved = line_;
        bool have_rip = false;
        for (const auto& [ln, item] : out_items_) {
            line_ = ln;
            assign(s, item, true, seen);
            if (item.rfind("rip=", 0) == 0) have_rip = true;
        }
        line_ = saved;
        if (!have_rip) fail(open_line_, "case '" + cur_.name + "' has no 'out rip=...'");
        for (const auto& d : cur_.vendor_outcomes)
            if (d.note.empty())
                fail(open_line_, "case '" + cur_.name + "': native-" + vendor_name(d.vendor) +
                                     " needs a 'note' (why, and where each vendor's value comes from)");
        // mmN is physical register N: the same as stN only with TOP = 0.
        if ((in_mm_ && fsw_top(cur_.init.fsw) != 0) || (out_mm_ && fsw_top(s.fsw) != 0))
            fail(open_line_, "case '" + cur_.name + "': mmN names ST(N) only with TOP = 0 (fsw bits 13:11); use stN");
        cur_.expected.state = s;
        cases.push_back(std::move(cur_));
        open_ = false;
    }

    std::string_view text_;
    std::string file_;
    int line_ = 0;
    bool open_ = false;
    int open_line_ = 0;
    bool have_bytes_ = false;
    Case cur_;
    std::vector<std::string> in_seen_;
    std::vector<std::pair<int, std::string>> out_items_;
    int last_vendor_ = -1;  // index into cur_.vendor_outcomes of the last native-* line
    bool in_mm_ = false, out_mm_ = false;  // mmN items used (need TOP = 0)
};

}  // namespace

std::vector<Case> parse_cases(std::string_view text, const std::string& filename) {
    return Parser(text, filename).run();
}

std::vector<Case> load_case_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ParseError(path + ":0: cannot open file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_cases(ss.str(), path);
}

}  // namespace insn

// Form -> cases: picks registers, operand values, memory placement, initial
// flags and MXCSR, and the undefined masks, all from a seeded PRNG.
#include "tests/insn/gen/instantiate.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <stdexcept>

#include "tests/insn/gen/undef_rules.h"
#include "tests/insn/gen/values.h"

namespace insn::gen {

namespace {

// Register names by width: index = x86 register number.
const char* const kNames64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                  "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
const char* const kNames32[16] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                  "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
const char* const kNames16[16] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                  "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
const char* const kNames8[16] = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                 "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};
const char* const kHigh8[4] = {"ah", "ch", "dh", "bh"};

const char* reg_name(int idx, int bits) {
    switch (bits) {
        case 8: return kNames8[idx];
        case 16: return kNames16[idx];
        case 32: return kNames32[idx];
        default: return kNames64[idx];
    }
}

struct FixedReg {
    int index = -1;
    int bits = 64;
    bool high8 = false;
};

// "%rax", "%ecx", "%ah", ... or the width-generic families %A %C %D %B %SI %DI.
FixedReg fixed_reg(const std::string& name, int w) {
    static const std::pair<const char*, int> families[] = {{"A", 0}, {"C", 1}, {"D", 2}, {"B", 3}, {"SI", 6}, {"DI", 7}};
    for (auto [n, idx] : families)
        if (name == n) return {idx, w, false};
    for (int i = 0; i < 4; ++i)
        if (name == kHigh8[i]) return {i, 8, true};
    for (int i = 0; i < 16; ++i) {
        if (name == kNames64[i]) return {i, 64, false};
        if (name == kNames32[i]) return {i, 32, false};
        if (name == kNames16[i]) return {i, 16, false};
        if (name == kNames8[i]) return {i, 8, false};
    }
    return {};
}

int type_bits(const std::string& type, int w) {
    if (type == "r" || type == "m" || type[0] == '%') return w;  // %fixed: replaced by fixed_reg's width
    if (type == "i") return std::min(w, 32);
    if (type == "x") return 128;
    if (type == "mm") return 64;
    if (type == "st") return 8;
    if (type == "m0") return 8;
    if (type == "m512") return 512 * 8;  // FXSAVE area: 512 bytes (SDM "m512byte")
    if (type == "mxs") return 576 * 8;   // XSAVE area of x87 | SSE: legacy region + header (CPUID.(EAX=0DH))
    return std::stoi(type.substr(1));  // r8 m32 i16 ...
}

std::string default_kind(const std::string& type) {
    if (type == "x" || type == "m128" || type == "mm") return "x";
    if (type == "m512") return "fx";
    if (type == "m80") return "f80";
    if (type == "st") return "zero";
    if (type == "m112" || type == "m224") return "env";
    if (type == "m752" || type == "m864") return "save";
    return "int";
}

const char* mem_size_keyword(int bits) {
    switch (bits) {
        case 8: return "BYTE PTR ";
        case 16: return "WORD PTR ";
        case 32: return "DWORD PTR ";
        case 64: return "QWORD PTR ";
        case 80: return "TBYTE PTR ";
        case 128: return "XMMWORD PTR ";
        default: return "";
    }
}

std::string hex(u64 v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// Stable across hosts and standard libraries (std::hash is not).
u64 fnv1a(const std::string& s) {
    u64 h = 0xcbf29ce484222325ull;
    for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
    return h;
}

size_t parse_n(const std::string& n, size_t max_list) {
    if (n == "max") return max_list;
    if (n.rfind("max+", 0) == 0) return max_list + std::stoul(n.substr(4));
    return std::stoul(n);
}

// Pointer kinds for string and stack forms: a window address whose
// neighbourhood is filled with a per-case pattern.
bool is_pointer_kind(const std::string& k) { return k == "src" || k == "dst" || k == "sptr"; }
bool is_special_kind(const std::string& k) {
    return is_pointer_kind(k) || k == "pat" || k == "pairAD" || k.rfind("same", 0) == 0;
}

class Instantiator {
public:
    explicit Instantiator(const Spec& s) : spec_(s) {}

    std::vector<PendingCase> run() {
        for (const auto& f : spec_.forms)
            for (int w : f.widths) form_width(f, w);
        return std::move(out_);
    }

private:
    [[noreturn]] void fail(const Form& f, const std::string& msg) {
        throw std::runtime_error(f.file + ":" + std::to_string(f.line) + ": form " + f.name + ": " + msg);
    }

    void form_width(const Form& f, int w) {
        // Value lists per placeholder.
        std::vector<std::string> kinds;
        std::vector<int> bits;
        std::vector<std::vector<Bytes>> lists;
        size_t max_list = 1;
        for (const auto& ph : f.ops) {
            std::string kind = ph.kind.empty() ? default_kind(ph.type) : ph.kind;
            int b = type_bits(ph.type, w);
            if (ph.type[0] == '%') {
                FixedReg fr = fixed_reg(ph.type.substr(1), w);
                if (fr.index < 0) fail(f, "unknown register " + ph.type);
                b = fr.bits;
            }
            if (!is_known_kind(kind) && !is_special_kind(kind)) fail(f, "unknown value kind '" + kind + "'");
            const int value_bits = kind == "count" ? w : (kind == "ps" || kind == "pd" || kind == "b" || kind == "w" ||
                                                          kind == "d" || kind == "q")
                                                             ? std::max(b, 32)
                                                             : b;
            lists.push_back(is_special_kind(kind) ? std::vector<Bytes>{} : edge_values(kind, value_bits));
            kinds.push_back(kind);
            bits.push_back(b);
            max_list = std::max(max_list, lists.back().size());
        }
        // A form without operands differs only in its random flags: two cases do.
        const size_t n = f.ops.empty() && f.n == "12" ? 2 : parse_n(f.n, max_list);
        Rng rng(spec_.seed ^ fnv1a(f.name) * 31 ^ static_cast<u64>(w));

        std::set<std::vector<Bytes>> seen;
        for (size_t k = 0, attempts = 0; k < n && attempts < n * 20; ++attempts) {
            // Combination k: the diagonal of the edge lists first (every edge
            // value appears), then random mixes of edge and random values.
            std::vector<Bytes> vals(f.ops.size());
            for (size_t i = 0; i < f.ops.size(); ++i) {
                const auto& L = lists[i];
                const int vb = kinds[i] == "count" ? 8 : bits[i];
                if (is_special_kind(kinds[i])) continue;
                // Operand i walks its list with stride 7, so pairs differ.
                if (attempts < max_list && !L.empty()) vals[i] = L[(attempts * (i ? 7 : 1) + i * 3) % L.size()];
                else if (!L.empty() && rng.below(3) != 0) vals[i] = L[rng.below(L.size())];
                else vals[i] = random_value(kinds[i], kinds[i] == "ps" || kinds[i] == "pd" ? std::max(vb, 32) : vb, rng);
            }
            // x87 register operands ({st}) carry no value: their cases differ
            // in the random x87 state, so they do not count for duplicates.
            const bool valued = std::any_of(f.ops.begin(), f.ops.end(), [](const Placeholder& p) { return p.type != "st"; });
            if (valued && !seen.insert(vals).second && attempts >= max_list) continue;
            make_case(f, w, kinds, bits, vals, rng, k);
            ++k;
        }
    }

    void make_case(const Form& f, int w, const std::vector<std::string>& kinds, const std::vector<int>& bits,
                   std::vector<Bytes>& vals, Rng& rng, size_t index) {
        PendingCase pc;
        pc.form = &f;
        Case& c = pc.c;
        c.name = f.name + (f.widths.size() > 1 ? "." + std::to_string(w) : "") + "." + std::to_string(index);
        c.init.gpr[RSP] = kDefaultRsp;

        // Registers: fixed ones first, then the pool rotates per case so the
        // forms are tried with many registers.
        std::vector<bool> used(16, false);
        used[RSP] = true;
        for (const auto& ph : f.ops)
            if (ph.type[0] == '%') used[static_cast<size_t>(fixed_reg(ph.type.substr(1), w).index)] = true;
        for (const auto& init : f.inits)
            for (int i = 0; i < 16; ++i)
                if (init.rfind(std::string(kNames64[i]) + "=", 0) == 0) used[static_cast<size_t>(i)] = true;
        auto take_gpr = [&]() {
            for (int t = 0; t < 16; ++t) {
                const int r = static_cast<int>((rotation_ + static_cast<u64>(t)) % 16);
                if (!used[static_cast<size_t>(r)]) {
                    used[static_cast<size_t>(r)] = true;
                    return r;
                }
            }
            fail(f, "out of registers");
        };
        ++rotation_;
        int next_xmm = static_cast<int>(rotation_ % 16);
        const bool mmx = std::any_of(f.ops.begin(), f.ops.end(), [](const Placeholder& p) { return p.type == "mm"; });
        setup_x87(f, c, mmx, rng, index);
        int next_mm = static_cast<int>(rotation_ % 8);

        // Per-case pattern for string/stack memory.
        const u8 pattern = static_cast<u8>(rng.next() | 1);
        std::string text = f.tmpl;
        std::vector<std::string> rendered;
        std::vector<u8> assigned(16, 0);
        int first_reg_operand = -1;
        bool first_is_mem = false;
        int first_mem_bits = 0;
        u64 count = 1;
        for (size_t i = 0; i < f.ops.size(); ++i) {
            const auto& ph = f.ops[i];
            const std::string& kind = kinds[i];
            if (kind == "pat") vals[i] = rng.below(2) ? pattern_value(pattern, bits[i]) : random_value("int", bits[i], rng);
            if (kind.rfind("same", 0) == 0) {  // same as operand N half of the time (e.g. CMPXCHG's compare)
                const size_t src = std::stoul(kind.substr(4));
                vals[i] = (src < i && rng.below(2)) ? vals[src] : random_value("int", bits[i], rng);
                vals[i].resize(static_cast<size_t>(bits[i] / 8), static_cast<u8>(rng.next()));
            }
            if (kind == "pairAD") {  // CMPXCHG8B/16B memory: equal to EDX:EAX / RDX:RAX half of the time
                const size_t half = static_cast<size_t>(bits[i] / 16);
                vals[i] = random_value("x", bits[i], rng);
                if (rng.below(2)) {
                    std::memcpy(vals[i].data(), &c.init.gpr[RAX], half);
                    std::memcpy(vals[i].data() + half, &c.init.gpr[RDX], half);
                }
            }
            if (kind == "count") count = vals[i][0];
            std::string r;
            if (ph.type[0] == '%' || ph.type == "r" || (ph.type[0] == 'r' && ph.type.size() > 1)) {
                FixedReg fr = ph.type[0] == '%' ? fixed_reg(ph.type.substr(1), w) : FixedReg{take_gpr(), bits[i], false};
                if (is_pointer_kind(kind)) vals[i] = u64_bytes(pointer(c, kind, pattern, rng), 64);
                if (!assigned[static_cast<size_t>(fr.index)]) set_gpr(c, fr, vals[i], rng);
                assigned[static_cast<size_t>(fr.index)] = 1;
                r = fr.high8 ? kHigh8[fr.index] : reg_name(fr.index, fr.bits);
                if (i == 0) first_reg_operand = fr.index;
            } else if (ph.type[0] == 'm' && ph.type != "mm") {
                const int mb = bits[i];
                const u64 addr = mem_address(f, mb, kind, rng);
                const int base = take_gpr();
                const long long disp = static_cast<long long>(rng.below(5)) * 8 - 16;
                c.init.gpr[base] = addr - static_cast<u64>(disp);
                fill_guard(c, addr, static_cast<u64>(std::max(mb / 8, 1)), rng);
                if (ph.type != "m0") c.mem_init.push_back({addr, vals[i]});
                r = std::string(ph.type == "m0" ? "" : mem_size_keyword(mb)) + "[" + kNames64[base] +
                    (disp < 0 ? "-" + hex(static_cast<u64>(-disp)) : disp > 0 ? "+" + hex(static_cast<u64>(disp)) : "") + "]";
                if (!pc.mem_operand) pc.mem_operand = addr;
                if (i == 0) first_is_mem = true, first_mem_bits = mb;
            } else if (ph.type[0] == 'i') {
                const int ib = bits[i];
                u64 v = bytes_u64(vals[i]);
                if (kind == "u8" || kind == "count" || kind == "round" || kind == "strimm" || kind == "clmul") {
                    r = hex(v & 0xff);
                } else if (ib < 64) {  // print as the signed value of the immediate's width
                    const u64 sign = 1ull << (ib - 1), m = (sign << 1) - 1;
                    v &= m;
                    r = (v & sign) ? "-" + hex(((~v) & m) + 1) : hex(v);
                } else {
                    r = hex(v);
                }
            } else if (ph.type == "x") {
                const int x = next_xmm++ % 16;
                std::memcpy(c.init.xmm[x], vals[i].data(), std::min<size_t>(16, vals[i].size()));
                r = "xmm" + std::to_string(x);
            } else if (ph.type == "mm") {  // MMX register N is physical register N (TOP = 0)
                const int m = next_mm++ % 8;
                std::memcpy(&c.init.st[m].sig, vals[i].data(), 8);
                c.init.st[m].se = 0xffff;
                r = "mm" + std::to_string(m);
            } else if (ph.type == "st") {  // mostly a register inside the stack's depth
                const u64 depth = f.x87_depth > 0 ? static_cast<u64>(f.x87_depth) : 8;
                r = "st(" + std::to_string(rng.below(5) ? rng.below(depth) : rng.below(8)) + ")";
            } else {
                fail(f, "unknown placeholder type '" + ph.type + "'");
            }
            rendered.push_back(ph.silent ? "" : r);
        }
        // Substitute placeholders in order.
        std::string asm_text;
        size_t pos = 0, k = 0;
        for (size_t p = text.find('{'); p != std::string::npos; p = text.find('{', pos)) {
            asm_text += text.substr(pos, p - pos) + rendered[k++];
            pos = text.find('}', p) + 1;
        }
        asm_text += text.substr(pos);
        // Collapse the double spaces left by silent placeholders.
        std::string clean;
        for (char ch : asm_text)
            if (!(ch == ' ' && (clean.empty() || clean.back() == ' '))) clean += ch;
        while (!clean.empty() && clean.back() == ' ') clean.pop_back();
        c.asm_text = clean;
        c.bytes = f.bytes;
        c.insn_count = 1 + static_cast<int>(std::count(clean.begin(), clean.end(), ';'));

        for (const auto& init : f.inits) apply_init(f, c, init, pattern, rng);

        // rflags: random status flags; the form says which bit to alternate.
        u64 fl = rng.next() & kStatusFlags;
        if (f.flags == "cf") fl = (fl & ~CF) | (index & 1 ? CF : 0);
        if (f.flags == "df") fl |= (index & 1) ? DF : 0;
        if (f.flags == "zero") fl = 0;
        c.init.rflags = kFixedFlags | fl;
        if (!f.mxcsr.empty()) c.init.mxcsr = f.mxcsr[index % f.mxcsr.size()];

        u64 source = f.ops.empty() ? 0 : bytes_u64(vals.back());
        if (f.ops.size() >= 2 && f.ops.back().type[0] == 'i' && f.ops.size() >= 2) source = bytes_u64(vals[f.ops.size() - 2]);
        const UndefResult u = undef_for(f.undef, w, count, source);
        c.flags_undef = u.flags;
        c.fsw_undef = f.fsw_undef;
        if (u.dest_undefined) {
            if (first_reg_operand >= 0) c.gpr_undef |= static_cast<u16>(1u << first_reg_operand);
            if (first_is_mem) c.mem_undef.push_back({pc.mem_operand, Bytes(static_cast<size_t>(first_mem_bits / 8))});
        }
        for (auto [off, len] : f.undef_mem) c.mem_undef.push_back({pc.mem_operand + off, Bytes(len)});
        c.approx = f.approx;
        pc.width = w;
        pc.source = source;
        pc.dest_reg = first_reg_operand;
        normalize_mem(c);
        out_.push_back(std::move(pc));
    }

    static Bytes pattern_value(u8 pattern, int b) { return Bytes(static_cast<size_t>(b / 8), pattern); }

    // The initial x87 state. MMX forms: TOP = 0, random MMX values in every
    // register, the tags valid (or, now and then, empty: the instruction
    // makes them valid). x87 forms with `x87 N`: ST(0)..ST(N-1) valid with
    // values of the form's kind at a random TOP, the other registers empty
    // but holding random bits; masked exception flags and condition codes
    // set at random (nothing pending unless the spec's fsw says so).
    void setup_x87(const Form& f, Case& c, bool mmx, Rng& rng, size_t index) {
        State& s = c.init;
        if (!f.fcw.empty()) s.fcw = f.fcw[index % f.fcw.size()];
        if (mmx) {
            for (auto& r : s.st) r = X87Value{rng.next(), 0xffff};
            s.ftw = rng.below(4) ? 0xff : 0x00;
            s.fsw = 0;
        } else if (f.x87_depth >= 0) {
            const unsigned top = static_cast<unsigned>(rng.below(8));
            s.ftw = 0;
            for (int k = 0; k < 8; ++k) {
                const X87Bits v = random_x87(k < f.x87_depth ? f.x87_kind : "f80", rng);
                s.st[k] = X87Value{v.sig, v.se};
                if (k < f.x87_depth) s.ftw = static_cast<u8>(s.ftw | 1u << ((top + static_cast<unsigned>(k)) & 7));
            }
            s.fsw = static_cast<u16>(top << 11 | (rng.next() & 0x4700) | (rng.next() & s.fcw & 0x3f));
        }
        if (!f.fsw.empty()) s.fsw |= f.fsw[index % f.fsw.size()];
    }

    // Register value: the operand's bits, and random bits above them so a
    // wrong zero- or sign-extension shows.
    static void set_gpr(Case& c, const FixedReg& fr, const Bytes& v, Rng& rng) {
        u64 val = bytes_u64(v);
        u64& g = c.init.gpr[fr.index];
        if (fr.high8) {
            g = (rng.next() & ~0xff00ull) | (val & 0xff) << 8;
        } else if (fr.bits < 64) {
            const u64 m = (1ull << fr.bits) - 1;
            g = (rng.next() & ~m) | (val & m);
        } else {
            g = val;
        }
    }

    u64 mem_address(const Form& f, int mb, const std::string& kind, Rng& rng) {
        const u64 align = std::clamp<u64>(static_cast<u64>(mb / 8), 1, 64);
        u64 off = 0x1000 + rng.below(0xe000 - 0x1000 - 0x200);
        off -= off % align;
        if (f.misalign) off += 1 + rng.below(std::min<u64>(align, 16) - 1 ? std::min<u64>(align, 16) - 1 : 1);
        (void)kind;
        return kDataBase + off;
    }

    // Random non-zero bytes just around a memory operand, so a write of the
    // wrong size changes something visible.
    static void fill_guard(Case& c, u64 addr, u64 size, Rng& rng) {
        MemBytes before{addr - 8, {}}, after{addr + size, {}};
        for (int i = 0; i < 8; ++i) before.bytes.push_back(static_cast<u8>(rng.next() | 1));
        for (int i = 0; i < 8; ++i) after.bytes.push_back(static_cast<u8>(rng.next() | 1));
        c.mem_init.push_back(before);
        c.mem_init.push_back(after);
    }

    // String source/destination (data window) or stack pointer (stack
    // window): 64 pattern bytes either side, one byte differing at random.
    static u64 pointer(Case& c, const std::string& kind, u8 pattern, Rng& rng) {
        const u64 addr = kind == "sptr" ? kDefaultRsp + rng.below(4) * 16
                                        : kDataBase + (kind == "src" ? 0x3000 : 0x9000) + rng.below(0x100) * 8;
        MemBytes m{addr - 48, Bytes(96, pattern)};  // REP counts <= 6 of <= 8 bytes, either direction
        if (kind == "sptr") {
            for (auto& b : m.bytes) b = static_cast<u8>(rng.next());
        } else {
            m.bytes[48 + rng.below(40)] ^= static_cast<u8>(1 + rng.below(255));
        }
        c.mem_init.push_back(m);
        return addr;
    }

    void apply_init(const Form& f, Case& c, const std::string& item, u8 pattern, Rng& rng) {
        if (item == "stackfill") {  // random bytes around rsp for pops
            MemBytes m{kDefaultRsp - 64, Bytes(128)};
            for (auto& b : m.bytes) b = static_cast<u8>(rng.next());
            c.mem_init.push_back(m);
            return;
        }
        const size_t eq = item.find('=');
        if (eq == std::string::npos) fail(f, "bad init '" + item + "'");
        const std::string reg = item.substr(0, eq), val = item.substr(eq + 1);
        for (int i = 0; i < 16; ++i)
            if (reg == kNames64[i]) {
                if (val == "src" || val == "dst" || val == "sptr") c.init.gpr[i] = pointer(c, val, pattern, rng);
                else c.init.gpr[i] = std::stoull(val, nullptr, 0);
                return;
            }
        fail(f, "bad init register '" + reg + "'");
    }

    // Later bytes win where initial runs overlap; then canonical sorted runs.
    static void normalize_mem(Case& c) {
        std::vector<u8> data(kDataSize), stack(kStackSize);
        std::vector<bool> set_d(kDataSize), set_s(kStackSize);
        for (const auto& m : c.mem_init)
            for (size_t i = 0; i < m.bytes.size(); ++i) {
                const u64 a = m.addr + i;
                // Memory starts zeroed: only non-zero bytes need writing.
                const bool nz = m.bytes[i] != 0;
                if (a >= kDataBase && a < kDataBase + kDataSize) data[a - kDataBase] = m.bytes[i], set_d[a - kDataBase] = nz;
                else if (a >= kStackBase && a < kStackTop) stack[a - kStackBase] = m.bytes[i], set_s[a - kStackBase] = nz;
            }
        c.mem_init.clear();
        auto runs = [&](u64 base, const std::vector<u8>& img, const std::vector<bool>& set) {
            for (size_t i = 0; i < img.size();) {
                if (!set[i]) { ++i; continue; }
                MemBytes m{base + i, {}};
                while (i < img.size() && set[i]) m.bytes.push_back(img[i++]);
                c.mem_init.push_back(std::move(m));
            }
        };
        runs(kDataBase, data, set_d);
        runs(kStackBase, stack, set_s);
    }

    const Spec& spec_;
    std::vector<PendingCase> out_;
    u64 rotation_ = 0;
};

}  // namespace

std::vector<PendingCase> instantiate(const Spec& spec) { return Instantiator(spec).run(); }

}  // namespace insn::gen

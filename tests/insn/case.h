// Instruction test cases: the data model shared by the case files, the native
// runner (this machine's CPU) and the interpreter/JIT harnesses.
// The text format is described in docs/instruction-test-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace insn {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

// Fixed user-space layout (64-bit mode, CPL 3, flat segments), identical for
// the native runner and the interpreter. Everything else is unmapped.
inline constexpr u64 kCodeBase = 0x0000'1000'0000;   // one 4 KiB page, r-x
inline constexpr u64 kCodeSize = 0x1000;
inline constexpr u64 kDataBase = 0x0000'2000'0000;   // data window, rw-
inline constexpr u64 kDataSize = 0x1'0000;
inline constexpr u64 kStackTop = 0x0000'3000'0000;   // stack window [top-64K, top), rw-
inline constexpr u64 kStackSize = 0x1'0000;
inline constexpr u64 kStackBase = kStackTop - kStackSize;
inline constexpr u64 kDefaultRsp = kStackTop - 0x8000;  // middle: pushes and pops both fit

// GPR order everywhere (the x86 register number order).
enum Gpr : int { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
inline constexpr const char* kGprNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                              "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

// RFLAGS bits.
inline constexpr u64 CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
                     TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11;
inline constexpr u64 kStatusFlags = CF | PF | AF | ZF | SF | OF;
// Bits a case may set in its initial rflags: status flags and DF. TF and AC
// would trap / alignment-check the harness itself; IF and IOPL cannot be
// changed at CPL 3. Bit 1 and IF are always 1 in user mode.
inline constexpr u64 kSettableFlags = kStatusFlags | DF;
inline constexpr u64 kFixedFlags = 0x202;

inline constexpr u32 kDefaultMxcsr = 0x1f80;
inline constexpr u16 kDefaultFcw = 0x037f;  // what Linux gives a process (FNINIT)

// An x87 data register: 64-bit significand, then sign and exponent.
struct X87Value {
    u64 sig = 0;
    u16 se = 0;
    bool operator==(const X87Value&) const = default;
};

// FSW condition-code and summary bits (SDM Vol. 1 §8.1.3).
inline constexpr u16 kFswC0 = 0x100, kFswC1 = 0x200, kFswC2 = 0x400, kFswC3 = 0x4000;
inline unsigned fsw_top(u16 fsw) { return (fsw >> 11) & 7; }

// Architectural state visible to a user-level instruction test.
struct State {
    u64 gpr[16] = {};
    u64 rip = kCodeBase;
    u64 rflags = kFixedFlags;
    u8 xmm[16][16] = {};  // little-endian byte images of xmm0..xmm15
    u32 mxcsr = kDefaultMxcsr;
    // x87 state as FXSAVE stores it: the control and status words, the
    // abridged tag byte (bit i: physical register i is not empty) and
    // ST(0)..ST(7) in stack order. mmN is the low 64 bits of physical
    // register N, which is ST((N - TOP) & 7).
    u16 fcw = kDefaultFcw;
    u16 fsw = 0;
    u8 ftw = 0;
    X87Value st[8] = {};

    bool operator==(const State&) const = default;
};

// A run of bytes at an absolute address inside the data or stack window.
struct MemBytes {
    u64 addr = 0;
    std::vector<u8> bytes;
    bool operator==(const MemBytes&) const = default;
};

// Exception vectors the cases use (Intel SDM Vol. 3A, 6.3.1).
enum Vector : u8 { DE = 0, DB = 1, BP = 3, UD = 6, NM = 7, SS = 12, GP = 13, PF_ = 14, MF = 16, AC = 17, XM = 19 };
const char* vector_name(u8 vector);                  // "DE", "GP", ... or nullptr
std::optional<u8> vector_from_name(std::string_view);

struct Exception {
    u8 vector = 0;
    u32 error_code = 0;  // 0 for vectors without an error code
    u64 rip = 0;         // as pushed: faulting instruction (faults) or next one (traps: #BP)
    u64 cr2 = 0;         // #PF only: the faulting linear address
    bool operator==(const Exception&) const = default;
};

// What running a case produced. For a fault the state is the one at the
// fault (precise: equal to the initial state, except progress made by
// earlier iterations of a REP string instruction).
struct Outcome {
    State state;
    std::optional<Exception> exception;
    // Bytes of the data and stack windows whose final value differs from the
    // initial image, as maximal runs sorted by address (see memory_changes()).
    std::vector<MemBytes> mem_changes;
    bool operator==(const Outcome&) const = default;
};

// The CPU vendors whose native outcomes a case may record separately.
enum class Vendor : u8 { Intel, Amd };
const char* vendor_name(Vendor v);  // "intel", "amd" (the case-file spelling)

// Where one vendor's hardware differs from `Case::expected` on defined (or
// de-facto defined) behaviour. `expected` follows Intel (the SDM; where the
// SDM is silent, Intel hardware) and is what the interpreter must produce;
// a VendorOutcome says what the other vendor's CPU does instead, and `note`
// says why and where each value comes from. See docs/vendor-differences.md.
struct VendorOutcome {
    Vendor vendor = Vendor::Amd;
    std::vector<std::pair<u8, u64>> gprs;  // register index, final value on this vendor
    std::vector<MemBytes> mem;             // final bytes on this vendor
    std::optional<u64> rflags;             // rflags where it differs
    std::optional<u16> fsw;                // x87 state where it differs
    std::optional<u8> ftw;
    std::vector<std::pair<u8, X87Value>> st;
    std::string note;
    bool operator==(const VendorOutcome&) const = default;
};

struct Case {
    std::string name;
    std::string asm_text;     // Intel syntax, informational (may be empty)
    std::vector<u8> bytes;    // instruction bytes placed at kCodeBase
    int insn_count = 1;       // instructions to execute (random sequences: many)
    State init;
    std::vector<MemBytes> mem_init;  // initial window contents; everything else is zero
    Outcome expected;
    u64 flags_undef = 0;      // rflags bits the SDM leaves undefined: not compared
    u16 gpr_undef = 0;        // bit i: gpr[i] final value undefined (e.g. BSF with source 0)
    u16 fsw_undef = 0;        // FSW bits the SDM leaves undefined (C0-C3 after arithmetic): not compared
    std::vector<MemBytes> mem_undef;  // ranges (bytes content ignored, size used) not compared
    bool approx = false;      // RCP/RSQRT xmm lanes, x87 transcendental results: compared within a tolerance
    std::vector<VendorOutcome> vendor_outcomes;  // at most one per vendor
    std::string file;         // where it was parsed from (for messages)
    int line = 0;
};

// The initial contents of one window (kDataBase or kStackBase) as an image of
// kDataSize / kStackSize bytes.
std::vector<u8> initial_window(const Case& c, u64 window_base);

// Canonical memory change list: maximal runs of bytes where `after` differs
// from `before`, both images of the window starting at `base`.
void append_memory_changes(u64 base, std::span<const u8> before, std::span<const u8> after,
                           std::vector<MemBytes>& out);

// The outcome a CPU of `vendor` is expected to produce: c.expected with that
// vendor's VendorOutcome applied.
Outcome native_expectation(const Case& c, Vendor vendor);

// The FXSAVE64 image (512 bytes) of a state's x87 and SSE parts (pointers
// and FOP zero), and the x87/SSE parts of a state read from one. Harnesses
// load and read the x87/SSE state through these (the native runner with
// FXRSTOR64/FXSAVE64).
void fxsave_image(const State& s, u8* img);
void state_from_fxsave(const u8* img, State& s);

// Is `addr` inside the data or stack window?
bool in_windows(u64 addr, u64 size = 1);

}  // namespace insn

// insn_random_native_selfcheck: random sequences run natively twice give the
// same outcome (the runner is deterministic and isolates cases), and the
// generator is deterministic in its seed, and it never emits a vendor-split
// behaviour unmasked (tests/insn/vendor_split.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "tests/insn/case_io.h"
#include "tests/insn/native_runner.h"
#include "tests/insn/outcome_diff.h"
#include "tests/insn/random_seq.h"
#include "tests/insn/vendor_split.h"

using namespace insn;

TEST_CASE("random sequences are deterministic natively") {
    int completed = 0, faulted = 0;
    for (u64 seed = 1; seed <= 300; ++seed) {
        const int length = 1 + static_cast<int>(seed % 48);
        const Case c = make_random_sequence(seed, length);
        CAPTURE(seed);
        REQUIRE(c.insn_count == length);
        REQUIRE(format_case(make_random_sequence(seed, length)) == format_case(c));
        const Outcome a = run_native(c);
        const Outcome b = run_native(c);
        // Exact equality, masks not applied: the hardware is deterministic.
        CHECK(a == b);
        const std::string d = diff_outcomes(c, a, b);
        CHECK_MESSAGE(d.empty(), d);
        if (a.exception) {
            ++faulted;
        } else {
            ++completed;
            CHECK(a.state.rip == kCodeBase + c.bytes.size());
            CHECK(a.state.gpr[R15] == c.init.gpr[R15]);  // the memory pointer is never written
        }
    }
    // Sequences are meant to run to completion: only rare faults are expected.
    CHECK(completed >= 290);
    MESSAGE("completed " << completed << ", faulted " << faulted);
}

TEST_CASE("different seeds give different sequences and undefined flags are tracked") {
    const Case a = make_random_sequence(7, 30), b = make_random_sequence(8, 30);
    CHECK(a.bytes != b.bytes);
    CHECK((a.flags_undef & ~kStatusFlags) == 0);
    // A one-instruction sequence leaves at most that instruction's undefined flags.
    int with_undef = 0;
    for (u64 s = 1; s < 200; ++s) with_undef += make_random_sequence(s, 1).flags_undef != 0;
    CHECK(with_undef > 0);
    CHECK(with_undef < 199);
}

// The x87 splits need an unmasked exception (vendor-differences.md): the
// sequences start with every x87 exception masked and never load FCW; C1
// after FCOMI is left out of the comparison.
TEST_CASE("random sequences contain no vendor-split behaviour, BSF/BSR only behind a non-zero guard") {
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    int guarded = 0, x87_masked = 0;
    for (u64 seed = 0; seed < 2000; ++seed) {
        const Case c = make_random_sequence(seed, 24);
        ZydisDecodedInstruction prev{};
        ZydisDecodedOperand prev_ops[ZYDIS_MAX_OPERAND_COUNT]{};
        for (size_t off = 0; off < c.bytes.size();) {
            ZydisDecodedInstruction zi;
            ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
            REQUIRE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, c.bytes.data() + off, c.bytes.size() - off, &zi, ops)));
            CHECK(zi.mnemonic != ZYDIS_MNEMONIC_FLDCW);
            CHECK(zi.mnemonic != ZYDIS_MNEMONIC_FLDENV);
            CHECK(zi.mnemonic != ZYDIS_MNEMONIC_FRSTOR);
            CHECK(zi.mnemonic != ZYDIS_MNEMONIC_FXRSTOR);
            const std::string h = vendor_split_hazard(zi, ops) ? vendor_split_hazard(zi, ops) : "";
            if (h == "x87-compare-unmasked-ia" || h == "x87-load-denormal-unmasked" || h == "x87-fcomi-c1") {
                CHECK((c.init.fcw & 0x3f) == 0x3f);
                if (h == "x87-fcomi-c1") CHECK((c.fsw_undef & kFswC1) != 0);
                ++x87_masked;
            } else if (!h.empty()) {
                CAPTURE(seed);
                CAPTURE(off);
                REQUIRE(h == "bsf-bsr-zero-source");
                // The instruction before: or <source>, imm with a non-zero imm.
                CHECK(prev.mnemonic == ZYDIS_MNEMONIC_OR);
                CHECK(prev_ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER);
                CHECK(prev_ops[0].reg.value == ops[1].reg.value);
                CHECK(prev_ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE);
                CHECK((prev_ops[1].imm.value.u & 0xff) != 0);
                ++guarded;
            }
            prev = zi;
            std::copy(ops, ops + ZYDIS_MAX_OPERAND_COUNT, prev_ops);
            off += zi.length;
        }
    }
    CHECK(guarded > 100);     // BSF/BSR are exercised
    CHECK(x87_masked > 100);  // so are x87 loads and comparisons
}

TEST_CASE("the vendor-split list names each split once and where it is tested") {
    std::set<std::string> ids;
    for (const auto& s : vendor_splits()) {
        CHECK(ids.insert(s.id).second);
        CHECK(std::string(s.where).size() > 0);
    }
    CHECK(ids.size() >= 10);
}

TEST_CASE("vendor_split_hazard recognises each split's encodings and nothing else") {
    struct Probe {
        std::vector<u8> bytes;
        const char* hazard;  // nullptr: none
    };
    const Probe probes[] = {
        {{0x67, 0xf3, 0xa4}, "rep-a32-count0"},          // addr32 rep movsb
        {{0x67, 0xf2, 0xae}, "rep-a32-count0"},          // addr32 repne scasb
        {{0xf3, 0xa4}, nullptr},                         // rep movsb (64-bit addresses)
        {{0x67, 0xa4}, nullptr},                         // addr32 movsb (always one iteration)
        {{0x0f, 0xbc, 0xc1}, "bsf-bsr-zero-source"},     // bsf eax, ecx
        {{0x48, 0x0f, 0xbd, 0xc1}, "bsf-bsr-zero-source"},
        {{0xf3, 0x0f, 0xbc, 0xc1}, nullptr},             // tzcnt
        {{0x0f, 0xa0}, "push-sreg-wide"},                // push fs
        {{0x66, 0x0f, 0xa0}, nullptr},                   // pushw fs
        {{0x8e, 0xe0}, "null-selector-base"},            // mov fs, eax
        {{0x8c, 0xe0}, nullptr},                         // mov eax, fs
        {{0x0f, 0xa1}, "null-selector-base"},            // pop fs
        {{0x48, 0x0f, 0xb4, 0x00}, "far-pointer-rex-w"}, // lfs rax, [rax]
        {{0x48, 0x0f, 0x07}, "sysret-noncanonical"},
        {{0x66, 0xe8, 0, 0, 0, 0}, "near-branch-0x66"},
        {{0x66, 0xc3}, "near-branch-0x66"},
        {{0xe8, 0, 0, 0, 0}, nullptr},
        {{0x48, 0xff, 0x2c, 0x25, 0, 0, 0, 0}, "far-pointer-rex-w"},  // jmp far m16:64
        {{0x0f, 0xae, 0x00}, "fxsave-mxcsr-mask"},
        {{0x0f, 0xae, 0x08}, nullptr},                   // fxrstor
        {{0x48, 0x01, 0xd8}, nullptr},
        {{0x66, 0x0f, 0xa5, 0xd8}, "shxd16-count-above-16"},        // shld ax, bx, cl
        {{0x66, 0x0f, 0xa4, 0xd8, 0x11}, "shxd16-count-above-16"},  // shld ax, bx, 17
        {{0x66, 0x0f, 0xac, 0xd8, 0x10}, nullptr},                  // shrd ax, bx, 16
        {{0x0f, 0xa4, 0xd8, 0x11}, nullptr},                        // shld eax, ebx, 17
        {{0xd8, 0xd1}, "x87-compare-unmasked-ia"},                  // fcom st(1)
        {{0xdb, 0xe9}, "x87-fcomi-c1"},                             // fucomi st(0), st(1)
        {{0xd9, 0x00}, "x87-load-denormal-unmasked"},               // fld dword [rax]
        {{0xdd, 0x00}, "x87-load-denormal-unmasked"},               // fld qword [rax]
        {{0xdb, 0x28}, nullptr},                                    // fld tbyte [rax]
        {{0xd9, 0xc1}, nullptr},                                    // fld st(1)
    };
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (const auto& p : probes) {
        ZydisDecodedInstruction zi;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        REQUIRE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, p.bytes.data(), p.bytes.size(), &zi, ops)));
        const char* h = vendor_split_hazard(zi, ops);
        CAPTURE(p.bytes.size());
        CAPTURE(p.bytes[p.bytes.size() > 1 ? 1 : 0]);
        CHECK(std::string(h ? h : "none") == std::string(p.hazard ? p.hazard : "none"));
    }
}

// decoder_crosscheck: Zydis (vtlab's decoder) and Capstone (the debugger's
// disassembler) agree on instruction length and validity over a seeded
// random corpus in 64-, 32- and 16-bit mode, except for the documented
// classes in disagreement_classes.cpp.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <string>

#include "tests/decoder/disagreement_classes.h"

using namespace decoder_check;

namespace {

constexpr int kWindowsPerMode = 1'000'000;

std::string hex(const Window& w) {
    std::string s;
    char b[4];
    for (auto x : w) {
        std::snprintf(b, sizeof b, "%02x ", x);
        s += b;
    }
    return s;
}

std::string len_text(std::optional<int> l) { return l ? std::to_string(*l) : "invalid"; }

}  // namespace

TEST_CASE("Zydis and Capstone agree on length and validity") {
    for (Mode mode : {Mode::M64, Mode::M32, Mode::M16}) {
        CAPTURE(mode_name(mode));
        const ZydisLength zydis(mode);
        const CapstoneLength capstone(mode);
        Corpus corpus(0xdec0de + static_cast<int>(mode));
        std::map<std::string_view, int> per_class;
        int agree_valid = 0, agree_invalid = 0, unexplained = 0;
        for (int i = 0; i < kWindowsPerMode; ++i) {
            const Window w = corpus.next();
            const ZydisResult z = zydis.decode(w);
            const auto c = capstone.decode(w);
            if (z.length == c) {
                ++(z.length ? agree_valid : agree_invalid);
                continue;
            }
            const Observation o{mode, w, z, c};
            bool explained = false;
            for (const auto& cls : disagreement_classes())
                if (cls.matches(o)) {
                    ++per_class[cls.name];
                    explained = true;
                    break;
                }
            if (!explained && unexplained++ < 10) {
                std::string text;
                capstone.decode(w, &text);
                FAIL_CHECK(mode_name(mode) << " unexplained: " << hex(w) << " zydis " << len_text(z.length) << " ("
                                           << ZydisMnemonicGetString(z.insn.mnemonic) << "), capstone "
                                           << len_text(c) << " (" << text << ")");
            }
        }
        std::printf("%s: %d windows, agree valid %d, agree invalid %d, unexplained %d\n", mode_name(mode),
                    kWindowsPerMode, agree_valid, agree_invalid, unexplained);
        for (const auto& cls : disagreement_classes())
            std::printf("    %-42s %6d\n", std::string(cls.name).c_str(), per_class[cls.name]);
        CHECK(unexplained == 0);
        // The corpus must mostly decode, or the check says nothing.
        CHECK(agree_valid > kWindowsPerMode / 2);
    }
}

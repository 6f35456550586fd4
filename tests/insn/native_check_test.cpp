// insn_native_check: every case file still describes this CPU. Each case is
// parsed, re-run natively and compared with the outcome recorded for this
// CPU's vendor (`out`, with the case's native-amd / native-intel lines for
// the host vendor applied); the writer/parser pair round-trips every case;
// diff_outcomes honours exactly the case's masks.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/insn/case_io.h"
#include "tests/insn/native_runner.h"
#include "tests/insn/outcome_diff.h"

using namespace insn;

namespace {
const std::string kCasesDir = std::string(VTLAB_TEST_DATA) + "/cases";
}

TEST_CASE("every case file matches this CPU and round-trips") {
    const Vendor vendor = host_vendor();
    std::printf("host vendor: %s (%s): expecting the %s outcomes\n", host_vendor_string().c_str(),
                vendor_name(vendor), vendor_name(vendor));
    const auto files = list_case_files(kCasesDir);
    REQUIRE(files.size() >= 20);
    size_t total = 0;
    for (const auto& file : files) {
        const auto cases = load_case_file(file);
        CHECK_MESSAGE(!cases.empty(), file);
        std::vector<std::string> differing;
        for (const auto& c : cases) {
            const Outcome got = run_native(c);
            const std::string d = diff_outcomes(c, native_expectation(c, vendor), got);
            if (!d.empty()) {
                // Full diffs for the first few; every name below, so a report
                // from another host lists all of them.
                if (differing.size() < 5) FAIL_CHECK(c.file << ":" << c.line << ": " << c.name << "\n" << d);
                differing.push_back(c.name);
            }
            // Writer -> parser gives back the same case.
            const auto again = parse_cases(format_case(c), "roundtrip");
            REQUIRE(again.size() == 1);
            CHECK(format_case(again[0]) == format_case(c));
            CHECK(again[0].expected == c.expected);
            CHECK(again[0].init == c.init);
            CHECK(again[0].mem_init == c.mem_init);
            CHECK(again[0].vendor_outcomes == c.vendor_outcomes);
        }
        std::string names;
        for (const auto& n : differing) names += " " + n;
        CHECK_MESSAGE(differing.empty(), file << ": " << differing.size() << " cases differ:" << names);
        std::printf("%-40s %6zu cases\n", file.substr(file.rfind('/') + 1).c_str(), cases.size());
        total += cases.size();
    }
    std::printf("total %zu cases\n", total);
    CHECK(total >= 8000);
}

TEST_CASE("vendor outcomes are recorded only where that vendor differs, with a note") {
    size_t split = 0;
    for (const auto& file : list_case_files(kCasesDir))
        for (const auto& c : load_case_file(file)) {
            for (const auto& d : c.vendor_outcomes) {
                CHECK_MESSAGE(!(native_expectation(c, d.vendor) == c.expected), c.name);
                CHECK_MESSAGE(!d.note.empty(), c.name << ": native-" << vendor_name(d.vendor) << " without a note");
            }
            split += !c.vendor_outcomes.empty();
        }
    std::printf("vendor-split cases: %zu\n", split);
    CHECK(split > 0);
}

TEST_CASE("diff_outcomes compares outside the masks only") {
    auto cases = parse_cases(R"(
case masked
  bytes 48 0f af c3
  undef flags=sf,zf,af,pf regs=rdx
  in rax=0x3 rbx=0x5
  out rax=0xf rip=+4 rflags=0x202
end
)",
                             "inline");
    REQUIRE(cases.size() == 1);
    const Case& c = cases[0];
    const Outcome native = run_native(c);
    CHECK(diff_outcomes(c, c.expected, native).empty());

    Outcome o = c.expected;
    o.state.rflags ^= ZF | PF;  // undefined for IMUL: ignored
    o.state.gpr[RDX] = 42;      // declared undefined: ignored
    CHECK(diff_outcomes(c, c.expected, o).empty());
    o.state.rflags ^= CF;  // defined: reported
    CHECK(diff_outcomes(c, c.expected, o).find("rflags") != std::string::npos);
    o = c.expected;
    o.state.gpr[RAX] = 0x10;
    CHECK(diff_outcomes(c, c.expected, o).find("rax: expected 0xf, got 0x10") != std::string::npos);
    o = c.expected;
    o.mem_changes.push_back({kDataBase + 4, {1}});
    CHECK(diff_outcomes(c, c.expected, o).find("mem 0x20000004") != std::string::npos);
    o = c.expected;
    o.exception = Exception{GP, 0, kCodeBase, 0};
    CHECK(diff_outcomes(c, c.expected, o).find("exception") != std::string::npos);
}

TEST_CASE("approx cases accept results within the RCP/RSQRT tolerance") {
    Case c;
    c.approx = true;
    Outcome a, b;
    const float e = 0.333251953f, near = e * (1 + 1.0f / 4096), far = e * (1 + 1.0f / 256);
    std::memcpy(a.state.xmm[1], &e, 4);
    std::memcpy(b.state.xmm[1], &near, 4);
    CHECK(diff_outcomes(c, a, b).empty());
    std::memcpy(b.state.xmm[1], &far, 4);
    CHECK(!diff_outcomes(c, a, b).empty());
    c.approx = false;
    std::memcpy(b.state.xmm[1], &near, 4);
    CHECK(!diff_outcomes(c, a, b).empty());
}

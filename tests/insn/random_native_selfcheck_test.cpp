// insn_random_native_selfcheck: random sequences run natively twice give the
// same outcome (the runner is deterministic and isolates cases), and the
// generator is deterministic in its seed.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tests/insn/case_io.h"
#include "tests/insn/native_runner.h"
#include "tests/insn/outcome_diff.h"
#include "tests/insn/random_seq.h"

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

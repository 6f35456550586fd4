// Every instruction case recorded from this machine's CPU must be reproduced
// by the interpreter (DESIGN: instruction tests are data).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/insn/case_io.h"
#include "tests/insn/outcome_diff.h"
#include "tests/insn_interp/user_mode_harness.h"

TEST_CASE("interpreter reproduces every recorded instruction case") {
  auto files = insn::list_case_files(VTLAB_INSN_CASES_DIR);
  REQUIRE(!files.empty());
  // VTLAB_INSN_ALL_FAILURES=1 prints every failing case, not the first five per file.
  const size_t shown = std::getenv("VTLAB_INSN_ALL_FAILURES") ? ~size_t(0) : 5;
  size_t total = 0, failed = 0;
  for (const std::string& path : files) {
    size_t file_failed = 0, file_total = 0;
    for (const insn::Case& c : insn::load_case_file(path)) {
      ++file_total;
      insn::Outcome got = vtlab::testing::run_interp(c);
      std::string d = insn::diff_outcomes(c, c.expected, got);
      if (!d.empty()) {
        if (file_failed < shown) std::fprintf(stderr, "%s:%d %s: %s\n", c.file.c_str(), c.line, c.name.c_str(), d.c_str());
        ++file_failed;
      }
    }
    std::fprintf(stderr, "%-40s %5zu cases, %zu failed\n", path.substr(path.rfind('/') + 1).c_str(), file_total,
                 file_failed);
    total += file_total;
    failed += file_failed;
  }
  std::fprintf(stderr, "total: %zu cases, %zu failed\n", total, failed);
  CHECK(failed == 0);
  CHECK(total > 0);
}

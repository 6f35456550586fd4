// How a run ends, as the person at the terminal sees it: the one-line
// summary (instructions, cause, state hash) also when SIGINT or SIGTERM ends
// the run, with exit status 128 + the signal's number as shells report.
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/cli_e2e/child.h"

namespace {

using cli_e2e::Result;

// A flat real-mode binary that prints "R\n" on COM1, then spins forever:
// mov dx, 0x3f8; mov al, 'R'; out dx, al; mov al, 10; out dx, al; jmp $
std::string spin_image() {
  std::string path = std::string(VTLAB_TEST_TMP) + "/spin.bin";
  std::ofstream(path, std::ios::binary) << "\xba\xf8\x03\xb0R\xee\xb0\x0a\xee\xeb\xfe";
  return path;
}

const std::regex kSummary(R"(vtlab: (\d+) instructions retired, (.*), state hash ([0-9a-f]{16}))");

}  // namespace

TEST_CASE("SIGINT and SIGTERM end a run with its summary and status 128 + signal") {
  const std::string image = spin_image();
  struct Case {
    int signo;
    const char* name;
  };
  for (Case c : {Case{SIGINT, "SIGINT"}, Case{SIGTERM, "SIGTERM"}}) {
    CAPTURE(c.name);
    cli_e2e::Child child = cli_e2e::start_vtlab("run " + image + " --flat 0x7c00");
    REQUIRE(child.pid > 0);
    // Signal it once the guest runs (its "R" line is out), not while the
    // process is still starting up.
    CHECK(cli_e2e::wait_for(child, "R\n", 20));
    ::kill(child.pid, c.signo);
    Result r = cli_e2e::finish(child, 10);
    CAPTURE(r.output);
    CHECK_FALSE(r.timed_out);
    CHECK(r.status == 128 + c.signo);
    std::smatch m;
    REQUIRE(std::regex_search(r.output, m, kSummary));
    CHECK(m[2] == std::string("ended by ") + c.name);
    CHECK(std::stoull(m[1]) > 0);
  }
}

TEST_CASE("the summary carries the state hash, equal for equal runs") {
  const std::string args = "run " + std::string(VTLAB_ROM_DIR) + "/hello.elf --max-insns 5000 --serial none";
  Result a = cli_e2e::run_vtlab(args), b = cli_e2e::run_vtlab(args);
  std::smatch ma, mb;
  REQUIRE(std::regex_search(a.output, ma, kSummary));
  REQUIRE(std::regex_search(b.output, mb, kSummary));
  CHECK(ma[1] == "5000");
  CHECK(ma[3] == mb[3]);
  Result c = cli_e2e::run_vtlab("run " + std::string(VTLAB_ROM_DIR) + "/hello.elf --max-insns 5001 --serial none");
  std::smatch mc;
  REQUIRE(std::regex_search(c.output, mc, kSummary));
  CHECK(mc[3] != ma[3]);
}

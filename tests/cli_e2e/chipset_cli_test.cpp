// The chipset's command-line face: a keystroke script drives a guest that
// echoes COM1 (deterministically), --rtc sets the guest's date, and a
// guest's reset or ACPI poweroff ends the run with the summary and status
// docs/cli.md gives.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <string>

#include "tests/cli_e2e/child.h"

namespace {

using cli_e2e::Result;

std::string write_file(const std::string& name, const std::string& bytes) {
  std::string path = std::string(VTLAB_TEST_TMP) + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Real mode at 0x7c00: echo every byte COM1 receives; exit through port
// 0xf4 with the byte after echoing a 'q'.
//   start: mov dx, 0x3fd; wait: in al, dx; test al, 1; jz wait
//          mov dx, 0x3f8; in al, dx; out dx, al; cmp al, 'q'; jne start
//          out 0xf4, al; jmp $
const std::string kEcho(
    "\xba\xfd\x03\xec\xa8\x01\x74\xfb\xba\xf8\x03\xec\xee\x3c\x71\x75\xef\xe6\xf4\xeb\xfe", 21);
// Prints the RTC's year and month bytes (BCD) on COM1, then exits with 0.
//   mov al, 9; out 0x70, al; in al, 0x71; mov dx, 0x3f8; out dx, al
//   mov al, 8; out 0x70, al; in al, 0x71; out dx, al; mov al, 0; out 0xf4, al
const std::string kRtcYear("\xb0\x09\xe6\x70\xe4\x71\xba\xf8\x03\xee\xb0\x08\xe6\x70\xe4\x71\xee\xb0\x00\xe6\xf4",
                           21);

const std::regex kSummary(R"(vtlab: (\d+) instructions retired, (.*), state hash ([0-9a-f]{16}))");

}  // namespace

TEST_CASE("--serial-in keys: a keystroke script drives the guest at fixed ticks, the same way every run") {
  const std::string image = write_file("echo.bin", kEcho);
  const std::string keys = write_file("echo.keys", "# two lines, then quit\n@100000 hello\\n\n@+1000000 vtlab\\nq\n");
  const std::string args = "run " + image + " --flat 0x7c00 --serial-in keys:" + keys;
  Result a = cli_e2e::run_vtlab(args), b = cli_e2e::run_vtlab(args);
  CAPTURE(a.output);
  CHECK(a.status == ((0x71 << 1) | 1));
  CHECK(a.output.find("hello\nvtlab\nq") == 0);
  std::smatch ma, mb;
  REQUIRE(std::regex_search(a.output, ma, kSummary));
  REQUIRE(std::regex_search(b.output, mb, kSummary));
  CHECK(ma[1] == mb[1]);  // instructions
  CHECK(ma[3] == mb[3]);  // state hash
  // The second entry is released at tick 1,100,000; its seventh byte, 'q',
  // comes six UART polls (100,000 ticks each) after its first.
  CHECK(std::stoull(ma[1]) > 1'100'000 + 5 * 100'000);
  // A malformed script is refused before the run, naming the line.
  const std::string bad = write_file("bad.keys", "@100 a\nb\n");
  Result r = cli_e2e::run_vtlab("run " + image + " --flat 0x7c00 --serial-in keys:" + bad);
  CHECK(r.status == 2);
  CHECK(r.output.find("keystroke script '" + bad + "': line 2: expected '@TICKS TEXT'") != std::string::npos);
}

TEST_CASE("--rtc: the guest's RTC starts at the given UTC date, 2024-01-01 by default") {
  const std::string image = write_file("rtc.bin", kRtcYear);
  Result d = cli_e2e::run_vtlab("run " + image + " --flat 0x7c00");
  CHECK(d.status == 1);
  CHECK(d.output.substr(0, 2) == std::string("\x24\x01", 2));
  Result r = cli_e2e::run_vtlab("run " + image + " --flat 0x7c00 --rtc 1999-12-31T23:00:00");
  CHECK(r.output.substr(0, 2) == std::string("\x99\x12", 2));
  Result bad = cli_e2e::run_vtlab("run " + image + " --flat 0x7c00 --rtc 2024-02-30T00:00:00");
  CHECK(bad.status == 2);
  CHECK(bad.output.find("--rtc: '2024-02-30T00:00:00' is not 'host' or a UTC date") != std::string::npos);
}

TEST_CASE("a guest's reset and ACPI poweroff end the run with their summaries") {
  // mov dx, 0xcf9; mov al, 6; out dx, al; jmp $
  const std::string reset = write_file("reset.bin", std::string("\xba\xf9\x0c\xb0\x06\xee\xeb\xfe", 8));
  Result r = cli_e2e::run_vtlab("run " + reset + " --flat 0x7c00");
  CHECK(r.status == 0);
  CHECK(r.output.find("the guest reset the machine through the reset control register (port 0xcf9) (stopped: "
                      "--on-reset stop)") != std::string::npos);
  Result again = cli_e2e::run_vtlab("run " + reset + " --flat 0x7c00 --on-reset reset --max-insns 100000");
  CHECK(again.status == 0);
  CHECK(again.output.find("instruction limit reached, after ") != std::string::npos);
  // mov dx, 0x604; mov ax, 0x2000 (SLP_EN, SLP_TYP 0: S5 as QEMU); out dx, ax; jmp $
  const std::string off = write_file("poweroff.bin", std::string("\xba\x04\x06\xb8\x00\x20\xef\xeb\xfe", 9));
  Result p = cli_e2e::run_vtlab("run " + off + " --flat 0x7c00");
  CHECK(p.status == 0);
  CHECK(p.output.find("3 instructions retired, powered off (ACPI S5)") != std::string::npos);
}

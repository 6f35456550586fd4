// What a person whose guest misbehaved gets to see: --log lines (unimp,
// guest-errors, int), each starting with the instruction count, nothing
// when --log is not given, and a triple fault's summary naming the event
// that began the chain with its instruction disassembled.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli_e2e/child.h"

namespace {

using cli_e2e::Result;
using cli_e2e::run_vtlab;

// A flat binary for 32-bit protected mode at 0x100000 (no IDT: any
// exception ends in a triple fault).
std::string flat32(const std::string& name, const std::string& code) {
  std::string path = std::string(VTLAB_TEST_TMP) + "/" + name;
  std::ofstream(path, std::ios::binary) << code;
  return "run " + path + " --flat 0x100000";
}

// Touches unclaimed ports and MMIO, then exits through the debug port.
const std::string kUnclaimed = std::string(
    "\xb0\x03\xe6\x80"      // mov al, 3; out 0x80, al
    "\xe4\x2e"              // in al, 0x2e (Super I/O index on some boards; nothing in vtlab)
    "\xa1\x00\x00\x00\xc0"  // mov eax, [0xc0000000] (the hole)
    "\xa3\x10\x00\x00\xc0"  // mov [0xc0000010], eax
    "\xb0\x00\xe6\xf4",     // mov al, 0; out 0xf4, al
    20);
// mov ecx, 0x12345678; rdmsr: #GP(0), and with no IDT a triple fault.
const std::string kBadMsr = "\xb9\x78\x56\x34\x12\x0f\x32";
// nop; salc (D6: undocumented by Intel, but decoded, and executed by the
// hardware in legacy modes; vtlab does not implement it): #UD. RSM, the
// example before, now raises the #UD the SDM gives outside SMM.
const std::string kUnimplemented = "\x90\xd6";
// nop; 0f 04 (no such instruction): #UD.
const std::string kInvalid = "\x90\x0f\x04";

// The log lines of `category` in `output`, without their instruction count.
std::vector<std::string> log_lines(const std::string& output, const std::string& category) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  const std::regex line("^(\\d+) " + category + ": (.*)$");
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) lines.push_back(m[2]);
  }
  return lines;
}

bool has_any_log_line(const std::string& output) {
  return std::regex_search(output, std::regex("(^|\n)\\d+ (unimp|guest-errors|int): "));
}

}  // namespace

TEST_CASE("--log int: every exception the faults ROM raises, with vector, error code, RIP and CR2") {
  Result r = run_vtlab("run " + std::string(VTLAB_ROM_DIR) + "/faults.elf --serial none --log int");
  CHECK(r.status == 1);
  const std::vector<std::string> expected = {
      "INT 0x3 (software), return RIP 0x100011",
      "#UD (vector 6), RIP 0x100012",
      "#DE (vector 0), RIP 0x100029",
      "#UD (vector 6), RIP 0x10002c",
      "INT 0x3 (software), return RIP 0x100030",
      "#GP (vector 13) error 0x0, RIP 0x10003b",
      "#GP (vector 13) error 0x80, RIP 0x100044",
      "#PF (vector 14) error 0x0, RIP 0x10004c, CR2 0x40000123",
      "#PF (vector 14) error 0x2, RIP 0x100055, CR2 0x40000123",
      "#DB (vector 1), RIP 0x100067",
  };
  CHECK(log_lines(r.output, "int") == expected);
  // Instruction counts grow from line to line.
  std::istringstream in(r.output);
  unsigned long long last = 0;
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_match(l, m, std::regex("^(\\d+) int: .*"))) continue;
    CHECK(std::stoull(m[1]) > last);
    last = std::stoull(m[1]);
  }
}

TEST_CASE("--log guest-errors: unclaimed port and MMIO accesses with size, value and RIP") {
  Result r = run_vtlab(flat32("unclaimed.bin", kUnclaimed) + " --log guest-errors");
  CHECK(r.status == 1);
  std::vector<std::string> expected = {
      "write to unclaimed port 0x80 (1 byte): 0x3, RIP 0x100002",
      "read from unclaimed port 0x2e (1 byte) gives all ones, RIP 0x100004",
      "read from unclaimed MMIO address 0xc0000000 (4 bytes) gives all ones, RIP 0x100006",
      "write to unclaimed MMIO address 0xc0000010 (4 bytes): 0xffffffff, RIP 0x10000b",
  };
  CHECK(log_lines(r.output, "guest-errors") == expected);
  // Counted in instructions retired before the one that made the access.
  CHECK(r.output.find("1 guest-errors: write to unclaimed port 0x80") == 0);
  CHECK(r.output.find("\n3 guest-errors: read from unclaimed MMIO") != std::string::npos);

  r = run_vtlab(flat32("invalid.bin", kInvalid) + " --log guest-errors");
  CHECK(log_lines(r.output, "guest-errors") ==
        std::vector<std::string>{
            "#UD at decode, RIP 0x100001: bytes 0f 04 00 00 00 00 00 00 ... (not a valid instruction)"});
}

TEST_CASE("--log unimp: refused MSRs and instructions vtlab does not implement") {
  Result r = run_vtlab(flat32("badmsr.bin", kBadMsr) + " --log unimp");
  CHECK(log_lines(r.output, "unimp") ==
        std::vector<std::string>{"RDMSR 0x12345678 refused (no such MSR in vtlab's model): #GP(0), RIP 0x100005"});
  r = run_vtlab(flat32("salc.bin", kUnimplemented) + " --log unimp");
  CHECK(log_lines(r.output, "unimp") ==
        std::vector<std::string>{
            "#UD at decode, RIP 0x100001: salc (d6): valid, but vtlab does not implement it yet"});
  // The run's note names it the same way.
  CHECK(
      r.output.find("note: the guest executed salc (d6) at RIP 0x100001, which vtlab does not implement yet") !=
      std::string::npos);
}

TEST_CASE("without --log nothing is logged; categories not asked for stay quiet") {
  for (const std::string& args :
       {"run " + std::string(VTLAB_ROM_DIR) + "/faults.elf --serial none", flat32("unclaimed.bin", kUnclaimed),
        flat32("badmsr.bin", kBadMsr), flat32("salc.bin", kUnimplemented)}) {
    CAPTURE(args);
    Result r = run_vtlab(args);
    CHECK_FALSE(has_any_log_line(r.output));
  }
  Result r = run_vtlab(flat32("unclaimed.bin", kUnclaimed) + " --log int,unimp");
  CHECK(log_lines(r.output, "guest-errors").empty());
}

TEST_CASE("--log-file takes the lines off stderr") {
  const std::string log = std::string(VTLAB_TEST_TMP) + "/guest-errors.log";
  Result r = run_vtlab(flat32("unclaimed.bin", kUnclaimed) + " --log guest-errors --log-file " + log);
  CHECK(r.status == 1);
  CHECK_FALSE(has_any_log_line(r.output));
  std::ifstream f(log);
  std::string text{std::istreambuf_iterator<char>(f), {}};
  CHECK(log_lines(text, "guest-errors").size() == 4);
  // A log file that cannot be written is reported.
  r = run_vtlab(flat32("unclaimed.bin", kUnclaimed) + " --log guest-errors --log-file /dev/full");
  CHECK(r.status == 2);
  CHECK(r.output.find("cannot write log file '/dev/full'") != std::string::npos);
}

TEST_CASE("an unknown log category: exit 2 with the valid ones") {
  Result r = run_vtlab(flat32("unclaimed.bin", kUnclaimed) + " --log int,guest_errors");
  CHECK(r.status == 2);
  CHECK(r.output.find("'guest_errors' is not a log category (valid: unimp, guest-errors, int)") != std::string::npos);
}

TEST_CASE("a triple fault's summary names the first event of the chain and its instruction") {
  Result r = run_vtlab(flat32("badmsr.bin", kBadMsr));
  CHECK(r.status == 3);
  CHECK(r.output.find("triple fault: #GP while delivering #DF; the chain began with #GP (vector 13, error code "
                      "0x0) at CS:RIP 0x10:0x100005: rdmsr (0f 32), state hash ") != std::string::npos);
  r = run_vtlab(flat32("invalid.bin", kInvalid));
  CHECK(r.status == 3);
  CHECK(r.output.find("the chain began with #UD (vector 6, no error code) at CS:RIP 0x10:0x100001: bytes 0f 04 00 "
                      "00 00 00 00 00 ... (not a valid instruction)") != std::string::npos);
}

// Machine::run: slices, host stop conditions (a stop signal, a failing serial
// output) and the instruction limit.
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "tests/machine/guest.h"

using namespace vtlab;
using machine_test::code_at;

namespace {

// Fails on the first newline, as a full disk would.
class FailingSink final : public ByteSink {
 public:
  void write(u8 byte) override {
    ++bytes;
    if (byte == '\n' && failure_.empty()) {
      failure_ = "cannot write serial output to 'test': No space left on device";
      if (on_failure) on_failure();
    }
  }
  std::string failure() const override { return failure_; }
  int bytes = 0;

 private:
  std::string failure_;
};

// 32-bit: print "ab\n" on COM1 (0x3f8) forever.
const std::vector<u8> kPrintLoop = {
    0x66, 0xba, 0xf8, 0x03,  // mov dx, 0x3f8
    0xb0, 'a',  0xee,        // mov al, 'a'; out dx, al
    0xb0, 'b',  0xee,        // mov al, 'b'; out dx, al
    0xb0, '\n', 0xee,        // mov al, '\n'; out dx, al
    0xeb, 0xf2,              // jmp back to the first mov al
};

}  // namespace

TEST_CASE("a stop signal ends the run at the end of the slice, with the signal's status") {
  std::atomic<int> stop{SIGTERM};
  MachineConfig cfg;
  cfg.stop_signal = &stop;
  Machine m(cfg);
  m.load(code_at(0x7c00, machine_test::kSpin));
  RunResult r = m.run();
  CHECK(r.end == RunEnd::Signal);
  CHECK(r.signal == SIGTERM);
  CHECK(r.host_status() == 128 + SIGTERM);
  CHECK(r.instructions == Machine::kSlice);  // one slice, then the flag was seen
  CHECK(r.summary().find("ended by SIGTERM") != std::string::npos);
  REQUIRE(r.state_hash.has_value());  // hash_at_end is on by default
  CHECK(*r.state_hash == m.state_hash());
  char hex[48];
  std::snprintf(hex, sizeof hex, ", state hash %016llx", static_cast<unsigned long long>(*r.state_hash));
  CHECK(r.summary().find(hex) != std::string::npos);
}

TEST_CASE("runs without a stop signal are cut into slices that do not change the result") {
  MachineConfig cfg;
  cfg.hash_at_end = false;  // b runs 1000 instructions at a time
  Machine a(cfg), b(cfg);
  a.load(code_at(0x7c00, machine_test::kSpin));
  b.load(code_at(0x7c00, machine_test::kSpin));
  const u64 n = 3 * Machine::kSlice + 12345;
  RunResult ra = a.run(n);
  RunResult rb{};
  for (u64 done = 0; done < n; done += 1000) rb = b.run(std::min<u64>(1000, n - done));
  CHECK(ra.end == RunEnd::InsnLimit);
  CHECK(ra.instructions == n);
  CHECK(rb.instructions == n);
  CHECK_FALSE(ra.state_hash.has_value());
  CHECK(a.state_hash() == b.state_hash());
}

TEST_CASE("a limit near 2^64 does not wrap around on a later run") {
  std::atomic<int> stop{0};
  MachineConfig cfg;
  cfg.stop_signal = &stop;
  Machine m(cfg);
  m.load(code_at(0x7c00, machine_test::kSpin));
  m.run(1000);
  stop = SIGINT;  // ends the endless run after one slice
  RunResult r = m.run(~u64(0) - 10);
  // Had 1000 + limit wrapped around, the run would have stopped at once.
  CHECK(r.instructions == 1000 + Machine::kSlice);
}

TEST_CASE("a failing serial output stops the run at once, outranking the guest's own ending") {
  FailingSink sink;
  MachineConfig cfg;
  cfg.serial_out = &sink;
  Machine m(cfg);
  m.load(code_at(0x100000, kPrintLoop));
  RunResult r = m.run(10'000'000);
  CHECK(r.end == RunEnd::HostIoError);
  CHECK(r.host_status() == 2);
  CHECK(r.detail == "cannot write serial output to 'test': No space left on device");
  CHECK(r.summary().find("stopped: cannot write serial output to 'test'") != std::string::npos);
  CHECK(r.instructions < 100);  // stopped at the failing OUT, not at the end of a slice
}

// Keystroke scripts (--serial-in keys:PATH): the format, its errors, and
// bytes released at their virtual times through a UART.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "core/base/error.h"
#include "devices/uart16550/key_script.h"
#include "tests/devices/uart_rig.h"

using namespace vtlab;
using namespace vtlab::uart16550;

TEST_CASE("key script: absolute and relative times, escapes, comments") {
  const auto e = parse_key_script(
      "# log in and look around\n"
      "\n"
      "@1000 root\\n\n"
      "@+500 uname -a\\r\\n\n"
      "@0x1000 \\x1b[A \\\\ \\t\\e\n"
      "@5000\r\n"
      "@5000 two spaces:  kept  \n");
  REQUIRE(e.size() == 5);
  CHECK(e[0] == KeyScriptEntry{1000, "root\n"});
  CHECK(e[1] == KeyScriptEntry{1500, "uname -a\r\n"});
  CHECK(e[2] == KeyScriptEntry{0x1000, "\x1b[A \\ \t\x1b"});
  CHECK(e[3] == KeyScriptEntry{5000, ""});
  CHECK(e[4] == KeyScriptEntry{5000, "two spaces:  kept  "});
}

TEST_CASE("key script: malformed lines are refused with their line number") {
  const std::pair<const char*, const char*> bad[] = {
      {"root\n", "line 1: expected '@TICKS TEXT' or a '#' comment"},
      {"@100 a\n@50 b\n", "line 2: time 50 is before the previous entry's 100"},
      {"@abc x\n", "line 1: 'abc' is not a tick count"},
      {"@ x\n", "line 1: '' is not a tick count"},
      {"@99999999999999999999 x\n", "line 1: '99999999999999999999' is not a tick count"},
      {"@18446744073709551615 x\n@+1 y\n", "line 2: the time overflows"},
      {"@1 a\\q\n", "line 1: unknown escape '\\q'"},
      {"@1 a\\x4\n", "line 1: \\x needs two hex digits"},
      {"@1 a\\", "line 1: a '\\' ends the line"},
  };
  for (const auto& [text, message] : bad) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(parse_key_script(text), doctest::Contains(message), Error);
  }
}

TEST_CASE("key script: bytes reach the guest from their tick on, one per UART poll") {
  KeyScriptInput input({{300'000, "ab"}, {310'000, "c"}, {2'000'000, "d"}});
  test::UartRig r(&input);
  input.bind_clock(r.scheduler);
  r.init_8n1();
  auto until = [&](u64 t) { r.advance(t - r.scheduler.now()); };
  // The UART polls every 100 us (100,000 ticks): at 300,000 the first byte
  // is due.
  until(299'999);
  CHECK((r.in(kLsr)&kLsrDataReady) == 0);
  until(300'000);
  CHECK(r.uart.view().rx_count == 1);
  until(500'000);
  CHECK(r.uart.view().rx_count == 3);  // 'c' right behind 'b' (its time had come)
  CHECK(r.in(kRbrThr) == 'a');
  CHECK(r.in(kRbrThr) == 'b');
  CHECK(r.in(kRbrThr) == 'c');
  until(1'999'999);
  CHECK((r.in(kLsr)&kLsrDataReady) == 0);
  until(2'000'000);
  CHECK(r.in(kRbrThr) == 'd');
  CHECK(input.exhausted());
  // Exhausted: the UART stops polling (no more events).
  until(3'000'000);
  CHECK(r.scheduler.next_deadline() == Scheduler::kNever);
}

TEST_CASE("key script file: read and parsed; errors name the file") {
  const std::string path = std::string(VTLAB_TEST_TMP) + "/keys.txt";
  {
    std::ofstream f(path);
    f << "@10 ls\\n\n";
  }
  KeyScriptInput in = KeyScriptInput::from_file(path);
  CHECK(in.remaining() == 3);
  {
    std::ofstream f(path);
    f << "@10 ls\n@5 x\n";
  }
  const std::string message = "keystroke script '" + path + "': line 2: time 5 is before";
  CHECK_THROWS_WITH_AS(KeyScriptInput::from_file(path), doctest::Contains(message.c_str()), Error);
  CHECK_THROWS_WITH_AS(KeyScriptInput::from_file(path + ".missing"), doctest::Contains("cannot read keystroke script"),
                       Error);
}

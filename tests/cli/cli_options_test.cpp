// Command lines in, parsed values or error messages out.
#include <doctest/doctest.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/log.h"
#include "frontend/options.h"

using namespace vtlab;
using namespace vtlab::cli;

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    parse_arguments(args);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

constexpr u64 MiB = u64(1) << 20;

}  // namespace

TEST_CASE("good command lines") {
  struct Row {
    const char* line;
    std::function<void(const Options&)> check;
  };
  const Row rows[] = {
      {"--help",
       [](const Options& o) {
         CHECK(o.command == Command::Help);
         CHECK(o.help_topic == HelpTopic::General);
       }},
      {"-h", [](const Options& o) { CHECK(o.command == Command::Help); }},
      {"--version", [](const Options& o) { CHECK(o.command == Command::Version); }},
      {"run --help",
       [](const Options& o) {
         CHECK(o.command == Command::Help);
         CHECK(o.help_topic == HelpTopic::Run);
       }},
      {"run --bogus --help", [](const Options& o) { CHECK(o.help_topic == HelpTopic::Run); }},
      {"bench --help", [](const Options& o) { CHECK(o.help_topic == HelpTopic::Bench); }},
      {"run kernel.elf",
       [](const Options& o) {
         CHECK(o.command == Command::Run);
         CHECK(o.run.image == "kernel.elf");
         CHECK(o.run.mem_bytes == kDefaultMemBytes);
         CHECK(o.run.serial.kind == SerialOutput::Kind::Stdio);
         CHECK(o.run.serial_in.kind == SerialInput::Kind::None);
         CHECK_FALSE(o.run.max_insns.has_value());
         CHECK_FALSE(o.run.cmdline.has_value());
         CHECK(o.run.modules.empty());
         CHECK_FALSE(o.run.flat_addr.has_value());
         CHECK_FALSE(o.run.quiet);
         CHECK(o.run.log_mask == 0);
         CHECK_FALSE(o.run.log_file.has_value());
       }},
      {"run --mem 64M k", [](const Options& o) { CHECK(o.run.mem_bytes == 64 * MiB); }},
      {"run k --mem 2m", [](const Options& o) { CHECK(o.run.mem_bytes == 2 * MiB); }},
      {"run k --mem=4096k", [](const Options& o) { CHECK(o.run.mem_bytes == 4 * MiB); }},
      {"run k --mem 1G", [](const Options& o) { CHECK(o.run.mem_bytes == 1024 * MiB); }},
      {"run k --mem 1t", [](const Options& o) { CHECK(o.run.mem_bytes == (u64(1) << 40)); }},
      {"run k --mem 1024G", [](const Options& o) { CHECK(o.run.mem_bytes == (u64(1) << 40)); }},
      {"run k --mem 2097152", [](const Options& o) { CHECK(o.run.mem_bytes == 2 * MiB); }},
      {"run k --mem 0x8000000", [](const Options& o) { CHECK(o.run.mem_bytes == 128 * MiB); }},
      {"run k --serial none", [](const Options& o) { CHECK(o.run.serial.kind == SerialOutput::Kind::None); }},
      {"run k --serial file:out/com1.log",
       [](const Options& o) {
         CHECK(o.run.serial == SerialOutput{SerialOutput::Kind::File, "out/com1.log"});
       }},
      {"run k --serial=file:a=b", [](const Options& o) { CHECK(o.run.serial.path == "a=b"); }},
      {"run k --serial-in stdin", [](const Options& o) { CHECK(o.run.serial_in.kind == SerialInput::Kind::Stdin); }},
      {"run k --serial-in file:keys.txt",
       [](const Options& o) {
         CHECK(o.run.serial_in == SerialInput{SerialInput::Kind::File, "keys.txt"});
       }},
      {"run k --serial-in keys:session.keys",
       [](const Options& o) {
         CHECK(o.run.serial_in == SerialInput{SerialInput::Kind::Keys, "session.keys"});
       }},
      {"run k",
       [](const Options& o) {
         CHECK(o.run.on_reset == OnReset::Stop);
         CHECK(o.run.rtc == RtcStart{false, 1'704'067'200});
       }},
      {"run k --on-reset reset", [](const Options& o) { CHECK(o.run.on_reset == OnReset::Reset); }},
      {"run k --on-reset=stop", [](const Options& o) { CHECK(o.run.on_reset == OnReset::Stop); }},
      {"run k --rtc host", [](const Options& o) { CHECK(o.run.rtc.host); }},
      {"run k --rtc 2000-02-29T12:00:00",
       [](const Options& o) {
         CHECK(o.run.rtc == RtcStart{false, 951'825'600});
       }},
      {"run k --max-insns 1000000", [](const Options& o) { CHECK(o.run.max_insns == 1000000u); }},
      {"run k --max-insns 0x10", [](const Options& o) { CHECK(o.run.max_insns == 16u); }},
      {"run k --max-insns 0XfF", [](const Options& o) { CHECK(o.run.max_insns == 255u); }},
      {"run k --max-insns 18446744073709551615", [](const Options& o) { CHECK(o.run.max_insns == ~u64(0)); }},
      {"run k --max-insns 0xffffffffffffffff", [](const Options& o) { CHECK(o.run.max_insns == ~u64(0)); }},
      {"run k --flat 0x100000", [](const Options& o) { CHECK(o.run.flat_addr == 0x100000u); }},
      {"run k --flat 0", [](const Options& o) { CHECK(o.run.flat_addr == 0u); }},
      {"run k --cmdline console=ttyS0", [](const Options& o) { CHECK(o.run.cmdline == "console=ttyS0"); }},
      {"run k --cmdline --quiet",
       [](const Options& o) {  // a value is taken verbatim
         CHECK(o.run.cmdline == "--quiet");
         CHECK_FALSE(o.run.quiet);
       }},
      {"run k --module a.bin --module b.bin --module=c.bin",
       [](const Options& o) {
         CHECK(o.run.modules == std::vector<std::string>{"a.bin", "b.bin", "c.bin"});
       }},
      {"run --quiet k --quiet", [](const Options& o) { CHECK(o.run.quiet); }},
      {"run bzImage --initrd rd.img --cmdline console=ttyS0 --cpus 1 --mem 512M",
       [](const Options& o) {
         CHECK(o.run.initrd == "rd.img");
         CHECK(o.run.cpus == 1u);
         CHECK(o.run.cmdline == "console=ttyS0");
       }},
      {"run k",
       [](const Options& o) {
         CHECK_FALSE(o.run.initrd.has_value());
         CHECK(o.run.cpus == 1u);
       }},
      {"run k --cpus 4", [](const Options& o) { CHECK(o.run.cpus == 4u); }},
      {"run k --cpus=15", [](const Options& o) { CHECK(o.run.cpus == 15u); }},
      {"run k --log int", [](const Options& o) { CHECK(o.run.log_mask == u32(LogCategory::Int)); }},
      {"run k --log unimp,guest-errors,int",
       [](const Options& o) {
         CHECK(o.run.log_mask == (u32(LogCategory::Unimp) | u32(LogCategory::GuestErrors) | u32(LogCategory::Int)));
       }},
      {"run k --log=guest-errors --log unimp --log-file trace.log",
       [](const Options& o) {
         CHECK(o.run.log_mask == (u32(LogCategory::Unimp) | u32(LogCategory::GuestErrors)));
         CHECK(o.run.log_file == "trace.log");
       }},
      {"run k --log int,int", [](const Options& o) { CHECK(o.run.log_mask == u32(LogCategory::Int)); }},
      {"run -- -odd-name.elf", [](const Options& o) { CHECK(o.run.image == "-odd-name.elf"); }},
      {"run -- --help",
       [](const Options& o) {
         CHECK(o.command == Command::Run);
         CHECK(o.run.image == "--help");
       }},
      {"run -", [](const Options& o) { CHECK(o.run.image == "-"); }},
      {"bench",
       [](const Options& o) {
         CHECK(o.command == Command::Bench);
         CHECK_FALSE(o.bench.rom.has_value());
         CHECK_FALSE(o.bench.max_insns.has_value());
       }},
      {"bench loop.bin --max-insns 0x1000",
       [](const Options& o) {
         CHECK(o.bench.rom == "loop.bin");
         CHECK(o.bench.max_insns == 0x1000u);
       }},
  };
  for (const Row& row : rows) {
    std::string line = row.line;
    CAPTURE(line);
    Options o;
    REQUIRE_NOTHROW(o = parse_arguments(split(row.line)));
    row.check(o);
  }
}

TEST_CASE("bad command lines name the problem and point to --help") {
  struct Row {
    const char* line;
    const char* expected;  // a substring of the message
  };
  const Row rows[] = {
      {"", "no command given"},
      {"frobnicate", "unknown command 'frobnicate'"},
      {"--mem 4M run k", "unknown option '--mem'"},
      {"run", "missing IMAGE"},
      {"run --mem 4M", "missing IMAGE"},
      {"run a b", "unexpected argument 'b'"},
      {"run k --bogus", "unknown option '--bogus'"},
      {"run k -x", "unknown option '-x'"},
      {"run k --mem", "option '--mem' needs a value (SIZE)"},
      {"run k --flat", "option '--flat' needs a value"},
      {"run k --mem 4M --mem 8M", "option '--mem' given twice"},
      {"run k --serial none --serial=stdio", "option '--serial' given twice"},
      {"run k --cmdline a --cmdline b", "option '--cmdline' given twice"},
      {"run k --max-insns 1 --max-insns 2", "'--max-insns' given twice"},
      {"run k --quiet=yes", "option '--quiet' takes no value"},
      {"run k --mem 0", "must not be zero"},
      {"run k --mem 0M", "must not be zero"},
      {"run k --mem 1M", "below the minimum of 2 MiB"},
      {"run k --mem 2097151", "below the minimum of 2 MiB"},
      {"run k --mem 2T", "above the maximum of 1 TiB"},
      {"run k --mem 1025G", "above the maximum of 1 TiB"},
      {"run k --mem 99999999999999999999", "too large"},
      {"run k --mem 17179869184G", "too large"},
      {"run k --mem 0x10000000000000000", "too large"},
      {"run k --mem lots", "'lots' is not a size"},
      {"run k --mem M", "'M' is not a size"},
      {"run k --mem 4MB", "'4MB' is not a size"},
      {"run k --mem -4M", "'-4M' is not a size"},
      {"run k --mem 4.5M", "not a size"},
      {"run k --mem 0x", "not a size"},
      {"run k --mem 3000001", "not a multiple of 4 KiB"},
      {"run k --max-insns ten", "--max-insns: 'ten' is not a number"},
      {"run k --max-insns -1", "not a number"},
      {"run k --max-insns 0x", "not a number"},
      {"run k --max-insns 12abc", "not a number"},
      {"run k --max-insns 0x1g", "not a number"},
      {"run k --max-insns 18446744073709551616", "--max-insns: '18446744073709551616' is too large"},
      {"run k --max-insns 0x10000000000000000", "too large"},
      {"run k --flat 0x1_000", "--flat: '0x1_000' is not a number"},
      {"run k --flat 99999999999999999999999", "--flat: '99999999999999999999999' is too large"},
      {"run k --serial tty", "--serial: 'tty' is not one of stdio, file:PATH, none"},
      {"run k --cpus 16", "--cpus 16: at most 15 vCPUs"},
      {"run k --cpus 0", "--cpus: a machine needs at least 1 vCPU"},
      {"run k --cpus two", "--cpus: 'two' is not a number"},
      {"run k --initrd a --initrd b", "given twice"},
      {"run k --initrd=", "--initrd needs a non-empty path"},
      {"run k --serial file:", "'file:' needs a path"},
      {"run k --serial-in stdio", "--serial-in: 'stdio' is not one of stdin, file:PATH, keys:PATH, none"},
      {"run k --serial-in keys:", "'keys:' needs a path"},
      {"run k --on-reset reboot", "--on-reset: 'reboot' is not one of stop, reset"},
      {"run k --on-reset stop --on-reset reset", "option '--on-reset' given twice"},
      {"run k --rtc now", "--rtc: 'now' is not 'host' or a UTC date and time YYYY-MM-DDTHH:MM:SS"},
      {"run k --rtc 2023-02-29T00:00:00", "--rtc: '2023-02-29T00:00:00' is not 'host'"},
      {"run k --serial-in file:", "'file:' needs a path"},
      {"run k --log bogus", "--log: 'bogus' is not a log category (valid: unimp, guest-errors, int)"},
      {"run k --log int,bogus", "'bogus' is not a log category (valid: unimp, guest-errors, int)"},
      {"run k --log guest_errors", "'guest_errors' is not a log category"},
      {"run k --log INT", "'INT' is not a log category"},
      {"run k --log int,", "an empty name is not a log category (valid: unimp, guest-errors, int)"},
      {"run k --log ,int", "an empty name is not a log category"},
      {"run k --log", "option '--log' needs a value (LIST)"},
      {"run k --log-file x.log", "--log-file needs --log"},
      {"run k --log int --log-file a --log-file b", "option '--log-file' given twice"},
      {"bench a b", "unexpected argument 'b'"},
      {"bench --mem 4M", "unknown option '--mem'"},
      {"bench --max-insns", "needs a value"},
      {"bench --max-insns x", "not a number"},
  };
  for (const Row& row : rows) {
    std::string line = row.line;
    CAPTURE(line);
    std::string message = error_of(split(row.line));
    CHECK(message.find(row.expected) != std::string::npos);
    CHECK(message.find("--help") != std::string::npos);
  }
}

TEST_CASE("empty values") {
  CHECK(error_of({"run", "k", "--module", ""}).find("--module needs a non-empty path") != std::string::npos);
  CHECK(error_of({"run", ""}).find("IMAGE is an empty path") != std::string::npos);
  CHECK(error_of({"run", "k", "--log", ""}).find("an empty name is not a log category") != std::string::npos);
  CHECK(error_of({"run", "k", "--log", "int", "--log-file", ""}).find("--log-file needs a non-empty path") !=
        std::string::npos);
  Options o = parse_arguments({"run", "k", "--cmdline", ""});
  CHECK(o.run.cmdline == "");
}

TEST_CASE("errors carry the command's help pointer") {
  CHECK(error_of({"run", "k", "--bogus"}).find("see 'vtlab run --help'") != std::string::npos);
  CHECK(error_of({"bench", "--bogus"}).find("see 'vtlab bench --help'") != std::string::npos);
  CHECK(error_of({"nope"}).find("see 'vtlab --help'") != std::string::npos);
}

TEST_CASE("parse_command_line skips the program name") {
  std::string a0 = "/usr/bin/vtlab", a1 = "run", a2 = "img.elf", a3 = "--mem", a4 = "8M";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), nullptr};
  Options o = parse_command_line(5, argv);
  CHECK(o.command == Command::Run);
  CHECK(o.run.image == "img.elf");
  CHECK(o.run.mem_bytes == 8 * MiB);
  CHECK_THROWS_AS(parse_command_line(1, argv), Error);
}

TEST_CASE("help texts list every option of their command") {
  std::string general = help_text(HelpTopic::General);
  for (const char* s : {"run IMAGE", "bench", "--help", "--version"}) CHECK(general.find(s) != std::string::npos);
  std::string run = help_text(HelpTopic::Run);
  for (const char* s : {"--mem SIZE", "--serial WHERE",  "stdio",         "file:PATH",       "--serial-in FROM",
                        "stdin",      "--max-insns N",   "--cmdline STR", "--module PATH",   "--flat ADDR",
                        "--quiet",    "--help",          "--log LIST",    "--log-file PATH", "state hash",
                        "128 + n",    "--on-reset WHAT", "--rtc WHEN",    "keys:PATH",       "ACPI poweroff"})
    CHECK(run.find(s) != std::string::npos);
  // Every log category is listed with what it logs.
  for (const LogCategoryInfo& c : log_categories()) {
    CAPTURE(c.name);
    CHECK(run.find("  " + std::string(c.name) + " ") != std::string::npos);
    CHECK(run.find(std::string(c.what)) != std::string::npos);
  }
  CHECK(help_text(HelpTopic::Bench).find("--max-insns N") != std::string::npos);
  CHECK(version_text() == std::string("vtlab ") + kVersion + "\n");
}

// The vtlab command line, parsed into a plain value. The parser is pure: it
// reads no files and prints nothing; bad input throws vtlab::Error with a
// message that names the option and points to --help.
//
//   vtlab run IMAGE [--mem SIZE] [--serial stdio|file:PATH|none]
//                   [--serial-in stdin|file:PATH|keys:PATH|none] [--max-insns N]
//                   [--on-reset stop|reset] [--rtc host|YYYY-MM-DDTHH:MM:SS]
//                   [--cmdline STR] [--module PATH]... [--initrd PATH] [--cpus N]
//                   [--flat ADDR] [--quiet]
//                   [--log CATEGORIES]... [--log-file PATH]
//   vtlab bench [ROM] [--max-insns N]
//   vtlab --help | vtlab run --help | vtlab bench --help | vtlab --version
//
// Options may come before or after the positional argument, as `--opt VALUE`
// or `--opt=VALUE`; `--` ends the options.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/types.h"

namespace vtlab::cli {

inline constexpr const char* kVersion = "0.1.0";

inline constexpr u64 kMiB = u64(1) << 20;
inline constexpr u64 kDefaultMemBytes = 256 * kMiB;
inline constexpr u64 kMinMemBytes = 2 * kMiB;
inline constexpr u64 kMaxMemBytes = u64(1) << 40;  // 1 TiB

enum class Command { Help, Version, Run, Bench };
enum class HelpTopic { General, Run, Bench };

// Where COM1's output goes.
struct SerialOutput {
  enum class Kind { Stdio, File, None };
  Kind kind = Kind::Stdio;
  std::string path;  // Kind::File
  bool operator==(const SerialOutput&) const = default;
};

// Where COM1's input comes from. The default is none, so a run depends only
// on its image unless the user asks for live input.
// Keys: a keystroke script (devices/uart16550/key_script.h).
struct SerialInput {
  enum class Kind { Stdin, File, Keys, None };
  Kind kind = Kind::None;
  std::string path;  // Kind::File, Kind::Keys
  bool operator==(const SerialInput&) const = default;
};

// What a reset of the machine does (core/machine/machine.h ResetAction).
enum class OnReset { Stop, Reset };

// The RTC's time at power-on: a fixed moment (UTC seconds since 1970), or
// the host's clock.
struct RtcStart {
  bool host = false;
  i64 seconds = 1'704'067'200;  // 2024-01-01T00:00:00Z (kDefaultRtcEpoch)
  bool operator==(const RtcStart&) const = default;
};

struct RunOptions {
  std::string image;
  u64 mem_bytes = kDefaultMemBytes;
  SerialOutput serial;
  SerialInput serial_in;
  std::optional<u64> max_insns;        // none: run until the guest ends the run
  std::optional<std::string> cmdline;  // kernel command line (Multiboot / Linux)
  std::vector<std::string> modules;    // in command-line order
  std::optional<std::string> initrd;   // Linux initial ramdisk
  unsigned cpus = 1;                   // vCPUs (1 to platform::kMaxCpus)
  std::optional<u64> flat_addr;        // load IMAGE as a flat binary here, and enter it there
  OnReset on_reset = OnReset::Stop;
  RtcStart rtc;
  bool quiet = false;
  u32 log_mask = 0;                     // LogCategory bits (core/base/log.h); 0: no log
  std::optional<std::string> log_file;  // none: the log goes to stderr
};

struct BenchOptions {
  std::optional<std::string> rom;  // none: the built-in benchmark set
  std::optional<u64> max_insns;
};

struct Options {
  Command command = Command::Help;
  HelpTopic help_topic = HelpTopic::General;  // Command::Help
  RunOptions run;                             // Command::Run
  BenchOptions bench;                         // Command::Bench
};

// argv[0] is the program name and is ignored.
Options parse_command_line(int argc, char** argv);
// The same on the arguments after the program name.
Options parse_arguments(const std::vector<std::string>& args);

std::string help_text(HelpTopic topic = HelpTopic::General);
std::string version_text();

// Value parsers, exposed for tests and fuzzing. `what` names the option in
// error messages. SIZE: decimal bytes with an optional K/M/G/T suffix (KiB,
// MiB, GiB, TiB; case-insensitive) or 0x hex bytes; 2 MiB .. 1 TiB, a multiple
// of 4 KiB. NUMBER: decimal or 0x hex, 0 .. 2^64-1.
u64 parse_mem_size(std::string_view text, std::string_view what);
u64 parse_number(std::string_view text, std::string_view what);

}  // namespace vtlab::cli

#include "frontend/options.h"

#include <algorithm>
#include <cctype>
#include <span>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/base/wall_clock.h"
#include "core/machine/platform_layout.h"

namespace vtlab::cli {

namespace {

// One row per option: the parser, the duplicate check and the help text all
// read this table.
template <typename Target>
struct OptionSpec {
  std::string_view name;
  std::string_view metavar;  // empty for a flag
  std::string_view help;
  bool repeatable;
  void (*apply)(Target& out, std::string_view value);
};

// Built by appending: GCC 12 warns falsely (-Wrestrict, PR 105651) on
// "literal" + std::string at -O3.
std::string quoted(std::string_view s) {
  std::string q(1, '\'');
  q += s;
  q += '\'';
  return q;
}

bool is_hex_prefixed(std::string_view s) { return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'); }

int digit_value(char c, unsigned base) {
  int d = -1;
  if (c >= '0' && c <= '9')
    d = c - '0';
  else if (c >= 'a' && c <= 'f')
    d = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    d = c - 'A' + 10;
  return d >= 0 && unsigned(d) < base ? d : -1;
}

// Digits only (no sign, no spaces); nullopt if malformed; throws on overflow.
std::optional<u64> parse_digits(std::string_view digits, unsigned base, std::string_view what, std::string_view text) {
  if (digits.empty()) return std::nullopt;
  u64 value = 0;
  for (char c : digits) {
    int d = digit_value(c, base);
    if (d < 0) return std::nullopt;
    if (value > (~u64(0) - u64(d)) / base) throw Error(std::string(what) + ": " + quoted(text) + " is too large");
    value = value * base + u64(d);
  }
  return value;
}

std::string describe_bytes(u64 bytes) {
  if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

SerialOutput parse_serial_output(std::string_view v) {
  if (v == "stdio") return {SerialOutput::Kind::Stdio, ""};
  if (v == "none") return {SerialOutput::Kind::None, ""};
  if (v.starts_with("file:")) {
    if (v.size() == 5) throw Error("--serial: 'file:' needs a path, e.g. file:serial.log");
    return {SerialOutput::Kind::File, std::string(v.substr(5))};
  }
  throw Error("--serial: " + quoted(v) + " is not one of stdio, file:PATH, none");
}

SerialInput parse_serial_input(std::string_view v) {
  if (v == "stdin") return {SerialInput::Kind::Stdin, ""};
  if (v == "none") return {SerialInput::Kind::None, ""};
  if (v.starts_with("file:")) {
    if (v.size() == 5) throw Error("--serial-in: 'file:' needs a path, e.g. file:input.txt");
    return {SerialInput::Kind::File, std::string(v.substr(5))};
  }
  if (v.starts_with("keys:")) {
    if (v.size() == 5) throw Error("--serial-in: 'keys:' needs a path, e.g. keys:session.keys");
    return {SerialInput::Kind::Keys, std::string(v.substr(5))};
  }
  throw Error("--serial-in: " + quoted(v) + " is not one of stdin, file:PATH, keys:PATH, none");
}

OnReset parse_on_reset(std::string_view v) {
  if (v == "stop") return OnReset::Stop;
  if (v == "reset") return OnReset::Reset;
  throw Error("--on-reset: " + quoted(v) + " is not one of stop, reset");
}

RtcStart parse_rtc(std::string_view v) {
  if (v == "host") return RtcStart{true, 0};
  if (std::optional<i64> t = parse_utc_datetime(v)) return RtcStart{false, *t};
  throw Error("--rtc: " + quoted(v) + " is not 'host' or a UTC date and time YYYY-MM-DDTHH:MM:SS");
}

std::string non_empty(std::string_view v, std::string_view what) {
  if (v.empty()) throw Error(std::string(what) + " needs a non-empty path");
  return std::string(v);
}

// 1 to platform::kMaxCpus (the MADT's APIC IDs and the IOAPIC's ID must fit
// the IOAPIC's 4-bit ID register).
unsigned parse_cpus(std::string_view v) {
  const u64 n = parse_number(v, "--cpus");
  if (n == 0) throw Error("--cpus: a machine needs at least 1 vCPU");
  if (n > platform::kMaxCpus) {
    throw Error(std::string("--cpus ") + std::to_string(n) + ": at most " + std::to_string(platform::kMaxCpus) +
                " vCPUs (their APIC IDs and the IOAPIC's must fit its 4-bit ID)");
  }
  return unsigned(n);
}

u32 parse_log_list(std::string_view v) {
  try {
    return parse_log_categories(v);
  } catch (const Error& e) {
    throw Error(std::string("--log: ") + e.what());
  }
}

// The category table of the run help, from the log's own table.
std::string log_category_lines() {
  std::string out;
  for (const LogCategoryInfo& c : log_categories()) {
    std::string left(2, ' ');
    left += c.name;
    left.resize(std::max<std::size_t>(left.size() + 2, 24), ' ');
    out += left;
    out += c.what;
    out += '\n';
  }
  return out;
}

const OptionSpec<RunOptions> kRunOptions[] = {
    {"--mem", "SIZE", "guest RAM: bytes or with a K/M/G/T suffix, 2M..1T (default 256M)", false,
     [](RunOptions& o, std::string_view v) { o.mem_bytes = parse_mem_size(v, "--mem"); }},
    {"--serial", "WHERE", "COM1 output: stdio (default), file:PATH or none", false,
     [](RunOptions& o, std::string_view v) { o.serial = parse_serial_output(v); }},
    {"--serial-in", "FROM", "COM1 input: stdin (live), file:PATH, keys:PATH (a keystroke script) or none (default)",
     false, [](RunOptions& o, std::string_view v) { o.serial_in = parse_serial_input(v); }},
    {"--on-reset", "WHAT", "when the guest resets the machine: stop (default) or reset", false,
     [](RunOptions& o, std::string_view v) { o.on_reset = parse_on_reset(v); }},
    {"--rtc", "WHEN", "RTC time at power-on: host, or YYYY-MM-DDTHH:MM:SS UTC (default 2024-01-01T00:00:00)", false,
     [](RunOptions& o, std::string_view v) { o.rtc = parse_rtc(v); }},
    {"--max-insns", "N", "stop after N instructions (decimal or 0x hex)", false,
     [](RunOptions& o, std::string_view v) { o.max_insns = parse_number(v, "--max-insns"); }},
    {"--cmdline", "STR", "kernel command line (Multiboot, Linux)", false,
     [](RunOptions& o, std::string_view v) { o.cmdline = std::string(v); }},
    {"--module", "PATH", "a Multiboot boot module; may be repeated", true,
     [](RunOptions& o, std::string_view v) { o.modules.push_back(non_empty(v, "--module")); }},
    {"--initrd", "PATH", "initial ramdisk for a Linux kernel (bzImage)", false,
     [](RunOptions& o, std::string_view v) { o.initrd = non_empty(v, "--initrd"); }},
    {"--cpus", "N", "number of vCPUs, 1-15 (default 1); vCPU 0 boots, the others wait for INIT-SIPI-SIPI", false,
     [](RunOptions& o, std::string_view v) { o.cpus = parse_cpus(v); }},
    {"--flat", "ADDR", "load IMAGE as a flat binary at ADDR and start there", false,
     [](RunOptions& o, std::string_view v) { o.flat_addr = parse_number(v, "--flat"); }},
    {"--quiet", "", "print nothing but the guest's serial output", false,
     [](RunOptions& o, std::string_view) { o.quiet = true; }},
    {"--log", "LIST", "log diagnostics to stderr: comma-separated categories (below); may be repeated", true,
     [](RunOptions& o, std::string_view v) { o.log_mask |= parse_log_list(v); }},
    {"--log-file", "PATH", "write the --log lines to PATH instead of stderr", false,
     [](RunOptions& o, std::string_view v) { o.log_file = non_empty(v, "--log-file"); }},
};

const OptionSpec<BenchOptions> kBenchOptions[] = {
    {"--max-insns", "N", "instructions per benchmark (decimal or 0x hex)", false,
     [](BenchOptions& o, std::string_view v) { o.max_insns = parse_number(v, "--max-insns"); }},
};

bool is_help_flag(std::string_view a) { return a == "--help" || a == "-h"; }

[[noreturn]] void fail(std::string_view command, const std::string& message) {
  std::string prefix = command.empty() ? "vtlab: " : "vtlab " + std::string(command) + ": ";
  std::string help = command.empty() ? "vtlab --help" : "vtlab " + std::string(command) + " --help";
  throw Error(prefix + message + " (see '" + help + "')");
}

// Parses options and positional arguments of one command into `out`.
template <typename Target>
std::vector<std::string> parse_options(std::string_view command, std::span<const OptionSpec<Target>> specs,
                                       std::span<const std::string> args, Target& out) {
  std::vector<std::string> positionals;
  std::vector<std::string_view> seen;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (std::size_t eq = name.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.name == name; });
    if (spec == specs.end()) fail(command, "unknown option " + quoted(name));
    // A repeated flag changes nothing, so only valued options are checked.
    bool single_valued = !spec->repeatable && !spec->metavar.empty();
    if (single_valued && std::find(seen.begin(), seen.end(), spec->name) != seen.end())
      fail(command, "option " + quoted(name) + " given twice");
    seen.push_back(spec->name);

    std::string_view value;
    if (spec->metavar.empty()) {
      if (inline_value) fail(command, "option " + quoted(name) + " takes no value");
    } else if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      fail(command, "option " + quoted(name) + " needs a value (" + std::string(spec->metavar) + ")");
    }
    try {
      spec->apply(out, value);
    } catch (const Error& e) {
      fail(command, e.what());
    }
  }
  return positionals;
}

template <typename Target>
std::string option_lines(std::span<const OptionSpec<Target>> specs) {
  std::string out;
  for (const auto& s : specs) {
    std::string left(2, ' ');
    left += s.name;
    if (!s.metavar.empty()) {
      left += ' ';
      left += s.metavar;
    }
    left.resize(std::max<std::size_t>(left.size() + 2, 24), ' ');
    out += left;
    out += s.help;
    out += '\n';
  }
  return out;
}

Options parse_run(std::span<const std::string> args) {
  Options o;
  o.command = Command::Run;
  std::vector<std::string> pos = parse_options<RunOptions>("run", kRunOptions, args, o.run);
  if (pos.empty()) fail("run", "missing IMAGE");
  if (pos.size() > 1) fail("run", "unexpected argument " + quoted(pos[1]) + " (IMAGE is " + quoted(pos[0]) + ")");
  if (pos[0].empty()) fail("run", "IMAGE is an empty path");
  if (o.run.log_file && !o.run.log_mask) fail("run", "--log-file needs --log (nothing would be logged)");
  o.run.image = pos[0];
  return o;
}

Options parse_bench(std::span<const std::string> args) {
  Options o;
  o.command = Command::Bench;
  std::vector<std::string> pos = parse_options<BenchOptions>("bench", kBenchOptions, args, o.bench);
  if (pos.size() > 1) fail("bench", "unexpected argument " + quoted(pos[1]) + " (ROM is " + quoted(pos[0]) + ")");
  if (!pos.empty()) {
    if (pos[0].empty()) fail("bench", "ROM is an empty path");
    o.bench.rom = pos[0];
  }
  return o;
}

// `--help` anywhere among a command's options (before `--`) asks for its help.
bool asks_for_help(std::span<const std::string> args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (is_help_flag(a)) return true;
  }
  return false;
}

}  // namespace

u64 parse_number(std::string_view text, std::string_view what) {
  bool hex = is_hex_prefixed(text);
  std::optional<u64> v = parse_digits(hex ? text.substr(2) : text, hex ? 16 : 10, what, text);
  if (!v) throw Error(std::string(what) + ": " + quoted(text) + " is not a number (decimal or 0x hex)");
  return *v;
}

u64 parse_mem_size(std::string_view text, std::string_view what) {
  const std::string w(what);
  auto not_a_size = [&] {
    return Error(w + ": " + quoted(text) + " is not a size (bytes, or a number with a K, M, G or T suffix)");
  };
  u64 bytes = 0;
  if (is_hex_prefixed(text)) {
    std::optional<u64> v = parse_digits(text.substr(2), 16, what, text);
    if (!v) throw not_a_size();
    bytes = *v;
  } else {
    unsigned shift = 0;
    std::string_view digits = text;
    if (!text.empty()) {
      switch (std::tolower(static_cast<unsigned char>(text.back()))) {
        case 'k':
          shift = 10;
          break;
        case 'm':
          shift = 20;
          break;
        case 'g':
          shift = 30;
          break;
        case 't':
          shift = 40;
          break;
        default:
          break;
      }
      if (shift) digits.remove_suffix(1);
    }
    std::optional<u64> v = parse_digits(digits, 10, what, text);
    if (!v) throw not_a_size();
    if (*v > (~u64(0) >> shift)) throw Error(w + ": " + quoted(text) + " is too large (the maximum is 1 TiB)");
    bytes = *v << shift;
  }
  if (bytes == 0) throw Error(w + ": the memory size must not be zero");
  if (bytes < kMinMemBytes) throw Error(w + ": " + quoted(text) + " is below the minimum of 2 MiB");
  if (bytes > kMaxMemBytes) throw Error(w + ": " + quoted(text) + " is above the maximum of 1 TiB");
  if (bytes % 4096)
    throw Error(w + ": " + quoted(text) + " (" + describe_bytes(bytes) + ") is not a multiple of 4 KiB");
  return bytes;
}

Options parse_arguments(const std::vector<std::string>& args) {
  if (args.empty()) fail("", "no command given");
  const std::string& first = args[0];
  std::span<const std::string> rest(args.begin() + 1, args.end());
  if (is_help_flag(first)) return Options{};
  if (first == "--version") {
    Options o;
    o.command = Command::Version;
    return o;
  }
  if (first == "run" || first == "bench") {
    if (asks_for_help(rest)) {
      Options o;
      o.help_topic = first == "run" ? HelpTopic::Run : HelpTopic::Bench;
      return o;
    }
    return first == "run" ? parse_run(rest) : parse_bench(rest);
  }
  if (first.starts_with("-")) fail("", "unknown option " + quoted(first) + " (options go after the command)");
  fail("", "unknown command " + quoted(first));
}

Options parse_command_line(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return parse_arguments(args);
}

std::string version_text() { return std::string("vtlab ") + kVersion + "\n"; }

std::string help_text(HelpTopic topic) {
  switch (topic) {
    case HelpTopic::Run:
      return "usage: vtlab run IMAGE [options]\n"
             "\n"
             "Boots IMAGE (a Multiboot 1/2 kernel: ELF32, ELF64 or a.out kludge; a flat\n"
             "binary with --flat) and runs it until the guest ends the run (isa-debug-exit\n"
             "port 0xf4) or the instruction limit is reached.\n"
             "\n"
             "options:\n" +
             option_lines<RunOptions>(kRunOptions) +
             "  --help                show this help\n"
             "\n"
             "SIZE is in bytes unless suffixed K, M, G or T (KiB, MiB, GiB, TiB).\n"
             "N and ADDR are decimal or 0x-prefixed hex.\n"
             "\n"
             "log categories (--log unimp,int ...; each line starts with the instruction count):\n" +
             log_category_lines() +
             "\n"
             "At the end a summary goes to stderr: instructions retired, why the run ended,\n"
             "and the machine's state hash (equal runs give equal hashes). SIGINT or SIGTERM\n"
             "end the run with the summary too.\n"
             "\n"
             "A reset the guest asks for (port 0x92, 0xcf9, the i8042) ends the run with a\n"
             "summary naming it unless --on-reset reset, which restarts the machine and\n"
             "the image; a triple fault does the same. An ACPI poweroff ends the run.\n"
             "\n"
             "exit status: (v << 1) | 1 when the guest writes v to port 0xf4 (as QEMU);\n"
             "0 at the instruction limit, a halt nothing can end, an ACPI poweroff or a\n"
             "reset the guest asked for (as QEMU -no-reboot); 2 bad options, an image or\n"
             "file that cannot be used, or a failed write to the serial output; 3 triple\n"
             "fault; 4 the guest needed a feature vtlab does not have yet; 128 + n ended by\n"
             "signal n (130 for SIGINT, 143 for SIGTERM).\n";
    case HelpTopic::Bench:
      return "usage: vtlab bench [ROM] [options]\n"
             "\n"
             "Runs a benchmark ROM and prints guest instructions, seconds and MIPS; with\n"
             "qemu-system-x86_64 installed, also QEMU TCG's time on the same ROM and the\n"
             "ratio. Without ROM it runs this build's roms/bench.elf (compute) and\n"
             "roms/faultbench.elf (exception round trips, also printed per second).\n"
             "\n"
             "options:\n" +
             option_lines<BenchOptions>(kBenchOptions) + "  --help                show this help\n";
    case HelpTopic::General:
      break;
  }
  return "usage: vtlab COMMAND [options]\n"
         "\n"
         "vtlab is a software x86-64 PC, deterministic and built to be looked inside;\n"
         "VT-x, EPT and VT-d are on its way.\n"
         "\n"
         "commands:\n"
         "  run IMAGE [options]   boot and run a guest image\n"
         "  bench [ROM]           run benchmark ROMs and print MIPS\n"
         "\n"
         "  --help                show this help ('vtlab run --help' for run's options)\n"
         "  --version             show the version\n";
}

}  // namespace vtlab::cli

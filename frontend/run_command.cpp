#include "frontend/run_command.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/base/error.h"
#include "core/base/host_file.h"
#include "core/base/wall_clock.h"
#include "core/machine/loader/load_image.h"
#include "core/machine/machine.h"
#include "devices/uart16550/host_input.h"
#include "devices/uart16550/key_script.h"

namespace vtlab {
namespace {

// The handler only stores the signal's number; the Machine looks at it
// between run slices, so the summary is printed from normal code.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only touch a lock-free atomic");

extern "C" void on_stop_signal(int signo) { g_stop_signal.store(signo, std::memory_order_relaxed); }

// SIGINT and SIGTERM end the run at the next slice with a summary. The
// handler is reset after the first signal, so a second Ctrl-C kills vtlab
// at once should anything keep it from reaching the end of a slice (an
// output it waits to write). SIGPIPE is ignored: a write to a pipe whose
// reader has gone fails with EPIPE and is reported like any write error.
void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int run_command(const cli::RunOptions& opts) {
  // First, so that a signal during loading ends the run as well (after its
  // first slice), with a summary.
  install_signal_handlers();
  std::unique_ptr<ByteSink> sink;
  switch (opts.serial.kind) {
    case cli::SerialOutput::Kind::Stdio:
      sink = std::make_unique<StdoutSink>();
      break;
    case cli::SerialOutput::Kind::File:
      sink = std::make_unique<FileSink>(opts.serial.path);
      break;
    case cli::SerialOutput::Kind::None:
      break;
  }
  std::unique_ptr<ByteInput> input;
  switch (opts.serial_in.kind) {
    case cli::SerialInput::Kind::Stdin:
      input = std::make_unique<StdinInput>();
      break;
    case cli::SerialInput::Kind::File:
      input = std::make_unique<FileInput>(opts.serial_in.path);
      break;
    case cli::SerialInput::Kind::Keys:
      input = std::make_unique<KeyScriptInput>(KeyScriptInput::from_file(opts.serial_in.path));
      break;
    case cli::SerialInput::Kind::None:
      break;
  }

  // The log: stderr, or a file opened like the serial output (never blocking).
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> log_file(nullptr, &std::fclose);
  if (opts.log_file) {
    log_file.reset(::fdopen(open_output_file(*opts.log_file, "log file").release(), "w"));
    if (!log_file) throw Error("cannot write log file '" + *opts.log_file + "': " + std::strerror(errno));
  }
  std::FILE* log_out = log_file ? log_file.get() : stderr;

  BootOptions boot;
  boot.image_path = opts.image;
  boot.cmdline = opts.cmdline.value_or("");
  boot.module_paths = opts.modules;
  boot.initrd_path = opts.initrd.value_or("");
  boot.flat = opts.flat_addr.has_value();
  boot.flat_addr = opts.flat_addr.value_or(0);
  boot.ram_size = opts.mem_bytes;
  BootImage image = load_image(boot);

  // The RTC's seed: fixed unless the user asks for the host's clock (live input).
  std::unique_ptr<WallClock> wall_clock;
  if (opts.rtc.host)
    wall_clock = std::make_unique<HostWallClock>();
  else
    wall_clock = std::make_unique<FixedWallClock>(opts.rtc.seconds);

  MachineConfig cfg;
  cfg.ram_bytes = opts.mem_bytes;
  cfg.cpus = opts.cpus;
  cfg.serial_out = sink.get();
  cfg.serial_in = input.get();
  cfg.wall_clock = wall_clock.get();
  cfg.on_reset = opts.on_reset == cli::OnReset::Reset ? ResetAction::Reset : ResetAction::Stop;
  cfg.stop_signal = &g_stop_signal;
  Machine m(cfg);
  m.load(image);
  m.log().enable(opts.log_mask, log_out);
  RunResult r = m.run(opts.max_insns);
  // A host I/O error is the user's to fix, so it is printed even with --quiet.
  if (!opts.quiet || r.end == RunEnd::HostIoError) std::fprintf(stderr, "%s\n", r.summary().c_str());
  if (log_file && (std::fflush(log_file.get()) != 0 || std::ferror(log_file.get()))) {
    std::fprintf(stderr, "vtlab: error: cannot write log file '%s': %s\n", opts.log_file->c_str(),
                 std::strerror(errno ? errno : EIO));
    return 2;
  }
  return r.host_status();
}

}  // namespace vtlab

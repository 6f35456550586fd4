#include "frontend/bench.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/machine/loader/load_image.h"
#include "core/machine/machine.h"

namespace vtlab {
namespace {

namespace fs = std::filesystem;

// The benchmark ROMs `vtlab bench` runs when no ROM is named: the build puts
// them in <build>/roms and this program in <build>/frontend.
struct DefaultBench {
  const char* rom;
  const char* what;
  u64 round_trips;  // exception round trips the ROM makes (0: a compute benchmark)
};
constexpr DefaultBench kDefaultBenches[] = {
    {"bench.elf", "compute (crc32, sort, sieve, matmul, pointer chase, copy)", 0},
    {"faultbench.elf", "exception round trips (#UD #BP #GP #PF -> handler -> IRETQ)", 4'000'000},
};

std::string default_rom(const char* name, const char* argv0) {
  fs::path exe = fs::read_symlink("/proc/self/exe");
  fs::path rom = exe.parent_path().parent_path() / "roms" / name;
  if (!fs::exists(rom)) throw Error(std::string("cannot find ") + name + " next to " + argv0 + "; pass the ROM path");
  return rom.string();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs a program with its output discarded; returns its exit status, or -1
// if it could not run. No shell: arguments (a ROM path) are passed as is.
int run_quietly(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1), dup2(devnull, 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// QEMU TCG on the same ROM, for the ratio. Returns seconds, or < 0 when
// QEMU is not installed or the run did not end through the debug exit.
double time_qemu(const std::string& rom) {
  auto t0 = std::chrono::steady_clock::now();
  int status = run_quietly({"qemu-system-x86_64", "-accel", "tcg", "-kernel", rom, "-nographic", "-no-reboot",
                            "-monitor", "none", "-display", "none", "-serial", "null", "-device",
                            "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", "128"});
  double s = seconds_since(t0);
  // isa-debug-exit with code 0 makes QEMU exit with status 1.
  return status == 1 ? s : -1;
}

}  // namespace

namespace {

// Runs one ROM, prints its figures; true if it ended with debug-exit code 0.
bool run_bench(const std::string& rom, const char* what, u64 round_trips, std::optional<u64> max_insns) {
  BootOptions boot;
  boot.image_path = rom;
  boot.ram_size = 128ull << 20;
  BootImage image = load_image(boot);

  MachineConfig cfg;
  cfg.ram_bytes = boot.ram_size;
  Machine m(cfg);
  m.load(image);
  auto t0 = std::chrono::steady_clock::now();
  RunResult r = m.run(max_insns);
  double secs = seconds_since(t0);
  const bool ok = r.end == RunEnd::DebugExit && r.exit_value == 0;
  double mips = double(r.instructions) / secs / 1e6;
  std::printf("rom:           %s\n", rom.c_str());
  if (what) std::printf("measures:      %s\n", what);
  std::printf("result:        %s\n", r.summary().c_str());
  std::printf("instructions:  %llu\n", static_cast<unsigned long long>(r.instructions));
  std::printf("seconds:       %.3f\n", secs);
  std::printf("MIPS:          %.1f\n", mips);
  if (round_trips && ok) std::printf("round trips/s: %.0f\n", double(round_trips) / secs);
  std::printf("blocks decoded: %llu\n", static_cast<unsigned long long>(m.cpu().blocks_decoded()));
  double q = max_insns ? -1 : time_qemu(rom);
  if (q > 0) {
    std::printf("qemu tcg:      %.3f s (%.1f MIPS on the same instruction count)\n", q,
                double(r.instructions) / q / 1e6);
    std::printf("ratio:         %.2fx QEMU TCG's speed\n", q / secs);
  } else {
    std::printf("qemu tcg:      not measured (qemu-system-x86_64 not installed or run failed)\n");
  }
  return ok;
}

}  // namespace

int bench_command(const cli::BenchOptions& opts, const char* argv0) {
  if (opts.rom) return run_bench(*opts.rom, nullptr, 0, opts.max_insns) ? 0 : 1;
  bool ok = true;
  for (const DefaultBench& b : kDefaultBenches) {
    if (&b != kDefaultBenches) std::printf("\n");
    ok = run_bench(default_rom(b.rom, argv0), b.what, b.round_trips, opts.max_insns) && ok;
  }
  return ok ? 0 : 1;
}

}  // namespace vtlab

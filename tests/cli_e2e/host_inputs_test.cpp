// Every path given to `vtlab run` (IMAGE, --module, --serial-in file:,
// --serial file:) that cannot be used gives exit status 2 and a message
// naming the path and the reason, within a time bound: never a hang (a FIFO
// or /dev/zero read without end), never an internal error. A failing write
// to the serial output ends the run with status 2 and the OS's reason.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/cli_e2e/child.h"

namespace {

using cli_e2e::Result;
using cli_e2e::run_vtlab;
namespace fs = std::filesystem;

const std::string kHello = std::string(VTLAB_ROM_DIR) + "/hello.elf";
// Seconds. A refusal takes well under a second; the bound only catches a
// vtlab that reads a device without end, and is wide because a sanitizer
// build on a loaded 2-core machine once needed more than 10 s to start.
constexpr double kBound = 60;

// A scratch directory with a FIFO and a sparse file, removed afterwards.
struct Scratch {
  fs::path dir = fs::path(VTLAB_TEST_TMP) / ("host_inputs_" + std::to_string(::getpid()));
  std::string fifo = (dir / "fifo").string();
  std::string sparse = (dir / "sparse.bin").string();  // 3 GiB, no blocks
  Scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    int fd = ::open(sparse.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, off_t(3) << 30) == 0);
    ::close(fd);
  }
  ~Scratch() { fs::remove_all(dir); }
};

// Runs `args`; expects exit status 2 and every one of `words` in the output.
void expect_refused(const std::string& args, std::initializer_list<std::string> words) {
  CAPTURE(args);
  Result r = run_vtlab(args, kBound);
  CAPTURE(r.output);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 2);
  CHECK(r.output.find("vtlab: error: ") != std::string::npos);
  for (const std::string& w : words) CHECK_MESSAGE(r.output.find(w) != std::string::npos, "missing: " << w);
}

}  // namespace

TEST_CASE("a directory is refused as image, module, serial input and serial output") {
  Scratch s;
  const std::string d = s.dir.string();
  expect_refused("run " + d, {"kernel '" + d + "'", "is a directory"});
  expect_refused("run " + kHello + " --module " + d, {"module '" + d + "'", "is a directory"});
  expect_refused("run " + kHello + " --serial-in file:" + d, {"serial input file '" + d + "'", "is a directory"});
  expect_refused("run " + kHello + " --serial file:" + d, {"serial output file '" + d + "'", "is a directory"});
}

TEST_CASE("a FIFO is refused without blocking in open") {
  Scratch s;
  expect_refused("run " + s.fifo, {"kernel '" + s.fifo + "'", "FIFO"});
  expect_refused("run " + s.fifo + " --flat 0x7c00", {"flat binary '" + s.fifo + "'", "FIFO"});
  expect_refused("run " + kHello + " --module " + s.fifo, {"module '" + s.fifo + "'", "FIFO"});
  expect_refused("run " + kHello + " --serial-in file:" + s.fifo, {"serial input file '" + s.fifo + "'", "FIFO"});
  // Output to a FIFO nobody reads would block: refused at once.
  expect_refused("run " + kHello + " --serial file:" + s.fifo, {s.fifo, "no process has open for reading"});
}

TEST_CASE("serial output to a FIFO that has a reader works") {
  Scratch s;
  int reader = ::open(s.fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  Result r = run_vtlab("run " + kHello + " --serial file:" + s.fifo, kBound);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 1);  // debug-exit code 0
  char buf[8192];
  ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  REQUIRE(n > 0);
  CHECK(std::string(buf, std::size_t(n)).find("Hello from vtlab!") != std::string::npos);
}

TEST_CASE("devices that read without end are refused") {
  for (const char* dev : {"/dev/zero", "/dev/urandom"}) {
    const std::string d = dev;
    expect_refused("run " + d, {"kernel '" + d + "'", "character device"});
    expect_refused("run " + d + " --flat 0x7c00", {"flat binary '" + d + "'", "character device"});
    expect_refused("run " + kHello + " --module " + d, {"module '" + d + "'", "character device"});
    expect_refused("run " + kHello + " --serial-in file:" + d, {"serial input file '" + d + "'", "character device"});
  }
}

TEST_CASE("a file larger than the guest's RAM is refused before it is read") {
  Scratch s;
  expect_refused("run " + kHello + " --mem 2M --module " + s.sparse,
                 {"module '" + s.sparse + "'", "3221225472 bytes", "larger than the guest RAM set by --mem"});
  expect_refused("run " + s.sparse + " --mem 2M --flat 0x100000",
                 {"flat binary '" + s.sparse + "'", "larger than the guest RAM"});
  // Two modules that fit alone but not together.
  std::string half = (s.dir / "half.bin").string();
  int fd = ::open(half.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, off_t(3) << 20) == 0);
  ::close(fd);
  expect_refused("run " + kHello + " --mem 4M --module " + half + " --module " + half,
                 {"module '" + half + "'", "RAM left after the modules before it"});
  // A kernel file is mapped, not read: a sparse 3 GiB file without a
  // Multiboot header is rejected after looking at its first 32 KiB.
  expect_refused("run " + s.sparse + " --mem 2M", {s.sparse, "no Multiboot header"});
}

TEST_CASE("serial output may go to a character device") {
  Result r = run_vtlab("run " + kHello + " --serial file:/dev/null", kBound);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 1);
  CHECK(r.output.find("Hello") == std::string::npos);
}

TEST_CASE("a failing serial output ends the run with status 2 and the OS's reason") {
  Result r = run_vtlab("run " + kHello + " --serial file:/dev/full", kBound);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 2);
  CHECK(r.output.find("cannot write serial output to '/dev/full': No space left on device") != std::string::npos);
  // The same for standard output, even with --quiet.
  r = run_vtlab("run " + kHello + " --quiet >/dev/full", kBound);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 2);
  CHECK(r.output.find("cannot write serial output to standard output: No space left on device") != std::string::npos);
}

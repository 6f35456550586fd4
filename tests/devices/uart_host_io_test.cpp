// Host ends of the serial port: sinks for output, inputs for the receiver.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/base/error.h"
#include "devices/uart16550/byte_sink.h"
#include "devices/uart16550/host_input.h"

using namespace vtlab;

namespace {

std::filesystem::path temp_path(const char* name) {
  return std::filesystem::temp_directory_path() / (std::string("vtlab_") + std::to_string(::getpid()) + "_" + name);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("FileSink writes every byte, flushed at newlines") {
  auto path = temp_path("sink.txt");
  {
    FileSink sink(path.string());
    for (char c : std::string("line one\nline")) sink.write(u8(c));
    CHECK(slurp(path) == "line one\n");  // visible before close: flushed at the newline
    sink.write(0);
  }
  CHECK(slurp(path) == std::string("line one\nline\0", 14));
  std::filesystem::remove(path);
}

TEST_CASE("FileSink names the path it cannot open") {
  std::string bad = "/nonexistent-dir-for-vtlab/out.txt";
  CHECK_THROWS_WITH_AS(FileSink{bad}, doctest::Contains(bad.c_str()), Error);
}

TEST_CASE("a failed write is recorded with the OS's reason, reported once, and later bytes are dropped") {
  FileSink sink("/dev/full");
  int failures = 0;
  sink.on_failure = [&] { ++failures; };
  for (char c : std::string("abc")) sink.write(u8(c));
  CHECK(sink.failure().empty());  // buffered until a newline or flush
  sink.write('\n');
  CHECK(sink.failure() == "cannot write serial output to '/dev/full': No space left on device");
  sink.write('x');
  sink.flush();
  CHECK(failures == 1);
}

TEST_CASE("FileSink: a character device is fine; a FIFO without a reader and a directory are refused at once") {
  FileSink devnull("/dev/null");
  devnull.write('\n');
  CHECK(devnull.failure().empty());

  auto dir = temp_path("sink_dir");
  std::filesystem::create_directories(dir);
  auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(FileSink{fifo.string()}, doctest::Contains("no process has open for reading"), Error);
  CHECK_THROWS_WITH_AS(FileSink{dir.string()}, doctest::Contains("is a directory"), Error);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  {
    FileSink sink(fifo.string());
    for (char c : std::string("hi\n")) sink.write(u8(c));
  }
  char buf[8] = {};
  CHECK(::read(reader, buf, sizeof buf) == 3);
  CHECK(std::string(buf) == "hi\n");
  ::close(reader);
  std::filesystem::remove_all(dir);
}

TEST_CASE("CaptureSink keeps the text") {
  CaptureSink sink;
  sink.write('o');
  sink.write('k');
  CHECK(sink.text() == "ok");
  sink.clear();
  CHECK(sink.text().empty());
}

TEST_CASE("FileInput hands out the whole file, then nothing") {
  auto path = temp_path("in.bin");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string("a\0b", 3);
  }
  FileInput input(path.string());
  CHECK(input.remaining() == 3);
  CHECK(input.poll() == std::optional<u8>('a'));
  CHECK(input.poll() == std::optional<u8>(0));
  CHECK(input.poll() == std::optional<u8>('b'));
  CHECK_FALSE(input.poll().has_value());
  CHECK_FALSE(input.poll().has_value());
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(FileInput{path.string()}, doctest::Contains(path.string().c_str()), Error);
}

TEST_CASE("FileInput reads a large file in chunks, in order") {
  auto path = temp_path("big_in.bin");
  std::string bytes;
  for (int i = 0; i < 200000; ++i) bytes.push_back(char(i * 7 + i / 256));
  std::ofstream(path, std::ios::binary) << bytes;
  FileInput input(path.string());
  CHECK(input.remaining() == bytes.size());
  std::string got;
  while (auto b = input.poll()) got.push_back(char(*b));
  CHECK(got == bytes);
  CHECK(input.failure().empty());
  std::filesystem::remove(path);
}

TEST_CASE("FileInput refuses what is not a regular file, without blocking") {
  auto dir = temp_path("in_dir");
  std::filesystem::create_directories(dir);
  auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(FileInput{fifo.string()}, doctest::Contains("is a FIFO (named pipe), not a regular file"),
                       Error);
  CHECK_THROWS_WITH_AS(FileInput{dir.string()}, doctest::Contains("is a directory"), Error);
  CHECK_THROWS_WITH_AS(FileInput{"/dev/zero"}, doctest::Contains("'/dev/zero': it is a character device"), Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("StdinInput reads what is ready and never blocks") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  StdinInput input(fds[0]);
  CHECK_FALSE(input.poll().has_value());  // empty pipe: returns at once
  REQUIRE(::write(fds[1], "xy", 2) == 2);
  CHECK(input.poll() == std::optional<u8>('x'));
  CHECK(input.poll() == std::optional<u8>('y'));
  CHECK_FALSE(input.poll().has_value());
  CHECK_FALSE(input.at_eof());
  ::close(fds[1]);
  CHECK_FALSE(input.poll().has_value());
  CHECK(input.at_eof());
  ::close(fds[0]);
}

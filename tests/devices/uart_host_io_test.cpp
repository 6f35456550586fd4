// Host ends of the serial port: sinks for output, inputs for the receiver.
#include <doctest/doctest.h>
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

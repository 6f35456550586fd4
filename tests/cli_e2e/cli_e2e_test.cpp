// The vtlab program end to end: bad command lines and bad images give exit
// status 2 and a clear message on stderr (never a crash); a good image runs
// and reports its summary.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/cli_e2e/child.h"

namespace {

using cli_e2e::Result;
using cli_e2e::run_vtlab;

std::string temp_file(const std::string& name, const std::vector<unsigned char>& bytes) {
  std::string path = std::string(VTLAB_TEST_TMP) + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return path;
}

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

const std::string kHello = std::string(VTLAB_ROM_DIR) + "/hello.elf";

}  // namespace

TEST_CASE("a good image runs and reports its summary") {
  Result r = run_vtlab("run " + kHello + " --cmdline x=1");
  CHECK(r.status == 1);  // debug-exit code 0 -> (0 << 1) | 1, as QEMU
  CHECK(r.output.find("Hello from vtlab!") != std::string::npos);
  CHECK(r.output.find("instructions retired, debug-exit code 0") != std::string::npos);
}

TEST_CASE("--max-insns stops the run there") {
  Result r = run_vtlab("run " + kHello + " --max-insns 1000 --serial none");
  CHECK(r.status == 0);
  CHECK(r.output.find("vtlab: 1000 instructions retired, instruction limit reached") != std::string::npos);
}

TEST_CASE("bad command lines: exit 2 with a message naming the problem") {
  struct Bad {
    const char* args;
    const char* message;
  };
  const Bad cases[] = {
      {"", "help"},
      {"frobnicate", "frobnicate"},
      {"run", "IMAGE"},
      {"run x.elf --mem", "--mem"},
      {"run x.elf --mem lots", "--mem"},
      {"run x.elf --mem 1K", "--mem"},
      {"run x.elf --max-insns -5", "--max-insns"},
      {"run x.elf --serial tty", "--serial"},
      {"run x.elf --bogus", "--bogus"},
  };
  for (const Bad& b : cases) {
    CAPTURE(b.args);
    Result r = run_vtlab(b.args);
    CHECK(r.status == 2);
    CHECK(r.output.find(b.message) != std::string::npos);
  }
}

TEST_CASE("bad images: exit 2 with a message naming the file, never a crash") {
  std::vector<unsigned char> hello = read_bytes(kHello);
  REQUIRE(hello.size() > 512);
  std::vector<std::pair<std::string, std::vector<unsigned char>>> images = {
      {"empty.bin", {}},
      {"text.bin", {'h', 'e', 'l', 'l', 'o', '\n'}},
      {"truncated-header.elf", {hello.begin(), hello.begin() + 40}},
  };
  // Cut the file in the middle of its first loadable segment (ELF32:
  // e_phoff at 28; in the program header, p_offset at +4, p_filesz at +16).
  auto le32 = [&](size_t at) {
    return hello[at] | hello[at + 1] << 8 | hello[at + 2] << 16 | unsigned(hello[at + 3]) << 24;
  };
  size_t phoff = le32(28), seg_off = le32(phoff + 4), seg_size = le32(phoff + 16);
  REQUIRE(seg_off + seg_size <= hello.size());
  images.push_back({"truncated-body.elf", {hello.begin(), hello.begin() + long(seg_off + seg_size / 2)}});
  // Corrupt the ELF program header table offset.
  std::vector<unsigned char> bad_phoff = hello;
  bad_phoff[28] = 0xff, bad_phoff[29] = 0xff, bad_phoff[30] = 0xff;
  images.push_back({"bad-phoff.elf", bad_phoff});
  for (auto& [name, bytes] : images) {
    CAPTURE(name);
    std::string path = temp_file(name, bytes);
    Result r = run_vtlab("run " + path);
    CHECK(r.status == 2);
    CHECK(r.output.find(name) != std::string::npos);
    CHECK(r.output.find("error") != std::string::npos);
  }
  Result missing = run_vtlab("run /nonexistent/kernel.elf");
  CHECK(missing.status == 2);
  CHECK(missing.output.find("/nonexistent/kernel.elf") != std::string::npos);
}

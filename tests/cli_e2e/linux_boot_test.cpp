// `vtlab run bzImage --initrd FILE --cmdline STR`, QEMU's option
// conventions, end to end: a synthetic kernel boots and reports the first
// byte of its initrd; bad kernels, initrds and options give exit status 2
// and a message naming the problem.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli_e2e/child.h"
#include "tests/loader/bzimage_builder.h"

namespace {

using cli_e2e::Result;
using cli_e2e::run_vtlab;

std::string write_temp(const std::string& name, const std::vector<unsigned char>& bytes) {
  const std::string path = std::string(VTLAB_TEST_TMP) + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return path;
}

std::string probe_kernel(bool long_mode) {
  loader_test::BzSpec s;
  s.xloadflags = long_mode ? 1 : 0;
  s.kernel = loader_test::entry_probe_kernel();
  return write_temp(long_mode ? "probe64.bzImage" : "probe32.bzImage", loader_test::build_bzimage(s));
}

}  // namespace

TEST_CASE("vtlab run bzImage --initrd FILE --cmdline STR boots through the 64-bit and the 32-bit entry") {
  const std::string initrd = write_temp("probe.initrd", loader_test::pattern(0x1000, 0x5a));
  for (bool long_mode : {true, false}) {
    CAPTURE(long_mode);
    Result r = run_vtlab("run " + probe_kernel(long_mode) + " --initrd " + initrd +
                         " --cmdline 'console=ttyS0' --cpus 1 --mem 64M");
    INFO(r.output);
    CHECK(r.status == ((0x5a << 1) | 1));  // QEMU's debug-exit status for the value written
    CHECK(r.output.find("debug-exit code 90") != std::string::npos);
  }
}

TEST_CASE("bad Linux boots: exit 2 and a message naming the file or option") {
  loader_test::BzSpec old;
  old.version = 0x0205;
  const std::string old_kernel = write_temp("old.bzImage", loader_test::build_bzimage(old));
  std::vector<unsigned char> cut = loader_test::build_bzimage(loader_test::BzSpec{});
  cut.resize(0x260);
  const std::string cut_kernel = write_temp("cut.bzImage", cut);
  const std::string good = probe_kernel(true);
  const std::string initrd = write_temp("small.initrd", {1, 2, 3});
  const std::string hello = std::string(VTLAB_ROM_DIR) + "/hello.elf";
  struct Bad {
    std::string args;
    const char* message;
  };
  const Bad cases[] = {
      {"run " + old_kernel, "old.bzImage: is a Linux kernel with boot protocol 2.05; vtlab needs protocol 2.06"},
      {"run " + cut_kernel, "cut.bzImage: "},
      {"run " + good + " --initrd /nonexistent/initrd.img", "cannot read initrd '/nonexistent/initrd.img'"},
      {"run " + good + " --initrd " + std::string(VTLAB_TEST_TMP), "is a directory"},
      {"run " + good + " --initrd /dev/zero", "not a regular file"},
      {"run " + good + " --initrd", "--initrd"},
      {"run " + good + " --mem 8M", "give it --mem 21M or more"},
      {"run " + good + " --module " + initrd, "--module is for Multiboot kernels"},
      {"run " + hello + " --initrd " + initrd, "--initrd is for Linux kernels"},
      {"run " + good + " --cpus 16", "at most 15 vCPUs"},
      {"run " + good + " --cpus 0", "at least 1 vCPU"},
      {"run " + good + " --cpus many", "--cpus"},
  };
  for (const Bad& b : cases) {
    CAPTURE(b.args);
    Result r = run_vtlab(b.args);
    CHECK(r.status == 2);
    CHECK_MESSAGE(r.output.find(b.message) != std::string::npos, r.output);
  }
}

// load_image() with real files: reading, the path as the kernel sees it,
// and errors for files that cannot be read.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/loader/mb1_reader.h"
#include "tests/loader/test_support.h"

using namespace loader_test;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("vtlab_loader_test_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const Bytes& bytes) const {
    fs::path p = path / name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return p.string();
  }
};

Bytes small_kernel() {
  ElfSpec s;
  s.entry = 0x100000;
  s.segments = {{.paddr = 0x100000, .data = pattern(0x40, 1)}};
  s.multiboot_header = Mb1Header{}.bytes();
  return build_elf(s).bytes;
}

}  // namespace

TEST_CASE("load_image reads the kernel and modules from files") {
  TempDir dir;
  vtlab::BootOptions o = options("--debug", 32 * kMiB);
  o.image_path = dir.write("kernel.elf", small_kernel());
  o.module_paths = {dir.write("initrd", pattern(9000, 3))};
  vtlab::BootImage image = vtlab::load_image(o);
  Mb1Info info = read_mb1_info(GuestView(image), image.ebx);
  CHECK(info.cmdline == o.image_path + " --debug");
  REQUIRE(info.modules.size() == 1);
  CHECK(info.modules[0].string == o.module_paths[0]);
  CHECK(info.modules[0].end - info.modules[0].start == 9000);
  CHECK(GuestView(image).u8_at(info.modules[0].start + 8999) == static_cast<u8>(3 + 8999));
}

TEST_CASE("unreadable files give errors that name them") {
  TempDir dir;
  vtlab::BootOptions o = options("", 32 * kMiB);
  o.image_path = (dir.path / "absent.elf").string();
  std::string message;
  try {
    vtlab::load_image(o);
  } catch (const vtlab::Error& e) {
    message = e.what();
  }
  CHECK_MSG_HAS(message, "cannot read kernel '" + o.image_path + "'");
  CHECK_MSG_HAS(message, "No such file");

  o.image_path = dir.write("kernel.elf", small_kernel());
  o.module_paths = {(dir.path / "missing.mod").string()};
  message.clear();
  try {
    vtlab::load_image(o);
  } catch (const vtlab::Error& e) {
    message = e.what();
  }
  CHECK_MSG_HAS(message, "cannot read module '" + o.module_paths[0] + "'");

  o.module_paths = {dir.path.string()};
  message.clear();
  try {
    vtlab::load_image(o);
  } catch (const vtlab::Error& e) {
    message = e.what();
  }
  CHECK_MSG_HAS(message, "is a directory, not a regular file");

  // A module larger than RAM is refused before it is read.
  o.ram_size = 1 * kMiB;
  o.module_paths = {dir.write("big.mod", pattern(2 * kMiB, 0))};
  message.clear();
  try {
    vtlab::load_image(o);
  } catch (const vtlab::Error& e) {
    message = e.what();
  }
  CHECK_MSG_HAS(message, "larger than the guest RAM set by --mem (1048576 bytes)");
}

// Reads what load_image refuses, as a message (empty if it loaded).
std::string refusal(const vtlab::BootOptions& o) {
  try {
    vtlab::load_image(o);
  } catch (const vtlab::Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("files that are not regular are refused without being opened or read") {
  TempDir dir;
  const std::string fifo = (dir.path / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  vtlab::BootOptions o = options("", 32 * kMiB);
  // A FIFO with no writer would block open() and a read of /dev/zero would
  // never end; both are refused at once (the test would hang otherwise).
  o.image_path = fifo;
  CHECK_MSG_HAS(refusal(o), "cannot read kernel '" + fifo + "': it is a FIFO (named pipe), not a regular file");
  o.image_path = "/dev/zero";
  CHECK_MSG_HAS(refusal(o), "cannot read kernel '/dev/zero': it is a character device, not a regular file");
  o.image_path = dir.write("kernel.elf", small_kernel());
  o.module_paths = {"/dev/urandom"};
  CHECK_MSG_HAS(refusal(o), "cannot read module '/dev/urandom': it is a character device");
  o.module_paths = {fifo};
  CHECK_MSG_HAS(refusal(o), "cannot read module '" + fifo + "': it is a FIFO");
}

TEST_CASE("modules must fit in RAM together, checked before each is read") {
  TempDir dir;
  vtlab::BootOptions o = options("", 4 * kMiB);
  o.image_path = dir.write("kernel.elf", small_kernel());
  const std::string m = dir.write("m.bin", pattern(3 * kMiB, 1));
  o.module_paths = {m};
  CHECK(refusal(o).find("cannot read") == std::string::npos);  // fits alone
  o.module_paths = {m, m};
  CHECK_MSG_HAS(refusal(o), "the guest RAM left after the modules before it (1048576 bytes)");
}

TEST_CASE("a flat binary larger than RAM is refused by its size") {
  TempDir dir;
  vtlab::BootOptions o = options("", 2 * kMiB);
  o.flat = true;
  o.flat_addr = 0x100000;
  o.image_path = dir.write("big.bin", pattern(2 * kMiB + 1, 0));
  CHECK_MSG_HAS(refusal(o),
                "cannot read flat binary '" + o.image_path + "': it is 2097153 bytes, larger than the guest RAM");
}

TEST_CASE("load_image reads a flat binary") {
  TempDir dir;
  vtlab::BootOptions o = options("", 32 * kMiB);
  o.image_path = dir.write("boot.bin", pattern(512, 0));
  o.flat = true;
  o.flat_addr = 0x7c00;
  vtlab::BootImage image = vtlab::load_image(o);
  CHECK(image.mode == vtlab::StartMode::Real16);
  REQUIRE(image.blobs.size() == 1);
  CHECK(image.blobs[0].bytes == pattern(512, 0));
}

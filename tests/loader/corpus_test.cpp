// The fuzz seed corpus in tests/loader/corpus: small valid images of each
// kind, made by the builders here. One test checks that the files match
// the builders and load; a skipped one rewrites them:
//   loader_tests -tc="rewrite the fuzz seed corpus" --no-skip
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "tests/loader/bzimage_builder.h"
#include "tests/loader/test_support.h"

using namespace loader_test;

namespace {

const std::string kCorpusDir = std::string(VTLAB_TEST_DATA) + "/corpus";
const std::string kBzCorpusDir = std::string(VTLAB_TEST_DATA) + "/corpus_bzimage";

std::map<std::string, Bytes> seed_images() {
  std::map<std::string, Bytes> seeds;
  ElfSpec s;
  s.entry = 0x100000;
  s.segments = {{.paddr = 0x100000, .data = pattern(0x20, 0x90), .memsz = 0x1000}};
  s.multiboot_header = Mb1Header{}.bytes();
  seeds["mb1_elf32.bin"] = build_elf(s).bytes;
  s.is64 = true;
  seeds["mb1_elf64.bin"] = build_elf(s).bytes;
  Mb2Header mb2;
  mb2.tag(1, 0, Mb2Header::u32s({1, 2, 3, 4, 6}))
      .tag(6, 0, {})
      .tag(10, 0, Mb2Header::u32s({0x100000, 0x1000000, 4096, 0}))
      .entry(0x100000);
  s.multiboot_header = mb2.bytes();
  seeds["mb2_elf64.bin"] = build_elf(s).bytes;
  s.is64 = false;
  seeds["mb2_elf32.bin"] = build_elf(s).bytes;
  Mb1Header kludge;
  kludge.flags = 0x3 | 1u << 16;
  kludge.header_addr = 0x100010;
  kludge.load_addr = 0x100000;
  kludge.bss_end_addr = 0x102000;
  kludge.entry_addr = 0x100000;
  seeds["mb1_aout_kludge.bin"] = build_raw(0x10, kludge.bytes(), pattern(0x20, 0x90));
  Mb2Header address;
  address.address(0x100010, 0x100000, 0, 0x101000).entry(0x100000);
  seeds["mb2_address_tag.bin"] = build_raw(0x10, address.bytes(), pattern(0x20, 0x90));
  return seeds;
}

// Seeds for fuzz_bzimage: one image per protocol path, small (2 KiB).
std::map<std::string, Bytes> bzimage_seeds() {
  std::map<std::string, Bytes> seeds;
  BzSpec s;
  s.setup_sects = 1;
  s.kernel = pattern(0x400, 0x90);
  seeds["linux64_2.15.bin"] = build_bzimage(s);
  s.xloadflags = 0;
  seeds["linux32_2.15.bin"] = build_bzimage(s);
  s.relocatable = false;
  seeds["linux32_fixed.bin"] = build_bzimage(s);
  s.version = 0x0206;
  seeds["linux32_2.06.bin"] = build_bzimage(s);
  return seeds;
}

void write_seeds(const std::string& dir, const std::map<std::string, Bytes>& seeds) {
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : seeds) {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("the fuzz seed corpus matches its builders and every seed loads") {
  for (const auto& [name, bytes] : seed_images()) {
    CAPTURE(name);
    std::string path = kCorpusDir + "/" + name;
    REQUIRE(std::filesystem::exists(path));
    CHECK(read_file(path) == bytes);
    vtlab::BootOptions o = options("console=ttyS0", 64 * kMiB);
    o.image_path = path;
    CHECK(vtlab::load_image(o).entry == 0x100000);
  }
}

TEST_CASE("the bzImage seed corpus matches its builder and every seed loads") {
  for (const auto& [name, bytes] : bzimage_seeds()) {
    CAPTURE(name);
    const std::string path = kBzCorpusDir + "/" + name;
    REQUIRE(std::filesystem::exists(path));
    CHECK(read_file(path) == bytes);
    vtlab::BootOptions o = options("console=ttyS0", 64 * kMiB);
    o.image_path = path;
    CHECK(vtlab::load_image(o).protocol == "linux");
  }
}

TEST_CASE("rewrite the fuzz seed corpus" * doctest::skip()) {
  write_seeds(kCorpusDir, seed_images());
  write_seeds(kBzCorpusDir, bzimage_seeds());
}

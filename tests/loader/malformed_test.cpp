// Bad input: every malformed image must give a vtlab::Error naming the file
// and the problem; none may crash (run this under ASan/UBSan too).
#include <doctest/doctest.h>

#include <functional>

#include "tests/loader/test_support.h"

using namespace loader_test;

namespace {

ElfSpec good_spec(bool is64) {
  ElfSpec s;
  s.is64 = is64;
  s.entry = 0x100000;
  s.segments = {{.paddr = 0x100000, .data = pattern(0x40, 1), .memsz = 0x1000}};
  s.multiboot_header = Mb1Header{}.bytes();
  return s;
}

// Applies `edit` to a valid ELF32 Multiboot 1 image and returns the error.
std::string error_after(const std::function<void(BuiltElf&)>& edit, bool is64 = false) {
  BuiltElf elf = build_elf(good_spec(is64));
  edit(elf);
  return load_error(elf.bytes, options());
}

// Valid images of every kind, for the truncation and corruption sweeps.
std::vector<std::pair<const char*, Bytes>> valid_images() {
  std::vector<std::pair<const char*, Bytes>> images;
  images.push_back({"mb1 elf32", build_elf(good_spec(false)).bytes});
  images.push_back({"mb1 elf64", build_elf(good_spec(true)).bytes});
  Mb1Header kludge;
  kludge.flags = 0x3 | 1u << 16;
  kludge.header_addr = 0x100010;
  kludge.load_addr = 0x100000;
  kludge.bss_end_addr = 0x102000;
  kludge.entry_addr = 0x100000;
  images.push_back({"mb1 a.out kludge", build_raw(0x10, kludge.bytes(), pattern(0x40, 3))});
  Mb2Header mb2;
  mb2.tag(1, 0, Mb2Header::u32s({1, 6})).tag(6, 0, {}).entry(0x100000);
  ElfSpec s = good_spec(true);
  s.multiboot_header = mb2.bytes();
  images.push_back({"mb2 elf64", build_elf(s).bytes});
  Mb2Header mb2_address;
  mb2_address.address(0x100000 + 0x18, 0x100000, 0, 0x101000).entry(0x100000);
  images.push_back({"mb2 address tag", build_raw(0x18, mb2_address.bytes(), pattern(0x40, 3))});
  return images;
}

void require_clean_outcome(const Bytes& image, const std::vector<Bytes>& modules, const vtlab::BootOptions& o) {
  try {
    load(image, o, modules);
  } catch (const vtlab::Error& e) {
    REQUIRE(contains(e.what(), "kernel.elf: "));  // every message names the file
  }
  // Any other exception escapes and fails the test.
}

}  // namespace

TEST_CASE("every prefix of a valid image loads cleanly or gives a vtlab::Error") {
  vtlab::BootOptions o = options("a b", 64 * kMiB, {"m"});
  std::vector<Bytes> modules = {pattern(100, 1)};
  for (auto& [name, image] : valid_images()) {
    std::string image_name = name;
    CAPTURE(image_name);
    REQUIRE(load(image, o, modules).blobs.size() >= 3);  // the full image is valid
    for (size_t length = 0; length < image.size(); ++length) {
      CAPTURE(length);
      require_clean_outcome(Bytes(image.begin(), image.begin() + length), modules, o);
    }
  }
}

TEST_CASE("every single-byte corruption of a valid image loads cleanly or gives a vtlab::Error") {
  vtlab::BootOptions o = options("", 64 * kMiB);
  for (auto& [name, image] : valid_images()) {
    std::string image_name = name;
    CAPTURE(image_name);
    for (size_t at = 0; at < image.size(); ++at) {
      for (u8 flip : {u8{0x01}, u8{0x80}, u8{0xff}}) {
        CAPTURE(at);
        Bytes bad = image;
        bad[at] ^= flip;
        require_clean_outcome(bad, {}, o);
      }
    }
  }
}

TEST_CASE("malformed ELF kernels: each gives its own clear error") {
  struct Case {
    const char* name;
    std::function<void(BuiltElf&)> edit;
    const char* error;
    bool is64 = false;
  };
  Case cases[] = {
      {"e_phoff beyond the file", [](BuiltElf& e) { put32(e.bytes, 28, 0x7ffffff0); }, "program header table"},
      {"e_phoff near 2^64 (ELF64)", [](BuiltElf& e) { put64(e.bytes, 32, ~u64{0} - 8); }, "program header table",
       true},
      {"e_phnum 0", [](BuiltElf& e) { put16(e.bytes, 44, 0); }, "no program headers"},
      {"e_phnum PN_XNUM", [](BuiltElf& e) { put16(e.bytes, 44, 0xffff); }, "PN_XNUM"},
      {"e_phentsize too small", [](BuiltElf& e) { put16(e.bytes, 42, 16); }, "e_phentsize"},
      {"p_offset beyond the file", [](BuiltElf& e) { put32(e.bytes, e.phoff + 4, 0xfffffff0); },
       "ELF segment 0 file contents"},
      {"p_offset + p_filesz wraps (ELF64)", [](BuiltElf& e) { put64(e.bytes, e.phoff + 8, ~u64{0} - 4); },
       "ELF segment 0 file contents", true},
      {"p_filesz > p_memsz", [](BuiltElf& e) { put32(e.bytes, e.phoff + 20, 0x10); }, "larger than p_memsz"},
      {"segment in the VGA/BIOS hole", [](BuiltElf& e) { put32(e.bytes, e.phoff + 12, 0xb8000); }, "VGA/BIOS"},
      {"segment beyond RAM", [](BuiltElf& e) { put32(e.bytes, e.phoff + 12, 0x7fff0000); }, "not inside guest RAM"},
      {"segment in the PCI hole", [](BuiltElf& e) { put32(e.bytes, e.phoff + 12, 0xfee00000); }, "PCI/MMIO hole"},
      {"segment wraps the address space (ELF64)",
       [](BuiltElf& e) { put64(e.bytes, e.phoff + 24, ~u64{0} - 0x10); }, "wraps around", true},
      {"huge p_memsz (ELF64)", [](BuiltElf& e) { put64(e.bytes, e.phoff + 40, u64{1} << 40); },
       "not inside guest RAM", true},
      {"entry outside the segments", [](BuiltElf& e) { put32(e.bytes, 24, 0x300000); }, "entry point 0x300000"},
      {"not an executable", [](BuiltElf& e) { put16(e.bytes, 16, 1); }, "not an executable"},
      {"wrong machine", [](BuiltElf& e) { put16(e.bytes, 18, 40); }, "machine 40"},
      {"big-endian", [](BuiltElf& e) { e.bytes[5] = 2; }, "big-endian"},
      {"unknown class", [](BuiltElf& e) { e.bytes[4] = 7; }, "ELF class 7"},
      {"no PT_LOAD", [](BuiltElf& e) { put32(e.bytes, e.phoff, 4); }, "no loadable"},
      {"not ELF at all", [](BuiltElf& e) { e.bytes[1] = 'X'; }, "not an ELF file"},
  };
  for (const Case& c : cases) {
    std::string name = c.name;
    CAPTURE(name);
    std::string message = error_after(c.edit, c.is64);
    CHECK_MSG_HAS(message, "kernel.elf: ");
    CHECK_MSG_HAS(message, c.error);
  }
}

TEST_CASE("overlapping segments are refused") {
  ElfSpec s = good_spec(false);
  s.segments.push_back({.paddr = 0x100800, .data = pattern(0x10, 0)});
  CHECK_MSG_HAS(load_error(build_elf(s).bytes, options()), "overlap");
}

TEST_CASE("a segment above 4 GiB in RAM is refused for Multiboot") {
  ElfSpec s = good_spec(true);
  s.segments.push_back({.paddr = 0x100000000, .data = pattern(0x10, 0)});
  CHECK_MSG_HAS(load_error(build_elf(s).bytes, options("", 8192 * kMiB)), "must load below 4 GiB");
}

TEST_CASE("a.out kludge inconsistencies") {
  struct Case {
    const char* name;
    u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry;
    const char* error;
  };
  // The header sits at file offset 0x10 of an image of 0x10 + 32 + 0x40 bytes.
  Case cases[] = {
      {"load_addr above header_addr", 0x100010, 0x100020, 0, 0, 0x100020, "is above header_addr"},
      {"text before the file start", 0x100100, 0x100000, 0, 0, 0x100000, "before the beginning of the file"},
      {"load_end below load_addr", 0x100010, 0x100000, 0xff000, 0, 0x100000, "below load_addr"},
      {"load_end beyond the file", 0x100010, 0x100000, 0x200000, 0, 0x100000, "but the file has only"},
      {"header outside the loaded range", 0x100010, 0x100000, 0x100008, 0, 0x100000, "not inside the loaded range"},
      {"bss_end below load_end", 0x100010, 0x100000, 0, 0x100020, 0x100000, "bss_end_addr"},
      {"entry outside", 0x100010, 0x100000, 0, 0, 0x500000, "entry point"},
      {"in the hole", 0xa0010, 0xa0000, 0, 0, 0xa0000, "VGA/BIOS"},
      {"bss beyond RAM", 0x100010, 0x100000, 0, 0x10000000, 0x100000, "not inside guest RAM"},
      {"bss into the PCI hole", 0x100010, 0x100000, 0, 0xfff00000, 0x100000, "not inside guest RAM"},
  };
  for (const Case& c : cases) {
    std::string name = c.name;
    CAPTURE(name);
    Mb1Header h;
    h.flags = 1u << 16;
    h.header_addr = c.header_addr;
    h.load_addr = c.load_addr;
    h.load_end_addr = c.load_end_addr;
    h.bss_end_addr = c.bss_end_addr;
    h.entry_addr = c.entry;
    std::string message = load_error(build_raw(0x10, h.bytes(), pattern(0x40, 0)), options());
    CHECK_MSG_HAS(message, c.error);
  }
}

TEST_CASE("missing or broken Multiboot headers") {
  CHECK_MSG_HAS(load_error(pattern(0x3000, 0), options()),
                "kernel.elf: no Multiboot header in the first 8 KiB");
  CHECK_MSG_HAS(load_error(pattern(0x3000, 0), options()), "use --flat ADDR for a raw binary");
  CHECK_MSG_HAS(load_error(Bytes{}, options()), "no Multiboot header");

  Mb1Header bad;
  bad.bad_checksum = true;
  ElfSpec s = good_spec(false);
  s.multiboot_header = bad.bytes();
  std::string message = load_error(build_elf(s).bytes, options());
  CHECK_MSG_HAS(message, "no Multiboot header");
  CHECK_MSG_HAS(message, "wrong checksum");

  // A header beyond the first 8 KiB does not count.
  Bytes late = pattern(8192, 0);
  Bytes header = Mb1Header{}.bytes();
  late.insert(late.end(), header.begin(), header.end());
  CHECK_MSG_HAS(load_error(late, options()), "no Multiboot header");
  // A header whose flags make it longer than the file is truncated.
  Mb1Header kludge;
  kludge.flags = 1u << 16;
  Bytes cut = kludge.bytes();
  cut.resize(20);
  CHECK_MSG_HAS(load_error(cut, options()), "Multiboot header");

  // Hints for files that are clearly something else.
  Bytes bzimage = pattern(0x400, 0);
  put32(bzimage, 0x202, 0x53726448);  // "HdrS"
  CHECK_MSG_HAS(load_error(bzimage, options()), "Linux setup header");
  ElfSpec plain = good_spec(false);
  plain.multiboot_header = {};
  CHECK_MSG_HAS(load_error(build_elf(plain).bytes, options()), "this ELF file needs a Multiboot header");

  // Multiboot 1 without the kludge must be ELF.
  CHECK_MSG_HAS(load_error(build_raw(0, Mb1Header{}.bytes(), pattern(64, 0)), options()), "not an ELF file");
}

TEST_CASE("strings with NUL bytes are refused") {
  Bytes elf = build_elf(good_spec(false)).bytes;
  CHECK_MSG_HAS(load_error(elf, options(std::string("a\0b", 3))), "NUL");
  CHECK_MSG_HAS(load_error(elf, options("", 64 * kMiB, {std::string("m\0", 2)}), {Bytes{1}}), "NUL");
}

TEST_CASE("no RAM at all") {
  CHECK_MSG_HAS(load_error(build_elf(good_spec(false)).bytes, options("", 0)), "not inside guest RAM");
}

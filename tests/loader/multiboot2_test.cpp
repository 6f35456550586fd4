// Multiboot 2: header tags, kernels from ELF or the address tag, and the
// boot information tags they receive.
#include <doctest/doctest.h>

#include "tests/loader/mb2_reader.h"
#include "tests/loader/test_support.h"

using namespace loader_test;

namespace {

BuiltElf mb2_elf(const Mb2Header& header, bool is64 = true) {
  ElfSpec s;
  s.is64 = is64;
  s.entry = 0x200040;
  s.segments = {{.paddr = 0x200000, .data = pattern(0x300, 2), .memsz = 0x5000}};
  s.multiboot_header = header.bytes();
  return build_elf(s);
}

}  // namespace

TEST_CASE("multiboot2 ELF64: boot information tags, parsed back") {
  std::vector<Bytes> modules = {pattern(0x1800, 4), pattern(3, 8)};
  vtlab::BootImage image =
      load(mb2_elf(Mb2Header{}).bytes, options("root=/dev/x quiet", 64 * kMiB, {"mod/a.bin", "b"}), modules);
  CHECK(image.protocol == "multiboot2");
  CHECK(image.mode == vtlab::StartMode::Protected32);
  CHECK(image.eax == 0x36d76289);
  CHECK(image.entry == 0x200040);
  CHECK(image.ebx == 0x205000);  // first page after the kernel's bss

  GuestView g(image);
  std::vector<Mb2Tag> tags = walk_mb2_info(g, image.ebx);
  std::vector<u32> types;
  for (const Mb2Tag& t : tags) types.push_back(t.type);
  CHECK(types == std::vector<u32>{1, 2, 3, 3, 4, 6, 21, 0});

  // GRUB 2 convention: the cmdline tag holds the arguments without the path.
  CHECK(g.cstring_at(tags[0].addr + 8) == "root=/dev/x quiet");
  CHECK(tags[0].size == 8 + 17 + 1);
  CHECK(g.cstring_at(tags[1].addr + 8) == "vtlab");

  u64 previous_end = image.ebx + g.u32_at(image.ebx);
  const char* names[] = {"mod/a.bin", "b"};
  for (int i = 0; i < 2; ++i) {
    u64 t = tags[2 + i].addr;
    u32 start = g.u32_at(t + 8), end = g.u32_at(t + 12);
    CHECK(start % 4096 == 0);
    CHECK(start >= previous_end);
    CHECK(end - start == modules[i].size());
    CHECK(g.cstring_at(t + 16) == names[i]);
    for (size_t k = 0; k < modules[i].size(); ++k) REQUIRE(g.u8_at(start + k) == modules[i][k]);
    previous_end = end;
  }

  CHECK(tags[4].size == 16);
  CHECK(g.u32_at(tags[4].addr + 8) == 640);
  CHECK(g.u32_at(tags[4].addr + 12) == 63 * 1024 - 64);  // below the 64 KiB of ACPI tables

  u64 mmap = tags[5].addr;
  CHECK(g.u32_at(mmap + 8) == 24);  // entry_size
  CHECK(g.u32_at(mmap + 12) == 0);  // entry_version
  REQUIRE(tags[5].size == 16 + 8 * 24);
  u64 expect[8][3] = {{0, 0xa0000, 1},          {0xa0000, 0x60000, 2},       {0x100000, 63 * kMiB - 0x10000, 1},
                      {64 * kMiB - 0x10000, 0x10000, 3}, {0xb0000000, 0x10000000, 2}, {0xfec00000, 0x1000, 2},
                      {0xfed00000, 0x1000, 2}, {0xfee00000, 0x1000, 2}};
  for (int i = 0; i < 8; ++i) {
    u64 e = mmap + 16 + 24 * i;
    CHECK(g.u64_at(e) == expect[i][0]);
    CHECK(g.u64_at(e + 8) == expect[i][1]);
    CHECK(g.u32_at(e + 16) == expect[i][2]);
    CHECK(g.u32_at(e + 20) == 0);
  }
  CHECK(g.u32_at(tags[6].addr + 8) == 0x200000);  // load base address
}

TEST_CASE("multiboot2 ELF32 loads too; the entry address tag overrides e_entry") {
  vtlab::BootImage image = load(mb2_elf(Mb2Header{}, false).bytes, options());
  CHECK(image.entry == 0x200040);
  Mb2Header h;
  h.entry(0x200100);
  CHECK(load(mb2_elf(h).bytes, options()).entry == 0x200100);
}

TEST_CASE("multiboot2 address tag loads a raw image; load_addr -1 means from the start of the file") {
  const size_t header_at = 0x40;
  Mb2Header h;
  h.address(0x300000 + header_at, 0x300000, 0, 0x304000).entry(0x300000);
  Bytes raw = build_raw(header_at, h.bytes(), pattern(0x80, 1));
  vtlab::BootImage image = load(raw, options());
  GuestView g(image);
  REQUIRE(g.blob_named("kernel"));
  CHECK(g.blob_named("kernel")->addr == 0x300000);
  CHECK(g.blob_named("kernel")->bytes == raw);
  CHECK(g.blob_named("kernel")->zero_fill == 0x4000 - raw.size());
  CHECK(image.entry == 0x300000);
  CHECK(image.ebx == 0x304000);

  Mb2Header minus_one;
  minus_one.address(0x300000 + header_at, 0xffffffff, 0, 0).entry(0x300000);
  raw = build_raw(header_at, minus_one.bytes(), pattern(0x80, 1));
  image = load(raw, options());
  REQUIRE(GuestView(image).blob_named("kernel"));
  CHECK(GuestView(image).blob_named("kernel")->addr == 0x300000);
  CHECK(GuestView(image).blob_named("kernel")->bytes == raw);

  Mb2Header no_entry;
  no_entry.address(0x300000 + header_at, 0x300000, 0, 0);
  CHECK_MSG_HAS(load_error(build_raw(header_at, no_entry.bytes(), {}), options()), "no entry address tag");
}

TEST_CASE("multiboot2 header tags: what is required and cannot be given is refused, the rest accepted") {
  struct Case {
    const char* name;
    Mb2Header header;
    const char* error;  // nullptr: must load
  };
  auto with = [](u16 type, u16 flags, Bytes payload) {
    Mb2Header h;
    h.tag(type, flags, payload);
    return h;
  };
  const u16 optional = 1;
  Case cases[] = {
      {"request for provided tags", with(1, 0, Mb2Header::u32s({1, 2, 3, 4, 6, 21})), nullptr},
      {"required request for a framebuffer", with(1, 0, Mb2Header::u32s({1, 8})), "boot information tag 8"},
      {"optional request for a framebuffer", with(1, optional, Mb2Header::u32s({8, 14})), nullptr},
      {"required ACPI RSDP", with(1, 0, Mb2Header::u32s({14})), "ACPI old RSDP"},
      {"required framebuffer", with(5, 0, Mb2Header::u32s({1024, 768, 32})), "requires a framebuffer"},
      {"optional framebuffer", with(5, optional, Mb2Header::u32s({1024, 768, 32})), nullptr},
      {"console required", with(4, 0, Mb2Header::u32s({1})), "requires a console"},
      {"console flags without requirement", with(4, 0, Mb2Header::u32s({2})), nullptr},
      {"module alignment", with(6, 0, {}), nullptr},
      {"EFI boot services (BIOS boot ignores it)", with(7, 0, {}), nullptr},
      {"EFI amd64 entry (BIOS boot ignores it)", with(9, 0, Mb2Header::u32s({0x200000})), nullptr},
      {"unknown required tag", with(77, 0, {}), "type vtlab does not know"},
      {"unknown optional tag", with(77, optional, Mb2Header::u32s({5})), nullptr},
      {"entry tag too short", with(3, 0, {}), "less than the 12 bytes"},
      {"relocatable containing the link address", with(10, 0, Mb2Header::u32s({0x100000, 0x1000000, 4096, 0})),
       nullptr},
      {"relocatable excluding the link address", with(10, 0, Mb2Header::u32s({0x400000, 0x1000000, 4096, 0})),
       "does not relocate"},
  };
  for (const Case& c : cases) {
    std::string name = c.name;
    CAPTURE(name);
    std::string message = load_error(mb2_elf(c.header).bytes, options());
    if (c.error) {
      CHECK_MSG_HAS(message, c.error);
    } else {
      CHECK(message == "<loaded without an error>");
    }
  }
}

TEST_CASE("multiboot2 header framing errors") {
  Mb2Header mips;
  mips.architecture = 4;
  CHECK_MSG_HAS(load_error(mb2_elf(mips).bytes, options()), "architecture 4");
  Mb2Header no_end;
  no_end.omit_end_tag = true;
  no_end.tag(6, 0, {});
  CHECK_MSG_HAS(load_error(mb2_elf(no_end).bytes, options()), "no end tag");
  Mb2Header bad;
  bad.bad_checksum = true;
  CHECK_MSG_HAS(load_error(mb2_elf(bad).bytes, options()), "Multiboot 2 magic at offset");
}

TEST_CASE("a kernel with both headers boots as Multiboot 1, as under QEMU -kernel") {
  Bytes both = Mb1Header{}.bytes();
  Bytes mb2 = Mb2Header{}.bytes();
  both.resize(16, 0);  // keep the Multiboot 2 header 8-byte aligned
  both.insert(both.end(), mb2.begin(), mb2.end());
  ElfSpec s;
  s.entry = 0x100000;
  s.segments = {{.paddr = 0x100000, .data = pattern(16, 0)}};
  s.multiboot_header = both;
  vtlab::BootImage image = load(build_elf(s).bytes, options());
  CHECK(image.protocol == "multiboot1");
  CHECK(image.eax == 0x2badb002);
}

// Multiboot 1: kernels in ELF32, ELF64 and a.out-kludge form, and the
// information structure they receive.
#include <doctest/doctest.h>

#include "tests/loader/mb1_reader.h"
#include "tests/loader/test_support.h"

using namespace loader_test;

namespace {

BuiltElf mb1_elf(bool is64, Mb1Header header = {}) {
  ElfSpec s;
  s.is64 = is64;
  s.entry = 0x100010;
  s.segments = {{.paddr = 0x100000, .data = pattern(0x100, 1), .memsz = 0x2000},
                {.paddr = 0x103000, .data = pattern(0x40, 9), .flags = 6}};
  s.multiboot_header = header.bytes();
  return build_elf(s);
}

}  // namespace

TEST_CASE("multiboot1 ELF32: segments by p_paddr with bss, entry, magic and a complete MBI") {
  BuiltElf elf = mb1_elf(false);
  vtlab::BootImage image = load(elf.bytes, options("console=ttyS0 verbose"));

  CHECK(image.protocol == "multiboot1");
  CHECK(image.mode == vtlab::StartMode::Protected32);
  CHECK(image.entry == 0x100010);
  CHECK(image.eax == 0x2badb002);

  GuestView g(image);
  const vtlab::BootBlob* seg0 = g.blob_named("kernel ELF segment 0");
  REQUIRE(seg0);
  CHECK(seg0->addr == 0x100000);
  CHECK(seg0->bytes == pattern(0x100, 1));
  CHECK(seg0->zero_fill == 0x2000 - 0x100);
  const vtlab::BootBlob* seg1 = g.blob_named("kernel ELF segment 1");
  REQUIRE(seg1);
  CHECK(seg1->addr == 0x103000);
  CHECK(seg1->bytes == pattern(0x40, 9));

  // The MBI goes on the first page after the kernel's last byte (0x103040).
  CHECK(image.ebx == 0x104000);
  Mb1Info info = read_mb1_info(g, image.ebx);
  CHECK(info.flags == (1u << 0 | 1u << 2 | 1u << 3 | 1u << 6 | 1u << 9));
  CHECK(info.mem_lower == 640);
  CHECK(info.mem_upper == (128 * 1024 - 1024 - 64));  // below the 64 KiB of ACPI tables
  CHECK(info.cmdline == "kernel.elf console=ttyS0 verbose");
  CHECK(info.boot_loader_name == "vtlab");
  CHECK(info.modules.empty());
  // docs/firmware.md: RAM, the BIOS area, RAM, the ACPI tables, then ECAM,
  // IOAPIC, HPET and local APIC reserved.
  const Mb1MmapEntry expect[] = {{0, 0xa0000, 1},           {0xa0000, 0x60000, 2},  {0x100000, 127 * kMiB - 0x10000, 1},
                                 {128 * kMiB - 0x10000, 0x10000, 3}, {0xb0000000, 0x10000000, 2}, {0xfec00000, 0x1000, 2},
                                 {0xfed00000, 0x1000, 2},  {0xfee00000, 0x1000, 2}};
  REQUIRE(info.mmap.size() == std::size(expect));
  for (size_t i = 0; i < std::size(expect); ++i) {
    CAPTURE(i);
    CHECK(info.mmap[i].base == expect[i].base);
    CHECK(info.mmap[i].length == expect[i].length);
    CHECK(info.mmap[i].type == expect[i].type);
  }
  // Video mode / framebuffer information is never claimed.
  CHECK((info.flags & (1u << 11 | 1u << 12)) == 0);
}

TEST_CASE("multiboot1: with no --cmdline the kernel sees its path and a space, as QEMU passes it") {
  vtlab::BootImage image = load(mb1_elf(false).bytes, options(""));
  GuestView g(image);
  CHECK(read_mb1_info(g, image.ebx).cmdline == "kernel.elf ");
}

TEST_CASE("multiboot1: memory above 3 GiB is reported at 4 GiB") {
  vtlab::BootImage image = load(mb1_elf(false).bytes, options("", 4096 * kMiB));
  GuestView g(image);
  Mb1Info info = read_mb1_info(g, image.ebx);
  REQUIRE(info.mmap.size() == 8);  // no ECAM entry: RAM reaches 3 GiB
  CHECK(info.mmap[2].base == 0x100000);
  CHECK(info.mmap[2].length == 0xc0000000 - 0x10000 - 0x100000);
  CHECK(info.mmap[3].base == 0xc0000000 - 0x10000);
  CHECK(info.mmap[3].type == 3);
  CHECK(info.mmap[7].base == 0x100000000);
  CHECK(info.mmap[7].length == 0x40000000);
  CHECK(info.mem_upper == (0xc0000000 - 0x10000 - 0x100000) / 1024);
}

TEST_CASE("multiboot1 ELF64 loads like ELF32; an entry above 4 GiB is refused") {
  vtlab::BootImage image = load(mb1_elf(true).bytes, options());
  CHECK(image.entry == 0x100010);
  GuestView g(image);
  REQUIRE(g.blob_named("kernel ELF segment 0"));
  CHECK(g.blob_named("kernel ELF segment 0")->bytes == pattern(0x100, 1));

  ElfSpec s;
  s.is64 = true;
  s.entry = 0x100000000 + 0x10;
  s.segments = {{.paddr = 0x100000, .data = pattern(0x100, 1)}};
  s.multiboot_header = Mb1Header{}.bytes();
  CHECK_MSG_HAS(load_error(build_elf(s).bytes, options()), "above 4 GiB");
}

TEST_CASE("multiboot1: a 64-bit kernel converted to elf32-i386, and ELF32 with EM_X86_64, load as ELF32") {
  for (u16 machine : {u16{3}, u16{62}}) {
    ElfSpec s;
    s.machine = machine;
    s.entry = 0x200000;
    s.segments = {{.paddr = 0x200000, .data = pattern(64, 3)}};
    s.multiboot_header = Mb1Header{}.bytes();
    CHECK(load(build_elf(s).bytes, options()).entry == 0x200000);
  }
}

TEST_CASE("multiboot1: a higher-half e_entry is translated through its segment to a physical address") {
  ElfSpec s;
  s.entry = 0xc0100020;
  s.segments = {{.paddr = 0x100000, .vaddr = 0xc0100000, .data = pattern(0x100, 1)}};
  s.multiboot_header = Mb1Header{}.bytes();
  CHECK(load(build_elf(s).bytes, options()).entry == 0x100020);
}

TEST_CASE("multiboot1: the a.out kludge (flags bit 16) takes precedence over ELF") {
  // An ELF whose program header says 0x100000 but whose Multiboot header
  // says: load the file from its start at 0x400000, bss to 0x402000.
  Mb1Header h;
  h.flags = 0x3 | 1u << 16;
  ElfSpec s;
  s.entry = 0x100000;
  s.segments = {{.paddr = 0x100000, .data = pattern(0x100, 1)}};
  s.multiboot_header = h.bytes();
  BuiltElf probe = build_elf(s);
  h.header_addr = static_cast<u32>(0x400000 + probe.header_offset);
  h.load_addr = 0x400000;
  h.load_end_addr = 0;  // to the end of the file
  h.bss_end_addr = 0x402000;
  h.entry_addr = 0x400004;
  s.multiboot_header = h.bytes();
  BuiltElf elf = build_elf(s);

  vtlab::BootImage image = load(elf.bytes, options());
  CHECK(image.entry == 0x400004);
  GuestView g(image);
  const vtlab::BootBlob* kernel = g.blob_named("kernel");
  REQUIRE(kernel);
  CHECK(kernel->addr == 0x400000);
  CHECK(kernel->bytes == elf.bytes);
  CHECK(kernel->zero_fill == 0x2000 - elf.bytes.size());
  CHECK(g.blob_named("kernel ELF segment 0") == nullptr);
  CHECK(image.ebx == 0x402000);
}

TEST_CASE("multiboot1 a.out kludge in a raw image: load_end_addr and bss_end_addr") {
  const u32 header_at = 0x20;
  Mb1Header h;
  h.flags = 1u << 16;
  h.header_addr = 0x100000 + header_at;
  h.load_addr = 0x100000;
  h.load_end_addr = 0x100000 + header_at + 32 + 0x10;  // header plus 16 bytes of the tail
  h.bss_end_addr = 0;                                  // no bss
  h.entry_addr = 0x100000;
  Bytes raw = build_raw(header_at, h.bytes(), pattern(0x100, 0x40));

  vtlab::BootImage image = load(raw, options());
  GuestView g(image);
  const vtlab::BootBlob* kernel = g.blob_named("kernel");
  REQUIRE(kernel);
  CHECK(kernel->addr == 0x100000);
  CHECK(kernel->bytes == Bytes(raw.begin(), raw.begin() + header_at + 32 + 0x10));
  CHECK(kernel->zero_fill == 0);
  CHECK(image.entry == 0x100000);

  // load_addr above the start of the file's text: text starts header_addr - load_addr before the header.
  h.load_addr = 0x100010;
  h.load_end_addr = 0;
  h.entry_addr = 0x100010;
  raw = build_raw(header_at, h.bytes(), pattern(0x100, 0x40));
  image = load(raw, options());
  REQUIRE(GuestView(image).blob_named("kernel"));
  CHECK(GuestView(image).blob_named("kernel")->bytes == Bytes(raw.begin() + 0x10, raw.end()));
}

TEST_CASE("multiboot1: modules are page-aligned after the MBI, in order, with their paths as strings") {
  std::vector<Bytes> modules = {pattern(5000, 7), Bytes{}, pattern(10, 3)};
  vtlab::BootImage image =
      load(mb1_elf(false).bytes, options("", 128 * kMiB, {"initrd.img", "empty.bin", "dir/second"}), modules);
  GuestView g(image);
  Mb1Info info = read_mb1_info(g, image.ebx);
  REQUIRE(info.modules.size() == 3);
  CHECK(info.modules[0].string == "initrd.img");
  CHECK(info.modules[1].string == "empty.bin");
  CHECK(info.modules[2].string == "dir/second");
  u64 previous_end = image.ebx + 1;  // after the MBI
  for (size_t i = 0; i < 3; ++i) {
    const Mb1Module& m = info.modules[i];
    CHECK(m.start % 4096 == 0);
    CHECK(m.start >= previous_end);
    CHECK(m.end - m.start == modules[i].size());
    for (size_t k = 0; k < modules[i].size(); ++k) REQUIRE(g.u8_at(m.start + k) == modules[i][k]);
    previous_end = m.end;
  }
  CHECK(info.modules[0].start == 0x105000);
}

TEST_CASE("multiboot1: flags bit 2 (video mode) is accepted; unknown required bits are refused") {
  Mb1Header video;
  video.flags = 0x7;
  vtlab::BootImage image = load(mb1_elf(false, video).bytes, options());
  CHECK((read_mb1_info(GuestView(image), image.ebx).flags & (1u << 11 | 1u << 12)) == 0);

  Mb1Header unknown;
  unknown.flags = 0x3 | 1u << 5;
  CHECK_MSG_HAS(load_error(mb1_elf(false, unknown).bytes, options()), "requires features vtlab does not know");

  Mb1Header optional_unknown;  // bits 17-31 are optional: ignored
  optional_unknown.flags = 0x3 | 1u << 20;
  CHECK(load(mb1_elf(false, optional_unknown).bytes, options()).protocol == "multiboot1");
}

TEST_CASE("multiboot1: a kernel in low memory; modules that do not fit below 640 KiB go to 1 MiB") {
  ElfSpec s;
  s.entry = 0x10000;
  s.segments = {{.paddr = 0x10000, .data = pattern(0x1000, 1)}};
  s.multiboot_header = Mb1Header{}.bytes();
  vtlab::BootImage image = load(build_elf(s).bytes, options("", 128 * kMiB, {"big"}), {pattern(700 * 1024, 5)});
  CHECK(image.ebx == 0x11000);
  Mb1Info info = read_mb1_info(GuestView(image), image.ebx);
  REQUIRE(info.modules.size() == 1);
  CHECK(info.modules[0].start == 0x100000);
}

TEST_CASE("multiboot1: no room for the MBI and modules after the kernel is a clear error") {
  ElfSpec s;
  s.entry = 0x100000;
  constexpr u64 kRamTop = 8 * kMiB - 0x10000;  // the ACPI tables take the last 64 KiB
  s.segments = {{.paddr = 0x100000, .data = pattern(0x100, 1), .memsz = kRamTop - 0x100000 - 0x1000}};
  s.multiboot_header = Mb1Header{}.bytes();
  Bytes elf = build_elf(s).bytes;
  CHECK(load(elf, options("", 8 * kMiB)).ebx == kRamTop - 0x1000);  // exactly one page left
  CHECK_MSG_HAS(load_error(elf, options("", 8 * kMiB, {"m"}), {pattern(10, 0)}), "no room for module 0 (m)");
}

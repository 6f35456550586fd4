// The Linux boot protocol loader: synthetic bzImages for each protocol path
// (64-bit entry, 32-bit entry, relocatable or not), boot_params read back as
// the kernel reads them, the initrd where QEMU would put it, and a clear
// error for every input it cannot boot.
#include <doctest/doctest.h>

#include <functional>

#include "tests/loader/bzimage_builder.h"
#include "tests/loader/guest_view.h"
#include "tests/loader/test_support.h"

using namespace loader_test;

namespace {

vtlab::BootOptions linux_options(std::string cmdline = "console=ttyS0", u64 ram = 256 * kMiB, std::string initrd = "") {
  vtlab::BootOptions o = options(std::move(cmdline), ram);
  o.image_path = "bzImage";
  o.initrd_path = std::move(initrd);
  return o;
}

vtlab::BootImage load_linux(const Bytes& image, const vtlab::BootOptions& o, const Bytes& initrd = {}) {
  return vtlab::load_image_from_bytes(image, {}, o, initrd);
}

std::string linux_error(const Bytes& image, const vtlab::BootOptions& o, const Bytes& initrd = {}) {
  try {
    load_linux(image, o, initrd);
  } catch (const vtlab::Error& e) {
    return e.what();
  }
  return "<loaded without an error>";
}

constexpr u64 kZeroPage = 0x10000;

u32 le32(const Bytes& b, size_t at) {
  return u32(b.at(at) | b.at(at + 1) << 8 | b.at(at + 2) << 16 | b.at(at + 3) << 24);
}

}  // namespace

TEST_CASE("bzImage, 64-bit entry: loaded at pref_address, entered at +0x200 in long mode") {
  BzSpec s;
  const Bytes initrd = pattern(0x2345, 0x5a);
  vtlab::BootImage img =
      load_linux(build_bzimage(s), linux_options("console=ttyS0 quiet", 256 * kMiB, "rd.img"), initrd);
  GuestView g(img);
  CHECK(img.protocol == "linux");
  CHECK(img.mode == vtlab::StartMode::Long64);
  CHECK(img.entry == 0x1000000 + 0x200);
  CHECK(img.esi == kZeroPage);
  CHECK(img.gdt_limit == 31);

  // The kernel's protected-mode part at pref_address, as in the file.
  const vtlab::BootBlob* k = g.blob_named("linux kernel");
  REQUIRE(k);
  CHECK(k->addr == 0x1000000);
  CHECK(k->bytes == s.kernel);

  // boot_params: the setup header copied, the loader's fields filled in.
  CHECK(g.u32_at(kZeroPage + 0x202) == 0x53726448);
  CHECK(g.u16_at(kZeroPage + 0x206) == 0x020f);
  CHECK(g.u8_at(kZeroPage + 0x210) == 0xff);        // type_of_loader: undefined
  CHECK((g.u8_at(kZeroPage + 0x211) & 1) == 1);     // LOADED_HIGH
  CHECK(g.u32_at(kZeroPage + 0x214) == 0x1000000);  // code32_start = the load address
  CHECK(g.cstring_at(g.u32_at(kZeroPage + 0x228)) == "console=ttyS0 quiet");
  CHECK(g.u32_at(kZeroPage + 0x23c) == 0);        // hardware_subarch: PC
  CHECK(g.u64_at(kZeroPage + 0x070) == 0xe0000);  // acpi_rsdp_addr
  CHECK(g.u32_at(kZeroPage + 0x0c0) == 0);        // ext_ramdisk_image
  CHECK(g.u8_at(kZeroPage + 0x00f) == 0);         // screen_info: no VGA
  // The initrd: at the top of RAM below the ACPI tables, page-aligned, whole.
  const u64 rd = g.u32_at(kZeroPage + 0x218);
  CHECK(g.u32_at(kZeroPage + 0x21c) == initrd.size());
  CHECK(rd == ((256 * kMiB - 0x10000 - initrd.size()) & ~u64(0xfff)));
  for (size_t i = 0; i < initrd.size(); ++i) REQUIRE(g.u8_at(rd + i) == initrd[i]);
  // e820: the machine's memory map.
  const std::vector<vtlab::MemRange> map = vtlab::pc_memory_map(256 * kMiB);
  REQUIRE(g.u8_at(kZeroPage + 0x1e8) == map.size());
  for (size_t i = 0; i < map.size(); ++i) {
    const u64 e = kZeroPage + 0x2d0 + 20 * i;
    CHECK(g.u64_at(e) == map[i].base);
    CHECK(g.u64_at(e + 8) == map[i].length);
    CHECK(g.u32_at(e + 16) == map[i].type);
  }
  // GDT: __BOOT_CS a 64-bit code segment (L=1, D=0), __BOOT_DS flat data.
  const u64 cs = g.u64_at(img.gdt_base + 0x10), ds = g.u64_at(img.gdt_base + 0x18);
  CHECK((cs >> 53 & 1) == 1);  // L
  CHECK((cs >> 54 & 1) == 0);  // D
  CHECK((cs >> 43 & 1) == 1);  // code
  CHECK((cs >> 47 & 1) == 1);  // present
  CHECK((ds >> 43 & 1) == 0);  // data
  CHECK((ds >> 41 & 1) == 1);  // writable
  CHECK((ds & 0xffff) == 0xffff);
  CHECK((ds >> 55 & 1) == 1);  // 4 KiB granularity: 4 GiB
  // Page tables: an identity map over everything loaded, 2 MiB pages.
  auto translate = [&](u64 va) -> u64 {
    const u64 pml4e = g.u64_at(img.cr3 + 8 * (va >> 39 & 511));
    REQUIRE((pml4e & 1) == 1);
    const u64 pdpte = g.u64_at((pml4e & ~u64(0xfff)) + 8 * (va >> 30 & 511));
    REQUIRE((pdpte & 1) == 1);
    const u64 pde = g.u64_at((pdpte & ~u64(0xfff)) + 8 * (va >> 21 & 511));
    REQUIRE((pde & 0x83) == 0x83);  // present, writable, 2 MiB
    return (pde & ~u64(0x1fffff)) | (va & 0x1fffff);
  };
  for (u64 va : {kZeroPage, u64(0x1000000 + 0x200), u64(0x1000000 + 0x3fffff), rd, u64(0xe0000), u64(0xfee00000),
                 u64(0xffffffff)})
    CHECK(translate(va) == va);

  // fw_cfg items as QEMU's -kernel gives them.
  CHECK(img.fw_cfg.kernel_addr == 0x1000000);
  CHECK(img.fw_cfg.kernel == s.kernel);
  CHECK(img.fw_cfg.initrd_addr == rd);
  CHECK(img.fw_cfg.initrd == initrd);
  CHECK(img.fw_cfg.cmdline ==
        Bytes{'c', 'o', 'n', 's', 'o', 'l', 'e', '=', 't', 't', 'y', 'S', '0', ' ', 'q', 'u', 'i', 'e', 't', 0});
  REQUIRE(img.fw_cfg.setup.size() == s.setup_size());
  CHECK(le32(img.fw_cfg.setup, 0x218) == rd);  // the header as in boot_params
  CHECK(le32(img.fw_cfg.setup, 0x228) == 0x20000);
}

TEST_CASE("bzImage, 32-bit entry: protocols before 2.12, or a kernel without XLF_KERNEL_64") {
  for (u16 version : {u16(0x0206), u16(0x020a), u16(0x020f)}) {
    CAPTURE(version);
    BzSpec s;
    s.version = version;
    s.xloadflags = 0;
    vtlab::BootImage img = load_linux(build_bzimage(s), linux_options());
    GuestView g(img);
    CHECK(img.mode == vtlab::StartMode::Protected32);
    // pref_address, or before 2.10 (none) 1 MiB aligned up to kernel_alignment.
    const u64 load = version >= 0x020a ? 0x1000000 : 0x200000;
    CHECK(img.entry == load);
    CHECK(g.blob_named("linux kernel")->addr == load);
    CHECK(img.esi == kZeroPage);
    CHECK(img.cr3 == 0);
    CHECK(g.blob_named("boot page tables") == nullptr);
    const u64 cs = g.u64_at(img.gdt_base + 0x10);
    CHECK((cs >> 53 & 1) == 0);  // L=0
    CHECK((cs >> 54 & 1) == 1);  // D=1: 32-bit code
    CHECK(g.u8_at(kZeroPage + 0x1e8) == vtlab::pc_memory_map(256 * kMiB).size());
  }
}

TEST_CASE("bzImage, not relocatable: loaded at 1 MiB, the initrd kept clear of where it will run") {
  BzSpec s;
  s.relocatable = false;
  s.init_size = 0x2000000;  // 32 MiB from pref_address (16 MiB)
  vtlab::BootOptions o = linux_options("", 64 * kMiB, "rd");
  vtlab::BootImage img = load_linux(build_bzimage(s), o, pattern(0x1000, 1));
  GuestView g(img);
  CHECK(g.blob_named("linux kernel")->addr == 0x100000);
  CHECK(img.entry == 0x100000 + 0x200);
  CHECK(g.u32_at(kZeroPage + 0x214) == 0x100000);
  CHECK(g.u32_at(kZeroPage + 0x218) >= 0x1000000 + 0x2000000);
  // With less RAM the working area does not fit: the message says how much --mem it needs.
  CHECK_MSG_HAS(linux_error(build_bzimage(s), linux_options("", 32 * kMiB)), "give it --mem 49M or more");
}

TEST_CASE("bzImage: the initrd goes below initrd_addr_max, and there must be room for it") {
  BzSpec s;
  s.initrd_addr_max = 0x3fffffff;  // 1 GiB
  const Bytes rd = pattern(0x1800, 3);
  vtlab::BootImage img = load_linux(build_bzimage(s), linux_options("", 2048 * kMiB, "rd"), rd);
  GuestView g(img);
  CHECK(g.u32_at(kZeroPage + 0x218) == ((0x40000000 - rd.size()) & ~u64(0xfff)));
  // RAM above 3 GiB does not raise the initrd above the hole.
  s.initrd_addr_max = 0xffffffff;
  vtlab::BootImage big = load_linux(build_bzimage(s), linux_options("", 8192 * kMiB, "rd"), rd);
  CHECK(GuestView(big).u32_at(kZeroPage + 0x218) == ((0xc0000000 - 0x10000 - rd.size()) & ~u64(0xfff)));
  // initrd_addr_max below the kernel's end: no room.
  s.initrd_addr_max = 0x1000000;
  CHECK_MSG_HAS(linux_error(build_bzimage(s), linux_options("", 256 * kMiB, "rd.img"), rd),
                "no room for the initrd 'rd.img'");
  // An initrd as large as RAM.
  s.initrd_addr_max = 0x7fffffff;
  CHECK_MSG_HAS(linux_error(build_bzimage(s), linux_options("", 32 * kMiB, "rd.img"), Bytes(12 * kMiB, 1)),
                "no room for the initrd");
  // An empty --initrd file: no initrd.
  vtlab::BootImage none = load_linux(build_bzimage(BzSpec{}), linux_options("", 256 * kMiB, "empty"), {});
  CHECK(GuestView(none).u32_at(kZeroPage + 0x218) == 0);
  CHECK(GuestView(none).u32_at(kZeroPage + 0x21c) == 0);
}

TEST_CASE("bzImage errors: every refusal names the file and the reason") {
  struct Case {
    const char* what;
    std::function<void(BzSpec&)> edit;
    const char* error;
  };
  const Case cases[] = {
      {"protocol 2.05", [](BzSpec& s) { s.version = 0x0205; }, "boot protocol 2.05; vtlab needs protocol 2.06"},
      {"a zImage", [](BzSpec& s) { s.loadflags = 0; }, "is a zImage"},
      {"truncated", [](BzSpec& s) { s.syssize = 0x1000; }, "is truncated"},
      {"short header", [](BzSpec& s) { s.header_end = 0x240; }, "setup header ends at 0x240"},
      {"alignment", [](BzSpec& s) { s.kernel_alignment = 0x3000; }, "kernel_alignment 0x3000 is not a power of two"},
      {"no kernel", [](BzSpec& s) { s.kernel.clear(); }, "has no protected-mode kernel"},
      {"pref above 3 GiB", [](BzSpec& s) { s.pref_address = 0xd0000000; }, "beyond the RAM below 3 GiB"},
      {"pref wraps", [](BzSpec& s) { s.pref_address = ~u64(0) - 0x1000; }, "cannot be aligned"},
      {"too little RAM", [](BzSpec& s) { s.init_size = 0x10000000; }, "give it --mem 273M or more"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    BzSpec s;
    c.edit(s);
    const std::string e = linux_error(build_bzimage(s), linux_options());
    CHECK_MSG_HAS(e, "bzImage: ");
    CHECK_MSG_HAS(e, c.error);
  }
  BzSpec s;
  s.cmdline_size = 8;
  CHECK_MSG_HAS(linux_error(build_bzimage(s), linux_options("123456789")), "at most 8 (cmdline_size)");
  CHECK(linux_error(build_bzimage(s), linux_options("12345678")) == "<loaded without an error>");
  CHECK_MSG_HAS(linux_error(build_bzimage(BzSpec{}), linux_options(std::string("a\0b", 3))), "NUL");
  vtlab::BootOptions with_module = linux_options();
  with_module.module_paths = {"m"};
  const std::vector<Bytes> modules = {Bytes{1}};
  CHECK_MSG_HAS(load_error(build_bzimage(BzSpec{}), with_module, modules), "--module is for Multiboot kernels");
}

TEST_CASE("bzImage: a header claiming to run to 0x301 does not spill past boot_params' header area") {
  BzSpec s;
  s.header_end = 0x301;
  Bytes image = build_bzimage(s);
  for (size_t i = 0x290; i < 0x301; ++i) image[i] = 0xee;
  vtlab::BootImage img = load_linux(image, linux_options());
  GuestView g(img);
  for (u64 i = 0x290; i < 0x2d0; ++i) REQUIRE(g.u8_at(kZeroPage + i) == 0);  // edd_mbr_sig_buffer
  CHECK(g.u64_at(kZeroPage + 0x2d0) == 0);                                   // e820[0].addr
  CHECK(g.u64_at(kZeroPage + 0x2d8) == 0xa0000);                             // e820[0].size
}

TEST_CASE("--initrd belongs to Linux: Multiboot and flat images refuse it") {
  ElfSpec e;
  e.entry = 0x100000;
  e.segments = {{.paddr = 0x100000, .data = pattern(0x40, 1)}};
  e.multiboot_header = Mb1Header{}.bytes();
  vtlab::BootOptions o = options();
  o.initrd_path = "rd.img";
  CHECK_MSG_HAS(load_error(build_elf(e).bytes, o),
                "--initrd is for Linux kernels; give a Multiboot kernel its files with --module");
  o.flat = true;
  o.flat_addr = 0x7c00;
  o.cmdline = "";
  CHECK_MSG_HAS(load_error(pattern(0x10, 0), o), "--initrd is for Linux kernels");
}

// Bad input: every truncation and every single-byte corruption of the setup
// area must load cleanly or give a vtlab::Error naming the file (run under
// ASan/UBSan in the Debug suite too).
TEST_CASE("every prefix and every single-byte corruption of a bzImage's setup area: clean load or clear error") {
  for (bool long_mode : {true, false}) {
    BzSpec s;
    s.setup_sects = 1;
    s.xloadflags = long_mode ? 1 : 0;
    s.kernel = pattern(0x400, 9);
    const Bytes image = build_bzimage(s);
    const vtlab::BootOptions o = linux_options("console=ttyS0", 64 * kMiB, "rd");
    const Bytes rd = pattern(64, 2);
    REQUIRE(load_linux(image, o, rd).blobs.size() >= 5);
    auto clean = [&](const Bytes& bytes) {
      try {
        load_linux(bytes, o, rd);
      } catch (const vtlab::Error& e) {
        REQUIRE(contains(e.what(), "bzImage: "));
      }
    };
    for (size_t length = 0; length < image.size(); ++length) {
      CAPTURE(length);
      clean(Bytes(image.begin(), image.begin() + length));
    }
    for (size_t at = 0x1f1; at < 0x26c; ++at) {
      for (u8 v : {u8(0x00), u8(0xff), u8(0x80), u8(0x01), u8(image[at] ^ 0x40)}) {
        CAPTURE(at);
        CAPTURE(int(v));
        Bytes bad = image;
        bad[at] = v;
        clean(bad);
      }
    }
  }
}

// Flat binaries (--flat ADDR): real mode below 1 MiB, protected mode above.
#include <doctest/doctest.h>

#include "tests/loader/test_support.h"

using namespace loader_test;

namespace {

vtlab::BootOptions flat(u64 addr, u64 ram = 16 * kMiB) {
  vtlab::BootOptions o = options("", ram);
  o.image_path = "boot.bin";
  o.flat = true;
  o.flat_addr = addr;
  return o;
}

}  // namespace

TEST_CASE("flat binary below 1 MiB starts in real mode at its address") {
  Bytes code = pattern(512, 0xea);
  vtlab::BootImage image = load(code, flat(0x7c00));
  CHECK(image.protocol == "flat");
  CHECK(image.mode == vtlab::StartMode::Real16);
  CHECK(image.entry == 0x7c00);
  REQUIRE(image.blobs.size() == 1);
  CHECK(image.blobs[0].addr == 0x7c00);
  CHECK(image.blobs[0].bytes == code);
  CHECK(image.blobs[0].zero_fill == 0);
  CHECK(image.eax == 0);
  CHECK(image.ebx == 0);
}

TEST_CASE("flat binary ending exactly at 1 MiB is real mode; above is 32-bit protected mode") {
  // Ends at 0x100000 but lies in the VGA/BIOS area: refused, not real mode.
  CHECK_MSG_HAS(load_error(pattern(0x1000, 0), flat(0xff000)), "VGA/BIOS");
  vtlab::BootImage low = load(pattern(0x1000, 0), flat(0x9f000));
  CHECK(low.mode == vtlab::StartMode::Real16);
  vtlab::BootImage high = load(pattern(0x1000, 0), flat(0x100000));
  CHECK(high.mode == vtlab::StartMode::Protected32);
  CHECK(high.entry == 0x100000);
}

TEST_CASE("flat binary placement errors") {
  CHECK_MSG_HAS(load_error(pattern(0x2000, 0), flat(0x9f000)), "VGA/BIOS");  // runs into 0xa0000
  CHECK_MSG_HAS(load_error(pattern(0x10, 0), flat(0xb8000)), "VGA/BIOS");
  CHECK_MSG_HAS(load_error(pattern(0x10, 0), flat(16 * kMiB - 8)), "not inside guest RAM");
  CHECK_MSG_HAS(load_error(pattern(0x10, 0), flat(16 * kMiB - 0x10000 - 8)), "overlaps the ACPI tables");
  CHECK_MSG_HAS(load_error(pattern(0x10, 0), flat(0xfffffffffffffff8)), "wraps around");
  CHECK_MSG_HAS(load_error(pattern(0x10, 0), flat(0xd0000000, 4096 * kMiB)), "PCI/MMIO hole");
  CHECK_MSG_HAS(load_error(Bytes{}, flat(0x7c00)), "is empty");
  std::string message = load_error(pattern(0x10, 0), flat(16 * kMiB));
  CHECK_MSG_HAS(message, "boot.bin: ");
  // Above 4 GiB is RAM on a big machine, but 32-bit code cannot start there.
  CHECK_MSG_HAS(load_error(pattern(0x10, 0), flat(0x100000000, 4096 * kMiB)), "above 4 GiB");
}

TEST_CASE("flat binary refuses modules and a command line instead of dropping them") {
  vtlab::BootOptions o = flat(0x7c00);
  o.module_paths = {"m"};
  CHECK_MSG_HAS(load_error(pattern(16, 0), o, {Bytes{1}}), "--module needs a Multiboot kernel");
  o = flat(0x7c00);
  o.cmdline = "console=ttyS0";
  CHECK_MSG_HAS(load_error(pattern(16, 0), o), "--cmdline needs a Multiboot kernel");
}

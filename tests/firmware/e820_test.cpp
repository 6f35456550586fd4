// The memory map every boot protocol reports (docs/firmware.md), for RAM
// sizes around each boundary: sorted, never overlapping, the RAM adding up
// to what the machine has, the ACPI region at the top of RAM below 3 GiB,
// and fw_cfg's etc/e820 encoding of it.
#include <doctest/doctest.h>

#include "core/machine/boot_image.h"
#include "core/machine/firmware/firmware_setup.h"
#include "tests/firmware/acpi_reader.h"

using namespace firmware_test;
using vtlab::MemRange;

namespace {

constexpr u64 kMiB = u64(1) << 20, kGiB = u64(1) << 30;

u64 total(const std::vector<MemRange>& map, u32 type) {
  u64 sum = 0;
  for (const MemRange& r : map)
    if (r.type == type) sum += r.length;
  return sum;
}

}  // namespace

TEST_CASE("e820: 128 MiB, entry by entry") {
  const std::vector<MemRange> map = vtlab::pc_memory_map(128 * kMiB);
  const MemRange expect[] = {
      {0, 0xa0000, 1},
      {0xa0000, 0x60000, 2},  // VGA window and BIOS area (the RSDP is at 0xE0000)
      {0x100000, 127 * kMiB - 0x10000, 1},
      {128 * kMiB - 0x10000, 0x10000, 3},  // ACPI tables, reclaimable
      {0xb0000000, 0x10000000, 2},         // ECAM
      {0xfec00000, 0x1000, 2},             // IOAPIC
      {0xfed00000, 0x1000, 2},             // HPET
      {0xfee00000, 0x1000, 2},             // local APIC
  };
  REQUIRE(map.size() == std::size(expect));
  for (size_t i = 0; i < map.size(); ++i) {
    CAPTURE(i);
    CHECK(map[i].base == expect[i].base);
    CHECK(map[i].length == expect[i].length);
    CHECK(map[i].type == expect[i].type);
  }
}

TEST_CASE("e820: sorted, disjoint, and the RAM adds up, for RAM sizes across every boundary") {
  for (u64 ram :
       std::initializer_list<u64>{2 * kMiB, 16 * kMiB, 256 * kMiB, 2 * kGiB, u64(0xb0000000),
                                  u64(0xb0000000) + 64 * kMiB, 3 * kGiB, 3 * kGiB + 4096, 4 * kGiB, 64 * kGiB}) {
    CAPTURE(ram);
    const std::vector<MemRange> map = vtlab::pc_memory_map(ram);
    for (size_t i = 1; i < map.size(); ++i) CHECK(map[i - 1].base + map[i - 1].length <= map[i].base);
    // Every byte of RAM is RAM, BIOS area (640 KiB-1 MiB) or ACPI tables.
    CHECK(total(map, 1) + 0x60000 + 0x10000 == ram);
    CHECK(total(map, 3) == 0x10000);
    const u64 low_end = std::min<u64>(ram, 3 * kGiB);
    const auto acpi = vtlab::acpi_region_base(ram);
    REQUIRE(acpi);
    CHECK(*acpi == low_end - 0x10000);
    // No entry but RAM above 4 GiB; none in [3 GiB, 4 GiB) but the reserved MMIO.
    for (const MemRange& r : map) {
      if (r.base >= 4 * kGiB) CHECK(r.type == 1);
      if (r.type == 1) CHECK((r.base + r.length <= low_end || r.base >= 4 * kGiB));
    }
    const bool above_4g = ram > 3 * kGiB;
    CHECK((map.back().base == 4 * kGiB) == above_4g);
    if (above_4g) CHECK(map.back().length == ram - 3 * kGiB);
  }
}

TEST_CASE("e820: ECAM is reserved except where RAM below 3 GiB covers it") {
  auto ecam = [](u64 ram) {
    for (const MemRange& r : vtlab::pc_memory_map(ram))
      if (r.type == 2 && r.base >= 0xb0000000 && r.base < 0xc0000000) return std::pair{r.base, r.length};
    return std::pair<u64, u64>{0, 0};
  };
  CHECK(ecam(1 * kGiB) == std::pair<u64, u64>{0xb0000000, 0x10000000});
  CHECK(ecam(0xb8000000) == std::pair<u64, u64>{0xb8000000, 0x8000000});
  CHECK(ecam(4 * kGiB) == std::pair<u64, u64>{0, 0});
}

TEST_CASE("e820: too little RAM for the ACPI tables has no ACPI region") {
  CHECK_FALSE(vtlab::acpi_region_base(1 * kMiB));
  CHECK_FALSE(vtlab::acpi_region_base(0));
  CHECK(vtlab::acpi_region_base(kMiB + 0x10000) == kMiB);
  for (const MemRange& r : vtlab::pc_memory_map(0)) CHECK(r.type != 3);
}

TEST_CASE("fw_cfg etc/e820: 20-byte little-endian entries, the same map") {
  const u64 ram = 4 * kGiB;
  const Bytes file = vtlab::e820_file(ram);
  const std::vector<MemRange> map = vtlab::pc_memory_map(ram);
  REQUIRE(file.size() == 20 * map.size());
  for (size_t i = 0; i < map.size(); ++i) {
    CHECK(le(file, 20 * i, 8) == map[i].base);
    CHECK(le(file, 20 * i + 8, 8) == map[i].length);
    CHECK(le(file, 20 * i + 16, 4) == map[i].type);
  }
}

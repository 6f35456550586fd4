// The machine's one memory map: Multiboot 1/2, the Linux boot_params e820
// table and fw_cfg's etc/e820 all report this list (docs/firmware.md).
#include <algorithm>

#include "core/machine/boot_image.h"
#include "core/machine/platform_layout.h"

namespace vtlab {

namespace {

using namespace platform;

// MMIO the OS must not take for anything else, reported as reserved.
struct ReservedMmio {
  u64 base, size;
};
constexpr ReservedMmio kReservedMmio[] = {
    {kIoApicBase, kIoApicSize},
    {kHpetBase, 0x1000},
    {kLapicBase, kLapicSize},
};

}  // namespace

u64 low_ram_end(u64 ram_size) { return std::min(ram_size, kMmioHoleStart); }

std::optional<u64> acpi_region_base(u64 ram_size) {
  const u64 end = low_ram_end(ram_size);
  if (end < kHighRamStart + kAcpiRegionSize) return std::nullopt;
  return end - kAcpiRegionSize;
}

std::vector<MemRange> pc_memory_map(u64 ram_size) {
  const u64 low_end = low_ram_end(ram_size);
  std::vector<MemRange> map;
  map.push_back({0, std::min(ram_size, kLowRamEnd), kE820Ram});
  map.push_back({kLowRamEnd, kBiosAreaEnd - kLowRamEnd, kE820Reserved});
  if (std::optional<u64> acpi = acpi_region_base(ram_size)) {
    if (*acpi > kHighRamStart) map.push_back({kHighRamStart, *acpi - kHighRamStart, kE820Ram});
    map.push_back({*acpi, kAcpiRegionSize, kE820Acpi});
  }
  // ECAM lies below the 3 GiB hole: with more than 2.75 GiB of RAM the RAM
  // there wins (PhysMem maps RAM up to 3 GiB) and only the rest is reported.
  const u64 ecam_start = std::max(kEcamBase, low_end);
  if (ecam_start < kEcamBase + kEcamSize)
    map.push_back({ecam_start, kEcamBase + kEcamSize - ecam_start, kE820Reserved});
  for (const ReservedMmio& r : kReservedMmio) map.push_back({r.base, r.size, kE820Reserved});
  if (ram_size > kMmioHoleStart) map.push_back({k4GiB, ram_size - kMmioHoleStart, kE820Ram});
  return map;
}

}  // namespace vtlab

#include <algorithm>

#include "core/machine/boot_image.h"

namespace vtlab {

std::vector<MemRange> pc_memory_map(u64 ram_size) {
  constexpr u64 kLowEnd = 0xa0000;         // 640 KiB conventional memory
  constexpr u64 kHighStart = 0x100000;     // 1 MiB
  constexpr u64 kHoleStart = 0xc0000000;   // 3 GiB: PCI/MMIO hole begins
  constexpr u64 kAbove4G = 0x100000000;
  std::vector<MemRange> map;
  map.push_back({0, std::min(ram_size, kLowEnd), 1});
  map.push_back({kLowEnd, kHighStart - kLowEnd, 2});  // VGA + BIOS area
  if (ram_size > kHighStart) map.push_back({kHighStart, std::min(ram_size, kHoleStart) - kHighStart, 1});
  if (ram_size > kHoleStart) map.push_back({kAbove4G, ram_size - kHoleStart, 1});
  return map;
}

}  // namespace vtlab

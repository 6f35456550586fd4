#include "core/machine/loader/multiboot_common.h"

#include <algorithm>

#include "core/base/error.h"

namespace vtlab::loader {

std::vector<PlacedModule> place_modules(std::span<const ModuleFile> modules, GuestAllocator& allocator,
                                        std::vector<BootBlob>& blobs) {
  std::vector<PlacedModule> placed;
  for (size_t i = 0; i < modules.size(); ++i) {
    const ModuleFile& m = modules[i];
    require_no_nul(m.path, "the path of module " + std::to_string(i));
    std::string what = "module " + std::to_string(i) + " (" + m.path + ")";
    // The allocator stays below 4 GiB, so start and end fit in 32 bits.
    u64 start = allocator.take(m.bytes.size(), what);
    placed.push_back({static_cast<u32>(start), static_cast<u32>(start + m.bytes.size()), m.path});
    if (!m.bytes.empty()) blobs.push_back({start, {m.bytes.begin(), m.bytes.end()}, 0, what});
  }
  return placed;
}

u32 mem_lower_kib(u64 ram_size) {
  for (const MemRange& r : pc_memory_map(ram_size)) {
    if (r.type == 1 && r.base == 0) return static_cast<u32>(r.length / 1024);
  }
  return 0;
}

u32 mem_upper_kib(u64 ram_size) {
  for (const MemRange& r : pc_memory_map(ram_size)) {
    if (r.type == 1 && r.base == 0x100000) return static_cast<u32>(std::min<u64>(r.length / 1024, 0xffffffff));
  }
  return 0;
}

std::vector<MemRange> reported_memory_map(u64 ram_size) {
  std::vector<MemRange> map;
  for (const MemRange& r : pc_memory_map(ram_size)) {
    if (r.length != 0) map.push_back(r);
  }
  return map;
}

void require_no_nul(const std::string& text, const std::string& what) {
  if (text.find('\0') != std::string::npos) throw Error(what + " contains a NUL byte");
}

}  // namespace vtlab::loader

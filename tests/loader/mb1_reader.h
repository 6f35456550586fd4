// Parses a Multiboot 1 information structure back out of guest memory, as a
// kernel would (spec 0.6.96 section 3.3).
#pragma once
#include <string>
#include <vector>

#include "tests/loader/guest_view.h"
#include "tests/loader/image_builder.h"

namespace loader_test {

struct Mb1Module {
  u32 start, end;
  std::string string;
};
struct Mb1MmapEntry {
  u64 base, length;
  u32 type;
};
struct Mb1Info {
  u32 flags, mem_lower, mem_upper;
  std::string cmdline, boot_loader_name;
  std::vector<Mb1Module> modules;
  std::vector<Mb1MmapEntry> mmap;
};

inline Mb1Info read_mb1_info(const GuestView& g, u64 mbi) {
  Mb1Info info{};
  info.flags = g.u32_at(mbi + 0);
  info.mem_lower = g.u32_at(mbi + 4);
  info.mem_upper = g.u32_at(mbi + 8);
  if (info.flags & (1u << 2)) info.cmdline = g.cstring_at(g.u32_at(mbi + 16));
  if (info.flags & (1u << 3)) {
    u32 count = g.u32_at(mbi + 20), list = g.u32_at(mbi + 24);
    REQUIRE(count < 100);
    for (u32 i = 0; i < count; ++i) {
      u64 e = list + 16 * i;
      info.modules.push_back({g.u32_at(e), g.u32_at(e + 4), g.cstring_at(g.u32_at(e + 8))});
      CHECK(g.u32_at(e + 12) == 0);  // reserved
    }
  }
  if (info.flags & (1u << 6)) {
    u32 length = g.u32_at(mbi + 44), addr = g.u32_at(mbi + 48);
    // Each entry's size field sits before it and does not count itself.
    for (u64 at = addr; at < u64{addr} + length; at += g.u32_at(at) + 4) {
      info.mmap.push_back({g.u64_at(at + 4), g.u64_at(at + 12), g.u32_at(at + 20)});
      REQUIRE(info.mmap.size() < 100);
    }
  }
  if (info.flags & (1u << 9)) info.boot_loader_name = g.cstring_at(g.u32_at(mbi + 64));
  return info;
}

}  // namespace loader_test

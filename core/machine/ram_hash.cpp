#include "core/machine/ram_hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/base/host_file.h"

namespace vtlab {
namespace {

constexpr u64 kPage = PhysMem::kPageSize;

// RAM is laid out in the host mapping in order of "host offset": below the
// 3 GiB hole first, then what is relocated above 4 GiB.
u64 pa_of_host_offset(u64 host_off) {
  return host_off < PhysMem::kHoleStart ? host_off : PhysMem::kAbove4G + (host_off - PhysMem::kHoleStart);
}

// Adds one page to `acc` unless it is all zero.
void mix_page(const u8* p, u64 host_off, u64& acc) {
  const u64* w = reinterpret_cast<const u64*>(p);
  u64 page = 0, any = 0;
  for (unsigned k = 0; k < kPage / 8; ++k) {
    any |= w[k];
    page = (page ^ w[k]) * 0x9e3779b97f4a7c15ull + k;
  }
  if (any) acc = (acc ^ page ^ host_off) * 0xff51afd7ed558ccdull;
}

// Linux's page map: one 64-bit entry per virtual page; bit 63 "present",
// bit 62 "swapped" (Documentation/admin-guide/mm/pagemap.rst). A page with
// neither has never been written: it reads as zero.
class PageMap {
 public:
  PageMap() : fd_(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) {}
  bool usable() const { return fd_.get() >= 0; }
  // The entries of `n` pages from host address `h`, or null on error.
  const u64* read(const u8* h, u64 n) {
    entries_.resize(n);
    const u64 bytes = n * sizeof(u64);
    const off_t at = off_t(reinterpret_cast<std::uintptr_t>(h) / kPage * sizeof(u64));
    return ::pread(fd_.get(), entries_.data(), bytes, at) == ssize_t(bytes) ? entries_.data() : nullptr;
  }
  static bool backed(u64 entry) { return (entry >> 62) != 0; }

 private:
  HostFd fd_;
  std::vector<u64> entries_;
};

}  // namespace

u64 hash_guest_ram(const PhysMem& mem, RamHashStats* stats, bool use_page_map) {
  constexpr u64 kChunkPages = 16384;  // 64 MiB of RAM, 128 KiB of page map per read
  const u64 size = mem.ram_size();
  PageMap map;
  RamHashStats st;
  st.page_map_used = use_page_map && map.usable();
  u64 acc = 0;
  for (u64 chunk = 0; chunk < size; chunk += kChunkPages * kPage) {
    const u64 n = std::min(kChunkPages, (size - chunk) / kPage);
    const u8* first = mem.ram_ptr(pa_of_host_offset(chunk));
    const u8* last = mem.ram_ptr(pa_of_host_offset(chunk + (n - 1) * kPage));
    const u64* entries = st.page_map_used && last == first + (n - 1) * kPage ? map.read(first, n) : nullptr;
    if (!entries) st.page_map_used = false;
    for (u64 i = 0; i < n; ++i) {
      if (entries && !PageMap::backed(entries[i])) continue;
      const u64 host_off = chunk + i * kPage;
      mix_page(mem.ram_ptr(pa_of_host_offset(host_off)), host_off, acc);
      ++st.pages_read;
    }
  }
  if (stats) *stats = st;
  return acc;
}

}  // namespace vtlab

#include "core/machine/ram_hash.h"

namespace vtlab {
namespace {

constexpr u64 kPage = PhysMem::kPageSize;

// Adds one page to `acc` unless it is all zero. `host_off` counts RAM bytes
// from 0 with the 3-4 GiB hole removed.
void mix_page(const u8* p, u64 host_off, u64& acc) {
  const u64* w = reinterpret_cast<const u64*>(p);
  u64 page = 0, any = 0;
  for (unsigned k = 0; k < kPage / 8; ++k) {
    any |= w[k];
    page = (page ^ w[k]) * 0x9e3779b97f4a7c15ull + k;
  }
  if (any) acc = (acc ^ page ^ host_off) * 0xff51afd7ed558ccdull;
}

void mix_range(const u8* host, u64 host_off, u64 bytes, u64& acc, RamHashStats& st) {
  for (u64 off = 0; off < bytes; off += kPage, ++st.pages_read) mix_page(host + off, host_off + off, acc);
}

}  // namespace

u64 hash_guest_ram(const PhysMem& mem, RamHashStats* stats, bool touched_only) {
  RamHashStats st;
  u64 acc = 0;
  if (touched_only) {
    mem.for_each_touched_page([&](u64 off, const u8* host) { mix_range(host, off, kPage, acc, st); });
  } else {
    for (u64 off = 0; off < mem.ram_size(); off += kPage) {
      const u64 pa = off < PhysMem::kHoleStart ? off : PhysMem::kAbove4G + (off - PhysMem::kHoleStart);
      mix_range(mem.ram_ptr(pa), off, kPage, acc, st);
    }
  }
  if (stats) *stats = st;
  return acc;
}

}  // namespace vtlab

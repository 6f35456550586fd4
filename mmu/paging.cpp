#include "mmu/paging.h"

namespace vtlab {
namespace {

constexpr u64 kPresent = 1, kWrite = 2, kUser = 4, kAccessed = 0x20, kDirty = 0x40, kLarge = 0x80;
constexpr u64 kNx = u64(1) << 63;
constexpr u64 kAddrMask = ((u64(1) << kMaxPhysAddrBits) - 1) & ~u64(0xfff);
// Bits between MAXPHYADDR and 51 are reserved in every entry (SDM §4.5.4).
constexpr u64 kRsvdHigh = ((u64(1) << 52) - 1) & ~((u64(1) << kMaxPhysAddrBits) - 1);

// Page-fault error code bits (SDM §4.7).
constexpr u32 kPfPresent = 1, kPfWrite = 2, kPfUser = 4, kPfRsvd = 8, kPfFetch = 16;

u32 base_error(const WalkRequest& r) {
  u32 e = 0;
  if (r.access == Access::Write) e |= kPfWrite;
  if (r.user) e |= kPfUser;
  if (r.access == Access::Exec && r.nxe) e |= kPfFetch;
  return e;
}

// Reserved bits of an entry at `level` (4 = PML4E ... 1 = PTE), given its PS bit.
u64 reserved_bits(int level, bool large, bool nxe) {
  u64 rsvd = kRsvdHigh;
  if (!nxe) rsvd |= kNx;
  if (level >= 4) rsvd |= kLarge;                            // PS is reserved in PML4E/PML5E
  if (large && level == 3) rsvd |= 0x3fffe000ull;    // 1 GiB page: bits 29:13
  if (large && level == 2) rsvd |= 0x1fe000ull;             // 2 MiB page: bits 20:13
  return rsvd;
}

}  // namespace

WalkResult walk_page_tables(PhysMem& mem, const WalkRequest& req, std::vector<WalkStep>* trace) {
  WalkResult res;
  int levels = req.mode == PagingMode::Level5 ? 5 : 4;
  u64 table = req.cr3 & kAddrMask;
  bool writable = true, user = true, exec = true;
  u64 entry_pas[5];
  u64 entries[5];
  int depth = 0;
  for (int level = levels; level >= 1; --level) {
    unsigned shift = 12 + 9 * (level - 1);
    u64 entry_pa = table + ((req.linear >> shift) & 0x1ff) * 8;
    u64 e = mem.read(entry_pa, 8);
    if (trace) trace->push_back({level, entry_pa, e});
    if (!(e & kPresent)) {
      res.pf_error = base_error(req);
      return res;
    }
    bool large = level <= 3 && (e & kLarge);
    if (e & reserved_bits(level, large, req.nxe)) {
      res.pf_error = base_error(req) | kPfPresent | kPfRsvd;
      return res;
    }
    writable &= (e & kWrite) != 0;
    user &= (e & kUser) != 0;
    if (e & kNx) exec = false;
    entry_pas[depth] = entry_pa;
    entries[depth] = e;
    ++depth;
    if (large || level == 1) {
      u64 size = u64(1) << shift;
      u64 frame = large ? (e & kAddrMask & ~(size - 1)) : (e & kAddrMask);
      res.pa = frame | (req.linear & (size - 1));
      res.page_size = size;
      break;
    }
    table = e & kAddrMask;
  }
  // Access rights (SDM §4.6): user accesses need U/S everywhere; writes need
  // R/W everywhere, for supervisor only when CR0.WP=1; fetches need no XD.
  bool denied = (req.user && !user) ||
                (req.access == Access::Write && !writable && (req.user || req.wp)) ||
                (req.access == Access::Exec && !exec);
  if (denied) {
    res.pf_error = base_error(req) | kPfPresent;
    return res;
  }
  // Set accessed flags on every level, dirty on the leaf for writes.
  for (int i = 0; i < depth; ++i) {
    u64 want = entries[i] | kAccessed;
    if (i == depth - 1 && req.access == Access::Write) want |= kDirty;
    if (want != entries[i]) {
      mem.write(entry_pas[i], 8, want);
      if (trace) (*trace)[trace->size() - depth + i].entry = want;
    }
  }
  res.ok = true;
  res.writable = writable;
  res.user = user;
  res.executable = exec;
  return res;
}

}  // namespace vtlab

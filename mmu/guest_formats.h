// Entry formats of guest paging for the walker template (mmu/walker.h):
// 32-bit paging (SDM Vol. 3A §4.3), PAE paging (§4.4), 4- and 5-level
// paging (§4.5). Reserved bits follow MAXPHYADDR (M).
#pragma once
#include <algorithm>

#include "core/base/types.h"

namespace vtlab::guest_paging {

inline constexpr u64 kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
inline constexpr u64 kXD = u64(1) << 63;
inline constexpr u64 kPat4k = 0x80, kPatLarge = 0x1000;  // PAT bit of a PTE, of a PDE/PDPTE that maps a page

// PAT index of an access to the page an entry maps: 4*PAT + 2*PCD + PWT
// (SDM Vol. 3A §4.9.2, Table 11-11); PAT is bit 7 of a PTE, bit 12 of an
// entry that maps a large page. The same in every guest paging mode.
inline unsigned page_pat_index(u64 e, int level) {
  const bool pat = e & (level == 1 ? kPat4k : kPatLarge);
  return (pat ? 4u : 0u) | (unsigned(e >> 3) & 3);
}

constexpr u64 bits(unsigned hi, unsigned lo) {
  return ((hi == 63 ? ~u64(0) : (u64(1) << (hi + 1)) - 1)) & ~((u64(1) << lo) - 1);
}

// Rights of the whole path (SDM §4.6): R/W and U/S must be 1 at every level,
// XD at any level forbids fetches; G, D and the protection key come from
// the entry that maps the page.
struct GuestRights {
  bool writable = true, user = true, nx = false, global = false;
  u8 pkey = 0;
};

inline void accumulate_common(GuestRights& r, u64 e, bool leaf) {
  r.writable &= (e & kRW) != 0;
  r.user &= (e & kUS) != 0;
  if (leaf) r.global = (e & kG) != 0;
}

// 32-bit paging: two levels of 1024 4-byte entries; a PDE with PS=1 maps a
// 4 MiB page when CR4.PSE=1 (otherwise PS is ignored). No XD, no reserved
// bits except in 4 MiB PDEs: bit 21 and bits 20:(M'-19), M' = min(M, 40)
// (PSE-36: PDE bits (M'-20):13 are physical bits (M'-1):32, Table 4-4).
struct Legacy32Format {
  using Rights = GuestRights;
  static constexpr unsigned kEntryBytes = 4;
  static constexpr u64 kAccessed = kA, kDirty = kD;
  u64 cr3;
  bool pse;
  unsigned maxphy;

  int top_level() const { return 2; }
  u64 root() const { return cr3 & 0xfffff000; }
  u64 root_ref() const { return cr3; }  // CR3 bits 4:3 are PCD, PWT (Table 4-3)
  bool register_entry(int, u64, u64&, u64&) const { return false; }
  unsigned index(int level, u64 lin) const { return unsigned(lin >> (level == 2 ? 22 : 12)) & 0x3ff; }
  bool present(u64 e, int) const { return e & kP; }
  bool is_leaf(u64 e, int level) const { return level == 1 || (pse && (e & kPS)); }
  u64 reserved(u64, int level, bool leaf) const {
    if (level != 2 || !leaf) return 0;
    const unsigned m = std::min(maxphy, 40u);
    return bits(21, m - 19);
  }
  void accumulate(GuestRights& r, u64 e, int, bool leaf) const { accumulate_common(r, e, leaf); }
  u64 next_table(u64 e, int) const { return e & 0xfffff000; }
  u64 frame(u64 e, int level) const {
    if (level == 1) return e & 0xfffff000;
    return (e & 0xffc00000) | (((e >> 13) & 0xff) << 32);
  }
  unsigned page_shift(int level) const { return level == 2 ? 22 : 12; }
};

// PAE paging: the PDPTE for linear bits 31:30 comes from one of four
// registers; PDEs (PS=1: 2 MiB page) and PTEs are 8 bytes. Bits 62:M are
// reserved (not ignored, unlike 4-level paging), XD is reserved without
// EFER.NXE (Table 4-8 .. 4-11).
struct PaeFormat {
  using Rights = GuestRights;
  static constexpr unsigned kEntryBytes = 8;
  static constexpr u64 kAccessed = kA, kDirty = kD;
  u64 cr3;
  const u64* pdpte;
  bool nxe;
  unsigned maxphy;

  u64 addr_mask() const { return bits(maxphy - 1, 12); }
  int top_level() const { return 3; }
  u64 root() const { return cr3 & 0xffffffe0; }
  u64 root_ref() const { return 0; }  // the PDPTEs come from registers
  bool register_entry(int level, u64 lin, u64& e, u64& entry_pa) const {
    if (level != 3) return false;
    const unsigned i = unsigned(lin >> 30) & 3;
    e = pdpte[i];
    entry_pa = root() + i * 8;
    return true;
  }
  unsigned index(int level, u64 lin) const { return unsigned(lin >> (12 + 9 * (level - 1))) & 0x1ff; }
  bool present(u64 e, int) const { return e & kP; }
  bool is_leaf(u64 e, int level) const { return level == 1 || (level == 2 && (e & kPS)); }
  u64 reserved(u64, int level, bool leaf) const {
    if (level == 3) return pdpte_reserved(maxphy);
    u64 r = bits(62, maxphy) | (nxe ? 0 : kXD);
    if (leaf && level == 2) r |= bits(20, 13);
    return r;
  }
  // PDPTE registers: bits 2:1, 8:5 and 63:M are reserved (§4.4.1, Table 4-8).
  static u64 pdpte_reserved(unsigned maxphy) { return bits(2, 1) | bits(8, 5) | bits(63, maxphy); }
  void accumulate(GuestRights& r, u64 e, int level, bool leaf) const {
    if (level == 3) return;  // PDPTEs have no R/W, U/S or XD bit
    accumulate_common(r, e, leaf);
    if (nxe && (e & kXD)) r.nx = true;
  }
  u64 next_table(u64 e, int) const { return e & addr_mask(); }
  u64 frame(u64 e, int level) const { return e & addr_mask() & ~((u64(1) << page_shift(level)) - 1); }
  unsigned page_shift(int level) const { return level == 2 ? 21 : 12; }
};

// 4-level and 5-level paging: 512 8-byte entries per table. PS is reserved
// in PML5Es and PML4Es; PS=1 maps a 1 GiB page in a PDPTE and a 2 MiB page
// in a PDE. Bits 51:M are reserved, bits 62:52 ignored except the
// protection key (62:59) of the entry that maps a page (§4.5, Table 4-14 ..
// 4-20).
struct Ia32eFormat {
  using Rights = GuestRights;
  static constexpr unsigned kEntryBytes = 8;
  static constexpr u64 kAccessed = kA, kDirty = kD;
  u64 cr3;
  int levels;  // 4 or 5
  bool nxe;
  unsigned maxphy;
  bool pcide = false;  // CR4.PCIDE (for memory typing only)

  u64 addr_mask() const { return bits(maxphy - 1, 12); }
  int top_level() const { return levels; }
  u64 root() const { return cr3 & addr_mask(); }
  // CR3 bits 4:3 are PCD, PWT; with CR4.PCIDE = 1 they belong to the PCID
  // and PAT entry 0 types the root table (Tables 4-12, 4-13).
  u64 root_ref() const { return pcide ? 0 : cr3; }
  bool register_entry(int, u64, u64&, u64&) const { return false; }
  unsigned index(int level, u64 lin) const { return unsigned(lin >> (12 + 9 * (level - 1))) & 0x1ff; }
  bool present(u64 e, int) const { return e & kP; }
  bool is_leaf(u64 e, int level) const { return level == 1 || ((level == 2 || level == 3) && (e & kPS)); }
  u64 reserved(u64, int level, bool leaf) const {
    u64 r = bits(51, maxphy) | (nxe ? 0 : kXD);
    if (level >= 4) r |= kPS;
    if (leaf && level == 3) r |= bits(29, 13);
    if (leaf && level == 2) r |= bits(20, 13);
    return r;
  }
  void accumulate(GuestRights& r, u64 e, int, bool leaf) const {
    accumulate_common(r, e, leaf);
    if (nxe && (e & kXD)) r.nx = true;
    if (leaf) r.pkey = u8((e >> 59) & 0xf);
  }
  u64 next_table(u64 e, int) const { return e & addr_mask(); }
  u64 frame(u64 e, int level) const { return e & addr_mask() & ~((u64(1) << page_shift(level)) - 1); }
  unsigned page_shift(int level) const { return 12 + 9 * unsigned(level - 1); }
};

}  // namespace vtlab::guest_paging

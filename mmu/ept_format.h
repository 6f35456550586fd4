// The EPT entry format for the walker template (mmu/walker.h): 4- and
// 5-level tables of 512 8-byte entries, 2 MiB pages in PDEs and 1 GiB pages
// in PDPTEs (SDM Vol. 3C §28.2.2, Tables 28-1 .. 28-6, Figure 28-1).
//
// An entry is present if any of bits 2:0 is set (with mode-based execute
// control, bit 10 too). The walker's "reserved" test carries every EPT
// misconfiguration of a present entry (§28.2.3.1): bits 2:0 = x10b (write
// without read), execute-only where it is not supported, reserved bits
// (51:M; 7:3 of an entry that references a table, PS among them in PML5Es
// and PML4Es; 29:12 of a 1 GiB and 20:12 of a 2 MiB page), and the reserved
// memory types 2, 3 and 7 in an entry that maps a page.
#pragma once
#include "core/base/types.h"
#include "mmu/guest_formats.h"

namespace vtlab::ept_bits {

inline constexpr u64 kR = 1, kW = 2, kX = 4;  // read, write, execute (supervisor-mode linear addresses with MBEC)
inline constexpr u64 kMemTypeShift = 3;       // bits 5:3 of an entry that maps a page
inline constexpr u64 kIgnorePat = 0x40;
inline constexpr u64 kPageSize = 0x80;
inline constexpr u64 kAccessed = 0x100, kDirty = 0x200;
inline constexpr u64 kUserExec = 0x400;  // execute for user-mode linear addresses (MBEC)
inline constexpr u64 kSuppressVe = u64(1) << 63;

// Rights as the walk accumulates them, and as a translation needs them:
// bits 2:0 as in the entry, bit 3 for the entry's bit 10.
inline constexpr u8 kNeedR = 1, kNeedW = 2, kNeedX = 4, kNeedUserX = 8;
inline u8 entry_rights(u64 e) { return u8((e & 7) | ((e & kUserExec) ? kNeedUserX : 0)); }

// Memory types an entry may give (2, 3 and 7 are reserved: §28.2.3.1).
inline bool valid_memory_type(unsigned t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }

}  // namespace vtlab::ept_bits

namespace vtlab {

struct EptRights {
  u8 access = 0xf;  // AND of entry_rights() along the path
  u8 memtype = 0;   // EPT memory type of the page
  bool ipat = false;
};

struct EptFormat {
  using Rights = EptRights;
  static constexpr unsigned kEntryBytes = 8;
  static constexpr u64 kAccessed = ept_bits::kAccessed, kDirty = ept_bits::kDirty;
  u64 eptp;
  int levels;  // 4 or 5 (EPTP bits 5:3 plus one)
  bool mode_based_exec;
  bool execute_only;  // execute-only entries supported (IA32_VMX_EPT_VPID_CAP bit 0)
  unsigned maxphy;

  u64 addr_mask() const { return guest_paging::bits(maxphy - 1, 12); }
  int top_level() const { return levels; }
  u64 root() const { return eptp & addr_mask(); }
  // EPT's tables are typed by the EPTP's memory type, not the PAT (§28.2.7.1).
  u64 root_ref() const { return 0; }
  bool register_entry(int, u64, u64&, u64&) const { return false; }
  unsigned index(int level, u64 gpa) const { return unsigned(gpa >> (12 + 9 * (level - 1))) & 0x1ff; }
  u64 exec_bits() const { return ept_bits::kX | (mode_based_exec ? ept_bits::kUserExec : 0); }
  bool present(u64 e, int) const { return (e & (ept_bits::kR | ept_bits::kW)) || (e & exec_bits()); }
  bool is_leaf(u64 e, int level) const {
    return level == 1 || ((level == 2 || level == 3) && (e & ept_bits::kPageSize));
  }
  u64 reserved(u64 e, int level, bool leaf) const {
    using guest_paging::bits;
    u64 r = bits(51, maxphy);
    if (!leaf)
      r |= bits(7, 3);
    else if (level == 3)
      r |= bits(29, 12);
    else if (level == 2)
      r |= bits(20, 12);
    if (leaf && !ept_bits::valid_memory_type(unsigned(e >> ept_bits::kMemTypeShift) & 7)) r |= bits(5, 3);
    if ((e & (ept_bits::kR | ept_bits::kW)) == ept_bits::kW) r |= ept_bits::kW;
    if (!execute_only && !(e & ept_bits::kR) && (e & exec_bits())) r |= exec_bits();
    return r;
  }
  void accumulate(EptRights& r, u64 e, int, bool leaf) const {
    r.access &= ept_bits::entry_rights(e);
    if (leaf) {
      r.memtype = u8((e >> ept_bits::kMemTypeShift) & 7);
      r.ipat = e & ept_bits::kIgnorePat;
    }
  }
  u64 next_table(u64 e, int) const { return e & addr_mask(); }
  u64 frame(u64 e, int level) const { return e & addr_mask() & ~((u64(1) << page_shift(level)) - 1); }
  unsigned page_shift(int level) const { return 12 + 9 * unsigned(level - 1); }
};

}  // namespace vtlab

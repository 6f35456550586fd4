// Guest-physical mappings (SDM Vol. 3C §28.3.1): guest-physical page ->
// host-physical page with the EPT rights of the path, tagged with the EP4TA
// (EPTP bits 51:12) they were made under. Used for the accesses a guest's
// page walk makes to its own tables, for PAE PDPTE loads and for every
// guest-physical access whose combined mapping is not in the TLB.
//
// What the SDM lets it keep and what it must drop (§28.3.3): only INVEPT
// (by EP4TA, or all), an EPT violation at the address, and reset invalidate
// guest-physical mappings; INVVPID and MOV to CR3 do not. Only successful,
// permitted translations are inserted; an entry whose EPT dirty flag was
// clear does not serve a write while EPT A/D is on (the walk sets D).
//
// Budget and eviction: 64 sets x 4 ways by guest-physical bits 17:12 (large
// EPT pages are cached as 4 KiB pieces), round-robin in a set.
#pragma once
#include <array>

#include "core/base/types.h"

namespace vtlab {

// One guest-physical translation: what EPT gave for a page.
struct GpaTranslation {
  u64 frame = 0;       // host-physical base of the EPT page
  u8 page_shift = 12;  // 12, 21 or 30
  u8 rights = 0;       // AND of ept_bits::entry_rights() along the path
  bool dirty = true;   // EPT D set in the leaf (or A/D off)
  u8 memtype = 0;      // EPT memory type, and "ignore PAT"
  bool ipat = false;
  u64 hpa(u64 gpa) const { return frame | (gpa & ((u64(1) << page_shift) - 1)); }
};

class GpaTlb {
 public:
  static constexpr unsigned kSets = 64, kWays = 4;

  GpaTlb() { flush_all(); }

  const GpaTranslation* lookup(u64 ep4ta, u64 gpa) const;
  void insert(u64 ep4ta, u64 gpa, const GpaTranslation& t);
  void flush_address(u64 ep4ta, u64 gpa);  // an EPT violation at gpa
  void flush_ept(u64 ep4ta);               // INVEPT single-context
  void flush_all();                        // INVEPT all-context, reset
  unsigned live_entries() const;

 private:
  struct Entry {
    u64 tag = 0;  // EP4TA | 1; 0: empty
    u64 gpa_page = 0;
    GpaTranslation t;
  };
  struct Set {
    Entry way[kWays];
    unsigned next = 0;
  };
  static unsigned set_of(u64 gpa) { return unsigned(gpa >> 12) & (kSets - 1); }
  static u64 tag_of(u64 ep4ta) { return ep4ta | 1; }
  std::array<Set, kSets> sets_;
};

}  // namespace vtlab

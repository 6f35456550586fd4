// The architectural TLB (SDM Vol. 3A §4.10.2): translations by linear page,
// each entry the size of its page (4 KiB, 2 MiB, 4 MiB or 1 GiB), tagged with
// the PCID it was made under or marked global (G=1 with CR4.PGE=1: used
// under every PCID, §4.10.2.4). It holds what a walk found (frame and the
// rights bits), never a rights decision: the CPU decides each access with
// the current control bits (access_fault), re-walks when the entry refuses
// it or when a write needs the D flag set (§4.8), and drops the entries of
// an address that page-faults (§4.10.4.1). Only successful, permitted
// translations are inserted: nothing that faulted is cached.
//
// Budget and eviction (DESIGN: every cache has a fixed budget): 2048 entries
// for 4 KiB pages (256 sets x 8 ways by linear bits 19:12), 128 for 2/4 MiB
// pages (32 sets x 4 ways by bits 26:22), 16 for 1 GiB pages (one set);
// round-robin replacement in a set, so eviction is deterministic.
// Invalidation by PCID or of everything non-global is O(1): entries carry
// generation stamps that a flush advances.
//
// The CPU's host-pointer caches (mmu/tlb.h) are filled from these entries;
// insert() reports any entry it replaces so those caches drop what they
// derived from it.
#pragma once
#include <array>

#include "core/base/types.h"
#include "mmu/paging.h"

namespace vtlab {

// The context a translation belongs to. VT-x adds the VPID and the EPTP
// here; lookups and invalidations then match on them too.
struct TlbContext {
  u16 pcid = 0;
};

class TranslationTlb {
 public:
  static constexpr unsigned kSmallSets = 256, kSmallWays = 8;
  static constexpr unsigned kLargeSets = 32, kLargeWays = 4;
  static constexpr unsigned kHugeWays = 16;
  static constexpr unsigned kNumPcids = 4096;

  TranslationTlb() { flush_all(); }

  // The entry translating `lin` in context `ctx` (its PCID, or global).
  const Translation* lookup(u64 lin, const TlbContext& ctx) const;

  // A page whose entry was replaced (the CPU drops its derived entries).
  struct Replaced {
    bool any = false;
    u64 lin_page = 0;
    unsigned page_shift = 12;
  };
  // `t.global` must already include CR4.PGE.
  Replaced insert(u64 lin, const TlbContext& ctx, const Translation& t);

  // Invalidations (SDM §4.10.4.1).
  void flush_all();                           // every entry, global ones too
  void flush_nonglobal();                     // non-global entries of every PCID
  void flush_context(const TlbContext& ctx);  // non-global entries of one PCID
  // Entries for the page containing `lin` (of any size): the non-global
  // ones of ctx, and the global ones if `with_global`. Returns the largest
  // page shift dropped, 0 if nothing was.
  unsigned flush_address(u64 lin, const TlbContext& ctx, bool with_global);

  unsigned live_entries() const;  // for tests and the debugger

 private:
  struct Entry {
    u64 lin_page = 0;
    Translation t;
    u16 pcid = 0;
    u64 gen_all = 0, gen_nonglobal = 0, gen_pcid = 0;
  };
  template <unsigned Ways>
  struct Set {
    Entry way[Ways];
    unsigned next = 0;  // round-robin victim
  };

  bool live(const Entry& e) const {
    if (e.gen_all != gen_all_) return false;
    return e.t.global || (e.gen_nonglobal == gen_nonglobal_ && e.gen_pcid == gen_pcid_[e.pcid]);
  }
  static bool covers(const Entry& e, u64 lin) { return (lin & ~(e.t.page_size() - 1)) == e.lin_page; }
  template <unsigned Ways>
  const Entry* find(const Set<Ways>& s, u64 lin, u16 pcid) const;
  template <unsigned Ways>
  Replaced place(Set<Ways>& s, u64 lin, u16 pcid, const Translation& t);
  template <unsigned Ways>
  unsigned drop(Set<Ways>& s, u64 lin, u16 pcid, bool with_global);

  std::array<Set<kSmallWays>, kSmallSets> small_;
  std::array<Set<kLargeWays>, kLargeSets> large_;
  Set<kHugeWays> huge_;
  u64 gen_all_ = 0, gen_nonglobal_ = 1;
  std::array<u64, kNumPcids> gen_pcid_{};
};

}  // namespace vtlab

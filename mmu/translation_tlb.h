// The architectural TLB (SDM Vol. 3A §4.10.2, Vol. 3C §28.3): translations
// by linear page, each entry the size of its page (4 KiB, 2 MiB, 4 MiB or
// 1 GiB), tagged with the PCID it was made under or marked global (G=1 with
// CR4.PGE=1: used under every PCID, §4.10.2.4), and with the context of VMX
// it was made in: the VPID, and the EP4TA when EPT was in use. The SDM's
// three kinds (Vol. 3C §28.3.1) map onto it as:
//   linear mappings     no EPT: tagged VPID, PCID
//   combined mappings   EPT in use: tagged VPID, PCID and EP4TA; the page is
//                       the smaller of the guest's and EPT's (a guest large
//                       page EPT maps in smaller pages is "fractured":
//                       INVLPG of one address drops all its pieces)
//   guest-physical      mmu/gpa_tlb.h
// Entries of one context are never used in another: a lookup sees only the
// current (VPID, EP4TA) context.
//
// It holds what a walk found (frame and the rights bits, guest and EPT),
// never a rights decision: the CPU decides each access with the current
// control bits (access_fault, ept_permits), re-walks when the entry refuses
// it or when a write needs a D flag set (§4.8, §28.2.4), and drops the
// entries of an address that faults (§4.10.4.1; an EPT violation, §28.3.3.1).
// Only successful, permitted translations are inserted: nothing that
// faulted is cached.
//
// Budget and eviction (DESIGN: every cache has a fixed budget): 2048 entries
// for 4 KiB pages (256 sets x 8 ways by linear bits 19:12), 128 for 2/4 MiB
// pages (32 sets x 4 ways by bits 26:22), 16 for 1 GiB pages (one set);
// round-robin replacement in a set, so eviction is deterministic. Up to 16
// (VPID, EP4TA) contexts are tracked; a 17th takes the place of the least
// recently selected one other than the current, whose entries die with it.
// Invalidations by context, VPID, EP4TA, PCID or of everything non-global
// are O(contexts): entries carry generation stamps that a flush advances.
//
// The CPU's host-pointer caches (mmu/tlb.h) are filled from these entries
// for the current context only; insert() reports any entry it replaces so
// those caches drop what they derived from it.
#pragma once
#include <array>
#include <vector>

#include "core/base/types.h"
#include "mmu/paging.h"

namespace vtlab {

// The PCID of a lookup, insertion or invalidation; the VPID and EP4TA are
// those of the current context (TranslationTlb::set_context).
struct TlbContext {
  u16 pcid = 0;
};

class TranslationTlb {
 public:
  static constexpr unsigned kSmallSets = 256, kSmallWays = 8;
  static constexpr unsigned kLargeSets = 32, kLargeWays = 4;
  static constexpr unsigned kHugeWays = 16;
  static constexpr unsigned kNumPcids = 4096;
  static constexpr unsigned kContexts = 16;

  TranslationTlb();

  // The VMX context translations are made and used in: the VPID (0 in root
  // operation) and `ept_tag`: the EP4TA | 1 while EPT is in use, else 0.
  void set_context(u16 vpid, u64 ept_tag);
  u16 current_vpid() const { return ctx_[cur_].vpid; }

  // The entry translating `lin` in the current context under `ctx`'s PCID
  // (or global).
  const Translation* lookup(u64 lin, const TlbContext& ctx) const;

  // A page whose entry was replaced (the CPU drops its derived entries).
  struct Replaced {
    bool any = false;
    u64 lin_page = 0;
    unsigned page_shift = 12;
  };
  // `t.global` must already include CR4.PGE.
  Replaced insert(u64 lin, const TlbContext& ctx, const Translation& t);

  // Invalidations (SDM Vol. 3A §4.10.4.1; in VMX non-root operation they
  // act on the current VPID, for every EP4TA: Vol. 3C §28.3.3.1).
  void flush_all();                           // every entry of every context (reset)
  void flush_current_vpid();                  // every entry of the current VPID, global ones too
  void flush_nonglobal();                     // non-global entries of every PCID of the current VPID
  void flush_context(const TlbContext& ctx);  // non-global entries of one PCID of the current VPID
  // Entries for the page containing `lin` (of any size, and every piece of
  // a fractured guest page) of the current VPID: the non-global ones of
  // ctx's PCID, and the global ones if `with_global`. Returns the largest
  // page shift dropped (a guest page's, for pieces), 0 if nothing was.
  unsigned flush_address(u64 lin, const TlbContext& ctx, bool with_global);

  // VMX invalidations (INVVPID, INVEPT; SDM Vol. 3C §28.3.3.1).
  unsigned flush_vpid_address(u16 vpid, u64 lin);  // every PCID and EP4TA, globals too
  void flush_vpid(u16 vpid, bool keep_global);     // every PCID and EP4TA
  void flush_all_vpids_but_0();                    // every VPID except 0000H
  void flush_ept(u64 ep4ta);                       // combined mappings of one EP4TA, every VPID and PCID
  void flush_all_ept();                            // every combined mapping

  unsigned live_entries() const;  // for tests and the debugger

 private:
  struct Entry {
    u64 lin_page = 0;
    Translation t;
    u16 pcid = 0;
    u8 ctx = 0;  // index into ctx_
    u64 gen = 0, gen_nonglobal = 0, gen_pcid = 0;
  };
  template <unsigned Ways>
  struct Set {
    Entry way[Ways];
    unsigned next = 0;  // round-robin victim
  };
  struct Context {
    u16 vpid = 0;
    u64 ept_tag = 0;
    bool used = false;
    u64 selected = 0;  // when set_context last chose it (eviction order)
    u64 gen = 0, gen_nonglobal = 0;
  };

  u64 fresh() { return ++gen_counter_; }
  bool live(const Entry& e) const {
    const Context& c = ctx_[e.ctx];
    if (e.gen != c.gen) return false;
    return e.t.global || (e.gen_nonglobal == c.gen_nonglobal && e.gen_pcid == pcid_gen(e.ctx, e.pcid));
  }
  static bool covers(const Entry& e, u64 lin) { return (lin & ~(e.t.page_size() - 1)) == e.lin_page; }
  // Whether a drop of `lin` in contexts of `vpid` applies to e (and which
  // PCID's non-global entries, or all PCIDs when pcid < 0).
  bool matches(const Entry& e, u16 vpid, int pcid, bool with_global) const;
  template <unsigned Ways>
  const Entry* find(const Set<Ways>& s, u64 lin, u16 pcid) const;
  template <unsigned Ways>
  Replaced place(Set<Ways>& s, u64 lin, u16 pcid, const Translation& t);
  template <unsigned Ways>
  unsigned drop(Set<Ways>& s, u64 lin, u16 vpid, int pcid, bool with_global);
  template <unsigned Ways>
  unsigned drop_pieces(Set<Ways>& s, u64 lin, u16 vpid, int pcid, bool with_global);
  unsigned drop_address(u64 lin, u16 vpid, int pcid, bool with_global);
  // Guest large pages with pieces in the TLB (a 256-bit filter by page),
  // so INVLPG scans for pieces only when there may be some.
  static unsigned fracture_bit(u64 lin, unsigned guest_shift) {
    const u64 k = (lin >> guest_shift) * 0x9e3779b97f4a7c15ull + guest_shift;
    return unsigned(k >> 56);
  }
  bool maybe_fractured(u64 lin) const;

  std::array<Set<kSmallWays>, kSmallSets> small_;
  std::array<Set<kLargeWays>, kLargeSets> large_;
  Set<kHugeWays> huge_;
  std::array<Context, kContexts> ctx_;
  unsigned cur_ = 0;
  u64 gen_counter_ = 0, select_counter_ = 0;
  // A generation per PCID of each context (on the heap: 512 KiB).
  std::vector<u64> gen_pcid_;
  u64& pcid_gen(unsigned ctx, u16 pcid) { return gen_pcid_[ctx * kNumPcids + pcid]; }
  u64 pcid_gen(unsigned ctx, u16 pcid) const { return gen_pcid_[ctx * kNumPcids + pcid]; }
  u64 fractured_[4] = {};
};

}  // namespace vtlab

// Host-pointer TLB: linear 4 KiB page -> host pointer, one instance per
// access kind (read, write, execute), tagged user/supervisor. The fast path
// of every memory access. Set-associative (DESIGN: two buffers a power of
// two apart must not evict each other, as they do in a direct-mapped TLB).
//
// It caches rights *decisions*, derived from the architectural TLB
// (mmu/translation_tlb.h) for the current context only: an entry exists only
// for a RAM page the access is allowed on under the current CR0.WP, CR4,
// EFER.NXE and PKRU, for every access of its tag (so never for a
// supervisor data access to a user page under SMAP, which depends on
// EFLAGS.AC), and a write entry only once the page's D flag is set. The CPU
// flushes it when any of those inputs changes, on every CR3 load (PCID
// switch) and with every invalidation of the entries it came from; 2 MiB,
// 4 MiB and 1 GiB pages are cached here as 4 KiB pieces of their one
// architectural entry.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/base/types.h"

namespace vtlab {

class SoftTlb {
 public:
  static constexpr unsigned kSets = 256, kWays = 4;

  SoftTlb() { flush(); }

  // Host pointer for `lin` if cached for this privilege, else nullptr.
  u8* lookup(u64 lin, bool user) const {
    u64 tag = make_tag(lin, user);
    const Set& s = sets_[set_of(lin)];
    for (unsigned w = 0; w < kWays; ++w)
      if (s.tag[w] == tag) return reinterpret_cast<u8*>(lin + s.addend[w]);
    return nullptr;
  }

  // `large_piece`: the 4 KiB piece of a larger page (flush_range finds those
  // by the sets it marks instead of scanning every set).
  void insert(u64 lin, bool user, u8* host_page, bool large_piece = false) {
    const unsigned set = set_of(lin);
    if (large_piece) large_sets_[set / 64] |= u64(1) << (set % 64);
    Set& s = sets_[set];
    // Move older entries down one way; the newest lives in way 0.
    for (unsigned w = kWays - 1; w > 0; --w) s.tag[w] = s.tag[w - 1], s.addend[w] = s.addend[w - 1];
    s.tag[0] = make_tag(lin, user);
    s.addend[0] = reinterpret_cast<std::uintptr_t>(host_page) - (lin & ~u64(0xfff));
  }

  void flush() {
    std::memset(sets_, 0, sizeof sets_);
    std::memset(large_sets_, 0, sizeof large_sets_);
  }
  void flush_page(u64 lin) {
    Set& s = sets_[set_of(lin)];
    for (unsigned w = 0; w < kWays; ++w)
      if ((s.tag[w] & ~u64(0xfff)) == (lin & ~u64(0xfff))) s.tag[w] = 0;
  }
  // Drops every entry for a linear page inside [base, base + size) (a large
  // page's pieces).
  void flush_range(u64 base, u64 size) {
    if (size <= 0x1000) return flush_page(base);
    for (unsigned word = 0; word < kSets / 64; ++word)
      for (u64 bits = large_sets_[word]; bits; bits &= bits - 1) {
        Set& s = sets_[word * 64 + unsigned(__builtin_ctzll(bits))];
        for (unsigned w = 0; w < kWays; ++w)
          if (s.tag[w] && (s.tag[w] & ~u64(0xfff)) - base < size) s.tag[w] = 0;
      }
  }
  // Drops every entry whose host page is `host_page` (a page became code).
  void flush_host_page(const u8* host_page) {
    for (auto& s : sets_)
      for (unsigned w = 0; w < kWays; ++w)
        if (s.tag[w] && (s.tag[w] & ~u64(0xfff)) + s.addend[w] == reinterpret_cast<std::uintptr_t>(host_page))
          s.tag[w] = 0;
  }

 private:
  struct Set {
    u64 tag[kWays];
    std::uintptr_t addend[kWays];
  };
  static unsigned set_of(u64 lin) { return (lin >> 12) & (kSets - 1); }
  // Bit 1 marks a valid entry (page-aligned tags leave the low bits free).
  static u64 make_tag(u64 lin, bool user) { return (lin & ~u64(0xfff)) | 2 | u64(user); }

  Set sets_[kSets];
  u64 large_sets_[kSets / 64] = {};  // sets that may hold pieces of large pages
};

}  // namespace vtlab

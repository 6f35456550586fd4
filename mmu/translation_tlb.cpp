#include "mmu/translation_tlb.h"

namespace vtlab {
namespace {

unsigned small_set(u64 lin) { return unsigned(lin >> 12) & (TranslationTlb::kSmallSets - 1); }
unsigned large_set(u64 lin) { return unsigned(lin >> 22) & (TranslationTlb::kLargeSets - 1); }

}  // namespace

template <unsigned Ways>
const TranslationTlb::Entry* TranslationTlb::find(const Set<Ways>& s, u64 lin, u16 pcid) const {
  for (const Entry& e : s.way)
    if (live(e) && covers(e, lin) && (e.t.global || e.pcid == pcid)) return &e;
  return nullptr;
}

const Translation* TranslationTlb::lookup(u64 lin, const TlbContext& ctx) const {
  if (const Entry* e = find(small_[small_set(lin)], lin, ctx.pcid)) return &e->t;
  if (const Entry* e = find(large_[large_set(lin)], lin, ctx.pcid)) return &e->t;
  if (const Entry* e = find(huge_, lin, ctx.pcid)) return &e->t;
  return nullptr;
}

template <unsigned Ways>
TranslationTlb::Replaced TranslationTlb::place(Set<Ways>& s, u64 lin, u16 pcid, const Translation& t) {
  const u64 page = lin & ~(t.page_size() - 1);
  // The same page in the same context is updated in place; otherwise a free
  // way, otherwise the round-robin victim.
  Entry* slot = nullptr;
  for (Entry& e : s.way)
    if (live(e) && e.lin_page == page && e.t.page_shift == t.page_shift && (e.pcid == pcid || e.t.global)) slot = &e;
  if (!slot)
    for (Entry& e : s.way)
      if (!live(e)) {
        slot = &e;
        break;
      }
  if (!slot) {
    slot = &s.way[s.next];
    s.next = (s.next + 1) % Ways;
  }
  Replaced r;
  if (live(*slot)) r = Replaced{true, slot->lin_page, slot->t.page_shift};
  slot->lin_page = page;
  slot->t = t;
  slot->pcid = pcid;
  slot->gen_all = gen_all_;
  slot->gen_nonglobal = gen_nonglobal_;
  slot->gen_pcid = gen_pcid_[pcid];
  return r;
}

TranslationTlb::Replaced TranslationTlb::insert(u64 lin, const TlbContext& ctx, const Translation& t) {
  const u16 pcid = ctx.pcid & (kNumPcids - 1);
  if (t.page_shift == 12) return place(small_[small_set(lin)], lin, pcid, t);
  if (t.page_shift < 30) return place(large_[large_set(lin)], lin, pcid, t);
  return place(huge_, lin, pcid, t);
}

void TranslationTlb::flush_all() { ++gen_all_; }

void TranslationTlb::flush_nonglobal() { ++gen_nonglobal_; }

void TranslationTlb::flush_context(const TlbContext& ctx) { ++gen_pcid_[ctx.pcid & (kNumPcids - 1)]; }

template <unsigned Ways>
unsigned TranslationTlb::drop(Set<Ways>& s, u64 lin, u16 pcid, bool with_global) {
  unsigned shift = 0;
  for (Entry& e : s.way) {
    if (!live(e) || !covers(e, lin)) continue;
    if (e.t.global ? !with_global : e.pcid != pcid) continue;
    e.gen_all = 0;
    if (e.t.page_shift > shift) shift = e.t.page_shift;
  }
  return shift;
}

unsigned TranslationTlb::flush_address(u64 lin, const TlbContext& ctx, bool with_global) {
  const u16 pcid = ctx.pcid & (kNumPcids - 1);
  unsigned shift = drop(small_[small_set(lin)], lin, pcid, with_global);
  unsigned s = drop(large_[large_set(lin)], lin, pcid, with_global);
  if (s > shift) shift = s;
  s = drop(huge_, lin, pcid, with_global);
  return s > shift ? s : shift;
}

unsigned TranslationTlb::live_entries() const {
  unsigned n = 0;
  for (const auto& s : small_)
    for (const Entry& e : s.way) n += live(e);
  for (const auto& s : large_)
    for (const Entry& e : s.way) n += live(e);
  for (const Entry& e : huge_.way) n += live(e);
  return n;
}

}  // namespace vtlab

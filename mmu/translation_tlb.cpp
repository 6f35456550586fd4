#include <algorithm>

#include "mmu/translation_tlb.h"

namespace vtlab {
namespace {

unsigned small_set(u64 lin) { return unsigned(lin >> 12) & (TranslationTlb::kSmallSets - 1); }
unsigned large_set(u64 lin) { return unsigned(lin >> 22) & (TranslationTlb::kLargeSets - 1); }

}  // namespace

TranslationTlb::TranslationTlb() : gen_pcid_(size_t(kContexts) * kNumPcids, 0) {
  for (Context& c : ctx_) c.gen = fresh(), c.gen_nonglobal = fresh();
  ctx_[0].used = true;  // root operation: VPID 0, no EPT
  cur_ = 0;
}

void TranslationTlb::set_context(u16 vpid, u64 ept_tag) {
  unsigned pick = kContexts;
  for (unsigned i = 0; i < kContexts && pick == kContexts; ++i)
    if (ctx_[i].used && ctx_[i].vpid == vpid && ctx_[i].ept_tag == ept_tag) pick = i;
  if (pick == kContexts) {
    // A free context, else the one selected longest ago (never the current).
    for (unsigned i = 0; i < kContexts && pick == kContexts; ++i)
      if (!ctx_[i].used) pick = i;
    if (pick == kContexts)
      for (unsigned i = 0; i < kContexts; ++i)
        if (i != cur_ && (pick == kContexts || ctx_[i].selected < ctx_[pick].selected)) pick = i;
    // Whatever was cached for the context it replaces dies with it.
    ctx_[pick] = Context{vpid, ept_tag, true, 0, fresh(), fresh()};
  }
  ctx_[pick].selected = ++select_counter_;
  cur_ = pick;
}

template <unsigned Ways>
const TranslationTlb::Entry* TranslationTlb::find(const Set<Ways>& s, u64 lin, u16 pcid) const {
  for (const Entry& e : s.way)
    if (e.ctx == cur_ && live(e) && covers(e, lin) && (e.t.global || e.pcid == pcid)) return &e;
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
    if (e.ctx == cur_ && live(e) && e.lin_page == page && e.t.page_shift == t.page_shift &&
        (e.pcid == pcid || e.t.global))
      slot = &e;
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
  if (live(*slot) && slot->ctx == cur_) r = Replaced{true, slot->lin_page, slot->t.page_shift};
  const Context& c = ctx_[cur_];
  slot->lin_page = page;
  slot->t = t;
  slot->pcid = pcid;
  slot->ctx = u8(cur_);
  slot->gen = c.gen;
  slot->gen_nonglobal = c.gen_nonglobal;
  slot->gen_pcid = pcid_gen(cur_, pcid);
  return r;
}

TranslationTlb::Replaced TranslationTlb::insert(u64 lin, const TlbContext& ctx, const Translation& t) {
  const u16 pcid = ctx.pcid & (kNumPcids - 1);
  if (t.guest_shift > t.page_shift) {
    const unsigned bit = fracture_bit(lin, t.guest_shift);
    fractured_[bit / 64] |= u64(1) << (bit % 64);
  }
  if (t.page_shift == 12) return place(small_[small_set(lin)], lin, pcid, t);
  if (t.page_shift < 30) return place(large_[large_set(lin)], lin, pcid, t);
  return place(huge_, lin, pcid, t);
}

void TranslationTlb::flush_all() {
  for (Context& c : ctx_) c.gen = fresh(), c.gen_nonglobal = fresh();
  for (u64& w : fractured_) w = 0;
}

void TranslationTlb::flush_current_vpid() { flush_vpid(current_vpid(), false); }

void TranslationTlb::flush_nonglobal() {
  const u16 vpid = current_vpid();
  for (Context& c : ctx_)
    if (c.vpid == vpid) c.gen_nonglobal = fresh();
}

void TranslationTlb::flush_context(const TlbContext& ctx) {
  const u16 vpid = current_vpid(), pcid = ctx.pcid & (kNumPcids - 1);
  for (unsigned i = 0; i < kContexts; ++i)
    if (ctx_[i].vpid == vpid) ++pcid_gen(i, pcid);
}

void TranslationTlb::flush_vpid(u16 vpid, bool keep_global) {
  for (Context& c : ctx_)
    if (c.vpid == vpid) (keep_global ? c.gen_nonglobal : c.gen) = fresh();
}

void TranslationTlb::flush_all_vpids_but_0() {
  for (Context& c : ctx_)
    if (c.vpid != 0) c.gen = fresh();
}

void TranslationTlb::flush_ept(u64 ep4ta) {
  for (Context& c : ctx_)
    if (c.ept_tag == (ep4ta | 1)) c.gen = fresh();
}

void TranslationTlb::flush_all_ept() {
  for (Context& c : ctx_)
    if (c.ept_tag != 0) c.gen = fresh();
}

bool TranslationTlb::matches(const Entry& e, u16 vpid, int pcid, bool with_global) const {
  if (!live(e) || ctx_[e.ctx].vpid != vpid) return false;
  return e.t.global ? with_global : (pcid < 0 || e.pcid == unsigned(pcid));
}

template <unsigned Ways>
unsigned TranslationTlb::drop(Set<Ways>& s, u64 lin, u16 vpid, int pcid, bool with_global) {
  unsigned shift = 0;
  for (Entry& e : s.way) {
    if (!covers(e, lin) || !matches(e, vpid, pcid, with_global)) continue;
    e.gen = 0;
    if (e.t.guest_page_shift() > shift) shift = e.t.guest_page_shift();
  }
  return shift;
}

template <unsigned Ways>
unsigned TranslationTlb::drop_pieces(Set<Ways>& s, u64 lin, u16 vpid, int pcid, bool with_global) {
  unsigned shift = 0;
  for (Entry& e : s.way) {
    const unsigned g = e.t.guest_page_shift();
    if (g <= e.t.page_shift || ((lin ^ e.lin_page) >> g) != 0 || !matches(e, vpid, pcid, with_global)) continue;
    e.gen = 0;
    if (g > shift) shift = g;
  }
  return shift;
}

bool TranslationTlb::maybe_fractured(u64 lin) const {
  for (unsigned shift : {21u, 22u, 30u}) {
    const unsigned bit = fracture_bit(lin, shift);
    if ((fractured_[bit / 64] >> (bit % 64)) & 1) return true;
  }
  return false;
}

unsigned TranslationTlb::drop_address(u64 lin, u16 vpid, int pcid, bool with_global) {
  unsigned shift = drop(small_[small_set(lin)], lin, vpid, pcid, with_global);
  shift = std::max(shift, drop(large_[large_set(lin)], lin, vpid, pcid, with_global));
  shift = std::max(shift, drop(huge_, lin, vpid, pcid, with_global));
  if (maybe_fractured(lin)) {
    // The pieces of a guest large page lie in many sets (SDM Vol. 3A
    // §4.10.4.1: INVLPG drops every TLB entry of the page).
    for (auto& s : small_) shift = std::max(shift, drop_pieces(s, lin, vpid, pcid, with_global));
    for (auto& s : large_) shift = std::max(shift, drop_pieces(s, lin, vpid, pcid, with_global));
  }
  return shift;
}

unsigned TranslationTlb::flush_address(u64 lin, const TlbContext& ctx, bool with_global) {
  return drop_address(lin, current_vpid(), int(ctx.pcid & (kNumPcids - 1)), with_global);
}

unsigned TranslationTlb::flush_vpid_address(u16 vpid, u64 lin) { return drop_address(lin, vpid, -1, true); }

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

#include "mmu/gpa_tlb.h"

namespace vtlab {

const GpaTranslation* GpaTlb::lookup(u64 ep4ta, u64 gpa) const {
  const u64 tag = tag_of(ep4ta), page = gpa >> 12;
  for (const Entry& e : sets_[set_of(gpa)].way)
    if (e.tag == tag && e.gpa_page == page) return &e.t;
  return nullptr;
}

void GpaTlb::insert(u64 ep4ta, u64 gpa, const GpaTranslation& t) {
  const u64 tag = tag_of(ep4ta), page = gpa >> 12;
  Set& s = sets_[set_of(gpa)];
  Entry* slot = nullptr;
  for (Entry& e : s.way)
    if (e.tag == tag && e.gpa_page == page) slot = &e;
  if (!slot)
    for (Entry& e : s.way)
      if (!e.tag) {
        slot = &e;
        break;
      }
  if (!slot) {
    slot = &s.way[s.next];
    s.next = (s.next + 1) % kWays;
  }
  *slot = Entry{tag, page, t};
}

void GpaTlb::flush_address(u64 ep4ta, u64 gpa) {
  const u64 tag = tag_of(ep4ta), page = gpa >> 12;
  for (Entry& e : sets_[set_of(gpa)].way)
    if (e.tag == tag && e.gpa_page == page) e.tag = 0;
}

void GpaTlb::flush_ept(u64 ep4ta) {
  const u64 tag = tag_of(ep4ta);
  for (Set& s : sets_)
    for (Entry& e : s.way)
      if (e.tag == tag) e.tag = 0;
}

void GpaTlb::flush_all() {
  for (Set& s : sets_) s = Set{};
}

unsigned GpaTlb::live_entries() const {
  unsigned n = 0;
  for (const Set& s : sets_)
    for (const Entry& e : s.way) n += e.tag != 0;
  return n;
}

}  // namespace vtlab

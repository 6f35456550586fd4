// The one page-walking loop (DESIGN: one walker template serves guest
// paging in all modes, EPT and VT-d second-level tables). A format object
// describes its tables; this loop reads the entries level by level, records
// them for the debugger, and afterwards sets the accessed/dirty flags.
//
// A format F provides:
//   using Rights;                      rights accumulated along the path
//   static constexpr unsigned kEntryBytes;   4 or 8
//   static constexpr u64 kAccessed, kDirty;  A/D bits (0: the format has none)
//   int top_level() const;             level of the root table
//   u64 root() const;                  physical address of the root table
//   bool register_entry(int level, u64 addr, u64& entry, u64& entry_pa) const;
//                                      true if this level's entry is held in a
//                                      register (PAE PDPTEs), not read from memory
//   unsigned index(int level, u64 addr) const;
//   bool present(u64 e, int level) const;
//   bool is_leaf(u64 e, int level) const;      maps a page (level 1 always)
//   u64 reserved(u64 e, int level, bool leaf) const;   mask of reserved bits
//   void accumulate(Rights&, u64 e, int level, bool leaf) const;
//   u64 next_table(u64 e, int level) const;
//   u64 frame(u64 e, int level) const;         physical base of a mapped page
//   unsigned page_shift(int level) const;
//   u64 root_ref() const;              what points to the root table for memory
//                                      typing: bits 4:3 are its PCD/PWT (SDM
//                                      Vol. 3A §4.9.2); 0 where none
//
// The tables live in a Tables object: PhysTables reads and writes physical
// memory (guest paging without EPT, EPT's own tables, VT-d); the nested
// walk of a guest in VMX non-root operation passes one that translates each
// entry's guest-physical address through EPT first (mmu/ept_walk.h) and may
// refuse (an EPT violation): the walk then ends with WalkEnd::Stopped.
//   bool read(u64 addr, unsigned bytes, u64& value, std::vector<WalkStep>*);
//   bool write(u64 addr, unsigned bytes, u64 value, std::vector<WalkStep>*);
//   u8 memory_type(u64 addr, u64 ref);  the memory type of the read just made
//                                       of a table `ref` points to, for the
//                                       trace (memtype::kNone: not recorded)
#pragma once
#include <vector>

#include "core/base/types.h"
#include "mmu/memory_type.h"
#include "mmu/paging.h"
#include "mmu/phys_mem.h"

namespace vtlab {

// Reserved: an entry with a reserved bit set (for EPT: a misconfigured
// entry). Stopped: the Tables object refused a table access.
enum class WalkEnd : u8 { Mapped, NotPresent, Reserved, Stopped };

struct PhysTables {
  PhysMem& mem;
  // Guest paging without EPT: PAT and MTRRs type the table reads (nullptr:
  // not recorded). EPT's own tables leave it null (ept_translate types them).
  const MemTypeRegs* types = nullptr;
  bool read(u64 pa, unsigned bytes, u64& value, std::vector<WalkStep>*) {
    value = mem.read(pa, bytes);
    return true;
  }
  bool write(u64 pa, unsigned bytes, u64 value, std::vector<WalkStep>*) {
    mem.write(pa, bytes, value);
    return true;
  }
  u8 memory_type(u64 pa, u64 ref) const {
    return types ? physical_typing(*types, pa, pat_type(types->pat, table_pat_index(ref))).type : memtype::kNone;
  }
};

template <class F>
struct RawWalk {
  static constexpr int kMaxLevels = 5;
  WalkEnd end = WalkEnd::NotPresent;
  int level = 0;  // level of the last entry read (the leaf, or the one that failed)
  u64 frame = 0;
  unsigned page_shift = 12;
  u64 leaf = 0;
  u64 last = 0;  // the last entry read (the leaf, or the one that ended the walk)
  typename F::Rights rights{};
  // Entries read from memory (not registers), root first, for the A/D update.
  int depth = 0;
  u64 entry_pa[kMaxLevels] = {};
  u64 entry[kMaxLevels] = {};
  int trace_index[kMaxLevels] = {};
};

template <class F, class Tables>
RawWalk<F> walk_tables(Tables& tables, const F& f, u64 addr, std::vector<WalkStep>* trace) {
  RawWalk<F> w;
  u64 table = f.root();
  u64 ref = f.root_ref();  // CR3, or the entry that points to this level's table
  for (int level = f.top_level(); level >= 1; --level) {
    u64 e = 0, entry_pa = 0;
    const bool in_register = f.register_entry(level, addr, e, entry_pa);
    if (!in_register) {
      entry_pa = table + u64(f.index(level, addr)) * F::kEntryBytes;
      if (!tables.read(entry_pa, F::kEntryBytes, e, trace)) {
        w.level = level;
        w.end = WalkEnd::Stopped;
        return w;
      }
    }
    if (trace) {
      trace->push_back({level, entry_pa, e, in_register});
      if (!in_register) trace->back().memtype = tables.memory_type(entry_pa, ref);
    }
    w.level = level;
    w.last = e;
    if (!f.present(e, level)) {
      w.end = WalkEnd::NotPresent;
      return w;
    }
    const bool leaf = f.is_leaf(e, level);
    if (e & f.reserved(e, level, leaf)) {
      w.end = WalkEnd::Reserved;
      return w;
    }
    f.accumulate(w.rights, e, level, leaf);
    if (!in_register) {
      w.entry_pa[w.depth] = entry_pa;
      w.entry[w.depth] = e;
      w.trace_index[w.depth] = trace ? int(trace->size()) - 1 : -1;
      ++w.depth;
    }
    if (leaf) {
      w.end = WalkEnd::Mapped;
      w.leaf = e;
      w.frame = f.frame(e, level);
      w.page_shift = f.page_shift(level);
      return w;
    }
    table = f.next_table(e, level);
    ref = e;
  }
  return w;  // unreachable for a well-formed format: level 1 is always a leaf
}

template <class F>
RawWalk<F> walk_tables(PhysMem& mem, const F& f, u64 addr, std::vector<WalkStep>* trace) {
  PhysTables tables{mem};
  return walk_tables(tables, f, addr, trace);
}

// Whether a mapped walk's A/D update writes anything (A clear somewhere,
// or D clear in the leaf of a write).
template <class F>
bool needs_accessed_dirty(const RawWalk<F>& w, bool write) {
  for (int i = 0; i < w.depth; ++i)
    if (!(w.entry[i] & F::kAccessed)) return true;
  return write && w.depth && !(w.entry[w.depth - 1] & F::kDirty);
}

// Sets A in every entry of a mapped walk and, for a write, D in the leaf
// (SDM Vol. 3A §4.8). Entries are written back only when they change.
// False if the Tables object refused a write (the entries before it were
// updated, as a processor updates them one by one).
template <class F, class Tables>
bool set_accessed_dirty(Tables& tables, RawWalk<F>& w, bool write, std::vector<WalkStep>* trace) {
  if constexpr (F::kAccessed != 0) {
    for (int i = 0; i < w.depth; ++i) {
      u64 want = w.entry[i] | F::kAccessed;
      if (write && i == w.depth - 1) want |= F::kDirty;
      if (want == w.entry[i]) continue;
      if (!tables.write(w.entry_pa[i], F::kEntryBytes, want, trace)) return false;
      w.entry[i] = want;
      if (trace && w.trace_index[i] >= 0) (*trace)[size_t(w.trace_index[i])].entry = want;
    }
    if (w.depth) w.leaf = w.entry[w.depth - 1];
  }
  return true;
}

template <class F>
void set_accessed_dirty(PhysMem& mem, RawWalk<F>& w, bool write, std::vector<WalkStep>* trace) {
  PhysTables tables{mem};
  set_accessed_dirty(tables, w, write, trace);
}

}  // namespace vtlab

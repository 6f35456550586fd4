#include "mmu/paging.h"

#include "mmu/ept_walk.h"
#include "mmu/guest_formats.h"
#include "mmu/walker.h"

namespace vtlab {
namespace {

using namespace guest_paging;

// `tables`: physical memory, or the guest-physical space seen through EPT
// (NestedTables, which then holds why a table access was refused).
template <class F, class Tables>
WalkResult guest_walk(Tables& tables, const F& f, const WalkRequest& req, u64 addr, std::vector<WalkStep>* trace) {
  RawWalk<F> w = walk_tables(tables, f, addr, trace);
  WalkResult res;
  if (w.end == WalkEnd::Stopped) return res;
  if (w.end == WalkEnd::NotPresent) {
    res.pf_error = pf_error_base(req);
    return res;
  }
  if (w.end == WalkEnd::Reserved) {
    res.pf_error = pf_error_base(req) | pf::kPresent | pf::kRsvd;
    return res;
  }
  Translation& t = res.translation;
  t.frame = w.frame;
  t.page_shift = u8(w.page_shift);
  t.writable = w.rights.writable;
  t.user = w.rights.user;
  t.nx = w.rights.nx;
  t.global = w.rights.global;
  t.pkey = w.rights.pkey;
  if (u32 err = access_fault(req, t)) {
    // A refused access sets no A/D flag; the CPU caches nothing for it.
    res.pf_error = err;
    return res;
  }
  if (req.set_ad && !set_accessed_dirty(tables, w, req.access == Access::Write, trace)) return WalkResult{};
  t.dirty = (w.leaf & kD) != 0;
  // The PAT type of the access (§4.9.2); the caller combines it with the
  // MTRRs' type or EPT's.
  if (req.memtypes) res.typing.pat = pat_type(req.memtypes->pat, page_pat_index(w.leaf, w.level));
  res.ok = true;
  res.page_size = t.page_size();
  res.pa = t.frame | (addr & (res.page_size - 1));
  return res;
}

template <class Tables>
WalkResult walk_mode(Tables& tables, const WalkRequest& req, std::vector<WalkStep>* trace) {
  switch (req.mode) {
    case PagingMode::Legacy32:
      return guest_walk(tables, Legacy32Format{req.cr3, req.pse, kMaxPhysAddrBits}, req, u32(req.linear), trace);
    case PagingMode::Pae:
      return guest_walk(tables, PaeFormat{req.cr3, req.pdpte, req.nxe, kMaxPhysAddrBits}, req, u32(req.linear), trace);
    case PagingMode::Level4:
    case PagingMode::Level5:
      return guest_walk(tables,
                        Ia32eFormat{req.cr3, req.mode == PagingMode::Level5 ? 5 : 4, req.nxe, kMaxPhysAddrBits,
                                    req.memtypes && req.memtypes->pcide},
                        req, req.linear, trace);
    case PagingMode::None:
      break;
  }
  WalkResult identity;
  identity.ok = true;
  identity.pa = req.linear;
  identity.translation.frame = req.linear & ~u64(0xfff);
  identity.translation.writable = identity.translation.user = identity.translation.dirty = true;
  // With CR0.PG = 0 the PAT type is WB (SDM Vol. 3C §28.2.7.2), which leaves
  // the MTRRs' type as it is (Table 11-7).
  if (req.memtypes) identity.typing.pat = memtype::kWB;
  return identity;
}

}  // namespace

WalkResult walk_page_tables(PhysMem& mem, const WalkRequest& req, std::vector<WalkStep>* trace) {
  if (!req.ept) {
    PhysTables tables{mem, req.memtypes};
    WalkResult r = walk_mode(tables, req, trace);
    if (r.ok && req.memtypes) r.typing = physical_typing(*req.memtypes, r.pa, r.typing.pat);
    return r;
  }
  // Two-dimensional: the guest's tables through EPT, then the result.
  NestedTables tables{*req.ept, req.linear, req.memtypes};
  WalkResult r = walk_mode(tables, req, trace);
  if (tables.fault.kind != EptFaultKind::None) {
    r = WalkResult{};
    r.ept_fault = tables.fault;
    return r;
  }
  if (r.ok) finish_nested_walk(*req.ept, req, r, trace);
  return r;
}

bool load_pae_pdptes(PhysMem& mem, u64 cr3, u64 out[4]) { return read_pae_pdptes(mem, cr3 & 0xffffffe0, out); }

bool read_pae_pdptes(PhysMem& mem, u64 base, u64 out[4]) {
  const u64 reserved = PaeFormat::pdpte_reserved(kMaxPhysAddrBits);
  u64 e[4];
  for (unsigned i = 0; i < 4; ++i) {
    e[i] = mem.read(base + i * 8, 8);
    if ((e[i] & kP) && (e[i] & reserved)) return false;
  }
  for (unsigned i = 0; i < 4; ++i) out[i] = e[i];
  return true;
}

}  // namespace vtlab

#include "mmu/paging.h"

#include "mmu/guest_formats.h"
#include "mmu/walker.h"

namespace vtlab {
namespace {

using namespace guest_paging;

template <class F>
WalkResult guest_walk(PhysMem& mem, const F& f, const WalkRequest& req, u64 addr, std::vector<WalkStep>* trace) {
  RawWalk<F> w = walk_tables(mem, f, addr, trace);
  WalkResult res;
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
  if (req.set_ad) set_accessed_dirty(mem, w, req.access == Access::Write, trace);
  t.dirty = (w.leaf & kD) != 0;
  res.ok = true;
  res.page_size = t.page_size();
  res.pa = t.frame | (addr & (res.page_size - 1));
  return res;
}

}  // namespace

WalkResult walk_page_tables(PhysMem& mem, const WalkRequest& req, std::vector<WalkStep>* trace) {
  switch (req.mode) {
    case PagingMode::Legacy32:
      return guest_walk(mem, Legacy32Format{req.cr3, req.pse, kMaxPhysAddrBits}, req, u32(req.linear), trace);
    case PagingMode::Pae:
      return guest_walk(mem, PaeFormat{req.cr3, req.pdpte, req.nxe, kMaxPhysAddrBits}, req, u32(req.linear), trace);
    case PagingMode::Level4:
    case PagingMode::Level5:
      return guest_walk(mem, Ia32eFormat{req.cr3, req.mode == PagingMode::Level5 ? 5 : 4, req.nxe, kMaxPhysAddrBits},
                        req, req.linear, trace);
    case PagingMode::None:
      break;
  }
  WalkResult identity;
  identity.ok = true;
  identity.pa = req.linear;
  identity.translation.frame = req.linear & ~u64(0xfff);
  identity.translation.writable = identity.translation.user = identity.translation.dirty = true;
  return identity;
}

bool load_pae_pdptes(PhysMem& mem, u64 cr3, u64 out[4]) {
  const u64 base = cr3 & 0xffffffe0;
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

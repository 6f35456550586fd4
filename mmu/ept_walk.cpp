#include "mmu/ept_walk.h"

#include <algorithm>

#include "mmu/walker.h"

namespace vtlab {

using namespace ept_bits;

namespace {

// Writes the log entry of a page whose EPT dirty flag goes from 0 to 1
// (SDM Vol. 3C §28.2.5); false for a PML-full event.
bool log_page(EptContext& ctx, u64 gpa) {
  SecondLevel& sl = ctx.sl;
  if (sl.pml_index >= 512) return false;
  ctx.mem.write((sl.pml_address & ~u64(0xfff)) + 8 * u64(sl.pml_index), 8, gpa & ~u64(0xfff));
  --sl.pml_index;  // may go from 0 to FFFFH: the next one is a PML-full event
  return true;
}

}  // namespace

EptResult ept_translate(EptContext& ctx, u64 gpa, u8 need, std::vector<WalkStep>* trace) {
  SecondLevel& sl = ctx.sl;
  const u64 ep4ta = sl.ep4ta();
  const bool ad = sl.access_dirty();
  const bool sets_dirty = ad && (need & kNeedW);
  const bool cached = ctx.cache && ctx.set_ad;
  EptResult res;
  if (cached)
    if (const GpaTranslation* c = ctx.cache->lookup(ep4ta, gpa))
      if ((c->rights & need) == need && (!sets_dirty || c->dirty)) {
        res.t = *c;
        return res;
      }
  const EptFormat f{sl.eptp, sl.levels() == 5 ? 5 : 4, sl.mode_based_exec, sl.execute_only, kMaxPhysAddrBits};
  PhysTables tables{ctx.mem};
  const size_t first_step = trace ? trace->size() : 0;
  RawWalk<EptFormat> w = walk_tables(tables, f, gpa, trace);
  if (trace) {
    const u8 type = ctx.types ? ept_structure_type(ctx.types->cd, sl.eptp) : memtype::kNone;
    for (size_t i = first_step; i < trace->size(); ++i) {
      WalkStep& s = (*trace)[i];
      s.ept = true, s.gpa = gpa, s.memtype = type;
    }
  }
  // A misconfigured or violating translation is never cached, and a
  // violation drops what was cached for the address (§28.3.3.1).
  if (w.end == WalkEnd::Reserved) {
    res.fault = EptFaultKind::Misconfig;
  } else if (w.end == WalkEnd::NotPresent || (w.rights.access & need) != need) {
    res.fault = EptFaultKind::Violation;
    res.path_rights = w.end == WalkEnd::NotPresent ? 0 : w.rights.access;
    res.suppress_ve = w.last & kSuppressVe;
  }
  if (res.fault != EptFaultKind::None) {
    if (ctx.cache) ctx.cache->flush_address(ep4ta, gpa);
    return res;
  }
  if (ctx.set_ad && ad) {
    if (sets_dirty && !(w.leaf & kDirty) && sl.logs_pages() && !log_page(ctx, gpa)) {
      res.fault = EptFaultKind::PmlFull;  // the access does not happen; no flag is set
      return res;
    }
    set_accessed_dirty(tables, w, sets_dirty, trace);
  }
  res.t = GpaTranslation{w.frame,          u8(w.page_shift), w.rights.access, !ad || (w.leaf & kDirty) != 0,
                         w.rights.memtype, w.rights.ipat};
  if (cached) ctx.cache->insert(ep4ta, gpa, res.t);
  return res;
}

EptFault ept_fault_record(const SecondLevel& sl, const EptResult& r, u64 gpa, u8 need, const LinearInfo& lin) {
  EptFault f;
  f.kind = r.fault;
  f.gpa = gpa;
  f.gla = lin.valid ? lin.gla : 0;
  if (r.fault != EptFaultKind::Violation) return f;
  // Exit qualification, SDM Vol. 3C Table 27-7.
  u64 q = 0;
  if (need & kNeedR) q |= ept_qual::kRead;
  if (need & kNeedW) q |= ept_qual::kWrite;
  if (need & (kNeedX | kNeedUserX)) q |= ept_qual::kFetch;
  q |= u64(r.path_rights & 7) << ept_qual::kRightsShift;
  if (sl.mode_based_exec && (r.path_rights & kNeedUserX)) q |= ept_qual::kUserExecutable;
  if (lin.valid) {
    q |= ept_qual::kLinearValid;
    if (lin.translated) {
      q |= ept_qual::kTranslated;
      // Advanced VM-exit information (IA32_VMX_EPT_VPID_CAP bit 22).
      if (lin.user) q |= ept_qual::kUserLinear;
      if (lin.writable) q |= ept_qual::kWritableLinear;
      if (lin.nx) q |= ept_qual::kNxLinear;
    }
  }
  f.qualification = q;
  f.suppress_ve = r.suppress_ve;
  return f;
}

EptFault apic_access_fault_record(u64 gpa, u64 hpa) {
  EptFault f;
  f.kind = EptFaultKind::ApicAccess;
  f.gpa = gpa;
  f.qualification = (hpa & 0xfff) | u64(15) << 12;  // guest-physical access during instruction execution
  return f;
}

// A guest paging-structure entry is a guest-physical access: after any EPT
// fault of it (§30.4.1 priority), one on the APIC-access page is an
// APIC-access fault.
bool NestedTables::read(u64 gpa, unsigned bytes, u64& value, std::vector<WalkStep>* trace) {
  const u8 need = ept_table_need(ctx.sl);
  const EptResult r = ept_translate(ctx, gpa, need, trace);
  if (r.fault != EptFaultKind::None) {
    fault = ept_fault_record(ctx.sl, r, gpa, need, LinearInfo{true, false, gla});
    return false;
  }
  const u64 hpa = r.t.hpa(gpa);
  if (ctx.on_apic_access_page(hpa)) [[unlikely]] {
    fault = apic_access_fault_record(gpa, hpa);
    return false;
  }
  last = r.t;
  value = ctx.mem.read(hpa, bytes);
  return true;
}

u8 NestedTables::memory_type(u64, u64 ref) const {
  if (!types) return memtype::kNone;
  return ept_typing(*types, last.memtype, last.ipat, pat_type(types->pat, table_pat_index(ref))).type;
}

bool NestedTables::write(u64 gpa, unsigned bytes, u64 value, std::vector<WalkStep>* trace) {
  const EptResult r = ept_translate(ctx, gpa, kNeedW, trace);
  if (r.fault != EptFaultKind::None) {
    fault = ept_fault_record(ctx.sl, r, gpa, kNeedW, LinearInfo{true, false, gla});
    return false;
  }
  const u64 hpa = r.t.hpa(gpa);
  if (ctx.on_apic_access_page(hpa)) [[unlikely]] {
    fault = apic_access_fault_record(gpa, hpa);
    return false;
  }
  ctx.mem.write(hpa, bytes, value);
  return true;
}

void finish_nested_walk(EptContext& ctx, const WalkRequest& req, WalkResult& r, std::vector<WalkStep>* trace) {
  Translation& t = r.translation;
  const u64 gpa = r.pa;
  const u8 need = ept_need(req.access, ctx.sl.mode_based_exec, t.user);
  const EptResult e = ept_translate(ctx, gpa, need, trace);
  if (e.fault != EptFaultKind::None) {
    r.ok = false;
    r.ept_fault = ept_fault_record(ctx.sl, e, gpa, need, LinearInfo{true, true, req.linear, t.user, t.writable, t.nx});
    return;
  }
  // A combined mapping is the smaller of the guest's and EPT's page
  // (SDM Vol. 3C §28.3.2).
  const unsigned shift = std::min<unsigned>(t.page_shift, e.t.page_shift);
  t.guest_shift = t.page_shift > shift ? t.page_shift : 0;
  t.page_shift = u8(shift);
  const u64 hpa = e.t.hpa(gpa);
  t.frame = hpa & ~((u64(1) << shift) - 1);
  t.ept_rights = e.t.rights;
  t.ept_dirty = e.t.dirty;
  if (req.memtypes) r.typing = ept_typing(*req.memtypes, e.t.memtype, e.t.ipat, r.typing.pat);
  r.gpa = gpa;
  r.pa = hpa;
  r.page_size = t.page_size();
}

}  // namespace vtlab

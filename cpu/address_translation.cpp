// Linear-address translation for the CPU: the paging mode, the TLBs, and
// the invalidations of SDM Vol. 3A §4.10.4. MOV to CR (cpu/system.cpp)
// decides which invalidation each control-register write makes.
//
// Two levels of caching (mmu/translation_tlb.h, mmu/tlb.h):
//   tlb_        the architectural TLB: what walks found, tagged by PCID (or
//               global), entries the size of their page;
//   tlb_read_/write_/exec_   host pointers with the rights decision made,
//               for the current context only, as 4 KiB pieces.
// A host-pointer entry is always derived from a live tlb_ entry: whatever
// invalidates or replaces a tlb_ entry drops what was derived from it.
//
// In VMX non-root operation the TLB works in the context of the VPID (and
// EP4TA with EPT) the VMX code set (set_second_level); with EPT the slow
// path is translate_nested, the two-dimensional walk (docs/ept.md).
#include "cpu/cpu.h"
#include "cpu/vmx/vmx.h"
#include "mmu/ept_walk.h"

namespace vtlab {

PagingMode Cpu::paging_mode_for(u64 cr0_value, u64 cr4_value, u64 efer_value) {
  // SDM Vol. 3A §4.1.1, Table 4-1.
  if (!(cr0_value & cr0::PG)) return PagingMode::None;
  if (efer_value & efer::LMA) return (cr4_value & cr4::LA57) ? PagingMode::Level5 : PagingMode::Level4;
  return (cr4_value & cr4::PAE) ? PagingMode::Pae : PagingMode::Legacy32;
}

void Cpu::paging_changed() {
  update_paging_mode();
  if (paging_ == PagingMode::Pae) {
    // Unchecked, as the debugger or a loader means it; through EPT if active.
    u64 table = cr3 & 0xffffffe0;
    if (ept_active_) table = translate_guest_physical(table, Access::Read, nullptr, nullptr);
    for (unsigned i = 0; i < 4; ++i) pdpte[i] = table == ~u64(0) ? 0 : mem_.read(table + i * 8, 8);
  }
  flush_tlb(TlbFlush::All);
}

void Cpu::flush_tlb(TlbFlush what) {
  switch (what) {
    case TlbFlush::All:  // of the current VPID, every EP4TA (SDM Vol. 3C §28.3.3.1)
      tlb_.flush_current_vpid();
      break;
    case TlbFlush::CurrentContext:
      tlb_.flush_context(tlb_context());
      break;
    case TlbFlush::Rights:
      break;  // the TLB holds rights bits, not decisions
  }
  flush_host_tlbs();
}

void Cpu::flush_host_tlbs() {
  tlb_read_.flush();
  tlb_write_.flush();
  tlb_exec_.flush();
  ++chain_epoch_;  // block links may rely on a translation of the code
  end_block();
}

void Cpu::access_rights_changed() { flush_host_tlbs(); }

void Cpu::drop_host_range(u64 lin, unsigned shift, bool invalidation) {
  const u64 size = shift > 12 ? u64(1) << shift : 0x1000;
  const u64 base = lin & ~(size - 1);
  tlb_read_.flush_range(base, size);
  tlb_write_.flush_range(base, size);
  tlb_exec_.flush_range(base, size);
  if (invalidation) {
    ++chain_epoch_;
    end_block();
  }
}

void Cpu::invalidate_page(u64 lin) {
  // INVLPG: the current PCID's entries for the page, and the global ones
  // whatever their PCID (SDM §4.10.4.1); for a large page, the whole page.
  drop_host_range(lin, tlb_.flush_address(lin, tlb_context(), true), true);
}

void Cpu::invalidate_pcid(unsigned type, u16 pcid, u64 lin) {
  // INVPCID (SDM Vol. 2 INVPCID, Vol. 3A §4.10.4.1). The host-pointer TLBs
  // hold the current PCID's and global translations only.
  const bool current = pcid == current_pcid();
  switch (type) {
    case 0: {  // one address of one PCID, global translations kept
      const unsigned shift = tlb_.flush_address(lin, TlbContext{pcid}, false);
      if (current) drop_host_range(lin, shift, true);
      break;
    }
    case 1:  // one PCID, global translations kept
      tlb_.flush_context(TlbContext{pcid});
      if (current) flush_host_tlbs();
      break;
    case 2:  // everything, global translations too
      flush_tlb(TlbFlush::All);
      break;
    default:  // 3: every PCID, global translations kept
      tlb_.flush_nonglobal();
      flush_host_tlbs();
      break;
  }
}

// ---------------------------------------------------------------- VMX

void Cpu::set_second_level(const SecondLevel& s) {
  // With "enable VPID" = 0, VM entries and VM exits drop the linear and
  // combined mappings of VPID 0000H (SDM Vol. 3C §28.3.3.1).
  const bool drop_vpid0 = (s.non_root && !s.vpid_enabled) || (second_level_.non_root && !second_level_.vpid_enabled);
  second_level_ = s;
  ept_active_ = s.ept_active();
  tlb_.set_context(s.effective_vpid(), ept_active_ ? s.ep4ta() | 1 : 0);
  if (drop_vpid0) tlb_.flush_vpid(0, false);
  flush_host_tlbs();  // they hold the previous context's translations
}

void Cpu::raise_ept_fault(const EptFault& f) {
  ept_fault_ = f;
  ept_fault_.during_delivery = false;
  // NMI unblocking due to IRET (exit qualification bit 12, Table 27-7):
  // the fault happened in an IRET that ended NMI blocking. (An APIC-access
  // exit's bits 15:12 are its access type.)
  if ((f.kind == EptFaultKind::Violation || f.kind == EptFaultKind::PmlFull) &&
      iret_unblocked_nmi_ == instructions_now() + 1)
    ept_fault_.qualification |= ept_qual::kNmiUnblocking;
  GuestFault g{};
  g.ept = true;
  raise_fault(g);
}

void Cpu::deliver_ept_fault() {
  GuestFault g{};
  g.ept = true;
  if (stop_if_intercepted(g)) return;
  if (ept_sink_) {
    ept_sink_->ept_fault(ept_fault_);
    return;
  }
  fatal_ = StopCause::InternalError;
  stop_detail_ = "an EPT fault with no VMX to take it (guest-physical address " + std::to_string(ept_fault_.gpa) + ")";
  request_stop();
}

void Cpu::invalidate_ept(u64 eptp) {
  const u64 ep4ta = eptp & 0x000ffffffffff000ull;
  tlb_.flush_ept(ep4ta);
  gpa_tlb_.flush_ept(ep4ta);
  flush_host_tlbs();
}

void Cpu::invalidate_all_ept() {
  tlb_.flush_all_ept();
  gpa_tlb_.flush_all();
  flush_host_tlbs();
}

void Cpu::invalidate_vpid_address(u16 vpid, u64 lin) {
  const unsigned shift = tlb_.flush_vpid_address(vpid, lin);
  if (vpid == tlb_.current_vpid()) drop_host_range(lin, shift, true);
}

void Cpu::invalidate_vpid(u16 vpid, bool keep_global) {
  tlb_.flush_vpid(vpid, keep_global);
  if (vpid == tlb_.current_vpid()) flush_host_tlbs();
}

void Cpu::invalidate_all_vpids() {
  tlb_.flush_all_vpids_but_0();
  if (tlb_.current_vpid() != 0) flush_host_tlbs();
}

bool Cpu::load_pdptes(u64 cr3_value, u64 out[4]) {
  u64 table = cr3_value & 0xffffffe0;
  if (ept_active_) {
    // Read through EPT as data reads, even with EPT A/D on; the guest-linear
    // address is not valid (SDM Vol. 3C §28.2.3.2, Table 27-7 bit 7).
    EptContext ctx{mem_, second_level_, &gpa_tlb_};
    const EptResult r = ept_translate(ctx, table, ept_bits::kNeedR);
    if (r.fault != EptFaultKind::None)
      raise_ept_fault(ept_fault_record(second_level_, r, table, ept_bits::kNeedR, LinearInfo{}));
    // A guest-physical access: on the APIC-access page it exits (§30.4.6.2).
    if (on_apic_access_page(r.t.hpa(table))) raise_ept_fault(apic_access_fault_record(table, r.t.hpa(table)));
    table = r.t.hpa(table);
  }
  return read_pae_pdptes(mem_, table, out);
}

bool Cpu::read_modify_write() const {
  const Insn* i = exec.cur;
  return i && (i->attrs & attr::kLockable) && i->op[0].kind == OpKind::Mem;
}

// ---------------------------------------------------------------- walks

WalkRequest Cpu::walk_request(u64 lin, Access acc, unsigned who) const {
  WalkRequest r;
  r.mode = paging_;
  r.cr3 = cr3;
  r.linear = lin;
  r.access = acc;
  r.user = who == kUserAccess;
  r.implicit = who == kImplicitAccess;
  r.wp = cr0 & cr0::WP;
  r.nxe = efer & efer::NXE;
  r.pse = cr4 & cr4::PSE;
  r.smep = cr4 & cr4::SMEP;
  r.smap = cr4 & cr4::SMAP;
  r.pke = cr4 & cr4::PKE;
  r.ac = flags.bits & fl::AC;
  r.pkru = pkru;
  r.pdpte = pdpte;
  return r;
}

namespace {

// Whether the rights decision for this access holds for every access a
// host-pointer entry of the same tag (user, or supervisor) would serve until
// the next flush: not for supervisor data accesses to user-mode addresses
// under SMAP, which depend on EFLAGS.AC and on the access being implicit.
bool decision_cacheable(const WalkRequest& r, const Translation& t) {
  return r.user || r.access == Access::Exec || !t.user || !r.smap;
}

}  // namespace

u64 Cpu::translate_access(u64 lin, Access acc, unsigned who, bool* host_cacheable, bool* large_page) {
  if (ept_active_) [[unlikely]]
    return translate_nested(lin, acc, who, host_cacheable, large_page);
  if (large_page) *large_page = false;
  if (paging_ == PagingMode::None) {
    *host_cacheable = true;
    return wrap_linear(lin);
  }
  const WalkRequest req = walk_request(lin, acc, who);
  const TlbContext ctx = tlb_context();
  if (const Translation* t = tlb_.lookup(lin, ctx)) {
    // A write through an entry whose D flag is clear walks, so D is set in
    // memory (SDM §4.8); an entry refusing the access walks too, as the
    // tables may have granted more since (§4.10.4.3).
    if (!access_fault(req, *t) && (acc != Access::Write || t->dirty)) {
      *host_cacheable = decision_cacheable(req, *t);
      if (large_page) *large_page = t->page_size() > 0x1000;
      return t->frame | (lin & (t->page_size() - 1));
    }
  }
  const WalkResult r = walk_page_tables(mem_, req);
  if (!r.ok) {
    // A page fault drops the TLB entries for the faulting address (§4.10.4.1).
    drop_host_range(lin, tlb_.flush_address(lin, ctx, true), true);
    raise_fault(GuestFault{kPF, true, r.pf_error, lin});
  }
  Translation t = r.translation;
  t.global = t.global && (cr4 & cr4::PGE);  // G counts only with CR4.PGE (§4.10.2.4)
  const TranslationTlb::Replaced old = tlb_.insert(lin, ctx, t);
  if (old.any) drop_host_range(old.lin_page, old.page_shift, false);
  *host_cacheable = decision_cacheable(req, t);
  if (large_page) *large_page = t.page_size() > 0x1000;
  return r.pa;
}

u64 Cpu::translate_nested(u64 lin, Access acc, unsigned who, bool* host_cacheable, bool* large_page) {
  if (large_page) *large_page = false;
  const bool paged = paging_ != PagingMode::None;
  if (!paged) lin = wrap_linear(lin);  // the guest-physical address (unrestricted guest)
  WalkRequest req = walk_request(lin, acc, who);
  const TlbContext ctx = tlb_context();
  const bool mbec = second_level_.mode_based_exec;
  if (const Translation* t = tlb_.lookup(lin, ctx)) {
    // As above, and the EPT rights of the combined mapping; a write through
    // one whose EPT D flag is clear walks so D is set (SDM Vol. 3C §28.2.4).
    if ((!paged || !access_fault(req, *t)) && ept_permits(*t, acc, mbec) && (acc != Access::Write || t->dirty)) {
      *host_cacheable = !paged || decision_cacheable(req, *t);
      if (large_page) *large_page = t->guest_page_shift() > 12;
      return t->frame | (lin & (t->page_size() - 1));
    }
  }
  EptContext ept{mem_, second_level_, &gpa_tlb_};
  ept.apic_access_page = apic_access_page_;
  req.ept = &ept;
  const WalkResult r = walk_page_tables(mem_, req);
  if (!r.ok) {
    // A page fault or an EPT violation drops the combined mappings of the
    // address (SDM Vol. 3A §4.10.4.1, Vol. 3C §28.3.3.1).
    drop_host_range(lin, tlb_.flush_address(lin, ctx, true), true);
    if (r.ept_fault.kind != EptFaultKind::None) {
      EptFault f = r.ept_fault;
      // A read-modify-write instruction's refused read is reported as a
      // write (SDM Vol. 3C §27.2.1: bit 1 set, bit 0 as the implementation
      // chooses; vtlab keeps it).
      if (f.kind == EptFaultKind::Violation && acc == Access::Read && (f.qualification & ept_qual::kTranslated) &&
          read_modify_write())
        f.qualification |= ept_qual::kWrite;
      raise_ept_fault(f);
    }
    raise_fault(GuestFault{kPF, true, r.pf_error, lin});
  }
  Translation t = r.translation;
  t.global = paged && t.global && (cr4 & cr4::PGE);
  const TranslationTlb::Replaced old = tlb_.insert(lin, ctx, t);
  if (old.any) drop_host_range(old.lin_page, old.page_shift, false);
  *host_cacheable = !paged || decision_cacheable(req, t);
  if (large_page) *large_page = t.guest_page_shift() > 12;
  return r.pa;
}

u64 Cpu::translate_or_fault(u64 lin, Access acc, unsigned who) {
  bool host_cacheable;
  return translate_access(lin, acc, who, &host_cacheable);
}

u8* Cpu::host_for(u64 lin, Access acc, unsigned who, u64* pa_out) {
  bool host_cacheable = false, large = false;
  const u64 pa = translate_access(lin, acc, who, &host_cacheable, &large);
  if (pa_out) *pa_out = pa;
  // The APIC-access page never enters the host-pointer TLBs: data accesses
  // to it are virtualized or exit (read_slow, write_slow); an instruction
  // fetch from it always exits, access type 2 (SDM Vol. 3C §30.4.2), after
  // any #PF or EPT violation of the fetch (§30.4.1).
  if (on_apic_access_page(pa)) [[unlikely]] {
    if (acc == Access::Exec) vmx_->apicv().fetch_exit(pa);
    return nullptr;
  }
  u8* host = mem_.ram_ptr(pa);
  if (host && acc == Access::Write) mem_.note_touched(pa);
  if (!host || !host_cacheable) return host;
  u8* page = host - (pa & 0xfff);
  const bool user = who == kUserAccess;
  // With alignment checking on, user data accesses must reach the slow path.
  if (user && ac_active_ && acc != Access::Exec) return host;
  // With a data breakpoint armed, no data access may skip the slow path.
  if (data_breakpoints_ && acc != Access::Exec) return host;
  switch (acc) {
    case Access::Read:
      tlb_read_.insert(lin, user, page, large);
      break;
    case Access::Exec:
      tlb_exec_.insert(lin, user, page, large);
      break;
    case Access::Write:
      // Pages holding decoded code take the slow path so writes invalidate them.
      if (!mem_.is_code_page(pa)) tlb_write_.insert(lin, user, page, large);
      break;
  }
  return host;
}

namespace {

// The registers that select memory types (SDM Vol. 3A ch. 11), for the
// debugger's walks: the PAT, the MTRRs, CR0.CD and CR4.PCIDE as they are
// now (in VMX non-root operation, the guest's).
MemTypeRegs memtype_regs(const Cpu& c) {
  MemTypeRegs r;
  r.cd = c.cr0 & cr0::CD;
  r.pcide = c.cr4 & cr4::PCIDE;
  r.pat = c.msr.pat;
  r.mtrr_def_type = c.msr.mtrr_def_type;
  r.mtrr_var = c.msr.mtrr_var;
  r.mtrr_fixed = c.msr.mtrr_fixed;
  r.maxphy = kMaxPhysAddrBits;
  return r;
}

}  // namespace

u64 Cpu::translate(u64 lin, Access acc, bool user, std::vector<WalkStep>* trace, u32* pf_error, EptFault* ept,
                   MemoryTyping* typing) {
  const MemTypeRegs types = memtype_regs(*this);
  if (paging_ == PagingMode::None && !ept_active_) {
    // No paging: the MTRRs alone (PAT type WB, Table 11-7).
    if (typing) *typing = physical_typing(types, wrap_linear(lin), memtype::kWB);
    return wrap_linear(lin);
  }
  if (paging_ == PagingMode::None) lin = wrap_linear(lin);
  WalkRequest req = walk_request(lin, acc, user ? kUserAccess : kSupervisorAccess);
  req.set_ad = false;
  req.memtypes = &types;
  SecondLevel sl = second_level_;  // a look-only walk changes nothing (PML index included)
  EptContext ctx{mem_, sl, nullptr, false, &types};
  if (ept_active_) req.ept = &ctx;
  const WalkResult r = walk_page_tables(mem_, req, trace);
  if (!r.ok) {
    if (pf_error) *pf_error = r.pf_error;
    if (ept) *ept = r.ept_fault;
    return ~u64(0);
  }
  if (typing) *typing = r.typing;
  return r.pa;
}

u64 Cpu::translate_guest_physical(u64 gpa, Access acc, std::vector<WalkStep>* trace, EptFault* ept,
                                  MemoryTyping* typing) {
  const MemTypeRegs types = memtype_regs(*this);
  if (!ept_active_) {
    if (typing) *typing = physical_typing(types, gpa, memtype::kWB);
    return gpa;
  }
  SecondLevel sl = second_level_;
  EptContext ctx{mem_, sl, nullptr, false, &types};
  const u8 need = ept_need(acc, sl.mode_based_exec, false);
  const EptResult r = ept_translate(ctx, gpa, need, trace);
  if (r.fault != EptFaultKind::None) {
    if (ept) *ept = ept_fault_record(sl, r, gpa, need, LinearInfo{});
    return ~u64(0);
  }
  // No linear address selects a PAT entry: the type such an access has
  // with PAT type WB, as with CR0.PG = 0 (SDM Vol. 3C §28.2.7.2).
  if (typing) *typing = ept_typing(types, r.t.memtype, r.t.ipat, memtype::kWB);
  return r.t.hpa(gpa);
}

}  // namespace vtlab

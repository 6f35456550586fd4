// Hardware task switching (32-bit protected mode; SDM Vol. 3A ch. 7): far
// JMP/CALL to a TSS descriptor or task gate, interrupts and exceptions
// through task gates, and IRET with NT=1 (return to the previous task).
// IA-32e mode has no task switching (task gates and TSS targets are #GP).
//
// The switch has a commit point (§7.3, steps 8-12): every check of the new
// TSS and every read of it comes first, and a fault there leaves the old
// task as it was; after the state is saved and the new task's registers
// are loaded, faults loading the new task's segments (#TS, #NP, #SS) are
// raised in the context of the new task (§7.3 step 13, Table 7-1).
#include "cpu/cpu.h"
#include "cpu/vmx/vmx.h"

namespace vtlab {
namespace {

u32 sel_err(u16 sel) { return sel & 0xfffc; }

// Offsets of the dynamic fields in a 32-bit and a 16-bit TSS (§7.2.1,
// §7.6 Figure 7-11).
struct TssLayout {
  u32 eip, eflags, regs, reg_size, es, ldt, min_limit;
};
constexpr TssLayout kTss32{0x20, 0x24, 0x28, 4, 0x48, 0x60, 0x67};
constexpr TssLayout kTss16{0x0e, 0x10, 0x12, 2, 0x22, 0x2a, 0x2b};

}  // namespace

// JMP/CALL to a task gate or a TSS descriptor (SDM Vol. 2 JMP/CALL,
// "TASK-GATE" and "TASK-STATE-SEGMENT").
void Cpu::task_switch_to(u16 sel, u64 d, TaskSwitch why, u64 return_rip) {
  const unsigned type = (d >> 40) & 0xf, dpl = (d >> 45) & 3;
  if (dpl < cpl || dpl < (sel & 3u)) raise(kGP, sel_err(sel));
  if (type == 0x5) {  // task gate: names the TSS
    if (!((d >> 47) & 1)) raise(kNP, sel_err(sel));
    return task_switch(u16(d >> 16), why, return_rip, 0, false, 0);
  }
  task_switch(sel, why, return_rip, 0, false, 0);
}

void Cpu::task_switch(u16 tss_sel, TaskSwitch why, u64 return_rip, u32 ext, bool has_error, u32 error) {
  // In VMX non-root operation a task switch by CALL, JMP or IRET is a VM
  // exit before the new TSS is looked at (SDM Vol. 3C §26.1.2); one through
  // an IDT task gate is caught in deliver().
  if (vmx_non_root_ && why != TaskSwitch::Interrupt) {
    vmx_->task_switch_exit(tss_sel, why == TaskSwitch::Call ? 0 : why == TaskSwitch::Iret ? 1 : 2, 0, 0);
  }
  const bool iret = why == TaskSwitch::Iret;
  const u8 bad_vec = iret ? kTS : kGP;
  const u32 err = sel_err(tss_sel) + ext;
  if ((tss_sel & 4) || sel_err(tss_sel) == 0 || !selector_in_table(tss_sel)) raise(bad_vec, err);
  const u64 d = read_descriptor(tss_sel);
  const unsigned type = (d >> 40) & 0x1f;  // S included: a TSS has S = 0
  const bool valid = iret ? (type == 0x3 || type == 0xb) : (type == 0x1 || type == 0x9);
  if (!valid) raise(bad_vec, err);
  if (!((d >> 47) & 1)) raise(kNP, err);
  Segment ntss = segment_from_descriptor(tss_sel, d);
  const TssLayout& nl = (type & 8) ? kTss32 : kTss16;
  if (ntss.limit < nl.min_limit) raise(kTS, err);
  const u32 otype = tr.attr & ar::kTypeMask;
  const TssLayout& ol = (otype == 0x9 || otype == 0xb) ? kTss32 : kTss16;
  if (tr.limit < ol.min_limit) raise(kTS, sel_err(tr.selector) + ext);

  // Read the new task's state (faults here change nothing).
  const bool n32 = &nl == &kTss32;
  auto rd = [&](u32 off) -> u32 { return n32 ? read_sys<u32>(ntss.base + off) : read_sys<u16>(ntss.base + off); };
  const u64 new_cr3 = n32 ? read_sys<u32>(ntss.base + 0x1c) : cr3;
  const u32 new_eip = rd(nl.eip);
  u64 new_flags = rd(nl.eflags);
  u32 new_regs[8];
  for (unsigned r = 0; r < 8; ++r) new_regs[r] = rd(nl.regs + r * nl.reg_size);
  u16 new_sel[kNumSegs] = {};
  const unsigned nsegs = n32 ? 6 : 4;  // ES CS SS DS [FS GS]
  for (unsigned s = 0; s < nsegs; ++s) new_sel[s] = read_sys<u16>(ntss.base + nl.es + s * nl.reg_size);
  const u16 new_ldt = read_sys<u16>(ntss.base + nl.ldt);
  const bool trap_bit = n32 && (read_sys<u16>(ntss.base + 0x64) & 1);
  // The old TSS must take the state: translate its pages for writing.
  const u64 old_flags = rflags() & ~(iret ? fl::NT : 0);
  for (u32 off : {ol.eip, ol.es + 5 * ol.reg_size})
    translate_or_fault(wrap_linear(tr.base + off), Access::Write, kImplicitAccess);

  // ---- commit: save the old task (§7.3 steps 8-11) ----
  auto wr = [&](u32 off, u32 v) {
    if (&ol == &kTss32)
      write_sys<u32>(tr.base + off, v);
    else
      write_sys<u16>(tr.base + off, u16(v));
  };
  wr(ol.eip, u32(return_rip));
  wr(ol.eflags, u32(old_flags));
  for (unsigned r = 0; r < 8; ++r) wr(ol.regs + r * ol.reg_size, u32(gpr[r]));
  for (unsigned s = 0; s < (&ol == &kTss32 ? 6u : 4u); ++s)
    write_sys<u16>(tr.base + ol.es + s * ol.reg_size, seg[s].selector);
  const u64 old_desc_at = gdtr.base + (tr.selector & ~7u);
  if (why == TaskSwitch::Jmp || iret) write_sys<u64>(old_desc_at, read_sys<u64>(old_desc_at) & ~(u64(2) << 40));
  if (why == TaskSwitch::Call || why == TaskSwitch::Interrupt) {
    write_sys<u16>(ntss.base, tr.selector);  // back link
    new_flags |= fl::NT;
  }
  if (!iret) write_sys<u64>(gdtr.base + (tss_sel & ~7u), d | (u64(2) << 40));
  ntss.attr |= 2;  // busy
  tr = ntss;
  cr0 |= cr0::TS;

  // ---- load the new task (step 12) ----
  if (n32 && (cr0 & cr0::PG) && new_cr3 != cr3) {
    cr3 = new_cr3;
    paging_changed();
  }
  flags.set((new_flags & ~u64(0xffc08028)) | fl::kFixed1);  // reserved bits read as 0 (bit 1 as 1)
  for (unsigned r = 0; r < 8; ++r) {
    if (n32)
      gpr[r] = new_regs[r];
    else
      gpr[r] = (gpr[r] & ~0xffffull) | u16(new_regs[r]);
  }
  for (unsigned s = 0; s < kNumSegs; ++s) seg[s] = Segment{new_sel[s], 0, 0, ar::Unusable};
  ldtr = Segment{new_ldt, 0, 0, ar::Unusable};
  rip = next_rip = new_eip;
  if (new_flags & fl::RF) rf_loaded_ = true;
  // A task switch clears the local breakpoint enables (SDM Vol. 3A §18.2.4).
  if (dr[7] & 0x155) {
    dr[7] &= ~u64(0x155);
    debug_changed();
  }
  if (trap_bit) pending_debug_ |= dr6::BT;
  end_block();

  // ---- the new task's descriptors: faults now belong to it (step 13) ----
  if (sel_err(new_ldt) != 0) {
    const u32 le = sel_err(new_ldt) + ext;
    if ((new_ldt & 4) || !selector_in_table(new_ldt)) raise(kTS, le);
    const u64 ld = read_descriptor(new_ldt);
    if (((ld >> 40) & 0x1f) != 0x2) raise(kTS, le);
    if (!((ld >> 47) & 1)) raise(kTS, le);
    ldtr = segment_from_descriptor(new_ldt, ld);
  }
  if (v86()) {
    for (unsigned s = 0; s < kNumSegs; ++s) load_segment_real(s, new_sel[s]);
    set_cpl(3);
  } else {
    const u16 cs_sel = new_sel[CS];
    const u32 ce = sel_err(cs_sel) + ext;
    if (sel_err(cs_sel) == 0 || !selector_in_table(cs_sel)) raise(kTS, ce);
    const u64 cd = read_descriptor(cs_sel);
    Segment cs = segment_from_descriptor(cs_sel, cd);
    const unsigned rpl = cs_sel & 3;
    const bool code = (cs.attr & ar::S) && (cs.attr & ar::kTypeCode);
    if (!code || ((cs.attr & ar::kTypeConforming) ? cs.dpl() > rpl : cs.dpl() != rpl)) raise(kTS, ce);
    if (!(cs.attr & ar::P)) raise(kNP, ce);
    set_accessed(cs_sel, cd);
    cs.attr |= ar::kTypeAccessed;
    seg[CS] = cs;
    set_cpl(rpl);
    seg[SS] = checked_stack_segment(new_sel[SS], rpl, kTS, ext);
    for (unsigned s : {ES, DS, FS, GS}) {
      const u16 sel = new_sel[s];
      if (sel_err(sel) == 0) continue;  // null: stays unusable
      const u32 se = sel_err(sel) + ext;
      if (!selector_in_table(sel)) raise(kTS, se);
      const u64 sd = read_descriptor(sel);
      Segment n = segment_from_descriptor(sel, sd);
      const u32 t = n.attr & ar::kTypeMask;
      const bool is_code = t & ar::kTypeCode;
      if (!(n.attr & ar::S) || (is_code && !(t & ar::kTypeReadable))) raise(kTS, se);
      if (!(is_code && (t & ar::kTypeConforming)) && (n.dpl() < cpl || n.dpl() < (sel & 3u))) raise(kTS, se);
      if (!(n.attr & ar::P)) raise(kNP, se);
      set_accessed(sel, sd);
      n.attr |= ar::kTypeAccessed;
      seg[s] = n;
    }
  }
  mode_changed();
  // An exception's error code goes on the new task's stack (SDM Vol. 2 INT
  // "TASK-GATE"); the new EIP must lie within CS.
  if (has_error) {
    const u64 v[1] = {error};
    const u64 sp = write_frame(seg[SS], gpr[RSP], n32 ? 4 : 2, v, 1, ext, cpl == 3 ? kUserAccess : kSupervisorAccess);
    set_sp(sp);
  }
  if (new_eip > seg[CS].limit) raise(kGP, ext);
}

}  // namespace vtlab

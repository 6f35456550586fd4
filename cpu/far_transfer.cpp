// Far JMP, CALL and RET in protected and IA-32e mode: to code segments,
// through call gates (with a stack switch and parameter copying when the
// privilege rises), and to task gates / TSS descriptors (task switches,
// cpu/task_switch.cpp). SDM Vol. 2 "CALL", "JMP", "RET"; Vol. 3A §5.8
// (call gates), §5.8.5 (stack switching), §5.8.6 (returning), §5.8.3.1
// (IA-32e call gates).
//
// Precise faults: every check, descriptor and stack read happens first; the
// new stack's frame is written next (a fault there has changed only memory
// below the new stack pointer); registers change last.
#include "cpu/cpu.h"

namespace vtlab {
namespace {

bool is_code(const Segment& s) { return (s.attr & ar::S) && (s.attr & ar::kTypeCode); }
bool is_conforming(const Segment& s) { return s.attr & ar::kTypeConforming; }
bool is_writable_data(const Segment& s) {
  return (s.attr & ar::S) && !(s.attr & ar::kTypeCode) && (s.attr & ar::kTypeWritable);
}
u32 sel_err(u16 sel) { return sel & 0xfffc; }

// Descriptor types of system descriptors (SDM Vol. 3A Table 3-2).
constexpr unsigned kTss16 = 0x1, kTss16Busy = 0x3, kCallGate16 = 0x4, kTaskGate = 0x5, kTss32 = 0x9, kTss32Busy = 0xb,
                   kCallGate32 = 0xc;

}  // namespace

bool Cpu::selector_in_table(u16 sel) const {
  const bool ldt = sel & 4;
  if (ldt && (ldtr.attr & ar::Unusable)) return false;
  const u32 limit = ldt ? ldtr.limit : gdtr.limit;
  return (sel & ~7u) + 7 <= limit;
}

void Cpu::set_accessed(u16 sel, u64 desc) {
  if ((desc >> 40) & ar::kTypeAccessed) return;
  const u64 base = (sel & 4) ? ldtr.base : gdtr.base;
  write_sys<u64>(base + (sel & ~7u), desc | (u64(1) << 40));
}

// SS for an inner privilege level or an outer return: RPL = DPL = the new
// CPL, a writable data segment, present (SDM Vol. 2 CALL, RET). `vec` is
// #TS for a stack taken from the TSS, #GP for one popped by RET.
Segment Cpu::checked_stack_segment(u16 sel, unsigned new_cpl, u8 vec, u32 ext) {
  const u32 err = sel_err(sel) + ext;
  if (sel_err(sel) == 0 || (sel & 3u) != new_cpl || !selector_in_table(sel)) raise(vec, err);
  const u64 d = read_descriptor(sel);
  Segment s = segment_from_descriptor(sel, d);
  if (!is_writable_data(s) || s.dpl() != new_cpl) raise(vec, err);
  if (!(s.attr & ar::P)) raise(kSS, err);
  set_accessed(sel, d);
  s.attr |= ar::kTypeAccessed;
  return s;
}

// Writes `n` values of `w` bytes below `sp` on stack segment `ss`, the
// first value highest (the order of pushes); returns the new stack
// pointer. Limits are checked for the whole frame first (#SS(err)).
u64 Cpu::write_frame(const Segment& ss, u64 sp, unsigned w, const u64* v, unsigned n, u32 err, unsigned who) {
  const bool flat64 = mode64_ || (ss.attr & ar::Unusable);
  const u64 mask = flat64 ? ~u64(0) : (ss.attr & ar::DB) ? 0xffffffffull : 0xffffull;
  const u64 top = (sp - u64(w) * n) & mask;
  if (!flat64) {
    const bool expand_down = !(ss.attr & ar::kTypeCode) && (ss.attr & ar::kTypeExpandDown);
    const u64 last = ((sp & mask) - 1) & mask;
    const bool bad = expand_down ? (top <= ss.limit || last > mask) : (last > ss.limit || top > last);
    if (bad) raise(kSS, err);
  } else if (!is_canonical(top)) {
    raise(kSS, err);
  }
  u64 at = top;
  for (unsigned k = n; k-- > 0;) {
    const u64 lin = flat64 ? at : u32(ss.base + at);
    if (w == 8) {
      write_slow(lin, &v[k], 8, who);
    } else if (w == 4) {
      const u32 x = u32(v[k]);
      write_slow(lin, &x, 4, who);
    } else {
      const u16 x = u16(v[k]);
      write_slow(lin, &x, 2, who);
    }
    at = (at + w) & mask;
  }
  return top;
}

// A call gate's target code segment (SDM Vol. 2 CALL/JMP "call gate"):
// returns the descriptor; raises #GP/#NP with the code selector.
Segment Cpu::gate_code_segment(u16 code_sel, bool jump, u64* raw) {
  if (sel_err(code_sel) == 0) raise(kGP, 0);
  const u64 d = read_descriptor(code_sel);
  Segment cs = segment_from_descriptor(code_sel, d);
  const u32 err = sel_err(code_sel);
  if (!is_code(cs) || cs.dpl() > cpl) raise(kGP, err);
  if (jump && !is_conforming(cs) && cs.dpl() != cpl) raise(kGP, err);  // JMP never changes CPL
  if (!(cs.attr & ar::P)) raise(kNP, err);
  if ((efer & efer::LMA) && (!(cs.attr & ar::L) || (cs.attr & ar::DB))) raise(kGP, err);  // 64-bit code only
  *raw = d;
  return cs;
}

// A code segment named directly by a far JMP/CALL (no privilege change).
Segment Cpu::direct_code_segment(u16 sel, u64 d) {
  Segment cs = segment_from_descriptor(sel, d);
  const u32 err = sel_err(sel);
  if (!is_code(cs)) raise(kGP, err);
  if (is_conforming(cs) ? cs.dpl() > cpl : ((sel & 3u) > cpl || cs.dpl() != cpl)) raise(kGP, err);
  if (!(cs.attr & ar::P)) raise(kNP, err);
  if ((efer & efer::LMA) && (cs.attr & ar::L) && (cs.attr & ar::DB)) raise(kGP, err);
  return cs;
}

// The target offset in the new code segment: canonical for 64-bit code,
// within the limit otherwise (#GP(0)).
u64 Cpu::checked_target(const Segment& cs, u64 off, unsigned size) {
  const bool to64 = (efer & efer::LMA) && (cs.attr & ar::L);
  if (to64) {
    if (!is_canonical(off)) raise(kGP, 0);
    return off;
  }
  off = size == 2 ? u16(off) : u32(off);
  if (off > cs.limit) raise(kGP, 0);
  return off;
}

// Reads a call gate (8 bytes; 16 in IA-32e mode, whose upper half must
// have type 0) and checks its DPL and presence.
Cpu::CallGate Cpu::read_call_gate(u16 sel, u64 lo) {
  CallGate g;
  const u32 err = sel_err(sel);
  const unsigned type = (lo >> 40) & 0xf, dpl = (lo >> 45) & 3;
  g.code_sel = u16(lo >> 16);
  g.params = unsigned(lo >> 32) & 0x1f;
  g.size = type == kCallGate16 ? 2 : 4;
  g.offset = (lo & 0xffff) | (type == kCallGate16 ? 0 : ((lo >> 48) & 0xffff) << 16);
  if (dpl < cpl || dpl < (sel & 3u)) raise(kGP, err);
  if (!((lo >> 47) & 1)) raise(kNP, err);
  if (efer & efer::LMA) {
    if (!selector_in_table(u16(sel + 8))) raise(kGP, err);
    const u64 hi = read_sys<u64>(((sel & 4) ? ldtr.base : gdtr.base) + (sel & ~7u) + 8);
    if ((hi >> 40) & 0x1f) raise(kGP, err);
    g.offset |= (hi & 0xffffffff) << 32;
    g.size = 8, g.params = 0;
  }
  return g;
}

// What kind of system descriptor a far JMP/CALL names, or #GP(selector).
Cpu::FarKind Cpu::far_kind(u16 sel, u64 d) {
  if ((d >> 44) & 1) return FarKind::Code;
  const unsigned type = (d >> 40) & 0xf;
  const bool ia32e = efer & efer::LMA;
  if (type == kCallGate32 || (!ia32e && type == kCallGate16)) return FarKind::CallGate;
  if (!ia32e && (type == kTaskGate || type == kTss16 || type == kTss32)) return FarKind::Task;
  raise(kGP, sel_err(sel));
}

void Cpu::far_jump(u16 sel, u64 off, unsigned opsize) {
  if (!protected_mode() || v86()) {
    const u64 ip = opsize == 4 ? u32(off) : u16(off);
    if (ip > seg[CS].limit) raise(kGP, 0);
    load_segment_real(CS, sel);
    next_rip = ip;
    end_block();
    return;
  }
  if (sel_err(sel) == 0) raise(kGP, 0);
  const u64 d = read_descriptor(sel);
  Segment cs;
  u64 raw = d;
  u16 cs_sel = sel;
  switch (far_kind(sel, d)) {
    case FarKind::Code:
      cs = direct_code_segment(sel, d);
      off = checked_target(cs, off, mode64_ ? 8 : opsize);
      break;
    case FarKind::CallGate: {
      const CallGate g = read_call_gate(sel, d);
      cs = gate_code_segment(g.code_sel, true, &raw);
      cs_sel = g.code_sel;
      off = checked_target(cs, g.offset, g.size);
      break;
    }
    case FarKind::Task:
      return task_switch_to(sel, d, TaskSwitch::Jmp, next_rip);
  }
  set_accessed(cs_sel, raw);
  cs.attr |= ar::kTypeAccessed;
  cs.selector = u16((cs_sel & ~3u) | cpl);
  seg[CS] = cs;
  next_rip = off;
  mode_changed();
}

void Cpu::far_call(u16 sel, u64 off, unsigned opsize) {
  const u64 ret = next_rip;
  if (!protected_mode() || v86()) {
    const u64 ip = opsize == 4 ? u32(off) : u16(off);
    if (ip > seg[CS].limit) raise(kGP, 0);
    const u64 frame[2] = {seg[CS].selector, ret};
    const u64 sp = write_frame(seg[SS], gpr[RSP], opsize, frame, 2, 0, user_access());
    load_segment_real(CS, sel);
    set_sp(sp);
    next_rip = ip;
    end_block();
    return;
  }
  if (sel_err(sel) == 0) raise(kGP, 0);
  const u64 d = read_descriptor(sel);
  const unsigned who = user_access();
  const FarKind kind = far_kind(sel, d);
  if (kind == FarKind::Task) return task_switch_to(sel, d, TaskSwitch::Call, ret);
  if (kind == FarKind::Code) {
    Segment cs = direct_code_segment(sel, d);
    const unsigned w = mode64_ ? opsize : opsize;
    off = checked_target(cs, off, mode64_ && opsize == 8 ? 8 : opsize);
    const u64 frame[2] = {seg[CS].selector, ret};
    const u64 sp = write_frame(seg[SS], gpr[RSP], w, frame, 2, 0, who);
    set_accessed(sel, d);
    cs.attr |= ar::kTypeAccessed;
    cs.selector = u16((sel & ~3u) | cpl);
    seg[CS] = cs;
    set_sp(sp);
    next_rip = off;
    mode_changed();
    return;
  }
  // Through a call gate (SDM Vol. 3A §5.8.4-5.8.5).
  const CallGate g = read_call_gate(sel, d);
  u64 raw = 0;
  Segment cs = gate_code_segment(g.code_sel, false, &raw);
  const u64 target = checked_target(cs, g.offset, g.size);
  const bool ia32e = efer & efer::LMA;
  const unsigned new_cpl = is_conforming(cs) ? cpl : cs.dpl();
  Segment ss = seg[SS];
  u64 new_sp;
  if (new_cpl < cpl) {
    // More privilege: the stack for the new CPL comes from the TSS.
    u64 frame[4 + 31];
    unsigned n = 0;
    frame[n++] = seg[SS].selector;
    frame[n++] = gpr[RSP] & rsp_mask();
    if (ia32e) {
      const u64 off_rsp = 4 + 8 * new_cpl;
      if (off_rsp + 7 > tr.limit) raise(kTS, sel_err(tr.selector));
      const u64 rsp = read_sys<u64>(tr.base + off_rsp);
      ss = Segment{u16(new_cpl), 0, 0, ar::Unusable | (new_cpl << ar::kDplShift)};
      frame[n++] = seg[CS].selector;
      frame[n++] = ret;
      new_sp = write_frame(ss, rsp, 8, frame, n, 0, kSupervisorAccess);
    } else {
      const bool tss32 = (tr.attr & ar::kTypeMask) == kTss32Busy || (tr.attr & ar::kTypeMask) == kTss32;
      const u32 off_sp = tss32 ? 4 + 8 * new_cpl : 2 + 4 * new_cpl;
      if (off_sp + (tss32 ? 7 : 3) > tr.limit) raise(kTS, sel_err(tr.selector));
      const u64 esp = tss32 ? read_sys<u32>(tr.base + off_sp) : read_sys<u16>(tr.base + off_sp);
      const u16 ss_sel = tss32 ? read_sys<u16>(tr.base + off_sp + 4) : read_sys<u16>(tr.base + off_sp + 2);
      ss = checked_stack_segment(ss_sel, new_cpl, kTS, 0);  // checked against the new CPL
      // Parameters: from the caller's stack, as the gate's size says (§5.8.5).
      for (unsigned k = 0; k < g.params; ++k) frame[n++] = peek_sized(g.size, u64(g.params - 1 - k) * g.size);
      frame[n++] = seg[CS].selector;
      frame[n++] = ret;
      new_sp = write_frame(ss, esp, g.size, frame, n, sel_err(ss.selector), kSupervisorAccess);
    }
  } else {
    const u64 frame[2] = {seg[CS].selector, ret};
    new_sp = write_frame(ss, gpr[RSP], g.size, frame, 2, 0, who);
  }
  set_accessed(g.code_sel, raw);
  cs.attr |= ar::kTypeAccessed;
  cs.selector = u16((g.code_sel & ~3u) | new_cpl);
  seg[CS] = cs;
  if (new_cpl < cpl) {
    seg[SS] = ss;
    set_cpl(new_cpl);
    mode_changed();
    gpr[RSP] = ia32e ? new_sp : (ss.attr & ar::DB) ? u32(new_sp) : (gpr[RSP] & ~0xffffull) | u16(new_sp);
  } else {
    set_sp(new_sp);
  }
  next_rip = target;
  mode_changed();
}

void Cpu::far_return(unsigned opsize, u64 release) {
  const unsigned s = opsize;
  const u64 off = peek_sized(s, 0);
  const u16 sel = u16(peek_sized(s, s));
  if (!protected_mode() || v86()) {
    const u64 ip = s == 4 ? u32(off) : u16(off);
    if (ip > 0xffff && !protected_mode()) raise(kGP, 0);
    load_segment_real(CS, sel);
    next_rip = ip;
    set_sp(gpr[RSP] + 2 * s + release);
    end_block();
    return;
  }
  const unsigned rpl = sel & 3;
  if (sel_err(sel) == 0) raise(kGP, 0);
  const u64 d = read_descriptor(sel);
  Segment cs = segment_from_descriptor(sel, d);
  const u32 err = sel_err(sel);
  if (!is_code(cs) || rpl < cpl) raise(kGP, err);
  if (is_conforming(cs) ? cs.dpl() > rpl : cs.dpl() != rpl) raise(kGP, err);
  if (!(cs.attr & ar::P)) raise(kNP, err);
  if ((efer & efer::LMA) && (cs.attr & ar::L) && (cs.attr & ar::DB)) raise(kGP, err);
  const u64 target = checked_target(cs, off, s);
  cs.attr |= ar::kTypeAccessed;
  cs.selector = sel;
  if (rpl == cpl) {
    set_accessed(sel, d);
    seg[CS] = cs;
    set_sp(gpr[RSP] + 2 * s + release);
    next_rip = target;
    mode_changed();
    return;
  }
  // To an outer privilege level: SS:rSP are popped too (SDM Vol. 2 RET).
  const u64 sp_off = 2 * s + release;
  const u64 new_sp = peek_sized(s, sp_off);
  const u16 ss_sel = u16(peek_sized(s, sp_off + s));
  Segment ss;
  if (sel_err(ss_sel) == 0 && mode64_ && (cs.attr & ar::L) && rpl < 3) {
    ss = Segment{ss_sel, 0, 0, ar::Unusable | (rpl << ar::kDplShift)};  // null SS into 64-bit code
  } else {
    if (sel_err(ss_sel) == 0) raise(kGP, 0);
    ss = checked_stack_segment(ss_sel, rpl, kGP, 0);
  }
  set_accessed(sel, d);
  seg[CS] = cs;
  seg[SS] = ss;
  set_cpl(rpl);
  const u64 sp = new_sp + release;
  gpr[RSP] = s == 8 ? sp : s == 4 ? u32(sp) : (gpr[RSP] & ~0xffffull) | u16(sp);
  null_inaccessible_data_segments();
  next_rip = target;
  mode_changed();
}

// After a return to an outer level: ES, DS, FS, GS that the new CPL may not
// use become null (SDM Vol. 2 RET/IRET).
void Cpu::null_inaccessible_data_segments() {
  for (unsigned s : {ES, DS, FS, GS}) {
    const u32 t = seg[s].attr & ar::kTypeMask;
    const bool conforming_code = (t & ar::kTypeCode) && (t & ar::kTypeConforming);
    if (!(seg[s].attr & ar::Unusable) && (seg[s].attr & ar::S) && !conforming_code && seg[s].dpl() < cpl) {
      seg[s].selector = 0;
      seg[s].attr = ar::Unusable;
    }
  }
}

}  // namespace vtlab

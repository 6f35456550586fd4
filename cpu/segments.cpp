// Segment register loads and descriptor-table access (SDM Vol. 3A ch. 3 and
// §5.5-5.8 privilege checks on segment loads).
#include "cpu/cpu.h"

namespace vtlab {

Segment Cpu::segment_from_descriptor(u16 selector, u64 d) {
  Segment s;
  s.selector = selector;
  s.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
  u32 limit = u32((d & 0xffff) | (((d >> 48) & 0xf) << 16));
  s.attr = u32((d >> 40) & 0xff) | u32(((d >> 52) & 0xf) << 12);
  s.limit = (s.attr & ar::G) ? (limit << 12) | 0xfff : limit;
  return s;
}

u64 Cpu::read_descriptor(u16 selector) {
  const bool ldt = selector & 4;
  u64 base = ldt ? ldtr.base : gdtr.base;
  u32 limit = ldt ? ((ldtr.attr & ar::Unusable) ? 0 : ldtr.limit) : gdtr.limit;
  u32 index = selector & ~7u;
  if ((ldt && (ldtr.attr & ar::Unusable)) || index + 7 > limit) raise(kGP, selector & 0xfffc);
  return read_sys<u64>(base + index);
}

void Cpu::load_segment_real(unsigned s, u16 selector) {
  seg[s].selector = selector;
  seg[s].base = u64(selector) << 4;
  if (v86()) {
    seg[s].limit = 0xffff;
    seg[s].attr = ar::P | ar::S | (3 << ar::kDplShift) | ar::kTypeWritable | ar::kTypeAccessed;
  }
  if (s == CS || s == SS) mode_changed();
}

// MOV Sreg / POP Sreg / LDS-family semantics for data and stack segments.
void Cpu::load_segment(unsigned s, u16 selector) {
  if (!protected_mode() || v86()) return load_segment_real(s, selector);
  const u32 err = selector & 0xfffc;
  if ((selector & 0xfffc) == 0) {
    // Null selector: fine for DS/ES/FS/GS (use faults later); SS only in
    // 64-bit mode below CPL 3 with RPL = CPL (SDM Vol. 3A §5.4.1.1, Vol. 2
    // MOV "64-Bit Mode Exceptions").
    if (s == SS && !(mode64_ && cpl < 3 && (selector & 3) == cpl)) raise(kGP, 0);
    // Intel loads the hidden part with a null descriptor: base 0, also for
    // FS and GS in 64-bit mode, where the base is still used (AMD keeps the
    // old base; docs/vendor-differences.md). A null SS keeps DPL = CPL.
    seg[s].selector = selector;
    seg[s].attr = ar::Unusable | (s == SS ? u32(cpl) << ar::kDplShift : 0);
    seg[s].base = 0;
    if (s == SS) mode_changed();
    return;
  }
  u64 d = read_descriptor(selector);
  Segment n = segment_from_descriptor(selector, d);
  u32 type = n.attr & ar::kTypeMask;
  bool code = type & ar::kTypeCode;
  unsigned rpl = selector & 3, dpl = n.dpl();
  if (!(n.attr & ar::S)) raise(kGP, err);
  if (s == SS) {
    if (rpl != cpl || dpl != cpl || code || !(type & ar::kTypeWritable)) raise(kGP, err);
    if (!(n.attr & ar::P)) raise(kSS, err);
  } else {
    if (code && !(type & ar::kTypeReadable)) raise(kGP, err);
    bool conforming_code = code && (type & ar::kTypeConforming);
    if (!conforming_code && (rpl > dpl || cpl > dpl)) raise(kGP, err);
    if (!(n.attr & ar::P)) raise(kNP, err);
  }
  if (!(type & ar::kTypeAccessed)) {
    u64 base = (selector & 4) ? ldtr.base : gdtr.base;
    write_sys<u64>(base + (selector & ~7u), d | (u64(1) << 40));
    n.attr |= ar::kTypeAccessed;
  }
  seg[s] = n;
  if (s == SS) mode_changed();
}

// Loads CS for a far JMP/CALL/RET/IRET or interrupt that targets a code
// segment at privilege `cpl` already decided by the caller's checks.
void Cpu::load_cs(u16 selector) {
  if (!protected_mode() || v86()) {
    load_segment_real(CS, selector);
    return;
  }
  const u32 err = selector & 0xfffc;
  if (err == 0) raise(kGP, 0);
  u64 d = read_descriptor(selector);
  Segment n = segment_from_descriptor(selector, d);
  u32 type = n.attr & ar::kTypeMask;
  if (!(n.attr & ar::S) || !(type & ar::kTypeCode)) raise(kGP, err);
  unsigned rpl = selector & 3, dpl = n.dpl();
  if (type & ar::kTypeConforming) {
    if (dpl > cpl) raise(kGP, err);
  } else if (rpl > cpl || dpl != cpl) {
    raise(kGP, err);
  }
  if (!(n.attr & ar::P)) raise(kNP, err);
  if ((efer & efer::LMA) && (n.attr & ar::L) && (n.attr & ar::DB)) raise(kGP, err);
  n.selector = u16((selector & ~3u) | cpl);
  n.attr |= ar::kTypeAccessed;
  seg[CS] = n;
  mode_changed();
}

}  // namespace vtlab

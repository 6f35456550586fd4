// x87 instruction plumbing shared by the handlers (see fpu.h).
#include "cpu/x87/fpu.h"

namespace vtlab::x87 {

void update_summary(Cpu& c) {
  X87State& f = c.x87;
  if (f.fsw & ~f.fcw & ex::kAll)
    f.fsw |= sw::ES | sw::B;
  else
    f.fsw &= u16(~(sw::ES | sw::B));
  if (!(f.fsw & sw::ES) && f.ferr) {
    f.ferr = false;
    if (X87ErrorPins* p = c.x87_error_pins()) p->ferr(false);
  }
}

bool check_pending(Cpu& c) {
  if (!(c.x87.fsw & sw::ES)) return true;
  if (c.cr0 & cr0::NE) c.raise(kMF);
  // CR0.NE=0 (SDM Vol. 1 §8.7, Appendix D): unless IGNNE# is asserted, the
  // processor asserts FERR# and freezes before this instruction until an
  // interrupt arrives (the chipset turns FERR# into IRQ13); the handler
  // clears the exception and returns here, and the instruction runs.
  X87ErrorPins* pins = c.x87_error_pins();
  if (pins && pins->ignne()) return true;
  if (!c.x87.ferr) {
    c.x87.ferr = true;
    if (pins) pins->ferr(true);
  }
  c.next_rip = c.rip;
  c.halt();
  return false;
}

bool begin(Cpu& c, bool waiting) {
  if (c.cr0 & (cr0::EM | cr0::TS)) c.raise(kNM);
  return !waiting || check_pending(c);
}

void record_pointers(Cpu& c, const Insn& i) {
  X87State& f = c.x87;
  f.fip = c.rip;
  f.fcs = c.seg[CS].selector;
  f.fop = u16(i.imm2 & 0x7ff);
  if (i.op[0].kind == OpKind::Mem) {
    f.fdp = c.effective_address(i);
    f.fds = c.seg[i.mem.seg].selector;
  }
}

u16 full_tag_word(const Cpu& c) {
  u16 t = 0;
  for (unsigned p = 0; p < 8; ++p) {
    unsigned tag = 3;  // empty
    if ((c.x87.tags >> p) & 1) {
      switch (classify(c.x87.r[p])) {
        case Cls::Normal:
          tag = 0;
          break;
        case Cls::Zero:
          tag = 1;
          break;
        default:
          tag = 2;
          break;  // NaN, infinity, denormal, unsupported
      }
    }
    t = u16(t | tag << (2 * p));
  }
  return t;
}

u8 abridge(u16 ftw) {
  u8 a = 0;
  for (unsigned p = 0; p < 8; ++p)
    if (((ftw >> (2 * p)) & 3) != 3) a = u8(a | 1u << p);
  return a;
}

}  // namespace vtlab::x87

// x87 control instructions: FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW (m16,
// AX), WAIT/FWAIT, FNSTENV/FLDENV and FNSAVE/FRSTOR in their 16- and 32-bit
// layouts for real/virtual-8086 and protected mode, and the 8087/287 NOPs
// FENI/FDISI/FSETPM. The waiting forms FINIT, FCLEX, FSTCW, FSTSW, FSTENV
// and FSAVE are FWAIT followed by these (they decode as two instructions).
// Control instructions leave the last-instruction pointers alone (SDM
// Vol. 1 §8.1.8).
#include "cpu/x87/fpu.h"

namespace vtlab::x87 {
namespace {

void init_state(Cpu& c) {
  X87State& f = c.x87;
  f.fcw = kFinitFcw;
  f.fsw = 0;
  f.tags = 0;
  f.fop = 0;
  f.fip = f.fdp = 0;
  f.fcs = f.fds = 0;
  update_summary(c);
}

void fninit(Cpu& c, const Insn&) {
  if (!begin(c, false)) return;
  init_state(c);
}

void fnclex(Cpu& c, const Insn&) {
  if (!begin(c, false)) return;
  c.x87.fsw &= u16(~(ex::kAll | sw::SF | sw::ES | sw::B));
  update_summary(c);
}

void fldcw(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const u16 v = c.read_lin<u16>(c.mem_linear(i, 2, Access::Read));
  c.x87.fcw = fcw_value(v);
  update_summary(c);  // unmasking a set flag makes it pending (ES)
}

void fnstcw(Cpu& c, const Insn& i) {
  if (!begin(c, false)) return;
  c.write_lin<u16>(c.mem_linear(i, 2, Access::Write), c.x87.fcw);
}

void fnstsw(Cpu& c, const Insn& i) {
  if (!begin(c, false)) return;
  if (i.op[0].kind == OpKind::Mem)
    c.write_lin<u16>(c.mem_linear(i, 2, Access::Write), c.x87.fsw);
  else
    c.write_gpr<2>(RAX, c.x87.fsw);
}

// WAIT/FWAIT: #NM only with CR0.MP and CR0.TS both set (SDM Vol. 3A §2.5,
// Table 2-2), then the pending-exception check.
void fwait(Cpu& c, const Insn&) {
  if ((c.cr0 & cr0::MP) && (c.cr0 & cr0::TS)) c.raise(kNM);
  (void)check_pending(c);
}

// FENI/FDISI (8087) and FSETPM (287): no operation on later processors.
void fnop_legacy(Cpu& c, const Insn&) { (void)begin(c, false); }

// ---- the environment (SDM Vol. 1 §8.1.10, Figures 8-9 to 8-12) ----

struct EnvLayout {
  bool wide;  // 32-bit operand size: 28 bytes, else 14
  bool real;  // real or virtual-8086 mode: linear pointers
};
EnvLayout layout(const Cpu& c, const Insn& i, unsigned bytes_32) {
  return {i.op[0].size == bytes_32, !c.protected_mode() || c.v86()};
}

// The 14- or 28-byte environment image.
unsigned env_image(Cpu& c, EnvLayout l, u8* b) {
  const X87State& f = c.x87;
  auto put16 = [&](unsigned off, u16 v) { std::memcpy(b + off, &v, 2); };
  auto put32 = [&](unsigned off, u32 v) { std::memcpy(b + off, &v, 4); };
  const u16 ftw = full_tag_word(c);
  const u32 fop = f.fop & 0x7ff;
  if (l.wide) {
    std::memset(b, 0xff, 28);  // reserved words read as FFFFh (as this CPU writes)
    put16(0, f.fcw), put16(4, f.fsw), put16(8, ftw);
    if (l.real) {
      const u32 ip = u32(f.fcs) * 16 + u32(f.fip), dp = u32(f.fds) * 16 + u32(f.fdp);
      put16(12, u16(ip)), put32(16, (ip >> 16) << 12 | fop);
      put16(20, u16(dp)), put32(24, (dp >> 16) << 12);
    } else {
      put32(12, u32(f.fip)), put16(16, f.fcs), put16(18, u16(fop));
      put32(20, u32(f.fdp)), put16(24, f.fds);
    }
    return 28;
  }
  put16(0, f.fcw), put16(2, f.fsw), put16(4, ftw);
  if (l.real) {
    const u32 ip = u32(f.fcs) * 16 + u32(f.fip), dp = u32(f.fds) * 16 + u32(f.fdp);
    put16(6, u16(ip)), put16(8, u16(((ip >> 16) & 0xf) << 12 | fop));
    put16(10, u16(dp)), put16(12, u16(((dp >> 16) & 0xf) << 12));
  } else {
    put16(6, u16(f.fip)), put16(8, f.fcs), put16(10, u16(f.fdp)), put16(12, f.fds);
  }
  return 14;
}

// Loads an environment image. Real-mode images hold linear pointers: they
// load as offsets with a zero selector, which store back the same way.
void load_env(Cpu& c, EnvLayout l, const u8* b) {
  X87State& f = c.x87;
  auto get16 = [&](unsigned off) {
    u16 v;
    std::memcpy(&v, b + off, 2);
    return v;
  };
  auto get32 = [&](unsigned off) {
    u32 v;
    std::memcpy(&v, b + off, 4);
    return v;
  };
  u16 ftw;
  if (l.wide) {
    f.fcw = get16(0), f.fsw = get16(4), ftw = get16(8);
    if (l.real) {
      const u32 w = get32(16);
      f.fip = get16(12) | (w >> 12) << 16, f.fop = u16(w & 0x7ff), f.fcs = 0;
      f.fdp = get16(20) | (get32(24) >> 12) << 16, f.fds = 0;
    } else {
      f.fip = get32(12), f.fcs = get16(16), f.fop = get16(18) & 0x7ff;
      f.fdp = get32(20), f.fds = get16(24);
    }
  } else {
    f.fcw = get16(0), f.fsw = get16(2), ftw = get16(4);
    if (l.real) {
      const u16 w = get16(8);
      f.fip = get16(6) | u32(w >> 12) << 16, f.fop = w & 0x7ff, f.fcs = 0;
      f.fdp = get16(10) | u32(get16(12) >> 12) << 16, f.fds = 0;
    } else {
      f.fip = get16(6), f.fcs = get16(8), f.fdp = get16(10), f.fds = get16(12);
    }
  }
  f.fcw = fcw_value(f.fcw);
  // Only "empty or not" is taken from the tag word; FSTENV derives the rest
  // from the registers (SDM Vol. 1 §8.1.7).
  f.tags = abridge(ftw);
  update_summary(c);
}

// FNSTENV: store, then mask every exception.
void fnstenv(Cpu& c, const Insn& i) {
  if (!begin(c, false)) return;
  const EnvLayout l = layout(c, i, 28);
  const u64 lin = c.mem_linear(i, l.wide ? 28 : 14, Access::Write);
  u8 b[28];
  const unsigned n = env_image(c, l, b);
  c.write_block(lin, b, n);
  c.x87.fcw |= ex::kAll;
  update_summary(c);
}

void fldenv(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const EnvLayout l = layout(c, i, 28);
  const u64 lin = c.mem_linear(i, l.wide ? 28 : 14, Access::Read);
  u8 b[28];
  c.read_block(lin, b, l.wide ? 28 : 14);
  load_env(c, l, b);
}

// FNSAVE: the environment, then ST(0)..ST(7); then FNINIT.
void fnsave(Cpu& c, const Insn& i) {
  if (!begin(c, false)) return;
  const EnvLayout l = layout(c, i, 108);
  const unsigned size = l.wide ? 108 : 94;
  const u64 lin = c.mem_linear(i, size, Access::Write);
  u8 b[108];
  const unsigned n = env_image(c, l, b);
  for (unsigned k = 0; k < 8; ++k) {
    const F80 v = st(c, k);
    std::memcpy(b + n + 10 * k, &v.sig, 8);
    std::memcpy(b + n + 10 * k + 8, &v.se, 2);
  }
  c.write_block(lin, b, size);
  init_state(c);
}

void frstor(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const EnvLayout l = layout(c, i, 108);
  const unsigned size = l.wide ? 108 : 94, n = l.wide ? 28 : 14;
  const u64 lin = c.mem_linear(i, size, Access::Read);
  u8 b[108];
  c.read_block(lin, b, size);
  load_env(c, l, b);
  for (unsigned k = 0; k < 8; ++k) {
    F80 v;
    std::memcpy(&v.sig, b + n + 10 * k, 8);
    std::memcpy(&v.se, b + n + 10 * k + 8, 2);
    st(c, k) = v;  // the tags came with the environment
  }
}

#define ONE(MN, fn) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE(fn) }

const InsnRow kRows[] = {
    ONE(FNINIT, fninit),
    ONE(FNCLEX, fnclex),
    ONE(FLDCW, fldcw),
    ONE(FNSTCW, fnstcw),
    ONE(FNSTSW, fnstsw),
    ONE(FWAIT, fwait),
    ONE(FNSTENV, fnstenv),
    ONE(FLDENV, fldenv),
    ONE(FNSAVE, fnsave),
    ONE(FRSTOR, frstor),
    ONE(FENI8087_NOP, fnop_legacy),
    ONE(FDISI8087_NOP, fnop_legacy),
    ONE(FSETPM287_NOP, fnop_legacy),
};

}  // namespace

std::span<const InsnRow> control_rows() { return kRows; }

}  // namespace vtlab::x87

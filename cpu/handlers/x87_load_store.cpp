// x87 data movement: FLD/FST/FSTP (m32, m64, m80, ST(i)), FILD/FIST/
// FISTP/FISTTP (m16, m32, m64), FBLD/FBSTP, the constants (FLD1, FLDZ,
// FLDPI, FLDL2T, FLDL2E, FLDLG2, FLDLN2), FXCH, FCMOVcc, FFREE, FFREEP,
// FINCSTP, FDECSTP, FNOP (SDM Vol. 2, each instruction; Vol. 1 §8.3.3).
#include "cpu/x87/convert.h"
#include "cpu/x87/fpu.h"

namespace vtlab::x87 {
namespace {

// Pushing onto a full stack (ST(7) not empty) is a stack overflow; masked,
// the indefinite value is pushed (SDM Vol. 1 §8.5.1.1). Returns false if
// nothing may be pushed (unmasked).
bool push_checked(Cpu& c, F80 v) {
  if (!empty(c, 7)) {
    if (!stack_fault(c, true)) return false;
    v = kIndefinite;
  } else {
    set_c1(c, false);
  }
  push(c, v);
  return true;
}

// FLD m32fp/m64fp: #IA for an SNaN, #D for a denormal; unmasked, nothing
// is pushed. FLD m80fp loads any bit pattern without an exception.
template <unsigned Bytes>
void fld_mem(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const u64 lin = c.mem_linear(i, Bytes, Access::Read);
  F80 v;
  u8 flags = 0;
  bool write = true;
  if constexpr (Bytes == 10) {
    v = read_f80(c, lin);
  } else {
    const Loaded l =
        Bytes == 4 ? from_float32(c.read_lin<u32>(lin), env(c)) : from_float64(c.read_lin<u64>(lin), env(c));
    v = l.v, flags = l.flags, write = l.write;
  }
  if (!empty(c, 7)) {
    if (stack_fault(c, true)) push(c, kIndefinite);
  } else {
    // An unmasked #IA/#D pushes nothing (SDM Vol. 1 §8.5.1.2, §8.5.2); C1
    // is cleared either way (as this CPU does for #IA).
    raise_flags(c, flags);
    set_c1(c, false);
    if (write) push(c, v);
  }
  record_pointers(c, i);
}

// FLD ST(i): ST(i) is read before the push, so an empty ST(i) is an
// underflow (C1 = 0) even when the stack is also full (as this CPU does;
// the SDM does not order the two).
void fld_reg(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const unsigned s = i.op[0].reg;
  if (empty(c, s)) {
    if (stack_fault(c, false)) push(c, kIndefinite);
  } else if (!empty(c, 7)) {
    if (stack_fault(c, true)) push(c, kIndefinite);
  } else {
    set_c1(c, false);
    push(c, st(c, s));
  }
  record_pointers(c, i);
}

ChainedHandler select_fld(const Insn& i) {
  if (i.op[0].kind != OpKind::Mem) return VTLAB_H(fld_reg);
  switch (i.op[0].size) {
    case 4:
      return VTLAB_H(fld_mem<4>);
    case 8:
      return VTLAB_H(fld_mem<8>);
    default:
      return VTLAB_H(fld_mem<10>);
  }
}

// FILD m16int/m32int/m64int: exact.
template <unsigned Bytes>
void fild(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const u64 lin = c.mem_linear(i, Bytes, Access::Read);
  i64 v;
  if constexpr (Bytes == 2)
    v = i16(c.read_lin<u16>(lin));
  else if constexpr (Bytes == 4)
    v = i32(c.read_lin<u32>(lin));
  else
    v = i64(c.read_lin<u64>(lin));
  push_checked(c, from_int(v));
  record_pointers(c, i);
}
ChainedHandler select_fild(const Insn& i) {
  return i.op[0].size == 2 ? VTLAB_H(fild<2>) : i.op[0].size == 4 ? VTLAB_H(fild<4>) : VTLAB_H(fild<8>);
}

// FBLD m80bcd.
void fbld(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const u64 lin = c.mem_linear(i, 10, Access::Read);
  u8 b[10];
  c.read_block(lin, b, 10);
  push_checked(c, from_bcd(b));
  record_pointers(c, i);
}

// Stores of ST(0) to memory. An empty ST(0) is a stack underflow: masked,
// the format's indefinite value is stored. Unmasked exceptions other than
// #P store nothing and do not pop.
template <unsigned Bytes>
void store_bits(Cpu& c, u64 lin, u64 bits) {
  if constexpr (Bytes == 2)
    c.write_lin<u16>(lin, u16(bits));
  else if constexpr (Bytes == 4)
    c.write_lin<u32>(lin, u32(bits));
  else
    c.write_lin<u64>(lin, bits);
}

enum class StoreKind : u8 { Float, Int, IntTrunc };

template <StoreKind K, unsigned Bytes, bool Pop>
void fst_mem(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const u64 lin = c.mem_linear(i, Bytes, Access::Write);
  Stored s;
  if (empty(c, 0)) {
    // Masked: the indefinite of the destination format (stored before the
    // status changes: a page fault on the store leaves no trace).
    if (c.x87.fcw & ex::IE) {
      s = K == StoreKind::Float ? (Bytes == 4 ? to_float32(kIndefinite, env(c)) : to_float64(kIndefinite, env(c)))
                                : to_int(kIndefinite, Bytes, env(c), false);
      store_bits<Bytes>(c, lin, s.bits);
    }
    if (!stack_fault(c, false)) return record_pointers(c, i);
  } else {
    if constexpr (K == StoreKind::Float)
      s = Bytes == 4 ? to_float32(st(c, 0), env(c)) : to_float64(st(c, 0), env(c));
    else
      s = to_int(st(c, 0), Bytes, env(c), K == StoreKind::IntTrunc);
    if (s.write) store_bits<Bytes>(c, lin, s.bits);
    raise_flags(c, s.flags);
    set_c1(c, s.write && s.c1);
    if (!s.write) return record_pointers(c, i);
  }
  if (Pop) pop(c);
  record_pointers(c, i);
}

// FSTP m80fp: the register image, no exception but a stack underflow.
void fstp_m80(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const u64 lin = c.mem_linear(i, 10, Access::Write);
  if (empty(c, 0)) {
    if (c.x87.fcw & ex::IE) write_f80(c, lin, kIndefinite);
    if (!stack_fault(c, false)) return record_pointers(c, i);
  } else {
    write_f80(c, lin, st(c, 0));
    set_c1(c, false);
  }
  pop(c);
  record_pointers(c, i);
}

// FST/FSTP ST(i): a copy; FSTP pops after.
template <bool Pop>
void fst_reg(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const unsigned d = i.op[0].reg;
  if (empty(c, 0)) {
    if (!stack_fault(c, false)) return record_pointers(c, i);
    set_st(c, d, kIndefinite);
  } else {
    set_c1(c, false);
    set_st(c, d, st(c, 0));
  }
  if (Pop) pop(c);
  record_pointers(c, i);
}

template <bool Pop>
ChainedHandler select_fst(const Insn& i) {
  if (i.op[0].kind != OpKind::Mem) return VTLAB_H(fst_reg<Pop>);
  switch (i.op[0].size) {
    case 4:
      return VTLAB_H((fst_mem<StoreKind::Float, 4, Pop>));
    case 8:
      return VTLAB_H((fst_mem<StoreKind::Float, 8, Pop>));
    default:
      return Pop ? VTLAB_H(fstp_m80) : nullptr;
  }
}

template <StoreKind K, bool Pop>
ChainedHandler select_fist(const Insn& i) {
  switch (i.op[0].size) {
    case 2:
      return VTLAB_H((fst_mem<K, 2, Pop>));
    case 4:
      return VTLAB_H((fst_mem<K, 4, Pop>));
    default:
      return Pop ? VTLAB_H((fst_mem<K, 8, Pop>)) : nullptr;
  }
}

// FBSTP m80bcd.
void fbstp(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const u64 lin = c.mem_linear(i, 10, Access::Write);
  StoredBcd s;
  if (empty(c, 0)) {
    if (c.x87.fcw & ex::IE) {
      s = to_bcd(kIndefinite, env(c));
      c.write_block(lin, s.b, 10);
    }
    if (!stack_fault(c, false)) return record_pointers(c, i);
  } else {
    s = to_bcd(st(c, 0), env(c));
    if (s.write) c.write_block(lin, s.b, 10);
    raise_flags(c, s.flags);
    set_c1(c, s.write && s.c1);
    if (!s.write) return record_pointers(c, i);
  }
  pop(c);
  record_pointers(c, i);
}

// The constants, rounded with the rounding control from the x87's internal
// values (as this CPU gives; no exception): below, above, and which of the
// two round-to-nearest picks.
struct Constant {
  u16 se;
  u64 below, above;
  bool nearest_above;
};
constexpr Constant kPi{0x4000, 0xc90fdaa22168c234ull, 0xc90fdaa22168c235ull, true};
constexpr Constant kL2T{0x4000, 0xd49a784bcd1b8afeull, 0xd49a784bcd1b8affull, false};
constexpr Constant kL2E{0x3fff, 0xb8aa3b295c17f0bbull, 0xb8aa3b295c17f0bcull, true};
constexpr Constant kLG2{0x3ffd, 0x9a209a84fbcff798ull, 0x9a209a84fbcff799ull, true};
constexpr Constant kLN2{0x3ffe, 0xb17217f7d1cf79abull, 0xb17217f7d1cf79acull, true};

template <const Constant* K>
void fld_const(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const Rounding rc = env(c).rc;
  const bool up = rc == Rounding::Up || (rc == Rounding::Nearest && K->nearest_above);
  push_checked(c, F80{up ? K->above : K->below, K->se});
  record_pointers(c, i);
}
template <bool One>
void fld_exact(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  push_checked(c, One ? one() : zero(false));
  record_pointers(c, i);
}

// FXCH ST(i): an empty operand is an underflow; masked, it reads as the
// indefinite value and the exchange happens.
void fxch(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const unsigned s = i.nops ? i.op[0].reg : 1;
  F80 a = st(c, 0), b = st(c, s);
  if (empty(c, 0) || empty(c, s)) {
    if (!stack_fault(c, false)) return record_pointers(c, i);
    if (empty(c, 0)) a = kIndefinite;
    if (empty(c, s)) b = kIndefinite;
  } else {
    set_c1(c, false);
  }
  set_st(c, 0, b);
  set_st(c, s, a);
  record_pointers(c, i);
}

// FCMOVcc ST(0), ST(i) (condition from EFLAGS). C1 changes only for a
// stack underflow (SDM Vol. 2 FCMOVcc).
bool fcmov_condition(Cpu& c, u16 mnemonic) {
  const u64 f = c.rflags();
  const bool cf = f & fl::CF, zf = f & fl::ZF, pf = f & fl::PF;
  switch (mnemonic) {
    case ZYDIS_MNEMONIC_FCMOVB:
      return cf;
    case ZYDIS_MNEMONIC_FCMOVE:
      return zf;
    case ZYDIS_MNEMONIC_FCMOVBE:
      return cf || zf;
    case ZYDIS_MNEMONIC_FCMOVU:
      return pf;
    case ZYDIS_MNEMONIC_FCMOVNB:
      return !cf;
    case ZYDIS_MNEMONIC_FCMOVNE:
      return !zf;
    case ZYDIS_MNEMONIC_FCMOVNBE:
      return !cf && !zf;
    default:
      return !pf;  // FCMOVNU
  }
}
void fcmov(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const unsigned s = i.op[1].reg;
  if (empty(c, 0) || empty(c, s)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
  } else if (fcmov_condition(c, i.mnemonic)) {
    set_st(c, 0, st(c, s));
  }
  record_pointers(c, i);
}

// FFREE ST(i) (tag empty; C0-C3 undefined: unchanged), FFREEP ST(i) (DF
// C0+i, the same and a pop, which clears C1 as this CPU does).
template <bool Pop>
void ffree(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  c.x87.tags = u8(c.x87.tags & ~(1u << phys(c, i.op[0].reg)));
  if (Pop) pop(c);
  set_c1(c, false);  // C0-C3 are undefined (SDM Vol. 2 FFREE); this CPU clears C1
  record_pointers(c, i);
}

// FINCSTP/FDECSTP: TOP +-1, tags unchanged, C1 = 0.
template <int D>
void fstp_move(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  set_top(c, unsigned(int(top(c)) + D));
  set_c1(c, false);
  record_pointers(c, i);
}

void fnop(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  record_pointers(c, i);
}

#define SEL(MN, sel) \
  InsnRow { ZYDIS_MNEMONIC_##MN, {}, 0, SizeFrom::Op0, &sel }
#define ONE(MN, fn) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE(fn) }

const InsnRow kRows[] = {
    SEL(FLD, select_fld),
    SEL(FST, select_fst<false>),
    SEL(FSTP, select_fst<true>),
    ONE(FSTPNCE, fst_reg<true>),  // D9 D8+i: an alias of FSTP ST(i)
    SEL(FILD, select_fild),
    SEL(FIST, (select_fist<StoreKind::Int, false>)),
    SEL(FISTP, (select_fist<StoreKind::Int, true>)),
    // SSE3 (the ISA gate admits it when CPUID reports SSE3).
    SEL(FISTTP, (select_fist<StoreKind::IntTrunc, true>)),
    ONE(FBLD, fbld),
    ONE(FBSTP, fbstp),
    ONE(FLD1, fld_exact<true>),
    ONE(FLDZ, fld_exact<false>),
    ONE(FLDPI, fld_const<&kPi>),
    ONE(FLDL2T, fld_const<&kL2T>),
    ONE(FLDL2E, fld_const<&kL2E>),
    ONE(FLDLG2, fld_const<&kLG2>),
    ONE(FLDLN2, fld_const<&kLN2>),
    ONE(FXCH, fxch),
    ONE(FCMOVB, fcmov),
    ONE(FCMOVE, fcmov),
    ONE(FCMOVBE, fcmov),
    ONE(FCMOVU, fcmov),
    ONE(FCMOVNB, fcmov),
    ONE(FCMOVNE, fcmov),
    ONE(FCMOVNBE, fcmov),
    ONE(FCMOVNU, fcmov),
    ONE(FFREE, ffree<false>),
    ONE(FFREEP, ffree<true>),
    ONE(FINCSTP, fstp_move<1>),
    ONE(FDECSTP, fstp_move<-1>),
    ONE(FNOP, fnop),
};

}  // namespace

std::span<const InsnRow> load_store_rows() { return kRows; }

}  // namespace vtlab::x87

// Integer arithmetic and logic: ADD..CMP, TEST, INC/DEC/NEG/NOT, XADD,
// CMPXCHG family, ADCX/ADOX. Flags are recorded lazily (cpu/flags.h).
#include "cpu/handlers/forms.h"

namespace vtlab {
namespace {

enum class Op { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };

template <Op OP>
struct Alu {
  template <unsigned S, Form F>
  static void run(Cpu& c, const Insn& i) {
    using T = uint_t<S>;
    constexpr bool writes = OP != Op::Cmp && OP != Op::Test;
    FormDest<S, F> d(c, i, writes ? Access::Write : Access::Read);
    T a = d.get();
    T b = source<S, F>(c, i);
    bool cin = (OP == Op::Adc || OP == Op::Sbb) && c.flags.cf();
    T r;
    LazyOp kind;
    switch (OP) {
      case Op::Add: r = T(a + b), kind = LazyOp::Add; break;
      case Op::Adc: r = T(a + b + cin), kind = LazyOp::Adc; break;
      case Op::Sub:
      case Op::Cmp: r = T(a - b), kind = LazyOp::Sub; break;
      case Op::Sbb: r = T(a - b - cin), kind = LazyOp::Sbb; break;
      case Op::And:
      case Op::Test: r = a & b, kind = LazyOp::Logic; break;
      case Op::Or: r = a | b, kind = LazyOp::Logic; break;
      case Op::Xor: r = a ^ b, kind = LazyOp::Logic; break;
    }
    if constexpr (writes) d.set(r);
    c.flags.record<T>(kind, r, a, b, cin);
  }
};

template <unsigned S>
void inc(Cpu& c, const Insn& i) {
  Dest<S> d(c, i);
  uint_t<S> a = d.get(), r = uint_t<S>(a + 1);
  d.set(r);
  c.flags.record_incdec<uint_t<S>>(LazyOp::Inc, r, a);
}

template <unsigned S>
void dec(Cpu& c, const Insn& i) {
  Dest<S> d(c, i);
  uint_t<S> a = d.get(), r = uint_t<S>(a - 1);
  d.set(r);
  c.flags.record_incdec<uint_t<S>>(LazyOp::Dec, r, a);
}

template <unsigned S>
void neg(Cpu& c, const Insn& i) {
  Dest<S> d(c, i);
  uint_t<S> a = d.get(), r = uint_t<S>(0 - a);
  d.set(r);
  c.flags.record<uint_t<S>>(LazyOp::Sub, r, 0, a);  // CF = (a != 0)
}

template <unsigned S>
void not_(Cpu& c, const Insn& i) {
  Dest<S> d(c, i);
  d.set(uint_t<S>(~d.get()));
}

template <unsigned S>
void xadd(Cpu& c, const Insn& i) {
  Dest<S> d(c, i);
  uint_t<S> a = d.get(), b = c.read_reg<S>(i.op[1]), r = uint_t<S>(a + b);
  // SDM order: SRC <- DEST, then DEST <- sum (XADD r, r leaves the sum).
  // A memory destination is stored first so a faulting store changes nothing.
  if (d.is_mem()) {
    d.set(r);
    c.write_reg<S>(i.op[1], a);
  } else {
    c.write_reg<S>(i.op[1], a);
    d.set(r);
  }
  c.flags.record<uint_t<S>>(LazyOp::Add, r, a, b);
}

template <unsigned S>
void cmpxchg(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  Dest<S> d(c, i);
  T dst = d.get();
  T acc = T(c.gpr[RAX]);
  if (acc == dst) {
    d.set(c.read_reg<S>(i.op[1]));
  } else {
    // The destination is written back unchanged: a locked cycle always
    // writes (SDM Vol. 2 CMPXCHG).
    if (d.is_mem()) d.set(dst);
    c.write_gpr<S>(RAX, dst);
  }
  c.flags.record<T>(LazyOp::Sub, T(acc - dst), acc, dst);
}

// CMPXCHG8B m64 / CMPXCHG16B m128: only ZF changes.
void cmpxchg8b(Cpu& c, const Insn& i) {
  u64 lin = c.mem_linear(i, 8, Access::Write);
  u64 m = c.read_lin<u64>(lin);
  u64 cmp = (c.gpr[RDX] << 32) | u32(c.gpr[RAX]);
  if (m == cmp) {
    c.write_lin<u64>(lin, (c.gpr[RCX] << 32) | u32(c.gpr[RBX]));
    c.flags.set_arith(fl::ZF, fl::ZF);
  } else {
    c.write_lin<u64>(lin, m);
    c.gpr[RAX] = u32(m);
    c.gpr[RDX] = m >> 32;
    c.flags.set_arith(fl::ZF, 0);
  }
}

void cmpxchg16b(Cpu& c, const Insn& i) {
  u64 ea = c.effective_address(i);
  if (ea & 15) c.raise(kGP, 0);  // m128 must be 16-byte aligned
  u64 lin = c.mem_linear(i, 16, Access::Write);
  c.probe_write(lin, 16);
  u64 lo = c.read_lin<u64>(lin), hi = c.read_lin<u64>(lin + 8);
  if (lo == c.gpr[RAX] && hi == c.gpr[RDX]) {
    c.write_lin<u64>(lin, c.gpr[RBX]);
    c.write_lin<u64>(lin + 8, c.gpr[RCX]);
    c.flags.set_arith(fl::ZF, fl::ZF);
  } else {
    c.write_lin<u64>(lin, lo);
    c.write_lin<u64>(lin + 8, hi);
    c.gpr[RAX] = lo;
    c.gpr[RDX] = hi;
    c.flags.set_arith(fl::ZF, 0);
  }
}

ChainedHandler select_cmpxchg8b(const Insn& i) { return i.opsize == 8 ? VTLAB_H(cmpxchg16b) : VTLAB_H(cmpxchg8b); }

// ADCX (carry in CF) / ADOX (carry in OF): unsigned add touching one flag.
template <u64 FLAG, unsigned S>
void add_carry_flag(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  T a = c.read_reg<S>(i.op[0]), b = c.read_op<S>(i, 1);
  bool cin = c.flags.get() & FLAG;
  T r = T(a + b + cin);
  bool cout = r < a || (cin && r == a);
  c.write_reg<S>(i.op[0], r);
  c.flags.set_arith(FLAG, cout ? FLAG : 0);
}
template <unsigned S>
void adcx(Cpu& c, const Insn& i) {
  add_carry_flag<fl::CF, S>(c, i);
}
template <unsigned S>
void adox(Cpu& c, const Insn& i) {
  add_carry_flag<fl::OF, S>(c, i);
}

// ALU rows pick the handler by operand size and form (cpu/handlers/forms.h).
#define ALU(op, attrs) {}, attrs, SizeFrom::Op0, &select_by_size_and_form<Alu<op>>

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_ADD, ALU(Op::Add, attr::kLockable)},
    {ZYDIS_MNEMONIC_OR, ALU(Op::Or, attr::kLockable)},
    {ZYDIS_MNEMONIC_ADC, ALU(Op::Adc, attr::kLockable)},
    {ZYDIS_MNEMONIC_SBB, ALU(Op::Sbb, attr::kLockable)},
    {ZYDIS_MNEMONIC_AND, ALU(Op::And, attr::kLockable)},
    {ZYDIS_MNEMONIC_SUB, ALU(Op::Sub, attr::kLockable)},
    {ZYDIS_MNEMONIC_XOR, ALU(Op::Xor, attr::kLockable)},
    {ZYDIS_MNEMONIC_CMP, ALU(Op::Cmp, 0)},
    {ZYDIS_MNEMONIC_TEST, ALU(Op::Test, 0)},
    {ZYDIS_MNEMONIC_INC, VTLAB_SIZED(inc), attr::kLockable},
    {ZYDIS_MNEMONIC_DEC, VTLAB_SIZED(dec), attr::kLockable},
    {ZYDIS_MNEMONIC_NEG, VTLAB_SIZED(neg), attr::kLockable},
    {ZYDIS_MNEMONIC_NOT, VTLAB_SIZED(not_), attr::kLockable},
    {ZYDIS_MNEMONIC_XADD, VTLAB_SIZED(xadd), attr::kLockable},
    {ZYDIS_MNEMONIC_CMPXCHG, VTLAB_SIZED(cmpxchg), attr::kLockable},
    {ZYDIS_MNEMONIC_CMPXCHG8B, {}, attr::kLockable, SizeFrom::Op0, &select_cmpxchg8b},
    {ZYDIS_MNEMONIC_CMPXCHG16B, VTLAB_ONE(cmpxchg16b), attr::kLockable},
    {ZYDIS_MNEMONIC_ADCX, VTLAB_SIZED_WDQ(adcx)},
    {ZYDIS_MNEMONIC_ADOX, VTLAB_SIZED_WDQ(adox)},
};

}  // namespace

std::span<const InsnRow> alu_rows() { return kRows; }

}  // namespace vtlab

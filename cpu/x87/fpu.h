// What the x87 instruction handlers share (cpu/handlers/x87_*.cpp): the
// availability checks (CR0.EM/TS/MP, pending exceptions and #MF or the
// FERR# path), the register stack and tags, recording exceptions in the
// status word, and the last-instruction pointers.
#pragma once
#include "cpu/handlers/common.h"
#include "cpu/x87/error_pins.h"
#include "cpu/x87/float80.h"

namespace vtlab::x87 {

// Status word bits (SDM Vol. 1 §8.1.3).
namespace sw {
inline constexpr u16 SF = 1 << 6, ES = 1 << 7, C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14, B = 1 << 15;
inline constexpr u16 kTopShift = 11, kTop = 7 << kTopShift, kCc = C0 | C1 | C2 | C3;
}  // namespace sw

inline constexpr u16 kFinitFcw = 0x037f;
// Control word bits that exist: bit 6 reads as 1, bits 7 and 13-15 as 0
// (whatever FLDCW, FLDENV or FXRSTOR load; as this CPU shows).
inline u16 fcw_value(u16 v) { return u16((v & 0x1f3f) | 0x40); }

inline unsigned top(const Cpu& c) { return (c.x87.fsw >> sw::kTopShift) & 7; }
inline void set_top(Cpu& c, unsigned t) { c.x87.fsw = u16((c.x87.fsw & ~sw::kTop) | (t & 7) << sw::kTopShift); }
inline unsigned phys(const Cpu& c, unsigned i) { return (top(c) + i) & 7; }
inline bool empty(const Cpu& c, unsigned i) { return !((c.x87.tags >> phys(c, i)) & 1); }
inline F80& st(Cpu& c, unsigned i) { return c.x87.r[phys(c, i)]; }
inline void set_st(Cpu& c, unsigned i, F80 v) {
  const unsigned p = phys(c, i);
  c.x87.r[p] = v;
  c.x87.tags = u8(c.x87.tags | 1u << p);
}
inline void push(Cpu& c, F80 v) {
  set_top(c, top(c) - 1);
  set_st(c, 0, v);
}
inline void pop(Cpu& c) {
  c.x87.tags = u8(c.x87.tags & ~(1u << top(c)));
  set_top(c, top(c) + 1);
}
inline Env env(const Cpu& c, bool precision_control = false) { return env_from_fcw(c.x87.fcw, precision_control); }
inline void set_c1(Cpu& c, bool on) { c.x87.fsw = u16(on ? c.x87.fsw | sw::C1 : c.x87.fsw & ~sw::C1); }
inline void set_cc(Cpu& c, bool c0, bool c1, bool c2, bool c3) {
  c.x87.fsw =
      u16((c.x87.fsw & ~sw::kCc) | (c0 ? sw::C0 : 0) | (c1 ? sw::C1 : 0) | (c2 ? sw::C2 : 0) | (c3 ? sw::C3 : 0));
}

// ES and B follow the exception flags and masks (SDM Vol. 1 §8.1.3.1: ES is
// set when any unmasked exception flag is set). Called after anything that
// changes the flags or the masks; clearing ES drops FERR#.
void update_summary(Cpu& c);

// Records exceptions an instruction raised (their flags are sticky).
inline void raise_flags(Cpu& c, u8 flags) {
  if (!flags) return;
  c.x87.fsw |= flags;
  if (flags & ~c.x87.fcw & ex::kAll) c.x87.fsw |= sw::ES | sw::B;
}

// Stack faults (SDM Vol. 1 §8.5.1.1): #IS with C1 = 1 for an overflow
// (pushing onto a full register), 0 for an underflow (reading an empty
// one). Returns true when masked: the instruction goes on with the
// indefinite value as the operand/result.
inline bool stack_fault(Cpu& c, bool overflow) {
  raise_flags(c, ex::IE | sw::SF);
  set_c1(c, overflow);
  return c.x87.fcw & ex::IE;
}

// The checks every x87 instruction starts with (SDM Vol. 3A §2.5 CR0.EM/TS,
// Vol. 1 §8.6): #NM if CR0.EM or CR0.TS; then, for waiting instructions, a
// pending unmasked exception: #MF with CR0.NE=1, otherwise the FERR# path.
// Returns false if the instruction must not run now (the processor froze
// waiting for an interrupt: RIP stays at the instruction).
[[nodiscard]] bool begin(Cpu& c, bool waiting);
// The pending-exception check alone (WAIT/FWAIT and MMX instructions).
[[nodiscard]] bool check_pending(Cpu& c);

// Records FIP/FCS, FOP and (with a memory operand) FDP/FDS for a non-control
// instruction (SDM Vol. 1 §8.1.8); called when the instruction completes.
void record_pointers(Cpu& c, const Insn& i);

// 80-bit values in memory.
inline F80 read_f80(Cpu& c, u64 lin) {
  u8 b[10];
  c.read_block(lin, b, 10);
  F80 v;
  std::memcpy(&v.sig, b, 8);
  std::memcpy(&v.se, b + 8, 2);
  return v;
}
inline void write_f80(Cpu& c, u64 lin, F80 v) {
  u8 b[10];
  std::memcpy(b, &v.sig, 8);
  std::memcpy(b + 8, &v.se, 2);
  c.write_block(lin, b, 10);
}

// The full tag word (2 bits per physical register: 00 valid, 01 zero,
// 10 special, 11 empty; SDM Vol. 1 §8.1.7), from the contents.
u16 full_tag_word(const Cpu& c);
// The abridged tag byte of a full tag word (11 -> empty, else valid).
u8 abridge(u16 ftw);

}  // namespace vtlab::x87

// Debug registers (SDM Vol. 3A ch. 18): MOV to/from DR with general
// detect, instruction breakpoints (faults, suppressed by RF), data and I/O
// breakpoints (traps after the instruction), and the DR6 bits they set.
//
// Cost: nothing while DR7 enables no breakpoint. While one is enabled the
// run loop runs one instruction per slice (to check instruction
// breakpoints and deliver traps between instructions), and with a data
// breakpoint enabled no data access uses the host-pointer TLBs, so the slow
// path sees every access.
#include "cpu/cpu.h"

namespace vtlab {
namespace {

// DR7 fields of breakpoint i: R/W (00 execute, 01 write, 10 I/O, 11 read
// or write) and LEN (00 1 byte, 01 2, 10 8, 11 4).
unsigned rw_of(u64 dr7, unsigned i) { return unsigned(dr7 >> (16 + 4 * i)) & 3; }
u64 len_of(u64 dr7, unsigned i) {
  static constexpr u64 kLen[4] = {1, 2, 8, 4};
  return kLen[(dr7 >> (18 + 4 * i)) & 3];
}
bool enabled(u64 dr7, unsigned i) { return (dr7 >> (2 * i)) & 3; }

}  // namespace

unsigned Cpu::dr_index(unsigned n) {
  // DR4/DR5 alias DR6/DR7 unless CR4.DE=1, which makes them #UD (§18.2.2).
  if (n == 4 || n == 5) {
    if (cr4 & cr4::DE) raise(kUD);
    return n + 2;
  }
  return n;
}

// General detect (DR7.GD): any MOV DR is a #DB fault with DR6.BD (§18.2.4).
void Cpu::check_general_detect() {
  if (!(dr[7] & dr7::GD)) return;
  dr[6] = (dr[6] & ~dr6::kHits) | dr6::BD;
  raise(kDB);
}

u64 Cpu::read_dr(unsigned n) {
  const unsigned r = dr_index(n);
  check_general_detect();
  return dr[r];
}

void Cpu::write_dr(unsigned n, u64 v) {
  const unsigned r = dr_index(n);
  if ((r == 6 || r == 7) && (v >> 32)) raise(kGP, 0);
  check_general_detect();
  if (r == 6) v = (v & 0xe00f) | dr6::kFixed1;
  if (r == 7) v = (v & 0xffff2bff) | 0x400;
  if (r < 4 && !long64()) v = u32(v);
  dr[r] = v;
  debug_changed();
}

void Cpu::debug_changed() {
  const u64 d7 = dr[7];
  exec_breakpoints_ = data_breakpoints_ = io_breakpoints_ = 0;
  for (unsigned i = 0; i < 4; ++i) {
    if (!enabled(d7, i)) continue;
    switch (rw_of(d7, i)) {
      case 0:
        exec_breakpoints_ |= u8(1u << i);
        break;
      case 2:
        if (cr4 & cr4::DE) io_breakpoints_ |= u8(1u << i);  // without DE: undefined, none here
        break;
      default:
        data_breakpoints_ |= u8(1u << i);
        break;
    }
  }
  // Data accesses must reach the slow path while a data breakpoint is on.
  if (data_breakpoints_) flush_host_tlbs();
  end_block();
}

u64 Cpu::instruction_breakpoint_hits() const {
  const u64 lin = mode64_ ? rip : u32(seg[CS].base + rip);
  u64 hits = 0;
  for (unsigned i = 0; i < 4; ++i)
    if ((exec_breakpoints_ >> i) & 1 && dr[i] == lin) hits |= u64(1) << i;
  return hits;
}

void Cpu::check_data_breakpoints(u64 lin, unsigned len, bool write) {
  const u64 d7 = dr[7];
  for (unsigned i = 0; i < 4; ++i) {
    if (!((data_breakpoints_ >> i) & 1)) continue;
    if (write == false && rw_of(d7, i) == 1) continue;  // write-only breakpoint
    const u64 n = len_of(d7, i), at = dr[i] & ~(n - 1);
    if (lin < at + n && at < lin + len) {
      pending_debug_ |= u64(1) << i;
      end_block();
    }
  }
}

void Cpu::check_io_breakpoints(u16 port, unsigned size) {
  const u64 d7 = dr[7];
  for (unsigned i = 0; i < 4; ++i) {
    if (!((io_breakpoints_ >> i) & 1)) continue;
    const u64 n = len_of(d7, i), at = dr[i] & 0xffff & ~(n - 1);
    if (port < at + n && at < u64(port) + size) {
      pending_debug_ |= u64(1) << i;
      end_block();
    }
  }
}

}  // namespace vtlab

// System instructions: CPUID, TSC, MSRs, descriptor-table registers, task
// register, CR0 shortcuts, cache/TLB control, HLT, port I/O, SWAPGS,
// SYSCALL/SYSRET, SYSENTER/SYSEXIT, RD/WR{FS,GS}BASE, RDPID, RDRAND/RDSEED,
// UD0/UD1/UD2, fences and hints.
#include "cpu/handlers/common.h"
#include "cpu/msr_table.h"
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/intercepts.h"

namespace vtlab {
namespace {

using vmx::ExitReason;

void cpuid(Cpu& c, const Insn& i) {
  if (c.vmx_non_root()) vmx::exit_always(c, i, ExitReason::CPUID);
  u32 r[4];
  c.cpuid(u32(c.gpr[RAX]), u32(c.gpr[RCX]), r);
  c.gpr[RAX] = r[0], c.gpr[RBX] = r[1], c.gpr[RCX] = r[2], c.gpr[RDX] = r[3];
}

void rdtsc(Cpu& c, const Insn& i) {
  if ((c.cr4 & cr4::TSD) && c.cpl != 0 && c.protected_mode()) c.raise(kGP, 0);
  if (c.vmx_non_root()) vmx::exit_if(c, i, vmx::proc::kRdtscExiting, ExitReason::RDTSC);
  u64 t = c.tsc();
  c.gpr[RAX] = u32(t), c.gpr[RDX] = t >> 32;
}

void rdtscp(Cpu& c, const Insn& i) {
  if (c.vmx_non_root()) vmx::rdtscp(c, i);
  rdtsc(c, i);
  c.gpr[RCX] = u32(c.msr.tsc_aux);
}

// RDPID r32/r64: IA32_TSC_AUX (64 bits wide in 64-bit mode, zero-extended).
void rdpid(Cpu& c, const Insn& i) { c.gpr[i.op[0].reg] = u32(c.msr.tsc_aux); }

// RDRAND/RDSEED r16/32/64: CF=1 and a random value, or CF=0 and 0 when the
// source has none; OF SF ZF AF PF cleared (SDM Vol. 2 RDRAND). The numbers
// come from the CPU's EntropySource (core/base/input.h), so a run repeats.
template <unsigned S>
void rdrand(Cpu& c, const Insn& i) {
  if (c.vmx_non_root()) vmx::rdrand(c, i, i.mnemonic == ZYDIS_MNEMONIC_RDSEED);
  u64 v = 0;
  const bool ok = c.entropy().next(v);
  c.write_reg<S>(i.op[0], ok ? uint_t<S>(v) : uint_t<S>(0));
  c.flags.set_arith(fl::kArith, ok ? fl::CF : 0);
}

void rdmsr(Cpu& c, const Insn& i) {
  c.require_cpl0();
  if (c.vmx_non_root() && vmx::msr_access(c, i, false)) return;
  u64 v;
  if (!c.read_msr(u32(c.gpr[RCX]), v)) {
    if (c.log().on(LogCategory::Unimp)) log_refused_msr(c, false, u32(c.gpr[RCX]), 0);
    c.raise(kGP, 0);
  }
  c.gpr[RAX] = u32(v), c.gpr[RDX] = v >> 32;
}

void wrmsr(Cpu& c, const Insn& i) {
  c.require_cpl0();
  if (c.vmx_non_root() && vmx::msr_access(c, i, true)) return;
  u64 v = (c.gpr[RDX] << 32) | u32(c.gpr[RAX]);
  if (!c.write_msr(u32(c.gpr[RCX]), v)) {
    if (c.log().on(LogCategory::Unimp)) log_refused_msr(c, true, u32(c.gpr[RCX]), v);
    c.raise(kGP, 0);
  }
  c.end_block();
}

// LGDT/LIDT m16&32 / m16&64: in 64-bit mode the base is 8 bytes; with a
// 16-bit operand size outside it only 24 bits of base are used.
void load_table_reg(Cpu& c, const Insn& i, TableReg& t) {
  c.require_cpl0();
  if (c.vmx_non_root()) vmx::descriptor_table(c, i, true, &t == &c.gdtr ? 2 : 3);
  unsigned base_bytes = c.long64() ? 8 : 4;
  u64 lin = c.mem_linear(i, 2 + base_bytes, Access::Read);
  u16 limit = c.read_lin<u16>(lin);
  u64 base = c.long64() ? c.read_lin<u64>(lin + 2) : c.read_lin<u32>(lin + 2);
  if (!c.long64() && i.opsize == 2) base &= 0xffffff;
  if (c.long64() && !Cpu::is_canonical(base)) c.raise(kGP, 0);
  t.limit = limit;
  t.base = base;
}
void lgdt(Cpu& c, const Insn& i) { load_table_reg(c, i, c.gdtr); }
void lidt(Cpu& c, const Insn& i) { load_table_reg(c, i, c.idtr); }

// CR4.UMIP: SGDT, SIDT, SLDT, SMSW and STR are CPL 0 only (SDM Vol. 3A §2.5).
void check_umip(Cpu& c) {
  if ((c.cr4 & cr4::UMIP) && c.cpl > 0) c.raise(kGP, 0);
}

void store_table_reg(Cpu& c, const Insn& i, const TableReg& t) {
  check_umip(c);
  if (c.vmx_non_root()) vmx::descriptor_table(c, i, true, &t == &c.gdtr ? 0 : 1);
  unsigned base_bytes = c.long64() ? 8 : 4;
  u64 lin = c.mem_linear(i, 2 + base_bytes, Access::Write);
  c.probe_write(lin, 2 + base_bytes);
  c.write_lin<u16>(lin, t.limit);
  if (c.long64())
    c.write_lin<u64>(lin + 2, t.base);
  else
    c.write_lin<u32>(lin + 2, u32(t.base));
}
void sgdt(Cpu& c, const Insn& i) { store_table_reg(c, i, c.gdtr); }
void sidt(Cpu& c, const Insn& i) { store_table_reg(c, i, c.idtr); }

// In IA-32e mode LDT and TSS descriptors are 16 bytes (base bits 63:32 in
// the second half, SDM Vol. 3A §8.2.3). Faults name the selector: the upper
// half beyond the GDT limit, a nonzero type field in it (SDM Vol. 2 LLDT,
// LTR), a base that is not canonical. Returns the 64-bit base.
u64 system_descriptor_base(Cpu& c, u16 sel, const Segment& s) {
  if (!(c.efer & efer::LMA)) return s.base;
  const u32 offset = sel & ~7u;
  if (offset + 15 > c.gdtr.limit) c.raise(kGP, sel & 0xfffc);
  const u64 hi = c.read_sys<u64>(c.gdtr.base + offset + 8);
  if ((hi >> 40) & 0x1f) c.raise(kGP, sel & 0xfffc);
  const u64 base = (s.base & 0xffffffff) | (hi & 0xffffffff) << 32;
  if (!Cpu::is_canonical(base)) c.raise(kGP, sel & 0xfffc);
  return base;
}

void lldt(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86()) c.raise(kUD);
  c.require_cpl0();
  if (c.vmx_non_root()) vmx::descriptor_table(c, i, false, 2);
  u16 sel = c.read_op<2>(i, 0);
  if ((sel & 0xfffc) == 0) {
    c.ldtr.selector = sel;
    c.ldtr.attr = ar::Unusable;
    return;
  }
  if (sel & 4) c.raise(kGP, sel & 0xfffc);
  u64 d = c.read_descriptor(sel);
  Segment s = Cpu::segment_from_descriptor(sel, d);
  if ((s.attr & ar::S) || (s.attr & ar::kTypeMask) != 2) c.raise(kGP, sel & 0xfffc);
  if (!(s.attr & ar::P)) c.raise(kNP, sel & 0xfffc);
  s.base = system_descriptor_base(c, sel, s);
  c.ldtr = s;
}

void ltr(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86()) c.raise(kUD);
  c.require_cpl0();
  if (c.vmx_non_root()) vmx::descriptor_table(c, i, false, 3);
  u16 sel = c.read_op<2>(i, 0);
  if ((sel & 0xfffc) == 0 || (sel & 4)) c.raise(kGP, sel & 0xfffc);
  u64 d = c.read_descriptor(sel);
  Segment s = Cpu::segment_from_descriptor(sel, d);
  u32 type = s.attr & ar::kTypeMask;
  bool available = (c.efer & efer::LMA) ? type == 0x9 : (type == 0x1 || type == 0x9);
  if ((s.attr & ar::S) || !available) c.raise(kGP, sel & 0xfffc);
  if (!(s.attr & ar::P)) c.raise(kNP, sel & 0xfffc);
  s.base = system_descriptor_base(c, sel, s);
  // Mark the descriptor busy (type bit 1).
  u64 base = c.gdtr.base + (sel & ~7u);
  c.write_sys<u64>(base, d | (u64(2) << 40));
  s.attr |= 2;
  c.tr = s;
}

void sldt(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86()) c.raise(kUD);
  check_umip(c);
  if (c.vmx_non_root()) vmx::descriptor_table(c, i, false, 0);
  if (i.op[0].kind == OpKind::Mem)
    c.write_op<2>(i, 0, c.ldtr.selector);
  else
    c.gpr[i.op[0].reg] = c.ldtr.selector;  // register forms zero-extend
}

void str(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86()) c.raise(kUD);
  check_umip(c);
  if (c.vmx_non_root()) vmx::descriptor_table(c, i, false, 1);
  if (i.op[0].kind == OpKind::Mem)
    c.write_op<2>(i, 0, c.tr.selector);
  else
    c.gpr[i.op[0].reg] = c.tr.selector;
}

void smsw(Cpu& c, const Insn& i) {
  check_umip(c);
  // In VMX non-root operation the bits the host owns read from the shadow (SDM Vol. 3C §26.3).
  const u64 cr0v = c.vmx_non_root() ? vmx::mov_from_cr(c, i, 0) : c.cr0;
  if (i.op[0].kind == OpKind::Mem)
    c.write_op<2>(i, 0, u16(cr0v));
  else if (i.op[0].size == 2)
    c.write_reg<2>(i.op[0], u16(cr0v));
  else
    c.gpr[i.op[0].reg] = i.op[0].size == 4 ? u32(cr0v) : cr0v;
}

// LMSW loads PE MP EM TS; it can set PE but never clear it.
void lmsw(Cpu& c, const Insn& i) {
  c.require_cpl0();
  u16 v = c.read_op<2>(i, 0);
  u64 n = (c.cr0 & ~u64(0xe)) | (v & 0xf) | (c.cr0 & cr0::PE);
  if (c.vmx_non_root()) n = vmx::lmsw(c, i, n);
  c.write_cr(0, n);
  c.end_block();
}

void clts(Cpu& c, const Insn& i) {
  c.require_cpl0();
  if (c.vmx_non_root() && !vmx::clts(c, i)) return;
  c.cr0 &= ~cr0::TS;
  c.end_block();  // x87/SSE instructions look at CR0.TS
}

// INVLPG m: the operand is an address, never accessed (SDM Vol. 2 INVLPG).
void invlpg(Cpu& c, const Insn& i) {
  c.require_cpl0();
  u64 ea = c.effective_address(i);
  u64 lin = c.long64() ? (i.mem.seg >= FS ? ea + c.seg[i.mem.seg].base : ea) : u32(c.seg[i.mem.seg].base + ea);
  if (c.vmx_non_root()) vmx::invlpg(c, i, lin);
  c.invalidate_page(lin);
}

void hlt(Cpu& c, const Insn& i) {
  c.require_cpl0();
  if (c.vmx_non_root()) vmx::exit_if(c, i, vmx::proc::kHltExiting, ExitReason::HLT);
  c.halt();
}

// IN/OUT: port from imm8 or DX; size from the accumulator operand.
u16 io_port(Cpu& c, const Insn& i, int port_op) {
  return i.op[port_op].kind == OpKind::Imm ? u16(i.imm & 0xff) : u16(c.gpr[RDX]);
}

template <unsigned S>
void in(Cpu& c, const Insn& i) {
  u16 port = io_port(c, i, 1);
  if (!c.io_allowed(port, S)) c.raise(kGP, 0);
  if (c.vmx_non_root()) vmx::io(c, i, port, S, true, false);
  c.sync_time();
  u32 v = c.ports().read(port, S);
  c.write_gpr<S>(RAX, uint_t<S>(v));
}

template <unsigned S>
void out(Cpu& c, const Insn& i) {
  u16 port = io_port(c, i, 0);
  if (!c.io_allowed(port, S)) c.raise(kGP, 0);
  if (c.vmx_non_root()) vmx::io(c, i, port, S, false, false);
  c.sync_time();
  c.ports().write(port, S, u32(uint_t<S>(c.gpr[RAX])));
}

// RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (SDM Vol. 2): 64-bit mode with
// CR4.FSGSBASE=1 only (#UD otherwise); a 32-bit operand is zero-extended;
// a non-canonical base is #GP(0).
template <unsigned SEG, bool WRITE>
void fsgsbase(Cpu& c, const Insn& i) {
  if (!c.long64() || !(c.cr4 & cr4::FSGSBASE)) c.raise(kUD);
  const unsigned r = i.op[0].reg;
  if constexpr (WRITE) {
    const u64 v = i.op[0].size == 8 ? c.gpr[r] : u32(c.gpr[r]);
    if (!Cpu::is_canonical(v)) c.raise(kGP, 0);
    c.seg[SEG].base = v;
  } else {
    c.gpr[r] = i.op[0].size == 8 ? c.seg[SEG].base : u32(c.seg[SEG].base);
  }
}

void swapgs(Cpu& c, const Insn&) {
  if (!c.long64()) c.raise(kUD);
  c.require_cpl0();
  std::swap(c.seg[GS].base, c.msr.kernel_gs_base);
}

// SYSCALL/SYSRET (SDM Vol. 2): flat segments from IA32_STAR, no descriptor
// reads. Intel's SYSCALL exists only in 64-bit mode (#UD in compatibility
// mode, where AMD enters through IA32_CSTAR: docs/vendor-differences.md).
void syscall(Cpu& c, const Insn&) {
  if (!(c.efer & efer::SCE) || !(c.efer & efer::LMA) || !c.long64()) c.raise(kUD);
  u16 sel = u16(c.msr.star >> 32) & 0xfffc;
  c.gpr[RCX] = c.next_rip;
  c.gpr[R11] = c.flags.get() & ~fl::RF;
  c.flags.set(c.flags.get() & ~(c.msr.sfmask | fl::RF));
  c.next_rip = c.msr.lstar;
  c.seg[CS] = Segment{sel, 0, 0xffffffff,
                      ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::L | ar::G};
  c.seg[SS] =
      Segment{u16(sel + 8), 0, 0xffffffff, ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G};
  c.set_cpl(0);
  c.mode_changed();
}

void sysret(Cpu& c, const Insn& i) {
  if (!(c.efer & efer::SCE) || !(c.efer & efer::LMA) || !c.long64()) c.raise(kUD);
  c.require_cpl0();
  u16 base = u16(c.msr.star >> 48);
  bool to64 = i.opsize == 8;
  if (to64 && !Cpu::is_canonical(c.gpr[RCX])) c.raise(kGP, 0);
  u16 cs_sel = u16((to64 ? base + 16 : base) | 3);
  u32 cs_attr = ar::P | ar::S | (3 << ar::kDplShift) | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::G |
                (to64 ? ar::L : ar::DB);
  c.seg[CS] = Segment{cs_sel, 0, 0xffffffff, cs_attr};
  c.seg[SS].selector = u16((base + 8) | 3);
  c.seg[SS].attr = ar::P | ar::S | (3 << ar::kDplShift) | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
  c.seg[SS].base = 0;
  c.seg[SS].limit = 0xffffffff;
  c.flags.set((c.gpr[R11] & 0x3c7fd7) | fl::kFixed1);
  c.next_rip = to64 ? c.gpr[RCX] : u32(c.gpr[RCX]);
  c.set_cpl(3);
  c.mode_changed();
}

// SYSENTER/SYSEXIT (SDM Vol. 2): flat segments derived from
// IA32_SYSENTER_CS, no descriptor reads. In IA-32e mode SYSENTER enters
// 64-bit code; SYSEXIT with REX.W returns to 64-bit code.
Segment flat_code(u16 sel, unsigned dpl, bool long_mode) {
  return Segment{sel, 0, 0xffffffff,
                 ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::G |
                     (dpl << ar::kDplShift) | (long_mode ? ar::L : ar::DB)};
}
Segment flat_stack(u16 sel, unsigned dpl) {
  return Segment{sel, 0, 0xffffffff,
                 ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G | (dpl << ar::kDplShift)};
}

void sysenter(Cpu& c, const Insn&) {
  const u16 cs = u16(c.msr.sysenter_cs);
  if (!c.protected_mode() || (cs & 0xfffc) == 0) c.raise(kGP, 0);
  const bool ia32e = c.efer & efer::LMA;
  c.flags.set(c.flags.get() & ~(fl::VM | fl::IF | fl::RF));
  c.seg[CS] = flat_code(cs & 0xfffc, 0, ia32e);
  c.seg[SS] = flat_stack(u16((cs & 0xfffc) + 8), 0);
  c.set_cpl(0);
  c.gpr[RSP] = ia32e ? c.msr.sysenter_esp : u32(c.msr.sysenter_esp);
  c.next_rip = ia32e ? c.msr.sysenter_eip : u32(c.msr.sysenter_eip);
  c.mode_changed();
}

void sysexit(Cpu& c, const Insn& i) {
  const u16 cs = u16(c.msr.sysenter_cs);
  if (!c.protected_mode() || (cs & 0xfffc) == 0 || c.cpl != 0 || c.v86()) c.raise(kGP, 0);
  const bool to64 = i.opsize == 8;
  if (to64 && (!Cpu::is_canonical(c.gpr[RCX]) || !Cpu::is_canonical(c.gpr[RDX]))) c.raise(kGP, 0);
  const u16 sel = u16((cs + (to64 ? 32 : 16)) | 3);
  c.seg[CS] = flat_code(sel, 3, to64);
  c.seg[SS] = flat_stack(u16(sel + 8), 3);
  c.set_cpl(3);
  c.gpr[RSP] = to64 ? c.gpr[RCX] : u32(c.gpr[RCX]);
  c.next_rip = to64 ? c.gpr[RDX] : u32(c.gpr[RDX]);
  c.mode_changed();
}

void ud(Cpu& c, const Insn&) { c.raise(kUD); }

// RSM returns from system-management mode; vtlab has no SMM, and outside
// it RSM is #UD (SDM Vol. 2 RSM).
void rsm(Cpu& c, const Insn&) { c.raise(kUD); }

// RDPMC: this CPU model has no performance counters (CPUID.0AH reports
// none), so every counter index is invalid: #GP(0) (SDM Vol. 2 RDPMC), as
// is any use at CPL > 0 with CR4.PCE=0, which the SDM checks first.
void rdpmc(Cpu& c, const Insn& i) {
  // The CPL/CR4.PCE check comes before RDPMC exiting (SDM Vol. 3C §26.1.1).
  if (c.cpl > 0 && !(c.cr4 & cr4::PCE) && c.protected_mode()) c.raise(kGP, 0);
  if (c.vmx_non_root()) vmx::exit_if(c, i, vmx::proc::kRdpmcExiting, ExitReason::RDPMC);
  c.raise(kGP, 0);
}

// MONITOR/MWAIT run at CPL 0 only, and only while IA32_MISC_ENABLE[18]
// enables them; with it clear CPUID.01H:ECX.MONITOR = 0 and both are #UD
// (SDM Vol. 2 MONITOR, MWAIT; Vol. 4 IA32_MISC_ENABLE). The state and the
// wait are in cpu/monitor_wait.cpp.
void require_monitor_mwait(Cpu& c) {
  if (c.cpl != 0 || !(c.msr.misc_enable & misc_enable::kMonitorEnable)) c.raise(kUD);
}

// RCX in 64-bit mode, ECX elsewhere: the extensions / hints registers.
u64 ecx_or_rcx(const Cpu& c) { return c.long64() ? c.gpr[RCX] : u32(c.gpr[RCX]); }

// MONITOR: the address is DS:rAX (a segment override applies), sized by the
// address size; ECX holds extensions, none defined (#GP(0) if not 0); EDX
// hints are ignored.
void monitor(Cpu& c, const Insn& i) {
  require_monitor_mwait(c);
  if (c.vmx_non_root()) vmx::exit_if(c, i, vmx::proc::kMonitorExiting, ExitReason::MONITOR);
  if (ecx_or_rcx(c) != 0) c.raise(kGP, 0);
  c.monitor(c.linear(i.mem.seg, c.gpr[RAX] & asize_mask(i), 1, Access::Read));
}

// MWAIT: EAX hints (a target C-state) are accepted and all wait the same
// way; ECX[0] makes masked interrupts break events (CPUID.05H:ECX[1]), the
// other ECX bits are reserved (#GP(0)).
void mwait(Cpu& c, const Insn& i) {
  require_monitor_mwait(c);
  if (c.vmx_non_root()) vmx::exit_if(c, i, vmx::proc::kMwaitExiting, ExitReason::MWAIT);
  const u64 extensions = ecx_or_rcx(c);
  if (extensions > 1) c.raise(kGP, 0);
  c.mwait(extensions);
}

// Cache hints and fences: architecturally invisible in a model without
// caches. CLFLUSH, CLFLUSHOPT and CLWB still check their operand as a byte
// load does (segment limit, canonical form, page rights: #GP, #SS, #PF),
// except that an execute-only code segment is allowed (SDM Vol. 2
// CLFLUSH); nothing is read.
void clflush(Cpu& c, const Insn& i) { c.probe_read(c.mem_linear(i, 1, Access::Exec)); }

// INVD and WBINVD: CPL 0 only (#GP(0), also in virtual-8086 mode); there is
// no cache to write back or to lose (SDM Vol. 2 INVD, WBINVD).
void invd_wbinvd(Cpu& c, const Insn& i) {
  c.require_cpl0();
  if (!c.vmx_non_root()) return;
  // INVD exits always (SDM Vol. 3C §26.1.2), WBINVD with "WBINVD exiting".
  if (i.mnemonic == ZYDIS_MNEMONIC_INVD) vmx::exit_always(c, i, ExitReason::INVD);
  vmx::exit_if2(c, i, vmx::proc2::kWbinvdExiting, ExitReason::WBINVD);
}
void nothing(Cpu&, const Insn&) {}

constexpr u8 kEnds = attr::kEndsBlock;

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_CPUID, VTLAB_ONE(cpuid)},
    {ZYDIS_MNEMONIC_RDTSC, VTLAB_ONE(rdtsc)},
    {ZYDIS_MNEMONIC_RDTSCP, VTLAB_ONE(rdtscp)},
    {ZYDIS_MNEMONIC_RDMSR, VTLAB_ONE(rdmsr)},
    {ZYDIS_MNEMONIC_WRMSR, VTLAB_ONE(wrmsr), kEnds},
    {ZYDIS_MNEMONIC_LGDT, VTLAB_ONE(lgdt), kEnds},
    {ZYDIS_MNEMONIC_LIDT, VTLAB_ONE(lidt), kEnds},
    {ZYDIS_MNEMONIC_SGDT, VTLAB_ONE(sgdt)},
    {ZYDIS_MNEMONIC_SIDT, VTLAB_ONE(sidt)},
    {ZYDIS_MNEMONIC_LLDT, VTLAB_ONE(lldt), kEnds},
    {ZYDIS_MNEMONIC_LTR, VTLAB_ONE(ltr), kEnds},
    {ZYDIS_MNEMONIC_SLDT, VTLAB_ONE(sldt)},
    {ZYDIS_MNEMONIC_STR, VTLAB_ONE(str)},
    {ZYDIS_MNEMONIC_SMSW, VTLAB_ONE(smsw)},
    {ZYDIS_MNEMONIC_LMSW, VTLAB_ONE(lmsw), kEnds},
    {ZYDIS_MNEMONIC_CLTS, VTLAB_ONE(clts)},
    {ZYDIS_MNEMONIC_INVLPG, VTLAB_ONE(invlpg), kEnds},
    {ZYDIS_MNEMONIC_WBINVD, VTLAB_ONE(invd_wbinvd)},
    {ZYDIS_MNEMONIC_INVD, VTLAB_ONE(invd_wbinvd)},
    {ZYDIS_MNEMONIC_HLT, VTLAB_ONE(hlt), kEnds},
    {ZYDIS_MNEMONIC_IN, VTLAB_SIZED(in), kEnds, SizeFrom::Op0},
    {ZYDIS_MNEMONIC_OUT, VTLAB_SIZED(out), kEnds, SizeFrom::Op1},
    {ZYDIS_MNEMONIC_SWAPGS, VTLAB_ONE(swapgs)},
    {ZYDIS_MNEMONIC_SYSCALL, VTLAB_ONE(syscall), kEnds},
    {ZYDIS_MNEMONIC_SYSRET, VTLAB_ONE(sysret), kEnds},
    {ZYDIS_MNEMONIC_SYSENTER, VTLAB_ONE(sysenter), kEnds},
    {ZYDIS_MNEMONIC_SYSEXIT, VTLAB_ONE(sysexit), kEnds},
    {ZYDIS_MNEMONIC_RDFSBASE, VTLAB_ONE((fsgsbase<FS, false>))},
    {ZYDIS_MNEMONIC_RDGSBASE, VTLAB_ONE((fsgsbase<GS, false>))},
    {ZYDIS_MNEMONIC_WRFSBASE, VTLAB_ONE((fsgsbase<FS, true>))},
    {ZYDIS_MNEMONIC_WRGSBASE, VTLAB_ONE((fsgsbase<GS, true>))},
    {ZYDIS_MNEMONIC_RDPID, VTLAB_ONE(rdpid)},
    {ZYDIS_MNEMONIC_RDRAND, VTLAB_SIZED_WDQ(rdrand)},
    {ZYDIS_MNEMONIC_RDSEED, VTLAB_SIZED_WDQ(rdrand)},
    {ZYDIS_MNEMONIC_CLFLUSHOPT, VTLAB_ONE(clflush)},
    {ZYDIS_MNEMONIC_CLWB, VTLAB_ONE(clflush)},
    {ZYDIS_MNEMONIC_RSM, VTLAB_ONE(rsm), kEnds},
    {ZYDIS_MNEMONIC_RDPMC, VTLAB_ONE(rdpmc), kEnds},
    {ZYDIS_MNEMONIC_MONITOR, VTLAB_ONE(monitor)},
    {ZYDIS_MNEMONIC_MWAIT, VTLAB_ONE(mwait), kEnds},
    {ZYDIS_MNEMONIC_UD0, VTLAB_ONE(ud), kEnds},
    {ZYDIS_MNEMONIC_UD1, VTLAB_ONE(ud), kEnds},
    {ZYDIS_MNEMONIC_UD2, VTLAB_ONE(ud), kEnds},
    {ZYDIS_MNEMONIC_CLFLUSH, VTLAB_ONE(clflush)},
    {ZYDIS_MNEMONIC_LFENCE, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_MFENCE, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_SFENCE, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_PREFETCHNTA, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_PREFETCHT0, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_PREFETCHT1, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_PREFETCHT2, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_PREFETCH, VTLAB_ONE(nothing)},  // 0F 0D: never faults, never accesses memory
    {ZYDIS_MNEMONIC_PREFETCHW, VTLAB_ONE(nothing)},
    {ZYDIS_MNEMONIC_PREFETCHWT1, VTLAB_ONE(nothing)},
};

}  // namespace

std::span<const InsnRow> system_rows() { return kRows; }

}  // namespace vtlab

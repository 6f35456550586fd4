// Rigs for the protection tests: 32-bit protected mode on a flat GDT (with
// free slots for the descriptors a test needs), a 32-bit TSS and IDT, and
// guest code assembled by gas from snippets.S (each snippet is a symbol
// pair NAME / NAME_end; position-independent, so it runs wherever a test
// copies it). Descriptor encodings: SDM Vol. 3A §3.4.5, gates §6.11, §5.8.3,
// TSS §7.2.1.
#pragma once
#include <doctest/doctest.h>

#include "tests/support/cpu_rig.h"

#define SNIPPET(name) extern "C" const vtlab::u8 name[], name##_end[]

namespace prot_test {

using namespace vtlab;
using namespace vtlab::testing;

// A system descriptor or gate (legacy 8-byte form).
inline u64 gate_desc(u16 sel, u32 offset, u32 type, u32 dpl, u32 param_count = 0) {
  return u64(offset & 0xffff) | u64(sel) << 16 | u64(param_count & 0x1f) << 32 | u64(type | 0x80 | dpl << 5) << 40 |
         u64(offset >> 16) << 48;
}

// Flat 32-bit protected mode at CPL 0. GDT: 0x08 code32, 0x10 data32,
// 0x1b user code32, 0x23 user data32, 0x28 TSS (32-bit, available), 0x30..
// free for tests. IDT with 32-bit gates at kIdt; paging off.
struct Prot32Rig : CpuRig {
  static constexpr u64 kGdt = 0x5000, kIdt = 0x6000, kTss = 0x7000;
  static constexpr u64 kCode = 0x10000, kKernelStack = 0x90000, kUserStack = 0x80000;
  static constexpr u16 kTssSel = 0x28;
  // The TSS: 104 bytes, the VME interrupt redirection bitmap (32 bytes,
  // right below the I/O map), the I/O permission bitmap (8 KiB + a byte of
  // ones). All bits clear: every port allowed, every INT n redirected.
  static constexpr u32 kIoMap = 0x88, kRedirMap = kIoMap - 32;
  Prot32Rig() {
    put64(kGdt + 0x08, seg_desc(0, 0xfffff, kCodeAccess, kFlagG | kFlagDB));
    put64(kGdt + 0x10, seg_desc(0, 0xfffff, kDataAccess, kFlagG | kFlagDB));
    put64(kGdt + 0x18, seg_desc(0, 0xfffff, kUserCodeAccess, kFlagG | kFlagDB));
    put64(kGdt + 0x20, seg_desc(0, 0xfffff, kUserDataAccess, kFlagG | kFlagDB));
    put64(kGdt + 0x28, seg_desc(u32(kTss), kIoMap + 0x2000, 0x89, 0));
    put32(kTss + 4, u32(kKernelStack));  // ESP0
    put32(kTss + 8, 0x10);               // SS0
    put32(kTss + 0x64, kIoMap << 16);    // I/O map base (offset 0x66); T = 0
    mem.write(kTss + kIoMap + 0x2000, 1, 0xff);
    cpu.gdtr = TableReg{kGdt, 0x3ff};
    cpu.idtr = TableReg{kIdt, 0x7ff};
    cpu.cr0 = cr0::PE | cr0::ET;
    for (unsigned s = 0; s < kNumSegs; ++s) cpu.seg[s] = Cpu::segment_from_descriptor(0x10, mem.read(kGdt + 0x10, 8));
    cpu.seg[CS] = Cpu::segment_from_descriptor(0x08, mem.read(kGdt + 0x08, 8));
    cpu.tr = Cpu::segment_from_descriptor(kTssSel, mem.read(kGdt + kTssSel, 8) | u64(2) << 40);
    put64(kGdt + kTssSel, mem.read(kGdt + kTssSel, 8) | u64(2) << 40);  // busy
    cpu.ldtr.attr = ar::Unusable;
    cpu.gpr[RSP] = kKernelStack;
    cpu.mode_changed();
    cpu.paging_changed();
  }
  void put32(u64 pa, u32 v) { mem.write(pa, 4, v); }
  void desc(u16 sel, u64 d) { put64(kGdt + (sel & ~7u), d); }
  // 32-bit interrupt (type 0xE) or trap (0xF) gate.
  void gate(unsigned vector, u32 handler, unsigned dpl = 0, unsigned type = 0xe, u16 sel = 0x08) {
    put64(kIdt + vector * 8, gate_desc(sel, handler, type, dpl));
  }
  void load(u64 pa, const u8* b, const u8* e) { mem.write_block(pa, b, size_t(e - b)); }
  // CPL 3 on the flat user segments.
  void enter_user(u32 eip, u32 esp) {
    cpu.seg[CS] = Cpu::segment_from_descriptor(0x1b, mem.read(kGdt + 0x18, 8));
    for (unsigned s : {SS, DS, ES, FS, GS}) cpu.seg[s] = Cpu::segment_from_descriptor(0x23, mem.read(kGdt + 0x20, 8));
    cpu.set_cpl(3);
    cpu.rip = eip;
    cpu.gpr[RSP] = esp;
    cpu.mode_changed();
  }
  // Runs from `eip` until an exception stops it (exceptions intercepted).
  const GuestFault* run_to_exception(u64 max = 200) {
    cpu.set_intercept_exceptions(true);
    StopCause s = cpu.run(cpu.icount() + max);
    return s == StopCause::Exception ? &cpu.intercepted_exception() : nullptr;
  }
};

// Runs until an exception is intercepted; returns its vector (-1: none).
inline int run_to_exception(CpuRig& r, u64 max = 200) {
  r.cpu.set_intercept_exceptions(true);
  StopCause s = r.cpu.run(r.cpu.icount() + max);
  return s == StopCause::Exception ? r.cpu.intercepted_exception().vector : -1;
}

}  // namespace prot_test

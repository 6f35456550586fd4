// A bare CPU on 16 MiB of RAM with no devices, and a 64-bit variant with a
// GDT, TSS, IDT and identity-mapped 4 KiB pages, for tests that build
// machine states by hand (descriptor encodings: SDM Vol. 3A §3.4.5, §7.2.2
// TSS, §6.14.1 64-bit gates).
#pragma once
#include <initializer_list>
#include <vector>

#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "cpu/cpu.h"
#include "mmu/phys_mem.h"

namespace vtlab::testing {

inline u64 seg_desc(u32 base, u32 limit, u32 access, u32 flags) {
  return u64(limit & 0xffff) | u64(base & 0xffffff) << 16 | u64(access & 0xff) << 40 |
         u64((limit >> 16) & 0xf) << 48 | u64(flags & 0xf) << 52 | u64(base >> 24) << 56;
}
inline constexpr u32 kCodeAccess = 0x9a, kDataAccess = 0x92, kUserCodeAccess = 0xfa, kUserDataAccess = 0xf2;
inline constexpr u32 kFlagG = 8, kFlagDB = 4, kFlagL = 2;

struct CpuRig {
  Scheduler sched;
  PortBus ports;
  PhysMem mem{16u << 20};
  Cpu cpu{mem, ports, sched};

  void put(u64 pa, std::initializer_list<u8> bytes) {
    std::vector<u8> v(bytes);
    mem.write_block(pa, v.data(), v.size());
  }
  void put64(u64 pa, u64 v) { mem.write(pa, 8, v); }
  u64 get(u64 pa, unsigned size) { return mem.read(pa, size); }
  StopCause step(u64 ticks) { return cpu.run(cpu.icount() + ticks); }
};

// 64-bit mode at CPL 0: GDT 0x08 code64, 0x10 data, 0x1b user code32, 0x23
// user data, 0x2b user code64, 0x30 TSS; the first 2 MiB identity-mapped
// with user-accessible 4 KiB pages (kPt holds the PTEs).
struct LongModeRig : CpuRig {
  static constexpr u64 kGdt = 0x5000, kIdt = 0x6000, kTss = 0x7000, kPml4 = 0x10000, kPt = kPml4 + 0x3000;
  static constexpr u64 kKernelStack = 0x90000, kIstStack = 0xa0000;
  LongModeRig() {
    put64(kGdt + 0x08, seg_desc(0, 0xfffff, kCodeAccess, kFlagG | kFlagL));
    put64(kGdt + 0x10, seg_desc(0, 0xfffff, kDataAccess, kFlagG | kFlagDB));
    put64(kGdt + 0x18, seg_desc(0, 0xfffff, kUserCodeAccess, kFlagG | kFlagDB));
    put64(kGdt + 0x20, seg_desc(0, 0xfffff, kUserDataAccess, kFlagG | kFlagDB));
    put64(kGdt + 0x28, seg_desc(0, 0xfffff, kUserCodeAccess, kFlagG | kFlagL));
    put64(kGdt + 0x30, seg_desc(u32(kTss), 0x67, 0x89, 0));
    put64(kGdt + 0x38, 0);
    put64(kTss + 4, kKernelStack);  // RSP0
    put64(kTss + 36, kIstStack);    // IST1
    put64(kPml4, (kPml4 + 0x1000) | 7);
    put64(kPml4 + 0x1000, (kPml4 + 0x2000) | 7);
    put64(kPml4 + 0x2000, kPt | 7);
    for (u64 p = 0; p < 512; ++p) put64(kPt + p * 8, (p << 12) | 7);
    cpu.gdtr = TableReg{kGdt, 0x3f};
    cpu.idtr = TableReg{kIdt, 0xfff};
    cpu.cr3 = kPml4;
    cpu.cr4 = cr4::PAE;
    cpu.efer = efer::LME | efer::LMA | efer::NXE;
    cpu.cr0 = cr0::PE | cr0::PG | cr0::ET | cr0::WP;
    cpu.seg[CS] = Cpu::segment_from_descriptor(0x08, mem.read(kGdt + 0x08, 8));
    cpu.seg[SS] = Cpu::segment_from_descriptor(0x10, mem.read(kGdt + 0x10, 8));
    cpu.tr = Cpu::segment_from_descriptor(0x30, mem.read(kGdt + 0x30, 8));
    cpu.gpr[RSP] = kKernelStack;
    cpu.mode_changed();
    cpu.paging_changed();
  }
  // 64-bit interrupt gate (type 0xE) for `vector` to `handler`.
  void gate(unsigned vector, u64 handler, unsigned dpl = 0, unsigned ist = 0) {
    u64 lo = (handler & 0xffff) | u64(0x08) << 16 | u64(ist) << 32 | u64(0x8e | dpl << 5) << 40 |
             ((handler >> 16) & 0xffff) << 48;
    put64(kIdt + vector * 16, lo);
    put64(kIdt + vector * 16 + 8, handler >> 32);
  }
  // 64-bit (cs 0x2b) or compatibility-mode (cs 0x1b) user code at CPL 3,
  // IF set.
  void enter_user(u64 rip, u64 rsp, unsigned cs = 0x2b) {
    cpu.seg[CS] = Cpu::segment_from_descriptor(u16(cs), mem.read(kGdt + (cs & ~7u), 8));
    cpu.seg[CS].selector = u16(cs);
    cpu.seg[SS] = Cpu::segment_from_descriptor(0x23, mem.read(kGdt + 0x20, 8));
    cpu.seg[SS].selector = 0x23;
    cpu.set_cpl(3);
    cpu.rip = rip;
    cpu.gpr[RSP] = rsp;
    cpu.flags.set(fl::IF | fl::kFixed1);
    cpu.mode_changed();
  }
  // The PTE of the 4 KiB page at `lin` (< 2 MiB).
  void set_pte(u64 lin, u64 pte) {
    put64(kPt + (lin >> 12) * 8, pte);
    cpu.invalidate_page(lin);
  }
};

}  // namespace vtlab::testing

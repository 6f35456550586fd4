#include "tests/insn_interp/user_mode_harness.h"

#include <cstring>

#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "cpu/cpu.h"
#include "cpu/fpu_state.h"
#include "mmu/phys_mem.h"

namespace vtlab::testing {
namespace {

// Guest-physical layout of the harness (linear windows map onto these).
constexpr u64 kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000;
constexpr u64 kCodePt = 0x4000, kDataPt = 0x5000, kStackPt = 0x6000;
constexpr u64 kCodePa = 0x100000, kDataPa = 0x200000, kStackPa = 0x300000;
constexpr u64 kP = 1, kW = 2, kU = 4, kNx = u64(1) << 63;

void put64(PhysMem& m, u64 pa, u64 v) { m.write(pa, 8, v); }

// Maps [lin, lin+size) to [pa, ...) with 4 KiB pages through page table `pt`.
void map_window(PhysMem& m, u64 lin, u64 size, u64 pa, u64 pt, u64 flags) {
  put64(m, kPd + ((lin >> 21) & 0x1ff) * 8, pt | kP | kW | kU);
  for (u64 off = 0; off < size; off += 0x1000) put64(m, pt + (((lin + off) >> 12) & 0x1ff) * 8, (pa + off) | flags);
}

}  // namespace

insn::Outcome run_interp(const insn::Case& c) {
  Scheduler sched;
  PortBus ports;
  PhysMem mem(4u << 20);
  Cpu cpu(mem, ports, sched);

  put64(mem, kPml4, kPdpt | kP | kW | kU);
  put64(mem, kPdpt, kPd | kP | kW | kU);
  map_window(mem, insn::kCodeBase, insn::kCodeSize, kCodePa, kCodePt, kP | kU);
  map_window(mem, insn::kDataBase, insn::kDataSize, kDataPa, kDataPt, kP | kW | kU | kNx);
  map_window(mem, insn::kStackBase, insn::kStackSize, kStackPa, kStackPt, kP | kW | kU | kNx);

  mem.write_block(kCodePa, c.bytes.data(), c.bytes.size());
  std::vector<u8> data0 = insn::initial_window(c, insn::kDataBase);
  std::vector<u8> stack0 = insn::initial_window(c, insn::kStackBase);
  mem.write_block(kDataPa, data0.data(), data0.size());
  mem.write_block(kStackPa, stack0.data(), stack0.size());

  // 64-bit user mode, flat segments (the state Linux gives a process).
  cpu.cr0 = cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::PG;
  cpu.cr4 = cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT | cr4::OSXSAVE;
  cpu.xcr0 = 3;  // x87 | SSE enabled for XSAVE, as Linux does
  cpu.efer = efer::LME | efer::LMA | efer::NXE | efer::SCE;
  cpu.cr3 = kPml4;
  const u32 user = 3u << ar::kDplShift;
  const u32 data_attr = ar::P | ar::S | user | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
  // Linux's selectors for a 64-bit process: CS 0x33, SS 0x2b, null DS/ES/FS/GS
  // (MOV r, Sreg and PUSH FS/GS cases read them).
  for (unsigned s = 0; s < kNumSegs; ++s) cpu.seg[s] = Segment{0, 0, 0, ar::Unusable};
  cpu.seg[SS] = Segment{0x2b, 0, 0xffffffff, data_attr};
  cpu.seg[CS] = Segment{0x33, 0, 0xffffffff, ar::P | ar::S | user | ar::kTypeCode | ar::kTypeReadable | ar::L | ar::G};
  cpu.cpl = 3;
  for (int r = 0; r < 16; ++r) cpu.gpr[r] = c.init.gpr[r];
  cpu.rip = c.init.rip;
  cpu.flags.set(c.init.rflags | insn::kFixedFlags);
  cpu.mode_changed();
  cpu.paging_changed();
  // x87 and SSE state as the native runner loads it (FXRSTOR64 of the same image).
  u8 fx[kLegacyRegionSize];
  insn::fxsave_image(c.init, fx);
  load_x87_legacy(cpu, fx, true);
  std::memcpy(cpu.xmm, c.init.xmm, sizeof c.init.xmm);
  cpu.mxcsr = c.init.mxcsr;
  cpu.set_intercept_exceptions(true);

  // One instruction at a time: a REP string instruction takes a tick per
  // iteration and stops between iterations (mid_instruction) until done.
  StopCause stop = StopCause::InsnLimit;
  for (int n = 0; n < c.insn_count && stop == StopCause::InsnLimit; ++n)
    do stop = cpu.run(cpu.icount() + 1);
    while (stop == StopCause::InsnLimit && cpu.mid_instruction());

  insn::Outcome out;
  for (int r = 0; r < 16; ++r) out.state.gpr[r] = cpu.gpr[r];
  out.state.rip = cpu.rip;
  out.state.rflags = cpu.rflags();
  insn::fxsave_image(c.init, fx);
  save_x87_legacy(cpu, fx, true);
  std::memcpy(fx + 160, cpu.xmm, sizeof cpu.xmm);
  std::memcpy(fx + 24, &cpu.mxcsr, 4);
  insn::state_from_fxsave(fx, out.state);
  if (stop == StopCause::Exception) {
    const GuestFault& f = cpu.intercepted_exception();
    insn::Exception e;
    e.vector = f.vector;
    e.error_code = f.has_error ? f.error : 0;
    e.rip = cpu.rip;
    e.cr2 = f.vector == kPF ? f.fault_address : 0;
    out.exception = e;
  }
  std::vector<u8> data1(data0.size()), stack1(stack0.size());
  mem.read_block(kDataPa, data1.data(), data1.size());
  mem.read_block(kStackPa, stack1.data(), stack1.size());
  insn::append_memory_changes(insn::kDataBase, data0, data1, out.mem_changes);
  insn::append_memory_changes(insn::kStackBase, stack0, stack1, out.mem_changes);
  return out;
}

}  // namespace vtlab::testing

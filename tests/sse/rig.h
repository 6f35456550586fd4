// A tiny machine for SSE instruction tests: one Cpu in 64-bit mode at
// CPL 3 with the fixed user layout of tests/insn/case.h (code page, data
// and stack windows), so the same insn::Case runs natively
// (insn::run_native) and here, and the two insn::Outcome values compare.
// Every exception vector is delivered to a CPL-0 handler that halts; the
// outcome then reports the vector, error code and faulting RIP.
#pragma once
#include <memory>

#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "cpu/cpu.h"
#include "mmu/phys_mem.h"
#include "tests/insn/case.h"

namespace sse_test {

struct RigControl {
  // Applied to the fixed CR0/CR4 values after the setup (defaults: none).
  vtlab::u64 cr0_set = 0, cr0_clear = 0, cr4_set = 0, cr4_clear = 0;
  bool compat32 = false;  // run the code in a 32-bit compatibility-mode segment
  vtlab::u64 xcr0 = 3;    // x87 | SSE, with CR4.OSXSAVE set: as Linux runs a process
};

class Rig {
 public:
  Rig();
  // Runs c (c.insn_count instructions or up to the first exception).
  insn::Outcome run(const insn::Case& c, const RigControl& ctl = {});
  vtlab::Cpu& cpu() { return *cpu_; }

 private:
  void build_tables();
  void load_state(const insn::Case& c, const RigControl& ctl);

  vtlab::PhysMem mem_;
  vtlab::PortBus ports_;
  vtlab::Scheduler sched_;
  std::unique_ptr<vtlab::Cpu> cpu_;
};

// Case with the given bytes and the default initial state.
insn::Case make_case(std::string name, std::vector<vtlab::u8> bytes);
void set_xmm(insn::State& s, int n, vtlab::u64 lo, vtlab::u64 hi);
vtlab::u64 xmm_lo(const insn::State& s, int n);
vtlab::u64 xmm_hi(const insn::State& s, int n);

}  // namespace sse_test

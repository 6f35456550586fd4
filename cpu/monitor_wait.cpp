// MONITOR/MWAIT and the wait states HLT and MWAIT share (SDM Vol. 2
// "MONITOR", "MWAIT", "HLT"; Vol. 3A §9.10.4 MONITOR/MWAIT).
//
// The monitor hardware: MONITOR arms it on one 64-byte line (CPUID.05H
// reports 64 as both the smallest and the largest line), and remembers the
// line's bytes. A store to the line triggers it. vtlab notices a store by
// the change it makes to the line: the bytes are compared whenever the
// waiting vCPU looks at its wake conditions, which catches stores from any
// agent (this vCPU, another vCPU through its own fast path, a device's
// DMA) without watching every write. A store that writes the value already
// there is not noticed; the software MONITOR/MWAIT is meant for waits for a
// flag to change, and MWAIT may end at any time anyway, so software always
// checks its condition again (docs/cpu-model.md).
#include <cstring>

#include "cpu/cpu.h"

namespace vtlab {

void Cpu::monitor(u64 lin) {
  // A byte load's permission checks and faults (SDM Vol. 2 MONITOR).
  const u64 pa = translate_or_fault(lin, Access::Read, user_access());
  const u64 line = pa & ~u64(kMonitorLine - 1);
  monitor_.armed = false;
  // Only write-back memory triggers the monitor reliably; on anything that
  // is not RAM it stays unarmed and MWAIT returns at once.
  const u8* host = mem_.ram_ptr(line);
  if (!host) return;
  std::memcpy(monitor_.line, host, kMonitorLine);
  monitor_.line_pa = line;
  monitor_.armed = true;
}

bool Cpu::monitor_triggered() const {
  const u8* host = mem_.ram_ptr(monitor_.line_pa);
  return !host || std::memcmp(host, monitor_.line, kMonitorLine) != 0;
}

void Cpu::mwait(u64 extensions) {
  // MWAIT leaves the monitor triggered (not armed) whatever happens: the
  // next wait needs a new MONITOR.
  const bool wait = monitor_.armed && !monitor_triggered();
  monitor_.armed = false;
  if (!wait) return;  // a store since MONITOR: MWAIT is a NOP
  monitor_.waiting = true;
  monitor_.break_on_interrupt = extensions & 1;
  halt();
}

bool Cpu::wait_ends_without_delivery() {
  if (!monitor_.waiting) return false;
  if (monitor_triggered()) return true;
  // ECX[0]=1: an interrupt ends the wait even with IF=0; it is delivered
  // later, when software sets IF (SDM Vol. 2 MWAIT, "interrupts as break
  // events").
  return monitor_.break_on_interrupt && !(flags.bits & fl::IF) && irq_source_ && irq_source_->has_interrupt();
}

bool Cpu::wait_can_end() const {
  // Whatever ends the wait comes from a scheduler event: a device raising
  // an interrupt, or (MWAIT) a device's DMA writing the monitored line. HLT
  // waits only if an interrupt can be delivered (IF=1); MWAIT whenever an
  // event is pending, as any event may store to the line.
  if (sched_.next_deadline() == Scheduler::kNever) return false;
  // In VMX non-root operation an event may end it as a VM exit whatever IF
  // says (an external interrupt, the VMX-preemption timer).
  return monitor_.waiting || vmx_non_root_ || ((flags.bits & fl::IF) && irq_source_);
}

void Cpu::wake() {
  halted = false;
  monitor_.waiting = false;
}

}  // namespace vtlab

// Runs the vCPUs of a machine on one host thread, round-robin in fixed
// quanta of virtual time, so a run with several vCPUs is as deterministic as
// a run with one (docs/smp.md).
//
// Virtual time is one clock for the machine (the Scheduler's, which every
// device uses). The vCPU that runs advances it: a quantum of Q ticks is Q
// ticks of that vCPU's instructions, deliveries and REP iterations, and the
// others stand still meanwhile; when it is another's turn, that one is
// first brought up to the present (the time counted as passed while it did
// not run, like halted time: Cpu::pass_time). So the TSCs agree, devices see
// one monotonic clock, and with N busy vCPUs each gets 1/N of virtual time.
//
// - Turns: vCPU 0, 1, ..., N-1, 0, ... A turn ends at the quantum's end
//   (absolute: a run stopped in mid-quantum by its limit resumes the same
//   vCPU, so slicing a run changes nothing), when the vCPU halts with
//   nothing to take, or waits for SIPI (also a VMX guest's shutdown and
//   wait-for-SIPI states, which halt it: cpu/vmx/activity_state.cpp). A
//   halted vCPU takes no time: its turn ends at once and the next one runs.
// - When every vCPU is halted or waiting for SIPI, time jumps to the next
//   scheduler event (which may wake one) as HLT does with one vCPU. If none
//   can be woken by an event (no event, or each halted one has RFLAGS.IF = 0
//   or waits for SIPI), the run ends: HaltedForever.
// - With one vCPU there are no quanta: it runs until the limit.
// - Interrupts and IPIs reach a vCPU's local APIC at once (its IRR changes
//   during the sending instruction); the vCPU takes them at its next
//   instruction boundary when it runs, which for another vCPU is the start
//   of its next turn.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/base/scheduler.h"
#include "core/base/serializer.h"
#include "core/machine/vcpu.h"

namespace vtlab {

class VcpuScheduler {
 public:
  static constexpr u64 kDefaultQuantum = 10'000;  // ticks: 10 virtual us at the default rate

  VcpuScheduler(std::vector<std::unique_ptr<Vcpu>>& vcpus, Scheduler& clock, u64 quantum);

  // Runs until virtual time reaches `until` or a vCPU stops for another
  // reason (its StopCause, and stopped_vcpu() says which). HaltedForever:
  // nothing can run any more (halted_detail() says why). Every vCPU is
  // brought up to the present before it returns.
  StopCause run(u64 until);
  u64 now() const { return now_; }
  unsigned stopped_vcpu() const { return current_; }
  // The vCPU executing (or that last executed) instructions.
  unsigned current() const { return current_; }
  const std::string& halted_detail() const { return halted_detail_; }
  u64 quantum() const { return quantum_; }

  // Virtual time that passes with no vCPU running (a machine reset).
  void pass_time(u64 ticks);
  // Power-on: time keeps counting; turns start again at vCPU 0.
  void reset();
  void serialize(Serializer& s);

 private:
  void catch_up(Vcpu& v);
  void catch_up_all();
  // Every vCPU idle: advance time to the next event (true), or false if
  // nothing can ever wake them (halted_detail_ set).
  bool idle_until(u64 until);
  void next_turn();

  std::vector<std::unique_ptr<Vcpu>>& vcpus_;
  Scheduler& clock_;
  u64 quantum_;
  u64 now_ = 0;
  unsigned current_ = 0;
  u64 turn_end_ = 0;
  unsigned idle_turns_ = 0;  // consecutive turns that ended at once (halted, wait-for-SIPI)
  std::string halted_detail_;
};

}  // namespace vtlab

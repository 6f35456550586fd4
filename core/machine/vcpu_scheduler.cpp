#include "core/machine/vcpu_scheduler.h"

#include <algorithm>

#include "cpu/vmx/vmx.h"

namespace vtlab {

VcpuScheduler::VcpuScheduler(std::vector<std::unique_ptr<Vcpu>>& vcpus, Scheduler& clock, u64 quantum)
    : vcpus_(vcpus), clock_(clock), quantum_(std::max<u64>(quantum, 1)) {
  reset();
}

void VcpuScheduler::reset() {
  current_ = 0;
  turn_end_ = vcpus_.size() == 1 ? Scheduler::kNever : now_ + quantum_;
  idle_turns_ = 0;
  halted_detail_.clear();
}

void VcpuScheduler::next_turn() {
  current_ = unsigned((current_ + 1) % vcpus_.size());
  turn_end_ = vcpus_.size() == 1 || now_ > Scheduler::kNever - quantum_ ? Scheduler::kNever : now_ + quantum_;
}

void VcpuScheduler::catch_up(Vcpu& v) {
  const u64 t = v.cpu().icount();
  if (t < now_) v.cpu().pass_time(now_ - t);
}

void VcpuScheduler::catch_up_all() {
  for (auto& v : vcpus_) catch_up(*v);
}

void VcpuScheduler::pass_time(u64 ticks) {
  now_ = ticks > Scheduler::kNever - now_ ? Scheduler::kNever : now_ + ticks;
  catch_up_all();
  clock_.advance_to(now_);
}

bool VcpuScheduler::idle_until(u64 until) {
  // Maskable interrupts from an event can wake a vCPU halted with IF = 1;
  // any event can end an MWAIT (a device's DMA may store to the monitored
  // line; with ECX[0] = 1 an interrupt ends it even with IF = 0). Nothing
  // from outside the vCPUs wakes one in HLT with IF = 0 or waiting for SIPI
  // (an NMI source would; the chipset has none). In VMX non-root operation
  // an event may end any wait with a VM exit (an external interrupt, the
  // VMX-preemption timer), whatever IF says.
  bool wakeable = false;
  for (const auto& v : vcpus_)
    if (!v->waiting_for_sipi() &&
        ((v->cpu().rflags() & fl::IF) || v->cpu().waiting_in_mwait() || v->cpu().vmx_non_root()))
      wakeable = true;
  const u64 next = clock_.next_deadline();
  if (!wakeable || next == Scheduler::kNever) {
    auto why = [&](const Vcpu& v) -> std::string {
      if (v.waiting_for_sipi()) return "waiting for SIPI";
      if (const char* parked = v.cpu().vmx().parked_state_name())
        return std::string("in the VMX guest activity state ") + parked;
      return std::string(v.cpu().waiting_in_mwait() ? "MWAIT" : "HLT") +
             ((v.cpu().rflags() & fl::IF) ? " with nothing to wake it" : " with interrupts disabled");
    };
    if (vcpus_.size() == 1) {
      halted_detail_ = why(*vcpus_[0]);
    } else {
      halted_detail_ = "every vCPU is halted:";
      for (const auto& v : vcpus_)
        halted_detail_ += (v->index() ? "; vCPU " : " vCPU ") + std::to_string(v->index()) + " " + why(*v);
    }
    return false;
  }
  // HLT advances virtual time to the next event; the vCPUs run its due
  // events when they look for interrupts.
  now_ = std::min(std::max(next, now_), until);
  clock_.advance_to(now_);
  return true;
}

StopCause VcpuScheduler::run(u64 until) {
  const size_t n = vcpus_.size();
  StopCause result = StopCause::InsnLimit;
  halted_detail_.clear();
  while (now_ < until) {
    if (turn_end_ <= now_) next_turn();
    if (idle_turns_ >= n) {
      if (!idle_until(until)) {
        result = StopCause::HaltedForever;
        break;
      }
      idle_turns_ = 0;
      continue;
    }
    Vcpu& v = *vcpus_[current_];
    if (v.waiting_for_sipi()) {
      ++idle_turns_;
      turn_end_ = now_;
      continue;
    }
    catch_up(v);
    const u64 start = now_;
    v.set_running(true);
    StopCause c = v.cpu().run(std::min(until, turn_end_));
    v.set_running(false);
    now_ = v.cpu().icount();
    if (now_ > start) idle_turns_ = 0;
    if (c == StopCause::Halted) {
      if (now_ == start) ++idle_turns_;
      turn_end_ = now_;  // a halted vCPU hands its turn on
      continue;
    }
    if (c == StopCause::InsnLimit) continue;
    // A stop request may have been this vCPU's own INIT (held until its
    // instruction retired); the machine treats a request it has no reason
    // for as nothing.
    if (c == StopCause::Requested && v.apply_pending_init()) turn_end_ = now_;
    result = c;
    break;
  }
  catch_up_all();
  clock_.advance_to(now_);
  return result;
}

void VcpuScheduler::serialize(Serializer& s) {
  s(now_);
  s(current_);
  s(turn_end_);
  s(idle_turns_);
  if (s.saving()) return;
  if (current_ >= vcpus_.size()) current_ = 0;
  if (idle_turns_ > vcpus_.size()) idle_turns_ = 0;
}

}  // namespace vtlab

// One vCPU: a Cpu and its local APIC, and the glue between them (the
// CPU's LocalApicHooks and InterruptSource; the APIC's LapicCore), with the
// multiprocessor start-up states the two together have (SDM Vol. 3A §9.4,
// §10.4.7.3):
//
// - After power-on the bootstrap processor (vCPU 0) runs the boot image;
//   application processors wait for a start-up IPI (wait-for-SIPI): they
//   do not run, take no interrupts and drop NMIs.
// - INIT (an IPI, or an LVT entry in INIT mode) resets an AP's CPU to its
//   INIT state (Cpu::init_signal) and its APIC (Lapic::init) and puts it in
//   wait-for-SIPI; a start-up IPI then starts it in real mode at
//   vector:0000 (later SIPIs are ignored until the next INIT). An INIT of
//   the bootstrap processor would restart the firmware, which vtlab does not
//   have: the machine treats it as a reset of the machine (on_bsp_init).
// - An INIT of the vCPU that is running now (its own IPI with a shorthand
//   that includes itself) is held until its instruction has retired
//   (init_pending), so no instruction is cut in half.
// - In VMX operation the CPU holds INIT (blocked in root operation, a VM
//   exit in non-root operation) and takes SIPIs only in a guest's
//   wait-for-SIPI state (cpu/vmx/activity_state.cpp); an INIT that VMXOFF
//   unblocks is performed like the vCPU's own, after that instruction.
#pragma once
#include <functional>
#include <memory>

#include "cpu/cpu.h"
#include "cpu/platform.h"
#include "devices/lapic/lapic.h"

namespace vtlab {

class Vcpu final : public LocalApicHooks, public InterruptSource, public LapicCore {
 public:
  // vCPU `index` of `count`; its initial APIC ID is its index.
  Vcpu(unsigned index, unsigned count, PhysMem& mem, PortBus& ports, Scheduler& sched, ApicBus& bus, u64 timer_hz);
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  unsigned index() const { return index_; }
  bool bootstrap() const { return index_ == 0; }
  Cpu& cpu() { return *cpu_; }
  const Cpu& cpu() const { return *cpu_; }
  Lapic& lapic() { return lapic_; }
  const Lapic& lapic() const { return lapic_; }

  // Power-on / RESET: CPU and APIC to their reset state; an AP waits for SIPI.
  void reset();
  bool waiting_for_sipi() const { return waiting_for_sipi_; }
  // The VcpuScheduler says which vCPU is executing (INIT to it is held).
  void set_running(bool on) { running_ = on; }
  // An INIT held for the running vCPU, or one VMXOFF unblocked: applies it
  // (true) or does nothing.
  bool apply_pending_init();
  // INIT of the bootstrap processor.
  std::function<void()> on_bsp_init;

  // State for the machine's hash and snapshots besides Cpu and Lapic
  // (and the CPU's second-level translation state, mmu/ept.h).
  void serialize(Serializer& s);

  // ---- LocalApicHooks (the CPU's MSRs and CR8) ----
  bool x2apic_supported() const override { return true; }
  bool tsc_deadline_supported() const override { return true; }
  void apic_base_written(u64 value) override { lapic_.set_apic_base(value); }
  void tsc_deadline_written(u64 deadline) override { lapic_.write_tsc_deadline(deadline); }
  u64 tsc_deadline() const override { return lapic_.tsc_deadline(); }
  bool x2apic_read(u32 index, u64& out) override { return lapic_.x2apic_read(index, out); }
  bool x2apic_write(u32 index, u64 value) override { return lapic_.x2apic_write(index, value); }
  bool tpr_read(u8& tpr) override;
  bool tpr_written(u8 tpr) override;

  // ---- InterruptSource (the CPU's INTR and INTA) ----
  bool has_interrupt() override { return lapic_.has_interrupt(); }
  u8 acknowledge() override { return lapic_.acknowledge(); }

  // ---- LapicCore ----
  void interrupt_changed() override { cpu_->end_block(); }
  void nmi() override;
  void init() override;
  void startup(u8 vector) override;
  u64 tsc_offset() const override { return cpu_->msr.tsc_adjust; }

 private:
  void enter_init_state();

  unsigned index_;
  std::unique_ptr<Cpu> cpu_;
  Lapic lapic_;
  bool waiting_for_sipi_ = false;
  bool init_pending_ = false;
  bool running_ = false;
};

}  // namespace vtlab

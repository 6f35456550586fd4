#include "core/machine/vcpu.h"

#include "cpu/vmx/vmx.h"

#include "core/machine/platform_layout.h"
#include "cpu/msr_table.h"

namespace vtlab {

namespace {

LapicConfig lapic_config(unsigned index, u64 timer_hz) {
  LapicConfig c;
  c.apic_id = index;
  c.bsp = index == 0;
  c.base = platform::kLapicBase;
  c.timer_hz = timer_hz;
  return c;
}

}  // namespace

Vcpu::Vcpu(unsigned index, unsigned count, PhysMem& mem, PortBus& ports, Scheduler& sched, ApicBus& bus, u64 timer_hz)
    : index_(index), cpu_(std::make_unique<Cpu>(mem, ports, sched)), lapic_(sched, bus, lapic_config(index, timer_hz)) {
  cpu_->set_topology({index, count});
  cpu_->set_local_apic(this);
  cpu_->set_interrupt_source(this);
  lapic_.set_core(this);
  reset();
}

void Vcpu::reset() {
  cpu_->reset();  // IA32_APIC_BASE: BSP only on vCPU 0 (its topology says so)
  lapic_.reset();
  lapic_.set_apic_base(cpu_->msr.apic_base);
  waiting_for_sipi_ = !bootstrap();
  init_pending_ = false;
}

// CR8 is TPR[7:4] while the APIC is enabled (SDM Vol. 3A §10.8.6.1); with
// the APIC disabled, the CPU keeps CR8 itself.
bool Vcpu::tpr_read(u8& tpr) {
  if (!lapic_.enabled()) return false;
  tpr = lapic_.tpr();
  return true;
}

bool Vcpu::tpr_written(u8 tpr) {
  if (!lapic_.enabled()) return false;
  lapic_.set_tpr(tpr);
  return true;
}

void Vcpu::nmi() {
  if (waiting_for_sipi_) return;  // an AP waiting for SIPI takes no NMI
  cpu_->raise_nmi();
}

void Vcpu::init() {
  // In VMX operation the CPU holds INIT pending, on the bootstrap processor
  // too: blocked in root operation until VMXOFF (then apply_pending_init
  // takes it), a VM exit in non-root operation (SDM Vol. 3C §24.8, §26.2;
  // cpu/vmx/activity_state.cpp).
  if (cpu_->vmx().in_operation()) {
    cpu_->vmx().hold_init();
    return;
  }
  if (bootstrap()) {
    if (on_bsp_init) on_bsp_init();
    return;
  }
  if (running_) {
    // Its own INIT: after the instruction that sent it.
    init_pending_ = true;
    cpu_->request_stop();
    return;
  }
  enter_init_state();
}

bool Vcpu::apply_pending_init() {
  // Its own INIT, or one the CPU held in VMX root operation until VMXOFF.
  const bool unblocked = cpu_->vmx().take_unblocked_init();
  if (!init_pending_ && !unblocked) return false;
  init_pending_ = false;
  if (bootstrap()) {
    if (on_bsp_init) on_bsp_init();
    return true;
  }
  enter_init_state();
  return true;
}

void Vcpu::enter_init_state() {
  cpu_->init_signal();
  lapic_.init();
  waiting_for_sipi_ = true;
}

void Vcpu::startup(u8 vector) {
  // In VMX operation: a VM exit from a guest waiting for SIPI, else discarded
  // (SDM Vol. 3C §26.2; cpu/vmx/activity_state.cpp).
  if (cpu_->vmx().takes_sipi(vector)) return;
  if (!waiting_for_sipi_) return;  // ignored unless waiting for one
  waiting_for_sipi_ = false;
  cpu_->startup(vector);
}

void Vcpu::serialize(Serializer& s) {
  s.flag(waiting_for_sipi_);
  s.flag(init_pending_);
  cpu_->vmx().serialize(s);  // VMX operation and the current VMCS (cpu/vmx/vmx.h)
  // The CPU's second-level translation state (VMX: EPT, VPID, the PML index).
  SecondLevel second_level = cpu_->second_level();
  second_level.serialize(s);
  if (!s.saving()) cpu_->set_second_level(second_level);
}

}  // namespace vtlab

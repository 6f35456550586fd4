// A local APIC (SDM Vol. 3A ch. 10, "Advanced Programmable Interrupt
// Controller"), one per vCPU, in xAPIC mode (registers in the 4 KiB page at
// IA32_APIC_BASE, platform::kLapicBase) and x2APIC mode (MSRs 800H-8FFH).
//
// - Modes follow IA32_APIC_BASE (EN, EXTD), which the CPU validates and
//   stores (cpu/msr.cpp, §10.12.5): reset puts the APIC in xAPIC mode;
//   xAPIC -> x2APIC keeps the state and switches the ID to the 32-bit x2APIC
//   ID (the initial APIC ID) and the LDR to the one derived from it
//   (§10.12.10.2); disabling and re-enabling returns the registers to their
//   reset values, the ID kept; INIT resets the registers but keeps the ID and
//   the mode (§10.4.7.3). Globally disabled, the APIC is absent: LINT0 is the
//   processor's INTR pin and LINT1 its NMI pin, messages are not received,
//   and the MMIO page reads as open bus (all ones); so does it in x2APIC mode
//   (§10.12.2). The registers do not move when software relocates
//   IA32_APIC_BASE: the base is stored, the page stays at kLapicBase.
// - Registers (lapic_regs.h has the map): 32-bit accesses at 16-byte aligned
//   offsets; reads of 1 or 2 bytes of a register give its low bytes, other
//   writes are ignored (model specific on hardware); a reserved offset sets
//   ESR "illegal register address". In x2APIC mode reserved MSRs, reads of
//   write-only registers, writes of read-only ones and set reserved bits are
//   #GP(0) (x2apic_read/x2apic_write return false); the ICR is one 64-bit
//   MSR, SELF IPI sends a fixed interrupt to this APIC.
// - Priorities: IRR, ISR, TMR of 256 vectors; PPR from TPR and the highest
//   in-service vector, APR from TPR, ISR and IRR (§10.8.3.1); an interrupt
//   is deliverable when its priority class is above PPR's. Vectors 0-15 are
//   illegal: receiving one sets ESR "received illegal vector", sending one
//   "send illegal vector" (§10.5.3). EOI clears the highest in-service
//   vector; if it was level triggered (TMR) the EOI is broadcast to the
//   IOAPICs (no EOI-broadcast suppression: the version register says so).
//   The software-disabled APIC (SVR bit 8 = 0) masks every LVT entry (the
//   masks cannot be cleared until it is enabled again), drops fixed and
//   lowest-priority messages, and still takes NMI, INIT and SIPI and sends
//   IPIs (§10.4.7.2); interrupts already in IRR are still delivered.
// - LVT: timer, thermal sensor and performance counters (stored; no sensor
//   or counter ever fires them), LINT0, LINT1, error. LINT inputs are lines
//   (lint(pin)); fixed delivery honours edge/level and the remote IRR bit
//   (set on acceptance, cleared by the EOI of its vector); NMI and INIT act
//   on rising edges; ExtINT passes the 8259's INTR to the processor, whose
//   acknowledge then reads the vector from the 8259 (ExtIntController). The
//   polarity bit is stored only: vtlab's lines carry "asserted", not the
//   electrical level. SMI delivery does nothing (no SMM).
// - Timer (§10.5.4): counts the crystal clock (cpu/cpuid_table.h
//   kCrystalHz, 25 MHz, which CPUID leaf 15H reports) divided by 1-128, as a
//   ClockDomain of virtual time, so counts and expiries are exact functions of
//   the tick; one-shot, periodic (reloads at exact multiples, no drift) and
//   TSC-deadline (IA32_TSC_DEADLINE: fires when the TSC, virtual time plus
//   the core's IA32_TSC_ADJUST, reaches it, then reads 0; writes are ignored
//   and reads give 0 outside that mode). A write to the LVT that changes the
//   mode disarms the timer. Mode 11b (reserved) never counts.
// - IPIs (the ICR): fixed, lowest priority, NMI, INIT (the level de-assert
//   form is ignored, as on the Pentium 4 and later), start-up, with the
//   shorthands and physical or logical destinations (flat and cluster DFR
//   models; x2APIC cluster IDs). Delivery is immediate: the target's IRR is
//   set during the write, so the delivery-status bit always reads idle.
//   Routing and lowest-priority arbitration are the ApicBus's (apic_bus.h).
//   Remote read (reserved since the Pentium 4) and SMI are ignored.
#pragma once
#include <array>

#include "core/base/clock_domain.h"
#include "core/base/io.h"
#include "core/base/scheduler.h"
#include "core/base/serializer.h"
#include "devices/lapic/apic_message.h"
#include "devices/lapic/lapic_regs.h"

namespace vtlab {

class ApicBus;

// What the local APIC drives on its processor core; the machine adapts
// these to its vCPU.
class LapicCore {
 public:
  virtual ~LapicCore() = default;
  // An interrupt may have become deliverable (or stopped being): the core
  // looks again at its next instruction boundary.
  virtual void interrupt_changed() = 0;
  virtual void nmi() = 0;
  virtual void init() = 0;               // INIT (IPI, LVT)
  virtual void startup(u8 vector) = 0;  // start-up IPI
  // The core's TSC minus virtual time (IA32_TSC_ADJUST).
  virtual u64 tsc_offset() const = 0;
};

// The 8259 pair seen from ExtINT delivery: the processor's INTA cycles
// read the vector from it.
class ExtIntController {
 public:
  virtual ~ExtIntController() = default;
  virtual u8 acknowledge() = 0;
};

struct LapicConfig {
  u32 apic_id = 0;        // the initial APIC ID (and x2APIC ID)
  bool bsp = true;        // IA32_APIC_BASE.BSP at reset
  u64 base = 0xfee00000;  // IA32_APIC_BASE's address at reset
  u64 timer_hz = 25'000'000;
};

struct LapicView {
  bool enabled = false, x2apic = false, software_enabled = false;
  u64 apic_base = 0;
  u32 id = 0;  // as the ID register reads in the current mode
  u8 tpr = 0, ppr = 0, apr = 0;
  u32 ldr = 0, dfr = 0, svr = 0, esr = 0, pending_errors = 0;
  std::array<u32, 8> irr{}, isr{}, tmr{};
  u64 icr = 0;
  std::array<u32, 6> lvt{};  // timer, thermal, performance, LINT0, LINT1, error
  u32 initial_count = 0, current_count = 0, divide_config = 0;
  u64 tsc_deadline = 0;
  bool lint[2] = {};
  bool extint_pending = false;
  u64 next_timer_tick = Scheduler::kNever;
  u64 delivered = 0;  // interrupts acknowledged by the core (ExtINT included)
};

class Lapic final : public MmioDevice {
 public:
  Lapic(Scheduler& scheduler, ApicBus& bus, LapicConfig config);
  ~Lapic() override;
  Lapic(const Lapic&) = delete;
  Lapic& operator=(const Lapic&) = delete;

  void set_core(LapicCore* core) { core_ = core; }
  void set_extint(ExtIntController* pic) { extint_ = pic; }

  // Power-on / RESET (§10.12.5.1): xAPIC mode, registers at their reset
  // values. init(): an INIT (§10.4.7.3): registers reset, ID and mode kept.
  void reset();
  void init();

  // IA32_APIC_BASE after a write the CPU accepted (cpu/msr.cpp checks the
  // transitions).
  void set_apic_base(u64 value);
  u64 apic_base() const { return apic_base_; }
  bool enabled() const { return apic_base_ & kBaseEnable; }
  bool x2apic_mode() const { return enabled() && (apic_base_ & kBaseExtd); }
  bool xapic_mode() const { return enabled() && !(apic_base_ & kBaseExtd); }
  bool software_enabled() const { return enabled() && (svr_ & lapic::kSvrEnable); }

  // ---- the processor side ----
  // Whether an interrupt (or ExtINT) waits that the core would take now
  // with RFLAGS.IF = 1; acknowledge() is the INTA: the vector, moved from
  // IRR to ISR (or read from the 8259 for ExtINT; the spurious vector if
  // nothing is deliverable any more).
  bool has_interrupt() const;
  u8 acknowledge();
  // TPR (also CR8[3:0] = TPR[7:4] in 64-bit mode, §10.8.6.1).
  u8 tpr() const { return tpr_; }
  void set_tpr(u8 value);
  // IA32_TSC_DEADLINE (§10.5.4.1).
  u64 tsc_deadline() const;
  void write_tsc_deadline(u64 value);
  // RDMSR/WRMSR of 800H-8FFH in x2APIC mode: false means #GP(0).
  bool x2apic_read(u32 msr, u64& out);
  bool x2apic_write(u32 msr, u64 value);
  // The xAPIC page (offset from its base).
  u64 mmio_read(u64 offset, unsigned size) override;
  void mmio_write(u64 offset, unsigned size, u64 value) override;

  // LINT0 (0) and LINT1 (1).
  IrqLine& lint(unsigned pin) { return lint_pins_[pin & 1]; }

  // ---- the bus side (apic_bus.h) ----
  u32 x2apic_id() const { return config_.apic_id; }
  // Whether a message without shorthand addresses this APIC.
  bool addressed_by(const ApicMessage& m) const;
  // Fixed and lowest-priority messages are accepted only while software
  // enabled.
  bool accepts_fixed() const { return software_enabled(); }
  u8 arbitration_priority() const;
  bool focus_checking() const { return !(svr_ & lapic::kSvrFocusDisable); }
  bool holds_vector(u8 vector) const { return test(irr_, vector) || test(isr_, vector); }
  // Takes a message addressed to this APIC; false if it was not accepted
  // (disabled, or a fixed interrupt while software disabled or with an
  // illegal vector).
  bool receive(const ApicMessage& m);

  LapicView view() const;
  // Saves or loads the registers; on load re-arms the timer's event.
  void serialize(Serializer& s);

  static constexpr u64 kBaseBsp = 1u << 8, kBaseExtd = 1u << 10, kBaseEnable = 1u << 11;

 private:
  using Bits = std::array<u32, 8>;
  class LintPin final : public IrqLine {
   public:
    Lapic* apic = nullptr;
    unsigned pin = 0;
    void set_level(bool high) override { apic->set_lint(pin, high); }
  };
  enum Lvt : unsigned { kTimer, kThermal, kPerf, kLint0, kLint1, kError, kLvtCount };

  static bool test(const Bits& b, unsigned v) { return (b[v >> 5] >> (v & 31)) & 1; }
  static void set(Bits& b, unsigned v, bool on) {
    if (on)
      b[v >> 5] |= 1u << (v & 31);
    else
      b[v >> 5] &= ~(1u << (v & 31));
  }
  static int highest(const Bits& b);

  void clear_registers();
  u8 ppr() const;
  u32 x2apic_ldr() const;
  u64 read_register(unsigned reg, bool x2apic);
  void write_register(unsigned reg, u64 value, bool x2apic);
  void write_svr(u32 value);
  void write_lvt(unsigned index, u32 value);
  void eoi();
  void send_ipi();
  void signal();
  void error(u32 esr_bit);
  // Fixed delivery into IRR (an illegal vector sets ESR bit 6 instead).
  void accept_fixed(u8 vector, bool level);
  // A local interrupt through LVT entry `index`.
  void local_interrupt(unsigned index);
  void set_lint(unsigned pin, bool high);
  void evaluate_lint(unsigned pin, bool rising);
  bool extint_pending() const;

  // ---- timer (lapic_timer.cpp) ----
  lapic::TimerMode timer_mode() const { return lapic::TimerMode((lvt_[kTimer] >> lapic::kLvtTimerModeShift) & 3); }
  u64 clocks() const { return clock_.clocks_at(scheduler_.now()); }
  u32 current_count() const;
  void write_initial_count(u32 value);
  void write_divide_config(u32 value);
  void timer_mode_changed();
  void stop_timer();
  void arm_timer_event();
  void on_timer_event();

  Scheduler& scheduler_;
  ApicBus& bus_;
  LapicConfig config_;
  ClockDomain clock_;
  LapicCore* core_ = nullptr;
  ExtIntController* extint_ = nullptr;
  std::array<LintPin, 2> lint_pins_{};

  u64 apic_base_ = 0;
  u8 id_ = 0;  // the xAPIC ID register's bits 31:24 (writable in xAPIC mode)
  u8 tpr_ = 0;
  u32 ldr_ = 0, dfr_ = lapic::kDfrFlat, svr_ = lapic::kSvrReset;
  Bits irr_{}, isr_{}, tmr_{};
  u32 esr_ = 0, errors_ = 0;  // the readable ESR, and errors since its last write
  u32 icr_low_ = 0, icr_high_ = 0;
  std::array<u32, kLvtCount> lvt_{};
  bool lint_level_[2] = {};
  bool extint_message_ = false;  // an ExtINT message (IOAPIC) waits for INTA
  bool in_error_ = false;        // delivering the error LVT (no recursion)
  u64 delivered_ = 0;
  // Timer: counting (one-shot or periodic), the clock edge the current
  // period began at, and the armed TSC deadline (0: disarmed).
  u32 initial_count_ = 0, divide_config_ = 0;
  bool counting_ = false;
  u64 period_start_ = 0;
  u64 tsc_deadline_ = 0;
  u64 timer_event_ = 0;  // scheduler id, 0 if none
  u64 timer_event_tick_ = Scheduler::kNever;
};

}  // namespace vtlab

// Local APICs on one bus with recording cores, for the APIC device tests:
// what the processor side sees (interrupts taken in order, NMI, INIT,
// SIPI) and register access in both modes.
#pragma once
#include <memory>
#include <vector>

#include "core/base/scheduler.h"
#include "devices/lapic/apic_bus.h"
#include "devices/lapic/lapic.h"
#include "tests/devices/chipset_rig.h"

namespace vtlab::test {

struct RecordingCore final : LapicCore {
  unsigned nmis = 0, inits = 0, changes = 0;
  std::vector<u8> sipis;
  u64 offset = 0;
  void interrupt_changed() override { ++changes; }
  void nmi() override { ++nmis; }
  void init() override { ++inits; }
  void startup(u8 vector) override { sipis.push_back(vector); }
  u64 tsc_offset() const override { return offset; }
};

struct FakePic final : ExtIntController {
  u8 vector = 0x28;
  unsigned acks = 0;
  u8 acknowledge() override {
    ++acks;
    return vector;
  }
};

struct ApicRig {
  static constexpr u64 kTimerHz = 25'000'000;  // cpu/cpuid_table.h kCrystalHz
  Scheduler sched;
  ApicBus bus;
  std::vector<std::unique_ptr<RecordingCore>> cores;
  std::vector<std::unique_ptr<Lapic>> apics;
  FakePic pic;

  explicit ApicRig(unsigned n = 1) {
    for (unsigned i = 0; i < n; ++i) {
      cores.push_back(std::make_unique<RecordingCore>());
      LapicConfig c;
      c.apic_id = i;
      c.bsp = i == 0;
      c.timer_hz = kTimerHz;
      apics.push_back(std::make_unique<Lapic>(sched, bus, c));
      apics.back()->set_core(cores.back().get());
      apics.back()->set_extint(&pic);
      bus.attach(*apics.back());
    }
  }
  Lapic& apic(unsigned i = 0) { return *apics[i]; }
  RecordingCore& core(unsigned i = 0) { return *cores[i]; }

  // xAPIC MMIO, 32-bit, by register number (offset >> 4).
  u32 read(unsigned reg, unsigned i = 0) { return u32(apic(i).mmio_read(u64(reg) << 4, 4)); }
  void write(unsigned reg, u32 v, unsigned i = 0) { apic(i).mmio_write(u64(reg) << 4, 4, v); }
  // Software enable with spurious vector 0xff, TPR 0.
  void enable(unsigned i = 0) { write(lapic::kSvr, 0x1ff, i); }
  void enable_all() {
    for (unsigned i = 0; i < apics.size(); ++i) enable(i);
  }
  void to_x2apic(unsigned i = 0) { apic(i).set_apic_base(apic(i).apic_base() | Lapic::kBaseExtd); }
  // The INTA cycles the processor runs while an interrupt is deliverable
  // (taking each and issuing EOI only when asked).
  u8 take(unsigned i = 0) { return apic(i).acknowledge(); }
  void eoi(unsigned i = 0) { write(lapic::kEoi, 0, i); }
  // Sends an IPI from APIC i through its ICR (xAPIC).
  void ipi(unsigned i, u32 icr_low, u8 dest = 0) {
    write(lapic::kIcrHigh, u32(dest) << 24, i);
    write(lapic::kIcrLow, icr_low, i);
  }
  void advance(u64 ticks) { advance_to(sched, sched.now() + ticks); }
};

}  // namespace vtlab::test

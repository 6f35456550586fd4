// A guest that programs nonsense into the interrupt controllers and timers:
// the byte string drives xAPIC register writes and reads of every width at
// any offset of three local APICs' pages, x2APIC MSR accesses, mode
// changes through IA32_APIC_BASE and INIT, IOAPIC and HPET register
// accesses, interrupt lines going up and down, INTA cycles and EOIs, the
// passing of virtual time, resets, and snapshots both faithful and made of
// garbage. Used by the libFuzzer target (fuzz_apic.cpp) and by a
// fixed-seed unit test.
//
// What must hold whatever the input: no crash or undefined behaviour (the
// sanitizers watch), no exception but vtlab::Error from a snapshot load, no
// scheduler event in the past, reads no wider than asked, a faithful
// snapshot round trip that changes nothing, and bounded work per operation
// (no storm of events or messages without time passing).
#pragma once
#include <array>
#include <memory>
#include <vector>

#include "core/base/error.h"
#include "core/base/scheduler.h"
#include "devices/hpet/hpet.h"
#include "devices/ioapic/ioapic.h"
#include "devices/lapic/apic_bus.h"
#include "devices/lapic/lapic.h"

namespace vtlab::test {

struct StormCore final : LapicCore {
  u64 changes = 0, nmis = 0, inits = 0, sipis = 0;
  void interrupt_changed() override { ++changes; }
  void nmi() override { ++nmis; }
  void init() override { ++inits; }
  void startup(u8) override { ++sipis; }
  u64 tsc_offset() const override { return 12345; }
};

struct StormPic final : ExtIntController {
  u64 acks = 0;
  u8 acknowledge() override { return u8(0x20 + (acks++ & 7)); }
};

struct ApicSystem {
  static constexpr unsigned kCpus = 3;
  Scheduler scheduler;
  ApicBus bus;
  std::array<StormCore, kCpus> cores{};
  StormPic pic;
  std::vector<std::unique_ptr<Lapic>> lapics;
  IoApic ioapic{bus, kCpus};
  Hpet hpet{scheduler};

  ApicSystem() {
    for (unsigned i = 0; i < kCpus; ++i) {
      LapicConfig c;
      c.apic_id = i;
      c.bsp = i == 0;
      lapics.push_back(std::make_unique<Lapic>(scheduler, bus, c));
      lapics.back()->set_core(&cores[i]);
      lapics.back()->set_extint(&pic);
      bus.attach(*lapics.back());
    }
    hpet.set_legacy_lines(&ioapic.input(2), &ioapic.input(8));
    for (unsigned gsi = 0; gsi < IoApic::kPins; ++gsi) hpet.set_route_line(gsi, &ioapic.input(gsi));
  }

  template <typename F>
  void for_each_device(F&& f) {
    for (unsigned i = 0; i < kCpus; ++i) f("local APIC", [this, i](Serializer& s) { lapics[i]->serialize(s); });
    f("IOAPIC", [this](Serializer& s) { ioapic.serialize(s); });
    f("HPET", [this](Serializer& s) { hpet.serialize(s); });
  }
};

// Returns null, or the invariant that broke (the fuzzer aborts on it).
inline const char* apic_storm(const u8* data, std::size_t size) {
  auto sys = std::make_unique<ApicSystem>();
  std::size_t i = 0;
  auto next = [&]() -> u8 { return i < size ? data[i++] : 0; };
  auto next32 = [&]() { return u32(next()) | u32(next()) << 8 | u32(next()) << 16 | u32(next()) << 24; };
  auto width_ok = [](u64 v, unsigned width) { return width >= 8 || (v >> (8 * width)) == 0; };
  while (i < size) {
    const u8 op = next();
    const u8 target = next();
    Lapic& apic = *sys->lapics[target % ApicSystem::kCpus];
    const unsigned width = 1u << (op & 3);  // 1, 2, 4 or 8
    switch (op >> 4) {
      case 0:
      case 1:
      case 2: {  // xAPIC page: mostly the registers' own offsets
        const u64 offset = (op & 4) ? u64(next()) << 4 : (u64(next()) << 4 | next()) & 0xfff;
        const u64 value = next32() | u64(next32()) << 32;
        apic.mmio_write(offset, width, value);
        if (!width_ok(apic.mmio_read(offset ^ 0x10, width), width)) return "a LAPIC read wider than asked";
        break;
      }
      case 3: {  // x2APIC MSRs (refused unless in x2APIC mode)
        const u32 msr = 0x800 + next();
        u64 v = next32() | ((op & 8) ? u64(next32()) << 32 : 0);
        if (op & 4)
          apic.x2apic_write(msr, v);
        else
          apic.x2apic_read(msr, v);
        break;
      }
      case 4: {  // IA32_APIC_BASE: any of the four states, as the CPU lets through
        static constexpr u64 kStates[] = {0xfee00000, 0xfee00800, 0xfee00c00, 0xfee00000};
        apic.set_apic_base(kStates[next() & 3]);
        if (op & 8) apic.init();
        apic.write_tsc_deadline(u64(next32()) << (next() & 31));
        break;
      }
      case 5: {  // IOAPIC
        const u64 offset = (op & 4) ? 0x10 : (op & 8) ? 0 : next() & 0x3f;
        sys->ioapic.mmio_write(offset, width, next32());
        if (!width_ok(sys->ioapic.mmio_read(offset, width), width)) return "an IOAPIC read wider than asked";
        break;
      }
      case 6: {  // HPET
        const u64 offset = u64(next()) << 3 | (op & 4);
        const u64 value = next32() | u64(next32()) << 32;
        sys->hpet.mmio_write(offset & 0x3ff, width, value);
        if (!width_ok(sys->hpet.mmio_read(offset & 0x3ff, width), width)) return "an HPET read wider than asked";
        break;
      }
      case 7:  // lines
        if (op & 8)
          apic.lint(op & 1).set_level(op & 4);
        else
          sys->ioapic.input(next() % IoApic::kPins).set_level(op & 4);
        break;
      case 8:
      case 9:  // the processor takes an interrupt, and maybe ends one
        if (apic.has_interrupt()) apic.acknowledge();
        if (op & 1) apic.mmio_write(0xb0, 4, 0);
        break;
      case 10:
      case 11: {  // time passes: events fire on the way
        const u64 target_tick = sys->scheduler.now() + (u64(next()) << (next() % 11));
        unsigned events = 0;
        while (sys->scheduler.next_deadline() <= target_tick) {
          if (sys->scheduler.next_deadline() < sys->scheduler.now()) return "an event in the past";
          sys->scheduler.advance_to(sys->scheduler.next_deadline());
          sys->scheduler.run_due();
          if (++events > 200'000) return "more than 200,000 events in a quarter millisecond";
        }
        sys->scheduler.advance_to(target_tick);
        break;
      }
      case 12: {  // a faithful snapshot round trip changes no device
        const char* changed = nullptr;
        sys->for_each_device([&](const char* name, auto serialize) {
          Serializer save;
          serialize(save);
          Serializer load(save.data());
          serialize(load);
          Serializer again;
          serialize(again);
          if (again.data() != save.data() && !changed) changed = name;
        });
        if (changed) return changed;
        break;
      }
      case 13: {  // a snapshot made of the input's bytes
        const std::size_t n = next() * 4u;
        std::vector<u8> junk(data + i, data + std::min(size, i + n));
        i += junk.size();
        Serializer load(junk);
        try {
          sys->for_each_device([&](const char*, auto serialize) { serialize(load); });
        } catch (const Error&) {
          sys = std::make_unique<ApicSystem>();  // refused: a loader discards the half-loaded machine
        }
        break;
      }
      case 14:
        for (auto& l : sys->lapics) l->reset();
        sys->ioapic.reset();
        sys->hpet.reset();
        break;
      default: {  // an IPI through the ICR of an xAPIC, whatever it says
        apic.mmio_write(0x310, 4, u32(next()) << 24);
        apic.mmio_write(0x300, 4, next32());
        break;
      }
    }
  }
  return nullptr;
}

}  // namespace vtlab::test

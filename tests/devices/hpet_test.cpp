// The HPET as software programs it, with its outputs recorded in virtual
// time. Expected values from the IA-PC HPET specification 1.0a and the ID
// the ACPI HPET table announces (core/machine/platform_layout.h).
#include <doctest/doctest.h>

#include "core/machine/platform_layout.h"
#include "devices/hpet/hpet.h"
#include "tests/devices/chipset_rig.h"

using namespace vtlab;
using test::EdgeRecorder;

namespace {

struct HpetRig {
  Scheduler sched;
  Hpet hpet{sched, HpetConfig{}};
  EdgeRecorder irq0{sched}, irq8{sched}, gsi20{sched}, gsi11{sched}, gsi16{sched};
  std::vector<bool> legacy_changes;
  HpetRig() {
    hpet.set_legacy_lines(&irq0, &irq8);
    hpet.set_route_line(20, &gsi20);
    hpet.set_route_line(11, &gsi11);
    hpet.set_route_line(16, &gsi16);
    hpet.on_legacy_change = [this](bool on) { legacy_changes.push_back(on); };
  }
  u64 read(u64 off) { return hpet.mmio_read(off, 8); }
  u32 read32(u64 off) { return u32(hpet.mmio_read(off, 4)); }
  void write(u64 off, u64 v) { hpet.mmio_write(off, 8, v); }
  void write32(u64 off, u32 v) { hpet.mmio_write(off, 4, v); }
  static u64 conf(unsigned n) { return Hpet::kTimerBase + n * Hpet::kTimerStride; }
  static u64 cmp(unsigned n) { return conf(n) + 8; }
  void advance(u64 ticks) { test::advance_to(sched, sched.now() + ticks); }
};

constexpr u64 kRoute20 = u64(20) << Hpet::kRouteShift;

}  // namespace

TEST_CASE("HPET: capabilities match the ACPI table: 3 timers, 64-bit, legacy capable, 100 MHz") {
  HpetRig r;
  const u64 cap = r.read(Hpet::kCapabilities);
  CHECK(u32(cap) == platform::kHpetEventTimerBlockId);
  CHECK(((cap >> 8) & 0x1f) + 1 == 3);  // NUM_TIM_CAP
  CHECK((cap & (1u << 13)) != 0);       // COUNT_SIZE_CAP
  CHECK((cap & (1u << 15)) != 0);       // LEG_RT_CAP
  CHECK((cap >> 32) == 10'000'000);     // 10 ns in femtoseconds
  CHECK((cap >> 32) == 1'000'000'000'000'000ull / platform::kHpetClockHz);
  CHECK(r.read32(Hpet::kCapabilities + 4) == 10'000'000);
  for (unsigned n = 0; n < 3; ++n) {
    const u64 c = r.read(HpetRig::conf(n));
    CHECK((c & Hpet::kPeriodicCap) != 0);
    CHECK((c & Hpet::kSize64Cap) != 0);
    CHECK((c & (1u << 15)) == 0);  // no FSB delivery
    CHECK(u32(c >> 32) == platform::kHpetRouteCap[n]);
    CHECK(r.read(HpetRig::cmp(n)) == ~u64(0));
    CHECK(r.read(HpetRig::conf(n) + 0x10) == 0);
  }
  CHECK(r.read(Hpet::kGeneralConfig) == 0);
  CHECK(r.read(0x0e0) == 0);  // reserved
}

TEST_CASE("HPET: the main counter runs at 100 MHz of virtual time while enabled, halts, and takes writes") {
  HpetRig r;
  r.advance(5000);
  CHECK(r.read(Hpet::kMainCounter) == 0);  // halted from reset
  r.write(Hpet::kGeneralConfig, Hpet::kEnable);
  r.advance(1'000'000);  // 1 ms
  CHECK(r.read(Hpet::kMainCounter) == 100'000);
  r.advance(9);
  CHECK(r.read32(Hpet::kMainCounter) == 100'000);
  r.advance(1);
  CHECK(r.read32(Hpet::kMainCounter) == 100'001);
  r.write(Hpet::kGeneralConfig, 0);
  r.advance(1'000'000);
  CHECK(r.read(Hpet::kMainCounter) == 100'001);
  r.write(Hpet::kMainCounter, 0xfffffffffffffff0ull);
  CHECK(r.read32(Hpet::kMainCounter + 4) == 0xffffffff);
  r.write32(Hpet::kMainCounter + 4, 0);
  CHECK(r.read(Hpet::kMainCounter) == 0xfffffff0u);
}

TEST_CASE("HPET: a one-shot edge timer fires when the counter reaches its comparator, once") {
  HpetRig r;
  r.write(HpetRig::conf(2), Hpet::kIntEnable | kRoute20);
  r.write(HpetRig::cmp(2), 1000);
  r.write(Hpet::kGeneralConfig, Hpet::kEnable);
  r.advance(10'000 - 1);
  CHECK(r.gsi20.edges.empty());
  r.advance(1);
  CHECK(r.gsi20.times(true) == std::vector<u64>{10'000});
  CHECK(!r.gsi20.level());  // an edge is a pulse
  r.advance(100'000'000);
  CHECK(r.gsi20.times(true).size() == 1);
  CHECK((r.read(Hpet::kInterruptStatus) & 4) == 0);  // edge timers leave no status
}

TEST_CASE("HPET: periodic timers: VAL_SET sets the comparator, each match adds the period, no drift") {
  HpetRig r;
  r.write(HpetRig::conf(0), Hpet::kIntEnable | Hpet::kPeriodic | Hpet::kValSet | kRoute20);
  r.write(HpetRig::cmp(0), 500);                           // first match at 500, period 500 (5 us)
  CHECK((r.read(HpetRig::conf(0)) & Hpet::kValSet) == 0);  // clears itself
  r.write(HpetRig::cmp(0), 250);                           // now only the period: 250
  r.write(Hpet::kGeneralConfig, Hpet::kEnable);
  r.advance(5000 + 4 * 2500);
  CHECK(r.gsi20.times(true) == std::vector<u64>{5000, 7500, 10'000, 12'500, 15'000});
  CHECK(r.read(HpetRig::cmp(0)) == 1750);  // the next match
}

TEST_CASE("HPET: legacy replacement routes timer 0 to IRQ 0 and timer 1 to IRQ 8") {
  HpetRig r;
  r.write(HpetRig::conf(0), Hpet::kIntEnable | kRoute20);
  r.write(HpetRig::conf(1), Hpet::kIntEnable | kRoute20);
  r.write(HpetRig::cmp(0), 100);
  r.write(HpetRig::cmp(1), 200);
  r.write(Hpet::kGeneralConfig, Hpet::kEnable | Hpet::kLegacyRoute);
  CHECK(r.legacy_changes == std::vector<bool>{true});
  r.advance(3000);
  CHECK(r.irq0.times(true) == std::vector<u64>{1000});
  CHECK(r.irq8.times(true) == std::vector<u64>{2000});
  CHECK(r.gsi20.edges.empty());
  r.write(Hpet::kGeneralConfig, Hpet::kEnable);
  CHECK(r.legacy_changes == std::vector<bool>{true, false});
}

TEST_CASE("HPET: level-triggered timers set their status bit and hold the line until it is cleared") {
  HpetRig r;
  r.write(HpetRig::conf(2), Hpet::kIntLevel | Hpet::kIntEnable | (u64(11) << Hpet::kRouteShift));
  r.write(HpetRig::cmp(2), 10);
  r.write(Hpet::kGeneralConfig, Hpet::kEnable);
  r.advance(100);
  CHECK(r.gsi11.level());
  CHECK(r.read(Hpet::kInterruptStatus) == 4);
  r.write(Hpet::kInterruptStatus, 0);  // writing 0 changes nothing
  CHECK(r.gsi11.level());
  r.write(Hpet::kInterruptStatus, 4);
  CHECK(!r.gsi11.level());
  CHECK(r.read(Hpet::kInterruptStatus) == 0);
  // With interrupts disabled the status is still set, and no line moves.
  r.write(HpetRig::conf(2), Hpet::kIntLevel | (u64(11) << Hpet::kRouteShift));
  r.write(HpetRig::cmp(2), 20);
  r.advance(100);
  CHECK(r.read(Hpet::kInterruptStatus) == 4);
  CHECK(r.gsi11.times(true).size() == 1);
}

TEST_CASE("HPET: a route outside Tn_INT_ROUTE_CAP drives nothing; 32-bit mode matches at each wrap") {
  HpetRig r;
  r.write(Hpet::kMainCounter, 0x1ffffff00ull);  // 256 counts before a wrap of the low half
  r.write(HpetRig::conf(1), Hpet::kIntEnable | (u64(16) << Hpet::kRouteShift));  // GSI 16: not allowed
  r.write(HpetRig::cmp(1), 0x1ffffff00ull + 10);
  r.write(HpetRig::conf(2), Hpet::kIntEnable | Hpet::kMode32 | kRoute20);
  r.write(HpetRig::cmp(2), 0x00000100);
  CHECK(r.read(HpetRig::cmp(2)) == 0x100);
  r.write(Hpet::kGeneralConfig, Hpet::kEnable);
  r.advance(10'000);
  CHECK(r.gsi16.edges.empty());
  CHECK((r.read(HpetRig::cmp(1))) == 0x1ffffff00ull + 10);  // it matched (at tick 100), unrouted
  CHECK(r.gsi20.times(true) == std::vector<u64>{5120});     // counter 0x200000100
  r.advance(u64(1) << 32 << 3);                             // about 34 virtual seconds: not yet the next wrap (42.9 s)
  CHECK(r.gsi20.times(true).size() == 1);
  r.advance(u64(10) << 30);
  CHECK(r.gsi20.times(true).size() == 2);
  CHECK(r.gsi20.times(true)[1] - 5120 == (u64(1) << 32) * 10);
}

TEST_CASE("HPET: 4- and 8-byte accesses, narrow writes ignored, snapshot round trip") {
  HpetRig r, s;
  r.write32(HpetRig::cmp(0), 0x1234);
  r.write32(HpetRig::cmp(0) + 4, 0x5);
  CHECK(r.read(HpetRig::cmp(0)) == 0x500001234ull);
  r.hpet.mmio_write(HpetRig::cmp(0), 2, 0xffff);
  CHECK(r.read(HpetRig::cmp(0)) == 0x500001234ull);
  CHECK(r.hpet.mmio_read(HpetRig::cmp(0) + 1, 1) == 0x12);
  r.write(HpetRig::conf(0), Hpet::kIntEnable | Hpet::kPeriodic | Hpet::kValSet | kRoute20);
  r.write(HpetRig::cmp(0), 300);
  r.write(Hpet::kGeneralConfig, Hpet::kEnable);
  r.advance(4000);
  s.sched.advance_to(r.sched.now());
  Serializer save;
  r.hpet.serialize(save);
  Serializer load(save.data());
  s.hpet.serialize(load);
  CHECK(s.read(Hpet::kMainCounter) == r.read(Hpet::kMainCounter));
  CHECK(s.hpet.view().timers[0].next_event_tick == r.hpet.view().timers[0].next_event_tick);
  Serializer junk(std::vector<u8>(save.data().size(), 0xff));
  s.hpet.serialize(junk);
  CHECK((s.read(Hpet::kGeneralConfig) & ~u64(3)) == 0);
  s.advance(1'000'000);  // garbage, and still time moves on
}

// The 8254 as a guest programs it (ports 0x40-0x43, gate and OUT2 through
// port 0x61), with counts and OUT edges measured in virtual time: every
// expectation is a PIT clock edge, turned into ticks by the clock domain.
// Expected behaviour from the Intel 8254 datasheet (order 231164).
#include <doctest/doctest.h>

#include <vector>

#include "core/base/clock_domain.h"
#include "core/base/port_bus.h"
#include "devices/pit8254/pit8254.h"
#include "devices/pit8254/system_control_b.h"
#include "tests/devices/chipset_rig.h"

using namespace vtlab;
using vtlab::test::EdgeRecorder;

namespace {

struct PitRig {
  Scheduler s;
  PortBus bus;
  EdgeRecorder irq0{s};
  Pit8254 pit{s, &irq0};
  SystemControlB port61{pit};
  PitRig() {
    pit.attach(bus);
    port61.attach(bus);
  }
  u64 tick(u64 clock) const { return pit.clock().tick_of(clock); }
  // Virtual time moves to the tick of PIT clock edge `c`.
  void at_clock(u64 c) { test::advance_to(s, tick(c)); }
  void out(u16 p, u8 v) { bus.write(p, 1, v); }
  u8 in(u16 p) { return u8(bus.read(p, 1)); }
  // Control word, then the count LSB and MSB.
  void load(unsigned counter, u8 control, u16 count) {
    out(0x43, control);
    out(u16(0x40 + counter), u8(count));
    out(u16(0x40 + counter), u8(count >> 8));
  }
  u16 latch_read(unsigned counter) {
    out(0x43, u8(counter << 6));  // counter latch command
    const u8 lo = in(u16(0x40 + counter));
    return u16(lo | in(u16(0x40 + counter)) << 8);
  }
  u8 status(unsigned counter) {
    out(0x43, u8(0xe0 | (2u << counter)));  // read-back: status only
    return in(u16(0x40 + counter));
  }
  bool out2() { return in(0x61) & 0x20; }
  void gate2(bool high) { out(0x61, high ? 0x01 : 0x00); }
};

std::vector<u64> ticks_of(const PitRig& r, std::initializer_list<u64> clocks) {
  std::vector<u64> t;
  for (u64 c : clocks) t.push_back(r.tick(c));
  return t;
}

}  // namespace

TEST_CASE("clock domain: edges and ticks convert exactly both ways") {
  Scheduler s;
  for (u64 hz : {Pit8254::kClockHz, u64(32768), u64(3'579'545)}) {
    ClockDomain d(s, hz);
    for (u64 k = 0; k < 200'000; k += 7) {
      const u64 t = d.tick_of(k);
      CHECK(d.clocks_at(t) == k);                // edge k falls on tick t ...
      if (t > 0) CHECK(d.clocks_at(t - 1) < k);  // ... and not earlier
    }
    // No drift: one virtual second holds exactly `hz` edges.
    CHECK(d.clocks_at(1'000'000'000) == hz);
    CHECK(d.tick_of(hz * 3600) == 3600ull * 1'000'000'000);
  }
  CHECK(ClockDomain(s, 1).tick_of(~u64(0)) == Scheduler::kNever);
}

TEST_CASE("PIT mode 0: OUT low, goes high N+1 clocks after the count write, counter wraps on") {
  PitRig r;
  r.at_clock(1000);
  r.load(0, 0x30, 100);  // counter 0, LSB/MSB, mode 0, binary
  CHECK_FALSE(r.irq0.level());
  r.at_clock(1001 + 50);
  CHECK(r.latch_read(0) == 50);
  r.at_clock(1100);
  CHECK(r.latch_read(0) == 1);
  CHECK_FALSE(r.irq0.level());
  r.at_clock(1101);
  CHECK(r.irq0.level());
  CHECK(r.irq0.times(true) == ticks_of(r, {1101}));
  r.at_clock(1106);
  CHECK(r.latch_read(0) == 0xfffb);  // wraps, OUT stays high
  CHECK(r.irq0.edges.size() == 1);
  // Writing the first byte of a new count stops counting and sets OUT low;
  // the second loads it on the next clock.
  r.at_clock(2000);
  r.out(0x40, 0x10);
  CHECK_FALSE(r.irq0.level());
  const u16 frozen = r.latch_read(0);
  r.at_clock(2030);
  CHECK(r.latch_read(0) == frozen);
  r.out(0x40, 0x00);  // count 16
  r.at_clock(2031 + 16);
  CHECK(r.irq0.times(true).back() == r.tick(2047));
}

TEST_CASE("PIT mode 0 with GATE low waits; GATE high counts") {
  PitRig r;
  r.at_clock(500);
  r.load(2, 0xb0, 10);  // counter 2, mode 0; gate 2 is low after reset
  r.at_clock(900);
  CHECK(r.latch_read(2) == 10);
  CHECK_FALSE(r.out2());
  r.gate2(true);
  r.at_clock(905);
  CHECK(r.latch_read(2) == 5);
  r.gate2(false);  // suspends counting
  r.at_clock(950);
  CHECK(r.latch_read(2) == 5);
  r.gate2(true);
  r.at_clock(954);
  CHECK_FALSE(r.out2());
  r.at_clock(955);
  CHECK(r.out2());
}

TEST_CASE("PIT mode 1: GATE triggers a one-shot; retriggerable") {
  PitRig r;
  r.at_clock(100);
  r.load(2, 0xb2, 50);  // counter 2, mode 1
  CHECK(r.out2());      // high until triggered
  r.at_clock(300);
  CHECK(r.out2());
  r.gate2(true);  // trigger at 300: loaded at 301, OUT low
  r.at_clock(301);
  CHECK_FALSE(r.out2());
  r.at_clock(350);
  CHECK_FALSE(r.out2());
  CHECK(r.latch_read(2) == 1);
  r.at_clock(351);
  CHECK(r.out2());
  r.gate2(false);
  r.at_clock(400);
  r.gate2(true);  // trigger again
  r.at_clock(430);
  r.gate2(false);
  r.gate2(true);  // retrigger while low: the one-shot restarts
  r.at_clock(480);
  CHECK_FALSE(r.out2());
  r.at_clock(481);
  CHECK(r.out2());
}

TEST_CASE("PIT mode 2: rate generator on IRQ 0, period N, OUT low for the last clock") {
  PitRig r;
  r.at_clock(1000);
  r.load(0, 0x34, 1193);  // Linux's LATCH for HZ = 1000
  const u64 l = 1001;
  CHECK(r.irq0.level());  // high from the control word on: an edge on IRQ 0 at once
  r.at_clock(l + 10);
  CHECK(r.latch_read(0) == 1183);
  r.at_clock(l + 5 * 1193);
  CHECK(r.irq0.times(false) ==
        ticks_of(r, {l + 1192, l + 2 * 1193 - 1, l + 3 * 1193 - 1, l + 4 * 1193 - 1, l + 5 * 1193 - 1}));
  CHECK(r.irq0.times(true) == ticks_of(r, {1000, l + 1193, l + 2 * 1193, l + 3 * 1193, l + 4 * 1193, l + 5 * 1193}));
  // A new count takes effect at the next reload.
  r.at_clock(l + 5 * 1193 + 100);
  r.out(0x40, 0xf4);
  r.out(0x40, 0x01);               // 500
  CHECK(r.latch_read(0) == 1093);  // still the old period
  r.at_clock(l + 6 * 1193 + 1000);
  const std::vector<u64> rising = r.irq0.times(true);
  REQUIRE(rising.size() == 9);
  CHECK(rising[6] == r.tick(l + 6 * 1193));
  CHECK(rising[7] == r.tick(l + 6 * 1193 + 500));
  CHECK(rising[8] == r.tick(l + 6 * 1193 + 1000));
}

TEST_CASE("PIT mode 2 on counter 2: GATE low forces OUT high and stops; GATE high reloads") {
  PitRig r;
  r.gate2(true);
  r.at_clock(10);
  r.load(2, 0xb4, 100);
  r.at_clock(11 + 99);
  CHECK_FALSE(r.out2());  // the one low clock
  r.gate2(false);
  CHECK(r.out2());  // forced high at once
  r.at_clock(200);
  CHECK(r.latch_read(2) == 1);  // held
  r.gate2(true);                // reload with N on the next clock
  r.at_clock(201);
  CHECK(r.latch_read(2) == 100);
  r.at_clock(201 + 99);
  CHECK_FALSE(r.out2());
}

TEST_CASE("PIT mode 3: square wave, even and odd counts, counting by two") {
  PitRig r;
  r.at_clock(1000);
  r.load(0, 0x36, 1000);
  const u64 l = 1001;
  CHECK(r.latch_read(0) == 0);  // not loaded before the next clock (power-on value)
  r.at_clock(l);
  CHECK(r.latch_read(0) == 1000);
  r.at_clock(l + 1);
  CHECK(r.latch_read(0) == 998);
  r.at_clock(l + 750);
  CHECK(r.latch_read(0) == 500);
  r.at_clock(l + 2000);
  CHECK(r.irq0.times(false) == ticks_of(r, {l + 500, l + 1500}));
  CHECK(r.irq0.times(true) == ticks_of(r, {1000, l + 1000, l + 2000}));
  // Odd count 5: high 3 clocks (4, 2, 0), low 2 clocks (4, 2).
  PitRig o;
  o.at_clock(0);
  o.load(0, 0x36, 5);
  std::vector<u16> values;
  std::vector<bool> levels;
  for (u64 c = 1; c <= 11; ++c) {
    o.at_clock(c);
    values.push_back(o.latch_read(0));
    levels.push_back(o.irq0.level());
  }
  CHECK(values == std::vector<u16>{4, 2, 0, 4, 2, 4, 2, 0, 4, 2, 4});
  CHECK(levels == std::vector<bool>{true, true, true, false, false, true, true, true, false, false, true});
}

TEST_CASE("PIT mode 3: a new count starts at the end of the current half cycle") {
  PitRig r;
  r.load(0, 0x36, 100);  // at clock 0: loaded at 1
  r.at_clock(20);
  r.out(0x40, 40);
  r.out(0x40, 0);
  r.at_clock(400);
  // The high half of 100 ends at 51; the new count (20 high, 20 low) starts
  // there in its low half.
  CHECK(r.irq0.times(false) == ticks_of(r, {51, 91, 131, 171, 211, 251, 291, 331, 371}));
  CHECK(r.irq0.times(true) == ticks_of(r, {0, 71, 111, 151, 191, 231, 271, 311, 351, 391}));
}

TEST_CASE("PIT modes 4 and 5: a one-clock strobe") {
  PitRig r;
  r.at_clock(1000);
  r.load(0, 0x38, 10);  // mode 4
  CHECK(r.irq0.level());
  r.at_clock(3000);
  CHECK(r.irq0.times(false) == ticks_of(r, {1011}));
  CHECK(r.irq0.times(true) == ticks_of(r, {1000, 1012}));
  r.at_clock(5000);
  r.load(2, 0xba, 20);  // counter 2, mode 5: waits for a GATE edge
  r.at_clock(6000);
  CHECK(r.out2());
  r.gate2(true);
  r.at_clock(6020);
  CHECK(r.out2());
  r.at_clock(6021);
  CHECK_FALSE(r.out2());
  r.at_clock(6022);
  CHECK(r.out2());
}

TEST_CASE("PIT counter latch: holds the value until read; a second latch is ignored") {
  PitRig r;
  r.load(0, 0x34, 1000);
  r.at_clock(101);
  r.out(0x43, 0x00);  // latch: 900
  r.at_clock(200);
  r.out(0x43, 0x00);  // ignored: the first latch is not read yet
  CHECK(r.in(0x40) == (900 & 0xff));
  r.at_clock(300);
  CHECK(r.in(0x40) == (900 >> 8));
  CHECK(r.latch_read(0) == 701);  // a new latch after both bytes were read
  // Without a latch, reads give the live count, LSB then MSB.
  r.at_clock(400);
  CHECK(r.in(0x40) == u8(601));
  r.at_clock(500);
  CHECK(r.in(0x40) == u8(501 >> 8));
}

TEST_CASE("PIT byte orders: LSB only and MSB only") {
  PitRig r;
  r.out(0x43, 0x14);  // counter 0, LSB only, mode 2
  r.out(0x40, 200);
  r.at_clock(51);
  CHECK(r.in(0x40) == 150);
  CHECK(r.in(0x40) == 150);  // every read is the LSB
  r.out(0x43, 0x24);         // MSB only
  r.out(0x40, 0x02);         // count 512
  r.at_clock(51 + 1 + 256);
  CHECK(r.in(0x40) == 0x01);
  CHECK(r.status(0) == (0x80 | 0x24));
}

TEST_CASE("PIT read-back: status (OUT, NULL COUNT, control) and count, status first") {
  PitRig r;
  r.out(0x43, 0x34);
  CHECK(r.status(0) == (0x80 | 0x40 | 0x34));  // OUT high (mode 2), no count yet
  r.out(0x40, 0x10);
  r.out(0x40, 0x00);
  CHECK(r.status(0) == (0x80 | 0x40 | 0x34));  // written but not loaded yet
  r.at_clock(1);
  CHECK(r.status(0) == (0x80 | 0x34));
  r.at_clock(6);
  r.out(0x43, 0xc2);  // read-back: count and status of counter 0
  CHECK(r.in(0x40) == (0x80 | 0x34));
  CHECK(r.in(0x40) == 11);
  CHECK(r.in(0x40) == 0);
  // Mode 0 after the terminal count: OUT high; counter 1 and 2 untouched.
  r.load(1, 0x70, 2);
  r.at_clock(20);
  CHECK(r.status(1) == (0x80 | 0x30));
  CHECK(r.status(2) == 0x70);  // power-on: mode 0, no count (NULL COUNT), OUT low
  CHECK(r.in(0x43) == 0xff);   // the control register is write-only
}

TEST_CASE("PIT BCD counting and the maximal counts") {
  PitRig r;
  r.load(0, 0x31, 0x0100);  // mode 0, BCD 100
  r.at_clock(2);
  CHECK(r.latch_read(0) == 0x0099);
  r.at_clock(100);
  CHECK_FALSE(r.irq0.level());
  r.at_clock(101);
  CHECK(r.irq0.level());
  r.at_clock(103);
  CHECK(r.latch_read(0) == 0x9998);  // BCD wraps at 10000
  // Count 0: 10^4 in BCD, 2^16 in binary.
  PitRig b;
  b.load(0, 0x35, 0);  // mode 2, BCD
  b.at_clock(1 + 3 * 10000);
  CHECK(b.irq0.times(true) == ticks_of(b, {0, 10001, 20001, 30001}));
  PitRig n;
  n.load(0, 0x34, 0);  // mode 2, binary
  n.at_clock(2);
  CHECK(n.latch_read(0) == 0xffff);
  n.at_clock(1 + 65536);
  CHECK(n.irq0.times(true) == ticks_of(n, {0, 65537}));
}

TEST_CASE("port 0x61: gate 2, speaker enable, OUT2, refresh toggle; NMI bits") {
  PitRig r;
  CHECK((r.in(0x61) & 0x0f) == 0);
  r.out(0x61, 0xff);
  CHECK((r.in(0x61) & 0xcf) == 0x0f);  // bits 7:6 have no NMI source; 5:4 are status
  CHECK(r.pit.gate(2));
  r.out(0x61, 0x00);
  const u8 before = r.in(0x61) & 0x10;
  r.at_clock(r.pit.clocks() + SystemControlB::kRefreshClocks);
  CHECK((r.in(0x61) & 0x10) != before);  // toggles every 18 PIT clocks (15.09 us)
  // Speaker: counter 2 in mode 3 with gate and data enabled.
  r.load(2, 0xb6, 1193);
  r.out(0x61, 0x03);
  r.at_clock(r.pit.clocks() + 2);
  CHECK(r.port61.view().speaker_on);
  CHECK(r.port61.view().speaker_hz == 1000);
  CHECK(r.out2());
  r.at_clock(r.pit.clocks() + 600);
  CHECK_FALSE(r.out2());
}

TEST_CASE("PIT snapshot: a restored PIT continues with the same edges") {
  PitRig a;
  a.load(0, 0x34, 300);
  a.at_clock(1000);
  a.out(0x43, 0x00);  // a latch pending across the snapshot
  Serializer save;
  a.pit.serialize(save);
  PitRig b;
  b.at_clock(1000);
  Serializer load(save.data());
  b.pit.serialize(load);
  CHECK(b.irq0.level() == a.irq0.level());
  a.at_clock(2000);
  b.at_clock(2000);
  CHECK(b.latch_read(0) == a.latch_read(0));
  CHECK(b.irq0.times(true) == ticks_of(b, {1000, 1201, 1501, 1801}));  // 1000: the restore drives the line
  CHECK(a.irq0.times(true).back() == b.irq0.times(true).back());
}

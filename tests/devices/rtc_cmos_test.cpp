// The MC146818 RTC/CMOS through ports 0x70/0x71, in virtual time: update
// cycles, UIP, periodic / update-ended / alarm interrupts, data modes, the
// NMI mask bit and the CMOS RAM. Register layout and timing from the
// Motorola MC146818A datasheet; times as 32.768 kHz oscillator edges.
#include <doctest/doctest.h>

#include "core/base/port_bus.h"
#include "core/base/wall_clock.h"
#include "devices/rtc_cmos/rtc_cmos.h"
#include "tests/devices/chipset_rig.h"

using namespace vtlab;
using namespace vtlab::rtc;
using vtlab::test::EdgeRecorder;

namespace {

constexpr i64 kNewYearsEve = 1'704'067'198;                                           // 2023-12-31T23:59:58Z, a Sunday
constexpr u64 kFirstEnd = RtcCmos::kFirstUpdateClocks + RtcCmos::kUpdateCycleClocks;  // 16449

struct RtcRig {
  Scheduler s;
  PortBus bus;
  EdgeRecorder irq8{s};
  RtcCmos rtc;
  explicit RtcRig(i64 seconds = kNewYearsEve) : rtc(s, &irq8, seconds) { rtc.attach(bus); }
  u64 tick(u64 clock) const { return ClockDomain(s, RtcCmos::kClockHz).tick_of(clock); }
  void at_clock(u64 c) { test::advance_to(s, tick(c)); }
  u8 reg(u8 index) {
    bus.write(0x70, 1, index);
    return u8(bus.read(0x71, 1));
  }
  void set(u8 index, u8 value) {
    bus.write(0x70, 1, index);
    bus.write(0x71, 1, value);
  }
  // Reads C after each rising edge of IRQ 8, as an interrupt handler does.
  void serve_irq_until(u64 clock) {
    while (s.next_deadline() <= tick(clock)) {
      s.advance_to(s.next_deadline());
      s.run_due();
      if (irq8.level()) reg(kRegC);
    }
    s.advance_to(tick(clock));
  }
};

}  // namespace

TEST_CASE("RTC power-on: the seed time in BCD 24-hour mode, A = 0x26, B = 0x02, D = VRT") {
  RtcRig r;
  CHECK(r.reg(kSeconds) == 0x58);
  CHECK(r.reg(kMinutes) == 0x59);
  CHECK(r.reg(kHours) == 0x23);
  CHECK(r.reg(kWeekday) == 0x01);  // Sunday
  CHECK(r.reg(kDayOfMonth) == 0x31);
  CHECK(r.reg(kMonth) == 0x12);
  CHECK(r.reg(kYear) == 0x23);
  CHECK(r.reg(RtcCmos::kCenturyByte) == 0x20);
  CHECK(r.reg(kRegA) == 0x26);
  CHECK(r.reg(kRegB) == 0x02);
  CHECK(r.reg(kRegC) == 0x00);
  CHECK(r.reg(kRegD) == 0x80);
  // The default seed (no --rtc): 2024-01-01T00:00:00Z, a Monday.
  RtcRig d(kDefaultRtcEpoch);
  CHECK(d.reg(kYear) == 0x24);
  CHECK(d.reg(kWeekday) == 0x02);
  CHECK(d.rtc.view().civil == civil_from_unix(kDefaultRtcEpoch));
}

TEST_CASE("RTC updates: once a second from half a second after power-on, carrying into the new year") {
  RtcRig r;
  r.at_clock(kFirstEnd - 1);
  CHECK(r.reg(kSeconds) == 0x58);
  r.at_clock(kFirstEnd);
  CHECK(r.reg(kSeconds) == 0x59);
  r.at_clock(kFirstEnd + RtcCmos::kSecondClocks - 1);
  CHECK(r.reg(kSeconds) == 0x59);
  r.at_clock(kFirstEnd + RtcCmos::kSecondClocks);
  const u8 expected[] = {0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x24};  // 2024-01-01 00:00:00, Monday
  const u8 regs[] = {kSeconds, kMinutes, kHours, kWeekday, kDayOfMonth, kMonth, kYear};
  for (unsigned i = 0; i < 7; ++i) CHECK(r.reg(regs[i]) == expected[i]);
  // An hour later (lazily caught up on the next read).
  r.at_clock(kFirstEnd + RtcCmos::kSecondClocks * 3601);
  CHECK(r.reg(kHours) == 0x01);
  CHECK(r.reg(kMinutes) == 0x00);
  CHECK(r.reg(kSeconds) == 0x00);
}

TEST_CASE("RTC UIP: high from 244 us before an update cycle to its end") {
  RtcRig r;
  const u64 begin = RtcCmos::kFirstUpdateClocks;
  r.at_clock(begin - RtcCmos::kUipLeadClocks - 1);
  CHECK((r.reg(kRegA) & kUip) == 0);
  r.at_clock(begin - RtcCmos::kUipLeadClocks);
  CHECK((r.reg(kRegA) & kUip) != 0);
  CHECK(r.reg(kSeconds) == 0x58);
  r.at_clock(kFirstEnd - 1);
  CHECK(r.reg(kRegA) == (0x26 | kUip));
  r.at_clock(kFirstEnd);
  CHECK(r.reg(kRegA) == 0x26);
  CHECK(r.reg(kSeconds) == 0x59);
  // SET inhibits updates and clears UIP.
  r.at_clock(kFirstEnd + RtcCmos::kSecondClocks - 10);
  CHECK((r.reg(kRegA) & kUip) != 0);
  r.set(kRegB, 0x82);
  CHECK((r.reg(kRegA) & kUip) == 0);
  r.at_clock(kFirstEnd + 5 * RtcCmos::kSecondClocks);
  CHECK(r.reg(kSeconds) == 0x59);
}

TEST_CASE("RTC SET: time written while set, counting resumes in phase; SET clears UIE") {
  RtcRig r;
  r.set(kRegB, 0x82 | kUie);
  CHECK(r.reg(kRegB) == 0x82);
  r.set(kSeconds, 0x30);
  r.set(kMinutes, 0x15);
  r.set(kHours, 0x08);
  r.at_clock(kFirstEnd + 2 * RtcCmos::kSecondClocks);
  CHECK(r.reg(kSeconds) == 0x30);
  r.set(kRegB, 0x02);
  r.at_clock(kFirstEnd + 3 * RtcCmos::kSecondClocks);
  CHECK(r.reg(kSeconds) == 0x31);
  CHECK(r.reg(kMinutes) == 0x15);
  CHECK(r.reg(kHours) == 0x08);
}

TEST_CASE("RTC data modes: binary, 12-hour with the PM bit; no conversion when the mode changes") {
  RtcRig r;
  r.set(kRegB, 0x80);   // SET, BCD, 12-hour
  r.set(kHours, 0x91);  // 11 PM
  r.set(kMinutes, 0x59);
  r.set(kSeconds, 0x59);
  r.set(kRegB, 0x00);
  r.at_clock(kFirstEnd);
  CHECK(r.reg(kHours) == 0x12);  // 12 AM, next day
  CHECK(r.reg(kDayOfMonth) == 0x01);
  r.set(kRegB, 0x80);
  r.set(kHours, 0x11);  // 11 AM
  r.set(kMinutes, 0x59);
  r.set(kSeconds, 0x59);
  r.set(kRegB, 0x00);
  r.at_clock(kFirstEnd + RtcCmos::kSecondClocks);
  CHECK(r.reg(kHours) == 0x92);  // 12 PM
  // Binary 24-hour.
  r.set(kRegB, 0x86);
  r.set(kHours, 23);
  r.set(kMinutes, 59);
  r.set(kSeconds, 59);
  r.set(kRegB, 0x06);
  r.at_clock(kFirstEnd + 2 * RtcCmos::kSecondClocks);
  CHECK(r.reg(kHours) == 0);
  CHECK(r.reg(kSeconds) == 0);
  // Switching to BCD leaves the bytes as they are and counts them as BCD.
  r.set(kSeconds, 0x09);  // binary 9 = BCD 09
  r.set(kRegB, 0x02);
  r.at_clock(kFirstEnd + 3 * RtcCmos::kSecondClocks);
  CHECK(r.reg(kSeconds) == 0x10);
}

TEST_CASE("RTC periodic interrupt: PF at the RS rate; IRQ 8 until C is read") {
  RtcRig r;
  r.set(kRegB, 0x02 | kPie);  // at clock 0; A = 0x26: 1024 Hz, every 32 edges
  r.serve_irq_until(32 * 5);
  CHECK(r.irq8.times(true) == std::vector<u64>{r.tick(32), r.tick(64), r.tick(96), r.tick(128), r.tick(160)});
  // Read after the fifth, then not any more: one more edge (at 192), after
  // which the line stays high.
  r.at_clock(32 * 10);
  CHECK(r.irq8.level());
  CHECK(r.irq8.times(true).size() == 6);
  CHECK(r.reg(kRegC) == (kIrqf | kPf));
  CHECK_FALSE(r.irq8.level());
  CHECK(r.reg(kRegC) == 0x00);  // reading C cleared it
  // Rates: RS = 3 is 8192 Hz (4 edges), 15 is 2 Hz, 1 and 2 are 256 and 128 Hz.
  for (const auto& [rs, period] : {std::pair{3u, 4u}, {15u, 16384u}, {1u, 128u}, {2u, 256u}}) {
    CAPTURE(rs);
    RtcRig p;
    p.set(kRegA, u8(0x20 | rs));
    p.set(kRegB, 0x02 | kPie);
    p.serve_irq_until(3 * period);
    CHECK(p.irq8.times(true) == std::vector<u64>{p.tick(period), p.tick(2 * period), p.tick(3 * period)});
  }
  // Without PIE the flag is set all the same, for polling; no interrupt.
  RtcRig q;
  q.at_clock(33);
  CHECK(q.reg(kRegC) == kPf);
  CHECK(q.irq8.edges.empty());
  // RS = 0: no periodic flag.
  q.set(kRegA, 0x20);
  q.at_clock(2000);
  CHECK(q.reg(kRegC) == 0);
}

TEST_CASE("RTC update-ended interrupt: IRQ 8 at the end of each update cycle") {
  RtcRig r;
  r.set(kRegB, 0x02 | kUie);
  r.serve_irq_until(kFirstEnd + 2 * RtcCmos::kSecondClocks);
  CHECK(r.irq8.times(true) == std::vector<u64>{r.tick(kFirstEnd), r.tick(kFirstEnd + RtcCmos::kSecondClocks),
                                               r.tick(kFirstEnd + 2 * RtcCmos::kSecondClocks)});
  r.at_clock(kFirstEnd + 3 * RtcCmos::kSecondClocks);
  CHECK(r.reg(kRegC) == (kIrqf | kUf | kPf));
}

TEST_CASE("RTC alarm: AF when seconds, minutes and hours match; 0xc0-0xff is don't care") {
  RtcRig r(kDefaultRtcEpoch);  // 00:00:00
  r.set(kSecondsAlarm, 0x03);
  r.set(kMinutesAlarm, 0x00);
  r.set(kHoursAlarm, 0x00);
  r.set(kRegB, 0x02 | kAie);
  r.serve_irq_until(kFirstEnd + 10 * RtcCmos::kSecondClocks);
  CHECK(r.irq8.times(true) == std::vector<u64>{r.tick(kFirstEnd + 2 * RtcCmos::kSecondClocks)});  // at 00:00:03
  // Don't care in all three: every second.
  RtcRig e(kDefaultRtcEpoch);
  e.set(kSecondsAlarm, 0xc0);
  e.set(kMinutesAlarm, 0xff);
  e.set(kHoursAlarm, 0xd5);
  e.set(kRegB, 0x02 | kAie);
  e.serve_irq_until(kFirstEnd + 2 * RtcCmos::kSecondClocks);
  CHECK(e.irq8.times(true).size() == 3);
  // AF is set without AIE too, for polling.
  RtcRig p(kDefaultRtcEpoch);
  p.set(kSecondsAlarm, 0x01);
  p.set(kMinutesAlarm, 0x00);
  p.set(kHoursAlarm, 0x00);
  p.at_clock(kFirstEnd);
  CHECK(p.reg(kRegC) == (kAf | kUf | kPf));
}

TEST_CASE("RTC divider: DV = 11x holds it in reset; leaving reset puts the first update 0.5 s later") {
  RtcRig r;
  r.set(kRegA, 0x70);
  r.at_clock(3 * RtcCmos::kSecondClocks);
  CHECK(r.reg(kSeconds) == 0x58);
  CHECK(r.reg(kRegC) == 0);  // no periodic flag either
  const u64 start = 3 * RtcCmos::kSecondClocks;
  r.set(kRegA, 0x26);
  r.at_clock(start + kFirstEnd - 1);
  CHECK(r.reg(kSeconds) == 0x58);
  r.at_clock(start + kFirstEnd);
  CHECK(r.reg(kSeconds) == 0x59);
}

TEST_CASE("RTC registers: C and D read only, the NMI mask bit, CMOS RAM, a 7-bit index") {
  RtcRig r;
  r.set(kRegD, 0x00);
  CHECK(r.reg(kRegD) == 0x80);
  r.set(kRegC, 0xff);
  CHECK(r.reg(kRegC) == 0x00);
  r.set(kRegA, 0xa6);  // UIP is read only
  CHECK(r.reg(kRegA) == 0x26);
  for (unsigned i = kFirstRam; i < 128; ++i) r.set(u8(i), u8(i * 7));
  for (unsigned i = kFirstRam; i < 128; ++i) CHECK(r.reg(u8(i)) == u8(i * 7));
  r.bus.write(0x70, 1, 0x80 | 0x40);  // NMI off, index 0x40
  CHECK(r.rtc.nmi_masked());
  CHECK(u8(r.bus.read(0x71, 1)) == u8(0x40 * 7));
  CHECK(r.bus.read(0x70, 1) == 0xff);  // the index port is write only
  r.bus.write(0x70, 1, 0x40);
  CHECK_FALSE(r.rtc.nmi_masked());
  r.bus.write(0x70, 1, 0xff);  // index 0x7f, NMI masked
  CHECK(u8(r.bus.read(0x71, 1)) == u8(0x7f * 7));
}

TEST_CASE("RTC reset pin: interrupt enables and flags cleared; time, RAM and rates kept") {
  RtcRig r;
  r.set(kRegB, 0x02 | kPie | kAie | kSqwe);
  r.set(0x40, 0x5a);
  r.at_clock(100);
  CHECK(r.irq8.level());
  r.rtc.reset();
  CHECK_FALSE(r.irq8.level());
  CHECK(r.reg(kRegB) == 0x02);
  CHECK(r.reg(kRegC) == 0x00);
  CHECK(r.reg(kRegA) == 0x26);
  CHECK(r.reg(0x40) == 0x5a);
  CHECK(r.reg(kSeconds) == 0x58);
}

TEST_CASE("RTC snapshot: a restored RTC keeps time and interrupts in phase") {
  RtcRig a;
  a.set(kRegB, 0x02 | kUie);
  a.at_clock(1000);
  Serializer save;
  a.rtc.serialize(save);
  RtcRig b(0);  // another seed: the snapshot overrides it
  b.at_clock(1000);
  Serializer load(save.data());
  b.rtc.serialize(load);
  a.serve_irq_until(kFirstEnd + RtcCmos::kSecondClocks);
  b.serve_irq_until(kFirstEnd + RtcCmos::kSecondClocks);
  CHECK(a.irq8.times(true) == b.irq8.times(true));
  CHECK(a.reg(kSeconds) == b.reg(kSeconds));
  CHECK(b.reg(kMinutes) == 0x00);
}

TEST_CASE("RTC calendar arithmetic on the raw registers") {
  auto next = [](TimeRegs t, u8 reg_b) {
    advance_one_second(t, reg_b);
    return t;
  };
  // Leap day in a year divisible by 4 (BCD 24): Feb 28 -> 29 -> Mar 1.
  TimeRegs t{0x59, 0, 0x59, 0, 0x23, 0, 0x04, 0x28, 0x02, 0x24};
  t = next(t, 0x02);
  CHECK(t[kDayOfMonth] == 0x29);
  CHECK(t[kWeekday] == 0x05);
  t[kSeconds] = 0x59, t[kMinutes] = 0x59, t[kHours] = 0x23;
  t = next(t, 0x02);
  CHECK(t[kDayOfMonth] == 0x01);
  CHECK(t[kMonth] == 0x03);
  // Not a leap year: Feb 28 -> Mar 1; Saturday (7) -> Sunday (1); year 99 -> 00.
  TimeRegs u{59, 0, 59, 0, 23, 0, 7, 28, 2, 23};
  u = next(u, 0x06);
  CHECK(u[kDayOfMonth] == 1);
  CHECK(u[kMonth] == 3);
  CHECK(u[kWeekday] == 1);
  TimeRegs y{59, 0, 59, 0, 23, 0, 1, 31, 12, 99};
  y = next(y, 0x06);
  CHECK(y[kYear] == 0);
  CHECK(y[kMonth] == 1);
  // Garbage beyond a field's end wraps and carries; garbage below starts it.
  TimeRegs g{0x7f, 0, 0x00, 0, 0x00, 0, 0x01, 0x00, 0x01, 0x24};
  g = next(g, 0x02);
  CHECK(g[kSeconds] == 0x00);
  CHECK(g[kMinutes] == 0x01);
  TimeRegs h{0x59, 0, 0x59, 0, 0x23, 0, 0x01, 0x00, 0x01, 0x24};
  h = next(h, 0x02);
  CHECK(h[kDayOfMonth] == 0x01);
  // Alarm matching.
  TimeRegs a{0x05, 0x05, 0x10, 0xc0, 0x12, 0x12, 0, 0, 0, 0};
  CHECK(alarm_matches(a));
  a[kSecondsAlarm] = 0x06;
  CHECK_FALSE(alarm_matches(a));
}

TEST_CASE("wall clock: Unix time to a UTC date and back; the --rtc date format") {
  CHECK(civil_from_unix(0) == CivilTime{1970, 1, 1, 0, 0, 0, 4});
  CHECK(civil_from_unix(951'825'600) == CivilTime{2000, 2, 29, 12, 0, 0, 2});
  CHECK(civil_from_unix(4'107'542'400) == CivilTime{2100, 3, 1, 0, 0, 0, 1});
  CHECK(civil_from_unix(-1) == CivilTime{1969, 12, 31, 23, 59, 59, 3});
  for (i64 t : {i64(0), i64(946'684'799), kNewYearsEve, i64(1'709'164'799), i64(253'402'300'799)})
    CHECK(unix_from_civil(civil_from_unix(t)) == t);
  CHECK(parse_utc_datetime("2024-02-28T23:59:59") == 1'709'164'799);
  CHECK(format_utc_datetime(1'709'164'799) == "2024-02-28T23:59:59");
  for (const char* bad : {"2024-02-30T00:00:00", "2023-02-29T00:00:00", "2024-13-01T00:00:00", "2024-01-01 00:00:00",
                          "2024-01-01T24:00:00", "1899-12-31T23:59:59", "2024-1-01T00:00:00", "", "host"})
    CHECK_FALSE(parse_utc_datetime(bad));
}

// The MC146818's time and calendar registers (0-9) as the chip keeps them:
// raw bytes in the data mode (BCD or binary) and hour format (12 or 24)
// that register B selects. The chip does not convert when the mode changes;
// it counts whatever the bytes hold in the current mode, so these functions
// work on the raw bytes too.
#pragma once
#include <array>

#include "core/base/types.h"
#include "core/base/wall_clock.h"

namespace vtlab::rtc {

enum Reg : u8 {
  kSeconds = 0x00,
  kSecondsAlarm = 0x01,
  kMinutes = 0x02,
  kMinutesAlarm = 0x03,
  kHours = 0x04,
  kHoursAlarm = 0x05,
  kWeekday = 0x06,  // 1 = Sunday
  kDayOfMonth = 0x07,
  kMonth = 0x08,
  kYear = 0x09,  // 0-99
  kRegA = 0x0a,
  kRegB = 0x0b,
  kRegC = 0x0c,
  kRegD = 0x0d,
  kFirstRam = 0x0e,
};

// Register A.
inline constexpr u8 kUip = 0x80;
inline constexpr u8 kDvMask = 0x70;
inline constexpr u8 kDv32kHz = 0x20;  // 010: 32.768 kHz time base, divider running
inline constexpr u8 kRsMask = 0x0f;
// Register B.
inline constexpr u8 kSet = 0x80, kPie = 0x40, kAie = 0x20, kUie = 0x10, kSqwe = 0x08;
inline constexpr u8 kBinary = 0x04, k24Hour = 0x02, kDse = 0x01;
// Register C (the interrupt flags sit under their enables in B).
inline constexpr u8 kIrqf = 0x80, kPf = 0x40, kAf = 0x20, kUf = 0x10;
// Register D.
inline constexpr u8 kVrt = 0x80;

// An alarm byte of 0xc0-0xff matches any value ("don't care").
inline constexpr u8 kAlarmDontCare = 0xc0;

using TimeRegs = std::array<u8, 10>;

u8 to_binary(u8 raw, bool bcd);
u8 from_binary(unsigned value, bool bcd);

// The hour 0-23 of an hour byte, and the byte for an hour, in the format of
// register B (12-hour mode: 1-12 with bit 7 = PM).
unsigned hour24(u8 raw, u8 reg_b);
u8 hour_byte(unsigned hour, u8 reg_b);

// One update cycle: the time advances by one second, carrying into minutes,
// hours, day of week and month, month and year (a year divisible by 4 is a
// leap year, as on the chip; the year wraps from 99 to 0). A field holding
// a value at or beyond its end (garbage written by software) wraps to its
// first value and carries.
void advance_one_second(TimeRegs& t, u8 reg_b);
// The alarm condition checked at each update: seconds, minutes and hours
// each equal their alarm byte or the alarm byte is "don't care".
bool alarm_matches(const TimeRegs& t);

void set_time(TimeRegs& t, const CivilTime& civil, u8 reg_b);
// The date and time the registers hold, with `century` (CMOS 0x32, in the
// same data mode) giving the hundreds of the year.
CivilTime read_time(const TimeRegs& t, u8 reg_b, u8 century);

}  // namespace vtlab::rtc

#include "devices/rtc_cmos/rtc_time.h"

namespace vtlab::rtc {

namespace {

bool bcd_mode(u8 reg_b) { return !(reg_b & kBinary); }

// Increments a field that counts first..last; returns true on a carry. A
// value below `first` (a 0 day or month) moves to `first` without a carry.
bool step(u8& raw, unsigned first, unsigned last, bool bcd) {
  const unsigned v = to_binary(raw, bcd);
  const bool carry = v >= last;
  raw = from_binary(v < first || carry ? first : v + 1, bcd);
  return carry;
}

}  // namespace

u8 to_binary(u8 raw, bool bcd) { return bcd ? u8((raw >> 4) * 10 + (raw & 0x0f)) : raw; }

u8 from_binary(unsigned value, bool bcd) { return bcd ? u8((value / 10 % 10) << 4 | value % 10) : u8(value); }

unsigned hour24(u8 raw, u8 reg_b) {
  const bool bcd = bcd_mode(reg_b);
  if (reg_b & k24Hour) return to_binary(raw, bcd);
  return to_binary(raw & 0x7f, bcd) % 12 + ((raw & 0x80) ? 12 : 0);
}

u8 hour_byte(unsigned hour, u8 reg_b) {
  const bool bcd = bcd_mode(reg_b);
  if (reg_b & k24Hour) return from_binary(hour, bcd);
  const unsigned h12 = hour % 12 == 0 ? 12 : hour % 12;
  return u8(from_binary(h12, bcd) | (hour >= 12 ? 0x80 : 0));
}

void advance_one_second(TimeRegs& t, u8 reg_b) {
  const bool bcd = bcd_mode(reg_b);
  if (!step(t[kSeconds], 0, 59, bcd)) return;
  if (!step(t[kMinutes], 0, 59, bcd)) return;
  const unsigned h = hour24(t[kHours], reg_b);
  if (h < 23) {
    t[kHours] = hour_byte(h + 1, reg_b);
    return;
  }
  t[kHours] = hour_byte(0, reg_b);
  step(t[kWeekday], 1, 7, bcd);
  const unsigned month = to_binary(t[kMonth], bcd), year = to_binary(t[kYear], bcd);
  // The chip's leap rule: every year divisible by 4 (right from 1901 to 2099).
  const unsigned last_day = month >= 1 && month <= 12 ? days_in_month(year % 4 == 0 ? 2000 : 2001, month) : 31;
  if (!step(t[kDayOfMonth], 1, last_day, bcd)) return;
  if (!step(t[kMonth], 1, 12, bcd)) return;
  step(t[kYear], 0, 99, bcd);
}

bool alarm_matches(const TimeRegs& t) {
  static constexpr u8 kPairs[3][2] = {{kSeconds, kSecondsAlarm}, {kMinutes, kMinutesAlarm}, {kHours, kHoursAlarm}};
  for (const auto& pair : kPairs) {
    const u8 alarm = t[pair[1]];
    if ((alarm & kAlarmDontCare) != kAlarmDontCare && alarm != t[pair[0]]) return false;
  }
  return true;
}

void set_time(TimeRegs& t, const CivilTime& civil, u8 reg_b) {
  const bool bcd = bcd_mode(reg_b);
  t[kSeconds] = from_binary(civil.second, bcd);
  t[kMinutes] = from_binary(civil.minute, bcd);
  t[kHours] = hour_byte(civil.hour, reg_b);
  t[kWeekday] = from_binary(civil.weekday + 1, bcd);
  t[kDayOfMonth] = from_binary(civil.day, bcd);
  t[kMonth] = from_binary(civil.month, bcd);
  t[kYear] = from_binary(unsigned(((civil.year % 100) + 100) % 100), bcd);
}

CivilTime read_time(const TimeRegs& t, u8 reg_b, u8 century) {
  const bool bcd = bcd_mode(reg_b);
  CivilTime c;
  c.second = to_binary(t[kSeconds], bcd);
  c.minute = to_binary(t[kMinutes], bcd);
  c.hour = hour24(t[kHours], reg_b);
  c.weekday = (to_binary(t[kWeekday], bcd) + 6) % 7;
  c.day = to_binary(t[kDayOfMonth], bcd);
  c.month = to_binary(t[kMonth], bcd);
  c.year = i64(to_binary(century, bcd)) * 100 + to_binary(t[kYear], bcd);
  return c;
}

}  // namespace vtlab::rtc

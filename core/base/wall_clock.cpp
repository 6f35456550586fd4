#include "core/base/wall_clock.h"

#include <cstdio>
#include <ctime>

namespace vtlab {

namespace {

constexpr i64 kSecondsPerDay = 86'400;

// Floor division (C++ rounds toward zero).
i64 floor_div(i64 a, i64 b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

i64 HostWallClock::unix_seconds() { return i64(std::time(nullptr)); }

bool is_leap_year(i64 year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(i64 year, unsigned month) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return kDays[month - 1] + (month == 2 && is_leap_year(year) ? 1 : 0);
}

i64 unix_from_civil(const CivilTime& t) {
  i64 days = 0;
  // Whole years from 1970, then months of the year.
  for (i64 y = 1970; y < t.year; ++y) days += is_leap_year(y) ? 366 : 365;
  for (i64 y = t.year; y < 1970; ++y) days -= is_leap_year(y) ? 366 : 365;
  for (unsigned m = 1; m < t.month && m <= 12; ++m) days += days_in_month(t.year, m);
  days += i64(t.day) - 1;
  return days * kSecondsPerDay + i64(t.hour) * 3600 + i64(t.minute) * 60 + i64(t.second);
}

CivilTime civil_from_unix(i64 seconds) {
  CivilTime t;
  i64 days = floor_div(seconds, kSecondsPerDay);
  i64 rest = seconds - days * kSecondsPerDay;
  t.hour = unsigned(rest / 3600);
  t.minute = unsigned(rest / 60 % 60);
  t.second = unsigned(rest % 60);
  t.weekday = unsigned(((days % 7) + 7 + 4) % 7);
  // Whole 400-year cycles (146097 days) first, so far dates cost no more.
  i64 cycles = floor_div(days, 146'097);
  days -= cycles * 146'097;
  i64 year = 1970 + cycles * 400;
  for (;;) {
    const i64 len = is_leap_year(year) ? 366 : 365;
    if (days < len) break;
    days -= len;
    ++year;
  }
  unsigned month = 1;
  while (days >= i64(days_in_month(year, month))) days -= days_in_month(year, month++);
  t.year = year;
  t.month = month;
  t.day = unsigned(days) + 1;
  return t;
}

std::optional<i64> parse_utc_datetime(std::string_view s) {
  // Fixed positions: YYYY-MM-DDTHH:MM:SS
  static constexpr char kPattern[] = "dddd-dd-ddTdd:dd:dd";
  if (s.size() != sizeof kPattern - 1) return std::nullopt;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '9';
    if (kPattern[i] == 'd' ? !digit : s[i] != kPattern[i]) return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    unsigned v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + unsigned(s[i] - '0');
    return v;
  };
  CivilTime t;
  t.year = num(0, 4);
  t.month = num(5, 2);
  t.day = num(8, 2);
  t.hour = num(11, 2);
  t.minute = num(14, 2);
  t.second = num(17, 2);
  if (t.year < 1900 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > days_in_month(t.year, t.month) ||
      t.hour > 23 || t.minute > 59 || t.second > 59)
    return std::nullopt;
  return unix_from_civil(t);
}

std::string format_utc_datetime(i64 seconds) {
  const CivilTime t = civil_from_unix(seconds);
  char text[48];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02u:%02u:%02u", static_cast<long long>(t.year), t.month, t.day,
                t.hour, t.minute, t.second);
  return text;
}

}  // namespace vtlab

// Wall-clock sources for the guest (the RTC's seed) and the calendar
// arithmetic that turns seconds into a date. The default is a fixed moment,
// so a run does not depend on when it is started; `vtlab run --rtc host`
// asks for the host's clock instead (live input: a run then depends on the
// host, as any live input does).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/base/input.h"

namespace vtlab {

// 2024-01-01T00:00:00 UTC: the RTC's time at power-on unless told otherwise.
inline constexpr i64 kDefaultRtcEpoch = 1'704'067'200;

class FixedWallClock final : public WallClock {
 public:
  explicit FixedWallClock(i64 seconds = kDefaultRtcEpoch) : seconds_(seconds) {}
  i64 unix_seconds() override { return seconds_; }

 private:
  i64 seconds_;
};

// The host's clock (live input), read with time(2) at each call.
class HostWallClock final : public WallClock {
 public:
  i64 unix_seconds() override;
};

// A proleptic Gregorian date and time of day, UTC.
struct CivilTime {
  i64 year = 1970;
  unsigned month = 1;  // 1-12
  unsigned day = 1;    // 1-31
  unsigned hour = 0, minute = 0, second = 0;
  unsigned weekday = 4;  // 0 = Sunday (1970-01-01 was a Thursday)
  bool operator==(const CivilTime&) const = default;
};

CivilTime civil_from_unix(i64 seconds);
i64 unix_from_civil(const CivilTime& t);  // weekday is ignored
bool is_leap_year(i64 year);
unsigned days_in_month(i64 year, unsigned month);

// "YYYY-MM-DDTHH:MM:SS" (QEMU's -rtc base= format), UTC, years 1900-9999;
// nullopt if malformed or not a real date.
std::optional<i64> parse_utc_datetime(std::string_view text);
std::string format_utc_datetime(i64 seconds);

}  // namespace vtlab

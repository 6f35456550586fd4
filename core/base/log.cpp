#include "core/base/log.h"

#include <cstdarg>

#include "core/base/error.h"

namespace vtlab {

namespace {

constexpr LogCategoryInfo kCategories[] = {
    {"unimp", LogCategory::Unimp, "instructions and MSRs vtlab does not implement"},
    {"guest-errors", LogCategory::GuestErrors, "unclaimed port and MMIO accesses, invalid opcodes"},
    {"int", LogCategory::Int, "exceptions and interrupts: vector, error code, RIP (CR2 for #PF)"},
};

std::string_view name_of(LogCategory c) {
  for (const LogCategoryInfo& i : kCategories)
    if (i.category == c) return i.name;
  return "?";
}

std::string valid_names() {
  std::string s;
  for (const LogCategoryInfo& i : kCategories) {
    if (!s.empty()) s += ", ";
    s += i.name;
  }
  return s;
}

}  // namespace

std::span<const LogCategoryInfo> log_categories() { return kCategories; }

u32 parse_log_categories(std::string_view list) {
  u32 mask = 0;
  for (;;) {
    const std::size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    const LogCategoryInfo* found = nullptr;
    for (const LogCategoryInfo& i : kCategories)
      if (i.name == name) found = &i;
    if (!found) {
      // Built by appending: GCC 12 warns falsely (-Wrestrict, PR 105651) on "'" + std::string.
      std::string what(1, '\'');
      what += name;
      what += '\'';
      if (name.empty()) what = "an empty name";
      throw Error(what + " is not a log category (valid: " + valid_names() + ")");
    }
    mask |= u32(found->category);
    if (comma == std::string_view::npos) return mask;
    list.remove_prefix(comma + 1);
  }
}

void Log::line(LogCategory c, const char* format, ...) {
  if (!out_) return;
  char text[512];
  const Place p = place();
  int n = std::snprintf(text, sizeof text, "%llu %.*s: ", static_cast<unsigned long long>(p.instructions),
                        int(name_of(c).size()), name_of(c).data());
  va_list args;
  va_start(args, format);
  if (n >= 0 && std::size_t(n) < sizeof text) std::vsnprintf(text + n, sizeof text - std::size_t(n), format, args);
  va_end(args);
  // One write per line, so lines stay whole on an unbuffered stderr.
  std::fprintf(out_, "%s\n", text);
}

void log_unclaimed_access(Log& log, const char* space, u64 address, unsigned size, std::optional<u64> written) {
  const auto addr = static_cast<unsigned long long>(address), rip = static_cast<unsigned long long>(log.place().rip);
  const char* unit = size == 1 ? "byte" : "bytes";
  if (written)
    log.line(LogCategory::GuestErrors, "write to unclaimed %s 0x%llx (%u %s): 0x%llx, RIP 0x%llx", space, addr, size,
             unit, static_cast<unsigned long long>(*written), rip);
  else
    log.line(LogCategory::GuestErrors, "read from unclaimed %s 0x%llx (%u %s) gives all ones, RIP 0x%llx", space, addr,
             size, unit, rip);
}

Log& Log::off() {
  static Log log;
  return log;
}

}  // namespace vtlab

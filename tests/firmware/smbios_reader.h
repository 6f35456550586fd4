// A small SMBIOS reader for tests, written from DMTF DSP0134 3.0 and
// independent of core/machine/firmware/smbios_tables: finds the entry
// points the way Linux's dmi_scan does (16-byte steps through the F
// segment, 0xF0000-0xFFFFF), checks their checksums, and splits the
// structure table into structures with their string sets, checking each
// formatted length, string-set termination and string reference.
#pragma once
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/firmware/acpi_reader.h"

namespace firmware_test {

struct SmbiosStructure {
  u8 type = 0;
  u16 handle = 0;
  Bytes formatted;  // header included
  std::vector<std::string> strings;
  size_t total_size = 0;  // formatted area + string set

  u64 field(size_t at, unsigned size) const { return le(formatted, at, size); }
  // The string a field refers to; "" for 0 (no string).
  std::string string_at(size_t at) const {
    const u64 n = field(at, 1);
    if (n == 0) return "";
    REQUIRE(n <= strings.size());
    return strings[n - 1];
  }
};

struct SmbiosEntry3 {
  u64 address = 0;  // where the entry point is
  u8 major = 0, minor = 0, docrev = 0;
  u32 max_size = 0;
  u64 table = 0;
};

struct SmbiosEntry2 {
  u64 address = 0;
  u8 major = 0, minor = 0;
  u16 max_structure = 0, table_length = 0, count = 0;
  u32 table = 0;
};

// The formatted-area length of each type in SMBIOS 3.0 (DSP0134 section 7)
// and the offsets of its string fields.
struct SmbiosTypeInfo {
  u8 length;
  std::vector<u8> string_fields;
};
inline const std::map<u8, SmbiosTypeInfo>& smbios_types() {
  static const std::map<u8, SmbiosTypeInfo> t = {
      {0, {0x18, {0x04, 0x05, 0x08}}},
      {1, {0x1b, {0x04, 0x05, 0x06, 0x07, 0x19, 0x1a}}},
      {3, {0x16, {0x04, 0x06, 0x07, 0x08, 0x15}}},  // no contained elements: the SKU string at 0x15
      {4, {0x30, {0x04, 0x07, 0x10, 0x20, 0x21, 0x22}}},
      {16, {0x17, {}}},
      {17, {0x28, {0x10, 0x11, 0x17, 0x18, 0x19, 0x1a}}},
      {19, {0x1f, {}}},
      {32, {0x0b, {}}},
      {127, {0x04, {}}},
  };
  return t;
}

// Checks an SMBIOS 3.0 entry point at `at` of `b`: anchor, length,
// checksum, entry point revision (DSP0134 5.2.2).
inline std::optional<SmbiosEntry3> smbios3_at(const Bytes& b, size_t at, u64 base) {
  if (at + 0x18 > b.size() || std::memcmp(b.data() + at, "_SM3_", 5) != 0) return std::nullopt;
  CHECK(b[at + 6] == 0x18);
  CHECK(sum8(b, at, 0x18) == 0);
  CHECK(b[at + 0x0a] == 1);  // entry point revision 3.0
  CHECK(b[at + 0x0b] == 0);
  return SmbiosEntry3{base + at, b[at + 7], b[at + 8], b[at + 9], u32(le(b, at + 0x0c, 4)), le(b, at + 0x10, 8)};
}

// The same for the 2.1 entry point: both checksums (DSP0134 5.2.1).
inline std::optional<SmbiosEntry2> smbios2_at(const Bytes& b, size_t at, u64 base) {
  if (at + 0x1f > b.size() || std::memcmp(b.data() + at, "_SM_", 4) != 0) return std::nullopt;
  CHECK(b[at + 5] == 0x1f);
  CHECK(sum8(b, at, 0x1f) == 0);
  CHECK(std::memcmp(b.data() + at + 0x10, "_DMI_", 5) == 0);
  CHECK(sum8(b, at + 0x10, 0x0f) == 0);
  CHECK(b[at + 0x1e] == (b[at + 6] << 4 | b[at + 7]));  // BCD revision
  return SmbiosEntry2{base + at,
                      b[at + 6],
                      b[at + 7],
                      u16(le(b, at + 8, 2)),
                      u16(le(b, at + 0x16, 2)),
                      u16(le(b, at + 0x1c, 2)),
                      u32(le(b, at + 0x18, 4))};
}

// The F segment scanned on 16-byte boundaries, as Linux's dmi_scan_machine
// (drivers/firmware/dmi_scan.c) does, first for the 64-bit then the 32-bit
// entry point. `fseg` is the 64 KiB from 0xF0000.
inline SmbiosEntry3 find_smbios3(const Bytes& fseg) {
  for (size_t a = 0; a < fseg.size(); a += 16)
    if (auto e = smbios3_at(fseg, a, 0xf0000)) return *e;
  FAIL("no _SM3_ entry point in 0xF0000-0xFFFFF");
  return {};
}
inline SmbiosEntry2 find_smbios2(const Bytes& fseg) {
  for (size_t a = 0; a < fseg.size(); a += 16)
    if (auto e = smbios2_at(fseg, a, 0xf0000)) return *e;
  FAIL("no _SM_ entry point in 0xF0000-0xFFFFF");
  return {};
}

// Splits a structure table; every structure's checks as the header says.
// Stops after type 127 (which must be there); `used` gets the bytes up to
// and including its string set.
inline std::vector<SmbiosStructure> parse_smbios(const Bytes& t, size_t* used = nullptr) {
  std::vector<SmbiosStructure> out;
  std::set<u16> handles;
  size_t at = 0;
  for (;;) {
    REQUIRE_MESSAGE(at + 4 <= t.size(), "the table ends without a type 127 structure");
    SmbiosStructure s;
    s.type = t[at];
    const u8 length = t[at + 1];
    s.handle = u16(le(t, at + 2, 2));
    CAPTURE(unsigned(s.type));
    CAPTURE(s.handle);
    REQUIRE(length >= 4);
    REQUIRE(at + length <= t.size());
    CHECK_MESSAGE(handles.insert(s.handle).second, "handles are unique");
    s.formatted.assign(t.begin() + at, t.begin() + at + length);
    // The string set: NUL-terminated strings, then a NUL; two NULs without strings (6.1.3).
    size_t p = at + length;
    if (p + 1 < t.size() && t[p] == 0 && t[p + 1] == 0) {
      p += 2;
    } else {
      while (true) {
        REQUIRE_MESSAGE(p < t.size(), "unterminated string set");
        if (t[p] == 0) {
          ++p;
          break;
        }
        size_t e = p;
        while (e < t.size() && t[e] != 0) ++e;
        REQUIRE_MESSAGE(e < t.size(), "unterminated string");
        s.strings.emplace_back(reinterpret_cast<const char*>(t.data() + p), e - p);
        p = e + 1;
      }
    }
    s.total_size = p - at;
    auto info = smbios_types().find(s.type);
    REQUIRE_MESSAGE(info != smbios_types().end(), "a structure type the test knows");
    CHECK(length == info->second.length);
    std::set<u64> referenced;
    for (u8 f : info->second.string_fields) {
      CHECK(s.field(f, 1) <= s.strings.size());
      if (s.field(f, 1)) referenced.insert(s.field(f, 1));
    }
    CHECK_MESSAGE(referenced.size() == s.strings.size(), "every string is referenced");
    at = p;
    out.push_back(std::move(s));
    if (out.back().type == 127) break;
  }
  if (used) *used = at;
  return out;
}

inline std::vector<const SmbiosStructure*> of_type(const std::vector<SmbiosStructure>& all, u8 type) {
  std::vector<const SmbiosStructure*> out;
  for (const SmbiosStructure& s : all)
    if (s.type == type) out.push_back(&s);
  return out;
}

}  // namespace firmware_test

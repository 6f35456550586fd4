// A small ACPI table reader for tests, written from the ACPI 6.4
// specification and independent of core/machine/acpi: finds the RSDP the
// way an OS does (scanning 0xE0000-0xFFFFF on 16-byte boundaries), follows
// the RSDT and XSDT, and checks every checksum it meets.
#pragma once
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/base/types.h"

namespace firmware_test {

using vtlab::u16;
using vtlab::u32;
using vtlab::u64;
using vtlab::u8;
using Bytes = std::vector<u8>;

inline u64 le(const Bytes& b, size_t at, unsigned size) {
  REQUIRE(at + size <= b.size());
  u64 v = 0;
  for (unsigned i = size; i-- > 0;) v = v << 8 | b[at + i];
  return v;
}

inline u8 sum8(const Bytes& b, size_t start, size_t length) {
  u8 s = 0;
  for (size_t i = 0; i < length; ++i) s = u8(s + b.at(start + i));
  return s;
}

struct Table {
  u64 address = 0;
  std::string signature;
  Bytes bytes;  // the whole table, header included
  u64 field(size_t at, unsigned size) const { return le(bytes, at, size); }
};

class AcpiReader {
 public:
  // read(address, length) returns guest-physical memory.
  using ReadFn = std::function<Bytes(u64, u64)>;
  explicit AcpiReader(ReadFn read) : read_(std::move(read)) {}

  // Scans the BIOS area as Linux's acpi_find_root_pointer does; the RSDP's
  // 20-byte and 36-byte checksums must hold.
  u64 find_rsdp() const {
    for (u64 a = 0xe0000; a < 0x100000; a += 16) {
      Bytes sig = read_(a, 8);
      if (std::string(sig.begin(), sig.end()) != "RSD PTR ") continue;
      Bytes r = read_(a, 36);
      CHECK(sum8(r, 0, 20) == 0);
      CHECK(r[15] == 2);  // ACPI 2.0+
      CHECK(le(r, 20, 4) == 36);
      CHECK(sum8(r, 0, 36) == 0);
      return a;
    }
    FAIL("no RSDP in 0xE0000-0xFFFFF");
    return 0;
  }

  // A table at `address`: its length from the header, its checksum checked
  // (except the FACS, which has none).
  Table table_at(u64 address) const {
    Table t;
    t.address = address;
    Bytes head = read_(address, 8);
    t.signature.assign(head.begin(), head.begin() + 4);
    const u64 length = le(head, 4, 4);
    REQUIRE(length >= (t.signature == "FACS" ? 64u : 36u));
    REQUIRE(length < 0x100000);
    t.bytes = read_(address, length);
    if (t.signature != "FACS") CHECK_MESSAGE(sum8(t.bytes, 0, t.bytes.size()) == 0, t.signature << " checksum");
    return t;
  }

  // Every table the XSDT lists, by signature; the RSDT must list the same.
  std::map<std::string, Table> tables() const {
    const Bytes rsdp = read_(find_rsdp(), 36);
    const Table xsdt = table_at(le(rsdp, 24, 8));
    const Table rsdt = table_at(le(rsdp, 16, 4));
    REQUIRE(xsdt.signature == "XSDT");
    REQUIRE(rsdt.signature == "RSDT");
    const size_t n = (xsdt.bytes.size() - 36) / 8;
    REQUIRE((rsdt.bytes.size() - 36) / 4 == n);
    std::map<std::string, Table> out;
    for (size_t i = 0; i < n; ++i) {
      CHECK(xsdt.field(36 + 8 * i, 8) == rsdt.field(36 + 4 * i, 4));
      Table t = table_at(xsdt.field(36 + 8 * i, 8));
      out[t.signature] = t;
    }
    out["XSDT"] = xsdt;
    out["RSDT"] = rsdt;
    return out;
  }

 private:
  ReadFn read_;
};

}  // namespace firmware_test

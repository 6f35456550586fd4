// Reads guest-physical memory as a BootImage would leave it (blobs plus
// zero fill), so tests can parse the generated boot information back the
// way a kernel would. Reading a byte no blob covers fails the test.
#pragma once
#include <doctest/doctest.h>

#include <ios>
#include <string>

#include "core/machine/boot_image.h"

namespace loader_test {

class GuestView {
 public:
  explicit GuestView(const vtlab::BootImage& image) : image_(image) {}

  vtlab::u8 u8_at(vtlab::u64 addr) const {
    for (const vtlab::BootBlob& b : image_.blobs) {
      if (addr >= b.addr && addr - b.addr < b.bytes.size()) return b.bytes[addr - b.addr];
      if (addr >= b.addr && addr - b.addr < b.bytes.size() + b.zero_fill) return 0;
    }
    FAIL("guest address 0x" << std::hex << addr << " is not covered by any blob");
    return 0;
  }
  vtlab::u32 u16_at(vtlab::u64 addr) const { return u8_at(addr) | u8_at(addr + 1) << 8; }
  vtlab::u32 u32_at(vtlab::u64 addr) const { return u16_at(addr) | u16_at(addr + 2) << 16; }
  vtlab::u64 u64_at(vtlab::u64 addr) const { return u32_at(addr) | vtlab::u64{u32_at(addr + 4)} << 32; }
  std::string cstring_at(vtlab::u64 addr) const {
    std::string s;
    for (vtlab::u64 a = addr; s.size() < 4096; ++a) {
      char c = static_cast<char>(u8_at(a));
      if (c == 0) return s;
      s += c;
    }
    FAIL("unterminated string at 0x" << std::hex << addr);
    return s;
  }
  const vtlab::BootBlob* blob_named(const std::string& what) const {
    for (const vtlab::BootBlob& b : image_.blobs) {
      if (b.what == what) return &b;
    }
    return nullptr;
  }

 private:
  const vtlab::BootImage& image_;
};

}  // namespace loader_test

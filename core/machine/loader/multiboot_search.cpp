#include "core/machine/loader/multiboot_search.h"

#include <algorithm>

#include "core/machine/loader/hex.h"

namespace vtlab::loader {

MultibootHeaders find_multiboot_headers(const FileBytes& f) {
  MultibootHeaders found;
  // Multiboot 1: magic, flags, checksum; the three sum to 0 mod 2^32.
  u64 limit1 = std::min(f.size(), kMultiboot1SearchBytes);
  for (u64 at = 0; at + 12 <= limit1; at += 4) {
    if (f.u32_at(at, "magic") != kMultiboot1HeaderMagic) continue;
    u32 flags = f.u32_at(at + 4, "flags");
    u32 checksum = f.u32_at(at + 8, "checksum");
    if (static_cast<u32>(kMultiboot1HeaderMagic + flags + checksum) == 0) {
      found.mb1_offset = at;
      break;
    }
    if (found.near_miss.empty()) {
      found.near_miss = "the Multiboot 1 magic at offset " + hex(at) + " has a wrong checksum (flags " + hex(flags) +
                        ", checksum " + hex(checksum) + "; magic + flags + checksum must be 0)";
    }
  }
  // Multiboot 2: magic, architecture, header_length, checksum; the four sum to 0.
  u64 limit2 = std::min(f.size(), kMultiboot2SearchBytes);
  for (u64 at = 0; at + 16 <= limit2; at += 8) {
    if (f.u32_at(at, "magic") != kMultiboot2HeaderMagic) continue;
    u32 arch = f.u32_at(at + 4, "architecture");
    u32 length = f.u32_at(at + 8, "header_length");
    u32 checksum = f.u32_at(at + 12, "checksum");
    if (static_cast<u32>(kMultiboot2HeaderMagic + arch + length + checksum) == 0) {
      found.mb2_offset = at;
      break;
    }
    if (found.near_miss.empty()) {
      found.near_miss = "the Multiboot 2 magic at offset " + hex(at) + " has a wrong checksum (architecture " +
                        hex(arch) + ", header_length " + hex(length) + ", checksum " + hex(checksum) +
                        "; the four must add up to 0)";
    }
  }
  return found;
}

}  // namespace vtlab::loader

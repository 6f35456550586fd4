// Finding Multiboot headers: Multiboot 1 (spec 0.6.96 section 3.1.1) in the
// first 8192 bytes, 4-byte aligned; Multiboot 2 (spec 2.0 section 3.1.1) in
// the first 32768 bytes, 8-byte aligned. A header counts only if its
// checksum is right, as in GRUB and QEMU; a magic number with a wrong
// checksum is remembered so the "no header" message can point at it.
#pragma once
#include <optional>
#include <string>

#include "core/machine/loader/file_bytes.h"

namespace vtlab::loader {

inline constexpr u32 kMultiboot1HeaderMagic = 0x1badb002;
inline constexpr u32 kMultiboot2HeaderMagic = 0xe85250d6;
inline constexpr u64 kMultiboot1SearchBytes = 8192;
inline constexpr u64 kMultiboot2SearchBytes = 32768;

struct MultibootHeaders {
  std::optional<u64> mb1_offset;  // file offset of a valid Multiboot 1 header
  std::optional<u64> mb2_offset;  // file offset of a valid Multiboot 2 header
  std::string near_miss;          // first magic found with a bad checksum, described
};

MultibootHeaders find_multiboot_headers(const FileBytes& file);

}  // namespace vtlab::loader

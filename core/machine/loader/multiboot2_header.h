// Parsing the Multiboot 2 header's tags (spec 2.0 section 3.1.3 onwards)
// into what the loader must do, refusing requirements it cannot meet.
#pragma once
#include <optional>

#include "core/machine/loader/address_fields.h"
#include "core/machine/loader/file_bytes.h"

namespace vtlab::loader {

struct RelocatableRange {
  u32 min_addr = 0, max_addr = 0;
};

struct Multiboot2Header {
  std::optional<AddressFields> address;  // tag 2 (entry_addr filled from tag 3)
  std::optional<u32> entry;              // tag 3
  std::optional<RelocatableRange> relocatable;  // tag 10
  u64 size = 0;                          // header_length
};

Multiboot2Header parse_multiboot2_header(const FileBytes& file, u64 header_offset);

}  // namespace vtlab::loader

// Loading a kernel by the addresses its Multiboot header gives instead of by
// an executable format: the Multiboot 1 "a.out kludge" (flags bit 16, spec
// 0.6.96 section 3.1.3) and the Multiboot 2 address tag (spec 2.0 section
// 3.1.5) share these rules.
#pragma once
#include "core/machine/loader/file_bytes.h"
#include "core/machine/loader/kernel_load.h"

namespace vtlab::loader {

struct AddressFields {
  u64 header_addr = 0;    // where the Multiboot header's first byte is loaded
  u64 load_addr = 0;      // where the text starts; file offset = header offset - (header_addr - load_addr)
  u64 load_end_addr = 0;  // end of data; 0 = the rest of the file
  u64 bss_end_addr = 0;   // end of zero-filled bss; 0 = no bss
  u64 entry_addr = 0;
};

// `header_offset`/`header_size`: where the Multiboot header is in the file.
// `source` names the fields in messages ("a.out kludge", "address tag").
// The loaded range must contain the header itself and lie in guest RAM.
KernelLoad load_by_address_fields(const FileBytes& file, u64 header_offset, u64 header_size,
                                  const AddressFields& fields, const char* source, u64 ram_size);

}  // namespace vtlab::loader

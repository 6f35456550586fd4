// What a kernel format parser (ELF, Multiboot address fields) produces before
// a boot protocol adds its boot information: the segments and the entry.
#pragma once
#include <vector>

#include "core/machine/boot_image.h"
#include "core/machine/loader/file_bytes.h"

namespace vtlab::loader {

struct KernelLoad {
  std::vector<BootBlob> segments;  // non-empty, in RAM, non-overlapping
  u64 entry = 0;

  u64 lowest_addr() const;   // first byte any segment occupies
  u64 end_addr() const;      // one past the last byte any segment occupies (bss included)
};

// Refuses an entry point that is not inside any loaded segment: jumping
// there would run whatever happens to be in RAM. Neither Multiboot spec
// demands this check; we make it because such an image cannot work.
void require_entry_in_segments(const KernelLoad& kernel, const FileBytes& file);

// Multiboot passes 32-bit physical addresses and starts the kernel in
// 32-bit protected mode, so the whole kernel must lie below 4 GiB.
void require_below_4gib(const KernelLoad& kernel, const FileBytes& file);

}  // namespace vtlab::loader

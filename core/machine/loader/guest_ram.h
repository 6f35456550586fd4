// Where things may go in guest-physical memory: the RAM ranges of
// pc_memory_map(), fit and overlap checks for blobs, and the allocator that
// places what a loader generates (boot information, modules) after the
// kernel.
#pragma once
#include <string>
#include <vector>

#include "core/machine/boot_image.h"

namespace vtlab::loader {

// Throws Error("<file>: <what> [a, b) ...") unless [addr, addr + size) lies
// entirely inside one available-RAM range of pc_memory_map(ram_size). The
// message says whether the range hits the VGA/BIOS hole, the PCI/MMIO hole
// or the end of RAM.
void require_in_ram(const std::string& file, const std::string& what, u64 addr, u64 size, u64 ram_size);

// Bytes a blob occupies in guest memory (file bytes + zero fill), or an
// error if that overflows.
u64 blob_extent(const BootBlob& blob, const std::string& file);

// Throws if any two blobs share a byte; names both.
void require_no_overlap(const std::vector<BootBlob>& blobs, const std::string& file);

// Final check of a loader's result: every blob in RAM, none overlapping.
void require_valid_layout(const BootImage& image, const std::string& file, u64 ram_size);

// Hands out page-aligned guest-physical ranges in RAM below 4 GiB, in
// increasing address order, starting at `first_free` (the first byte after
// the kernel). Multiboot passes 32-bit addresses, hence the 4 GiB limit.
class GuestAllocator {
 public:
  GuestAllocator(u64 first_free, u64 ram_size, std::string file);
  u64 take(u64 size, const std::string& what);

 private:
  u64 cursor_;
  std::vector<MemRange> ram_below_4g_;
  std::string file_;
};

}  // namespace vtlab::loader

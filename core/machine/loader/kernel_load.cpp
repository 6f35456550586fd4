#include "core/machine/loader/kernel_load.h"

#include <algorithm>

#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/hex.h"

namespace vtlab::loader {

u64 KernelLoad::lowest_addr() const {
  u64 low = ~u64{0};
  for (const BootBlob& s : segments) low = std::min(low, s.addr);
  return segments.empty() ? 0 : low;
}

// Segments were range-checked when they were made, so the sums cannot wrap.
u64 KernelLoad::end_addr() const {
  u64 end = 0;
  for (const BootBlob& s : segments) end = std::max(end, s.addr + s.bytes.size() + s.zero_fill);
  return end;
}

void require_entry_in_segments(const KernelLoad& kernel, const FileBytes& file) {
  for (const BootBlob& s : kernel.segments) {
    if (kernel.entry >= s.addr && kernel.entry - s.addr < s.bytes.size() + s.zero_fill) return;
  }
  std::string loaded;
  for (const BootBlob& s : kernel.segments) {
    loaded += (loaded.empty() ? "" : ", ") + hex_range(s.addr, s.addr + s.bytes.size() + s.zero_fill);
  }
  file.fail("the entry point " + hex(kernel.entry) + " is not inside anything the kernel loads (" + loaded + ")");
}

void require_below_4gib(const KernelLoad& kernel, const FileBytes& file) {
  if (kernel.end_addr() > k4GiB) {
    file.fail("the kernel reaches " + hex(kernel.end_addr()) +
              ", above 4 GiB; a Multiboot kernel must load below 4 GiB (link it with physical load addresses there)");
  }
  if (kernel.entry >= k4GiB) {
    file.fail("the entry point " + hex(kernel.entry) +
              " is above 4 GiB; Multiboot starts the kernel in 32-bit protected mode");
  }
}

}  // namespace vtlab::loader

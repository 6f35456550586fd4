// The guest-RAM part of Machine::state_hash. Its cost follows what the guest
// has touched, not the size of RAM: pages the host has never backed (not
// present and not swapped, per /proc/self/pagemap) are zero and skipped
// unread, so `--mem 1T` costs a scan of the page map, not a read of 1 TiB.
// All-zero pages contribute nothing, so the value depends only on RAM's
// contents, not on which pages happen to be backed.
#pragma once
#include "core/base/types.h"
#include "mmu/phys_mem.h"

namespace vtlab {

struct RamHashStats {
  bool page_map_used = false;  // false: /proc/self/pagemap unreadable, every page was read
  u64 pages_read = 0;
};

// `use_page_map` false reads every page (tests compare the two).
u64 hash_guest_ram(const PhysMem& mem, RamHashStats* stats = nullptr, bool use_page_map = true);

}  // namespace vtlab

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

u64 hash_guest_ram(const PhysMem& mem);

}  // namespace vtlab

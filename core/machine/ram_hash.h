// The guest-RAM part of Machine::state_hash. Its cost follows what the guest
// has touched, not the size of RAM: only the pages of RAM that were ever
// written (PhysMem::for_each_touched_page) are read, so `--mem 1T`
// costs what the guest used. All-zero pages contribute nothing, so the value
// depends only on RAM's contents, not on which pages were touched.
#pragma once
#include "core/base/types.h"
#include "mmu/phys_mem.h"

namespace vtlab {

struct RamHashStats {
  u64 pages_read = 0;
};

// `touched_only` false reads every page of RAM (tests compare the two).
u64 hash_guest_ram(const PhysMem& mem, RamHashStats* stats = nullptr, bool touched_only = true);

}  // namespace vtlab

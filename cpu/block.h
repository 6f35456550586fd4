// A decoded block: straight-line instructions from one code page, ending at
// a control transfer, a state-changing instruction, or the page end.
#pragma once
#include <cstdint>
#include <vector>

#include "core/base/types.h"
#include "cpu/insn.h"

namespace vtlab {

struct Block {
  static constexpr unsigned kMaxInsns = 64;
  // Keyed by the host address of the code (unique per guest-physical RAM
  // byte) and the code size that decoding depended on.
  static u64 make_key(const u8* host, unsigned code_size) {
    return (reinterpret_cast<std::uintptr_t>(host) << 2) | (code_size == 8 ? 2 : code_size == 4 ? 1 : 0);
  }
  u64 key = 0;
  u64 page_pa = 0;
  u32 code_bytes = 0;  // bytes of guest code the records cover (CS limit checks)
  std::vector<Insn> insns;
  // Chaining: the blocks that followed this one last time, by RIP. Valid
  // only while the CPU's chain epoch is unchanged (any TLB flush, mode
  // change or block invalidation starts a new epoch).
  struct Link {
    u64 rip = ~u64(0);
    u64 epoch = ~u64(0);
    Block* block = nullptr;
    // Copied from `block` so a transition need not touch its header.
    const Insn* first = nullptr;
    u64 count = 0;  // instructions, without the sentinel
  };
  Link links[2];
};

}  // namespace vtlab

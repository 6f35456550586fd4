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
  std::vector<Insn> insns;
};

}  // namespace vtlab

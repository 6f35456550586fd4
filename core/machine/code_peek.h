// Reads the bytes of the instruction at CS:RIP for a message, after a run has
// stopped: through the guest's paging, RAM only (an MMIO or unmapped address
// gives fewer bytes or none; no device is read). The page walk it does may
// set Accessed bits, as any debugger read through paging would; callers take
// the state hash first.
#pragma once
#include <vector>

#include "cpu/cpu.h"

namespace vtlab {

std::vector<u8> peek_code(Cpu& cpu, u64 rip, unsigned code_size, unsigned max_bytes = 15);

// describe_instruction() of what peek_code reads.
std::string describe_code_at(Cpu& cpu, u64 rip, unsigned code_size);

}  // namespace vtlab

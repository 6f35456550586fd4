// The MTRRs a PC's BIOS programs before it starts an OS. At power-on the
// MTRRs are disabled (SDM Vol. 3A §12.11.5) and firmware sets them up;
// vtlab has no BIOS, so the machine does it for every vCPU before the
// kernel runs, as SeaBIOS does on QEMU. Without it Linux reports "MTRRs
// disabled, skipping PAT initialization too" and runs without PAT.
#pragma once
#include <vector>

#include "core/base/types.h"

namespace vtlab {

class Cpu;

struct MsrValue {
  u32 index;
  u64 value;
};

// The MSR writes, in order: fixed ranges write-back for RAM below 640 KiB,
// uncacheable for the VGA window [0xA0000, 0xC0000), write-protected for the
// BIOS area [0xC0000, 0x100000); variable range 0 uncacheable over the
// 32-bit MMIO hole [platform::kMmioHoleStart, 4 GiB); the other variable
// ranges cleared; then IA32_MTRR_DEF_TYPE = enabled, fixed ranges enabled,
// default write-back. `phys_addr_bits` is MAXPHYADDR (CPUID 80000008H).
std::vector<MsrValue> firmware_mtrrs(unsigned phys_addr_bits);

// Writes them through the CPU's WRMSR rules; a refused write is an
// internal error (vtlab::Error).
void program_firmware_mtrrs(Cpu& cpu);

}  // namespace vtlab

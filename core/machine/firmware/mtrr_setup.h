// What a BIOS does to each CPU's memory-type registers before the OS
// starts (vtlab has no BIOS: the machine does it, as for the chipset).
// MTRRs power on disabled (SDM Vol. 3A §11.11.5); an OS booted directly
// would find every access uncacheable and, Linux, refuse to set up the PAT
// ("MTRRs disabled, skipping PAT initialization too"). docs/firmware.md.
#pragma once
#include "cpu/cpu.h"

namespace vtlab {

// Programs the fixed and variable MTRRs and IA32_MTRR_DEF_TYPE: write-back
// by default, the VGA window and the option-ROM area uncacheable, the PCI
// ECAM window and the 32-bit MMIO hole (3 GiB to 4 GiB) uncacheable.
// Does nothing on a CPU model without MTRRs.
void program_boot_mtrrs(Cpu& cpu);

}  // namespace vtlab

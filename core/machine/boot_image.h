// What a loader produces: the bytes to place in guest-physical memory and the
// CPU state to start in. Loaders only parse and lay out; the Machine applies
// a BootImage to RAM and the CPU. Loaders never touch the machine directly,
// so they can be tested and fuzzed alone.
#pragma once
#include <string>
#include <vector>

#include "core/base/types.h"

namespace vtlab {

// The CPU state a boot protocol promises at entry.
enum class StartMode {
  Real16,        // real mode, CS:IP = (entry >> 4):(entry & 0xf), other segments 0
  Protected32,   // Multiboot state: CR0.PE=1, PG=0, flat 4 GiB code/data segments,
                 // EFLAGS.IF=0, EFLAGS.VM=0, A20 on
};

struct BootBlob {
  u64 addr = 0;              // guest-physical load address
  std::vector<u8> bytes;     // file contents placed at addr
  u64 zero_fill = 0;         // bytes of zeros following `bytes` (ELF .bss)
  std::string what;          // for messages and the debugger: "kernel", "mbi", "module 0", ...
};

struct BootImage {
  std::vector<BootBlob> blobs;
  StartMode mode = StartMode::Protected32;
  u64 entry = 0;             // guest-physical (= linear at entry) start address
  u32 eax = 0;               // Multiboot: the boot loader magic
  u32 ebx = 0;               // Multiboot: physical address of the boot information
  std::string protocol;      // "multiboot1", "multiboot2", "flat" (for the run summary)
};

// The options a loader needs from the command line.
struct BootOptions {
  std::string image_path;                // file name as given (Multiboot cmdline starts with it)
  std::string cmdline;                   // --cmdline
  std::vector<std::string> module_paths; // --module, in order
  bool flat = false;                     // --flat ADDR given
  u64 flat_addr = 0;
  u64 ram_size = 0;                      // guest RAM in bytes (for memory maps and fit checks)
};

// The guest-physical memory map the machine builds (also reported by
// Multiboot and, later, e820). RAM below 640 KiB, RAM from 1 MiB up to
// min(ram_size, 3 GiB), and anything above that relocated to 4 GiB.
struct MemRange {
  u64 base;
  u64 length;
  u32 type;  // 1 = available RAM, 2 = reserved (e820/Multiboot types)
};
std::vector<MemRange> pc_memory_map(u64 ram_size);

}  // namespace vtlab

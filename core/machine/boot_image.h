// What a loader produces: the bytes to place in guest-physical memory and the
// CPU state to start in. Loaders only parse and lay out; the Machine applies
// a BootImage to RAM and the CPU. Loaders never touch the machine directly,
// so they can be tested and fuzzed alone.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/base/types.h"

namespace vtlab {

// The CPU state a boot protocol promises at entry.
enum class StartMode {
  Real16,       // real mode, CS:IP = (entry >> 4):(entry & 0xf), other segments 0
  Protected32,  // Multiboot state: CR0.PE=1, PG=0, flat 4 GiB code/data segments,
                // EFLAGS.IF=0, EFLAGS.VM=0, A20 on
  Long64,       // Linux 64-bit boot protocol: IA-32e mode, paging on with the page
                // tables at cr3, CS = 0x10 (64-bit code), DS/ES/SS/FS/GS = 0x18, IF=0
};

struct BootBlob {
  u64 addr = 0;              // guest-physical load address
  std::vector<u8> bytes;     // file contents placed at addr
  u64 zero_fill = 0;         // bytes of zeros following `bytes` (ELF .bss)
  std::string what;          // for messages and the debugger: "kernel", "mbi", "module 0", ...
};

// What QEMU's -kernel hands to firmware through fw_cfg for a Linux kernel
// (FW_CFG_KERNEL_*, INITRD_*, CMDLINE_*, SETUP_*), so software that reads
// those items finds what vtlab loaded. Empty vectors: the item is absent.
struct KernelFwCfgItems {
  u32 kernel_addr = 0, initrd_addr = 0, cmdline_addr = 0, setup_addr = 0;
  std::vector<u8> kernel;  // the protected-mode kernel as in the file
  std::vector<u8> initrd;
  std::vector<u8> cmdline;  // with its terminating NUL
  std::vector<u8> setup;    // the setup sectors, header filled in as in boot_params
};

struct BootImage {
  std::vector<BootBlob> blobs;
  StartMode mode = StartMode::Protected32;
  u64 entry = 0;             // guest-physical (= linear at entry) start address
  u32 eax = 0;               // Multiboot: the boot loader magic
  u32 ebx = 0;               // Multiboot: physical address of the boot information
  u64 esi = 0;               // Linux: physical address of boot_params (ESI / RSI)
  // Linux: the GDT to load (with __BOOT_CS 0x10 and __BOOT_DS 0x18); a zero
  // limit leaves GDTR empty, as Multiboot allows.
  u64 gdt_base = 0;
  u16 gdt_limit = 0;
  u64 cr3 = 0;           // Long64: the identity-mapping page tables
  std::string protocol;  // "multiboot1", "multiboot2", "flat", "linux" (for the run summary)
  KernelFwCfgItems fw_cfg;
};

// The options a loader needs from the command line.
struct BootOptions {
  std::string image_path;                // file name as given (Multiboot cmdline starts with it)
  std::string cmdline;                   // --cmdline
  std::vector<std::string> module_paths; // --module, in order
  std::string initrd_path;               // --initrd (Linux); empty: none
  bool flat = false;                     // --flat ADDR given
  u64 flat_addr = 0;
  u64 ram_size = 0;                      // guest RAM in bytes (for memory maps and fit checks)
};

// The guest-physical memory map (core/machine/memory_map.cpp), reported by
// Multiboot, the Linux boot_params e820 table and fw_cfg's etc/e820, in
// ascending order, ranges never overlapping: RAM below 640 KiB, the
// reserved VGA/BIOS area to 1 MiB (the RSDP lives there), RAM from 1 MiB up
// to min(ram_size, 3 GiB) less the ACPI tables region at its top, reserved
// MMIO (ECAM, IOAPIC, HPET, local APIC) and the RAM past 3 GiB relocated to
// 4 GiB. docs/firmware.md shows it.
inline constexpr u32 kE820Ram = 1, kE820Reserved = 2, kE820Acpi = 3;  // e820 / Multiboot types
struct MemRange {
  u64 base;
  u64 length;  // may be 0 for the RAM below 640 KiB of a tiny machine
  u32 type;
};
std::vector<MemRange> pc_memory_map(u64 ram_size);
// RAM from 0 to the MMIO hole: [0, min(ram_size, 3 GiB)).
u64 low_ram_end(u64 ram_size);
// Where the ACPI tables region begins (platform::kAcpiRegionSize bytes at
// the top of low RAM), or nullopt when RAM ends below 1 MiB + that size.
std::optional<u64> acpi_region_base(u64 ram_size);

}  // namespace vtlab

// What the machine's firmware provides at boot, before the kernel runs
// (docs/firmware.md): the ACPI tables in RAM (the RSDP at
// platform::kRsdpAddr, the rest in the ACPI region at the top of RAM below
// 3 GiB), the SMBIOS tables in the F segment, and fw_cfg's items, QEMU's
// keys and files.
#pragma once
#include <vector>

#include "core/machine/boot_image.h"
#include "devices/fw_cfg/fw_cfg.h"
#include "mmu/phys_mem.h"

namespace vtlab {

struct FirmwareConfig {
  u64 ram_size = 0;
  unsigned cpus = 1;
  u64 insns_per_us = 1000;  // the virtual clock rate (SMBIOS processor speed, as CPUID leaf 16H)
};

// Builds the tables, writes them to RAM and fills fw_cfg. Throws
// vtlab::Error when RAM is too small for the tables or a blob of `image`
// overlaps them (loaders never place one there; hand-made images could).
void install_firmware(const FirmwareConfig& config, const BootImage& image, PhysMem& mem, FwCfg& fw_cfg);

// fw_cfg's etc/e820: pc_memory_map() as packed entries of u64 address,
// u64 length, u32 type, little-endian.
std::vector<u8> e820_file(u64 ram_size);

}  // namespace vtlab

// The SMBIOS tables vtlab's machine is described by (docs/firmware.md
// "SMBIOS"), after DMTF DSP0134 version 3.0: BIOS (type 0), system (1),
// chassis (3), one processor per package (4, from the CPU's CPUID leaves),
// physical memory array (16), memory device (17), one memory array mapped
// address per RAM range of the memory map (19), system boot (32) and end of
// table (127). Built once: the structure table is the same bytes in RAM (the
// F segment) and in fw_cfg's etc/smbios/smbios-tables; the entry points
// differ only in the table address they hold.
#pragma once
#include <array>
#include <vector>

#include "core/base/types.h"

namespace vtlab::smbios {

// QEMU's fw_cfg files, which SeaBIOS and OVMF install the tables from.
inline constexpr const char* kTablesFile = "etc/smbios/smbios-tables";
inline constexpr const char* kAnchorFile = "etc/smbios/smbios-anchor";

inline constexpr u8 kVersionMajor = 3, kVersionMinor = 0, kDocRevision = 0;

// The system UUID (type 1 and fw_cfg's UUID item), in the byte order of its
// text form, 76746c61-6200-4000-8000-000000000001 ("vtlab" in ASCII, then a
// version-4, variant-1 pattern). Fixed, so runs are identical on every host.
inline constexpr std::array<u8, 16> kSystemUuid = {0x76, 0x74, 0x6c, 0x61, 0x62, 0x00, 0x40, 0x00,
                                                   0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};

struct SmbiosConfig {
  u64 ram_size = 0;
  unsigned cpus = 1;
  u64 insns_per_us = 1000;  // the virtual clock rate: the processor speed CPUID leaf 16H reports, in MHz
};

struct SmbiosBuild {
  std::vector<u8> tables;  // the structures, each with its string set, type 127 last
  u16 structure_count = 0;
  u16 max_structure_size = 0;  // the largest structure with its strings (the 32-bit entry point's field)
};

// Throws vtlab::Error for a vCPU count or RAM size the machine cannot have.
SmbiosBuild build_smbios_tables(const SmbiosConfig& config);

// The 24-byte SMBIOS 3.0 ("_SM3_", 64-bit) entry point for the tables at
// `tables_addr` (DSP0134 5.2.2); fw_cfg's etc/smbios/smbios-anchor is this
// with address 0, which the firmware that installs the tables fills in.
std::vector<u8> entry_point_64(const SmbiosBuild& build, u64 tables_addr);
// The 31-byte SMBIOS 2.1 ("_SM_", 32-bit) entry point (DSP0134 5.2.1), for
// software that predates the 64-bit one.
std::vector<u8> entry_point_32(const SmbiosBuild& build, u32 tables_addr);

}  // namespace vtlab::smbios

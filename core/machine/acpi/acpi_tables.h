// The ACPI tables vtlab's machine is described by (docs/firmware.md):
// RSDP, XSDT and RSDT, FADT (revision 6) with FACS and the DSDT, MADT, HPET
// and MCFG. Built from the fixed platform layout (core/machine/
// platform_layout.h) and the vCPU count, in QEMU's relocatable form: the
// contents of the fw_cfg files etc/acpi/tables and etc/acpi/rsdp, pointer
// fields holding offsets into their target file and checksum bytes zero,
// plus the linker/loader commands (etc/table-loader) that place them.
// place_acpi_tables() turns that into the bytes vtlab puts in RAM.
#pragma once
#include <string>
#include <vector>

#include "core/base/types.h"
#include "core/machine/acpi/table_loader.h"

namespace vtlab::acpi {

struct AcpiConfig {
  unsigned cpus = 1;  // 1..platform::kMaxCpus
};

// Where a table is in etc/acpi/tables, for tests and the debugger.
struct TableInfo {
  std::string signature;
  u32 offset = 0;
  u32 length = 0;
};

struct AcpiBuild {
  std::vector<u8> tables;  // etc/acpi/tables: FACS first (64-byte aligned), then the others
  std::vector<u8> rsdp;    // etc/acpi/rsdp: the 36-byte ACPI 2.0+ RSDP
  std::vector<LinkerCommand> commands;
  std::vector<TableInfo> index;  // in the order they appear in `tables`
};

// Throws vtlab::Error for a vCPU count outside 1..platform::kMaxCpus.
AcpiBuild build_acpi_tables(const AcpiConfig& config);

// The tables as they are in RAM with etc/acpi/tables at `tables_addr` and
// the RSDP at `rsdp_addr`: pointers patched, checksums made.
struct PlacedAcpi {
  std::vector<u8> tables;
  std::vector<u8> rsdp;
};
PlacedAcpi place_acpi_tables(const AcpiBuild& build, u64 tables_addr, u64 rsdp_addr);

}  // namespace vtlab::acpi

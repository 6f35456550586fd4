// QEMU's ACPI linker/loader script (the fw_cfg file etc/table-loader, the
// format of QEMU's hw/acpi/bios-linker-loader.c): firmware allocates each
// named fw_cfg file in memory, adds the address of one file to pointer
// fields in another, then fixes checksums. vtlab builds its ACPI tables in
// this relocatable form once, hands it to guests through fw_cfg, and places
// the copy it puts in RAM itself by running the same commands
// (run_table_loader), so both are the same tables.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/base/types.h"

namespace vtlab::acpi {

inline constexpr const char* kTablesFile = "etc/acpi/tables";
inline constexpr const char* kRsdpFile = "etc/acpi/rsdp";
inline constexpr const char* kTableLoaderFile = "etc/table-loader";

// One command; the encoding is 128 bytes, little-endian, file names in
// 56-byte NUL-padded fields.
struct LinkerCommand {
  enum class Kind : u32 { Allocate = 1, AddPointer = 2, AddChecksum = 3 };
  enum class Zone : u8 { High = 1, Fseg = 2 };  // Allocate: 32-bit RAM, or the F segment

  Kind kind = Kind::Allocate;
  std::string file;           // Allocate, AddChecksum: the file; AddPointer: the file patched
  std::string source_file;    // AddPointer: the file whose address is added
  u32 align = 0;              // Allocate: a power of two
  Zone zone = Zone::High;     // Allocate
  u32 offset = 0;             // AddPointer: the pointer field; AddChecksum: the checksum byte
  u8 pointer_size = 0;        // AddPointer: 1, 2, 4 or 8
  u32 start = 0, length = 0;  // AddChecksum: the range summed
};

inline constexpr std::size_t kLinkerCommandSize = 128;
inline constexpr std::size_t kLinkerFileNameSize = 56;

std::vector<u8> encode_table_loader(const std::vector<LinkerCommand>& commands);

// A fw_cfg file placed in guest memory at `address`; run_table_loader
// patches `bytes`.
struct PlacedFile {
  u64 address = 0;
  std::vector<u8> bytes;
};

// Runs the AddPointer and AddChecksum commands on files already placed
// (Allocate commands only name the files, which must all be in `files`).
// vtlab's own tables only: a command that does not fit them is an internal
// error (vtlab::Error).
void run_table_loader(const std::vector<LinkerCommand>& commands, std::map<std::string, PlacedFile>& files);

}  // namespace vtlab::acpi

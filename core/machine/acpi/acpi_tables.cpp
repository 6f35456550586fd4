// Field offsets are those of the ACPI 6.4 specification's tables (section
// 5.2): RSDP 5.2.5.3, header 5.2.6, RSDT 5.2.7, XSDT 5.2.8, FADT 5.2.9
// (Table 5.9), FACS 5.2.10, MADT 5.2.12, and the HPET (IA-PC HPET
// specification 1.0a, 3.2.4) and MCFG (PCI Firmware specification 3.2,
// 4.1.2) tables.
#include "core/machine/acpi/acpi_tables.h"

#include <cstring>
#include <map>
#include <span>

#include "core/base/error.h"
#include "core/machine/acpi/dsdt_aml.h"
#include "core/machine/platform_layout.h"

namespace vtlab::acpi {

namespace {

using namespace platform;

constexpr char kOemId[] = "VTLAB ";         // 6 bytes
constexpr char kOemTableId[] = "VTLABPC ";  // 8 bytes
constexpr u32 kOemRevision = 1;
constexpr char kCreatorId[] = "VTLB";  // 4 bytes
constexpr u32 kCreatorRevision = 1;
constexpr u32 kHeaderSize = 36;
constexpr u32 kChecksumOffset = 9;

// A plain field of a fixed-layout table.
struct Field {
  u16 offset;
  u8 size;
  u64 value;
};

// A Generic Address Structure (ACPI 6.4 section 5.2.3.2).
struct Gas {
  u16 offset;
  u8 space;  // 0 system memory, 1 system I/O
  u8 bit_width;
  u8 access_size;  // 1 byte, 2 word, 3 dword, 4 qword
  u64 address;
};
constexpr u8 kSystemMemory = 0, kSystemIo = 1;
constexpr u8 kByteAccess = 1, kWordAccess = 2, kDwordAccess = 3;

// A pointer field holding the address of another table of etc/acpi/tables.
struct Pointer {
  u16 offset;
  u8 size;
  const char* target;  // signature of the table pointed to
};

// ---- FADT (revision 6, 276 bytes) ----
constexpr u32 kFadtLength = 276;
constexpr u8 kFadtRevision = 6;
// IAPC_BOOT_ARCH: LEGACY_DEVICES (LPC devices: COM1, RTC), 8042, VGA not present.
constexpr u64 kBootArch = 1u << 0 | 1u << 1 | 1u << 2;
// Flags: WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON (no fixed-feature
// buttons), FIX_RTC, TMR_VAL_EXT (32-bit timer only), RESET_REG_SUP,
// USE_PLATFORM_CLOCK. HW_REDUCED_ACPI stays 0.
constexpr u64 kFadtFlags =
    1u << 0 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 6 | (kPmTimerBits == 32 ? 1u << 8 : 0) | 1u << 10 | 1u << 15;
constexpr Field kFadtFields[] = {
    {45, 1, 0},              // Preferred_PM_Profile: unspecified
    {46, 2, kIrqSci},        // SCI_INT
    {48, 4, 0},              // SMI_CMD 0: ACPI mode is always on (PM1_CNT.SCI_EN reads 1)
    {56, 4, kPm1aEvtBlk},    // PM1a_EVT_BLK
    {64, 4, kPm1aCntBlk},    // PM1a_CNT_BLK
    {76, 4, kPmTmrBlk},      // PM_TMR_BLK
    {88, 1, kPm1EvtLen},     // PM1_EVT_LEN
    {89, 1, kPm1CntLen},     // PM1_CNT_LEN
    {91, 1, kPmTmrLen},      // PM_TMR_LEN
    {96, 2, 101},            // P_LVL2_LAT > 100: no C2
    {98, 2, 1001},           // P_LVL3_LAT > 1000: no C3
    {108, 1, kCmosCentury},  // CENTURY
    {109, 2, kBootArch},     // IAPC_BOOT_ARCH
    {112, 4, kFadtFlags},    // Flags
    {128, 1, kResetValue},   // RESET_VALUE
    {131, 1, 0},             // FADT Minor Version
};
constexpr Gas kFadtRegisters[] = {
    {116, kSystemIo, 8, kByteAccess, kResetControl},             // RESET_REG
    {148, kSystemIo, kPm1EvtLen * 8, kWordAccess, kPm1aEvtBlk},  // X_PM1a_EVT_BLK
    {172, kSystemIo, kPm1CntLen * 8, kWordAccess, kPm1aCntBlk},  // X_PM1a_CNT_BLK
    {208, kSystemIo, kPmTmrLen * 8, kDwordAccess, kPmTmrBlk},    // X_PM_TMR_BLK
};
constexpr Pointer kFadtPointers[] = {
    {36, 4, "FACS"},   // FIRMWARE_CTRL
    {40, 4, "DSDT"},   // DSDT
    {140, 8, "DSDT"},  // X_DSDT
};

// ---- FACS (64 bytes, no checksum, 64-byte aligned) ----
constexpr Field kFacsFields[] = {
    {4, 4, 64},  // Length
    {32, 1, 2},  // Version
};

// ---- MADT ----
constexpr u8 kMadtRevision = 3;
constexpr u32 kMadtPcatCompat = 1;  // dual 8259s present
constexpr u8 kMadtLocalApic = 0, kMadtIoApic = 1, kMadtSourceOverride = 2, kMadtLocalApicNmi = 4;
// The interrupt source overrides are platform_layout.h's kIsaIrqOverrides,
// the table the machine wires the lines from.
constexpr u8 kAllProcessors = 0xff;
constexpr u8 kNmiLint = 1;  // NMI arrives on LINT1 of every local APIC

// ---- HPET (56 bytes) ----
constexpr Field kHpetFields[] = {
    {36, 4, kHpetEventTimerBlockId},  // Event Timer Block ID
    {52, 1, 0},                       // HPET number
    {53, 2, 0x80},                    // minimum clock tick in periodic mode
    {55, 1, 0},                       // page protection: none
};
constexpr Gas kHpetRegisters[] = {{40, kSystemMemory, 64, 0, kHpetBase}};

// ---- MCFG (60 bytes: header, 8 reserved, one allocation) ----
constexpr Field kMcfgFields[] = {
    {44, 8, kEcamBase},      // base address
    {52, 2, 0},              // PCI segment group
    {54, 1, kEcamFirstBus},  // start bus
    {55, 1, kEcamLastBus},   // end bus
};

// ---- RSDP (36 bytes) ----
constexpr u32 kRsdpLength = 36;
constexpr u32 kRsdpChecksum = 8, kRsdpExtendedChecksum = 32;

// The tables in etc/acpi/tables, in order, and which ones the XSDT/RSDT list.
const char* const kListedTables[] = {"FACP", "APIC", "HPET", "MCFG"};

class Table {
 public:
  Table(const char* signature, u32 length, u32 align) : signature_(signature), bytes_(length, 0), align_(align) {
    std::memcpy(bytes_.data(), signature, 4);
    put(4, 4, length);
  }
  // The standard 36-byte header (checksum left 0: a command computes it).
  Table& header(u8 revision) {
    bytes_[8] = revision;
    std::memcpy(&bytes_[10], kOemId, 6);
    std::memcpy(&bytes_[16], kOemTableId, 8);
    put(24, 4, kOemRevision);
    std::memcpy(&bytes_[28], kCreatorId, 4);
    put(32, 4, kCreatorRevision);
    checksummed_ = true;
    return *this;
  }
  void put(u32 offset, unsigned size, u64 value) {
    for (unsigned i = 0; i < size; ++i) bytes_.at(offset + i) = u8(value >> (8 * i));
  }
  Table& fields(std::span<const Field> rows) {
    for (const Field& f : rows) put(f.offset, f.size, f.value);
    return *this;
  }
  Table& registers(std::span<const Gas> rows) {
    for (const Gas& g : rows) {
      put(g.offset + 0, 1, g.space);
      put(g.offset + 1, 1, g.bit_width);
      put(g.offset + 2, 1, 0);  // bit offset
      put(g.offset + 3, 1, g.access_size);
      put(g.offset + 4, 8, g.address);
    }
    return *this;
  }
  // A table whose header came with its bytes (the DSDT, from iasl).
  Table& own_header() {
    checksummed_ = true;
    return *this;
  }
  Table& pointers(std::span<const Pointer> rows) {
    pointers_.insert(pointers_.end(), rows.begin(), rows.end());
    return *this;
  }
  // Appends a variable-length record; the table's length grows.
  void append(std::initializer_list<std::pair<unsigned, u64>> sized_values) {
    for (auto [size, value] : sized_values) {
      bytes_.resize(bytes_.size() + size);
      put(u32(bytes_.size() - size), size, value);
    }
    put(4, 4, bytes_.size());
  }

  const std::string& signature() const { return signature_; }
  std::vector<u8>& bytes() { return bytes_; }
  u32 align() const { return align_; }
  bool checksummed() const { return checksummed_; }
  const std::vector<Pointer>& pointer_rows() const { return pointers_; }

 private:
  std::string signature_;
  std::vector<u8> bytes_;
  u32 align_;
  bool checksummed_ = false;
  std::vector<Pointer> pointers_;
};

Table dsdt() {
  Table t("DSDT", u32(kDsdtAmlSize), 16);
  std::memcpy(t.bytes().data(), kDsdtAml, kDsdtAmlSize);
  t.bytes()[kChecksumOffset] = 0;  // a command recomputes it, as for the other tables
  return t.own_header();
}

Table madt(unsigned cpus) {
  Table t("APIC", 44, 16);
  t.header(kMadtRevision);
  t.put(36, 4, kLapicBase);
  t.put(40, 4, kMadtPcatCompat);
  for (unsigned i = 0; i < cpus; ++i) t.append({{1, kMadtLocalApic}, {1, 8}, {1, i}, {1, i}, {4, 1 /* enabled */}});
  t.append({{1, kMadtIoApic}, {1, 12}, {1, ioapic_id(cpus)}, {1, 0}, {4, kIoApicBase}, {4, kIoApicGsiBase}});
  for (const IsaIrqOverride& o : kIsaIrqOverrides)
    t.append({{1, kMadtSourceOverride}, {1, 10}, {1, 0 /* ISA */}, {1, o.irq}, {4, o.gsi}, {2, o.flags}});
  t.append({{1, kMadtLocalApicNmi}, {1, 6}, {1, kAllProcessors}, {2, 0}, {1, kNmiLint}});
  return t;
}

// XSDT (8-byte entries) or RSDT (4-byte entries) listing kListedTables.
Table root_table(const char* signature, u8 entry_size) {
  constexpr u32 kCount = std::size(kListedTables);
  Table t(signature, kHeaderSize + kCount * entry_size, 16);
  t.header(1);
  std::vector<Pointer> rows;
  for (u32 i = 0; i < kCount; ++i) rows.push_back({u16(kHeaderSize + i * entry_size), entry_size, kListedTables[i]});
  t.pointers(rows);
  return t;
}

std::vector<Table> all_tables(unsigned cpus) {
  std::vector<Table> t;
  t.push_back(Table("FACS", 64, 64).fields(kFacsFields));
  t.push_back(dsdt());
  t.push_back(Table("FACP", kFadtLength, 16)
                  .header(kFadtRevision)
                  .fields(kFadtFields)
                  .registers(kFadtRegisters)
                  .pointers(kFadtPointers));
  t.push_back(madt(cpus));
  t.push_back(Table("HPET", 56, 16).header(1).fields(kHpetFields).registers(kHpetRegisters));
  t.push_back(Table("MCFG", 60, 16).header(1).fields(kMcfgFields));
  t.push_back(root_table("XSDT", 8));
  t.push_back(root_table("RSDT", 4));
  return t;
}

u32 offset_of(const std::vector<TableInfo>& index, const std::string& signature) {
  for (const TableInfo& t : index)
    if (t.signature == signature) return t.offset;
  throw Error("internal: no ACPI table " + signature);
}

void put_le(std::vector<u8>& b, u32 at, u64 value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) b.at(at + i) = u8(value >> (8 * i));
}

LinkerCommand pointer_command(const char* file, const char* source, u32 offset, u8 size) {
  LinkerCommand c;
  c.kind = LinkerCommand::Kind::AddPointer;
  c.file = file;
  c.source_file = source;
  c.offset = offset;
  c.pointer_size = size;
  return c;
}

LinkerCommand checksum_command(const char* file, u32 offset, u32 start, u32 length) {
  LinkerCommand c;
  c.kind = LinkerCommand::Kind::AddChecksum;
  c.file = file;
  c.offset = offset;
  c.start = start;
  c.length = length;
  return c;
}

LinkerCommand allocate_command(const char* file, u32 align, LinkerCommand::Zone zone) {
  LinkerCommand c;
  c.kind = LinkerCommand::Kind::Allocate;
  c.file = file;
  c.align = align;
  c.zone = zone;
  return c;
}

}  // namespace

AcpiBuild build_acpi_tables(const AcpiConfig& config) {
  if (config.cpus < 1 || config.cpus > kMaxCpus) {
    throw Error("the ACPI tables describe 1 to " + std::to_string(kMaxCpus) + " vCPUs, not " +
                std::to_string(config.cpus));
  }
  AcpiBuild out;
  std::vector<Table> tables = all_tables(config.cpus);
  for (Table& t : tables) {
    while (out.tables.size() % t.align()) out.tables.push_back(0);
    out.index.push_back({t.signature(), u32(out.tables.size()), u32(t.bytes().size())});
    out.tables.insert(out.tables.end(), t.bytes().begin(), t.bytes().end());
  }
  out.commands.push_back(allocate_command(kRsdpFile, 16, LinkerCommand::Zone::Fseg));
  out.commands.push_back(allocate_command(kTablesFile, 64, LinkerCommand::Zone::High));
  // Each table's pointers, then its checksum (which covers them).
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const TableInfo& at = out.index[i];
    for (const Pointer& p : tables[i].pointer_rows()) {
      put_le(out.tables, at.offset + p.offset, offset_of(out.index, p.target), p.size);
      out.commands.push_back(pointer_command(kTablesFile, kTablesFile, at.offset + p.offset, p.size));
    }
    if (tables[i].checksummed())
      out.commands.push_back(checksum_command(kTablesFile, at.offset + kChecksumOffset, at.offset, at.length));
  }

  out.rsdp.assign(kRsdpLength, 0);
  std::memcpy(out.rsdp.data(), "RSD PTR ", 8);
  std::memcpy(&out.rsdp[9], kOemId, 6);
  out.rsdp[15] = 2;  // revision: ACPI 2.0+ (has the XSDT)
  put_le(out.rsdp, 16, offset_of(out.index, "RSDT"), 4);
  put_le(out.rsdp, 20, kRsdpLength, 4);
  put_le(out.rsdp, 24, offset_of(out.index, "XSDT"), 8);
  out.commands.push_back(pointer_command(kRsdpFile, kTablesFile, 16, 4));
  out.commands.push_back(pointer_command(kRsdpFile, kTablesFile, 24, 8));
  out.commands.push_back(checksum_command(kRsdpFile, kRsdpChecksum, 0, 20));
  out.commands.push_back(checksum_command(kRsdpFile, kRsdpExtendedChecksum, 0, kRsdpLength));
  return out;
}

PlacedAcpi place_acpi_tables(const AcpiBuild& build, u64 tables_addr, u64 rsdp_addr) {
  std::map<std::string, PlacedFile> files;
  files[kTablesFile] = {tables_addr, build.tables};
  files[kRsdpFile] = {rsdp_addr, build.rsdp};
  run_table_loader(build.commands, files);
  return {std::move(files[kTablesFile].bytes), std::move(files[kRsdpFile].bytes)};
}

}  // namespace vtlab::acpi

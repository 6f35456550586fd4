// The ACPI tables as an OS reads them: found by scanning for the RSDP,
// every checksum right, every field an OS needs as docs/firmware.md gives
// it; ACPICA's own disassembler (iasl -d) accepts each table; and the
// etc/table-loader script, run by an independent implementation, places
// the fw_cfg copy exactly as vtlab places its own.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "core/base/error.h"
#include "core/machine/acpi/acpi_tables.h"
#include "core/machine/platform_layout.h"
#include "tests/firmware/acpi_reader.h"

using namespace firmware_test;
namespace platform = vtlab::platform;

namespace {

constexpr u64 kTablesAddr = 0x7ff0000;  // where a 128 MiB machine has its ACPI region

// Guest memory holding the placed tables and RSDP; everything else reads 0.
struct PlacedMemory {
  std::map<u64, Bytes> regions;
  Bytes read(u64 addr, u64 len) const {
    Bytes out(len, 0);
    for (const auto& [base, bytes] : regions)
      for (u64 i = 0; i < len; ++i)
        if (addr + i >= base && addr + i - base < bytes.size()) out[i] = bytes[addr + i - base];
    return out;
  }
  // The reader keeps its own copy, so it outlives a temporary PlacedMemory.
  AcpiReader reader() const {
    return AcpiReader([copy = *this](u64 a, u64 n) { return copy.read(a, n); });
  }
};

PlacedMemory placed(unsigned cpus) {
  vtlab::acpi::AcpiBuild b = vtlab::acpi::build_acpi_tables({cpus});
  vtlab::acpi::PlacedAcpi p = vtlab::acpi::place_acpi_tables(b, kTablesAddr, platform::kRsdpAddr);
  PlacedMemory m;
  m.regions[kTablesAddr] = p.tables;
  m.regions[platform::kRsdpAddr] = p.rsdp;
  return m;
}

struct GasValue {
  u8 space, bit_width, bit_offset, access;
  u64 address;
};
GasValue gas(const Table& t, size_t at) {
  return {u8(t.field(at, 1)), u8(t.field(at + 1, 1)), u8(t.field(at + 2, 1)), u8(t.field(at + 3, 1)),
          t.field(at + 4, 8)};
}

// The AML encoding of EisaId("PNP0A08"): DWordPrefix, three 5-bit letters,
// four hex digits (ACPI 6.4 section 19.6.35).
Bytes eisa_id_aml(const char* id) {
  auto hexdigit = [](char c) { return u8(c <= '9' ? c - '0' : c - 'A' + 10); };
  const u8 c1 = u8(id[0] - 0x40), c2 = u8(id[1] - 0x40), c3 = u8(id[2] - 0x40);
  return {0x0c, u8(c1 << 2 | c2 >> 3), u8((c2 & 7) << 5 | c3), u8(hexdigit(id[3]) << 4 | hexdigit(id[4])),
          u8(hexdigit(id[5]) << 4 | hexdigit(id[6]))};
}

bool contains(const Bytes& hay, const Bytes& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// The value of an integer AML data object at `at` (ZeroOp, OneOp, BytePrefix).
u64 aml_integer(const Bytes& b, size_t at) {
  switch (b.at(at)) {
    case 0x00:
      return 0;
    case 0x01:
      return 1;
    case 0x0a:
      return b.at(at + 1);
    default:
      FAIL("not a small AML integer: opcode " << int(b.at(at)));
      return 0;
  }
}

}  // namespace

TEST_CASE("the RSDP is found where an OS scans, and lists the tables") {
  PlacedMemory m = placed(1);
  AcpiReader r = m.reader();
  CHECK(r.find_rsdp() == platform::kRsdpAddr);
  auto t = r.tables();
  for (const char* sig : {"FACP", "APIC", "HPET", "MCFG", "XSDT", "RSDT"}) CHECK_MESSAGE(t.count(sig), sig);
  CHECK(t.size() == 6);
  for (auto& [sig, table] : t) {
    CAPTURE(sig);
    CHECK(std::string(table.bytes.begin() + 10, table.bytes.begin() + 16) == "VTLAB ");
    CHECK(table.address >= kTablesAddr);
    CHECK(table.address + table.bytes.size() <= kTablesAddr + platform::kAcpiRegionSize);
  }
}

TEST_CASE("FADT: revision 6, PM blocks, PM timer, reset register, SCI, DSDT and FACS") {
  auto t = placed(1).reader().tables();
  const Table& f = t.at("FACP");
  CHECK(f.bytes.size() == 276);
  CHECK(f.field(8, 1) == 6);
  CHECK(f.field(46, 2) == 9);      // SCI_INT
  CHECK(f.field(48, 4) == 0);      // SMI_CMD: no ACPI enable handshake
  CHECK(f.field(56, 4) == 0x600);  // PM1a_EVT_BLK
  CHECK(f.field(64, 4) == 0x604);  // PM1a_CNT_BLK
  CHECK(f.field(76, 4) == 0x608);  // PM_TMR_BLK
  CHECK(f.field(88, 1) == 4);      // PM1_EVT_LEN
  CHECK(f.field(89, 1) == 2);      // PM1_CNT_LEN
  CHECK(f.field(91, 1) == 4);      // PM_TMR_LEN
  CHECK(f.field(80, 4) == 0);      // no GPE0 block
  CHECK(f.field(108, 1) == 0x32);  // CENTURY
  const u64 boot_arch = f.field(109, 2);
  CHECK((boot_arch & 2) != 0);  // 8042 present
  const u64 flags = f.field(112, 4);
  CHECK((flags & 1u << 10) != 0);  // RESET_REG_SUP
  CHECK((flags & 1u << 20) == 0);  // not HW_REDUCED_ACPI
  CHECK((flags & 1u << 8) == 0);   // TMR_VAL_EXT: a 24-bit PM timer
  const GasValue reset = gas(f, 116);
  CHECK(reset.space == 1);
  CHECK(reset.bit_width == 8);
  CHECK(reset.address == 0xcf9);
  CHECK(f.field(128, 1) == 0x06);  // RESET_VALUE
  CHECK(gas(f, 148).address == 0x600);
  CHECK(gas(f, 148).bit_width == 32);
  CHECK(gas(f, 172).address == 0x604);
  CHECK(gas(f, 172).bit_width == 16);
  CHECK(gas(f, 208).address == 0x608);
  CHECK(gas(f, 208).bit_width == 32);
  for (size_t at : {148u, 172u, 208u}) CHECK(gas(f, at).space == 1);

  AcpiReader r = placed(1).reader();
  const u64 dsdt = f.field(40, 4);
  CHECK(f.field(140, 8) == dsdt);  // X_DSDT
  CHECK(r.table_at(dsdt).signature == "DSDT");
  const u64 facs = f.field(36, 4);
  CHECK(facs % 64 == 0);
  Table fa = r.table_at(facs);
  CHECK(fa.signature == "FACS");
  CHECK(fa.bytes.size() == 64);
  CHECK(fa.field(32, 1) == 2);  // version
}

TEST_CASE("MADT: one enabled local APIC per vCPU, the IOAPIC, IRQ 0 and SCI overrides, LINT1 NMI") {
  for (unsigned cpus : {1u, 2u, 4u, 15u}) {
    CAPTURE(cpus);
    const Table m = placed(cpus).reader().tables().at("APIC");
    CHECK(m.field(36, 4) == 0xfee00000);
    CHECK(m.field(40, 4) == 1);  // PCAT_COMPAT
    std::vector<unsigned> apic_ids;
    unsigned ioapics = 0, nmis = 0;
    std::map<u64, std::pair<u64, u64>> overrides;  // irq -> gsi, flags
    for (size_t at = 44; at < m.bytes.size();) {
      const u64 type = m.field(at, 1), len = m.field(at + 1, 1);
      REQUIRE(len >= 2);
      switch (type) {
        case 0:
          REQUIRE(len == 8);
          CHECK(m.field(at + 2, 1) == apic_ids.size());  // processor UID
          CHECK(m.field(at + 4, 4) == 1);                // enabled
          apic_ids.push_back(unsigned(m.field(at + 3, 1)));
          break;
        case 1:
          REQUIRE(len == 12);
          ++ioapics;
          CHECK(m.field(at + 2, 1) == cpus);  // IOAPIC id N
          CHECK(m.field(at + 4, 4) == 0xfec00000);
          CHECK(m.field(at + 8, 4) == 0);
          break;
        case 2:
          REQUIRE(len == 10);
          CHECK(m.field(at + 2, 1) == 0);  // ISA
          overrides[m.field(at + 3, 1)] = {m.field(at + 4, 4), m.field(at + 8, 2)};
          break;
        case 4:
          REQUIRE(len == 6);
          ++nmis;
          CHECK(m.field(at + 2, 1) == 0xff);
          CHECK(m.field(at + 5, 1) == 1);  // LINT1
          break;
        default:
          FAIL("unexpected MADT entry type " << type);
      }
      at += len;
    }
    std::vector<unsigned> expected(cpus);
    for (unsigned i = 0; i < cpus; ++i) expected[i] = i;
    CHECK(apic_ids == expected);
    CHECK(ioapics == 1);
    CHECK(nmis == 1);
    REQUIRE(overrides.size() == 2);
    CHECK(overrides[0] == std::pair<u64, u64>{2, 0});
    CHECK(overrides[9] == std::pair<u64, u64>{9, 0xd});  // level, active high
  }
}

TEST_CASE("HPET and MCFG describe the fixed addresses") {
  auto t = placed(1).reader().tables();
  const Table& h = t.at("HPET");
  CHECK(h.bytes.size() == 56);
  CHECK(h.field(36, 4) == platform::kHpetEventTimerBlockId);
  CHECK(gas(h, 40).space == 0);
  CHECK(gas(h, 40).address == 0xfed00000);
  const Table& m = t.at("MCFG");
  CHECK(m.bytes.size() == 60);
  CHECK(m.field(44, 8) == 0xb0000000);
  CHECK(m.field(52, 2) == 0);
  CHECK(m.field(54, 1) == 0);
  CHECK(m.field(55, 1) == 255);
}

TEST_CASE("DSDT: the _S5 object and the devices an OS looks for") {
  auto t = placed(1).reader().tables();
  const Table dsdt = placed(1).reader().table_at(t.at("FACP").field(40, 4));
  CHECK(dsdt.field(8, 1) == 2);  // revision 2: 64-bit integers
  const Bytes& aml = dsdt.bytes;
  const Bytes s5 = {'_', 'S', '5', '_', 0x12};  // NameString, PackageOp
  auto at = std::search(aml.begin(), aml.end(), s5.begin(), s5.end());
  REQUIRE(at != aml.end());
  const size_t pkg = size_t(at - aml.begin()) + 5;
  REQUIRE(aml.at(pkg) < 0x40);  // a one-byte PkgLength
  CHECK(aml.at(pkg + 1) == 4);  // NumElements
  CHECK(aml_integer(aml, pkg + 2) == platform::kSlpTypS5);
  for (const char* id :
       {"PNP0A08", "PNP0A03", "PNP0B00", "PNP0303", "PNP0F13", "PNP0501", "PNP0103", "PNP0C02", "PNP0C0F"})
    CHECK_MESSAGE(contains(aml, eisa_id_aml(id)), id);
  CHECK(contains(aml, Bytes{'Q', 'E', 'M', 'U', '0', '0', '0', '2', 0}));
  // The ECAM window reserved as a motherboard resource: Memory32Fixed (0x86) at 0xB0000000, 256 MiB.
  CHECK(contains(aml, Bytes{0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb0, 0x00, 0x00, 0x00, 0x10}));
}

TEST_CASE("iasl -d, ACPICA's disassembler, accepts every table") {
  PlacedMemory m = placed(2);
  AcpiReader r = m.reader();
  auto t = r.tables();
  t["DSDT"] = r.table_at(t.at("FACP").field(40, 4));
  t["FACS"] = r.table_at(t.at("FACP").field(36, 4));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("vtlab_iasl_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (auto& [sig, table] : t) {
    CAPTURE(sig);
    const std::filesystem::path file = dir / (sig + ".dat");
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(table.bytes.data()), table.bytes.size());
    const std::string cmd =
        std::string(VTLAB_IASL) + " -d " + file.string() + " > " + (dir / (sig + ".log")).string() + " 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);
    std::ifstream dsl(dir / (sig + ".dsl"));
    std::stringstream text;
    text << dsl.rdbuf();
    const std::string s = text.str();
    CHECK(s.find("Signature") != std::string::npos);
    for (const char* bad : {"Invalid", "Incorrect", "Error", "**** Unknown"})
      CHECK_MESSAGE(s.find(bad) == std::string::npos, bad << " in\n" << s);
    if (sig == "DSDT") CHECK(s.find("_S5") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

// An implementation of the linker/loader script written from QEMU's format
// (128-byte commands), apart from the one in core/machine/acpi.
TEST_CASE("the fw_cfg tables, placed by running etc/table-loader, are the tables in RAM") {
  const vtlab::acpi::AcpiBuild b = vtlab::acpi::build_acpi_tables({2});
  const Bytes script = vtlab::acpi::encode_table_loader(b.commands);
  REQUIRE(script.size() % 128 == 0);
  std::map<std::string, Bytes> files = {{"etc/acpi/tables", b.tables}, {"etc/acpi/rsdp", b.rsdp}};
  // The fw_cfg copy keeps checksum fields zero (QEMU does; OVMF relies on it).
  CHECK(b.rsdp[8] == 0);
  CHECK(b.rsdp[32] == 0);
  std::map<std::string, u64> address;
  auto name_at = [&](size_t at) {
    std::string n(reinterpret_cast<const char*>(&script[at]), 56);
    return n.substr(0, n.find('\0'));
  };
  unsigned allocations = 0, pointers = 0, checksums = 0;
  for (size_t c = 0; c < script.size(); c += 128) {
    const u32 command = u32(le(script, c, 4));
    const std::string file = name_at(c + 4);
    REQUIRE(files.count(file));
    Bytes& f = files[file];
    switch (command) {
      case 1: {  // ALLOCATE: align, zone
        ++allocations;
        const u64 align = le(script, c + 60, 4);
        const u8 zone = script[c + 64];
        CHECK((align & (align - 1)) == 0);
        address[file] = zone == 2 ? platform::kRsdpAddr : kTablesAddr;  // FSEG, or high memory
        CHECK(address[file] % align == 0);
        if (file == "etc/acpi/rsdp") CHECK(zone == 2);
        break;
      }
      case 2: {  // ADD_POINTER: source, offset, size
        ++pointers;
        const std::string src = name_at(c + 60);
        REQUIRE(address.count(src));
        const u64 off = le(script, c + 116, 4), size = script[c + 120];
        REQUIRE((size == 1 || size == 2 || size == 4 || size == 8));
        const u64 v = le(f, off, unsigned(size)) + address[src];
        for (unsigned i = 0; i < size; ++i) f.at(off + i) = u8(v >> (8 * i));
        break;
      }
      case 3: {  // ADD_CHECKSUM: offset, start, length
        ++checksums;
        const u64 off = le(script, c + 60, 4), start = le(script, c + 64, 4), len = le(script, c + 68, 4);
        f.at(off) = u8(f.at(off) - sum8(f, start, len));
        break;
      }
      default:
        FAIL("unknown command " << command);
    }
  }
  CHECK(allocations == 2);
  CHECK(pointers == 3 + 4 + 4 + 2);  // FADT, XSDT, RSDT, RSDP
  CHECK(checksums == 7 + 2);         // every table but the FACS, and the RSDP twice
  const vtlab::acpi::PlacedAcpi p = vtlab::acpi::place_acpi_tables(b, kTablesAddr, platform::kRsdpAddr);
  CHECK(files["etc/acpi/tables"] == p.tables);
  CHECK(files["etc/acpi/rsdp"] == p.rsdp);
}

TEST_CASE("a vCPU count the tables cannot describe is an error") {
  for (unsigned cpus : {0u, 16u, 255u}) CHECK_THROWS_AS(vtlab::acpi::build_acpi_tables({cpus}), vtlab::Error);
}

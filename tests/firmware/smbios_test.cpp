// The SMBIOS tables as an OS and firmware find them (docs/firmware.md
// "SMBIOS"): the 64-bit and 32-bit entry points in the F segment with their
// checksums, every structure with its length and string set, the processor
// structures matching what the vCPUs' CPUID reports, the memory structures
// matching the RAM size and the e820 map, and fw_cfg's copy (QEMU's
// etc/smbios files) the same tables.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>

#include "core/base/error.h"
#include "core/machine/boot_image.h"
#include "core/machine/firmware/smbios_tables.h"
#include "core/machine/machine.h"
#include "tests/firmware/smbios_reader.h"

using namespace firmware_test;
using namespace vtlab;

namespace {

constexpr u64 kMiB = u64(1) << 20, kGiB = u64(1) << 30;

std::unique_ptr<Machine> booted(u64 ram, unsigned cpus) {
  MachineConfig cfg;
  cfg.ram_bytes = ram;
  cfg.cpus = cpus;
  auto m = std::make_unique<Machine>(cfg);
  BootImage img;
  img.blobs.push_back({0x100000, {0xf4}, 0, "code"});
  img.entry = 0x100000;
  m->load(img);
  return m;
}

Bytes read(Machine& m, u64 addr, u64 len) {
  Bytes b(len);
  m.memory().read_block(addr, b.data(), len);
  return b;
}

// CPUID's text: the vendor (leaf 0 EBX, EDX, ECX) or the brand (leaves
// 80000002H-80000004H), without NULs and surrounding spaces.
std::string text_of(const std::vector<u32>& words) {
  std::string s;
  for (u32 w : words)
    for (int i = 0; i < 4; ++i) s.push_back(char(w >> (8 * i)));
  s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
  s.erase(0, std::min(s.find_first_not_of(' '), s.size()));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
std::string cpu_vendor(Cpu& c) {
  u32 r[4];
  c.cpuid(0, 0, r);
  return text_of({r[1], r[3], r[2]});
}
std::string cpu_brand(Cpu& c) {
  std::vector<u32> words;
  for (u32 leaf = 0x80000002; leaf <= 0x80000004; ++leaf) {
    u32 r[4];
    c.cpuid(leaf, 0, r);
    words.insert(words.end(), r, r + 4);
  }
  return text_of(words);
}

// A fw_cfg file by name, through the file directory (item 0x19: a
// big-endian count, then 64-byte entries: size, select, reserved, name).
const std::vector<u8>* fw_cfg_file(FwCfg& f, const std::string& name) {
  const std::vector<u8>* dir = f.item(fw_cfg::kFileDir);
  REQUIRE(dir);
  const u32 count = u32((*dir)[0]) << 24 | (*dir)[1] << 16 | (*dir)[2] << 8 | (*dir)[3];
  for (u32 i = 0; i < count; ++i) {
    const u8* e = dir->data() + 4 + 64 * i;
    if (name == reinterpret_cast<const char*>(e + 8)) return f.item(u16(e[4] << 8 | e[5]));
  }
  return nullptr;
}

// The memory structures against the RAM size and the e820 map: type 16's
// capacity, type 17's sizes adding up to the RAM, type 19's ranges adding
// up to it and containing every RAM and ACPI range of the map.
void check_memory(const std::vector<SmbiosStructure>& all, u64 ram) {
  CAPTURE(ram);
  const auto arrays = of_type(all, 16);
  REQUIRE(arrays.size() == 1);
  const SmbiosStructure& a = *arrays[0];
  CHECK(a.field(0x05, 1) == 0x03);  // system memory
  const u64 capacity = a.field(0x07, 4) == 0x80000000 ? a.field(0x0f, 8) : a.field(0x07, 4) * 1024;
  CHECK(capacity == ram);
  const auto devices = of_type(all, 17);
  CHECK(a.field(0x0d, 2) == devices.size());
  u64 device_total = 0;
  for (const SmbiosStructure* d : devices) {
    CHECK(d->field(0x04, 2) == a.handle);
    const u64 size = d->field(0x0c, 2);
    REQUIRE(size != 0xffff);  // known
    if (size == 0x7fff)
      device_total += d->field(0x1c, 4) * kMiB;
    else
      device_total += size & 0x8000 ? (size & 0x7fff) * 1024 : size * kMiB;
    CHECK(!d->string_at(0x10).empty());  // device locator
  }
  CHECK(device_total == ram / kMiB * kMiB + (ram % kMiB && ram < 32 * kMiB ? ram % kMiB : 0));
  struct Range {
    u64 base, end;  // [base, end)
  };
  std::vector<Range> mapped;
  u64 mapped_total = 0;
  for (const SmbiosStructure* m : of_type(all, 19)) {
    CHECK(m->field(0x0c, 2) == a.handle);
    Range r;
    if (m->field(0x04, 4) == 0xffffffff)
      r = {m->field(0x0f, 8), m->field(0x17, 8) + 1};
    else
      r = {m->field(0x04, 4) * 1024, (m->field(0x08, 4) + 1) * 1024};
    REQUIRE(r.end > r.base);
    mapped.push_back(r);
    mapped_total += r.end - r.base;
  }
  CHECK(mapped_total == ram);
  for (const MemRange& e : vtlab::pc_memory_map(ram)) {
    if (e.length == 0 || (e.type != kE820Ram && e.type != kE820Acpi)) continue;
    CAPTURE(e.base);
    CHECK(std::any_of(mapped.begin(), mapped.end(),
                      [&](const Range& r) { return r.base <= e.base && e.base + e.length <= r.end; }));
  }
}

}  // namespace

TEST_CASE("SMBIOS: entry points in the F segment, every structure, as an OS reads them") {
  for (unsigned cpus : {1u, 3u}) {
    CAPTURE(cpus);
    const u64 ram = 64 * kMiB;
    auto m = booted(ram, cpus);
    const Bytes fseg = read(*m, 0xf0000, 0x10000);
    const SmbiosEntry3 e3 = find_smbios3(fseg);
    CHECK(e3.major == 3);
    CHECK(e3.minor == 0);
    const SmbiosEntry2 e2 = find_smbios2(fseg);
    CHECK(e2.major == e3.major);
    CHECK(e2.minor == e3.minor);
    CHECK(e2.table == e3.table);
    REQUIRE(e3.max_size > 0);
    REQUIRE(e3.max_size < 0x10000);
    const Bytes table = read(*m, e3.table, e3.max_size);
    size_t used = 0;
    const std::vector<SmbiosStructure> all = parse_smbios(table, &used);
    CHECK(used == e3.max_size);
    CHECK(e2.table_length == used);
    CHECK(e2.count == all.size());
    size_t largest = 0;
    for (const SmbiosStructure& s : all) largest = std::max(largest, s.total_size);
    CHECK(e2.max_structure == largest);
    // An OS that trusts the e820 map keeps the tables: they lie in a reserved range.
    for (const MemRange& r : vtlab::pc_memory_map(ram))
      if (r.base <= e3.table && e3.table + used <= r.base + r.length) CHECK(r.type == kE820Reserved);
    CHECK(all.back().type == 127);

    // Type 0: who made the firmware, its version and date (Linux's "DMI:" line).
    const auto bios = of_type(all, 0);
    REQUIRE(bios.size() == 1);
    CHECK(bios[0]->string_at(0x04) == "vtlab");
    CHECK(!bios[0]->string_at(0x05).empty());
    const std::string date = bios[0]->string_at(0x08);
    REQUIRE(date.size() == 10);  // mm/dd/yyyy
    CHECK((date[2] == '/' && date[5] == '/' && std::isdigit(u8(date[0])) && std::isdigit(u8(date[9]))));
    CHECK(bios[0]->field(0x06, 2) == 0xf000);

    // Type 1: the system, with a UUID that fw_cfg's UUID item repeats
    // (the first three fields little-endian in SMBIOS, DSP0134 7.2.1).
    const auto sys = of_type(all, 1);
    REQUIRE(sys.size() == 1);
    CHECK(sys[0]->string_at(0x04) == "vtlab");
    CHECK(sys[0]->string_at(0x05).find("vtlab") != std::string::npos);
    const std::vector<u8>* fw_uuid = m->fw_cfg().item(fw_cfg::kUuid);
    REQUIRE(fw_uuid);
    REQUIRE(fw_uuid->size() == 16);
    const u8 order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    bool all_zero = true, all_ff = true;
    for (int i = 0; i < 16; ++i) {
      CHECK(sys[0]->formatted[8 + i] == (*fw_uuid)[order[i]]);
      all_zero &= sys[0]->formatted[8 + i] == 0;
      all_ff &= sys[0]->formatted[8 + i] == 0xff;
    }
    CHECK(!all_zero);
    CHECK(!all_ff);

    CHECK(of_type(all, 3).size() == 1);
    CHECK(of_type(all, 32).size() == 1);
    CHECK(of_type(all, 32)[0]->field(0x0a, 1) == 0);  // boot status: no errors

    // Type 4: one per package, as CPUID's topology (leaf 0BH) has them;
    // enabled cores add up to the vCPUs; the ID, vendor, brand and speed are
    // what every vCPU's CPUID says.
    u32 r1[4], r0b[4], r16[4];
    m->cpu().cpuid(1, 0, r1);
    m->cpu().cpuid(0xb, 1, r0b);
    m->cpu().cpuid(0x16, 0, r16);
    const unsigned per_package = r0b[1] & 0xffff;
    const auto procs = of_type(all, 4);
    CHECK(procs.size() == (cpus + per_package - 1) / per_package);
    unsigned enabled = 0;
    for (const SmbiosStructure* p : procs) {
      CHECK(p->field(0x05, 1) == 3);  // central processor
      CHECK(p->field(0x08, 4) == r1[0]);
      CHECK(p->field(0x0c, 4) == r1[3]);
      CHECK(p->string_at(0x07) == cpu_vendor(m->cpu()));
      CHECK(p->string_at(0x10) == cpu_brand(m->cpu()));
      CHECK(p->field(0x16, 2) == r16[0]);
      CHECK(p->field(0x14, 2) == r16[1]);
      CHECK(p->field(0x18, 1) == 0x41);               // populated, enabled
      CHECK((p->field(0x26, 2) & 1u << 2) != 0);      // 64-bit capable
      CHECK(p->field(0x2a, 2) == p->field(0x23, 1));  // core count (2) below 256
      CHECK(p->field(0x2e, 2) == per_package);        // threads of the package
      enabled += unsigned(p->field(0x2c, 2));
      for (unsigned i = 1; i < cpus; ++i) {  // every vCPU reports the same model
        u32 ri[4];
        m->cpu(i).cpuid(1, 0, ri);
        CHECK(ri[0] == r1[0]);
      }
    }
    CHECK(enabled == cpus);
    CHECK(((procs[0]->field(0x26, 2) & 1u << 3) != 0) == (per_package > 1));  // multi-core

    check_memory(all, ram);

    // fw_cfg: the same structures, and the 64-bit entry point with the
    // table address for the firmware to fill in (QEMU's etc/smbios files).
    const std::vector<u8>* tables = fw_cfg_file(m->fw_cfg(), smbios::kTablesFile);
    const std::vector<u8>* anchor = fw_cfg_file(m->fw_cfg(), smbios::kAnchorFile);
    REQUIRE(tables);
    REQUIRE(anchor);
    CHECK(*tables == Bytes(table.begin(), table.begin() + used));
    const auto a = smbios3_at(*anchor, 0, 0);
    REQUIRE(a);
    CHECK(a->table == 0);
    CHECK(a->max_size == e3.max_size);
    CHECK(a->major == e3.major);
  }
}

TEST_CASE("SMBIOS: the memory structures for RAM sizes across every boundary") {
  for (u64 ram : std::initializer_list<u64>{2 * kMiB, 16 * kMiB + 4096, 512 * kMiB, 3 * kGiB, 3 * kGiB + 4096, 5 * kGiB,
                                            40 * kGiB, u64(1) << 40}) {
    const smbios::SmbiosBuild b = smbios::build_smbios_tables({ram, 2, 1000});
    const std::vector<SmbiosStructure> all = parse_smbios(b.tables);
    CHECK(all.size() == b.structure_count);
    check_memory(all, ram);
    CHECK(of_type(all, 19).size() == (ram > 3 * kGiB ? 2u : 1u));
  }
}

TEST_CASE("SMBIOS: a machine the tables cannot describe is refused") {
  CHECK_THROWS_AS(smbios::build_smbios_tables({64 * kMiB, 0, 1000}), Error);
  CHECK_THROWS_AS(smbios::build_smbios_tables({64 * kMiB, 16, 1000}), Error);
  CHECK_THROWS_AS(smbios::build_smbios_tables({4096, 1, 1000}), Error);
  // A hand-made image over the F segment's tables is refused, as over the ACPI tables.
  Machine m(MachineConfig{.ram_bytes = 16 * kMiB});
  BootImage over;
  over.blobs.push_back({0xf0100, Bytes(16, 0), 0, "code"});
  CHECK_THROWS_WITH_AS(m.load(over), doctest::Contains("overlaps the SMBIOS tables"), Error);
}

// Offsets and values are those of DMTF DSP0134 3.0 (SMBIOS): the entry
// points in section 5.2, the structure header and string sets in 6.1, and
// each type's table in section 7 (type 0: 7.1, 1: 7.2, 3: 7.4, 4: 7.5,
// 16: 7.17, 17: 7.18, 19: 7.20, 32: 7.33, 127: 7.45).
#include "core/machine/firmware/smbios_tables.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "core/base/error.h"
#include "core/machine/boot_image.h"
#include "core/machine/platform_layout.h"
#include "cpu/cpuid_table.h"

#ifndef VTLAB_VERSION
#error "the build defines VTLAB_VERSION (the project's version, the BIOS version of type 0)"
#endif

namespace vtlab::smbios {

namespace {

using namespace platform;

constexpr const char* kVendor = "vtlab";
constexpr const char* kProduct = "vtlab x86-64 PC";
constexpr const char* kFamily = "Virtual Machine";
// The date of this table layout's last change (type 0 "BIOS Release Date", mm/dd/yyyy).
constexpr const char* kReleaseDate = "12/02/2026";

constexpr u16 kNoHandle = 0xffff;       // type 4 cache handles: no cache structure
constexpr u16 kNoErrorHandle = 0xfffe;  // "not provided"

// One structure: the formatted area (header included) and its string set.
class Structure {
 public:
  Structure(u8 type, u8 length, u16 handle) : bytes_(length, 0) {
    put(0, 1, type);
    put(1, 1, length);
    put(2, 2, handle);
  }
  void put(u8 offset, unsigned size, u64 value) {
    for (unsigned i = 0; i < size; ++i) bytes_.at(offset + i) = u8(value >> (8 * i));
  }
  // A string field: its number in the set (1-based), or 0 for no string.
  void put_string(u8 offset, std::string_view s) {
    if (s.empty()) return put(offset, 1, 0);
    strings_.emplace_back(s);
    put(offset, 1, strings_.size());
  }
  void put_bytes(u8 offset, const u8* data, unsigned size) { std::memcpy(bytes_.data() + offset, data, size); }

  // The formatted area, each string with its NUL, and the set's final NUL
  // (two NULs for a structure without strings).
  std::vector<u8> encode() const {
    std::vector<u8> out = bytes_;
    for (const std::string& s : strings_) out.insert(out.end(), s.c_str(), s.c_str() + s.size() + 1);
    if (strings_.empty()) out.push_back(0);
    out.push_back(0);
    return out;
  }

 private:
  std::vector<u8> bytes_;
  std::vector<std::string> strings_;
};

u16 handle(u8 type, unsigned index) { return u16(type << 8 | index); }

// ---- type 0: BIOS information (3.0: 0x18 bytes) ----
Structure bios() {
  Structure s(0, 0x18, handle(0, 0));
  s.put_string(0x04, kVendor);
  s.put_string(0x05, VTLAB_VERSION);
  s.put(0x06, 2, kFSegment >> 4);  // starting segment: the F segment, where the tables live
  s.put_string(0x08, kReleaseDate);
  s.put(0x09, 1, 0);  // ROM size 64 KiB * (n + 1)
  // Characteristics: bit 3 "BIOS characteristics are not supported": there
  // is no BIOS code, so none of its services (INT 13h, APM, ...) exist.
  s.put(0x0a, 8, 1u << 3);
  s.put(0x12, 1, 1u << 0);              // extension byte 1: ACPI is supported
  s.put(0x13, 1, 1u << 2 | 1u << 4);    // extension byte 2: targeted content distribution, a virtual machine
  s.put(0x14, 1, VTLAB_VERSION_MAJOR);  // system BIOS major/minor release
  s.put(0x15, 1, VTLAB_VERSION_MINOR);
  s.put(0x16, 1, 0xff);  // no embedded controller firmware
  s.put(0x17, 1, 0xff);
  return s;
}

// ---- type 1: system information (0x1b bytes) ----
Structure system() {
  Structure s(1, 0x1b, handle(1, 0));
  s.put_string(0x04, kVendor);
  s.put_string(0x05, kProduct);
  s.put_string(0x06, VTLAB_VERSION);
  // The UUID field holds time_low, time_mid and time_hi_and_version
  // little-endian, the rest as in the text form (7.2.1, since 2.6).
  u8 uuid[16];
  std::copy(kSystemUuid.begin(), kSystemUuid.end(), uuid);
  std::reverse(uuid, uuid + 4);
  std::reverse(uuid + 4, uuid + 6);
  std::reverse(uuid + 6, uuid + 8);
  s.put_bytes(0x08, uuid, 16);
  s.put(0x18, 1, 0x06);  // wake-up type: power switch
  s.put_string(0x1a, kFamily);
  return s;
}

// ---- type 3: system enclosure (0x16 bytes with no contained elements) ----
Structure chassis() {
  Structure s(3, 0x16, handle(3, 0));
  s.put_string(0x04, kVendor);
  s.put(0x05, 1, 0x01);  // type: other
  s.put(0x09, 1, 0x03);  // boot-up, power supply, thermal state: safe
  s.put(0x0a, 1, 0x03);
  s.put(0x0b, 1, 0x03);
  s.put(0x0c, 1, 0x03);  // security status: none
  return s;
}

// ---- type 4: processor information (3.0: 0x30 bytes), one per package ----
// What CPUID reports at power-on of a vCPU of this machine.
struct CpuReport {
  u32 r[4];
  CpuReport(const CpuidContext& ctx, u32 leaf, u32 subleaf = 0) { cpuid_lookup(ctx, leaf, subleaf, r); }
  bool has(const CpuidBit& b) const { return r[unsigned(b.reg)] & cpuid_bit_mask(b); }
};

// The ASCII text of CPUID words (vendor, brand), without NULs and the
// spaces around it.
std::string cpuid_text(std::initializer_list<u32> words) {
  std::string out;
  for (u32 w : words)
    for (unsigned i = 0; i < 4; ++i) out.push_back(char(w >> (8 * i)));
  out.erase(std::find(out.begin(), out.end(), '\0'), out.end());
  out.erase(0, std::min(out.find_first_not_of(' '), out.size()));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<Structure> processors(const SmbiosConfig& config) {
  CpuidContext ctx;
  ctx.cpu_count = config.cpus;
  ctx.insns_per_us = config.insns_per_us;
  ctx.apic_enabled = true;  // IA32_APIC_BASE.EN is 1 at power-on
  const CpuReport id(ctx, 1), ext(ctx, 0x80000001), freq(ctx, 0x16);
  // Leaf 0BH (SDM Vol. 3A §10.12.8): subleaf 0 counts the threads of a
  // core, subleaf 1 the logical processors of a package.
  const u32 threads_per_core = std::max<u32>(CpuReport(ctx, 0xb, 0).r[1] & 0xffff, 1);
  const u32 per_package = std::max<u32>(CpuReport(ctx, 0xb, 1).r[1] & 0xffff, 1);
  const u32 cores = per_package / threads_per_core;
  const unsigned packages = (config.cpus + per_package - 1) / per_package;
  const CpuReport v(ctx, 0), b2(ctx, 0x80000002), b3(ctx, 0x80000003), b4(ctx, 0x80000004);
  const std::string vendor = cpuid_text({v.r[1], v.r[3], v.r[2]});
  const std::string brand = cpuid_text(
      {b2.r[0], b2.r[1], b2.r[2], b2.r[3], b3.r[0], b3.r[1], b3.r[2], b3.r[3], b4.r[0], b4.r[1], b4.r[2], b4.r[3]});
  const u16 characteristics =
      u16((ext.has(feature::LM) ? 1u << 2 : 0) | (cores > 1 ? 1u << 3 : 0) | (threads_per_core > 1 ? 1u << 4 : 0) |
          (ext.has(feature::NX) ? 1u << 5 : 0) | (id.has(feature::VMX) ? 1u << 6 : 0));
  std::vector<Structure> out;
  for (unsigned p = 0; p < packages; ++p) {
    const u32 logical = std::min<u32>(per_package, config.cpus - p * per_package);
    Structure s(4, 0x30, handle(4, p));
    s.put_string(0x04, "CPU " + std::to_string(p));  // socket designation
    s.put(0x05, 1, 0x03);                            // type: central processor
    s.put(0x06, 1, 0xfe);                            // family: see family 2
    s.put_string(0x07, vendor);
    s.put(0x08, 4, id.r[0]);  // processor ID: CPUID.1 EAX, then EDX (7.5.3.2)
    s.put(0x0c, 4, id.r[3]);
    s.put_string(0x10, brand);
    s.put(0x12, 2, freq.r[2]);    // external clock: the bus frequency of leaf 16H, MHz
    s.put(0x14, 2, freq.r[1]);    // maximum speed
    s.put(0x16, 2, freq.r[0]);    // current speed: the base frequency
    s.put(0x18, 1, 1u << 6 | 1);  // socket populated, CPU enabled
    s.put(0x19, 1, 0x01);         // upgrade: other
    s.put(0x1a, 2, kNoHandle);    // no cache structures (type 7)
    s.put(0x1c, 2, kNoHandle);
    s.put(0x1e, 2, kNoHandle);
    const u32 enabled_cores = logical / threads_per_core;
    s.put(0x23, 1, std::min<u32>(cores, 0xff));
    s.put(0x24, 1, std::min<u32>(enabled_cores, 0xff));
    s.put(0x25, 1, std::min<u32>(per_package, 0xff));
    s.put(0x26, 2, characteristics);
    s.put(0x28, 2, 0x0001);  // family 2: other (the brand names no SMBIOS family)
    s.put(0x2a, 2, cores);
    s.put(0x2c, 2, enabled_cores);
    s.put(0x2e, 2, per_package);
    out.push_back(std::move(s));
  }
  return out;
}

// ---- memory: one array (16), one device (17), a mapped range per RAM range (19) ----
struct RamRange {
  u64 base, size;
};

// Where the machine decodes RAM: from 0 up to the MMIO hole, and the rest
// relocated to 4 GiB (docs/firmware.md "Memory map"). The e820 map carves
// the BIOS area and the ACPI region out of the first; SMBIOS describes the
// memory behind them.
std::vector<RamRange> ram_ranges(u64 ram_size) {
  std::vector<RamRange> out{{0, low_ram_end(ram_size)}};
  if (ram_size > kMmioHoleStart) out.push_back({k4GiB, ram_size - kMmioHoleStart});
  return out;
}

constexpr u64 kKiB = 1024, kMiB = kKiB * 1024;

Structure memory_array(u64 ram_size) {
  Structure s(16, 0x17, handle(16, 0));
  s.put(0x04, 1, 0x03);  // location: system board
  s.put(0x05, 1, 0x03);  // use: system memory
  s.put(0x06, 1, 0x03);  // error correction: none
  const u64 kib = ram_size / kKiB;
  if (kib < 0x80000000) {
    s.put(0x07, 4, kib);
  } else {
    s.put(0x07, 4, 0x80000000);  // see the extended field, in bytes
    s.put(0x0f, 8, ram_size);
  }
  s.put(0x0b, 2, kNoErrorHandle);
  s.put(0x0d, 2, 1);  // memory devices
  return s;
}

Structure memory_device(u64 ram_size) {
  Structure s(17, 0x28, handle(17, 0));
  s.put(0x04, 2, handle(16, 0));
  s.put(0x06, 2, kNoErrorHandle);
  s.put(0x08, 2, 64);  // total and data width, bits
  s.put(0x0a, 2, 64);
  // Size: MiB (bit 15 clear) or KiB (bit 15 set) up to 0x7ffe; from 32 GiB
  // - 1 MiB, 0x7fff and the extended size in MiB (7.18.5).
  const u64 mib = ram_size / kMiB;
  if (ram_size % kMiB && ram_size / kKiB < 0x8000) {
    s.put(0x0c, 2, 0x8000 | ram_size / kKiB);
  } else if (mib < 0x7fff) {
    s.put(0x0c, 2, mib);
  } else {
    s.put(0x0c, 2, 0x7fff);
    s.put(0x1c, 4, mib);
  }
  s.put(0x0e, 1, 0x09);  // form factor: DIMM
  s.put_string(0x10, "DIMM 0");
  s.put(0x12, 1, 0x07);     // memory type: RAM
  s.put(0x13, 2, 1u << 1);  // type detail: other
  s.put_string(0x17, kVendor);
  return s;
}

Structure mapped_range(const RamRange& r, unsigned index) {
  Structure s(19, 0x1f, handle(19, index));
  const u64 last = r.base + r.size - 1;
  if (last / kKiB < 0xffffffff) {
    s.put(0x04, 4, r.base / kKiB);
    s.put(0x08, 4, last / kKiB);  // the last kilobyte's address, in KiB
  } else {
    s.put(0x04, 4, 0xffffffff);  // see the extended fields, in bytes
    s.put(0x08, 4, 0xffffffff);
    s.put(0x0f, 8, r.base);
    s.put(0x17, 8, last);
  }
  s.put(0x0c, 2, handle(16, 0));
  s.put(0x0e, 1, 1);  // partition width: one device
  return s;
}

// ---- type 32: system boot information (0x0b bytes): no errors ----
Structure boot_info() { return Structure(32, 0x0b, handle(32, 0)); }

Structure end_of_table() { return Structure(127, 4, handle(127, 0)); }

u8 checksum_byte(const std::vector<u8>& b, size_t start, size_t length) {
  u8 sum = 0;
  for (size_t i = start; i < start + length; ++i) sum = u8(sum + b[i]);
  return u8(-sum);
}

void put_le(std::vector<u8>& b, size_t at, u64 value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) b.at(at + i) = u8(value >> (8 * i));
}

}  // namespace

SmbiosBuild build_smbios_tables(const SmbiosConfig& config) {
  if (config.cpus < 1 || config.cpus > kMaxCpus)
    throw Error("SMBIOS: a machine has 1 to " + std::to_string(kMaxCpus) + " vCPUs, not " +
                std::to_string(config.cpus));
  if (config.ram_size < kMiB) throw Error("SMBIOS: the machine has less than 1 MiB of RAM");
  std::vector<Structure> all{bios(), system(), chassis()};
  for (Structure& p : processors(config)) all.push_back(std::move(p));
  all.push_back(memory_array(config.ram_size));
  all.push_back(memory_device(config.ram_size));
  unsigned index = 0;
  for (const RamRange& r : ram_ranges(config.ram_size)) all.push_back(mapped_range(r, index++));
  all.push_back(boot_info());
  all.push_back(end_of_table());

  SmbiosBuild out;
  for (const Structure& s : all) {
    const std::vector<u8> bytes = s.encode();
    out.tables.insert(out.tables.end(), bytes.begin(), bytes.end());
    out.max_structure_size = std::max<u16>(out.max_structure_size, u16(bytes.size()));
  }
  out.structure_count = u16(all.size());
  if (out.tables.size() > kSmbiosTablesEnd - kSmbiosTablesAddr)
    throw Error("internal: the SMBIOS tables outgrew the F segment");
  return out;
}

std::vector<u8> entry_point_64(const SmbiosBuild& build, u64 tables_addr) {
  std::vector<u8> ep(0x18, 0);
  std::memcpy(ep.data(), "_SM3_", 5);
  put_le(ep, 0x06, ep.size(), 1);
  put_le(ep, 0x07, kVersionMajor, 1);
  put_le(ep, 0x08, kVersionMinor, 1);
  put_le(ep, 0x09, kDocRevision, 1);
  put_le(ep, 0x0a, 0x01, 1);                 // entry point revision: 3.0
  put_le(ep, 0x0c, build.tables.size(), 4);  // structure table maximum size
  put_le(ep, 0x10, tables_addr, 8);
  ep[0x05] = checksum_byte(ep, 0, ep.size());
  return ep;
}

std::vector<u8> entry_point_32(const SmbiosBuild& build, u32 tables_addr) {
  std::vector<u8> ep(0x1f, 0);
  std::memcpy(ep.data(), "_SM_", 4);
  put_le(ep, 0x05, ep.size(), 1);
  put_le(ep, 0x06, kVersionMajor, 1);
  put_le(ep, 0x07, kVersionMinor, 1);
  put_le(ep, 0x08, build.max_structure_size, 2);
  std::memcpy(ep.data() + 0x10, "_DMI_", 5);  // the intermediate anchor
  put_le(ep, 0x16, build.tables.size(), 2);
  put_le(ep, 0x18, tables_addr, 4);
  put_le(ep, 0x1c, build.structure_count, 2);
  put_le(ep, 0x1e, kVersionMajor << 4 | kVersionMinor, 1);  // BCD revision
  ep[0x15] = checksum_byte(ep, 0x10, 0x0f);                 // intermediate checksum, then the whole
  ep[0x04] = checksum_byte(ep, 0, ep.size());
  return ep;
}

}  // namespace vtlab::smbios

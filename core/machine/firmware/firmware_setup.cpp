#include "core/machine/firmware/firmware_setup.h"

#include "core/base/error.h"
#include "core/machine/acpi/acpi_tables.h"
#include "core/machine/firmware/smbios_tables.h"
#include "core/machine/platform_layout.h"

namespace vtlab {

namespace {

using namespace platform;

static_assert(kMmioHoleStart == PhysMem::kHoleStart, "the memory map and PhysMem agree on the 3 GiB hole");

constexpr u64 kRsdpAreaSize = 36;

std::string hex(u64 v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(v));
  return text;
}

void require_no_overlap(const BootImage& image, u64 base, u64 size, const char* what) {
  for (const BootBlob& b : image.blobs) {
    const u64 len = b.bytes.size() + b.zero_fill;
    if (len && b.addr < base + size && base < b.addr + len) {
      throw Error(b.what + " at " + hex(b.addr) + " overlaps " + what + " [" + hex(base) + ", " + hex(base + size) +
                  ")");
    }
  }
}

void set_kernel_items(FwCfg& f, const KernelFwCfgItems& k) {
  using namespace fw_cfg;
  struct Part {
    u16 addr_key, size_key, data_key;
    u32 addr;
    const std::vector<u8>& data;
  };
  const Part parts[] = {
      {kKernelAddr, kKernelSize, kKernelData, k.kernel_addr, k.kernel},
      {kInitrdAddr, kInitrdSize, kInitrdData, k.initrd_addr, k.initrd},
      {kCmdlineAddr, kCmdlineSize, kCmdlineData, k.cmdline_addr, k.cmdline},
      {kSetupAddr, kSetupSize, kSetupData, k.setup_addr, k.setup},
  };
  for (const Part& p : parts) {
    if (p.data.empty()) continue;
    f.set_le(p.addr_key, p.addr, 4);
    f.set_le(p.size_key, p.data.size(), 4);
    f.set_item(p.data_key, p.data);
  }
}

}  // namespace

std::vector<u8> e820_file(u64 ram_size) {
  std::vector<u8> out;
  auto put = [&out](u64 v, unsigned size) {
    for (unsigned i = 0; i < size; ++i) out.push_back(u8(v >> (8 * i)));
  };
  for (const MemRange& r : pc_memory_map(ram_size)) {
    if (r.length == 0) continue;
    put(r.base, 8);
    put(r.length, 8);
    put(r.type, 4);
  }
  return out;
}

void install_firmware(const FirmwareConfig& config, const BootImage& image, PhysMem& mem, FwCfg& fw_cfg) {
  const std::optional<u64> region = acpi_region_base(config.ram_size);
  if (!region) throw Error("the machine needs at least 2 MiB of RAM (for its ACPI tables)");
  require_no_overlap(image, *region, kAcpiRegionSize, "the ACPI tables");
  require_no_overlap(image, kRsdpAddr, kRsdpAreaSize, "the ACPI RSDP");

  const acpi::AcpiBuild acpi = acpi::build_acpi_tables({config.cpus});
  if (acpi.tables.size() > kAcpiRegionSize) throw Error("internal: the ACPI tables outgrew their region");
  const acpi::PlacedAcpi placed = acpi::place_acpi_tables(acpi, *region, kRsdpAddr);
  mem.write_block(*region, placed.tables.data(), placed.tables.size());
  mem.write_block(kRsdpAddr, placed.rsdp.data(), placed.rsdp.size());

  const smbios::SmbiosBuild smbios = smbios::build_smbios_tables({config.ram_size, config.cpus, config.insns_per_us});
  require_no_overlap(image, kFSegment, kSmbiosTablesAddr + smbios.tables.size() - kFSegment, "the SMBIOS tables");
  const std::vector<u8> smbios3 = smbios::entry_point_64(smbios, kSmbiosTablesAddr);
  const std::vector<u8> smbios2 = smbios::entry_point_32(smbios, u32(kSmbiosTablesAddr));
  mem.write_block(kSmbios3EntryAddr, smbios3.data(), smbios3.size());
  mem.write_block(kSmbios2EntryAddr, smbios2.data(), smbios2.size());
  mem.write_block(kSmbiosTablesAddr, smbios.tables.data(), smbios.tables.size());

  using namespace fw_cfg;
  fw_cfg.clear_items();
  fw_cfg.set_item(kUuid, std::vector<u8>(smbios::kSystemUuid.begin(), smbios::kSystemUuid.end()));
  fw_cfg.set_le(kRamSize, config.ram_size, 8);
  fw_cfg.set_le(kNoGraphic, 1, 2);  // no display: the console is serial
  fw_cfg.set_le(kNbCpus, config.cpus, 2);
  fw_cfg.set_le(fw_cfg::kMaxCpus, config.cpus, 2);
  fw_cfg.set_le(kIrq0Override, 1, 4);
  set_kernel_items(fw_cfg, image.fw_cfg);
  fw_cfg.add_file("etc/e820", e820_file(config.ram_size));
  fw_cfg.add_file(acpi::kTablesFile, acpi.tables);
  fw_cfg.add_file(acpi::kRsdpFile, acpi.rsdp);
  fw_cfg.add_file(acpi::kTableLoaderFile, acpi::encode_table_loader(acpi.commands));
  // As QEMU: the structures, and the entry point with a table address of
  // 0 for the firmware that installs them to fill in.
  fw_cfg.add_file(smbios::kTablesFile, smbios.tables);
  fw_cfg.add_file(smbios::kAnchorFile, smbios::entry_point_64(smbios, 0));
}

}  // namespace vtlab

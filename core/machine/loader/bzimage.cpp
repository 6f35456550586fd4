#include "core/machine/loader/bzimage.h"

#include <algorithm>

#include "core/machine/platform_layout.h"
#include "core/machine/loader/bzimage_header.h"
#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/guest_ram.h"
#include "core/machine/loader/hex.h"
#include "core/machine/loader/multiboot_common.h"

namespace vtlab::loader {

namespace {

using namespace linux_header;
using namespace linux_boot;

// boot_params, the "zero page" (Documentation/arch/x86/zero-page.rst).
constexpr u64 kZeroPageSize = 4096;
constexpr u64 kAcpiRsdpAddr = 0x070;         // u64
constexpr u64 kE820Entries = 0x1e8;          // u8
constexpr u64 kSetupHeader = 0x1f1;          // the setup header, as in the file
constexpr u64 kSetupHeaderEnd = 0x290;       // where boot_params' next field (edd_mbr_sig_buffer) starts
constexpr u64 kHardwareSubarchData = 0x240;  // u64
constexpr u64 kE820Table = 0x2d0;            // entries of u64 addr, u64 size, u32 type
constexpr u64 kE820EntrySize = 20;
constexpr u64 kE820MaxEntries = 128;

constexpr u64 kMiB = u64(1) << 20;

// Flat 4 GiB descriptors: __BOOT_CS (64-bit code with L=1, or 32-bit code)
// and __BOOT_DS, accessed bits set so loading them writes nothing.
constexpr u64 kCode64Descriptor = 0x00af9b000000ffff;
constexpr u64 kCode32Descriptor = 0x00cf9b000000ffff;
constexpr u64 kDataDescriptor = 0x00cf93000000ffff;

constexpr u64 kPte = 0x3;         // present, writable
constexpr u64 kLargePage = 0x80;  // PS: a 2 MiB page in a PD

void put_le(std::vector<u8>& b, u64 at, u64 value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) b.at(at + i) = u8(value >> (8 * i));
}

// Where the kernel goes and the RAM it needs before it reads the memory map.
struct Placement {
  u64 load_addr = 0;      // the protected-mode kernel's first byte
  u64 runtime_start = 0;  // where it decompresses and runs (boot.rst, init_size)
  u64 runtime_size = 0;
  u64 end() const { return std::max(runtime_start + runtime_size, load_addr); }
};

// boot.rst: a relocatable kernel may go to any address aligned to
// kernel_alignment and runs where it was loaded; vtlab loads it at
// pref_address (its link address: no relocation needed), a non-relocatable
// bzImage at 1 MiB, from where it moves itself to pref_address.
Placement place_kernel(const SetupHeader& h, const FileBytes& f) {
  Placement p;
  const u64 preferred = h.pref_address ? h.pref_address : kDefaultLoadAddr;
  if (h.relocatable) {
    auto aligned = checked_align_up(std::max(preferred, kDefaultLoadAddr), h.kernel_alignment);
    if (!aligned) f.fail("pref_address " + hex(h.pref_address) + " cannot be aligned to kernel_alignment");
    p.load_addr = p.runtime_start = *aligned;
  } else {
    p.load_addr = kDefaultLoadAddr;
    p.runtime_start = preferred;
  }
  p.runtime_size = std::max<u64>(h.init_size, h.kernel_size);
  return p;
}

// The RAM range from 1 MiB up (it ends at the ACPI tables region).
MemRange high_ram(u64 ram_size) {
  for (const MemRange& r : pc_memory_map(ram_size))
    if (r.type == kE820Ram && r.base == platform::kHighRamStart) return r;
  return {platform::kHighRamStart, 0, kE820Ram};
}

// The whole kernel must lie in the RAM from 1 MiB up; if it does not, say
// how much --mem it needs.
void require_kernel_fits(const Placement& p, u64 kernel_size, const FileBytes& f, u64 ram_size) {
  const MemRange ram = high_ram(ram_size);
  auto runtime_end = checked_add(p.runtime_start, p.runtime_size);
  auto load_end = checked_add(p.load_addr, kernel_size);
  if (!runtime_end || !load_end) f.fail("the kernel's load address " + hex(p.runtime_start) + " is impossible");
  const u64 end = std::max(*runtime_end, *load_end);
  if (p.load_addr >= ram.base && p.runtime_start >= ram.base && end <= ram.base + ram.length) return;
  std::string where = "the kernel runs at " + hex(p.runtime_start) + " and needs " + std::to_string(p.runtime_size) +
                      " bytes there (init_size)";
  if (p.load_addr != p.runtime_start) where += ", loaded at " + hex(p.load_addr);
  const u64 top = platform::kMmioHoleStart - platform::kAcpiRegionSize;
  if (end > top) f.fail(where + ": that reaches " + hex(end) + ", beyond the RAM below 3 GiB");
  const u64 needed_mib = (end + platform::kAcpiRegionSize + kMiB - 1) / kMiB;
  f.fail(where + ", up to " + hex(end) + "; the machine has " + std::to_string(ram_size / kMiB) +
         " MiB: give it --mem " + std::to_string(needed_mib) + "M or more");
}

// QEMU's rule: the initrd goes as high as it may, below initrd_addr_max and
// the end of RAM below 4 GiB, page-aligned.
u64 place_initrd(u64 size, const SetupHeader& h, const Placement& p, const FileBytes& f, const BootOptions& opts) {
  const MemRange ram = high_ram(opts.ram_size);
  const u64 limit = std::min(u64(h.initrd_addr_max) + 1, ram.base + ram.length);
  const std::string what = "the initrd '" + opts.initrd_path + "' (" + std::to_string(size) + " bytes)";
  if (size > limit || ((limit - size) & ~(kPageSize - 1)) < p.end()) {
    f.fail("no room for " + what + " between the kernel's end " + hex(p.end()) + " and " + hex(limit) +
           " (the lower of initrd_addr_max + 1 and the end of RAM below 3 GiB); the machine needs more RAM");
  }
  return (limit - size) & ~(kPageSize - 1);
}

std::vector<u8> boot_gdt(bool long_mode) {
  std::vector<u8> gdt(4 * 8, 0);
  put_le(gdt, kBootCs, long_mode ? kCode64Descriptor : kCode32Descriptor, 8);
  put_le(gdt, kBootDs, kDataDescriptor, 8);
  return gdt;
}

// Identity map of 0-4 GiB with 2 MiB pages: covers everything the loader
// places (all of it lies below 4 GiB), as the 64-bit protocol asks.
std::vector<u8> identity_page_tables() {
  std::vector<u8> t(kPageTablesSize, 0);
  const u64 pdpt = kPageTablesAddr + 0x1000, pd = kPageTablesAddr + 0x2000;
  put_le(t, 0, pdpt | kPte, 8);
  for (u64 i = 0; i < 4; ++i) put_le(t, 0x1000 + i * 8, (pd + i * 0x1000) | kPte, 8);
  for (u64 i = 0; i < 4 * 512; ++i) put_le(t, 0x2000 + i * 8, (i << 21) | kPte | kLargePage, 8);
  return t;
}

struct HeaderValues {
  u64 load_addr = 0, initrd_addr = 0, initrd_size = 0;
};

// The setup header as the kernel must find it: the file's bytes with the
// fields a boot loader writes (boot.rst, "type: write/modify").
void fill_header(std::vector<u8>& b, u64 base, const FileBytes& f, const SetupHeader& h, const HeaderValues& v) {
  // At most boot_params' header area: a header claiming more (the byte at
  // 0x201 goes up to 0x301) must not spill into the e820 table.
  const u64 end = std::min(h.header_end, kSetupHeaderEnd);
  auto header = f.slice(kSetupHeader, end - kSetupHeader, "Linux setup header");
  std::copy(header.begin(), header.end(), b.begin() + base + kSetupHeader);
  put_le(b, base + kTypeOfLoader, kLoaderId, 1);
  put_le(b, base + kLoadFlags, kLoadedHigh, 1);  // no QUIET, no real-mode heap
  put_le(b, base + kCode32Start, v.load_addr, 4);
  put_le(b, base + kRamdiskImage, v.initrd_addr, 4);
  put_le(b, base + kRamdiskSize, v.initrd_size, 4);
  put_le(b, base + kCmdLinePtr, kCmdlineAddr, 4);
}

std::vector<u8> zero_page(const FileBytes& f, const SetupHeader& h, const HeaderValues& v, u64 ram_size) {
  std::vector<u8> zp(kZeroPageSize, 0);
  // screen_info (0x000) stays zero: no video adapter, the console is serial.
  put_le(zp, kAcpiRsdpAddr, platform::kRsdpAddr, 8);
  fill_header(zp, 0, f, h, v);
  put_le(zp, kHardwareSubarch, 0, 4);  // the default x86/PC environment
  put_le(zp, kHardwareSubarchData, 0, 8);
  const std::vector<MemRange> map = reported_memory_map(ram_size);
  if (map.size() > kE820MaxEntries) throw Error("internal: the memory map has too many entries for boot_params");
  put_le(zp, kE820Entries, map.size(), 1);
  for (std::size_t i = 0; i < map.size(); ++i) {
    const u64 at = kE820Table + i * kE820EntrySize;
    put_le(zp, at, map[i].base, 8);
    put_le(zp, at + 8, map[i].length, 8);
    put_le(zp, at + 16, map[i].type, 4);
  }
  return zp;
}

}  // namespace

BootImage load_bzimage(const FileBytes& f, std::span<const u8> initrd, const BootOptions& opts) {
  const SetupHeader h = read_setup_header(f);
  if (!opts.module_paths.empty())
    f.fail("is a Linux kernel: --module is for Multiboot kernels; give the initial ramdisk with --initrd");
  require_no_nul(opts.cmdline, "the command line");
  if (opts.cmdline.size() > h.cmdline_size || opts.cmdline.size() >= kCmdlineMax) {
    f.fail("the command line is " + std::to_string(opts.cmdline.size()) + " bytes; this kernel takes at most " +
           std::to_string(std::min<u64>(h.cmdline_size, kCmdlineMax - 1)) + " (cmdline_size)");
  }
  const bool long_mode = h.has_64bit_entry();
  const Placement p = place_kernel(h, f);
  require_kernel_fits(p, h.kernel_size, f, opts.ram_size);

  HeaderValues v;
  v.load_addr = p.load_addr;
  if (!initrd.empty()) {
    v.initrd_addr = place_initrd(initrd.size(), h, p, f, opts);
    v.initrd_size = initrd.size();
  }

  BootImage image;
  image.protocol = "linux";
  image.mode = long_mode ? StartMode::Long64 : StartMode::Protected32;
  // boot.rst: the 64-bit entry is 0x200 past the 32-bit one, the load address.
  image.entry = long_mode ? p.load_addr + 0x200 : p.load_addr;
  image.esi = kBootParamsAddr;
  image.gdt_base = kGdtAddr;
  image.gdt_limit = 4 * 8 - 1;
  if (long_mode) image.cr3 = kPageTablesAddr;

  auto kernel = f.slice(h.setup_size, h.kernel_size, "protected-mode kernel");
  std::vector<u8> cmdline(opts.cmdline.begin(), opts.cmdline.end());
  cmdline.push_back(0);
  image.blobs.push_back({p.load_addr, {kernel.begin(), kernel.end()}, 0, "linux kernel"});
  image.blobs.push_back({kBootParamsAddr, zero_page(f, h, v, opts.ram_size), 0, "boot_params"});
  image.blobs.push_back({kCmdlineAddr, cmdline, 0, "kernel command line"});
  image.blobs.push_back({kGdtAddr, boot_gdt(long_mode), 0, "boot GDT"});
  if (long_mode) image.blobs.push_back({kPageTablesAddr, identity_page_tables(), 0, "boot page tables"});
  if (!initrd.empty()) image.blobs.push_back({v.initrd_addr, {initrd.begin(), initrd.end()}, 0, "initrd"});
  require_valid_layout(image, f.name(), opts.ram_size);

  // What QEMU's -kernel gives firmware through fw_cfg.
  KernelFwCfgItems& items = image.fw_cfg;
  items.kernel_addr = u32(p.load_addr);
  items.kernel.assign(kernel.begin(), kernel.end());
  items.initrd_addr = u32(v.initrd_addr);
  items.initrd.assign(initrd.begin(), initrd.end());
  items.cmdline_addr = u32(kCmdlineAddr);
  items.cmdline = std::move(cmdline);
  items.setup_addr = u32(kBootParamsAddr);
  auto setup = f.slice(0, h.setup_size, "Linux setup area");
  items.setup.assign(setup.begin(), setup.end());
  fill_header(items.setup, 0, f, h, v);
  return image;
}

}  // namespace vtlab::loader

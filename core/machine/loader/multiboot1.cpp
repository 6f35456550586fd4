#include "core/machine/loader/multiboot1.h"

#include "core/machine/loader/address_fields.h"
#include "core/machine/loader/elf_kernel.h"
#include "core/machine/loader/guest_ram.h"
#include "core/machine/loader/hex.h"
#include "core/machine/loader/le_buffer.h"
#include "core/machine/loader/multiboot_search.h"

namespace vtlab::loader {
namespace {

// Header flags (spec 3.1.2). Bits 0-15 are requirements: a loader that does
// not understand one must refuse the kernel.
constexpr u32 kAlignModules = 1u << 0;    // always done
constexpr u32 kWantsMemoryInfo = 1u << 1; // always given
constexpr u32 kWantsVideoMode = 1u << 2;  // accepted; we report no video mode (MBI bits 11/12 clear)
constexpr u32 kAoutKludge = 1u << 16;
constexpr u32 kKnownRequiredFlags = kAlignModules | kWantsMemoryInfo | kWantsVideoMode;
constexpr u32 kRequiredFlagMask = 0xffff;

// Header sizes: the basic three fields; with the address fields (bit 16);
// with the video mode fields (bit 2), which follow the address fields.
constexpr u64 kBasicHeaderSize = 12;
constexpr u64 kHeaderSizeWithAddresses = 32;
constexpr u64 kHeaderSizeWithVideo = 48;

// MBI flags (spec 3.3) and field offsets.
constexpr u32 kMbiMemory = 1u << 0;
constexpr u32 kMbiCmdline = 1u << 2;
constexpr u32 kMbiModules = 1u << 3;
constexpr u32 kMbiMemoryMap = 1u << 6;
constexpr u32 kMbiBootLoaderName = 1u << 9;
constexpr u64 kMbiFlags = 0, kMbiMemLower = 4, kMbiMemUpper = 8, kMbiCmdlineAddr = 16, kMbiModsCount = 20,
              kMbiModsAddr = 24, kMbiMmapLength = 44, kMbiMmapAddr = 48, kMbiBootLoaderNameAddr = 64;
constexpr u64 kMbiSize = 116;  // through the framebuffer colour info of 0.6.96
constexpr u64 kModuleEntrySize = 16;
constexpr u32 kMmapEntrySize = 20;  // the "size" field's value: the entry without the size field

KernelLoad load_kernel(const FileBytes& f, u64 at, u32 flags, u64 ram_size) {
  if (flags & kAoutKludge) {
    // Spec 3.1.3: with bit 16 the address fields win over any executable format.
    AddressFields a;
    a.header_addr = f.u32_at(at + 12, "Multiboot header_addr");
    a.load_addr = f.u32_at(at + 16, "Multiboot load_addr");
    a.load_end_addr = f.u32_at(at + 20, "Multiboot load_end_addr");
    a.bss_end_addr = f.u32_at(at + 24, "Multiboot bss_end_addr");
    a.entry_addr = f.u32_at(at + 28, "Multiboot entry_addr");
    return load_by_address_fields(f, at, kHeaderSizeWithAddresses, a, "a.out kludge", ram_size);
  }
  if (!has_elf_magic(f)) {
    f.fail("has a Multiboot header without the a.out kludge (flags bit 16) but is not an ELF file; "
           "a Multiboot 1 kernel is ELF or gives its load addresses with bit 16");
  }
  return load_elf_kernel(f, ram_size);
}

// Fields the MBI points at are placed after the fixed part, at offsets
// recorded here, and patched to guest addresses once the MBI is placed.
struct MbiLayout {
  LeBuffer buffer;
  u64 mmap_offset = 0, modules_offset = 0, cmdline_offset = 0, name_offset = 0;
  std::vector<u64> module_string_offsets;
};

MbiLayout lay_out_mbi(const BootOptions& opts, std::span<const ModuleFile> modules) {
  MbiLayout m;
  LeBuffer& b = m.buffer;
  b.append_zeros(kMbiSize);
  b.align(8);
  m.mmap_offset = b.size();
  for (const MemRange& r : reported_memory_map(opts.ram_size)) {
    b.append_u32(kMmapEntrySize);
    b.append_u64(r.base);
    b.append_u64(r.length);
    b.append_u32(r.type);
  }
  m.modules_offset = b.size();
  b.append_zeros(kModuleEntrySize * modules.size());
  m.cmdline_offset = b.size();
  b.append_cstring(multiboot1_cmdline(opts));
  m.name_offset = b.size();
  b.append_cstring(kBootLoaderName);
  for (const ModuleFile& mod : modules) {
    m.module_string_offsets.push_back(b.size());
    b.append_cstring(mod.path);
  }
  return m;
}

void fill_mbi(MbiLayout& m, u64 mbi_addr, const std::vector<PlacedModule>& placed, u64 ram_size) {
  LeBuffer& b = m.buffer;
  auto addr = [&](u64 offset) { return static_cast<u32>(mbi_addr + offset); };  // mbi is below 4 GiB
  b.put_u32(kMbiFlags, kMbiMemory | kMbiCmdline | kMbiModules | kMbiMemoryMap | kMbiBootLoaderName);
  b.put_u32(kMbiMemLower, mem_lower_kib(ram_size));
  b.put_u32(kMbiMemUpper, mem_upper_kib(ram_size));
  b.put_u32(kMbiCmdlineAddr, addr(m.cmdline_offset));
  b.put_u32(kMbiModsCount, static_cast<u32>(placed.size()));
  b.put_u32(kMbiModsAddr, addr(m.modules_offset));
  b.put_u32(kMbiMmapLength, static_cast<u32>(m.modules_offset - m.mmap_offset));
  b.put_u32(kMbiMmapAddr, addr(m.mmap_offset));
  b.put_u32(kMbiBootLoaderNameAddr, addr(m.name_offset));
  for (size_t i = 0; i < placed.size(); ++i) {
    u64 entry = m.modules_offset + i * kModuleEntrySize;
    b.put_u32(entry + 0, placed[i].start);
    b.put_u32(entry + 4, placed[i].end);
    b.put_u32(entry + 8, addr(m.module_string_offsets[i]));
    // entry + 12: reserved, 0
  }
}

}  // namespace

std::string multiboot1_cmdline(const BootOptions& opts) { return opts.image_path + " " + opts.cmdline; }

BootImage load_multiboot1(const FileBytes& f, u64 at, std::span<const ModuleFile> modules, const BootOptions& opts) {
  u32 flags = f.u32_at(at + 4, "Multiboot flags");
  u32 unknown_required = flags & kRequiredFlagMask & ~kKnownRequiredFlags;
  if (unknown_required != 0) {
    f.fail("the Multiboot header requires features vtlab does not know (flags bits " + hex(unknown_required) +
           " of the required bits 0-15)");
  }
  u64 header_size = (flags & kWantsVideoMode)  ? kHeaderSizeWithVideo
                    : (flags & kAoutKludge) ? kHeaderSizeWithAddresses
                                            : kBasicHeaderSize;
  if (at + header_size > kMultiboot1SearchBytes) {
    f.fail("the Multiboot header at offset " + hex(at) + " (" + std::to_string(header_size) +
           " bytes with its flags) does not fit in the first 8192 bytes of the file");
  }
  f.slice(at, header_size, "Multiboot header");
  require_no_nul(opts.cmdline, "the command line");
  require_no_nul(opts.image_path, "the image path");

  KernelLoad kernel = load_kernel(f, at, flags, opts.ram_size);
  require_below_4gib(kernel, f);
  require_entry_in_segments(kernel, f);

  const u64 kernel_end = kernel.end_addr();
  BootImage image;
  image.protocol = "multiboot1";
  image.mode = StartMode::Protected32;
  image.entry = kernel.entry;
  image.eax = kMultiboot1BootloaderMagic;
  image.blobs = std::move(kernel.segments);

  MbiLayout mbi = lay_out_mbi(opts, modules);
  GuestAllocator allocator(kernel_end, opts.ram_size, f.name());
  u64 mbi_addr = allocator.take(mbi.buffer.size(), "the Multiboot information");
  std::vector<PlacedModule> placed = place_modules(modules, allocator, image.blobs);
  fill_mbi(mbi, mbi_addr, placed, opts.ram_size);
  image.ebx = static_cast<u32>(mbi_addr);
  image.blobs.push_back({mbi_addr, std::move(mbi.buffer.bytes()), 0, "multiboot info"});

  require_valid_layout(image, f.name(), opts.ram_size);
  return image;
}

}  // namespace vtlab::loader

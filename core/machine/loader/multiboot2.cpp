#include "core/machine/loader/multiboot2.h"

#include "core/machine/loader/address_fields.h"
#include "core/machine/loader/elf_kernel.h"
#include "core/machine/loader/guest_ram.h"
#include "core/machine/loader/hex.h"
#include "core/machine/loader/le_buffer.h"
#include "core/machine/loader/multiboot2_header.h"

namespace vtlab::loader {
namespace {

// Boot information tag types (spec 2.0 section 3.6).
constexpr u32 kInfoEnd = 0, kInfoCmdline = 1, kInfoBootLoaderName = 2, kInfoModule = 3, kInfoBasicMeminfo = 4,
              kInfoMemoryMap = 6, kInfoLoadBaseAddr = 21;
constexpr u32 kMmapEntrySize = 24;
constexpr u32 kMmapEntryVersion = 0;

KernelLoad load_kernel(const FileBytes& f, u64 at, const Multiboot2Header& h, u64 ram_size) {
  // Spec 3.1.5: the address tag, when present, replaces the executable format.
  if (h.address) return load_by_address_fields(f, at, h.size, *h.address, "address tag", ram_size);
  if (!has_elf_magic(f)) {
    f.fail("has a Multiboot 2 header without an address tag but is not an ELF file");
  }
  KernelLoad kernel = load_elf_kernel(f, ram_size);
  if (h.entry) kernel.entry = *h.entry;  // spec 3.1.6: the entry address tag overrides e_entry
  return kernel;
}

// The boot information, with the offsets of the module address fields that
// are filled in once the modules are placed.
struct InfoLayout {
  LeBuffer buffer;
  std::vector<u64> module_field_offsets;
};

void append_string_tag(LeBuffer& b, u32 type, const std::string& text) {
  b.append_u32(type);
  b.append_u32(static_cast<u32>(8 + text.size() + 1));
  b.append_cstring(text);
  b.align(8);
}

InfoLayout lay_out_info(const BootOptions& opts, std::span<const ModuleFile> modules, u64 load_base) {
  InfoLayout info;
  LeBuffer& b = info.buffer;
  b.append_u32(0);  // total_size, filled below
  b.append_u32(0);  // reserved
  // GRUB 2's convention: the cmdline tag holds the arguments only.
  append_string_tag(b, kInfoCmdline, opts.cmdline);
  append_string_tag(b, kInfoBootLoaderName, kBootLoaderName);
  for (const ModuleFile& m : modules) {
    b.append_u32(kInfoModule);
    b.append_u32(static_cast<u32>(16 + m.path.size() + 1));
    info.module_field_offsets.push_back(b.size());
    b.append_u32(0);  // mod_start
    b.append_u32(0);  // mod_end
    b.append_cstring(m.path);
    b.align(8);
  }
  b.append_u32(kInfoBasicMeminfo);
  b.append_u32(16);
  b.append_u32(mem_lower_kib(opts.ram_size));
  b.append_u32(mem_upper_kib(opts.ram_size));
  auto map = reported_memory_map(opts.ram_size);
  b.append_u32(kInfoMemoryMap);
  b.append_u32(static_cast<u32>(16 + kMmapEntrySize * map.size()));
  b.append_u32(kMmapEntrySize);
  b.append_u32(kMmapEntryVersion);
  for (const MemRange& r : map) {
    b.append_u64(r.base);
    b.append_u64(r.length);
    b.append_u32(r.type);
    b.append_u32(0);
  }
  b.append_u32(kInfoLoadBaseAddr);
  b.append_u32(12);
  b.append_u32(static_cast<u32>(load_base));  // the kernel is below 4 GiB
  b.align(8);
  b.append_u32(kInfoEnd);
  b.append_u32(8);
  b.put_u32(0, static_cast<u32>(b.size()));
  return info;
}

void require_within_relocatable_range(const KernelLoad& kernel, const Multiboot2Header& h, const FileBytes& f) {
  if (!h.relocatable) return;
  // vtlab loads a relocatable image at its link address (its preferred
  // address) and never moves it, so that address must satisfy the tag.
  if (kernel.lowest_addr() < h.relocatable->min_addr || kernel.end_addr() > u64{h.relocatable->max_addr}) {
    f.fail("the kernel's link address range " + hex_range(kernel.lowest_addr(), kernel.end_addr()) +
           " is outside the relocatable tag's range " + hex(h.relocatable->min_addr) + ".." +
           hex(h.relocatable->max_addr) + "; vtlab does not relocate kernels");
  }
}

}  // namespace

BootImage load_multiboot2(const FileBytes& f, u64 at, std::span<const ModuleFile> modules, const BootOptions& opts) {
  Multiboot2Header header = parse_multiboot2_header(f, at);
  require_no_nul(opts.cmdline, "the command line");

  KernelLoad kernel = load_kernel(f, at, header, opts.ram_size);
  require_below_4gib(kernel, f);
  require_entry_in_segments(kernel, f);
  require_within_relocatable_range(kernel, header, f);
  const u64 kernel_end = kernel.end_addr();

  BootImage image;
  image.protocol = "multiboot2";
  image.mode = StartMode::Protected32;
  image.entry = kernel.entry;
  image.eax = kMultiboot2BootloaderMagic;

  InfoLayout info = lay_out_info(opts, modules, kernel.lowest_addr());
  image.blobs = std::move(kernel.segments);
  GuestAllocator allocator(kernel_end, opts.ram_size, f.name());
  u64 info_addr = allocator.take(info.buffer.size(), "the Multiboot 2 boot information");  // page-aligned
  std::vector<PlacedModule> placed = place_modules(modules, allocator, image.blobs);
  for (size_t i = 0; i < placed.size(); ++i) {
    info.buffer.put_u32(info.module_field_offsets[i] + 0, placed[i].start);
    info.buffer.put_u32(info.module_field_offsets[i] + 4, placed[i].end);
  }
  image.ebx = static_cast<u32>(info_addr);
  image.blobs.push_back({info_addr, std::move(info.buffer.bytes()), 0, "multiboot2 info"});

  require_valid_layout(image, f.name(), opts.ram_size);
  return image;
}

}  // namespace vtlab::loader

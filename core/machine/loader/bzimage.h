// Linux direct boot: a bzImage loaded through the x86 boot protocol's 32-bit
// or 64-bit entry (Documentation/arch/x86/boot.rst), the way a boot loader
// that runs without a BIOS does it. See docs/loaders.md "Linux (bzImage)".
#pragma once
#include <span>

#include "core/machine/boot_image.h"
#include "core/machine/loader/file_bytes.h"

namespace vtlab::loader {

// Fixed low-memory places of what the loader builds (below 640 KiB; the
// kernel never runs there).
namespace linux_boot {
inline constexpr u64 kGdtAddr = 0x1000;         // 4 descriptors: __BOOT_CS 0x10, __BOOT_DS 0x18
inline constexpr u64 kPageTablesAddr = 0x2000;  // PML4, PDPT, 4 PDs: 0-4 GiB identity, 2 MiB pages
inline constexpr u64 kPageTablesSize = 6 * 4096;
inline constexpr u64 kBootParamsAddr = 0x10000;  // the zero page (4 KiB)
inline constexpr u64 kCmdlineAddr = 0x20000;     // up to 64 KiB
inline constexpr u64 kCmdlineMax = 0x10000;
inline constexpr u64 kDefaultLoadAddr = 0x100000;
inline constexpr u16 kBootCs = 0x10, kBootDs = 0x18;
inline constexpr u8 kLoaderId = 0xff;  // type_of_loader "undefined": vtlab has no assigned boot loader id
}  // namespace linux_boot

// `initrd` is the --initrd file (opts.initrd_path names it; empty path: none).
BootImage load_bzimage(const FileBytes& file, std::span<const u8> initrd, const BootOptions& opts);

}  // namespace vtlab::loader

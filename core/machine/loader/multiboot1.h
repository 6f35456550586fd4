// Multiboot 1 (spec 0.6.96): the kernel from its ELF program headers or the
// a.out kludge, modules, and the Multiboot information structure (MBI).
#pragma once
#include <span>

#include "core/machine/boot_image.h"
#include "core/machine/loader/file_bytes.h"
#include "core/machine/loader/multiboot_common.h"

namespace vtlab::loader {

inline constexpr u32 kMultiboot1BootloaderMagic = 0x2badb002;  // EAX at entry

// `header_offset`: where find_multiboot_headers() found a valid header.
BootImage load_multiboot1(const FileBytes& image, u64 header_offset, std::span<const ModuleFile> modules,
                          const BootOptions& opts);

// The command line the kernel sees: the image path as given, a space, then
// --cmdline; exactly QEMU's "%s %s" for -kernel/-append (so with no
// --cmdline it ends in a space).
std::string multiboot1_cmdline(const BootOptions& opts);

}  // namespace vtlab::loader

// Multiboot 2 (spec 2.0): header tags, the kernel from its ELF program
// headers or the address tag, modules, and the boot information tags.
#pragma once
#include <span>

#include "core/machine/boot_image.h"
#include "core/machine/loader/file_bytes.h"
#include "core/machine/loader/multiboot_common.h"

namespace vtlab::loader {

inline constexpr u32 kMultiboot2BootloaderMagic = 0x36d76289;  // EAX at entry

BootImage load_multiboot2(const FileBytes& image, u64 header_offset, std::span<const ModuleFile> modules,
                          const BootOptions& opts);

}  // namespace vtlab::loader

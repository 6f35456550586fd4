// A raw binary loaded at a given address (--flat ADDR): no header, no boot
// information. Below 1 MiB it starts in real mode like a boot sector or an
// option ROM; above, in 32-bit protected mode.
#pragma once
#include "core/machine/boot_image.h"
#include "core/machine/loader/file_bytes.h"

namespace vtlab::loader {

// Real16 when addr + size <= 1 MiB (CS:IP = (addr >> 4):(addr & 0xf)),
// otherwise Protected32 with entry = addr (which must then be below 4 GiB).
BootImage load_flat_binary(const FileBytes& image, const BootOptions& opts);

}  // namespace vtlab::loader

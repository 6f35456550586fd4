// The one entry point the Machine calls to boot a kernel: reads the image
// and modules named in BootOptions and returns the BootImage to apply.
// Pure: it parses and lays out, it never touches a machine. Every problem
// with the input is a vtlab::Error whose message names the file.
//
// Dispatch (see docs/loaders.md):
//   --flat ADDR          raw binary at ADDR
//   Multiboot 1 header   in the first 8 KiB (preferred when both are present,
//                        as QEMU's -kernel would boot it)
//   Multiboot 2 header   in the first 32 KiB
//   Linux setup header   "HdrS" at 0x202: a bzImage, booted by the Linux
//                        boot protocol with --initrd (bzimage.h)
#pragma once
#include <span>
#include <vector>

#include "core/machine/boot_image.h"

namespace vtlab {

BootImage load_image(const BootOptions& opts);

// The same from bytes already in memory (tests, fuzzing): `image` stands for
// the file opts.image_path, modules[i] for opts.module_paths[i] and
// `initrd` for opts.initrd_path.
BootImage load_image_from_bytes(std::span<const u8> image, std::span<const std::vector<u8>> modules,
                                const BootOptions& opts, std::span<const u8> initrd = {});

}  // namespace vtlab

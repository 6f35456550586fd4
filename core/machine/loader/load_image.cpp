#include "core/machine/loader/load_image.h"

#include "core/base/error.h"
#include "core/machine/loader/bzimage.h"
#include "core/machine/loader/bzimage_header.h"
#include "core/machine/loader/elf_kernel.h"
#include "core/machine/loader/file_bytes.h"
#include "core/machine/loader/flat_binary.h"
#include "core/machine/loader/multiboot1.h"
#include "core/machine/loader/multiboot2.h"
#include "core/machine/loader/multiboot_search.h"

namespace vtlab {

using namespace loader;

namespace {

// An ELF kernel file may be much larger than what it loads (debug info), so
// it is mapped (only the parts parsed are read) and limited by a generous
// absolute size; modules and flat binaries are copied whole into RAM, so
// they are limited by RAM.
constexpr u64 kMaxKernelFileSize = u64{4} << 30;

// --initrd belongs to Linux; Multiboot has modules and a flat binary nothing.
void refuse_initrd(const FileBytes& file, const BootOptions& opts, const char* kind, const char* instead) {
  if (!opts.initrd_path.empty()) file.fail(std::string("is ") + kind + ": --initrd is for Linux kernels" + instead);
}

}  // namespace

BootImage load_image_from_bytes(std::span<const u8> image, std::span<const std::vector<u8>> modules,
                                const BootOptions& opts, std::span<const u8> initrd) {
  if (modules.size() != opts.module_paths.size()) {
    throw Error("internal: " + std::to_string(modules.size()) + " module contents for " +
                std::to_string(opts.module_paths.size()) + " module paths");
  }
  FileBytes file(opts.image_path, image);
  if (opts.flat) {
    refuse_initrd(file, opts, "loaded as a flat binary (--flat)", "");
    return load_flat_binary(file, opts);
  }

  std::vector<ModuleFile> module_files;
  for (size_t i = 0; i < modules.size(); ++i) module_files.push_back({opts.module_paths[i], modules[i]});

  MultibootHeaders headers = find_multiboot_headers(file);
  const char* use_module = "; give a Multiboot kernel its files with --module";
  if (headers.mb1_offset) {
    refuse_initrd(file, opts, "a Multiboot kernel", use_module);
    return load_multiboot1(file, *headers.mb1_offset, module_files, opts);
  }
  if (headers.mb2_offset) {
    refuse_initrd(file, opts, "a Multiboot 2 kernel", use_module);
    return load_multiboot2(file, *headers.mb2_offset, module_files, opts);
  }
  if (has_linux_header(file)) return load_bzimage(file, initrd, opts);
  std::string message =
      "no Multiboot header in the first 8 KiB (nor a Multiboot 2 header in the first 32 KiB, nor a Linux setup header)";
  if (!headers.near_miss.empty()) message += "; " + headers.near_miss;
  if (has_elf_magic(file)) message += "; this ELF file needs a Multiboot header to be booted (see docs/loaders.md)";
  file.fail(message + "; use --flat ADDR for a raw binary");
}

BootImage load_image(const BootOptions& opts) {
  const std::string ram = "the guest RAM set by --mem";
  MappedFile image =
      opts.flat ? map_whole_file(opts.image_path, "flat binary", opts.ram_size, ram)
                : map_whole_file(opts.image_path, "kernel", kMaxKernelFileSize, "the largest kernel file vtlab loads");
  // Modules are copied whole into RAM: together they must fit, which is
  // checked before each is read.
  std::vector<std::vector<u8>> modules;
  u64 room = opts.ram_size;
  for (const std::string& path : opts.module_paths) {
    modules.push_back(read_whole_file(path, "module", room,
                                      modules.empty() ? ram : "the guest RAM left after the modules before it"));
    room -= modules.back().size();
  }
  std::vector<u8> initrd;
  if (!opts.initrd_path.empty()) initrd = read_whole_file(opts.initrd_path, "initrd", room, ram);
  return load_image_from_bytes(image.bytes(), modules, opts, initrd);
}

}  // namespace vtlab

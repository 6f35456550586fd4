// What Multiboot 1 and 2 share: module files, module placement, the memory
// sizes they report, the boot loader name, string checks.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "core/machine/boot_image.h"
#include "core/machine/loader/guest_ram.h"

namespace vtlab::loader {

inline constexpr const char* kBootLoaderName = "vtlab";

// A --module file: its path as given (also the string the kernel sees) and contents.
struct ModuleFile {
  std::string path;
  std::span<const u8> bytes;
};

struct PlacedModule {
  u32 start = 0;  // mod_start
  u32 end = 0;    // mod_end: one past the last byte
  std::string string;
};

// Places each module page-aligned (Multiboot 1 flags bit 0 and the
// Multiboot 2 module alignment tag ask for it; we always do it) and adds
// one blob per non-empty module. An empty module gets mod_start == mod_end.
std::vector<PlacedModule> place_modules(std::span<const ModuleFile> modules, GuestAllocator& allocator,
                                        std::vector<BootBlob>& blobs);

// KiB of RAM from 0 (at most 640) and of RAM from 1 MiB up to the first
// hole: the mem_lower / mem_upper of both specs.
u32 mem_lower_kib(u64 ram_size);
u32 mem_upper_kib(u64 ram_size);

// The memory map entries to report (pc_memory_map without empty ranges).
std::vector<MemRange> reported_memory_map(u64 ram_size);

// A C string handed to the kernel cannot hold a NUL byte.
void require_no_nul(const std::string& text, const std::string& what);

}  // namespace vtlab::loader

// ELF32 and ELF64 x86 executables as Multiboot kernels: PT_LOAD segments are
// placed at their physical addresses (p_paddr) with p_memsz - p_filesz bytes
// of zeros after the file bytes, as GRUB and QEMU do.
#pragma once
#include "core/machine/loader/file_bytes.h"
#include "core/machine/loader/kernel_load.h"

namespace vtlab::loader {

bool has_elf_magic(const FileBytes& file);

// Every PT_LOAD segment must lie in guest RAM (ram_size) and not overlap
// another. The entry is e_entry; if e_entry is not inside any segment's
// physical range but is inside an executable segment's virtual range
// [p_vaddr, p_vaddr + p_filesz), it is translated to the physical address
// (higher-half kernels; QEMU's ELF loader does the same).
KernelLoad load_elf_kernel(const FileBytes& file, u64 ram_size);

}  // namespace vtlab::loader

#include "core/machine/loader/elf_kernel.h"

#include <string>

#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/guest_ram.h"
#include "core/machine/loader/hex.h"

namespace vtlab::loader {
namespace {

constexpr u8 kElfClass32 = 1, kElfClass64 = 2;
constexpr u8 kElfLittleEndian = 1;
constexpr u16 kEtExec = 2;
constexpr u16 kEm386 = 3, kEmX86_64 = 62;
constexpr u32 kPtLoad = 1;
constexpr u32 kPfExecute = 1;
constexpr u16 kPnXnum = 0xffff;  // "the real count is in section header 0": not supported

// The fields we use, the same for both classes once read.
struct ElfHeader {
  bool is64;
  u16 type, machine;
  u64 entry, phoff;
  u16 phentsize, phnum;
};

struct ProgramHeader {
  u32 type, flags;
  u64 offset, vaddr, paddr, filesz, memsz;
};

ElfHeader read_header(const FileBytes& f) {
  if (f.size() < 16) f.fail("the ELF identification is truncated");
  auto ident = f.all();
  u8 elf_class = ident[4];
  if (elf_class != kElfClass32 && elf_class != kElfClass64) {
    f.fail("unknown ELF class " + std::to_string(elf_class) + " (expected 1 = ELF32 or 2 = ELF64)");
  }
  if (ident[5] != kElfLittleEndian) f.fail("is a big-endian ELF file; x86 kernels are little-endian");
  ElfHeader h{};
  h.is64 = elf_class == kElfClass64;
  h.type = f.u16_at(16, "ELF header e_type");
  h.machine = f.u16_at(18, "ELF header e_machine");
  if (h.is64) {
    h.entry = f.u64_at(24, "ELF header e_entry");
    h.phoff = f.u64_at(32, "ELF header e_phoff");
    h.phentsize = f.u16_at(54, "ELF header e_phentsize");
    h.phnum = f.u16_at(56, "ELF header e_phnum");
  } else {
    h.entry = f.u32_at(24, "ELF header e_entry");
    h.phoff = f.u32_at(28, "ELF header e_phoff");
    h.phentsize = f.u16_at(42, "ELF header e_phentsize");
    h.phnum = f.u16_at(44, "ELF header e_phnum");
  }
  return h;
}

void check_header(const ElfHeader& h, const FileBytes& f) {
  if (h.type != kEtExec) {
    f.fail("is an ELF file of type " + std::to_string(h.type) + ", not an executable (ET_EXEC = 2)");
  }
  // ELF32 with EM_X86_64 is the x32 flavour; its addresses are 32-bit too.
  bool machine_ok = h.is64 ? h.machine == kEmX86_64 : (h.machine == kEm386 || h.machine == kEmX86_64);
  if (!machine_ok) {
    f.fail("is an ELF file for machine " + std::to_string(h.machine) + ", not x86 (EM_386 = 3, EM_X86_64 = 62)");
  }
  u16 min_phentsize = h.is64 ? 56 : 32;
  if (h.phentsize < min_phentsize) {
    f.fail("e_phentsize is " + std::to_string(h.phentsize) + ", smaller than a program header (" +
           std::to_string(min_phentsize) + " bytes)");
  }
  if (h.phnum == 0) f.fail("has no program headers, so there is nothing to load");
  if (h.phnum == kPnXnum) f.fail("uses an extended program header count (PN_XNUM), which is not supported");
  // phnum * phentsize < 2^32, so only the addition can overflow.
  if (!f.contains(h.phoff, u64{h.phnum} * h.phentsize)) {
    f.fail("the program header table (" + std::to_string(h.phnum) + " entries of " + std::to_string(h.phentsize) +
           " bytes at offset " + hex(h.phoff) + ") extends past the end of the file (" + std::to_string(f.size()) +
           " bytes)");
  }
}

ProgramHeader read_program_header(const FileBytes& f, const ElfHeader& h, u16 index) {
  u64 at = h.phoff + u64{index} * h.phentsize;  // inside the file: checked in check_header
  ProgramHeader p{};
  if (h.is64) {
    p.type = f.u32_at(at + 0, "p_type");
    p.flags = f.u32_at(at + 4, "p_flags");
    p.offset = f.u64_at(at + 8, "p_offset");
    p.vaddr = f.u64_at(at + 16, "p_vaddr");
    p.paddr = f.u64_at(at + 24, "p_paddr");
    p.filesz = f.u64_at(at + 32, "p_filesz");
    p.memsz = f.u64_at(at + 40, "p_memsz");
  } else {
    p.type = f.u32_at(at + 0, "p_type");
    p.offset = f.u32_at(at + 4, "p_offset");
    p.vaddr = f.u32_at(at + 8, "p_vaddr");
    p.paddr = f.u32_at(at + 12, "p_paddr");
    p.filesz = f.u32_at(at + 16, "p_filesz");
    p.memsz = f.u32_at(at + 20, "p_memsz");
    p.flags = f.u32_at(at + 24, "p_flags");
  }
  return p;
}

bool inside(u64 addr, u64 base, u64 size) { return addr >= base && addr - base < size; }

// e_entry as a physical address; see the header comment.
u64 physical_entry(u64 e_entry, const KernelLoad& kernel, const std::vector<ProgramHeader>& loads) {
  for (const BootBlob& s : kernel.segments) {
    if (inside(e_entry, s.addr, s.bytes.size() + s.zero_fill)) return e_entry;
  }
  for (const ProgramHeader& p : loads) {
    if (p.vaddr != p.paddr && (p.flags & kPfExecute) && inside(e_entry, p.vaddr, p.filesz)) {
      return e_entry - p.vaddr + p.paddr;
    }
  }
  return e_entry;  // require_entry_in_segments reports it
}

}  // namespace

bool has_elf_magic(const FileBytes& file) {
  auto b = file.all();
  return b.size() >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
}

KernelLoad load_elf_kernel(const FileBytes& f, u64 ram_size) {
  if (!has_elf_magic(f)) f.fail("is not an ELF file");
  ElfHeader h = read_header(f);
  check_header(h, f);

  KernelLoad kernel;
  std::vector<ProgramHeader> loads;
  // Segments that fit in RAM without overlapping cannot add up to more than
  // RAM; checking the running total before copying keeps a file with many
  // program headers aliasing the same bytes from exhausting host memory.
  u64 total_memsz = 0;
  for (u16 i = 0; i < h.phnum; ++i) {
    ProgramHeader p = read_program_header(f, h, i);
    if (p.type != kPtLoad) continue;
    std::string what = "ELF segment " + std::to_string(i);
    if (p.filesz > p.memsz) {
      f.fail(what + ": p_filesz " + hex(p.filesz) + " is larger than p_memsz " + hex(p.memsz));
    }
    if (p.memsz == 0) continue;
    auto bytes = f.slice(p.offset, p.filesz, what + " file contents");
    require_in_ram(f.name(), what + " (p_paddr " + hex(p.paddr) + ")", p.paddr, p.memsz, ram_size);
    auto total = checked_add(total_memsz, p.memsz);
    if (!total || *total > ram_size) f.fail("the PT_LOAD segments add up to more than guest RAM, so some must overlap");
    total_memsz = *total;
    kernel.segments.push_back({p.paddr, {bytes.begin(), bytes.end()}, p.memsz - p.filesz, "kernel " + what});
    loads.push_back(p);
  }
  if (kernel.segments.empty()) f.fail("has no loadable (PT_LOAD) segments");
  require_no_overlap(kernel.segments, f.name());
  kernel.entry = physical_entry(h.entry, kernel, loads);
  return kernel;
}

}  // namespace vtlab::loader

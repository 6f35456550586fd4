#include "runtime/bootinfo.h"

#include "runtime/kstring.h"

/* Multiboot 1 information structure (the fields up to mmap). */
struct mb1_info {
  uint32_t flags;
  uint32_t mem_lower, mem_upper;
  uint32_t boot_device;
  uint32_t cmdline;
  uint32_t mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
};
enum { MB1_INFO_MEM = 1 << 0, MB1_INFO_CMDLINE = 1 << 2, MB1_INFO_MMAP = 1 << 6 };

/* Multiboot 1 mmap entry; `size` does not count itself. Packed: base is at offset 4. */
struct __attribute__((packed)) mb1_mmap_entry {
  uint32_t size;
  uint64_t base, length;
  uint32_t type;
};

struct mb2_tag {
  uint32_t type, size;
};
enum { MB2_TAG_END = 0, MB2_TAG_CMDLINE = 1, MB2_TAG_BASIC_MEMINFO = 4, MB2_TAG_MMAP = 6 };

struct mb2_mmap_entry {
  uint64_t base, length;
  uint32_t type, reserved;
};

static void *phys(uint64_t addr) { return (void *)(uintptr_t)addr; }

static void read_mb1(const struct mb1_info *mbi, struct boot_summary *out) {
  out->protocol = "multiboot1";
  if (mbi->flags & MB1_INFO_MEM) {
    out->mem_lower_kib = mbi->mem_lower;
    out->mem_upper_kib = mbi->mem_upper;
  }
  if (mbi->flags & MB1_INFO_CMDLINE) out->cmdline = phys(mbi->cmdline);
  if (!(mbi->flags & MB1_INFO_MMAP)) return;
  out->has_mmap = true;
  uint64_t p = mbi->mmap_addr, end = (uint64_t)mbi->mmap_addr + mbi->mmap_length;
  while (p < end) {
    const struct mb1_mmap_entry *e = phys(p);
    out->mmap_entries++;
    if (e->type == 1) out->available_bytes += e->length;
    p += e->size + sizeof e->size;
  }
}

static void read_mb2(uint32_t info_addr, struct boot_summary *out) {
  out->protocol = "multiboot2";
  uint32_t total_size = *(const uint32_t *)phys(info_addr);
  /* Tags start after total_size and reserved, each 8-byte aligned. */
  uint64_t p = (uint64_t)info_addr + 8, end = (uint64_t)info_addr + total_size;
  while (p + sizeof(struct mb2_tag) <= end) {
    const struct mb2_tag *t = phys(p);
    if (t->type == MB2_TAG_END || t->size < sizeof *t) break;
    if (t->type == MB2_TAG_CMDLINE) {
      out->cmdline = (const char *)(t + 1);
    } else if (t->type == MB2_TAG_BASIC_MEMINFO) {
      const uint32_t *m = (const uint32_t *)(t + 1);
      out->mem_lower_kib = m[0];
      out->mem_upper_kib = m[1];
    } else if (t->type == MB2_TAG_MMAP) {
      const uint32_t *hdr = (const uint32_t *)(t + 1);  /* entry_size, entry_version */
      uint32_t entry_size = hdr[0];
      out->has_mmap = true;
      if (entry_size >= sizeof(struct mb2_mmap_entry)) {
        for (uint64_t q = p + 16; q + entry_size <= p + t->size; q += entry_size) {
          const struct mb2_mmap_entry *e = phys(q);
          out->mmap_entries++;
          if (e->type == 1) out->available_bytes += e->length;
        }
      }
    }
    p += (t->size + 7) & ~7u;
  }
}

bool boot_summary_read(uint32_t magic, uint32_t info_addr, struct boot_summary *out) {
  memset(out, 0, sizeof *out);
  if (magic == MB1_BOOTLOADER_MAGIC) {
    read_mb1(phys(info_addr), out);
    return true;
  }
  if (magic == MB2_BOOTLOADER_MAGIC) {
    read_mb2(info_addr, out);
    return true;
  }
  return false;
}

/* The parts of the Multiboot 1 / Multiboot 2 boot information the ROMs use,
 * in one protocol-neutral form. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define MB1_BOOTLOADER_MAGIC 0x2BADB002u
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

struct boot_summary {
  const char *protocol;     /* "multiboot1" or "multiboot2" */
  const char *cmdline;      /* NULL if the loader gave none */
  bool has_mmap;
  uint32_t mmap_entries;
  uint64_t available_bytes; /* sum of type-1 (available) mmap ranges */
  uint32_t mem_lower_kib;   /* basic memory info (MB1 flag 0 / MB2 tag 4), 0 if absent */
  uint32_t mem_upper_kib;
};

/* Returns false for an unknown magic (summary left zeroed). */
bool boot_summary_read(uint32_t magic, uint32_t info_addr, struct boot_summary *out);

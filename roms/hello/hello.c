/* hello: proves the boot path. Prints a fixed greeting, then what the
 * loader passed: protocol, command line, memory map size and available RAM.
 * Built in four containers (ELF32 MB1, ELF64 MB1, a.out-kludge flat binary,
 * ELF64 MB2) from this one file; see roms/README.md. */
#include <stdint.h>

#include "runtime/boot.h"
#include "runtime/bootinfo.h"
#include "runtime/kprintf.h"

/* Multiboot 1 command lines start with the image path as the user gave it
 * (QEMU and GRUB legacy); Multiboot 2 ones hold only the arguments (GRUB 2).
 * Print only the path's file name, so the output does not depend on the
 * build directory, then the arguments with surrounding spaces removed. */
static void print_cmdline(const char *cmdline, int has_image) {
  if (!cmdline) {
    kprintf("cmdline: none\n");
    return;
  }
  const char *p = cmdline;
  while (*p == ' ') p++;
  if (has_image) {
    const char *image = p;
    while (*p && *p != ' ') {
      if (*p == '/') image = p + 1;
      p++;
    }
    kprintf("cmdline image: ");
    for (const char *q = image; q < p; q++) kprintf("%c", *q);
    kprintf("\n");
  }
  while (*p == ' ') p++;
  const char *args_end = p;
  for (const char *q = p; *q; q++)
    if (*q != ' ') args_end = q + 1;
  kprintf("cmdline args: ");
  for (const char *q = p; q < args_end; q++) kprintf("%c", *q);
  kprintf("\n");
}

int kmain(uint32_t magic, uint32_t info) {
  kprintf("Hello from vtlab!\n");
  struct boot_summary boot;
  if (!boot_summary_read(magic, info, &boot)) {
    kprintf("unknown boot magic 0x%x\n", magic);
    return 1;
  }
  kprintf("boot protocol: %s\n", boot.protocol);
  print_cmdline(boot.cmdline, boot.protocol[9] == '1');
  if (boot.has_mmap) {
    kprintf("memory map entries: %u\n", boot.mmap_entries);
    kprintf("available RAM: %lu KiB\n", boot.available_bytes >> 10);
  } else {
    kprintf("memory map: none (mem_lower %u KiB, mem_upper %u KiB)\n", boot.mem_lower_kib, boot.mem_upper_kib);
  }
  return 0;
}

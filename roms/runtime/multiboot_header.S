/* The boot header, in one of three flavours chosen by a -D at build time:
 *   (none)          Multiboot 1 for an ELF image (flags: align modules, memory info)
 *   MB1_AOUT_KLUDGE Multiboot 1 with flag bit 16 and address fields, for a flat binary
 *   MB2             Multiboot 2 (ELF image), with only the end tag
 * The linker script places section .multiboot at the very start of the image. */

#define MB1_MAGIC        0x1BADB002
#define MB1_PAGE_ALIGN   (1 << 0)
#define MB1_MEMORY_INFO  (1 << 1)
#define MB1_AOUT_FIELDS  (1 << 16)

#define MB2_MAGIC        0xE85250D6
#define MB2_ARCH_I386    0

    .section .multiboot, "a"

#if defined(MB2)
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* end tag: type 0, flags 0, size 8 */
    .short 0
    .short 0
    .long 8
mb2_header_end:

#elif defined(MB1_AOUT_KLUDGE)
#define MB1_FLAGS (MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_AOUT_FIELDS)
    .balign 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)
    .long mb1_header      /* header_addr */
    .long __image_start   /* load_addr: first byte of the file */
    .long __data_end      /* load_end_addr: end of the file's bytes */
    .long __bss_end       /* bss_end_addr: loader zeroes up to here */
    .long _start32        /* entry_addr */

#else
#define MB1_FLAGS (MB1_PAGE_ALIGN | MB1_MEMORY_INFO)
    .balign 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)
#endif

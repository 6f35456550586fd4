/* Test helper, not a ROM: a boot sector that starts a Multiboot ROM on
 * Bochs (whose BIOS has no Multiboot loader), for bochs_check.sh. The disk
 * holds this sector, then the ROM's bytes as loaded at 1 MiB (objcopy -O
 * binary of its ELF). The script patches the sector count (offset 0x1f4)
 * and the entry point (0x1f8). The sector reads them to 0x10000 with INT 13h
 * extended reads, enables A20, enters 32-bit protected mode, copies them to
 * 1 MiB and jumps to the entry with EAX = the Multiboot 1 magic and EBX = a
 * boot information structure with only a command line (flags bit 2), the
 * NUL-terminated string the script writes at offset 0x180. */
#define BUFFER_SEG 0x1000
#define CHUNK 64
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    cld
    mov %dl, drive
    mov sectors, %cx
1:  test %cx, %cx
    jz 3f
    mov $CHUNK, %ax
    cmp %ax, %cx
    jae 2f
    mov %cx, %ax
2:  mov %ax, dap_count
    push %cx
    push %ax
    mov $0x42, %ah
    mov drive, %dl
    mov $dap, %si
    int $0x13
    pop %ax
    pop %cx
    jc fail
    sub %ax, %cx
    add %ax, dap_lba
    shl $5, %ax                     /* sectors * 512 / 16: paragraphs */
    add %ax, dap_segment
    jmp 1b
3:  in $0x92, %al                   /* fast A20 */
    or $2, %al
    and $0xfe, %al
    out %al, $0x92
    lgdt gdt_pointer
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmp $0x08, $pm32
fail:
    hlt
    jmp fail

    .code32
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %esp
    movzwl sectors, %ecx
    shl $9, %ecx
    mov $(BUFFER_SEG << 4), %esi
    mov $0x100000, %edi
    rep movsb
    mov $0x9000, %edi               /* the Multiboot information structure */
    mov $0x20, %ecx
    xor %eax, %eax
    rep stosl
    mov $0x9000, %ebx
    movl $4, (%ebx)                 /* flags: cmdline */
    movl $cmdline, 16(%ebx)
    mov $0x2badb002, %eax
    jmp *entry

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
gdt_pointer:
    .short gdt_pointer - gdt - 1
    .long gdt
dap:
    .byte 0x10, 0
dap_count:
    .short 0
    .short 0                        /* buffer offset */
dap_segment:
    .short BUFFER_SEG
dap_lba:
    .quad 1
drive:
    .byte 0
    .org 0x180
cmdline:
    .byte 0
    .org 0x1f4
sectors:
    .short 0
    .short 0
entry:
    .long 0
    .org 510
    .byte 0x55, 0xaa

/* Test helper, not a ROM: a boot sector that makes QEMU's BIOS start
 * realmode.bin the way vtlab does: the whole file at 0x7c00, entered at
 * 07c0:0000. It moves itself to 0x600, reads sectors 2-18 of the boot disk
 * (realmode.bin, padded) to 0x7c00 and far-jumps there. Linked at 0x600. */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x600, %sp
    cld
    mov $0x7c00, %si
    mov $0x600, %di
    mov $256, %cx
    rep movsw
    ljmp $0, $relocated
relocated:
    sti
    mov $0x0211, %ax                /* AH=02 read, AL=17 sectors */
    mov $0x0002, %cx                /* cylinder 0, sector 2 */
    xor %dh, %dh                    /* head 0, DL = boot drive */
    mov $0x7c00, %bx
    int $0x13
    cli
    jc 1f
    ljmp $0x07c0, $0
1:  hlt
    jmp 1b
    .org 510
    .byte 0x55, 0xaa

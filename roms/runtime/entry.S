/* Entry stub shared by the Multiboot ROMs.
 *
 * A Multiboot 1 or 2 loader enters _start32 in 32-bit protected mode, paging
 * off, EAX = boot magic, EBX = physical address of the boot information. The
 * stub:
 *   1. zeroes .bss (the stack and page tables live there),
 *   2. loads its own GDT (the loader's GDTR may be invalid) and reloads segments,
 *   3. sets up the UART and calls pm32_hook if a ROM defines it (the faults
 *      ROM tests 32-bit exceptions there),
 *   4. identity-maps 0..4 GiB with 2 MiB pages, enables PAE, SSE, EFER.LME
 *      and paging, and far-jumps to 64-bit code,
 *   5. calls int kmain(u32 magic, u32 info) and exits via the debug-exit port
 *      with kmain's return value.
 */

#define COM1            0x3f8
#define MSR_EFER        0xC0000080
#define EFER_LME        (1 << 8)
#define CR0_PE          (1 << 0)
#define CR0_MP          (1 << 1)
#define CR0_EM          (1 << 2)
#define CR0_PG          (1 << 31)
#define CR4_PAE         (1 << 5)
#define CR4_OSFXSR      (1 << 9)
#define CR4_OSXMMEXCPT  (1 << 10)
#define PTE_P           0x1
#define PTE_RW          0x2
#define PTE_PS          0x80
#define STACK_SIZE      (64 * 1024)
#define EXIT_NO_LONG_MODE 0x7f

#define GDT_CODE64 0x08
#define GDT_DATA   0x10
#define GDT_CODE32 0x18

/* ------------------------------------------------------------------ 32-bit */
    .section .text.entry, "ax"
    .code32
    .globl _start32
    .type _start32, @function
_start32:
    cli
    cld
    mov %eax, %ebp                  /* keep magic and info out of rep stosb's way */
    mov %ebx, %esi

    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov %ebp, boot_magic
    mov %esi, boot_info
    mov $boot_stack_top, %esp

    lgdt gdt_pointer
    ljmp $GDT_CODE32, $1f
1:  mov $GDT_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs

    call serial32_init

    mov $pm32_hook, %eax            /* weak: 0 unless the ROM provides one */
    test %eax, %eax
    jz 2f
    call *%eax
2:
    call require_long_mode
    call build_identity_map

    mov %cr4, %eax
    or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    and $~CR0_EM, %eax
    or $(CR0_PG | CR0_MP | CR0_PE), %eax
    mov %eax, %cr0
    ljmp $GDT_CODE64, $long_mode_entry
    .size _start32, . - _start32

/* Stops with a message if CPUID does not report long mode. */
require_long_mode:
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb 1f
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jc 2f
1:  mov $msg_no_long_mode, %esi
    call serial32_puts
    mov $EXIT_NO_LONG_MODE, %eax
    mov $0xf4, %dx
    outl %eax, %dx
3:  hlt
    jmp 3b
2:  ret

/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; PD entries map 2048 x 2 MiB = 4 GiB.
 * The upper halves of all entries are already zero (.bss). */
build_identity_map:
    mov $(boot_pdpt + PTE_P + PTE_RW), %eax
    mov %eax, boot_pml4
    mov $boot_pdpt, %edi
    mov $(boot_pd + PTE_P + PTE_RW), %eax
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    dec %ecx
    jnz 1b
    mov $boot_pd, %edi
    mov $(PTE_P + PTE_RW + PTE_PS), %eax
    mov $2048, %ecx
2:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    dec %ecx
    jnz 2b
    ret

/* 16550 setup: no interrupts, 115200 baud (divisor 1), 8N1, FIFOs on. */
    .globl serial32_init
serial32_init:
    push %eax
    push %edx
    mov $(COM1 + 1), %dx            /* IER */
    xor %al, %al
    out %al, %dx
    mov $(COM1 + 3), %dx            /* LCR: DLAB */
    mov $0x80, %al
    out %al, %dx
    mov $(COM1 + 0), %dx            /* DLL */
    mov $1, %al
    out %al, %dx
    mov $(COM1 + 1), %dx            /* DLM */
    xor %al, %al
    out %al, %dx
    mov $(COM1 + 3), %dx            /* LCR: 8N1 */
    mov $0x03, %al
    out %al, %dx
    mov $(COM1 + 2), %dx            /* FCR: enable and clear FIFOs */
    mov $0x07, %al
    out %al, %dx
    mov $(COM1 + 4), %dx            /* MCR: DTR | RTS */
    mov $0x03, %al
    out %al, %dx
    pop %edx
    pop %eax
    ret

/* serial32_putc: AL = byte. Waits for LSR.THRE (bit 5). Preserves registers. */
    .globl serial32_putc
serial32_putc:
    push %eax
    push %edx
    mov %al, %ah
    mov $(COM1 + 5), %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    mov $COM1, %dx
    mov %ah, %al
    out %al, %dx
    pop %edx
    pop %eax
    ret

/* serial32_puts: ESI = NUL-terminated string. Preserves registers. */
    .globl serial32_puts
serial32_puts:
    push %eax
    push %esi
1:  lodsb
    test %al, %al
    jz 2f
    call serial32_putc
    jmp 1b
2:  pop %esi
    pop %eax
    ret

/* serial32_puthex: prints EAX as "0x" and hex digits without leading zeros
 * (same style as kprintf's "0x%x"). Preserves registers. */
    .globl serial32_puthex
serial32_puthex:
    push %eax
    push %ebx
    push %ecx
    mov %eax, %ebx
    mov $'0', %al
    call serial32_putc
    mov $'x', %al
    call serial32_putc
    mov $28, %ecx                   /* skip leading zero nibbles, keep the last */
1:  mov %ebx, %eax
    shr %cl, %eax
    and $0xf, %eax
    jnz 2f
    sub $4, %ecx
    jnz 1b
2:  mov %ebx, %eax
    shr %cl, %eax
    and $0xf, %eax
    mov hex_digits(%eax), %al
    call serial32_putc
    sub $4, %ecx
    jns 2b
    pop %ecx
    pop %ebx
    pop %eax
    ret

/* ------------------------------------------------------------------ 64-bit */
    .code64
long_mode_entry:
    mov $GDT_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp       /* 16-byte aligned, as the ABI wants at a call */
    xor %ebp, %ebp
    mov boot_magic(%rip), %edi
    mov boot_info(%rip), %esi
    call kmain
    mov %eax, %edi
    call exit_qemu                  /* does not return */

/* ------------------------------------------------------------------- data */
    .section .rodata
    .balign 8
gdt:
    .quad 0                         /* null */
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, L=1 */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
    .quad 0x00cf9a000000ffff        /* 0x18: flat 32-bit code */
gdt_end:
    .balign 4
    .short 0
gdt_pointer:
    .short gdt_end - gdt - 1
    .long gdt
hex_digits:
    .ascii "0123456789abcdef"
msg_no_long_mode:
    .asciz "vtlab runtime: CPU does not report long mode (CPUID 80000001h EDX.29)\n"

    .section .data
    .balign 4
    .globl boot_magic, boot_info
boot_magic: .long 0
boot_info:  .long 0

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
    .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096               /* PD for GiB 0, 1, 2, 3 */

    .section .bss
    .balign 16
boot_stack: .skip STACK_SIZE
    .globl boot_stack_top
boot_stack_top:

    .weak pm32_hook
    .section .note.GNU-stack, "", @progbits

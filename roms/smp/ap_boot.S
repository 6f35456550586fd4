/* Application processor start-up code (SDM Vol. 3A §9.4, §10.6.1).
 *
 * The BSP copies the bytes between ap_trampoline and ap_trampoline_end to
 * TRAMP_BASE (0x8000) and sends INIT, start-up IPI (vector 08H), start-up
 * IPI. The AP starts there in real mode at CS:IP = 0800:0000, loads the
 * trampoline's GDT, enters protected mode, then long mode with the BSP's
 * page tables (boot_pml4: 0-4 GiB identity mapped), takes the next AP
 * number (a locked XADD on ap_counter), gives itself stack number n and
 * calls ap_entry(n), which does not return.
 *
 * The code runs at a different address than it is linked at, so it only
 * uses addresses computed from TRAMP_BASE and absolute symbols of the ROM
 * (below 2 GiB). It is kept in a data section: it is copied, never
 * executed in place (and the ISA check does not read it as 64-bit code). */

#define TRAMP_BASE  0x8000
#define OFF(x)      ((x) - ap_trampoline)
#define ABS(x)      (TRAMP_BASE + OFF(x))
#define CR0_PE      0x1
#define CR0_MP      0x2
#define CR0_EM      0x4
#define CR0_PG      0x80000000
#define CR4_PAE     0x20
#define CR4_OSFXSR  0x200
#define CR4_OSXMMEXCPT 0x400
#define MSR_EFER    0xc0000080
#define EFER_LME    0x100
#define AP_STACK_SIZE 16384

    .section .rodata.ap_trampoline, "a"
    .globl ap_trampoline, ap_trampoline_end
    .code16
ap_trampoline:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    lgdtl OFF(tramp_gdt_pointer)
    mov %cr0, %eax
    or $CR0_PE, %eax
    mov %eax, %cr0
    ljmpl $0x18, $ABS(tramp_pm32)

    .code32
tramp_pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
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
    ljmp $0x08, $ABS(tramp_lm64)

    .code64
tramp_lm64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $1, %eax
    lock xaddl %eax, ap_counter     /* eax = this AP's number, from 0 */
    mov %eax, %edi
    inc %eax
    shl $14, %rax                   /* AP_STACK_SIZE */
    mov $ap_stacks, %rsp
    add %rax, %rsp                  /* the top of stack n: 16-byte aligned */
    movabs $ap_entry, %rax
    call *%rax
1:  cli
    hlt
    jmp 1b

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
    .quad 0x00cf9a000000ffff        /* 0x18: flat 32-bit code */
tramp_gdt_end:
    .balign 4
    .short 0
tramp_gdt_pointer:
    .short tramp_gdt_end - tramp_gdt - 1
    .long ABS(tramp_gdt)
ap_trampoline_end:

    .section .data
    .balign 4
    .globl ap_counter
ap_counter: .long 0

    .section .bss
    .balign 16
    .globl ap_stacks
ap_stacks: .skip 16 * AP_STACK_SIZE

    .section .note.GNU-stack, "", @progbits

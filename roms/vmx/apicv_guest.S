/* Guest code of vmx-apicv. RBX points into the APIC-access page where a
 * snippet accesses it; each snippet ends in VMCALL. */
#define LAPIC 0xfee00000
    .text
    .code64
    .globl g_cr8, g_cr8_at, g_cr8_next
g_cr8:
    mov $5, %edx
g_cr8_at:
    mov %rdx, %cr8
g_cr8_next:
    mov %cr8, %rsi
    vmcall
    .globl g_load, g_load_at, g_load_next
g_load:
g_load_at:
    mov (%rbx), %eax
g_load_next:
    vmcall
    .globl g_store, g_store_at, g_store_next
g_store:
g_store_at:
    mov %ecx, (%rbx)
g_store_next:
    vmcall
    .globl g_rdmsr, g_wrmsr
g_rdmsr:
    rdmsr
    vmcall
g_wrmsr:
    wrmsr
    vmcall
    .globl g_jump
g_jump:                             /* to RBX (into the APIC-access page) */
    jmp *%rbx
    .globl g_idle
g_idle:
    nop
    nop
    vmcall
    .globl g_notify
g_notify:                           /* a self IPI with the notification vector in RCX, then wait */
    mov $LAPIC, %rdx
    or $(1 << 18), %ecx
    mov %ecx, 0x300(%rdx)
1:  pause
    jmp 1b
    .section .note.GNU-stack, "", @progbits

/* Guest code of vmx-activity, and the start-up code of the AP's second
 * life (after the INIT that VMXOFF lets in).
 *
 * g_count: counts in guest_counter forever; the hypervisor sees whether the
 * guest ran any instruction at all. It shares the host's address space
 * (roms/vmx/lib/vmx.h), so guest_counter is the ROM's variable. */

    .text
    .code64
    .globl g_count
g_count:
1:  lock incq guest_counter(%rip)
    jmp 1b

/* restart_stub: copied to RESTART_BASE (0x9000) and started by a SIPI with
 * vector 09H in real mode at CS:IP = 0900:0000 (SDM Vol. 3A §9.4.3). It
 * stores CS at physical address RESTART_CS (below 64 KiB) and jumps to the
 * smp ROM's trampoline at 0800:0000 (roms/smp/ap_boot.S), which takes the
 * AP to long mode and ap_entry. Kept in a data section: copied, never run
 * in place. */
#define RESTART_CS 0x7ff0
    .section .rodata.restart_stub, "a"
    .globl restart_stub, restart_stub_end
    .code16
restart_stub:
    cli
    mov %cs, %ax
    xor %bx, %bx
    mov %bx, %ds
    mov %ax, RESTART_CS
    ljmp $0x0800, $0x0000
restart_stub_end:

    .section .note.GNU-stack, "", @progbits

/* The instructions the faults ROM makes fault, as tiny functions.
 * Section .text.sites is linked right after the Multiboot header, so these
 * addresses (printed in the ROM's output) do not move when C code changes;
 * keep the order and contents stable or update roms/expected/faults.txt.
 *
 * Naming: <site>_fault is the faulting instruction (the RIP a fault
 * reports), <site>_resume the instruction after it (where the handler
 * resumes; for traps, the RIP the CPU reports). */

    .section .text.sites, "ax"

/* ---------------------------------------------- 32-bit (protected mode) */
    .code32
    .globl pm32_site_bp, pm32_site_bp_resume, pm32_site_ud, pm32_site_ud_fault, pm32_site_ud_resume
pm32_site_bp:
    int3
pm32_site_bp_resume:
    ret
pm32_site_ud:
pm32_site_ud_fault:
    ud2
pm32_site_ud_resume:
    ret

/* ---------------------------------------------------------- 64-bit */
    .code64
    .balign 16
.macro SITE name
    .globl \name, \name\()_fault, \name\()_resume
\name:
.endm

/* #DE: divide by zero */
SITE site_de
    xor %ecx, %ecx
    mov $1, %eax
    xor %edx, %edx
site_de_fault:
    div %ecx
site_de_resume:
    ret

/* #UD: ud2 */
SITE site_ud
site_ud_fault:
    ud2
site_ud_resume:
    ret

/* #BP: int3 is a trap; the CPU reports the next RIP */
SITE site_bp
site_bp_fault:
    int3
site_bp_resume:
    ret

/* #GP(0): load through a non-canonical address */
SITE site_gp_noncanonical
    movabs $0x8000000000000000, %rax
site_gp_noncanonical_fault:
    mov (%rax), %rax
site_gp_noncanonical_resume:
    ret

/* #GP(0x80): load DS with a selector beyond the GDT limit */
SITE site_gp_selector
    mov $0x80, %eax
site_gp_selector_fault:
    mov %eax, %ds
site_gp_selector_resume:
    ret

/* #PF: read and write of a page the test has marked not present */
#define UNMAPPED_ADDRESS 0x40000123
SITE site_pf_read
    mov $UNMAPPED_ADDRESS, %eax
site_pf_read_fault:
    mov (%rax), %rax
site_pf_read_resume:
    ret

SITE site_pf_write
    mov $UNMAPPED_ADDRESS, %eax
site_pf_write_fault:
    movl $1, (%rax)
site_pf_write_resume:
    ret

/* #DB: POPF sets TF; the trap comes after the following instruction (nop) */
SITE site_db
    pushfq
    orq $0x100, (%rsp)
    popfq
site_db_fault:
    nop
site_db_resume:
    ret

/* Where to resume after each fault-class exception (traps need none). */
    .section .rodata
    .balign 8
    .globl fault_fixups, fault_fixups_end
fault_fixups:
    .quad site_de_fault, site_de_resume
    .quad site_ud_fault, site_ud_resume
    .quad site_gp_noncanonical_fault, site_gp_noncanonical_resume
    .quad site_gp_selector_fault, site_gp_selector_resume
    .quad site_pf_read_fault, site_pf_read_resume
    .quad site_pf_write_fault, site_pf_write_resume
fault_fixups_end:

    .section .note.GNU-stack, "", @progbits

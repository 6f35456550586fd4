/* The paging ROM's 32-bit part: entry.S calls pm32_hook in protected mode
 * (flat segments, paging off) before it enters long mode. It turns on
 * 32-bit paging (4 MiB identity pages with CR4.PSE, a 4 KiB alias page),
 * then PAE paging (2 MiB identity pages, a 4 KiB alias page), checks
 * translation, the A/D flags, #PF error codes and CR2, the PDPTE registers
 * and the #GP of a MOV to CR3 with a bad PDPTE, prints one line per check,
 * and turns paging off again. paging_checks / paging_passed count them.
 * SDM Vol. 3A §4.3 (32-bit paging), §4.4 (PAE paging), §4.7 (#PF). */

#define GDT_CODE32 0x18
#define GATE32_INTERRUPT_DPL0 0x8E
#define VECTORS 32
#define EXIT_UNEXPECTED_TRAP 0x7e

#define CR0_PG  0x80000000
#define CR0_WP  0x00010000
#define CR4_PSE 0x10
#define CR4_PAE 0x20
#define P  1
#define W  2
#define A  0x20
#define D  0x40
#define PS 0x80

#define ALIAS32  0x40000000     /* 32-bit paging: PDE 256 -> pg_pt32 */
#define ALIAS_PAE 0x00800000    /* PAE paging: PDE 4 of GiB 0 -> pg_pt_pae */

    .text
    .code32
    .globl pm32_hook
pm32_hook:
    pusha
    call pm32_install_idt
    call pm32_test_32bit_paging
    call pm32_test_pae_paging
    lidt null_idt_pointer           /* the 64-bit part installs its own */
    popa
    ret

/* ---------------------------------------------------------- 32-bit paging */
pm32_test_32bit_paging:
    mov $msg_32, %esi
    call serial32_puts
    movl $(0x000000 | P | W | PS), pg_pd32          /* 0-4 MiB */
    movl $(0x400000 | P | W | PS), pg_pd32 + 4      /* 4-8 MiB */
    mov $pg_pt32, %eax
    or $(P | W), %eax
    mov %eax, pg_pd32 + 256 * 4                     /* ALIAS32 */
    mov $pg_buffer, %eax
    or $(P | W), %eax
    mov %eax, pg_pt32                               /* ALIAS32 -> pg_buffer */
    mov $pg_buffer, %eax
    or $P, %eax
    mov %eax, pg_pt32 + 2 * 4                       /* ALIAS32 + 8 KiB: read-only */

    mov %cr4, %eax
    or $CR4_PSE, %eax
    mov %eax, %cr4
    mov $pg_pd32, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP), %eax
    mov %eax, %cr0

    mov $msg_alias, %esi
    call serial32_puts
    movl $0x12345678, ALIAS32 + 0x10
    mov pg_buffer + 0x10, %eax                      /* through the 4 MiB identity page */
    mov $0x12345678, %ebx
    call pm32_check_eq

    mov $msg_ad, %esi
    call serial32_puts
    mov pg_pt32, %eax
    and $(A | D), %eax
    mov $(A | D), %ebx
    call pm32_check_eq

    mov $msg_pf_np, %esi
    call serial32_puts
    movl $1f, resume
    mov ALIAS32 + 0x1000, %eax                      /* PTE 1: not present */
1:  mov $14, %ebx
    mov $0x0, %ecx
    mov $(ALIAS32 + 0x1000), %edx
    call pm32_check_fault

    mov $msg_pf_ro, %esi
    call serial32_puts
    movl $1f, resume
    movl $1, ALIAS32 + 0x2004                       /* read-only, CR0.WP=1 */
1:  mov $14, %ebx
    mov $(P | W), %ecx
    mov $(ALIAS32 + 0x2004), %edx
    call pm32_check_fault

    mov %cr0, %eax
    and $~CR0_PG, %eax
    mov %eax, %cr0
    mov %cr4, %eax
    and $~CR4_PSE, %eax
    mov %eax, %cr4
    ret

/* ------------------------------------------------------------ PAE paging */
pm32_test_pae_paging:
    mov $msg_pae, %esi
    call serial32_puts
    mov $pg_pd_pae, %eax
    or $P, %eax
    mov %eax, pg_pdpt                               /* PDPTE 0: GiB 0 */
    movl $(0x000000 | P | W | PS), pg_pd_pae        /* 2 MiB pages, 0-8 MiB */
    movl $(0x200000 | P | W | PS), pg_pd_pae + 8
    movl $(0x400000 | P | W | PS), pg_pd_pae + 16
    movl $(0x600000 | P | W | PS), pg_pd_pae + 24
    mov $pg_pt_pae, %eax
    or $(P | W), %eax
    mov %eax, pg_pd_pae + 4 * 8                     /* ALIAS_PAE */
    mov $pg_buffer, %eax
    or $(P | W), %eax
    mov %eax, pg_pt_pae
    mov %eax, pg_pt_pae + 8
    mov %eax, pg_pt_pae + 3 * 8                     /* ALIAS_PAE + 12 KiB: first used with PDPTE 0 cleared */
    movl $0x00100000, pg_pt_pae + 8 + 4             /* ALIAS_PAE + 4 KiB: bit 52, reserved with PAE paging */

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $pg_pdpt, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0                                  /* loads the PDPTEs */

    mov $msg_alias_pae, %esi
    call serial32_puts
    movl $0xcafebabe, ALIAS_PAE + 0x20
    mov pg_buffer + 0x20, %eax
    mov $0xcafebabe, %ebx
    call pm32_check_eq

    /* The PDPTE in memory is not used until CR3 is loaded again (§4.4.1):
     * a page never used before still translates with PDPTE 0 cleared. */
    mov $msg_pdpte_reg, %esi
    call serial32_puts
    movl $0, pg_pdpt
    mov ALIAS_PAE + 0x3020, %eax
    mov $pg_pd_pae, %ecx
    or $P, %ecx
    mov %ecx, pg_pdpt
    mov $0xcafebabe, %ebx
    call pm32_check_eq

    mov $msg_pf_rsvd, %esi
    call serial32_puts
    movl $1f, resume
    mov ALIAS_PAE + 0x1000, %eax
1:  mov $14, %ebx
    mov $9, %ecx                                    /* P | RSVD */
    mov $(ALIAS_PAE + 0x1000), %edx
    call pm32_check_fault

    /* A present PDPTE with a reserved bit: MOV to CR3 is #GP(0) (§4.4.1). */
    mov $msg_gp_pdpte, %esi
    call serial32_puts
    mov $pg_pd_pae, %eax
    or $(P | W), %eax                               /* R/W is reserved in a PDPTE */
    mov %eax, pg_bad_pdpt
    movl $1f, resume
    mov $pg_bad_pdpt, %eax
    mov %eax, %cr3
1:  mov $13, %ebx
    mov $0, %ecx
    call pm32_check_fault
    mov $msg_cr3_kept, %esi
    call serial32_puts
    mov %cr3, %eax
    mov $pg_pdpt, %ebx
    call pm32_check_eq

    mov %cr0, %eax
    and $~CR0_PG, %eax
    mov %eax, %cr0
    mov %cr4, %eax
    and $~CR4_PAE, %eax
    mov %eax, %cr4
    ret

/* ---------------------------------------------------------------- checks */
/* pm32_check_eq: EAX = value, EBX = expected. Prints "ok" or the value. */
pm32_check_eq:
    incl paging_checks
    cmp %eax, %ebx
    jne 1f
    incl paging_passed
    mov $msg_ok, %esi
    call serial32_puts
    ret
1:  mov $msg_got, %esi
    call serial32_puts
    call serial32_puthex
    mov $msg_newline, %esi
    call serial32_puts
    ret

/* pm32_check_fault: EBX = vector, ECX = error code, EDX = CR2 expected (#PF
 * only). Prints what arrived: "vector N err=0x.. [cr2=0x..]". */
pm32_check_fault:
    incl paging_checks
    mov $msg_vector, %esi
    call serial32_puts
    mov fault_vector, %eax
    call pm32_putdec
    mov $msg_err, %esi
    call serial32_puts
    mov fault_error, %eax
    call serial32_puthex
    cmpl $14, fault_vector
    jne 1f
    mov $msg_cr2, %esi
    call serial32_puts
    mov fault_cr2, %eax
    call serial32_puthex
1:  mov $msg_newline, %esi
    call serial32_puts
    cmp fault_vector, %ebx
    jne 2f
    cmp fault_error, %ecx
    jne 2f
    cmp $14, %ebx
    jne 1f
    cmp fault_cr2, %edx
    jne 2f
1:  incl paging_passed
2:  movl $0xff, fault_vector
    ret

/* pm32_putdec: EAX < 100 in decimal. */
pm32_putdec:
    push %eax
    push %edx
    push %ecx
    xor %edx, %edx
    mov $10, %ecx
    div %ecx
    test %eax, %eax
    jz 1f
    add $'0', %al
    call serial32_putc
1:  mov %dl, %al
    add $'0', %al
    call serial32_putc
    pop %ecx
    pop %edx
    pop %eax
    ret

/* -------------------------------------------------------- exceptions */
pm32_install_idt:
    mov $pm32_idt, %edi
    xor %ecx, %ecx
1:  mov $pm32_unexpected, %eax
    cmp $13, %ecx
    jne 2f
    mov $pm32_gp_handler, %eax
2:  cmp $14, %ecx
    jne 3f
    mov $pm32_pf_handler, %eax
3:  mov %ax, (%edi)
    movw $GDT_CODE32, 2(%edi)
    movb $0, 4(%edi)
    movb $GATE32_INTERRUPT_DPL0, 5(%edi)
    shr $16, %eax
    mov %ax, 6(%edi)
    add $8, %edi
    inc %ecx
    cmp $VECTORS, %ecx
    jne 1b
    lidt idt_pointer
    ret

/* Both push an error code: pm32_record it (and CR2), resume at `resume`. */
pm32_pf_handler:
    movl $14, fault_vector
    jmp pm32_record
pm32_gp_handler:
    movl $13, fault_vector
pm32_record:
    push %eax
    mov 4(%esp), %eax
    mov %eax, fault_error
    mov %cr2, %eax
    mov %eax, fault_cr2
    mov resume, %eax
    mov %eax, 8(%esp)                               /* saved EIP */
    pop %eax
    add $4, %esp                                    /* the error code */
    iret

pm32_unexpected:
    mov $msg_unexpected, %esi
    call serial32_puts
    mov (%esp), %eax
    call serial32_puthex
    mov $msg_newline, %esi
    call serial32_puts
    mov $EXIT_UNEXPECTED_TRAP, %eax
    mov $0xf4, %dx
    outl %eax, %dx
1:  hlt
    jmp 1b

    .section .rodata
msg_32:         .asciz "paging: 32-bit paging\n"
msg_alias:      .asciz "4 MiB pages and a 4 KiB alias: "
msg_ad:         .asciz "A and D set in the PTE written through: "
msg_pf_np:      .asciz "#PF read of a not-present page: "
msg_pf_ro:      .asciz "#PF write to a read-only page: "
msg_pae:        .asciz "paging: PAE paging\n"
msg_alias_pae:  .asciz "2 MiB pages and a 4 KiB alias: "
msg_pdpte_reg:  .asciz "PDPTE registers, not memory: "
msg_pf_rsvd:    .asciz "#PF reserved bit 52: "
msg_gp_pdpte:   .asciz "#GP loading CR3 with a bad PDPTE: "
msg_cr3_kept:   .asciz "CR3 unchanged: "
msg_ok:         .asciz "ok\n"
msg_got:        .asciz "FAILED, got "
msg_vector:     .asciz "vector "
msg_err:        .asciz " err="
msg_cr2:        .asciz " cr2="
msg_newline:    .asciz "\n"
msg_unexpected: .asciz "unexpected exception in 32-bit mode, top of stack "
    .balign 4
    .short 0
idt_pointer:
    .short VECTORS * 8 - 1
    .long pm32_idt
    .short 0
null_idt_pointer:
    .short 0
    .long 0

    .data
    .balign 4
    .globl paging_checks, paging_passed
paging_checks:  .long 0
paging_passed:  .long 0
fault_vector:   .long 0xff
fault_error:    .long 0
fault_cr2:      .long 0
resume:         .long 0

    .bss
    .balign 4096
pg_pd32:    .skip 4096
pg_pt32:    .skip 4096
pg_pdpt:    .skip 4096
pg_pd_pae:  .skip 4096
pg_pt_pae:  .skip 4096
pg_bad_pdpt: .skip 4096
pg_buffer:  .skip 4096
    .balign 8
pm32_idt:   .skip VECTORS * 8

    .section .note.GNU-stack, "", @progbits

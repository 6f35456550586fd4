/* Minimal exception handlers for faultbench: each does the least a real
 * kernel must (recover and IRETQ), so the measurement is the CPU's fault
 * delivery and return, not handler code. */
    .text
    .code64

/* #UD: the faulting instruction is UD2 (2 bytes); resume after it. */
    .globl fb_ud_handler
fb_ud_handler:
    addq $2, (%rsp)
    iretq

/* #PF: make the page present again and retry the access. */
    .globl fb_pf_handler
fb_pf_handler:
    push %rax
    mov fb_pf_pde(%rip), %rax
    orq $1, (%rax)
    pop %rax
    add $8, %rsp                    /* error code */
    iretq

/* #GP: the faulting instruction is `mov (%rax), %rbx` (48 8b 18) through a
 * non-canonical address; resume after it. */
    .globl fb_gp_handler
fb_gp_handler:
    add $8, %rsp                    /* error code */
    addq $3, (%rsp)
    iretq

/* #BP from INT3 is a trap: RIP already points past it. */
    .globl fb_bp_handler
fb_bp_handler:
    iretq

/* Entry stubs for the sixteen PIC vectors 0x20-0x2f: each pushes its IRQ
 * number and joins a common path that saves the general registers and
 * xmm0-15 (the C handler may use SSE), calls irq_dispatch(irq) and returns
 * with iretq. Exported as irq_stubs[16] for the IDT. */

    .text
    .code64

.macro IRQ n
    .balign 16
irq_stub_\n:
    push $\n
    jmp irq_common
.endm

.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    IRQ \n
.endr

irq_common:
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %rbx
    mov %rsp, %rbx                  /* callee-saved: restores rsp below */
    mov 80(%rsp), %rdi              /* the IRQ number pushed by the stub */
    and $-16, %rsp
    sub $256, %rsp
    movdqa %xmm0, 0x00(%rsp)
    movdqa %xmm1, 0x10(%rsp)
    movdqa %xmm2, 0x20(%rsp)
    movdqa %xmm3, 0x30(%rsp)
    movdqa %xmm4, 0x40(%rsp)
    movdqa %xmm5, 0x50(%rsp)
    movdqa %xmm6, 0x60(%rsp)
    movdqa %xmm7, 0x70(%rsp)
    movdqa %xmm8, 0x80(%rsp)
    movdqa %xmm9, 0x90(%rsp)
    movdqa %xmm10, 0xa0(%rsp)
    movdqa %xmm11, 0xb0(%rsp)
    movdqa %xmm12, 0xc0(%rsp)
    movdqa %xmm13, 0xd0(%rsp)
    movdqa %xmm14, 0xe0(%rsp)
    movdqa %xmm15, 0xf0(%rsp)
    cld
    call irq_dispatch
    movdqa 0x00(%rsp), %xmm0
    movdqa 0x10(%rsp), %xmm1
    movdqa 0x20(%rsp), %xmm2
    movdqa 0x30(%rsp), %xmm3
    movdqa 0x40(%rsp), %xmm4
    movdqa 0x50(%rsp), %xmm5
    movdqa 0x60(%rsp), %xmm6
    movdqa 0x70(%rsp), %xmm7
    movdqa 0x80(%rsp), %xmm8
    movdqa 0x90(%rsp), %xmm9
    movdqa 0xa0(%rsp), %xmm10
    movdqa 0xb0(%rsp), %xmm11
    movdqa 0xc0(%rsp), %xmm12
    movdqa 0xd0(%rsp), %xmm13
    movdqa 0xe0(%rsp), %xmm14
    movdqa 0xf0(%rsp), %xmm15
    mov %rbx, %rsp
    pop %rbx
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    add $8, %rsp                    /* the IRQ number */
    iretq

    .section .rodata
    .balign 8
    .globl irq_stubs
irq_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .quad irq_stub_\n
.endr

    .section .note.GNU-stack, "", @progbits

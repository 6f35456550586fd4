/* Entry stubs for interrupt vectors 32-255: each pushes its vector and
 * joins a common path that saves the general registers and xmm0-15 (the C
 * handler may use SSE), calls apic_vector(vector) and returns with iretq.
 * Exported as vector_stubs[224] (vector 32 first) for the IDT. */

    .text
    .code64

/* One 16-byte stub per vector: push $vector; jmp vector_common. */
    .balign 16
vector_stubs_start:
    .set vector, 32
    .rept 224
    .balign 16
    push $vector
    jmp vector_common
    .set vector, vector + 1
    .endr

vector_common:
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
    mov 80(%rsp), %rdi              /* the vector pushed by the stub */
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
    call apic_vector
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
    add $8, %rsp                    /* the vector */
    iretq

    .section .rodata
    .balign 8
    .globl vector_stubs
vector_stubs:
    .set vector, 32
    .rept 224
    .quad vector_stubs_start + 16 * (vector - 32)
    .set vector, vector + 1
    .endr

    .section .note.GNU-stack, "", @progbits

/* Guest code of vmx-ept: one access to the address in RBX, then VMCALL. */
    .text
    .code64
    .globl g_read, g_read_at, g_write, g_write_at, g_fetch, g_fetch_at
g_read:
g_read_at:
    mov (%rbx), %rax
    vmcall
g_write:
g_write_at:
    mov %rcx, (%rbx)
    vmcall
g_fetch:
g_fetch_at:
    call *%rbx                      /* the target holds VMCALL; RET */
    vmcall
    .section .note.GNU-stack, "", @progbits

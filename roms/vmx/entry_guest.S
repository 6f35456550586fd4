/* Guest code of vmx-entry: a VMCALL (3 bytes), which always exits. */
    .text
    .code64
    .globl g_vmcall
g_vmcall:
    vmcall
    jmp g_vmcall
    .section .note.GNU-stack, "", @progbits

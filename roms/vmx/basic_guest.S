/* Guest code of vmx-basic: a VMCALL (3 bytes), which always exits. */
    .text
    .code64
    .globl guest_vmcall
guest_vmcall:
    vmcall
    jmp guest_vmcall
    .section .note.GNU-stack, "", @progbits

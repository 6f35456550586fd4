/* Handlers of the guests' IDT (guest_idt.c): the stub of vector N, 16
 * bytes apart from guest_idt_handlers, loads N into RAX and makes a VMCALL,
 * so the host sees which vector the guest took. */
    .text
    .code64
    .balign 16
    .globl guest_idt_handlers
guest_idt_handlers:
    vector = 0
    .rept 256
    .balign 16
    mov $vector, %eax
    vmcall
    vector = vector + 1
    .endr
    .section .note.GNU-stack, "", @progbits

/* The faults ROM's 32-bit part: entry.S calls pm32_hook in protected mode
 * (flat segments from the runtime GDT, paging off) before it enters long
 * mode. It installs a 32-bit IDT, raises #BP (int3) and #UD (ud2), and
 * prints one line per exception in the same format as the 64-bit part.
 * pm32_passed counts the exceptions that arrived with the expected EIP. */

#define GDT_CODE32 0x18
#define GATE32_INTERRUPT_DPL0 0x8E
#define VECTORS 32
#define EXIT_UNEXPECTED_TRAP 0x7e

    .text
    .code32
    .globl pm32_hook
pm32_hook:
    push %esi
    mov $msg_title, %esi
    call serial32_puts
    call pm32_install_idt

    mov $msg_bp, %esi
    call serial32_puts
    call pm32_site_bp

    mov $msg_ud, %esi
    call serial32_puts
    call pm32_site_ud

    pop %esi
    ret

/* All gates go to pm32_unexpected except #BP and #UD. */
pm32_install_idt:
    push %eax
    push %ecx
    push %edi
    mov $pm32_idt, %edi
    xor %ecx, %ecx
1:  mov $pm32_unexpected, %eax
    cmp $3, %ecx
    jne 2f
    mov $pm32_bp_handler, %eax
2:  cmp $6, %ecx
    jne 3f
    mov $pm32_ud_handler, %eax
3:  mov %ax, (%edi)                     /* offset 15:0 */
    movw $GDT_CODE32, 2(%edi)           /* selector */
    movb $0, 4(%edi)
    movb $GATE32_INTERRUPT_DPL0, 5(%edi)
    shr $16, %eax
    mov %ax, 6(%edi)                    /* offset 31:16 */
    add $8, %edi
    inc %ecx
    cmp $VECTORS, %ecx
    jne 1b
    lidt pm32_idt_pointer
    pop %edi
    pop %ecx
    pop %eax
    ret

/* #BP is a trap: the saved EIP is already past int3. */
pm32_bp_handler:
    push %eax
    push %esi
    mov $msg_vector3, %esi
    call serial32_puts
    mov 8(%esp), %eax                   /* saved EIP */
    call serial32_puthex
    cmp $pm32_site_bp_resume, %eax
    jne 1f
    incl pm32_passed
1:  mov $msg_newline, %esi
    call serial32_puts
    pop %esi
    pop %eax
    iret

/* #UD is a fault: the saved EIP is the ud2; step over it (2 bytes). */
pm32_ud_handler:
    push %eax
    push %esi
    mov $msg_vector6, %esi
    call serial32_puts
    mov 8(%esp), %eax
    call serial32_puthex
    cmp $pm32_site_ud_fault, %eax
    jne 1f
    incl pm32_passed
1:  mov $msg_newline, %esi
    call serial32_puts
    addl $2, 8(%esp)                    /* length of ud2 */
    pop %esi
    pop %eax
    iret

pm32_unexpected:
    mov $msg_unexpected, %esi
    call serial32_puts
    mov (%esp), %eax                    /* EIP, or the error code for vectors that push one */
    call serial32_puthex
    mov $msg_newline, %esi
    call serial32_puts
    mov $EXIT_UNEXPECTED_TRAP, %eax
    mov $0xf4, %dx
    outl %eax, %dx
1:  hlt
    jmp 1b

    .section .rodata
msg_title:      .asciz "faults: 32-bit protected mode\n"
msg_bp:         .asciz "#BP int3\n"
msg_ud:         .asciz "#UD ud2\n"
msg_vector3:    .asciz "vector 3 err=0x0 eip="
msg_vector6:    .asciz "vector 6 err=0x0 eip="
msg_unexpected: .asciz "unexpected exception in 32-bit mode, top of stack "
msg_newline:    .asciz "\n"
    .balign 4
    .short 0
pm32_idt_pointer:
    .short VECTORS * 8 - 1
    .long pm32_idt

    .data
    .globl pm32_passed
    .balign 4
pm32_passed: .long 0

    .bss
    .balign 8
pm32_idt: .skip VECTORS * 8

    .section .note.GNU-stack, "", @progbits

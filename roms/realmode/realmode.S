/* realmode: starts in 16-bit real mode at 0x7c00 with no firmware services
 * needed, prints "real mode ok", exercises 16-bit code (string
 * instructions, far calls, an INT through a vector it installs in the IVT),
 * switches to 32-bit protected mode ("protected mode ok"), then to long
 * mode ("long mode ok") and exits through the debug-exit port with the
 * number of failed real-mode checks (0 when all passed).
 *
 * Entry: CS:IP = 07c0:0000 or 0000:7c00 (the first far jump makes them the
 * same); other registers need no particular values. The whole file may be
 * loaded at 0x7c00 (vtlab --flat 0x7c00), or only its first sector by a PC
 * BIOS booting it as a disk: then the boot sector reads the rest with
 * INT 13h. See realmode.ld for the layout. */

#define COM1            0x3f8
#define DEBUG_EXIT      0xf4
#define PAYLOAD_MAGIC   0x21444f4d      /* "MOD!" */
#define EXIT_DISK_ERROR 0x7c
#define GDT_CODE64      0x08
#define GDT_DATA        0x10
#define GDT_CODE32      0x18
#define STACK_TOP       0x7c00
#define INT_TEST_VECTOR 0x60

/* ======================================================= boot sector */
    .section .boot, "ax"
    .code16
    .globl _start
_start:
    cli
    ljmp $0, $normalized
normalized:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $STACK_TOP, %sp
    cld
    cmpl $PAYLOAD_MAGIC, payload_magic
    je 1f
    /* Only this sector is in memory: a BIOS booted us from drive DL.
     * Read the payload (sectors 2.., cylinder 0, head 0) to 0x7e00. */
    sti
    mov $0x02, %ah
    mov $payload_sectors, %al
    mov $0x0002, %cx
    xor %dh, %dh
    mov $payload_start, %bx
    int $0x13
    cli
    jc disk_error
    cmpl $PAYLOAD_MAGIC, payload_magic
    jne disk_error
1:  jmp real_mode_main

disk_error:
    call uart16_init
    mov $msg_disk_error, %si
    call puts16
    mov $EXIT_DISK_ERROR, %eax
    mov $DEBUG_EXIT, %dx
    outl %eax, %dx
2:  hlt
    jmp 2b

/* 16550: no interrupts, divisor 1 (115200), 8N1, FIFOs on. */
uart16_init:
    mov $(COM1 + 1), %dx
    xor %al, %al
    out %al, %dx
    mov $(COM1 + 3), %dx
    mov $0x80, %al
    out %al, %dx
    mov $(COM1 + 0), %dx
    mov $1, %al
    out %al, %dx
    mov $(COM1 + 1), %dx
    xor %al, %al
    out %al, %dx
    mov $(COM1 + 3), %dx
    mov $0x03, %al
    out %al, %dx
    mov $(COM1 + 2), %dx
    mov $0x07, %al
    out %al, %dx
    mov $(COM1 + 4), %dx
    mov $0x03, %al
    out %al, %dx
    ret

/* putc16: AL = byte; waits for LSR.THRE. Keeps AX. */
putc16:
    push %dx
    push %ax
    mov $(COM1 + 5), %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    pop %ax
    mov $COM1, %dx
    out %al, %dx
    pop %dx
    ret

/* puts16: DS:SI = NUL-terminated string. */
puts16:
    push %ax
    push %si
1:  lodsb
    test %al, %al
    jz 2f
    call putc16
    jmp 1b
2:  pop %si
    pop %ax
    ret

msg_disk_error: .asciz "realmode: INT 13h could not load the payload\n"

    .org 510
    .byte 0x55, 0xaa

/* ==================================================== payload: 16-bit */
    .section .payload, "ax"
    .code16
payload_magic:
    .long PAYLOAD_MAGIC

/* Far-call target at a paragraph boundary, so it can be called as
 * far_target_segment:0000 as well as through other segment:offset pairs.
 * Returns the CS it ran with in AX. Position-independent. */
    .balign 16
    .globl far_target
far_target:
    mov %cs, %ax
    lret

/* INT 0x60 handler installed in the IVT: AX = 2 * AX + 1. */
int60_handler:
    shl $1, %ax
    inc %ax
    iret

real_mode_main:
    call uart16_init
    mov $msg_real, %si
    call puts16
    call test_strings
    call test_far_calls
    call test_int
    jmp enter_protected_mode

/* STOSB loop, REP MOVSW, REPE CMPSB, REPNE SCASB, LODSB sum. */
test_strings:
    mov $buf_a, %di                 /* buf_a[i] = i, i < 64 */
    mov $64, %cx
    xor %al, %al
1:  stosb
    inc %al
    loop 1b
    mov $buf_a, %si                 /* buf_b = buf_a, by words */
    mov $buf_b, %di
    mov $32, %cx
    rep movsw
    mov $buf_a, %si                 /* equal? */
    mov $buf_b, %di
    mov $64, %cx
    repe cmpsb
    jne 8f
    test %cx, %cx
    jnz 8f
    mov $buf_b, %di                 /* find 0x2a */
    mov $64, %cx
    mov $0x2a, %al
    repne scasb
    jne 8f
    cmp $(buf_b + 0x2b), %di
    jne 8f
    mov $buf_b, %si                 /* sum = 0 + 1 + ... + 63 = 0x7e0 */
    mov $64, %cx
    xor %bx, %bx
    xor %ah, %ah
2:  lodsb
    add %ax, %bx
    loop 2b
    cmp $0x7e0, %bx
    jne 8f
    mov $msg_strings_ok, %si
    call puts16
    mov %bx, %ax
    call puthex16
    mov $msg_close, %si
    call puts16
    ret
8:  mov $msg_strings_bad, %si
    jmp report_failure

/* Direct far call to far_target_segment:0000 and an indirect one through a
 * m16:16 pointer naming the same bytes as 0700:xxxx. */
test_far_calls:
    lcall $far_target_segment, $0
    cmp $far_target_segment, %ax
    jne 8f
    mov %ax, %bx
    lcall *far_pointer
    cmp $0x0700, %ax
    jne 8f
    mov $msg_far_ok, %si
    call puts16
    mov %bx, %ax
    call puthex16
    mov $msg_comma_cs, %si
    call puts16
    mov $0x0700, %ax
    call puthex16
    mov $msg_close, %si
    call puts16
    ret
8:  mov $msg_far_bad, %si
    jmp report_failure

/* INT through a vector we install; the handler must run with IF clear. */
test_int:
    movw $int60_handler, (INT_TEST_VECTOR * 4)
    movw $0, (INT_TEST_VECTOR * 4 + 2)
    mov $0x1234, %ax
    int $INT_TEST_VECTOR
    cmp $0x2469, %ax
    jne 8f
    mov %ax, %bx
    mov $msg_int_ok, %si
    call puts16
    mov %bx, %ax
    call puthex16
    mov $msg_close, %si
    call puts16
    ret
8:  mov $msg_int_bad, %si
    jmp report_failure

/* Prints SI and counts the failure; the exit code is the count. */
report_failure:
    call puts16
    incl failures
    ret

/* puthex16: AX as "0x" and four hex digits. */
puthex16:
    push %ax
    push %bx
    push %cx
    mov %ax, %bx
    mov $'0', %al
    call putc16
    mov $'x', %al
    call putc16
    mov $4, %cx
1:  rol $4, %bx
    mov %bl, %al
    and $0xf, %al
    add $'0', %al
    cmp $'9', %al
    jbe 2f
    add $('a' - '9' - 1), %al
2:  call putc16
    loop 1b
    pop %cx
    pop %bx
    pop %ax
    ret

enter_protected_mode:
    cli
    lgdtl gdt_pointer
    mov %cr0, %eax
    or $1, %eax                     /* PE */
    mov %eax, %cr0
    ljmpl $GDT_CODE32, $protected_mode_entry

/* ==================================================== payload: 32-bit */
    .code32
protected_mode_entry:
    mov $GDT_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $STACK_TOP, %esp
    mov $msg_protected, %esi
    call puts32

    /* Zero the page tables (a flat load leaves memory as it was), then map
     * the first 1 GiB with 2 MiB pages: PML4[0] -> PDPT[0] -> PD. */
    mov $bss_start, %edi
    mov $bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    movl $(pdpt + 3), pml4
    movl $(pd + 3), pdpt
    mov $pd, %edi
    mov $0x83, %eax                 /* present, writable, 2 MiB */
    mov $512, %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    dec %ecx
    jnz 1b

    mov %cr4, %eax
    or $0x20, %eax                  /* PAE */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx           /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax            /* PG */
    mov %eax, %cr0
    ljmp $GDT_CODE64, $long_mode_entry

puts32:
    push %eax
    push %edx
    push %esi
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %ah
    mov $(COM1 + 5), %dx
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov %ah, %al
    mov $COM1, %dx
    out %al, %dx
    jmp 1b
3:  pop %esi
    pop %edx
    pop %eax
    ret

/* ==================================================== payload: 64-bit */
    .code64
long_mode_entry:
    mov $GDT_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $STACK_TOP, %esp
    lea msg_long(%rip), %rsi
    call puts64
    mov failures(%rip), %eax
    mov $DEBUG_EXIT, %dx
    outl %eax, %dx
1:  hlt
    jmp 1b

puts64:
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %ah
    mov $(COM1 + 5), %dx
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov %ah, %al
    mov $COM1, %dx
    out %al, %dx
    jmp 1b
3:  ret

/* ============================================================== data */
    .section .rodata
    .balign 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
    .quad 0x00cf9a000000ffff        /* 0x18: flat 32-bit code */
gdt_end:
    .balign 4
    .short 0
gdt_pointer:
    .short gdt_end - gdt - 1
    .long gdt
far_pointer:                        /* m16:16 = 0700:(far_target - 0x7000) */
    .short far_target - 0x7000
    .short 0x0700

msg_real:        .asciz "real mode ok\n"
msg_strings_ok:  .asciz "real mode: string instructions ok (sum "
msg_strings_bad: .asciz "real mode: string instructions FAILED\n"
msg_far_ok:      .asciz "real mode: far calls ok (cs="
msg_comma_cs:    .asciz ", cs="
msg_far_bad:     .asciz "real mode: far calls FAILED\n"
msg_int_ok:      .asciz "real mode: int 0x60 ok (ax="
msg_int_bad:     .asciz "real mode: int 0x60 FAILED\n"
msg_close:       .asciz ")\n"
msg_protected:   .asciz "protected mode ok\n"
msg_long:        .asciz "long mode ok\n"

    .section .data
    .balign 4
failures: .long 0

    .section .bss
    .balign 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
buf_a: .skip 64
buf_b: .skip 64

    .section .note.GNU-stack, "", @progbits

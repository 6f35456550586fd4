/* Guest code of vmx-exits. Each snippet is a label; the instruction that
 * should exit is at <name>_at, and <name>_next follows it, so the test
 * knows the guest RIP and the instruction length the VM exit must report.
 * Snippets end in VMCALL (an unconditional exit) so a guest that does not
 * exit where it should still comes back. */

#define LAPIC 0xfee00000

.macro AT name
    .globl \name\()_at
\name\()_at:
.endm
.macro NEXT name
    .globl \name\()_next
\name\()_next:
.endm
.macro SNIPPET name
    .globl \name
\name:
.endm

    .text
    .code64

SNIPPET g_cpuid
    xor %eax, %eax
AT g_cpuid
    cpuid
NEXT g_cpuid
    vmcall

SNIPPET g_hlt
AT g_hlt
    hlt
NEXT g_hlt
    vmcall

SNIPPET g_invd
AT g_invd
    invd
NEXT g_invd
    vmcall

SNIPPET g_invlpg
    mov $0x123456, %rbx
AT g_invlpg
    invlpg 0x10(%rbx)
NEXT g_invlpg
    vmcall

SNIPPET g_rdpmc
    xor %ecx, %ecx
AT g_rdpmc
    rdpmc
NEXT g_rdpmc
    vmcall

SNIPPET g_rdtsc
AT g_rdtsc
    rdtsc
NEXT g_rdtsc
    vmcall

SNIPPET g_rdtscp
AT g_rdtscp
    rdtscp
NEXT g_rdtscp
    vmcall

SNIPPET g_vmcall
AT g_vmcall
    vmcall
NEXT g_vmcall
    jmp g_vmcall

/* VMX instructions with memory operands: displacement 0x10 off RBX. */
SNIPPET g_vmclear
AT g_vmclear
    vmclear 0x10(%rbx)
NEXT g_vmclear
    vmcall
SNIPPET g_vmptrld
AT g_vmptrld
    vmptrld 0x10(%rbx)
NEXT g_vmptrld
    vmcall
SNIPPET g_vmptrst
AT g_vmptrst
    vmptrst 0x10(%rbx)
NEXT g_vmptrst
    vmcall
SNIPPET g_vmxon
AT g_vmxon
    vmxon 0x10(%rbx)
NEXT g_vmxon
    vmcall
/* VMREAD: register destination RBX, field in RAX (reg2). */
SNIPPET g_vmread
AT g_vmread
    vmread %rax, %rbx
NEXT g_vmread
    vmcall
/* VMWRITE: memory source 0x10(%rbx,%rsi,4), field in RDX. */
SNIPPET g_vmwrite
AT g_vmwrite
    vmwrite 0x10(%rbx,%rsi,4), %rdx
NEXT g_vmwrite
    vmcall
SNIPPET g_vmlaunch
AT g_vmlaunch
    vmlaunch
NEXT g_vmlaunch
    vmcall
SNIPPET g_vmresume
AT g_vmresume
    vmresume
NEXT g_vmresume
    vmcall
SNIPPET g_vmxoff
AT g_vmxoff
    vmxoff
NEXT g_vmxoff
    vmcall
SNIPPET g_invept
AT g_invept
    invept 0x10(%rbx), %rcx
NEXT g_invept
    vmcall
SNIPPET g_invvpid
AT g_invvpid
    invvpid 0x10(%rbx), %rcx
NEXT g_invvpid
    vmcall

/* Control registers. */
SNIPPET g_mov_to_cr0
    mov %cr0, %rax
    xor $0x8, %rax                  /* flip TS */
AT g_mov_to_cr0
    mov %rax, %cr0
NEXT g_mov_to_cr0
    vmcall
SNIPPET g_mov_from_cr3
AT g_mov_from_cr3
    mov %cr3, %r9
NEXT g_mov_from_cr3
    vmcall
SNIPPET g_mov_to_cr3
AT g_mov_to_cr3
    mov %r10, %cr3
NEXT g_mov_to_cr3
    vmcall
SNIPPET g_clts
AT g_clts
    clts
NEXT g_clts
    vmcall
SNIPPET g_lmsw
    mov $0x000f, %ax                /* PE MP EM TS */
AT g_lmsw
    lmsw %ax
NEXT g_lmsw
    vmcall
SNIPPET g_mov_to_cr8
    mov $5, %edx
AT g_mov_to_cr8
    mov %rdx, %cr8
NEXT g_mov_to_cr8
    vmcall
SNIPPET g_mov_from_cr8
AT g_mov_from_cr8
    mov %cr8, %rsi
NEXT g_mov_from_cr8
    vmcall
SNIPPET g_mov_to_cr4
    mov %cr4, %rcx
    xor $0x80, %rcx                 /* flip PGE */
AT g_mov_to_cr4
    mov %rcx, %cr4
NEXT g_mov_to_cr4
    vmcall

/* Debug registers. */
SNIPPET g_mov_to_dr7
    mov $0x400, %eax
AT g_mov_to_dr7
    mov %rax, %dr7
NEXT g_mov_to_dr7
    vmcall
SNIPPET g_mov_from_dr0
AT g_mov_from_dr0
    mov %dr0, %rbx
NEXT g_mov_from_dr0
    vmcall

/* I/O. */
SNIPPET g_out_imm
    mov $0x5a, %al
AT g_out_imm
    out %al, $0x80
NEXT g_out_imm
    vmcall
SNIPPET g_in_dx
    mov $0x3f8 + 7, %dx             /* COM1 scratch register */
AT g_in_dx
    in (%dx), %ax
NEXT g_in_dx
    vmcall
SNIPPET g_rep_outsb
    mov $0x80, %dx
    mov $3, %ecx
    lea g_rep_outsb(%rip), %rsi
AT g_rep_outsb
    rep outsb
NEXT g_rep_outsb
    vmcall
SNIPPET g_out_dword_81
    mov $0x81, %dx
AT g_out_dword_81
    out %eax, (%dx)
NEXT g_out_dword_81
    vmcall

/* MSRs. */
SNIPPET g_rdmsr
AT g_rdmsr
    rdmsr
NEXT g_rdmsr
    vmcall
SNIPPET g_wrmsr
AT g_wrmsr
    wrmsr
NEXT g_wrmsr
    vmcall

/* MONITOR, MWAIT, PAUSE, WBINVD, XSETBV, RDRAND, RDSEED, INVPCID, VMFUNC. */
SNIPPET g_monitor
    mov %rsp, %rax
    xor %ecx, %ecx
    xor %edx, %edx
AT g_monitor
    monitor
NEXT g_monitor
    vmcall
SNIPPET g_mwait
    xor %eax, %eax
    xor %ecx, %ecx
AT g_mwait
    mwait
NEXT g_mwait
    vmcall
SNIPPET g_pause
AT g_pause
    pause
NEXT g_pause
    vmcall
SNIPPET g_wbinvd
AT g_wbinvd
    wbinvd
NEXT g_wbinvd
    vmcall
SNIPPET g_xsetbv
    xor %ecx, %ecx
    mov $3, %eax
    xor %edx, %edx
AT g_xsetbv
    xsetbv
NEXT g_xsetbv
    vmcall
SNIPPET g_rdrand
AT g_rdrand
    rdrand %r12
NEXT g_rdrand
    vmcall
SNIPPET g_rdseed
AT g_rdseed
    rdseed %ecx
NEXT g_rdseed
    vmcall
SNIPPET g_invpcid
    mov $2, %eax                    /* all contexts, including globals */
AT g_invpcid
    invpcid 0x10(%rbx), %rax
NEXT g_invpcid
    vmcall
SNIPPET g_vmfunc
    xor %eax, %eax
AT g_vmfunc
    vmfunc
NEXT g_vmfunc
    vmcall

/* Descriptor tables. */
SNIPPET g_sgdt
AT g_sgdt
    sgdt 0x10(%rbx)
NEXT g_sgdt
    vmcall
SNIPPET g_lidt
AT g_lidt
    lidt 0x10(%rbx)
NEXT g_lidt
    vmcall
SNIPPET g_sldt
AT g_sldt
    sldt %eax
NEXT g_sldt
    vmcall
SNIPPET g_str_mem
AT g_str_mem
    str 0x10(%rbx)
NEXT g_str_mem
    vmcall

/* Exceptions. */
SNIPPET g_ud2
AT g_ud2
    ud2
NEXT g_ud2
    vmcall
SNIPPET g_int3
AT g_int3
    int3
NEXT g_int3
    vmcall
SNIPPET g_gp
    mov $0x8000000000000000, %rax
AT g_gp
    mov (%rax), %rbx
NEXT g_gp
    vmcall
SNIPPET g_pf
    mov $0x40000123, %rax           /* the page the test's guest page tables leave out */
AT g_pf
    mov (%rax), %rbx
NEXT g_pf
    vmcall
SNIPPET g_int80
AT g_int80
    int $0x80
NEXT g_int80
    vmcall

/* Interrupts. */
SNIPPET g_self_ipi
    mov $LAPIC, %rdx                /* 0xfee00000 does not fit a sign-extended disp32 */
    movl $(1 << 18) | 0x40, 0x300(%rdx)     /* fixed, self, vector 0x40 */
AT g_self_ipi                       /* wait until the IPI is pending (IRR bit 0x40) */
    testl $1, 0x220(%rdx)
    jz g_self_ipi_at
    nop
    nop
NEXT g_self_ipi
    vmcall
SNIPPET g_self_nmi
    mov $LAPIC, %rdx
    mov 0x20(%rdx), %eax            /* own APIC ID (bits 31:24) */
    mov %eax, 0x310(%rdx)
    movl $(4 << 8) | (1 << 14), 0x300(%rdx) /* NMI, assert, physical destination */
AT g_self_nmi                       /* an NMI may take a few instructions to arrive */
    mov $1000, %ecx
1:  dec %ecx
    jnz 1b
NEXT g_self_nmi
    vmcall
SNIPPET g_self_init
    mov $LAPIC, %rdx
    mov 0x20(%rdx), %eax            /* own APIC ID */
    mov %eax, 0x310(%rdx)
    movl $(5 << 8) | (1 << 14), 0x300(%rdx) /* INIT, assert, physical destination */
AT g_self_init
    mov $1000, %ecx
1:  dec %ecx
    jnz 1b
NEXT g_self_init
    vmcall
SNIPPET g_sti_window
AT g_sti_window
    sti
    nop
NEXT g_sti_window
    vmcall
SNIPPET g_nops
AT g_nops
    nop
NEXT g_nops
    nop
    nop
    vmcall
SNIPPET g_spin
AT g_spin
    pause
    jmp g_spin_at

/* The guest's own IDT handlers: vector N loads N into RAX and makes a
 * VMCALL, so a test sees which vector the guest took. */
    .balign 16
    .globl guest_idt_stubs
guest_idt_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .balign 16
    mov $\n, %eax
    vmcall
    .endr
    .balign 16
    .globl guest_idt_stub_0x81
guest_idt_stub_0x81:
    mov $0x81, %eax
    vmcall

/* A 32-bit protected-mode guest (unrestricted guest, no paging). */
    .code32
    .globl guest32_task_jmp, guest32_task_jmp_at, guest32_task_jmp_next
guest32_task_jmp:
guest32_task_jmp_at:
    ljmp $0x40, $0
guest32_task_jmp_next:
    vmcall
    .globl guest32_io, guest32_io_at, guest32_io_next
guest32_io:
    mov $0x1234, %eax
guest32_io_at:
    out %ax, $0x80
guest32_io_next:
    vmcall

/* A real-mode guest (unrestricted guest): CS.base is this code's address. */
    .code16
    .globl guest16_cpuid, guest16_cpuid_at, guest16_cpuid_next
guest16_cpuid:
    mov $0x1234, %bx
    xor %eax, %eax
guest16_cpuid_at:
    cpuid
guest16_cpuid_next:
    vmcall

    .section .note.GNU-stack, "", @progbits

// Guest code for the protection tests, assembled by gas. Each snippet is
// position-independent (no absolute references to itself): a test copies
// NAME..NAME_end to where it wants it. Most end in UD2 so a run with
// exceptions intercepted stops there.
#define SNIPPET(name) .globl name, name##_end; name:
#define END(name) name##_end:

	.section .note.GNU-stack, "", @progbits
	.section .rodata.guest, "a"

// ---------------------------------------------------------------- 64-bit
	.code64
SNIPPET(rdmsr64) rdmsr; ud2; END(rdmsr64)
SNIPPET(wrmsr64) wrmsr; ud2; END(wrmsr64)
SNIPPET(rdfsbase64) rdfsbase %rax; ud2; END(rdfsbase64)
// wrfsbase rax; wrgsbase ebx (zero-extended); rdgsbase rcx; rdfsbase edx
SNIPPET(fsgsbase64) wrfsbase %rax; wrgsbase %ebx; rdgsbase %rcx; rdfsbase %edx; ud2; END(fsgsbase64)
SNIPPET(wrgsbase64) wrgsbase %rax; ud2; END(wrgsbase64)
SNIPPET(rdpid64) rdpid %rax; ud2; END(rdpid64)
// rdrand rax; setc bl; rdseed ecx; setc dl; rdrand si
SNIPPET(rdrand64) rdrand %rax; setc %bl; rdseed %ecx; setc %dl; rdrand %si; ud2; END(rdrand64)
SNIPPET(sysenter64) sysenter; END(sysenter64)
SNIPPET(sysexitq) sysexitq; END(sysexitq)
SNIPPET(sgdt64) sgdt -16(%rsp); ud2; END(sgdt64)
SNIPPET(smsw64) smsw %eax; ud2; END(smsw64)
// Misaligned then aligned loads: mov eax, [rbx+1]; mov eax, [rbx]
SNIPPET(misaligned64) movl 1(%rbx), %eax; ud2; END(misaligned64)
SNIPPET(aligned64) movl (%rbx), %eax; ud2; END(aligned64)
// pushfq; or dword [rsp], AC; popfq; mov eax, [rbx+2]
SNIPPET(set_ac_then_load64) pushfq; orl $0x40000, (%rsp); popfq; movl 2(%rbx), %eax; ud2; END(set_ac_then_load64)

// Debug: nop; nop; ud2 / a store, a load, an OUT; a MOV SS pair.
SNIPPET(nops64) nop; nop; ud2; END(nops64)
SNIPPET(store_load64) movl %eax, (%rbx); nop; movl (%rbx), %ecx; nop; ud2; END(store_load64)
SNIPPET(out80_64) outb %al, $0x80; nop; ud2; END(out80_64)
SNIPPET(movss64) mov %ss, %ax; mov %ax, %ss; nop; nop; ud2; END(movss64)
SNIPPET(movdr0_64) mov %dr0, %rax; ud2; END(movdr0_64)
SNIPPET(loop64) 1: inc %rcx; jmp 1b; END(loop64)
SNIPPET(iretq64) iretq; END(iretq64)
SNIPPET(sti_nop64) sti; nop; nop; ud2; END(sti_nop64)
SNIPPET(hlt64) hlt; ud2; END(hlt64)
SNIPPET(inb_dx64) inb %dx, %al; ud2; END(inb_dx64)
SNIPPET(movss_ax64) mov %ax, %ss; ud2; END(movss_ax64)
SNIPPET(syscall64) syscall; END(syscall64)
SNIPPET(sysretq64) sysretq; END(sysretq64)
SNIPPET(sysretl64) sysretl; END(sysretl64)
SNIPPET(swapgs64) swapgs; ud2; END(swapgs64)
// Interrupt shadows: STI; STI (only the first delays interrupts), STI then
// a faulting instruction, STI; HLT.
SNIPPET(sti_sti64) sti; sti; nop; nop; ud2; END(sti_sti64)
SNIPPET(sti_ud2_64) sti; ud2; END(sti_ud2_64)
SNIPPET(sti_hlt64) sti; hlt; ud2; END(sti_hlt64)

// MONITOR/MWAIT: RAX holds the address (and EAX the MWAIT hint), RCX the
// extensions. RBX counts how far the code got.
SNIPPET(monitor64) monitor; ud2; END(monitor64)
SNIPPET(fs_monitor64) fs monitor; ud2; END(fs_monitor64)
SNIPPET(mwait64) mwait; inc %rbx; ud2; END(mwait64)
SNIPPET(monitor_mwait64) monitor; mwait; inc %rbx; ud2; END(monitor_mwait64)
SNIPPET(monitor_store_mwait64) monitor; incl 8(%rax); mwait; inc %rbx; ud2; END(monitor_store_mwait64)
SNIPPET(monitor_sti_mwait64) monitor; sti; mwait; inc %rbx; ud2; END(monitor_sti_mwait64)
// The idle loop of an OS (as Linux's intel_idle: MWAIT with IF=0 and
// interrupts as break events, then interrupts taken with STI; NOP) until
// the flag at [RAX] is set.
SNIPPET(idle_loop64)
1:	cmpl $0, (%rax); jne 2f
	xor %ecx, %ecx; monitor; cmpl $0, (%rax); jne 2f
	mov $1, %ecx; mwait; inc %rbx
	sti; nop; cli; jmp 1b
2:	ud2
END(idle_loop64)
// An interrupt handler for it: counts at [RAX+100H].
SNIPPET(count_irq64) incq 0x100(%rax); iretq; END(count_irq64)

// Control registers and cache control.
SNIPPET(movcr8_64) mov %rax, %cr8; mov %cr8, %rbx; ud2; END(movcr8_64)
SNIPPET(movtocr5_64) .byte 0x0f, 0x22, 0xe8; ud2; END(movtocr5_64)      // mov cr5, rax
SNIPPET(movfromcr9_64) .byte 0x44, 0x0f, 0x20, 0xc8; ud2; END(movfromcr9_64)  // mov rax, cr9
SNIPPET(clts64) clts; ud2; END(clts64)
SNIPPET(lmsw_smsw64) lmsw %ax; smsw %ebx; ud2; END(lmsw_smsw64)
SNIPPET(invd64) invd; ud2; END(invd64)
SNIPPET(wbinvd64) wbinvd; ud2; END(wbinvd64)
SNIPPET(clflush64) clflush (%rax); clflushopt (%rax); clwb (%rax); ud2; END(clflush64)
SNIPPET(clflush_stack64) clflush (%rsp); ud2; END(clflush_stack64)
SNIPPET(rdtscp64) rdtscp; ud2; END(rdtscp64)
SNIPPET(rdtsc64) rdtsc; ud2; END(rdtsc64)
SNIPPET(rdpmc64) rdpmc; ud2; END(rdpmc64)
SNIPPET(rsm64) rsm; END(rsm64)
SNIPPET(ltr64) ltr %ax; ud2; END(ltr64)
SNIPPET(lldt64) lldt %ax; ud2; END(lldt64)

// ---------------------------------------------------------------- 32-bit
	.code32
// CLFLUSH through an execute-only CS (allowed), then a read through it
// (#GP(0)).
SNIPPET(clflush_cs32) clflush %cs:(%eax); movb %cs:(%eax), %bl; ud2; END(clflush_cs32)
SNIPPET(sysenter32) sysenter; END(sysenter32)
SNIPPET(sysexit32) sysexit; END(sysexit32)
// LAR/LSL/VERR/VERW of the selector in BX: eax = LAR result (0xdeadbeef if
// not written), cl = its ZF; edx = LSL result, ch = its ZF; esi = ZF of
// VERR, edi = ZF of VERW.
SNIPPET(inspect32)
	xor %esi, %esi; xor %edi, %edi; mov $0xdeadbeef, %eax; mov $0xdeadbeef, %edx
	lar %bx, %eax; setz %cl
	lsl %bx, %edx; setz %ch
	verr %bx; jnz 1f; inc %esi
1:	verw %bx; jnz 2f; inc %edi
2:	ud2
END(inspect32)

// Call gates: two parameters, then a far call through gate selector 0x33.
SNIPPET(callgate_caller32) push $0x1111; push $0x2222; lcall $0x33, $0; ud2; END(callgate_caller32)
SNIPPET(jmpgate32) ljmp $0x33, $0; END(jmpgate32)
SNIPPET(lret8_32) lret $8; END(lret8_32)
SNIPPET(ud2_32) ud2; END(ud2_32)

// Task switches: CALL to TSS 0x38, JMP to task gate 0x40, INT 0x21.
SNIPPET(call_tss32) mov $0xaaaa, %eax; lcall $0x38, $0; ud2; END(call_tss32)
SNIPPET(jmp_taskgate32) mov $0xbbbb, %eax; ljmp $0x40, $0; END(jmp_taskgate32)
SNIPPET(int21_32) int $0x21; ud2; END(int21_32)
SNIPPET(iret32) iret; END(iret32)
// Port I/O through DX, and the string forms (DS:ESI / ES:EDI).
SNIPPET(inb_dx32) inb %dx, %al; ud2; END(inb_dx32)
SNIPPET(inw_dx32) inw %dx, %ax; ud2; END(inw_dx32)
SNIPPET(inl_dx32) inl %dx, %eax; ud2; END(inl_dx32)
SNIPPET(outsb32) outsb; ud2; END(outsb32)
SNIPPET(rep_insb32) rep insb; ud2; END(rep_insb32)
SNIPPET(syscall32) syscall; END(syscall32)
// A whole guest for the Machine, loaded at 1 MiB and entered in flat 32-bit
// protected mode (CS 10H, DS 18H): its own GDT and IDT, the 8259 pair with
// IRQ 0 only, the 8254 counter 0 in mode 2 at 1193 clocks (1 ms), then the
// idle loop of an OS (MONITOR a flag, MWAIT C1E with IF=0 and interrupts as
// break events, take the interrupt with STI; NOP) until IRQ 0 has come 5
// times. Ends by writing the number of MWAIT returns to the debug-exit
// port.
	.equ MG_BASE, 0x100000
#define MG(sym) MG_BASE + sym - mwait_guest
SNIPPET(mwait_guest)
	mov $0x90000, %esp
	lgdt MG(mg_gdt_desc)
	// Gate 20H: a 32-bit interrupt gate to mg_irq0.
	mov $MG(mg_irq0), %eax
	mov %ax, MG(mg_idt) + 8 * 0x20
	movw $0x10, MG(mg_idt) + 8 * 0x20 + 2
	movw $0x8e00, MG(mg_idt) + 8 * 0x20 + 4
	shr $16, %eax
	mov %ax, MG(mg_idt) + 8 * 0x20 + 6
	lidt MG(mg_idt_desc)
	// 8259 pair: vectors 20H/28H, only IRQ 0 unmasked.
	mov $0x11, %al; out %al, $0x20; out %al, $0xa0
	mov $0x20, %al; out %al, $0x21
	mov $0x28, %al; out %al, $0xa1
	mov $0x04, %al; out %al, $0x21
	mov $0x02, %al; out %al, $0xa1
	mov $0x01, %al; out %al, $0x21; out %al, $0xa1
	mov $0xfe, %al; out %al, $0x21
	mov $0xff, %al; out %al, $0xa1
	// 8254 counter 0, mode 2, 1193 clocks.
	mov $0x34, %al; out %al, $0x43
	mov $0xa9, %al; out %al, $0x40
	mov $0x04, %al; out %al, $0x40
	xor %ebx, %ebx			// MWAIT returns
1:	cmpl $5, MG(mg_count); jae 2f
	mov $MG(mg_flag), %eax; xor %ecx, %ecx; xor %edx, %edx; monitor
	cmpl $0, MG(mg_flag); jne 2f
	mov $0x01, %eax; mov $1, %ecx; mwait
	inc %ebx
	sti; nop; cli
	jmp 1b
2:	mov %ebx, %eax; out %eax, $0xf4
	hlt
mg_irq0:
	incl MG(mg_count)
	push %eax; mov $0x20, %al; out %al, $0x20; pop %eax
	iret
	.p2align 3
mg_gdt:
	.quad 0
	.quad 0
	.quad 0x00cf9a000000ffff	// 10H: code, flat, 32-bit
	.quad 0x00cf92000000ffff	// 18H: data, flat
mg_gdt_desc:
	.word 4 * 8 - 1
	.long MG(mg_gdt)
mg_idt_desc:
	.word 8 * 0x21 - 1
	.long MG(mg_idt)
	.p2align 2
mg_count: .long 0
mg_flag: .long 0
	.p2align 3
mg_idt:	.fill 8 * 0x21, 1, 0
END(mwait_guest)
// Segment loads of the selector in AX (or on the stack).
SNIPPET(movds32) mov %ax, %ds; ud2; END(movds32)
SNIPPET(movss32) mov %ax, %ss; ud2; END(movss32)
SNIPPET(popds32) push %eax; pop %ds; ud2; END(popds32)
// POP SS: its shadow covers the next instruction.
SNIPPET(pop_ss32) push %ss; pop %ss; nop; nop; ud2; END(pop_ss32)

// Virtual-8086 code.
	.code16
SNIPPET(v86_int30) int $0x30; ud2; END(v86_int30)
SNIPPET(v86_cli_pushf_sti) cli; pushf; sti; ud2; END(v86_cli_pushf_sti)
SNIPPET(v86_sti) sti; ud2; END(v86_sti)
SNIPPET(v86_iret) iret; END(v86_iret)
SNIPPET(v86_in) inb $0x71, %al; ud2; END(v86_in)
	.code32

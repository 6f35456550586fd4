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

// ---------------------------------------------------------------- 32-bit
	.code32
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

// Virtual-8086 code.
	.code16
SNIPPET(v86_int30) int $0x30; ud2; END(v86_int30)
SNIPPET(v86_cli_pushf_sti) cli; pushf; sti; ud2; END(v86_cli_pushf_sti)
SNIPPET(v86_sti) sti; ud2; END(v86_sti)
SNIPPET(v86_iret) iret; END(v86_iret)
SNIPPET(v86_in) inb $0x71, %al; ud2; END(v86_in)
	.code32

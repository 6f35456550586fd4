// Host and guest code for the VMX tests, assembled by gas. Each snippet is
// position-independent: a test copies NAME..NAME_end where it wants it.
#define SNIPPET(name) .globl name, name##_end; name:
#define END(name) name##_end:

	.section .note.GNU-stack, "", @progbits
	.section .rodata.guest, "a"
	.code64
// Host: VMXON [rax]; ud2 / VMPTRLD [rax] ...; each ends in UD2.
SNIPPET(vmxon_rax) vmxon (%rax); ud2; END(vmxon_rax)
SNIPPET(vmxoff_) vmxoff; ud2; END(vmxoff_)
SNIPPET(vmclear_rax) vmclear (%rax); ud2; END(vmclear_rax)
SNIPPET(vmptrld_rax) vmptrld (%rax); ud2; END(vmptrld_rax)
SNIPPET(vmptrst_rax) vmptrst (%rax); ud2; END(vmptrst_rax)
// vmread rbx <- field rax; vmwrite field rax <- rbx
SNIPPET(vmread_rax_rbx) vmread %rax, %rbx; ud2; END(vmread_rax_rbx)
SNIPPET(vmread_mem) vmread %rax, 8(%rcx); ud2; END(vmread_mem)
SNIPPET(vmwrite_rax_rbx) vmwrite %rbx, %rax; ud2; END(vmwrite_rax_rbx)
SNIPPET(vmlaunch_) vmlaunch; ud2; END(vmlaunch_)
SNIPPET(vmresume_) vmresume; ud2; END(vmresume_)
SNIPPET(vmcall_) vmcall; ud2; END(vmcall_)
SNIPPET(ud2_) ud2; END(ud2_)
SNIPPET(vmfunc_) vmfunc; ud2; END(vmfunc_)
SNIPPET(invept_) invept (%rax), %rbx; ud2; END(invept_)
// Guests: the instruction that exits, then what would run if it did not.
SNIPPET(g_cpuid) cpuid; ud2; END(g_cpuid)
SNIPPET(g_nop_cpuid) nop; nop; cpuid; ud2; END(g_nop_cpuid)
SNIPPET(g_hlt) hlt; ud2; END(g_hlt)
SNIPPET(g_rdtsc) rdtsc; ud2; END(g_rdtsc)
SNIPPET(g_rdtscp) rdtscp; ud2; END(g_rdtscp)
SNIPPET(g_rdmsr) rdmsr; ud2; END(g_rdmsr)
SNIPPET(g_wrmsr) wrmsr; ud2; END(g_wrmsr)
SNIPPET(g_out_imm) outb %al, $0x80; ud2; END(g_out_imm)
SNIPPET(g_in_dx) inl %dx, %eax; ud2; END(g_in_dx)
SNIPPET(g_rep_outsb) rep outsb; ud2; END(g_rep_outsb)
SNIPPET(g_mov_cr0_rbx) mov %rbx, %cr0; ud2; END(g_mov_cr0_rbx)
SNIPPET(g_read_cr0_rcx) mov %cr0, %rcx; ud2; END(g_read_cr0_rcx)
SNIPPET(g_mov_cr3_rdx) mov %rdx, %cr3; ud2; END(g_mov_cr3_rdx)
SNIPPET(g_read_cr3_rsi) mov %cr3, %rsi; ud2; END(g_read_cr3_rsi)
SNIPPET(g_mov_cr8_rax) mov %rax, %cr8; ud2; END(g_mov_cr8_rax)
SNIPPET(g_clts) clts; ud2; END(g_clts)
SNIPPET(g_mov_dr7_rax) mov %rax, %dr7; ud2; END(g_mov_dr7_rax)
SNIPPET(g_invlpg) invlpg 0x1234(%rbx); ud2; END(g_invlpg)
SNIPPET(g_vmcall) vmcall; ud2; END(g_vmcall)
SNIPPET(g_vmread) vmread %rax, %rbx; ud2; END(g_vmread)
SNIPPET(g_ud2) ud2; END(g_ud2)
SNIPPET(g_int3) int3; ud2; END(g_int3)
SNIPPET(g_load_rbx) movq (%rbx), %rax; ud2; END(g_load_rbx)
SNIPPET(g_loop) 1: inc %rcx; jmp 1b; END(g_loop)
SNIPPET(g_sti_loop) sti; 1: inc %rcx; jmp 1b; END(g_sti_loop)
SNIPPET(g_pause) pause; ud2; END(g_pause)
SNIPPET(g_wbinvd) wbinvd; ud2; END(g_wbinvd)
SNIPPET(g_invd) invd; ud2; END(g_invd)
SNIPPET(g_sgdt) sgdt 16(%rsp); ud2; END(g_sgdt)
SNIPPET(g_str) str %eax; ud2; END(g_str)
SNIPPET(g_rdrand) rdrand %ecx; ud2; END(g_rdrand)
SNIPPET(g_xsetbv) xsetbv; ud2; END(g_xsetbv)
SNIPPET(g_mwait) mwait; ud2; END(g_mwait)
SNIPPET(g_monitor) monitor; ud2; END(g_monitor)
SNIPPET(g_rdpmc) rdpmc; ud2; END(g_rdpmc)
SNIPPET(g_vmclear) vmclear (%rax); ud2; END(g_vmclear)
SNIPPET(g_vmlaunch) vmlaunch; ud2; END(g_vmlaunch)
SNIPPET(g_vmptrld) vmptrld 8(%rax); ud2; END(g_vmptrld)
SNIPPET(g_vmptrst) vmptrst (%rax); ud2; END(g_vmptrst)
SNIPPET(g_vmresume) vmresume; ud2; END(g_vmresume)
SNIPPET(g_vmwrite) vmwrite %rbx, %rax; ud2; END(g_vmwrite)
SNIPPET(g_vmxoff) vmxoff; ud2; END(g_vmxoff)
SNIPPET(g_vmxon) vmxon (%rax); ud2; END(g_vmxon)
SNIPPET(g_invpcid) invpcid 0x10(%rsi), %rdx; ud2; END(g_invpcid)
SNIPPET(g_rdseed) rdseed %rax; ud2; END(g_rdseed)
SNIPPET(g_inc3) inc %rcx; inc %rcx; inc %rcx; ud2; END(g_inc3)
	.section .rodata.guest, "a"
	.code64
// APIC virtualization: a store into the APIC-access page (RBX) or MOV to
// CR8, then CPUID's exit shows how the guest went on.
SNIPPET(g_store_rbx_cpuid) mov %ecx, (%rbx); cpuid; ud2; END(g_store_rbx_cpuid)
SNIPPET(g_mov_cr8_cpuid) mov %rax, %cr8; cpuid; ud2; END(g_mov_cr8_cpuid)
SNIPPET(g_wrmsr_cpuid) wrmsr; cpuid; ud2; END(g_wrmsr_cpuid)

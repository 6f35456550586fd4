/* Guest code of vmx-nested. l2_main is the hypervisor in the middle (L2,
 * run by the ROM, L1); it enters VMX operation and runs l3_guest, its own
 * guest, through VMCS shadowing. On entry: RBX = its VMXON region, RSI =
 * its VMCS, R12 = L3's code, R13 = L3's stack top, R14 = a result area:
 *   0x00: 0 when VMLAUNCH returned to the host RIP (1 if it fell through)
 *   0x08: EXIT_REASON as L2 reads it,  0x10: the L3 guest RIP it reads,
 *   0x18: EXIT_INSN_LEN,               0x20: RBX as L3 left it,
 *   0x28: the VMREAD of a field whose VMREAD-bitmap bit L1 set (TSC_OFFSET). */
#define GUEST_RSP 0x681c
#define GUEST_RIP 0x681e
#define HOST_RSP 0x6c14
#define HOST_RIP 0x6c16
#define EXIT_REASON 0x4402
#define EXIT_INSN_LEN 0x440c
#define TSC_OFFSET 0x2010
    .text
    .code64
    .globl l2_main, l2_vmxon, l2_vmptrld, l2_vmlaunch, l2_vmread_bitmap, l2_host_rip, l3_guest, l3_cpuid
l2_main:
l2_vmxon:
    vmxon (%rbx)
l2_vmptrld:
    vmptrld (%rsi)
    mov $GUEST_RIP, %eax
    vmwrite %r12, %rax
    mov $GUEST_RSP, %eax
    vmwrite %r13, %rax
    mov $HOST_RIP, %eax
    lea l2_host_rip(%rip), %rdx
    vmwrite %rdx, %rax
    mov $HOST_RSP, %eax
    vmwrite %rsp, %rax
    mov $0x5a, %ebx                 /* L3 sees L2's registers */
l2_vmlaunch:
    vmlaunch
    movq $1, 0x00(%r14)
    vmcall
l2_host_rip:
    movq $0, 0x00(%r14)
    mov %rbx, 0x20(%r14)
    mov $EXIT_REASON, %eax
    vmread %rax, 0x08(%r14)
    mov $GUEST_RIP, %eax
    vmread %rax, 0x10(%r14)
    mov $EXIT_INSN_LEN, %eax
    vmread %rax, 0x18(%r14)
    mov $TSC_OFFSET, %eax
l2_vmread_bitmap:
    vmread %rax, %rdx
    mov %rdx, 0x28(%r14)
    vmcall

l3_guest:
    add $1, %rbx
l3_cpuid:
    cpuid
    vmcall
    .section .note.GNU-stack, "", @progbits

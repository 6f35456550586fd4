/* VM entry and the VM-exit entry point of the test ROMs' VMX library.
 *
 * int vmx_enter(struct vmx_regs *regs, int resume):
 *   saves the callee-saved registers and `regs` on the stack, writes that
 *   stack pointer to HOST_RSP (so the exit stub finds them), loads the
 *   guest's general registers from `regs` (all but RSP, which the VMCS
 *   holds) and runs VMLAUNCH (resume == 0) or VMRESUME. If the instruction
 *   fails it returns 1 (VMfailInvalid, CF) or 2 (VMfailValid, ZF) (SDM Vol.
 *   3C §31.2); otherwise the guest runs until a VM exit, which enters
 *   vmx_exit_stub (HOST_RIP) with RSP = HOST_RSP (§28.5.3): the stub stores
 *   the guest's registers into `regs` and returns 0 from vmx_enter.
 *
 * A VM exit loads RFLAGS with only bit 1 set (§28.5.3): interrupts stay off
 * and DF is clear, as the C code expects. */

#define HOST_RSP 0x6c14

    .text
    .code64
    .globl vmx_enter
    .type vmx_enter, @function
vmx_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* regs: 0(%rsp) while the guest runs */
    mov $HOST_RSP, %eax
    vmwrite %rsp, %rax
    jbe vmx_enter_failed            /* CF or ZF: the VMCS is not usable */
    test %esi, %esi                 /* MOVs below keep the flags */
    mov 0x00(%rdi), %rax
    mov 0x08(%rdi), %rcx
    mov 0x10(%rdi), %rdx
    mov 0x18(%rdi), %rbx
    mov 0x28(%rdi), %rbp
    mov 0x30(%rdi), %rsi
    mov 0x40(%rdi), %r8
    mov 0x48(%rdi), %r9
    mov 0x50(%rdi), %r10
    mov 0x58(%rdi), %r11
    mov 0x60(%rdi), %r12
    mov 0x68(%rdi), %r13
    mov 0x70(%rdi), %r14
    mov 0x78(%rdi), %r15
    mov 0x38(%rdi), %rdi
    jnz 1f
    vmlaunch
    jmp vmx_enter_failed
1:  vmresume
vmx_enter_failed:
    /* CF = 1: VMfailInvalid; ZF = 1: VMfailValid. */
    mov $1, %eax
    mov $2, %ecx
    cmovz %ecx, %eax
    mov $1, %ecx
    cmovc %ecx, %eax
    add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size vmx_enter, . - vmx_enter

    .globl vmx_exit_stub
    .type vmx_exit_stub, @function
vmx_exit_stub:
    push %rdi                       /* the guest's RDI; regs is now at 8(%rsp) */
    mov 8(%rsp), %rdi
    mov %rax, 0x00(%rdi)
    mov %rcx, 0x08(%rdi)
    mov %rdx, 0x10(%rdi)
    mov %rbx, 0x18(%rdi)
    mov %rbp, 0x28(%rdi)
    mov %rsi, 0x30(%rdi)
    mov %r8, 0x40(%rdi)
    mov %r9, 0x48(%rdi)
    mov %r10, 0x50(%rdi)
    mov %r11, 0x58(%rdi)
    mov %r12, 0x60(%rdi)
    mov %r13, 0x68(%rdi)
    mov %r14, 0x70(%rdi)
    mov %r15, 0x78(%rdi)
    pop %rax
    mov %rax, 0x38(%rdi)
    add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    xor %eax, %eax
    ret
    .size vmx_exit_stub, . - vmx_exit_stub

    .section .note.GNU-stack, "", @progbits

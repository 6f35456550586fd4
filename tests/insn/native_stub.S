// Entry and exit stubs of the native runner (native_runner.cpp).
// vtlab_insn_enter loads the case's full user state from the state block at
// a fixed address (the x87 and SSE state with FXRSTOR64), then jumps to the
// case's bytes at the code page. The case
// code ends with "jmp [rip+0]; .quad vtlab_insn_exit", which saves the full
// state back and returns to the C++ caller. Only absolute [disp32] addressing
// and a private stack in the runner page are used, so no register or flag of
// the case is touched between loading and saving.
        .intel_syntax noprefix
        .set BLK, 0x40000000            // kRunnerBase, see native_runner.cpp
        .set IN_GPR, BLK + 0x000
        .set IN_RFLAGS, BLK + 0x080
        .set ENTRY, BLK + 0x090
        .set HOST_RSP, BLK + 0x098
        .set OUT_GPR, BLK + 0x0a0
        .set OUT_RFLAGS, BLK + 0x120
        .set IN_FX, BLK + 0x400         // FXSAVE64 images: x87, MXCSR, XMM
        .set OUT_FX, BLK + 0x600
        .set PRIVATE_STACK_TOP, BLK + 0x2000

        .text
        .globl vtlab_insn_enter
        .type vtlab_insn_enter, @function
vtlab_insn_enter:
        push rbx
        push rbp
        push r12
        push r13
        push r14
        push r15
        mov QWORD PTR ds:HOST_RSP, rsp
        fxrstor64 ds:IN_FX
        mov rsp, PRIVATE_STACK_TOP
        push QWORD PTR ds:IN_RFLAGS
        popfq
        mov rax, QWORD PTR ds:IN_GPR + 8 * 0
        mov rcx, QWORD PTR ds:IN_GPR + 8 * 1
        mov rdx, QWORD PTR ds:IN_GPR + 8 * 2
        mov rbx, QWORD PTR ds:IN_GPR + 8 * 3
        mov rbp, QWORD PTR ds:IN_GPR + 8 * 5
        mov rsi, QWORD PTR ds:IN_GPR + 8 * 6
        mov rdi, QWORD PTR ds:IN_GPR + 8 * 7
        mov r8, QWORD PTR ds:IN_GPR + 8 * 8
        mov r9, QWORD PTR ds:IN_GPR + 8 * 9
        mov r10, QWORD PTR ds:IN_GPR + 8 * 10
        mov r11, QWORD PTR ds:IN_GPR + 8 * 11
        mov r12, QWORD PTR ds:IN_GPR + 8 * 12
        mov r13, QWORD PTR ds:IN_GPR + 8 * 13
        mov r14, QWORD PTR ds:IN_GPR + 8 * 14
        mov r15, QWORD PTR ds:IN_GPR + 8 * 15
        mov rsp, QWORD PTR ds:IN_GPR + 8 * 4
        jmp QWORD PTR ds:ENTRY

        .globl vtlab_insn_exit
        .type vtlab_insn_exit, @function
vtlab_insn_exit:
        mov QWORD PTR ds:OUT_GPR + 8 * 4, rsp
        mov rsp, PRIVATE_STACK_TOP
        pushfq
        mov QWORD PTR ds:OUT_GPR + 8 * 0, rax
        mov QWORD PTR ds:OUT_GPR + 8 * 1, rcx
        mov QWORD PTR ds:OUT_GPR + 8 * 2, rdx
        mov QWORD PTR ds:OUT_GPR + 8 * 3, rbx
        mov QWORD PTR ds:OUT_GPR + 8 * 5, rbp
        mov QWORD PTR ds:OUT_GPR + 8 * 6, rsi
        mov QWORD PTR ds:OUT_GPR + 8 * 7, rdi
        mov QWORD PTR ds:OUT_GPR + 8 * 8, r8
        mov QWORD PTR ds:OUT_GPR + 8 * 9, r9
        mov QWORD PTR ds:OUT_GPR + 8 * 10, r10
        mov QWORD PTR ds:OUT_GPR + 8 * 11, r11
        mov QWORD PTR ds:OUT_GPR + 8 * 12, r12
        mov QWORD PTR ds:OUT_GPR + 8 * 13, r13
        mov QWORD PTR ds:OUT_GPR + 8 * 14, r14
        mov QWORD PTR ds:OUT_GPR + 8 * 15, r15
        pop rax
        mov QWORD PTR ds:OUT_RFLAGS, rax
        fxsave64 ds:OUT_FX
        cld                             // the C++ ABI requires DF = 0
        mov rsp, QWORD PTR ds:HOST_RSP
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbp
        pop rbx
        ret

        .section .note.GNU-stack, "", @progbits

/* The x87 and MMX code of the x87 ROM (x87.c calls these; System V ABI:
 * rdi, rsi, rdx, rcx). Intel syntax: AT&T's operand order for the
 * non-commutative x87 forms is a known trap. */

    .intel_syntax noprefix
    .text
    .code64

/* uint16_t x87_<op>(const void *st0, const void *st1, void *out, unsigned fcw)
 * FNINIT, FLDCW fcw, ST(1) = *st1, ST(0) = *st0 (80-bit images), the
 * operation; returns the status word right after it, and stores ST(0) and
 * ST(1) (as they are then) to out[0..9] and out[10..19]. */
.macro OP_BEGIN name
    .globl \name
\name:
    sub rsp, 8
    mov [rsp], cx
    fninit
    fldcw [rsp]
    fld tbyte ptr [rsi]
    fld tbyte ptr [rdi]
.endm
.macro OP_END
    fnstsw ax
    fstp tbyte ptr [rdx]
    fstp tbyte ptr [rdx + 10]
    fninit
    add rsp, 8
    ret
.endm

OP_BEGIN x87_fadd
    fadd st(0), st(1)
OP_END
OP_BEGIN x87_fdiv
    fdiv st(0), st(1)
OP_END
OP_BEGIN x87_fsqrt
    fsqrt
OP_END
OP_BEGIN x87_frndint
    frndint
OP_END
OP_BEGIN x87_fsin
    fsin
OP_END
OP_BEGIN x87_fcos
    fcos
OP_END
OP_BEGIN x87_fsincos
    fsincos
OP_END
OP_BEGIN x87_fptan
    fptan
OP_END
OP_BEGIN x87_f2xm1
    f2xm1
OP_END
OP_BEGIN x87_fyl2x
    fyl2x
OP_END
OP_BEGIN x87_fpatan
    fpatan
OP_END

/* ---- two tasks sharing the FPU (lazy switching with CR0.TS) ---- */

/* Task A: ST(0) = pi, ST(1) = 1. */
    .globl task_a_begin
task_a_begin:
    fld1
    fldpi
    ret
/* Task B: ST(0) = 2. */
    .globl task_b_begin
task_b_begin:
    fld1
    fld1
    faddp st(1), st(0)
    ret
/* Task A: *out = pi + 1 (pops both). */
    .globl task_a_end
task_a_end:
    faddp st(1), st(0)
    fstp tbyte ptr [rdi]
    ret
/* Task B: *out = ST(0) (pops it). */
    .globl task_b_end
task_b_end:
    fstp tbyte ptr [rdi]
    ret

/* void fpu_init(void): FNINIT. */
    .globl fpu_init
fpu_init:
    fninit
    ret

/* The #NM handler (IDT gate 7) of lazy FPU switching: CLTS; if the
 * current task does not own the FPU, FNSAVE the owner's state into its
 * area (108 bytes, the 32-bit layout; FNSAVE leaves the FPU initialized),
 * then FRSTOR the current task's area, or keep FNINIT's state for a task
 * that never ran. Integer registers only: while CR0.TS is set, the SSE
 * instructions of an ordinary stub would raise #NM again. */
    .globl nm_entry
nm_entry:
    push rax
    push rcx
    push rdx
    clts
    inc dword ptr [rip + nm_count]
    mov eax, dword ptr [rip + fpu_owner]
    mov edx, dword ptr [rip + current_task]
    cmp eax, edx
    je 3f
    lea rcx, [rip + fpu_area]
    imul eax, eax, 108
    fnsave [rcx + rax]
    mov eax, dword ptr [rip + fpu_owner]
    lea rcx, [rip + fpu_area_valid]
    mov byte ptr [rcx + rax], 1
    cmp byte ptr [rcx + rdx], 0
    je 1f
    lea rcx, [rip + fpu_area]
    imul eax, edx, 108
    frstor [rcx + rax]
    jmp 2f
1:  fninit
2:  mov dword ptr [rip + fpu_owner], edx
3:  pop rdx
    pop rcx
    pop rax
    iretq

/* ---- an unmasked exception and where it is reported ---- */

/* uint16_t x87_pending_zero_divide(const uint16_t *fcw): loads *fcw (#Z
 * unmasked), divides 1 by 0 at x87_fdiv_site (nothing is written; the
 * exception is pending), then x87_wait_site's FWAIT reports it: #MF with
 * CR0.NE = 1, FERR# (IRQ 13) with CR0.NE = 0. Returns the status word after
 * the FWAIT has run. */
    .globl x87_pending_zero_divide, x87_fdiv_site, x87_wait_site
x87_pending_zero_divide:
    fninit
    fldcw [rdi]
    fldz
    fld1
x87_fdiv_site:
    fdiv st(0), st(1)
x87_wait_site:
    fwait
    fnstsw ax
    fninit
    ret

/* void x87_fnstenv(void *env): the 28-byte environment (masks every
 * exception afterwards). void x87_fnclex(void). uint16_t x87_fnstsw(void). */
    .globl x87_fnstenv, x87_fnclex, x87_fnstsw
x87_fnstenv:
    fnstenv [rdi]
    ret
x87_fnclex:
    fnclex
    ret
x87_fnstsw:
    fnstsw ax
    ret

/* ---- MMX ---- */

/* void mmx_paddusb(const uint64_t *a, const uint64_t *b, uint64_t *out,
 * void *fx): *out = PADDUSB(a, b); FXSAVE to fx (after the MMX
 * instruction) and fx + 512 (after EMMS); fx 16-byte aligned. */
    .globl mmx_paddusb
mmx_paddusb:
    fninit
    movq mm0, [rdi]
    movq mm1, [rsi]
    paddusb mm0, mm1
    movq [rdx], mm0
    fxsave [rcx]
    emms
    fxsave [rcx + 512]
    ret

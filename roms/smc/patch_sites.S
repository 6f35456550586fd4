/* Code the smc ROM rewrites while it runs. It lives in ordinary .text: the
 * boot identity map is writable and not execute-protected. */

    .text
    .code64

/* uint32_t smc_imm_func(void): returns the imm32 at smc_imm_field. */
    .globl smc_imm_func, smc_imm_field
smc_imm_func:
    mov $0x11111111, %eax           /* b8 imm32 */
    ret
    .set smc_imm_field, smc_imm_func + 1

/* uint32_t smc_alu_func(uint32_t a, uint32_t b): a OP b, where OP is the
 * opcode byte at smc_alu_opcode (01 add, 29 sub, 31 xor, 21 and, 09 or;
 * all "OP r32, r/m32" with the same ModRM). */
    .globl smc_alu_func, smc_alu_opcode
smc_alu_func:
    mov %edi, %eax
smc_alu_opcode:
    add %esi, %eax                  /* 01 f0 */
    ret

/* uint32_t smc_next_insn_func(uint32_t v): stores v into the immediate of
 * the very next instruction, then executes that instruction. A CPU (or a
 * block cache) must see the new bytes: it returns v. */
    .globl smc_next_insn_func
smc_next_insn_func:
    mov %edi, 1f+1(%rip)
1:  mov $0, %eax                    /* b8 imm32 */
    ret

/* uint32_t smc_loop_func(void): a loop whose body increments the imm8 of
 * its own add on every pass. Starting from imm8 = 1 (smc_loop_imm), eight
 * passes add 1 + 2 + ... + 8 = 36. */
    .globl smc_loop_func, smc_loop_imm
smc_loop_func:
    xor %eax, %eax
    mov $8, %ecx
1:  add $1, %eax                    /* 83 c0 ib */
    incb smc_loop_imm(%rip)
    dec %ecx
    jnz 1b
    ret
    .set smc_loop_imm, 1b + 2

    .section .note.GNU-stack, "", @progbits

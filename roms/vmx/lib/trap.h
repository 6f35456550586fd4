/* Catching an expected exception in the ROM (host) code: TRAP_CATCH runs
 * one instruction (inline assembly) and reports the vector it raised, or
 * -1. The IDT handler (trap.c, installed by trap_init) resumes after the
 * instruction; any other exception is reported and ends the ROM. */
#pragma once
#include <stdint.h>

void trap_init(void);
extern volatile uint64_t trap_resume; /* where a caught exception resumes; 0: not catching */
extern volatile int trap_vector;
extern volatile uint64_t trap_error;

/* TRAP_CATCH("vmxon %0", "m"(pa)): the vector, or -1 if none was raised. */
#define TRAP_CATCH(insn, ...)                     \
  ({                                              \
    trap_vector = -1;                             \
    __asm__ volatile(                             \
        "leaq 1f(%%rip), %%r11\n\t"               \
        "movq %%r11, trap_resume(%%rip)\n\t" insn \
        "\n1:\n\t"                                \
        "movq $0, trap_resume(%%rip)"             \
        :                                         \
        : __VA_ARGS__                             \
        : "r11", "cc", "memory");                 \
    trap_vector;                                  \
  })

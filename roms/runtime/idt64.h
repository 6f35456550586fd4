/* A minimal 64-bit IDT for the 32 exception vectors. Each vector's stub
 * (isr64.S) saves the general registers and xmm0-15, then calls the
 * installed handler with a trap_frame it may modify (rip, rflags, ...)
 * before the stub returns with iretq. */
#pragma once
#include <stdint.h>

struct trap_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector;
  uint64_t error_code;  /* 0 for vectors without one */
  /* pushed by the CPU */
  uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler)(struct trap_frame *frame);

/* Loads the IDT with interrupt gates for vectors 0-31 calling `handler`.
 * A NULL handler installs the default one: print the trap and exit(0x7e). */
void idt64_install(trap_handler handler);

/* Prints "vector N err=0x.. rip=0x.." (no newline). */
void trap_print(const struct trap_frame *frame);

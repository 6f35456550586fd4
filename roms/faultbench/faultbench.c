/* faultbench: exception round trips (fault -> handler -> IRETQ), the path
 * Linux and hypervisor test suites take by the million. Runs ROUNDS of each
 * kind and prints the counts; `vtlab bench` times the whole ROM and reports
 * round trips per second. Kinds: #UD (UD2), #BP (INT3), #GP (non-canonical
 * load), #PF (store to a not-present 2 MiB page, made present by the
 * handler; the loop clears it again with INVLPG). */
#include <stdint.h>

#include "runtime/boot.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"

#ifndef FAULTBENCH_ROUNDS
#error FAULTBENCH_ROUNDS must be defined
#endif

enum { VEC_BP = 3, VEC_UD = 6, VEC_GP = 13, VEC_PF = 14, KERNEL_CODE64 = 0x08, GATE_INTERRUPT = 0x8E };
#define TARGET_ADDRESS 0x04000040ull /* 64 MiB: RAM, away from the image */

struct idt_gate {
  uint16_t offset_low, selector;
  uint8_t ist, type_attr;
  uint16_t offset_mid;
  uint32_t offset_high, reserved;
};
struct __attribute__((packed)) idt_pointer {
  uint16_t limit;
  uint64_t base;
};

extern void fb_ud_handler(void), fb_pf_handler(void), fb_gp_handler(void), fb_bp_handler(void);
uint64_t *fb_pf_pde; /* stubs.S sets its present bit */

static struct idt_gate idt[32] __attribute__((aligned(16)));

static void set_gate(int vector, void (*fn)(void)) {
  uint64_t a = (uint64_t)(uintptr_t)fn;
  idt[vector] = (struct idt_gate){(uint16_t)a, KERNEL_CODE64, 0, GATE_INTERRUPT, (uint16_t)(a >> 16),
                                  (uint32_t)(a >> 32), 0};
}

int kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  set_gate(VEC_UD, fb_ud_handler);
  set_gate(VEC_BP, fb_bp_handler);
  set_gate(VEC_GP, fb_gp_handler);
  set_gate(VEC_PF, fb_pf_handler);
  struct idt_pointer p = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(p) : "memory");
  fb_pf_pde = &boot_pd[TARGET_ADDRESS >> 21];

  for (uint32_t i = 0; i < FAULTBENCH_ROUNDS; i++) __asm__ volatile("ud2" ::: "memory");
  for (uint32_t i = 0; i < FAULTBENCH_ROUNDS; i++) __asm__ volatile("int3" ::: "memory");
  const uint64_t noncanonical = 0x8000000000000000ull;
  for (uint32_t i = 0; i < FAULTBENCH_ROUNDS; i++) {
    uint64_t out;
    __asm__ volatile(".byte 0x48, 0x8b, 0x18" : "=b"(out) : "a"(noncanonical) : "memory"); /* mov (%rax),%rbx */
  }
  volatile uint64_t *target = (volatile uint64_t *)(uintptr_t)TARGET_ADDRESS;
  for (uint32_t i = 0; i < FAULTBENCH_ROUNDS; i++) {
    *fb_pf_pde &= ~PTE_PRESENT;
    invlpg(TARGET_ADDRESS);
    *target = i;
  }
  int ok = *target == FAULTBENCH_ROUNDS - 1;
  kprintf("faultbench: %u round trips each of #UD #BP #GP #PF: %s\n", (unsigned)FAULTBENCH_ROUNDS,
          ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}

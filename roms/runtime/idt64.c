#include "runtime/idt64.h"

#include "runtime/exit.h"
#include "runtime/kprintf.h"

enum { EXCEPTION_VECTORS = 32, KERNEL_CODE64 = 0x08, GATE_INTERRUPT_DPL0 = 0x8E };
enum { EXIT_UNEXPECTED_TRAP = 0x7e };

struct idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};

struct __attribute__((packed)) idt_pointer {
  uint16_t limit;
  uint64_t base;
};

extern const uint64_t isr64_stubs[EXCEPTION_VECTORS];  /* isr64.S */

static struct idt_gate idt[EXCEPTION_VECTORS] __attribute__((aligned(16)));
static trap_handler current_handler;

void trap_print(const struct trap_frame *f) {
  kprintf("vector %lu err=0x%lx rip=0x%lx", f->vector, f->error_code, f->rip);
}

static void default_handler(struct trap_frame *f) {
  kprintf("unexpected exception: ");
  trap_print(f);
  kprintf("\n");
  exit_qemu(EXIT_UNEXPECTED_TRAP);
}

/* Called by isr64.S. */
void isr64_dispatch(struct trap_frame *f) { current_handler(f); }

void idt64_install(trap_handler handler) {
  current_handler = handler ? handler : default_handler;
  for (int v = 0; v < EXCEPTION_VECTORS; v++) {
    uint64_t a = isr64_stubs[v];
    idt[v] = (struct idt_gate){
        .offset_low = (uint16_t)a,
        .selector = KERNEL_CODE64,
        .ist = 0,
        .type_attr = GATE_INTERRUPT_DPL0,
        .offset_mid = (uint16_t)(a >> 16),
        .offset_high = (uint32_t)(a >> 32),
        .reserved = 0,
    };
  }
  struct idt_pointer p = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

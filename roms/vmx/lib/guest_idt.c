#include "vmx/lib/guest_idt.h"

#include "vmx/lib/vmx.h"

extern char guest_idt_handlers[];
static uint64_t idt[2 * 256] __attribute__((aligned(16)));

void guest_idt_present(unsigned v, int present) {
  const uint64_t handler = (uint64_t)(uintptr_t)guest_idt_handlers + 16 * v;
  idt[2 * v] = (handler & 0xffff) | (uint64_t)SEL_CODE64 << 16 | (uint64_t)(present ? 0x8e : 0x0e) << 40 |
               ((handler >> 16) & 0xffff) << 48;
  idt[2 * v + 1] = handler >> 32;
}

void guest_idt_use(void) {
  for (unsigned v = 0; v < 256; v++) guest_idt_present(v, 1);
  vmw(GUEST_IDTR_BASE, pa_of(idt));
  vmw(GUEST_IDTR_LIMIT, sizeof idt - 1);
}

#include "vmx/lib/trap.h"

#include "runtime/exit.h"
#include "runtime/idt64.h"
#include "runtime/kprintf.h"

volatile uint64_t trap_resume;
volatile int trap_vector;
volatile uint64_t trap_error;

static void handler(struct trap_frame *f) {
  if (!trap_resume) {
    kprintf("unexpected exception in the ROM: ");
    trap_print(f);
    kprintf("\n");
    exit_qemu(0x7e);
  }
  trap_vector = (int)f->vector;
  trap_error = f->error_code;
  f->rip = trap_resume;
  trap_resume = 0;
}

void trap_init(void) { idt64_install(handler); }

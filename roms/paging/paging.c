// The paging ROM's 64-bit part: reports what the 32-bit part (pm32_paging.S)
// checked under 32-bit and PAE paging, and ends the run with 0 if all passed.
#include "runtime/boot.h"
#include "runtime/kprintf.h"

extern unsigned paging_checks, paging_passed;

int kmain(unsigned magic, unsigned info) {
  (void)magic, (void)info;
  kprintf("paging: %u of %u checks passed\n", paging_passed, paging_checks);
  return paging_passed == paging_checks && paging_checks > 0 ? 0 : 1;
}

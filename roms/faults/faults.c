/* faults: raises exceptions on purpose and checks that each arrives with the
 * architected vector, error code, RIP (and CR2 for #PF), then resumes after
 * the faulting instruction. The 32-bit part (pm32.S) has already run before
 * long mode; this is the 64-bit part. Exits 0 when all were as expected. */
#include <stdbool.h>
#include <stdint.h>

#include "runtime/boot.h"
#include "runtime/exit.h"
#include "runtime/idt64.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"

enum { VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_UD = 6, VEC_GP = 13, VEC_PF = 14 };
enum { EXIT_NO_FIXUP = 0x7d, RFLAGS_TF = 1u << 8, PM32_EXPECTED = 2 };
enum { PF_WRITE = 1u << 1 };

#define UNMAPPED_ADDRESS 0x40000123ull /* sites.S uses the same address */
#define BAD_SELECTOR 0x80

/* sites.S */
#define SITE(name) extern void name(void), name##_fault(void), name##_resume(void)
SITE(site_de);
SITE(site_ud);
SITE(site_bp);
SITE(site_gp_noncanonical);
SITE(site_gp_selector);
SITE(site_pf_read);
SITE(site_pf_write);
SITE(site_db);
extern const uint64_t fault_fixups[][2], fault_fixups_end[][2];
/* pm32.S */
extern uint32_t pm32_passed;

/* What the handler saw for the most recent exception. */
static struct {
  int count;
  uint64_t vector, error_code, rip, cr2;
} seen;

static void handler(struct trap_frame *f) {
  seen.count++;
  seen.vector = f->vector;
  seen.error_code = f->error_code;
  seen.rip = f->rip;
  trap_print(f);
  if (f->vector == VEC_PF) {
    seen.cr2 = read_cr2();
    kprintf(" cr2=0x%lx", seen.cr2);
  }
  kprintf("\n");

  if (f->vector == VEC_DB) f->rflags &= ~(uint64_t)RFLAGS_TF;  /* one step only */
  if (f->vector == VEC_DB || f->vector == VEC_BP) return;        /* traps: RIP is already past */
  for (const uint64_t(*fx)[2] = fault_fixups; fx < fault_fixups_end; fx++)
    if ((*fx)[0] == f->rip) {
      f->rip = (*fx)[1];
      return;
    }
  kprintf("no fixup for this fault; stopping\n");
  exit_qemu(EXIT_NO_FIXUP);
}

struct fault_test {
  const char *title;
  void (*site)(void);
  uint64_t vector, error_code;
  void (*expect_rip)(void);  /* a label in sites.S */
  bool page_fault;           /* also check CR2 */
};

static const struct fault_test tests[] = {
    {"#DE divide by zero", site_de, VEC_DE, 0, site_de_fault, false},
    {"#UD ud2", site_ud, VEC_UD, 0, site_ud_fault, false},
    {"#BP int3", site_bp, VEC_BP, 0, site_bp_resume, false},
    {"#GP non-canonical address", site_gp_noncanonical, VEC_GP, 0, site_gp_noncanonical_fault, false},
    {"#GP selector beyond the GDT limit", site_gp_selector, VEC_GP, BAD_SELECTOR, site_gp_selector_fault, false},
    {"#PF read of a not-present page", site_pf_read, VEC_PF, 0, site_pf_read_fault, true},
    {"#PF write to a not-present page", site_pf_write, VEC_PF, PF_WRITE, site_pf_write_fault, true},
    {"#DB single step", site_db, VEC_DB, 0, site_db_resume, false},
};
enum { TEST_COUNT = sizeof tests / sizeof tests[0] };

static bool run_test(const struct fault_test *t) {
  kprintf("%s\n", t->title);
  seen.count = 0;
  t->site();
  bool ok = seen.count == 1 && seen.vector == t->vector && seen.error_code == t->error_code &&
            seen.rip == (uint64_t)(uintptr_t)t->expect_rip && (!t->page_fault || seen.cr2 == UNMAPPED_ADDRESS);
  if (!ok)
    kprintf("  MISMATCH: expected one exception, vector %lu err=0x%lx rip=0x%lx%s\n", t->vector, t->error_code,
            (uint64_t)(uintptr_t)t->expect_rip, t->page_fault ? " cr2=0x40000123" : "");
  return ok;
}

/* The 2 MiB page holding UNMAPPED_ADDRESS, in the boot identity map. */
static uint64_t *unmapped_pde(void) { return &boot_pd[UNMAPPED_ADDRESS >> 21]; }

int kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  kprintf("faults: long mode\n");
  idt64_install(handler);

  *unmapped_pde() &= ~PTE_PRESENT;
  invlpg(UNMAPPED_ADDRESS);
  int passed = 0;
  for (int i = 0; i < TEST_COUNT; i++) passed += run_test(&tests[i]);
  *unmapped_pde() |= PTE_PRESENT;
  invlpg(UNMAPPED_ADDRESS);

  int total = TEST_COUNT + PM32_EXPECTED;
  passed += (int)pm32_passed;
  kprintf("faults: %d of %d exceptions as expected\n", passed, total);
  return passed == total ? 0 : 1;
}

#include "vmx/lib/ept.h"

#include "vmx/lib/vmx.h"

#define ADDR_MASK 0x000ffffffffff000ull
static uint64_t memtype(uint64_t gpa) {
  return (uint64_t)(gpa < 0xc0000000ull ? MEMTYPE_WB : MEMTYPE_UC) << EPT_MEMTYPE_SHIFT;
}

void ept_identity(struct ept *e, int huge, int accessed_dirty) {
  e->pml4 = page_alloc();
  uint64_t *pdpt = page_alloc();
  e->pml4[0] = pa_of(pdpt) | EPT_RWX;
  const int use_1g = huge && (caps.ept_vpid & EPT_CAP_1G);
  for (uint64_t g = 0; g < 4; g++) {
    if (use_1g) {
      pdpt[g] = g << 30 | EPT_RWX | EPT_LARGE | memtype(g << 30);
      continue;
    }
    uint64_t *pd = page_alloc();
    pdpt[g] = pa_of(pd) | EPT_RWX;
    for (uint64_t i = 0; i < 512; i++) {
      const uint64_t gpa = g << 30 | i << 21;
      pd[i] = gpa | EPT_RWX | EPT_LARGE | memtype(gpa);
    }
  }
  e->eptp = pa_of(e->pml4) | EPTP_WB_4LEVEL | (accessed_dirty ? EPTP_AD : 0);
}

/* Splits the large-page entry `*entry` (mapping at `level`) into a table of
 * the next level down. */
static void split(uint64_t *entry, int level) {
  uint64_t *table = page_alloc();
  const unsigned shift = level == EPT_LEVEL_PDPT ? 21 : 12;
  const uint64_t base = *entry & ADDR_MASK & ~((1ull << (shift + 9)) - 1);
  const uint64_t keep = *entry & (EPT_RWX | EPT_USER_EXEC | 7ull << EPT_MEMTYPE_SHIFT | EPT_IGNORE_PAT);
  for (uint64_t i = 0; i < 512; i++)
    table[i] = (base + (i << shift)) | keep | (level == EPT_LEVEL_PDPT ? EPT_LARGE : 0);
  *entry = pa_of(table) | EPT_RWX;
}

uint64_t *ept_entry(struct ept *e, uint64_t gpa, int level) {
  uint64_t *table = e->pml4;
  for (int l = EPT_LEVEL_PML4;; l--) {
    uint64_t *entry = &table[(gpa >> (12 + 9 * (l - 1))) & 511];
    if (l == level) return entry;
    if (!(*entry & EPT_RWX)) return 0; /* nothing mapped here (above 4 GiB) */
    if (*entry & EPT_LARGE) split(entry, l);
    table = (uint64_t *)(uintptr_t)(*entry & ADDR_MASK);
  }
}

void ept_set_perms(struct ept *e, uint64_t gpa, int level, uint64_t perms) {
  uint64_t *entry = ept_entry(e, gpa, level);
  if (!entry) return;
  *entry = (*entry & ~(uint64_t)(EPT_RWX | EPT_USER_EXEC)) | perms;
}

void ept_enable(const struct ept *e) {
  vmw(EPT_POINTER, e->eptp);
  vmw(PROC_CONTROLS2, vmr(PROC_CONTROLS2) | CPU2_EPT);
}

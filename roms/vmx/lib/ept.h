/* EPT paging structures for the test ROMs (SDM Vol. 3C §29.3): an
 * identity map of guest-physical 0-4 GiB (write-back below 3 GiB,
 * uncacheable above, where the MMIO is), with helpers that reach one entry
 * at a chosen level, splitting large pages on the way, so a test can give
 * one page the permissions it wants. */
#pragma once
#include <stdint.h>

struct ept {
  uint64_t *pml4;
  uint64_t eptp; /* 4-level, write-back; A/D flags on if asked (§25.6.11) */
};

enum { EPT_LEVEL_PT = 1, EPT_LEVEL_PD = 2, EPT_LEVEL_PDPT = 3, EPT_LEVEL_PML4 = 4 };

/* Maps 0-4 GiB with 2 MiB pages (or 1 GiB pages if `huge` and the CPU
 * reports them), every page readable, writable and executable. */
void ept_identity(struct ept *e, int huge, int accessed_dirty);
/* The entry that maps `gpa` at `level`; a large page above that level is
 * split into entries of the next size down with the same permissions. */
uint64_t *ept_entry(struct ept *e, uint64_t gpa, int level);
/* Replaces the permission bits (R, W, X, and user-execute bit 10) of that entry. */
void ept_set_perms(struct ept *e, uint64_t gpa, int level, uint64_t perms);
/* Installs `e` in the current VMCS and turns on EPT (secondary control 1). */
void ept_enable(const struct ept *e);

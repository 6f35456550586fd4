/* vmx-ept: EPT translation (SDM Vol. 3C chapter 29 "VMX support for address
 * translation") as a guest sees it: every permission combination at each
 * level of the walk (PML4E, PDPTE, PDE, PTE) for reads, writes and
 * instruction fetches, the EPT-violation exit qualification (§28.2.1,
 * Table 28-7), guest-physical and guest-linear addresses, 2-MiB and 1-GiB
 * EPT pages, violations on guest paging-structure accesses, EPT
 * misconfigurations (§29.3.3.1), accessed and dirty flags (§29.3.5),
 * INVEPT, and page-modification logging (§29.3.6).
 *
 * The page under test is reached through guest-linear address TEST_LA (PML4
 * index 1, so no other mapping shares its EPT entries): guest paging maps
 * it 1:1 to guest-physical TEST_GPA with 2-MiB pages, and the test's EPT
 * tables map TEST_GPA to the page `target`. */
#include "vmx/lib/ept.h"
#include "runtime/boot.h"
#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vmx.h"
#include "vmx/lib/vtest.h"

extern char g_read[], g_read_at[], g_write[], g_write_at[], g_fetch[], g_fetch_at[];

#define A(x) ((uint64_t)(uintptr_t)(x))
#define TEST_LA 0x8000000000ull
#define TEST_GPA 0x8000000000ull
#define ADDR_MASK 0x000ffffffffff000ull

static uint64_t vmcs;
static struct vmx_exit e;
static struct ept ept;
static uint64_t *ept_pdpt, *ept_pd, *ept_pt; /* the chain under EPT PML4[1] */
static uint8_t *target;
static uint64_t guest_cr3;
static uint64_t *guest_pd; /* maps TEST_LA.. (1 GiB) to TEST_GPA.. with 2-MiB pages */

enum { ACC_READ = 1, ACC_WRITE = 2, ACC_FETCH = 4 };
enum { LEVELS = 4 };
static const char *const level_names[LEVELS + 1] = {"", "PTE", "PDE", "PDPTE", "PML4E"};

/* The leaf and non-leaf entries of the chain, fully permissive, 4-KiB leaf. */
static void reset_chain(void) {
  ept.pml4[1] = pa_of(ept_pdpt) | EPT_RWX;
  ept_pdpt[0] = pa_of(ept_pd) | EPT_RWX;
  ept_pd[0] = pa_of(ept_pt) | EPT_RWX;
  ept_pt[0] = pa_of(target) | EPT_RWX | (uint64_t)MEMTYPE_WB << EPT_MEMTYPE_SHIFT;
}
static uint64_t *chain_entry(int level) {
  switch (level) {
    case 4:
      return &ept.pml4[1];
    case 3:
      return &ept_pdpt[0];
    case 2:
      return &ept_pd[0];
    default:
      return &ept_pt[0];
  }
}
static void set_perms(int level, uint64_t perms) {
  uint64_t *entry = chain_entry(level);
  *entry = (*entry & ~(uint64_t)EPT_RWX) | perms;
}

static void setup(void) {
  ept_identity(&ept, 0, 0);
  ept_pdpt = page_alloc();
  ept_pd = page_alloc();
  ept_pt = page_alloc();
  target = page_alloc();
  /* Guest paging: the boot identity map plus PML4[1] -> PDPT -> PD of 2-MiB
   * pages, accessed and dirty already (no guest A/D writes). */
  uint64_t *pml4 = page_alloc(), *pdpt = page_alloc();
  guest_pd = page_alloc();
  memcpy(pml4, boot_pml4, 4096);
  pml4[1] = pa_of(pdpt) | 0x23; /* P, RW, A */
  pdpt[0] = pa_of(guest_pd) | 0x23;
  for (uint64_t i = 0; i < 512; i++) guest_pd[i] = (TEST_GPA + (i << 21)) | 0xe3; /* P RW A D PS */
  guest_cr3 = pa_of(pml4);
}

/* INVEPT before each run: a CPU may cache translations of the EPTP across
 * VM entries (§29.4), and the tests change entries between runs. */
static int auto_invept = 1;

static void fresh(const char *snippet, uint64_t la) {
  if (auto_invept) {
    struct invept_desc d = {ept.eptp, 0};
    if (caps.ept_vpid & EPT_CAP_INVEPT_ALL)
      invept(INVEPT_ALL, &d);
    else if (caps.ept_vpid & EPT_CAP_INVEPT_SINGLE)
      invept(INVEPT_SINGLE, &d);
  }
  vmcs_load_clear(vmcs);
  vmcs_setup64(A(snippet));
  vmw(GUEST_CR3, guest_cr3);
  ept_enable(&ept);
  guest_regs.gpr[R_RBX] = la;
  guest_regs.gpr[R_RCX] = 0x5a5a5a5a5a5a5a5aull;
}

static const char *snippet_of(int access) {
  return access == ACC_READ ? g_read : access == ACC_WRITE ? g_write : g_fetch;
}

/* Runs one access to `la` (guest-physical `gpa`) and checks the outcome:
 * allowed, or an EPT violation with the qualification for `perms` (the AND
 * of the permissions of every level). */
static void check_access(int access, uint64_t la, uint64_t gpa, uint64_t perms, int allowed) {
  fresh(snippet_of(access), la);
  memset(target, 0, 16);
  target[0] = 0x0f, target[1] = 0x01, target[2] = 0xc1, target[3] = 0xc3; /* vmcall; ret */
  const uint64_t before = *(uint64_t *)(target + 0x10);
  vmx_run(&e);
  const char *what = access == ACC_READ ? "read" : access == ACC_WRITE ? "write" : "fetch";
  if (allowed) {
    if (!expect_exit(&e, EXIT_VMCALL)) {
      vt_fail("(the %s should have been allowed)", what);
      return;
    }
    if (access == ACC_FETCH) EXPECT_EQ("fetch: the guest ran the target's VMCALL at", e.rip, la);
    if (access == ACC_WRITE) EXPECT_EQ("write reached memory", *(uint64_t *)(target + 0x10), 0x5a5a5a5a5a5a5a5aull);
    return;
  }
  if (!expect_exit(&e, EXIT_EPT_VIOLATION)) {
    vt_fail("(the %s should have been an EPT violation)", what);
    return;
  }
  const uint64_t want = (uint64_t)access | (perms & EPT_RWX) << 3 | EPTQ_LINEAR_VALID | EPTQ_TRANSLATION;
  /* Bits 0-5, 7, 8 and 12; bit 6 needs mode-based execute control, 11:9 advanced exit information. */
  EXPECT_EQ("EPT-violation qualification", e.qual & 0x11bf, want);
  EXPECT_EQ("guest-physical address", e.gpa, gpa);
  EXPECT_EQ("guest-linear address", e.linear, la);
  if (access == ACC_WRITE) EXPECT_EQ("memory unchanged", *(uint64_t *)(target + 0x10), before);
}

static int exec_only(void) { return (caps.ept_vpid & EPT_CAP_EXEC_ONLY) != 0; }

/* The valid permission combinations (§29.3.3.1: write without read is a
 * misconfiguration; execute-only only if EPT_VPID_CAP[0]). */
static const uint64_t combos[] = {0, EPT_READ, EPT_READ | EPT_WRITE, EPT_READ | EPT_EXEC, EPT_RWX, EPT_EXEC};
static const char *const combo_names[] = {"---", "R--", "RW-", "R-X", "RWX", "--X"};

static void test_permissions(void) {
  static char ids[LEVELS][6][32], descriptions[LEVELS][6][64];
  for (int level = LEVELS; level >= 1; level--) {
    for (unsigned c = 0; c < 6; c++) {
      char *id = ids[level - 1][c], *d = descriptions[level - 1][c];
      /* "ept-pte-rw-" etc., built without a libc. */
      const char *ln = level_names[level];
      unsigned n = 0;
      for (const char *p = "ept-"; *p; p++) id[n++] = *p;
      for (const char *p = ln; *p; p++) id[n++] = (char)(*p | 0x20);
      id[n++] = '-';
      for (const char *p = combo_names[c]; *p; p++) id[n++] = *p == '-' ? '_' : (char)(*p | 0x20);
      id[n] = 0;
      n = 0;
      for (const char *p = ln; *p; p++) d[n++] = *p;
      for (const char *p = " with permissions "; *p; p++) d[n++] = *p;
      for (const char *p = combo_names[c]; *p; p++) d[n++] = *p;
      for (const char *p = ": read, write, fetch"; *p; p++) d[n++] = *p;
      d[n] = 0;
      TEST(id, d) {
        const uint64_t perms = combos[c];
        if (perms == EPT_EXEC && !exec_only()) {
          vt_skip("execute-only translations not reported (a misconfiguration instead: ept-misconfig-x)");
        } else {
          for (int access = ACC_READ; access <= ACC_FETCH; access <<= 1) {
            reset_chain();
            set_perms(level, perms);
            const int allowed = (access == ACC_READ && (perms & EPT_READ)) ||
                                (access == ACC_WRITE && (perms & EPT_WRITE)) ||
                                (access == ACC_FETCH && (perms & EPT_EXEC));
            const uint64_t off = access == ACC_FETCH ? 0 : 0x10;
            check_access(access, TEST_LA + off, TEST_GPA + off, perms, allowed);
          }
        }
      }
    }
  }
}

static void test_large_pages(void) {
  TEST("ept-2m", "2-MiB EPT page (PDE leaf): read allowed, write refused with the PDE's permissions") {
    if (!(caps.ept_vpid & EPT_CAP_2M)) {
      vt_skip("2-MiB EPT pages not reported");
    } else {
      const uint64_t off = A(target) & 0x1fffff;
      reset_chain();
      ept_pd[0] =
          (A(target) & ~0x1fffffull) | EPT_READ | EPT_EXEC | EPT_LARGE | (uint64_t)MEMTYPE_WB << EPT_MEMTYPE_SHIFT;
      check_access(ACC_READ, TEST_LA + off + 0x10, TEST_GPA + off + 0x10, EPT_READ | EPT_EXEC, 1);
      check_access(ACC_FETCH, TEST_LA + off, TEST_GPA + off, EPT_READ | EPT_EXEC, 1);
      check_access(ACC_WRITE, TEST_LA + off + 0x10, TEST_GPA + off + 0x10, EPT_READ | EPT_EXEC, 0);
    }
  }
  TEST("ept-1g", "1-GiB EPT page (PDPTE leaf): read allowed, write refused with the PDPTE's permissions") {
    if (!(caps.ept_vpid & EPT_CAP_1G)) {
      vt_skip("1-GiB EPT pages not reported");
    } else {
      const uint64_t off = A(target); /* the target is in the first GiB */
      reset_chain();
      ept_pdpt[0] = 0 | EPT_READ | EPT_LARGE | (uint64_t)MEMTYPE_WB << EPT_MEMTYPE_SHIFT;
      check_access(ACC_READ, TEST_LA + off + 0x10, TEST_GPA + off + 0x10, EPT_READ, 1);
      check_access(ACC_WRITE, TEST_LA + off + 0x10, TEST_GPA + off + 0x10, EPT_READ, 0);
      check_access(ACC_FETCH, TEST_LA + off, TEST_GPA + off, EPT_READ, 0);
    }
  }
}

/* An access to a guest paging-structure entry (the guest PDE that maps
 * TEST_LA) whose EPT page is not present: qualification bit 7 = 1 (linear
 * address valid), bit 8 = 0 (a paging-structure access), the guest-physical
 * address of the PDE. */
static void test_paging_structure_access(void) {
  TEST("ept-guest-paging", "EPT violation on the guest's own page walk: bit 8 clear, GPA of the guest PDE") {
    reset_chain();
    uint64_t *pd_pte = ept_entry(&ept, pa_of(guest_pd), EPT_LEVEL_PT);
    const uint64_t saved = *pd_pte;
    *pd_pte &= ~(uint64_t)EPT_RWX;
    fresh(g_read, TEST_LA + 0x10);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_EPT_VIOLATION)) {
      EXPECT_EQ("qualification (read, not present, linear valid, not the final translation)", e.qual & 0x11bf,
                ACC_READ | EPTQ_LINEAR_VALID);
      EXPECT_EQ("guest-physical address (the PDE)", e.gpa, pa_of(guest_pd));
      EXPECT_EQ("guest-linear address", e.linear, TEST_LA + 0x10);
    }
    *pd_pte = saved;
    struct invept_desc d = {ept.eptp, 0};
    if (caps.ept_vpid & EPT_CAP_INVEPT_ALL) invept(INVEPT_ALL, &d);
  }
}

struct misconfig_case {
  const char *id, *description;
  int level;
  uint64_t set, clear;
};

static void test_misconfigurations(void) {
  const struct misconfig_case cases[] = {
      {"ept-misconfig-w", "EPT misconfiguration: PTE writable but not readable", 1, EPT_WRITE, EPT_READ | EPT_EXEC},
      {"ept-misconfig-wx", "EPT misconfiguration: PDE writable and executable, not readable", 2, EPT_WRITE | EPT_EXEC,
       EPT_READ},
      {"ept-misconfig-memtype", "EPT misconfiguration: PTE with memory type 2", 1, 2ull << EPT_MEMTYPE_SHIFT,
       7ull << EPT_MEMTYPE_SHIFT},
      {"ept-misconfig-pml4-large", "EPT misconfiguration: PML4E with bit 7 (reserved) set", 4, EPT_LARGE, 0},
      {"ept-misconfig-reserved", "EPT misconfiguration: PDPTE with a reserved bit beyond the address width", 3, 0, 0},
      {"ept-misconfig-x", "EPT misconfiguration: execute-only PTE without execute-only support", 1, EPT_EXEC,
       EPT_READ | EPT_WRITE},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
    const struct misconfig_case *c = &cases[i];
    TEST(c->id, c->description) {
      if (c->set == EPT_EXEC && exec_only()) {
        vt_skip("execute-only translations are reported (ept-pte-__x)");
      } else {
        reset_chain();
        uint64_t *entry = chain_entry(c->level);
        *entry = (*entry & ~c->clear) | c->set;
        if (!c->set && !c->clear) *entry |= 1ull << (caps.phys_bits < 52 ? caps.phys_bits : 51);
        fresh(g_read, TEST_LA + 0x10);
        vmx_run(&e);
        if (expect_exit(&e, EXIT_EPT_MISCONFIG)) EXPECT_EQ("guest-physical address", e.gpa, TEST_GPA + 0x10);
      }
    }
  }
}

static void test_accessed_dirty(void) {
  TEST("ept-ad", "EPT accessed and dirty flags: a read sets A at every level, a write sets D in the leaf") {
    if (!(caps.ept_vpid & EPT_CAP_AD)) {
      vt_skip("EPT accessed and dirty flags not reported");
    } else {
      reset_chain();
      const uint64_t eptp = ept.eptp;
      ept.eptp |= EPTP_AD;
      check_access(ACC_READ, TEST_LA + 0x10, TEST_GPA + 0x10, EPT_RWX, 1);
      for (int level = LEVELS; level >= 1; level--)
        if (!(*chain_entry(level) & EPT_ACCESSED)) vt_fail("%s: accessed flag not set by a read", level_names[level]);
      EXPECT_EQ("leaf dirty flag after a read", *chain_entry(1) & EPT_DIRTY, 0);
      check_access(ACC_WRITE, TEST_LA + 0x10, TEST_GPA + 0x10, EPT_RWX, 1);
      EXPECT_EQ("leaf dirty flag after a write", *chain_entry(1) & EPT_DIRTY, EPT_DIRTY);
      ept.eptp = eptp;
    }
  }
}

static void test_invept(void) {
  TEST("ept-invept", "INVEPT single-context makes a permission change of a used translation take effect") {
    if (!(caps.ept_vpid & EPT_CAP_INVEPT_SINGLE)) {
      vt_skip("INVEPT single-context not reported");
    } else {
      reset_chain();
      check_access(ACC_WRITE, TEST_LA + 0x10, TEST_GPA + 0x10, EPT_RWX, 1);
      /* The translation may now be cached: only INVEPT makes the change certain. */
      auto_invept = 0;
      set_perms(1, EPT_READ);
      struct invept_desc d = {ept.eptp, 0};
      EXPECT_EQ("INVEPT", invept(INVEPT_SINGLE, &d), VMX_OK);
      check_access(ACC_WRITE, TEST_LA + 0x10, TEST_GPA + 0x10, EPT_READ, 0);
      auto_invept = 1;
    }
  }
}

/* Sets the accessed and dirty flags of every entry of the identity map, so
 * only the chain's flags change when A/D flags are on. */
static void preset_identity_ad(void) {
  uint64_t *pdpt = (uint64_t *)(uintptr_t)(ept.pml4[0] & ADDR_MASK);
  ept.pml4[0] |= EPT_ACCESSED;
  for (int g = 0; g < 4; g++) {
    pdpt[g] |= EPT_ACCESSED | ((pdpt[g] & EPT_LARGE) ? EPT_DIRTY : 0);
    if (pdpt[g] & EPT_LARGE) continue;
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[g] & ADDR_MASK);
    for (int i = 0; i < 512; i++) {
      pd[i] |= EPT_ACCESSED | ((pd[i] & EPT_LARGE) ? EPT_DIRTY : 0);
      if (pd[i] & EPT_LARGE) continue;
      uint64_t *pt = (uint64_t *)(uintptr_t)(pd[i] & ADDR_MASK);
      for (int j = 0; j < 512; j++) pt[j] |= EPT_ACCESSED | EPT_DIRTY;
    }
  }
}

static void test_pml(void) {
  TEST("ept-pml", "page-modification logging: a write logs its guest-physical page, the index counts down") {
    if (!has_proc2(CPU2_PML) || !(caps.ept_vpid & EPT_CAP_AD)) {
      vt_skip("page-modification logging not reported");
    } else {
      reset_chain();
      preset_identity_ad(); /* the guest's page walk logs nothing, only the write does */
      uint64_t *log = page_alloc();
      const uint64_t eptp = ept.eptp;
      ept.eptp |= EPTP_AD;
      fresh(g_write, TEST_LA + 0x10);
      vmw(PROC_CONTROLS2, vmr(PROC_CONTROLS2) | CPU2_PML);
      vmw(PML_ADDR, pa_of(log));
      vmw(GUEST_PML_INDEX, 511);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) {
        EXPECT_EQ("log entry 511", log[511], TEST_GPA);
        EXPECT_EQ("PML index", vmr(GUEST_PML_INDEX), 510);
      }
      ept.eptp = eptp;
    }
  }
}

int kmain(uint32_t magic, uint32_t info) {
  if (!vmx_test_start(magic, info)) return vt_finish("vmx-ept");
  int ept_ok = has_proc2(CPU2_EPT) && (caps.ept_vpid & EPT_CAP_WALK4) && (caps.ept_vpid & EPT_CAP_WB);
  TEST("ept-caps", "EPT with 4-level walks and write-back paging structures is reported") {
    if (!ept_ok) vt_fail("no EPT (secondary control 1, IA32_VMX_EPT_VPID_CAP bits 6 and 14)");
  }
  if (!ept_ok) return vt_finish("vmx-ept");
  vmcs = vmcs_alloc(0);
  setup();
  TEST("ept-identity", "a guest runs with an identity EPT map and the test mapping (read allowed)") {
    reset_chain();
    check_access(ACC_READ, TEST_LA + 0x10, TEST_GPA + 0x10, EPT_RWX, 1);
  }
  test_permissions();
  test_large_pages();
  test_paging_structure_access();
  test_misconfigurations();
  test_accessed_dirty();
  test_invept();
  test_pml();
  return vt_finish("vmx-ept");
}

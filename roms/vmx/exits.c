/* vmx-exits: one test per VM-exit reason vtlab models (SDM Vol. 3C chapter
 * 26 "VMX non-root operation", chapter 28 "VM exits", appendix C): each
 * runs a guest snippet (exits_guest.S) with the controls that make it exit
 * and checks the exit reason, the guest RIP, the instruction length, the
 * exit qualification (§28.2.1), the interruption and IDT-vectoring
 * information (§28.2.2, §28.2.4) and the VM-exit instruction information
 * (§28.2.5), and that the instruction does not exit when its control is 0.
 * Also guests in 32-bit protected and real mode (unrestricted guest). */
#include "runtime/boot.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/ept.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vmx.h"
#include "vmx/lib/vtest.h"

#define SNIPPET(name) extern char name[], name##_at[], name##_next[];
SNIPPET(g_cpuid)
SNIPPET(g_hlt)
SNIPPET(g_invd)
SNIPPET(g_invlpg)
SNIPPET(g_rdpmc)
SNIPPET(g_rdtsc)
SNIPPET(g_rdtscp)
SNIPPET(g_vmcall)
SNIPPET(g_vmclear)
SNIPPET(g_vmptrld)
SNIPPET(g_vmptrst)
SNIPPET(g_vmxon)
SNIPPET(g_vmread)
SNIPPET(g_vmwrite)
SNIPPET(g_vmlaunch)
SNIPPET(g_vmresume)
SNIPPET(g_vmxoff)
SNIPPET(g_invept)
SNIPPET(g_invvpid)
SNIPPET(g_mov_to_cr0)
SNIPPET(g_mov_from_cr3)
SNIPPET(g_mov_to_cr3)
SNIPPET(g_clts)
SNIPPET(g_lmsw)
SNIPPET(g_mov_to_cr8)
SNIPPET(g_mov_from_cr8)
SNIPPET(g_mov_to_cr4)
SNIPPET(g_mov_to_dr7)
SNIPPET(g_mov_from_dr0)
SNIPPET(g_out_imm)
SNIPPET(g_in_dx)
SNIPPET(g_rep_outsb)
SNIPPET(g_out_dword_81)
SNIPPET(g_rdmsr)
SNIPPET(g_wrmsr)
SNIPPET(g_monitor)
SNIPPET(g_mwait)
SNIPPET(g_pause)
SNIPPET(g_wbinvd)
SNIPPET(g_xsetbv)
SNIPPET(g_rdrand)
SNIPPET(g_rdseed)
SNIPPET(g_invpcid)
SNIPPET(g_vmfunc)
SNIPPET(g_sgdt)
SNIPPET(g_lidt)
SNIPPET(g_sldt)
SNIPPET(g_str_mem)
SNIPPET(g_ud2)
SNIPPET(g_int3)
SNIPPET(g_gp)
SNIPPET(g_pf)
SNIPPET(g_int80)
SNIPPET(g_self_ipi)
SNIPPET(g_self_nmi)
SNIPPET(g_self_init)
SNIPPET(g_sti_window)
SNIPPET(g_nops)
SNIPPET(guest32_task_jmp)
SNIPPET(guest32_io)
SNIPPET(guest16_cpuid)
extern char g_spin[], guest_idt_stubs[], guest_idt_stub_0x81[];

#define A(x) ((uint64_t)(uintptr_t)(x))
#define LAPIC 0xfee00000ull

static uint64_t vmcs;
static struct vmx_exit e;

static volatile uint32_t *lapic(unsigned reg) { return (volatile uint32_t *)(uintptr_t)(LAPIC + reg); }

/* A fresh VMCS with the library's defaults and a 64-bit guest at `rip`. */
static void fresh(const void *rip) {
  vmcs_load_clear(vmcs);
  vmcs_setup64(A(rip));
}
static void set_ctl(uint32_t field, uint32_t bits) { vmw(field, vmr(field) | bits); }
static void clear_ctl(uint32_t field, uint32_t bits) { vmw(field, vmr(field) & ~bits); }

/* Skips the test (and returns 0) unless the control may be 1. */
static int need(uint64_t cap, uint32_t bits, const char *what) {
  if (ctl_allowed1(cap, bits)) return 1;
  vt_skip(what);
  return 0;
}
static int need2(uint32_t bits, const char *what) {
  if (has_proc2(bits)) return 1;
  vt_skip(what);
  return 0;
}

/* The exit of an instruction: reason, RIP at it, its length. */
static int insn_exit(uint32_t reason, const char *at, const char *next) {
  vmx_run(&e);
  if (!expect_exit(&e, reason)) return 0;
  EXPECT_EQ("guest RIP", e.rip, A(at));
  EXPECT_EQ("instruction length", e.insn_len, (uint64_t)(next - at));
  return 1;
}
/* The guest reaches its closing VMCALL: the instruction did not exit. */
static void no_exit(const char *snippet_next) {
  vmx_run(&e);
  if (expect_exit(&e, EXIT_VMCALL)) EXPECT_EQ("guest RIP (the VMCALL after the instruction)", e.rip, A(snippet_next));
}
static void expect_info(uint32_t mask, uint32_t want) {
  EXPECT_EQ("VM-exit instruction information (defined bits)", e.insn_info & mask, want);
}

/* ---- the guest's IDT (64-bit interrupt gates to guest_idt_stubs) ---- */
static uint64_t guest_idt[2 * 256] __attribute__((aligned(16)));
static void gate(unsigned v, uint64_t handler, int present) {
  guest_idt[2 * v] = (handler & 0xffff) | (uint64_t)SEL_CODE64 << 16 | (uint64_t)(present ? 0x8e : 0x0e) << 40 |
                     ((handler >> 16) & 0xffff) << 48;
  guest_idt[2 * v + 1] = handler >> 32;
}
static void use_guest_idt(void) {
  for (unsigned v = 0; v < 32; v++) gate(v, A(guest_idt_stubs) + 16 * v, 1);
  gate(0x80, 0, 0); /* not present: delivering INT 0x80 raises #NP */
  gate(0x81, A(guest_idt_stub_0x81), 1);
  vmw(GUEST_IDTR_BASE, A(guest_idt));
  vmw(GUEST_IDTR_LIMIT, sizeof guest_idt - 1);
}

/* ---- guest page tables: the boot identity map without 0x40000000-0x401fffff ---- */
static uint64_t guest_cr3_without_1g(void) {
  uint64_t *pml4 = page_alloc(), *pdpt = page_alloc(), *pd = page_alloc();
  memcpy(pml4, boot_pml4, 4096);
  memcpy(pdpt, boot_pdpt, 4096);
  memcpy(pd, &boot_pd[512], 4096);
  pd[0] = 0;
  pdpt[1] = pa_of(pd) | 3;
  pml4[0] = pa_of(pdpt) | 3;
  return pa_of(pml4);
}

/* ---- instruction exits ---- */
static void test_unconditional(void) {
  TEST("cpuid", "CPUID exits unconditionally (reason 10)") {
    fresh(g_cpuid);
    insn_exit(EXIT_CPUID, g_cpuid_at, g_cpuid_next);
  }
  TEST("invd", "INVD exits unconditionally (reason 13)") {
    fresh(g_invd);
    insn_exit(EXIT_INVD, g_invd_at, g_invd_next);
  }
  TEST("vmcall", "VMCALL exits (reason 18); guest registers are saved") {
    fresh(g_vmcall);
    guest_regs.gpr[R_RBX] = 0x1111;
    guest_regs.gpr[R_R15] = 0xf15;
    if (insn_exit(EXIT_VMCALL, g_vmcall_at, g_vmcall_next)) {
      EXPECT_EQ("RBX", guest_regs.gpr[R_RBX], 0x1111);
      EXPECT_EQ("R15", guest_regs.gpr[R_R15], 0xf15);
    }
  }
  TEST("xsetbv", "XSETBV exits unconditionally (reason 55)") {
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & 1u << 26) || !(caps.cr4_fixed1 & 1ull << 18)) {
      vt_skip("no XSAVE");
    } else {
      fresh(g_xsetbv);
      vmw(GUEST_CR4, vmr(GUEST_CR4) | 1ull << 18); /* CR4.OSXSAVE, or XSETBV is #UD */
      insn_exit(EXIT_XSETBV, g_xsetbv_at, g_xsetbv_next);
    }
  }
}

/* A VMX instruction executed by the guest exits with its reason (§26.1.3),
 * displacement as qualification and the instruction information. */
struct vmx_insn_case {
  const char *id, *description;
  char *snippet, *at, *next;
  uint32_t reason, info_mask, info;
  int check_qual;
};
/* Memory operand 0x10(%rbx): scaling 0, 64-bit address size (2 << 7),
 * segment DS (3 << 15), no index (bit 22), base RBX (3 << 23). Bits 21:18
 * (index) are undefined without an index. */
#define MEM_RBX_0x10 0x01c18100u
#define MEM_MASK_NO_INDEX 0x0fc38783u

static void test_vmx_instructions(void) {
  const struct vmx_insn_case cases[] = {
      {"vmclear", "VMCLEAR exits (reason 19): displacement, instruction information", g_vmclear, g_vmclear_at,
       g_vmclear_next, EXIT_VMCLEAR, MEM_MASK_NO_INDEX, MEM_RBX_0x10, 1},
      {"vmptrld", "VMPTRLD exits (reason 21)", g_vmptrld, g_vmptrld_at, g_vmptrld_next, EXIT_VMPTRLD, MEM_MASK_NO_INDEX,
       MEM_RBX_0x10, 1},
      {"vmptrst", "VMPTRST exits (reason 22)", g_vmptrst, g_vmptrst_at, g_vmptrst_next, EXIT_VMPTRST, MEM_MASK_NO_INDEX,
       MEM_RBX_0x10, 1},
      {"vmxon-nonroot", "VMXON exits (reason 27)", g_vmxon, g_vmxon_at, g_vmxon_next, EXIT_VMXON, MEM_MASK_NO_INDEX,
       MEM_RBX_0x10, 1},
      /* VMREAD RBX, RAX: reg1 RBX (bits 6:3), register operand (bit 10), reg2 RAX (bits 31:28). */
      {"vmread", "VMREAD exits (reason 23): register operands in the instruction information", g_vmread, g_vmread_at,
       g_vmread_next, EXIT_VMREAD, 0xf0000478u, 3u << 3 | 1u << 10, 0},
      /* VMWRITE from 0x10(%rbx,%rsi,4), field in RDX: scaling 2, index RSI (6 << 18), reg2 RDX (2 << 28). */
      {"vmwrite", "VMWRITE exits (reason 25): base, index, scale and reg2 in the instruction information", g_vmwrite,
       g_vmwrite_at, g_vmwrite_next, EXIT_VMWRITE, 0xffff8783u,
       2u | 2u << 7 | 3u << 15 | 6u << 18 | 3u << 23 | 2u << 28, 1},
      {"vmlaunch-nonroot", "VMLAUNCH exits (reason 20)", g_vmlaunch, g_vmlaunch_at, g_vmlaunch_next, EXIT_VMLAUNCH, 0,
       0, 0},
      {"vmresume-nonroot", "VMRESUME exits (reason 24)", g_vmresume, g_vmresume_at, g_vmresume_next, EXIT_VMRESUME, 0,
       0, 0},
      {"vmxoff-nonroot", "VMXOFF exits (reason 26)", g_vmxoff, g_vmxoff_at, g_vmxoff_next, EXIT_VMXOFF, 0, 0, 0},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
    const struct vmx_insn_case *c = &cases[i];
    TEST(c->id, c->description) {
      fresh(c->snippet);
      guest_regs.gpr[R_RBX] = 0x2000;
      if (insn_exit(c->reason, c->at, c->next)) {
        if (c->check_qual) EXPECT_EQ("exit qualification (displacement)", e.qual, 0x10);
        if (c->info_mask) expect_info(c->info_mask, c->info);
      }
    }
  }
  TEST("invept-nonroot", "INVEPT exits (reason 50): type register in bits 31:28") {
    if (!(caps.ept_vpid & EPT_CAP_INVEPT)) {
      vt_skip("INVEPT not reported");
    } else {
      fresh(g_invept);
      guest_regs.gpr[R_RBX] = 0x2000;
      guest_regs.gpr[R_RCX] = 2;
      if (insn_exit(EXIT_INVEPT, g_invept_at, g_invept_next)) {
        EXPECT_EQ("exit qualification", e.qual, 0x10);
        expect_info(MEM_MASK_NO_INDEX | 0xf0000000u, MEM_RBX_0x10 | 1u << 28);
      }
    }
  }
  TEST("invvpid-nonroot", "INVVPID exits (reason 53)") {
    if (!(caps.ept_vpid & VPID_CAP_INVVPID)) {
      vt_skip("INVVPID not reported");
    } else {
      fresh(g_invvpid);
      guest_regs.gpr[R_RBX] = 0x2000;
      guest_regs.gpr[R_RCX] = 2;
      if (insn_exit(EXIT_INVVPID, g_invvpid_at, g_invvpid_next)) {
        EXPECT_EQ("exit qualification", e.qual, 0x10);
        expect_info(MEM_MASK_NO_INDEX | 0xf0000000u, MEM_RBX_0x10 | 1u << 28);
      }
    }
  }
}

/* An instruction that exits when a primary control is 1 and runs when it is 0. */
struct conditional_case {
  const char *id, *description;
  char *snippet, *at, *next;
  uint32_t control, reason;
};

static void test_primary_controls(void) {
  const struct conditional_case cases[] = {
      {"hlt", "HLT exiting (reason 12)", g_hlt, g_hlt_at, g_hlt_next, CPU_HLT, EXIT_HLT},
      {"rdpmc", "RDPMC exiting (reason 15)", g_rdpmc, g_rdpmc_at, g_rdpmc_next, CPU_RDPMC, EXIT_RDPMC},
      {"rdtsc", "RDTSC exiting (reason 16)", g_rdtsc, g_rdtsc_at, g_rdtsc_next, CPU_RDTSC, EXIT_RDTSC},
      {"pause", "PAUSE exiting (reason 40)", g_pause, g_pause_at, g_pause_next, CPU_PAUSE, EXIT_PAUSE},
      {"monitor", "MONITOR exiting (reason 39)", g_monitor, g_monitor_at, g_monitor_next, CPU_MONITOR, EXIT_MONITOR},
      {"mwait", "MWAIT exiting (reason 36)", g_mwait, g_mwait_at, g_mwait_next, CPU_MWAIT, EXIT_MWAIT},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
    const struct conditional_case *c = &cases[i];
    TEST(c->id, c->description) {
      if (need(caps.proc, c->control, "control not reported")) {
        fresh(c->snippet);
        set_ctl(PROC_CONTROLS, c->control);
        insn_exit(c->reason, c->at, c->next);
        /* With the control 0 the instruction runs (HLT would wait for an
         * interrupt; RDPMC and MWAIT may fault without a PMU / an armed
         * monitor: only the ones that just run are tried). */
        if ((c->control & (CPU_RDTSC | CPU_PAUSE | CPU_MONITOR)) && ctl_allowed0(caps.proc, c->control)) {
          fresh(c->snippet);
          no_exit(c->next);
        }
      }
    }
  }

  TEST("invlpg", "INVLPG exiting (reason 14): the linear address as qualification") {
    if (need(caps.proc, CPU_INVLPG, "INVLPG exiting not reported")) {
      fresh(g_invlpg);
      set_ctl(PROC_CONTROLS, CPU_INVLPG);
      if (insn_exit(EXIT_INVLPG, g_invlpg_at, g_invlpg_next)) EXPECT_EQ("exit qualification", e.qual, 0x123466);
      if (ctl_allowed0(caps.proc, CPU_INVLPG)) {
        fresh(g_invlpg);
        no_exit(g_invlpg_next);
      }
    }
  }

  TEST("tsc-offset", "TSC offsetting: RDTSC in the guest adds the TSC offset") {
    if (need(caps.proc, CPU_TSC_OFFSET, "TSC offsetting not reported")) {
      fresh(g_rdtsc);
      set_ctl(PROC_CONTROLS, CPU_TSC_OFFSET);
      vmw(TSC_OFFSET, 1ull << 60);
      uint32_t lo, hi;
      __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
      const uint64_t before = (uint64_t)hi << 32 | lo;
      no_exit(g_rdtsc_next);
      const uint64_t guest_tsc = guest_regs.gpr[R_RDX] << 32 | (uint32_t)guest_regs.gpr[R_RAX];
      EXPECT(guest_tsc >= before + (1ull << 60), "guest TSC >= host TSC + offset");
      EXPECT(guest_tsc < before + (1ull << 60) + (1ull << 40), "guest TSC close to host TSC + offset");
    }
  }
}

struct secondary_case {
  const char *id, *description;
  char *snippet, *at, *next;
  uint32_t control2, primary, reason;
};

static void test_secondary_controls(void) {
  const struct secondary_case cases[] = {
      {"wbinvd", "WBINVD exiting (reason 54)", g_wbinvd, g_wbinvd_at, g_wbinvd_next, CPU2_WBINVD, 0, EXIT_WBINVD},
      {"rdrand", "RDRAND exiting (reason 57)", g_rdrand, g_rdrand_at, g_rdrand_next, CPU2_RDRAND, 0, EXIT_RDRAND},
      {"rdseed", "RDSEED exiting (reason 61)", g_rdseed, g_rdseed_at, g_rdseed_next, CPU2_RDSEED, 0, EXIT_RDSEED},
      {"rdtscp", "RDTSCP with RDTSC exiting (reason 51)", g_rdtscp, g_rdtscp_at, g_rdtscp_next, CPU2_RDTSCP, CPU_RDTSC,
       EXIT_RDTSCP},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
    const struct secondary_case *c = &cases[i];
    TEST(c->id, c->description) {
      if (need2(c->control2, "control not reported") && need(caps.proc, c->primary, "control not reported")) {
        fresh(c->snippet);
        set_ctl(PROC_CONTROLS2, c->control2);
        set_ctl(PROC_CONTROLS, c->primary);
        insn_exit(c->reason, c->at, c->next);
        if (c->control2 == CPU2_WBINVD) {
          fresh(c->snippet);
          no_exit(c->next);
        }
      }
    }
  }

  TEST("rdtscp-ud", "RDTSCP without \"enable RDTSCP\" is #UD in the guest") {
    fresh(g_rdtscp);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_EXCEPTION_NMI)) EXPECT_EQ("interruption information", e.intr_info, 0x80000306);
  }

  TEST("invpcid", "INVPCID with INVLPG exiting (reason 58): instruction information") {
    if (need2(CPU2_INVPCID, "enable INVPCID not reported") && need(caps.proc, CPU_INVLPG, "INVLPG exiting")) {
      fresh(g_invpcid);
      set_ctl(PROC_CONTROLS2, CPU2_INVPCID);
      set_ctl(PROC_CONTROLS, CPU_INVLPG);
      guest_regs.gpr[R_RBX] = 0x2000;
      if (insn_exit(EXIT_INVPCID, g_invpcid_at, g_invpcid_next)) {
        EXPECT_EQ("exit qualification", e.qual, 0x10);
        expect_info(MEM_MASK_NO_INDEX | 0xf0000000u, MEM_RBX_0x10 | 0u << 28);
      }
    }
  }

  TEST("vmfunc", "VMFUNC of a function not enabled exits (reason 59)") {
    if (need2(CPU2_VMFUNC, "enable VM functions not reported")) {
      fresh(g_vmfunc);
      set_ctl(PROC_CONTROLS2, CPU2_VMFUNC);
      vmw(VMFUNC_CONTROLS, 0);
      insn_exit(EXIT_VMFUNC, g_vmfunc_at, g_vmfunc_next);
    }
  }

  /* Descriptor-table exiting (reasons 46, 47; Tables 28-10, 28-11). */
  TEST("sgdt", "SGDT with descriptor-table exiting (reason 46): identity 0 in bits 29:28") {
    if (need2(CPU2_DESC_TABLE, "descriptor-table exiting not reported")) {
      fresh(g_sgdt);
      set_ctl(PROC_CONTROLS2, CPU2_DESC_TABLE);
      guest_regs.gpr[R_RBX] = 0x2000;
      if (insn_exit(EXIT_GDTR_IDTR, g_sgdt_at, g_sgdt_next)) {
        EXPECT_EQ("exit qualification", e.qual, 0x10);
        expect_info(MEM_MASK_NO_INDEX | 3u << 28, MEM_RBX_0x10 | 0u << 28);
      }
    }
  }
  TEST("lidt", "LIDT with descriptor-table exiting (reason 46): identity 3") {
    if (need2(CPU2_DESC_TABLE, "descriptor-table exiting not reported")) {
      fresh(g_lidt);
      set_ctl(PROC_CONTROLS2, CPU2_DESC_TABLE);
      guest_regs.gpr[R_RBX] = 0x2000;
      if (insn_exit(EXIT_GDTR_IDTR, g_lidt_at, g_lidt_next))
        expect_info(MEM_MASK_NO_INDEX | 3u << 28, MEM_RBX_0x10 | 3u << 28);
    }
  }
  TEST("sldt", "SLDT to a register with descriptor-table exiting (reason 47): identity 0, reg1") {
    if (need2(CPU2_DESC_TABLE, "descriptor-table exiting not reported")) {
      fresh(g_sldt);
      set_ctl(PROC_CONTROLS2, CPU2_DESC_TABLE);
      if (insn_exit(EXIT_LDTR_TR, g_sldt_at, g_sldt_next)) expect_info(0x30000478u, 0u << 3 | 1u << 10 | 0u << 28);
    }
  }
  TEST("str", "STR to memory with descriptor-table exiting (reason 47): identity 1") {
    if (need2(CPU2_DESC_TABLE, "descriptor-table exiting not reported")) {
      fresh(g_str_mem);
      set_ctl(PROC_CONTROLS2, CPU2_DESC_TABLE);
      guest_regs.gpr[R_RBX] = 0x2000;
      if (insn_exit(EXIT_LDTR_TR, g_str_mem_at, g_str_mem_next)) {
        EXPECT_EQ("exit qualification", e.qual, 0x10);
        expect_info(MEM_MASK_NO_INDEX | 3u << 28, MEM_RBX_0x10 | 1u << 28);
      }
    }
  }
}

/* ---- control registers (reason 28, Table 28-3) and debug registers (29, Table 28-4) ---- */
static void test_control_registers(void) {
  TEST("cr0-mask", "MOV to CR0: exits when a masked bit differs from the read shadow, runs when it matches") {
    fresh(g_mov_to_cr0);
    vmw(CR0_GUEST_HOST_MASK, CR0_TS);
    vmw(CR0_READ_SHADOW, vmr(GUEST_CR0));
    if (insn_exit(EXIT_CR_ACCESS, g_mov_to_cr0_at, g_mov_to_cr0_next))
      EXPECT_EQ("qualification (CR0, MOV to CR, RAX)", e.qual, 0x0);
    /* MP is masked and written back as the guest read it (the shadow's
     * value): no exit, and the unmasked TS changes in the real CR0. */
    fresh(g_mov_to_cr0);
    vmw(CR0_GUEST_HOST_MASK, CR0_MP);
    vmw(CR0_READ_SHADOW, vmr(GUEST_CR0) ^ CR0_MP);
    const uint64_t cr0 = vmr(GUEST_CR0);
    no_exit(g_mov_to_cr0_next);
    EXPECT_EQ("guest CR0 (TS flipped)", vmr(GUEST_CR0), cr0 ^ CR0_TS);
  }
  TEST("cr0-read-shadow", "MOV from CR0 reads the read shadow in masked bits") {
    /* g_mov_to_cr0 first reads CR0 into RAX, then flips TS and writes it back. */
    fresh(g_mov_to_cr0);
    vmw(CR0_GUEST_HOST_MASK, CR0_TS | CR0_MP);
    vmw(CR0_READ_SHADOW, (vmr(GUEST_CR0) & ~(CR0_TS | CR0_MP)) | CR0_TS);
    if (insn_exit(EXIT_CR_ACCESS, g_mov_to_cr0_at, g_mov_to_cr0_next)) {
      /* RAX = shadowed CR0 ^ TS: TS 0 (shadow 1, flipped), MP 0 (shadow). */
      EXPECT_EQ("guest RAX & (TS|MP)", guest_regs.gpr[R_RAX] & (CR0_TS | CR0_MP), 0);
      EXPECT_EQ("guest RAX & NE (unmasked, real)", guest_regs.gpr[R_RAX] & CR0_NE, vmr(GUEST_CR0) & CR0_NE);
    }
  }
  TEST("cr3-store", "MOV from CR3 with CR3-store exiting: qualification CR3, MOV from CR, R9") {
    if (need(caps.proc, CPU_CR3_STORE, "CR3-store exiting")) {
      fresh(g_mov_from_cr3);
      set_ctl(PROC_CONTROLS, CPU_CR3_STORE);
      if (insn_exit(EXIT_CR_ACCESS, g_mov_from_cr3_at, g_mov_from_cr3_next)) EXPECT_EQ("qualification", e.qual, 0x913);
    }
  }
  TEST("cr3-load", "MOV to CR3 with CR3-load exiting: exits unless the value is a CR3 target") {
    if (need(caps.proc, CPU_CR3_LOAD, "CR3-load exiting")) {
      fresh(g_mov_to_cr3);
      set_ctl(PROC_CONTROLS, CPU_CR3_LOAD);
      guest_regs.gpr[R_R10] = read_cr3();
      if (insn_exit(EXIT_CR_ACCESS, g_mov_to_cr3_at, g_mov_to_cr3_next)) EXPECT_EQ("qualification", e.qual, 0xa03);
      if (VMX_MISC_CR3_TARGETS(caps.misc) >= 1) {
        fresh(g_mov_to_cr3);
        set_ctl(PROC_CONTROLS, CPU_CR3_LOAD);
        vmw(CR3_TARGET0, read_cr3());
        vmw(CR3_TARGET_COUNT, 1);
        guest_regs.gpr[R_R10] = read_cr3();
        no_exit(g_mov_to_cr3_next);
      }
    }
  }
  TEST("cr3-default", "MOV to/from CR3 without CR3-load/store exiting do not exit") {
    if (!ctl_allowed0(caps.proc, CPU_CR3_LOAD | CPU_CR3_STORE)) {
      vt_skip("CR3-load/store exiting cannot be 0 (no TRUE controls)");
    } else {
      fresh(g_mov_from_cr3);
      no_exit(g_mov_from_cr3_next);
      EXPECT_EQ("R9 = guest CR3", guest_regs.gpr[R_R9], read_cr3());
    }
  }
  TEST("clts", "CLTS exits when TS is masked and set in the read shadow (type 2)") {
    fresh(g_clts);
    vmw(CR0_GUEST_HOST_MASK, CR0_TS);
    vmw(CR0_READ_SHADOW, vmr(GUEST_CR0) | CR0_TS);
    if (insn_exit(EXIT_CR_ACCESS, g_clts_at, g_clts_next)) EXPECT_EQ("qualification", e.qual, 0x20);
  }
  TEST("lmsw", "LMSW exits when it would change a masked bit (type 3, source data in bits 31:16)") {
    fresh(g_lmsw);
    vmw(CR0_GUEST_HOST_MASK, CR0_MP | CR0_EM | CR0_TS);
    vmw(CR0_READ_SHADOW, vmr(GUEST_CR0) & ~(CR0_EM));
    if (insn_exit(EXIT_CR_ACCESS, g_lmsw_at, g_lmsw_next)) EXPECT_EQ("qualification", e.qual, 0x000f0030);
  }
  TEST("cr8-load", "MOV to CR8 with CR8-load exiting (qualification CR8, RDX)") {
    if (need(caps.proc, CPU_CR8_LOAD, "CR8-load exiting")) {
      fresh(g_mov_to_cr8);
      set_ctl(PROC_CONTROLS, CPU_CR8_LOAD);
      if (insn_exit(EXIT_CR_ACCESS, g_mov_to_cr8_at, g_mov_to_cr8_next)) EXPECT_EQ("qualification", e.qual, 0x208);
    }
  }
  TEST("cr8-store", "MOV from CR8 with CR8-store exiting (qualification CR8, MOV from CR, RSI)") {
    if (need(caps.proc, CPU_CR8_STORE, "CR8-store exiting")) {
      fresh(g_mov_from_cr8);
      set_ctl(PROC_CONTROLS, CPU_CR8_STORE);
      if (insn_exit(EXIT_CR_ACCESS, g_mov_from_cr8_at, g_mov_from_cr8_next)) EXPECT_EQ("qualification", e.qual, 0x618);
    }
  }
  TEST("cr4-mask", "MOV to CR4 exits when a masked bit differs from the CR4 read shadow") {
    fresh(g_mov_to_cr4);
    vmw(CR4_GUEST_HOST_MASK, CR4_PGE);
    vmw(CR4_READ_SHADOW, vmr(GUEST_CR4));
    if (insn_exit(EXIT_CR_ACCESS, g_mov_to_cr4_at, g_mov_to_cr4_next)) EXPECT_EQ("qualification", e.qual, 0x104);
  }
  TEST("mov-dr", "MOV DR exiting (reason 29): to DR7 from RAX, from DR0 to RBX") {
    if (need(caps.proc, CPU_MOV_DR, "MOV-DR exiting")) {
      fresh(g_mov_to_dr7);
      set_ctl(PROC_CONTROLS, CPU_MOV_DR);
      if (insn_exit(EXIT_DR_ACCESS, g_mov_to_dr7_at, g_mov_to_dr7_next)) EXPECT_EQ("qualification", e.qual, 0x007);
      fresh(g_mov_from_dr0);
      set_ctl(PROC_CONTROLS, CPU_MOV_DR);
      if (insn_exit(EXIT_DR_ACCESS, g_mov_from_dr0_at, g_mov_from_dr0_next)) EXPECT_EQ("qualification", e.qual, 0x310);
    }
  }
}

/* ---- I/O (reason 30, Table 28-5) and MSRs (31, 32) ---- */
static void test_io_msr(void) {
  TEST("io-unconditional", "OUT imm8 with unconditional I/O exiting: size 1, out, immediate, port 0x80") {
    if (need(caps.proc, CPU_UNCOND_IO, "unconditional I/O exiting")) {
      fresh(g_out_imm);
      set_ctl(PROC_CONTROLS, CPU_UNCOND_IO);
      if (insn_exit(EXIT_IO, g_out_imm_at, g_out_imm_next)) EXPECT_EQ("qualification", e.qual, 0x00800040);
      fresh(g_in_dx);
      set_ctl(PROC_CONTROLS, CPU_UNCOND_IO);
      if (insn_exit(EXIT_IO, g_in_dx_at, g_in_dx_next))
        EXPECT_EQ("qualification (2 bytes, in, DX = 0x3ff)", e.qual, 0x03ff0009);
    }
  }
  TEST("io-string", "REP OUTSB exits: string and REP bits, guest-linear address, instruction information") {
    if (need(caps.proc, CPU_UNCOND_IO, "unconditional I/O exiting")) {
      fresh(g_rep_outsb);
      set_ctl(PROC_CONTROLS, CPU_UNCOND_IO);
      if (insn_exit(EXIT_IO, g_rep_outsb_at, g_rep_outsb_next)) {
        EXPECT_EQ("qualification", e.qual, 0x00800030);
        EXPECT_EQ("guest-linear address (RSI)", e.linear, A(g_rep_outsb));
        /* With IA32_VMX_BASIC[54]: address size (9:7) 64-bit, segment (17:15) DS. */
        if (caps.basic & VMX_BASIC_INS_OUTS_INFO) expect_info(0x38380u, 2u << 7 | 3u << 15);
      }
    }
  }
  TEST("io-bitmap", "I/O bitmaps: a port whose bit is set exits, others run; a 4-byte access checks every port") {
    if (need(caps.proc, CPU_IO_BITMAPS, "I/O bitmaps")) {
      fresh(g_out_imm);
      io_bitmaps_on();
      io_intercept(0x80, 1);
      insn_exit(EXIT_IO, g_out_imm_at, g_out_imm_next);
      fresh(g_out_imm);
      io_bitmaps_on();
      no_exit(g_out_imm_next);
      /* OUT to 0x81 with 4 bytes touches 0x81-0x84: the bit of 0x84 makes it exit. */
      fresh(g_out_dword_81);
      io_bitmaps_on();
      io_intercept(0x84, 1);
      if (insn_exit(EXIT_IO, g_out_dword_81_at, g_out_dword_81_next)) EXPECT_EQ("qualification", e.qual, 0x00810003);
    }
  }
  TEST("rdmsr-bitmap", "RDMSR exits when the MSR's read bit is set (reason 31); MSRs outside the bitmap always exit") {
    fresh(g_rdmsr);
    msr_intercept(MSR_SYSENTER_CS, 1, 0);
    guest_regs.gpr[R_RCX] = MSR_SYSENTER_CS;
    insn_exit(EXIT_RDMSR, g_rdmsr_at, g_rdmsr_next);
    fresh(g_rdmsr);
    guest_regs.gpr[R_RCX] = MSR_SYSENTER_CS;
    no_exit(g_rdmsr_next);
    EXPECT_EQ("RAX = IA32_SYSENTER_CS", guest_regs.gpr[R_RAX], (uint32_t)rdmsr(MSR_SYSENTER_CS));
    fresh(g_rdmsr);
    guest_regs.gpr[R_RCX] = 0x2000; /* between the two ranges of the bitmap */
    insn_exit(EXIT_RDMSR, g_rdmsr_at, g_rdmsr_next);
  }
  TEST("wrmsr-bitmap", "WRMSR exits when the MSR's write bit is set (reason 32), high MSR range") {
    fresh(g_wrmsr);
    msr_intercept(MSR_TSC_AUX, 0, 1);
    guest_regs.gpr[R_RCX] = MSR_TSC_AUX;
    guest_regs.gpr[R_RAX] = 0x77;
    if (insn_exit(EXIT_WRMSR, g_wrmsr_at, g_wrmsr_next)) EXPECT_EQ("guest RAX kept", guest_regs.gpr[R_RAX], 0x77);
  }
  TEST("msr-no-bitmaps", "without MSR bitmaps every RDMSR exits") {
    if (!ctl_allowed0(caps.proc, CPU_MSR_BITMAPS)) {
      vt_skip("MSR bitmaps cannot be 0");
    } else {
      fresh(g_rdmsr);
      clear_ctl(PROC_CONTROLS, CPU_MSR_BITMAPS);
      guest_regs.gpr[R_RCX] = MSR_SYSENTER_CS;
      insn_exit(EXIT_RDMSR, g_rdmsr_at, g_rdmsr_next);
    }
  }
}

/* ---- exceptions (reason 0) ---- */
static void test_exceptions(void) {
  TEST("exception-ud", "#UD with its exception-bitmap bit: interruption information 0x80000306") {
    fresh(g_ud2);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_EXCEPTION_NMI)) {
      EXPECT_EQ("interruption information", e.intr_info, 0x80000306);
      EXPECT_EQ("guest RIP", e.rip, A(g_ud2_at));
      EXPECT_EQ("IDT-vectoring information", e.idt_info & INTR_VALID, 0);
    }
  }
  TEST("exception-bp", "INT3: a software exception (type 6), instruction length 1") {
    fresh(g_int3);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_EXCEPTION_NMI)) {
      EXPECT_EQ("interruption information", e.intr_info, 0x80000603);
      EXPECT_EQ("instruction length", e.insn_len, 1);
      EXPECT_EQ("guest RIP", e.rip, A(g_int3_at));
    }
  }
  TEST("exception-gp", "#GP(0) from a non-canonical address: error code valid, 0") {
    fresh(g_gp);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_EXCEPTION_NMI)) {
      EXPECT_EQ("interruption information", e.intr_info, 0x80000b0d);
      EXPECT_EQ("error code", e.intr_error, 0);
    }
  }
  const uint64_t cr3 = guest_cr3_without_1g();
  TEST("exception-pf", "#PF: the linear address as qualification, error code, CR2 unchanged") {
    fresh(g_pf);
    vmw(GUEST_CR3, cr3);
    const uint64_t cr2 = read_cr2();
    vmx_run(&e);
    if (expect_exit(&e, EXIT_EXCEPTION_NMI)) {
      EXPECT_EQ("interruption information", e.intr_info, 0x80000b0e);
      EXPECT_EQ("error code (read, not present)", e.intr_error, 0);
      EXPECT_EQ("exit qualification", e.qual, 0x40000123);
      EXPECT_EQ("CR2 (not written by a #PF that exits)", read_cr2(), cr2);
    }
  }
  TEST("pfec-mask-match", "#PF error-code mask/match: a #PF that does not match goes to the guest's IDT") {
    fresh(g_pf);
    vmw(GUEST_CR3, cr3);
    use_guest_idt();
    vmw(PF_ERROR_MASK, 1); /* P */
    vmw(PF_ERROR_MATCH, 1);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMCALL)) {
      EXPECT_EQ("vector the guest took (RAX)", guest_regs.gpr[R_RAX], 14);
      EXPECT_EQ("CR2", read_cr2(), 0x40000123);
    }
    /* Bit 14 clear and the error code matching: also not an exit. */
    fresh(g_pf);
    vmw(GUEST_CR3, cr3);
    use_guest_idt();
    vmw(EXCEPTION_BITMAP, ~(1u << 14));
    vmw(PF_ERROR_MASK, 0);
    vmw(PF_ERROR_MATCH, 0);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMCALL)) EXPECT_EQ("vector the guest took", guest_regs.gpr[R_RAX], 14);
  }
  TEST("exception-to-guest", "an exception whose bitmap bit is 0 is delivered through the guest IDT") {
    fresh(g_ud2);
    use_guest_idt();
    vmw(EXCEPTION_BITMAP, ~(1u << 6));
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMCALL)) EXPECT_EQ("vector the guest took", guest_regs.gpr[R_RAX], 6);
  }
  TEST("idt-vectoring", "#NP while delivering INT 0x80: IDT-vectoring information and instruction length") {
    fresh(g_int80);
    use_guest_idt();
    vmx_run(&e);
    if (expect_exit(&e, EXIT_EXCEPTION_NMI)) {
      EXPECT_EQ("interruption information (#NP)", e.intr_info, 0x80000b0b);
      EXPECT_EQ("error code (IDT, vector 0x80)", e.intr_error, 0x80 * 8 + 2);
      EXPECT_EQ("IDT-vectoring information (software interrupt 0x80)", e.idt_info, 0x80000480);
      EXPECT_EQ("instruction length", e.insn_len, 2);
      EXPECT_EQ("guest RIP", e.rip, A(g_int80_at));
    }
  }
  TEST("triple-fault", "a triple fault exits (reason 2)") {
    fresh(g_ud2);
    vmw(EXCEPTION_BITMAP, 0);
    vmw(GUEST_IDTR_LIMIT, 0); /* #UD, then #GP, then #DF cannot be delivered */
    vmx_run(&e);
    expect_exit(&e, EXIT_TRIPLE_FAULT);
  }
}

/* ---- interrupts and events ---- */
static void lapic_eoi(void) { *lapic(0xb0) = 0; }

static void test_interrupts(void) {
  /* Only the test's own interrupts: the 8259 pair masked (a BIOS may have
   * left the PIT running on IRQ 0), the local APIC software-enabled. */
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  *lapic(0xf0) |= 0x100;
  TEST("external-interrupt", "external-interrupt exiting (reason 1), without and with acknowledge on exit") {
    if (need(caps.pin, PIN_EXT_INT_EXITING, "external-interrupt exiting")) {
      fresh(g_self_ipi);
      set_ctl(PIN_CONTROLS, PIN_EXT_INT_EXITING);
      clear_ctl(EXIT_CONTROLS, EXIT_ACK_INT);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_EXTERNAL_INT)) {
        EXPECT_EQ("interruption information (not acknowledged)", e.intr_info & INTR_VALID, 0);
        EXPECT(e.rip >= A(g_self_ipi_at) && e.rip < A(g_self_ipi_next), "exit while the guest waits for the IRR bit");
      }
      /* The interrupt is still pending: with acknowledge on exit, the next
       * entry exits at once with its vector. */
      if (need(caps.exit, EXIT_ACK_INT, "acknowledge interrupt on exit")) {
        fresh(g_nops);
        set_ctl(PIN_CONTROLS, PIN_EXT_INT_EXITING);
        set_ctl(EXIT_CONTROLS, EXIT_ACK_INT);
        vmx_run(&e);
        if (expect_exit(&e, EXIT_EXTERNAL_INT)) {
          EXPECT_EQ("interruption information (vector 0x40, external)", e.intr_info, 0x80000040);
          EXPECT_EQ("guest RIP (before the first instruction)", e.rip, A(g_nops_at));
          EXPECT_EQ("ISR bit of vector 0x40", (*lapic(0x100 + 0x40 / 32 * 0x10) >> (0x40 % 32)) & 1, 1);
        }
        lapic_eoi();
      }
    }
  }
  TEST("nmi-exiting", "NMI exiting: an NMI exits (reason 0, type NMI, vector 2)") {
    if (need(caps.pin, PIN_NMI_EXITING, "NMI exiting")) {
      fresh(g_self_nmi);
      set_ctl(PIN_CONTROLS, PIN_NMI_EXITING);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_EXCEPTION_NMI))
        EXPECT_EQ("interruption information", e.intr_info & ~INTR_NMI_UNBLOCKING, 0x80000202);
    }
  }
  TEST("interrupt-window", "interrupt-window exiting (reason 7): at once with RFLAGS.IF = 1, after STI's shadow") {
    if (need(caps.proc, CPU_INTR_WINDOW, "interrupt-window exiting")) {
      fresh(g_nops);
      set_ctl(PROC_CONTROLS, CPU_INTR_WINDOW);
      vmw(GUEST_RFLAGS, 0x202);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_INTR_WINDOW)) EXPECT_EQ("guest RIP", e.rip, A(g_nops_at));
      fresh(g_sti_window);
      set_ctl(PROC_CONTROLS, CPU_INTR_WINDOW);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_INTR_WINDOW))
        EXPECT_EQ("guest RIP (after STI and one instruction)", e.rip, A(g_sti_window_next));
    }
  }
  TEST("nmi-window", "NMI-window exiting (reason 8) with virtual NMIs") {
    if (need(caps.proc, CPU_NMI_WINDOW, "NMI-window exiting") && need(caps.pin, PIN_VIRTUAL_NMIS, "virtual NMIs")) {
      fresh(g_nops);
      set_ctl(PIN_CONTROLS, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
      set_ctl(PROC_CONTROLS, CPU_NMI_WINDOW);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_NMI_WINDOW)) EXPECT_EQ("guest RIP", e.rip, A(g_nops_at));
      /* Blocked by virtual-NMI blocking: no window until the guest unblocks. */
      fresh(g_nops);
      set_ctl(PIN_CONTROLS, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
      set_ctl(PROC_CONTROLS, CPU_NMI_WINDOW);
      vmw(GUEST_INTERRUPTIBILITY, INTERRUPTIBILITY_NMI);
      no_exit(g_nops_next + 2);
    }
  }
  TEST("mtf", "monitor trap flag (reason 37): exit after one instruction") {
    if (need(caps.proc, CPU_MTF, "monitor trap flag")) {
      fresh(g_nops);
      set_ctl(PROC_CONTROLS, CPU_MTF);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_MTF)) EXPECT_EQ("guest RIP", e.rip, A(g_nops_next));
    }
  }
  TEST("preemption-timer", "VMX-preemption timer (reason 52): 0 exits before the first instruction, N counts down") {
    if (need(caps.pin, PIN_PREEMPT_TIMER, "VMX-preemption timer")) {
      fresh(g_nops);
      set_ctl(PIN_CONTROLS, PIN_PREEMPT_TIMER);
      vmw(GUEST_PREEMPT_TIMER, 0);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_PREEMPT_TIMER)) EXPECT_EQ("guest RIP", e.rip, A(g_nops_at));
      fresh(g_spin);
      set_ctl(PIN_CONTROLS, PIN_PREEMPT_TIMER);
      if (ctl_allowed1(caps.exit, EXIT_SAVE_TIMER)) set_ctl(EXIT_CONTROLS, EXIT_SAVE_TIMER);
      vmw(GUEST_PREEMPT_TIMER, 100);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_PREEMPT_TIMER) && ctl_allowed1(caps.exit, EXIT_SAVE_TIMER))
        EXPECT_EQ("saved timer value", vmr(GUEST_PREEMPT_TIMER), 0);
    }
  }
  TEST("inject-exception", "event injection: #UD delivered through the guest IDT") {
    fresh(g_nops);
    use_guest_idt();
    vmw(EXCEPTION_BITMAP, 0);
    vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_HW_EXCEPTION | 6);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMCALL)) EXPECT_EQ("vector the guest took", guest_regs.gpr[R_RAX], 6);
    EXPECT_EQ("entry interruption information cleared (valid bit)", vmr(ENTRY_INTR_INFO) & INTR_VALID, 0);
  }
  TEST("inject-software-interrupt", "event injection: INT 0x81 with instruction length 2 pushes RIP + 2") {
    fresh(g_nops);
    use_guest_idt();
    vmw(EXCEPTION_BITMAP, 0);
    vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_SW_INT | 0x81);
    vmw(ENTRY_INSN_LEN, 2);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMCALL)) {
      EXPECT_EQ("vector the guest took", guest_regs.gpr[R_RAX], 0x81);
      const uint64_t *frame = (const uint64_t *)(uintptr_t)vmr(GUEST_RSP);
      EXPECT_EQ("pushed RIP", frame[0], A(g_nops_at) + 2);
    }
  }
}

/* ---- guests in other modes (unrestricted guest, §27.3.1.1) ---- */
static struct ept identity;

static int unrestricted(void) {
  if (!has_proc2(CPU2_UNRESTRICTED | CPU2_EPT)) {
    vt_skip("unrestricted guest not reported");
    return 0;
  }
  if (!identity.pml4) ept_identity(&identity, 0, 0);
  ept_enable(&identity);
  set_ctl(PROC_CONTROLS2, CPU2_UNRESTRICTED);
  return 1;
}

static void test_guest_modes(void) {
  static uint8_t *stack;
  if (!stack) stack = page_alloc();
  TEST("task-switch", "a 32-bit guest's JMP to a TSS exits (reason 9): selector and source JMP in the qualification") {
    vmcs_load_clear(vmcs);
    vmcs_init_controls();
    vmcs_init_host();
    if (unrestricted()) {
      vmcs_init_guest32(A(guest32_task_jmp), pa_of(stack) + 4096);
      if (insn_exit(EXIT_TASK_SWITCH, guest32_task_jmp_at, guest32_task_jmp_next))
        EXPECT_EQ("qualification", e.qual, SEL_TSS32 | 2ull << 30);
    }
  }
  TEST("guest32-io", "a 32-bit unpaged guest (CR0.PE = 1, PG = 0): OUT exits with its qualification") {
    vmcs_load_clear(vmcs);
    vmcs_init_controls();
    vmcs_init_host();
    if (unrestricted()) {
      vmcs_init_guest32(A(guest32_io), pa_of(stack) + 4096);
      set_ctl(PROC_CONTROLS, CPU_UNCOND_IO);
      if (insn_exit(EXIT_IO, guest32_io_at, guest32_io_next)) {
        EXPECT_EQ("qualification (2 bytes, out, imm, port 0x80)", e.qual, 0x00800041);
        EXPECT_EQ("guest RAX", guest_regs.gpr[R_RAX] & 0xffff, 0x1234);
      }
    }
  }
  TEST("guest-real-mode", "a real-mode guest (CR0.PE = 0): CPUID exits, RIP is the 16-bit IP") {
    vmcs_load_clear(vmcs);
    vmcs_init_controls();
    vmcs_init_host();
    if (unrestricted()) {
      vmcs_init_guest_real(A(guest16_cpuid), 0, 0x7000);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_CPUID)) {
        EXPECT_EQ("guest RIP (offset in CS)", e.rip, A(guest16_cpuid_at) - A(guest16_cpuid));
        EXPECT_EQ("instruction length", e.insn_len, 2);
        EXPECT_EQ("BX", guest_regs.gpr[R_RBX] & 0xffff, 0x1234);
        EXPECT_EQ("guest CR0.PE", vmr(GUEST_CR0) & CR0_PE, 0);
      }
    }
  }
}

/* Last: whether an INIT stays pending after its VM exit is not something
 * the other tests should depend on. */
static void test_init(void) {
  TEST("init", "an INIT signal exits (reason 3) in VMX non-root operation") {
    fresh(g_self_init);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_INIT)) {
      EXPECT(e.rip >= A(g_self_init_at) && e.rip < A(g_self_init_next), "exit while the guest waits for the INIT");
      EXPECT_EQ("guest activity state", vmr(GUEST_ACTIVITY), ACTIVITY_ACTIVE);
    }
  }
}

int kmain(uint32_t magic, uint32_t info) {
  if (!vmx_test_start(magic, info)) return vt_finish("vmx-exits");
  vmcs = vmcs_alloc(0);
  test_unconditional();
  test_vmx_instructions();
  test_primary_controls();
  test_secondary_controls();
  test_control_registers();
  test_io_msr();
  test_exceptions();
  test_interrupts();
  test_guest_modes();
  test_init();
  return vt_finish("vmx-exits");
}

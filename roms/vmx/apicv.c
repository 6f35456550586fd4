/* vmx-apicv: APIC virtualization (SDM Vol. 3C chapter 30), one test per
 * feature: the TPR shadow (MOV to/from CR8 through the virtual-APIC page,
 * TPR-below-threshold exits), APIC-access exits and their qualification,
 * APIC-register virtualization and APIC-write exits, virtual-interrupt
 * delivery and EOI virtualization with the EOI-exit bitmap, virtualized
 * x2APIC MSR access, and posted-interrupt processing. */
#include "runtime/io.h"
#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/guest_idt.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vmx.h"
#include "vmx/lib/vtest.h"

extern char g_cr8[], g_cr8_at[], g_cr8_next[], g_load[], g_load_at[], g_load_next[], g_store[], g_store_at[],
    g_store_next[], g_rdmsr[], g_wrmsr[], g_idle[], g_notify[], g_jump[];

#define A(x) ((uint64_t)(uintptr_t)(x))
#define LAPIC 0xfee00000ull

static uint64_t vmcs;
static struct vmx_exit e;
static uint8_t *vapic, *apic_access;

static uint32_t *vreg(unsigned offset) { return (uint32_t *)(vapic + offset); }
/* A bit of a 256-bit virtual-APIC register (IRR at 0x200, ISR at 0x100). */
static int vbit(unsigned base, unsigned vector) { return (*vreg(base + vector / 32 * 16) >> (vector % 32)) & 1; }
static void set_vbit(unsigned base, unsigned vector) { *vreg(base + vector / 32 * 16) |= 1u << (vector % 32); }

static void set_ctl(uint32_t field, uint32_t bits) { vmw(field, vmr(field) | bits); }

/* A fresh 64-bit guest with the TPR shadow on (virtual-APIC page cleared). */
static void fresh(const void *rip) {
  vmcs_load_clear(vmcs);
  vmcs_setup64(A(rip));
  memset(vapic, 0, 4096);
  set_ctl(PROC_CONTROLS, CPU_TPR_SHADOW);
  vmw(PROC_CONTROLS, vmr(PROC_CONTROLS) & ~(CPU_CR8_LOAD | CPU_CR8_STORE));
  vmw(VIRTUAL_APIC_ADDR, pa_of(vapic));
  vmw(TPR_THRESHOLD, 0);
}
static void apic_accesses(void) {
  vmw(APIC_ACCESS_ADDR, pa_of(apic_access));
  set_ctl(PROC_CONTROLS2, CPU2_VIRT_APIC_ACCESS);
}
static int need2(uint32_t bits, const char *what) {
  if (has_proc2(bits)) return 1;
  vt_skip(what);
  return 0;
}

static void test_tpr_shadow(void) {
  TEST("tpr-shadow", "TPR shadow: MOV to CR8 writes VTPR (virtual-APIC page 0x80), MOV from CR8 reads it") {
    fresh(g_cr8);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMCALL)) {
      EXPECT_EQ("VTPR", *vreg(0x80), 0x50);
      EXPECT_EQ("MOV from CR8", guest_regs.gpr[R_RSI], 5);
    }
  }
  TEST("tpr-below-threshold", "TPR below threshold (reason 43): trap-like, after the MOV to CR8") {
    fresh(g_cr8);
    *vreg(0x80) = 0x70;
    vmw(TPR_THRESHOLD, 6);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_TPR_BELOW)) {
      EXPECT_EQ("guest RIP (the next instruction)", e.rip, A(g_cr8_next));
      EXPECT_EQ("VTPR", *vreg(0x80), 0x50);
    }
  }
}

static void test_apic_access(void) {
  TEST("apic-access-read", "APIC-access page: a read exits (reason 44), offset and linear read in the qualification") {
    if (need2(CPU2_VIRT_APIC_ACCESS, "virtualize APIC accesses not reported")) {
      fresh(g_load);
      apic_accesses();
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0x30;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_APIC_ACCESS)) {
        EXPECT_EQ("qualification (offset 0x30, type 0)", e.qual, 0x030);
        EXPECT_EQ("guest RIP", e.rip, A(g_load_at));
      }
    }
  }
  TEST("apic-access-tpr", "APIC-access page with the TPR shadow: a read of offset 0x80 returns VTPR without an exit") {
    if (need2(CPU2_VIRT_APIC_ACCESS, "virtualize APIC accesses not reported")) {
      fresh(g_load);
      apic_accesses();
      *vreg(0x80) = 0x30;
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0x80;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) EXPECT_EQ("value read", guest_regs.gpr[R_RAX], 0x30);
    }
  }
  TEST("apic-access-write", "APIC-access page: a write to EOI without virtual-interrupt delivery exits (type 1)") {
    if (need2(CPU2_VIRT_APIC_ACCESS, "virtualize APIC accesses not reported")) {
      fresh(g_store);
      apic_accesses();
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0xb0;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_APIC_ACCESS)) EXPECT_EQ("qualification (offset 0xb0, type 1)", e.qual, 0x10b0);
    }
  }
  /* Fetches are never virtualized (§30.4.2), not even at VTPR's offset. */
  TEST("apic-access-fetch", "APIC-access page: an instruction fetch exits (type 2), also at offset 0x80") {
    if (need2(CPU2_VIRT_APIC_ACCESS, "virtualize APIC accesses not reported")) {
      fresh(g_jump);
      apic_accesses();
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0x80;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_APIC_ACCESS)) {
        EXPECT_EQ("qualification (offset 0x80, type 2)", e.qual, 0x2080);
        EXPECT_EQ("guest RIP", e.rip, pa_of(apic_access) + 0x80);
      }
    }
  }
}

static void test_register_virtualization(void) {
  TEST("apic-register-read", "APIC-register virtualization: reads return the virtual-APIC page, 0x390 still exits") {
    if (need2(CPU2_VIRT_APIC_ACCESS | CPU2_APIC_REG_VIRT, "APIC-register virtualization not reported")) {
      fresh(g_load);
      apic_accesses();
      set_ctl(PROC_CONTROLS2, CPU2_APIC_REG_VIRT);
      *vreg(0x30) = 0x12345678;
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0x30;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) EXPECT_EQ("version register read", guest_regs.gpr[R_RAX], 0x12345678);
      fresh(g_load);
      apic_accesses();
      set_ctl(PROC_CONTROLS2, CPU2_APIC_REG_VIRT);
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0x390; /* current count: not virtualized */
      vmx_run(&e);
      if (expect_exit(&e, EXIT_APIC_ACCESS)) EXPECT_EQ("qualification", e.qual, 0x390);
    }
  }
  TEST("apic-write", "APIC-register virtualization: a write to ESR lands in the page, then an APIC-write exit (56)") {
    if (need2(CPU2_VIRT_APIC_ACCESS | CPU2_APIC_REG_VIRT, "APIC-register virtualization not reported")) {
      fresh(g_store);
      apic_accesses();
      set_ctl(PROC_CONTROLS2, CPU2_APIC_REG_VIRT);
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0x280;
      guest_regs.gpr[R_RCX] = 0xabcd;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_APIC_WRITE)) {
        EXPECT_EQ("qualification (offset)", e.qual, 0x280);
        EXPECT_EQ("guest RIP (trap-like: the next instruction)", e.rip, A(g_store_next));
        EXPECT_EQ("virtual ESR", *vreg(0x280), 0xabcd);
      }
    }
  }
}

/* Virtual-interrupt delivery (§30.2): RVI 0x81 pending, guest IF = 1. */
static int vid_setup(const void *rip) {
  if (!has_proc2(CPU2_VINT_DELIVERY | CPU2_VIRT_APIC_ACCESS) || !ctl_allowed1(caps.pin, PIN_EXT_INT_EXITING)) {
    vt_skip("virtual-interrupt delivery not reported");
    return 0;
  }
  fresh(rip);
  apic_accesses();
  set_ctl(PIN_CONTROLS, PIN_EXT_INT_EXITING);
  set_ctl(PROC_CONTROLS2, CPU2_VINT_DELIVERY);
  for (unsigned i = 0; i < 4; i++) vmw(EOI_EXIT_BITMAP0 + 2 * i, 0);
  guest_idt_use();
  vmw(GUEST_RFLAGS, 0x202);
  return 1;
}

static void test_virtual_interrupts(void) {
  TEST("virtual-interrupt", "virtual-interrupt delivery: RVI 0x81 is delivered through the guest IDT at entry") {
    if (vid_setup(g_idle)) {
      set_vbit(0x200, 0x81);
      vmw(GUEST_INT_STATUS, 0x0081);
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) {
        EXPECT_EQ("vector the guest took", guest_regs.gpr[R_RAX], 0x81);
        EXPECT_EQ("guest interrupt status (SVI 0x81, RVI 0)", vmr(GUEST_INT_STATUS), 0x8100);
        EXPECT_EQ("vIRR bit", vbit(0x200, 0x81), 0);
        EXPECT_EQ("vISR bit", vbit(0x100, 0x81), 1);
        EXPECT_EQ("VPPR", *vreg(0xa0), 0x80);
      }
    }
  }
  TEST("virtual-eoi", "EOI virtualization: with its EOI-exit bitmap bit, EOI exits (reason 45, vector 0x81)") {
    if (vid_setup(g_store)) {
      set_vbit(0x100, 0x81);
      vmw(GUEST_INT_STATUS, 0x8100);
      vmw(EOI_EXIT_BITMAP2, 1ull << (0x81 - 128));
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0xb0;
      guest_regs.gpr[R_RCX] = 0;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VIRTUALIZED_EOI)) {
        EXPECT_EQ("qualification (vector)", e.qual, 0x81);
        EXPECT_EQ("vISR bit cleared", vbit(0x100, 0x81), 0);
        EXPECT_EQ("guest interrupt status (SVI 0)", vmr(GUEST_INT_STATUS), 0);
      }
    }
  }
  TEST("virtual-eoi-no-exit", "EOI virtualization without the bitmap bit: no exit, vISR cleared") {
    if (vid_setup(g_store)) {
      set_vbit(0x100, 0x81);
      vmw(GUEST_INT_STATUS, 0x8100);
      guest_regs.gpr[R_RBX] = pa_of(apic_access) + 0xb0;
      guest_regs.gpr[R_RCX] = 0;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) {
        EXPECT_EQ("vISR bit cleared", vbit(0x100, 0x81), 0);
        EXPECT_EQ("guest interrupt status", vmr(GUEST_INT_STATUS), 0);
      }
    }
  }
}

static void test_x2apic(void) {
  TEST("x2apic-virtualization", "virtualize x2APIC mode: RDMSR/WRMSR of 808H (TPR) use VTPR") {
    if (need2(CPU2_VIRT_X2APIC, "virtualize x2APIC mode not reported")) {
      fresh(g_rdmsr);
      set_ctl(PROC_CONTROLS2, CPU2_VIRT_X2APIC);
      *vreg(0x80) = 0x40;
      guest_regs.gpr[R_RCX] = 0x808;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) {
        EXPECT_EQ("EAX", guest_regs.gpr[R_RAX], 0x40);
        EXPECT_EQ("EDX", guest_regs.gpr[R_RDX], 0);
      }
      fresh(g_wrmsr);
      set_ctl(PROC_CONTROLS2, CPU2_VIRT_X2APIC);
      guest_regs.gpr[R_RCX] = 0x808;
      guest_regs.gpr[R_RAX] = 0x20;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) EXPECT_EQ("VTPR after WRMSR", *vreg(0x80), 0x20);
    }
  }
}

static void test_posted(void) {
  TEST("posted-interrupt", "posted interrupts: the notification vector moves PIR 0x82 to vIRR and delivers it") {
    if (!ctl_allowed1(caps.pin, PIN_POSTED_INTS) || !ctl_allowed1(caps.exit, EXIT_ACK_INT)) {
      vt_skip("posted-interrupt processing not reported");
    } else if (vid_setup(g_notify)) {
      uint64_t *desc = page_alloc(); /* 64-byte aligned: PIR bits 255:0, ON bit 256 */
      desc[0x82 / 64] |= 1ull << (0x82 % 64);
      desc[4] |= 1;
      set_ctl(PIN_CONTROLS, PIN_POSTED_INTS);
      set_ctl(EXIT_CONTROLS, EXIT_ACK_INT);
      vmw(POSTED_INT_VECTOR, 0xf2);
      vmw(POSTED_INT_DESC_ADDR, pa_of(desc));
      guest_regs.gpr[R_RCX] = 0xf2;
      vmx_run(&e);
      if (expect_exit(&e, EXIT_VMCALL)) {
        EXPECT_EQ("vector the guest took", guest_regs.gpr[R_RAX], 0x82);
        EXPECT_EQ("ON bit cleared", desc[4] & 1, 0);
        EXPECT_EQ("PIR bit cleared", (desc[0x82 / 64] >> (0x82 % 64)) & 1, 0);
        EXPECT_EQ("ISR of the notification vector in the real APIC (EOI sent)",
                  (*(volatile uint32_t *)(uintptr_t)(LAPIC + 0x100 + 0xf2 / 32 * 0x10) >> (0xf2 % 32)) & 1, 0);
      }
    }
  }
}

int kmain(uint32_t magic, uint32_t info) {
  if (!vmx_test_start(magic, info)) return vt_finish("vmx-apicv");
  const int tpr_shadow = ctl_allowed1(caps.proc, CPU_TPR_SHADOW) && ctl_allowed1(caps.proc, CPU_SECONDARY);
  TEST("tpr-shadow-caps", "the TPR shadow is reported (primary control 21)") {
    if (!tpr_shadow) vt_fail("no TPR shadow");
  }
  if (!tpr_shadow) return vt_finish("vmx-apicv");
  /* Only the test's own interrupts: the 8259 pair masked (a BIOS may have
   * left the PIT running on IRQ 0), the local APIC software-enabled. */
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  *(volatile uint32_t *)(uintptr_t)(LAPIC + 0xf0) |= 0x100;
  vmcs = vmcs_alloc(0);
  vapic = page_alloc();
  apic_access = page_alloc();
  test_tpr_shadow();
  test_apic_access();
  test_register_virtualization();
  test_virtual_interrupts();
  test_x2apic();
  test_posted();
  return vt_finish("vmx-apicv");
}

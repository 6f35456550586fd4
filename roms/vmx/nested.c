/* vmx-nested: three levels with VMCS shadowing (SDM Vol. 3C §25.10 "VMCS
 * types: ordinary and shadow", §26.1.3 VMREAD/VMWRITE in VMX non-root
 * operation, §25.6.15 VMCS shadowing bitmaps). The machine (L0) runs this
 * ROM (L1), a hypervisor that runs l2_main (L2, nested_guest.S), itself a
 * hypervisor: L2's VMXON, VMPTRLD and VMLAUNCH exit to L1, which emulates
 * them; L2's VMWRITEs and VMREADs go to a shadow VMCS that L1 links to its
 * own VMCS and do not exit (unless L1 sets the field's bit in the VMREAD
 * bitmap); L1 runs L2's guest l3_guest (L3) with a VMCS of its own built
 * from the shadow VMCS, and reflects L3's exit to L2 through the shadow
 * VMCS. */
#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vmx.h"
#include "vmx/lib/vtest.h"

extern char l2_main[], l2_vmxon[], l2_vmptrld[], l2_vmlaunch[], l2_vmread_bitmap[], l2_host_rip[], l3_guest[],
    l3_cpuid[];

#define A(x) ((uint64_t)(uintptr_t)(x))
#define RFLAGS_ARITH 0x8d5 /* CF PF AF ZF SF OF: cleared for VMsucceed */

static uint64_t vmcs01, vmcs02, shadow;
static uint8_t *vmread_bitmap, *vmwrite_bitmap;
static struct vmx_exit e;
static int vmwrite_any;
static uint64_t emulated_tsc_offset = 0x7700000000ull;

/* The memory operand of a VMX instruction that exited: base register
 * (instruction information bits 26:23, valid if bit 27 is 0) plus the
 * displacement in the qualification (§28.2.1, Table 28-13). */
static uint64_t operand_address(void) {
  uint64_t a = e.qual;
  if (!(e.insn_info & 1u << 27)) a += guest_regs.gpr[(e.insn_info >> 23) & 15];
  if (!(e.insn_info & 1u << 22)) a += guest_regs.gpr[(e.insn_info >> 18) & 15] << (e.insn_info & 3);
  return a;
}

/* L2's instruction succeeded: RFLAGS arithmetic flags cleared, RIP past it. */
static void vmsucceed(void) {
  vmw(GUEST_RFLAGS, vmr(GUEST_RFLAGS) & ~(uint64_t)RFLAGS_ARITH);
  vmx_skip_insn(&e);
}

static void bitmap_set(uint8_t *bitmap, uint32_t field) {
  bitmap[(field & 0x7fff) >> 3] |= (uint8_t)(1u << (field & 7));
}

/* Reads (or writes) fields of the shadow VMCS from L1: it is made current,
 * accessed, cleared (written back), and VMCS01 made current again (its
 * launch state is kept). */
static void shadow_begin(void) {
  if (vmptrld(shadow) != VMX_OK) vt_fail("VMPTRLD of the shadow VMCS failed");
}
static void shadow_end(void) {
  vmclear(shadow);
  if (vmptrld(vmcs01) != VMX_OK) vt_fail("VMPTRLD of VMCS01 failed");
  vmcs_launched = 1;
}

static void run_three_levels(void) {
  uint8_t *stack2 = page_alloc(), *stack3 = page_alloc();
  uint64_t *result = page_alloc();
  uint32_t *l2_vmxon_region = page_alloc(), *l2_vmcs = page_alloc();
  l2_vmxon_region[0] = VMX_BASIC_REVISION(caps.basic);
  l2_vmcs[0] = VMX_BASIC_REVISION(caps.basic);
  vmread_bitmap = page_alloc();
  vmwrite_bitmap = page_alloc();
  shadow = vmcs_alloc(1);
  vmcs01 = vmcs_alloc(0);
  vmcs02 = vmcs_alloc(0);
  vmclear(shadow);

  /* L1 runs L2. */
  vmcs_load_clear(vmcs01);
  vmcs_setup64(A(l2_main));
  vmw(GUEST_RSP, pa_of(stack2) + 4096);
  guest_regs.gpr[R_RBX] = pa_of(l2_vmxon_region);
  guest_regs.gpr[R_RSI] = pa_of(l2_vmcs);
  guest_regs.gpr[R_R12] = A(l3_guest);
  guest_regs.gpr[R_R13] = pa_of(stack3) + 4096;
  guest_regs.gpr[R_R14] = pa_of(result);

  TEST("l2-vmxon", "L2's VMXON exits to L1 (reason 27) with its operand in the qualification and information") {
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMXON)) {
      EXPECT_EQ("guest RIP", e.rip, A(l2_vmxon));
      EXPECT_EQ("operand address", operand_address(), pa_of(l2_vmxon_region));
      vmsucceed();
    }
  }
  TEST("l2-vmptrld", "L2's VMPTRLD exits (reason 21); L1 links a shadow VMCS and turns VMCS shadowing on") {
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMPTRLD)) {
      EXPECT_EQ("operand address", operand_address(), pa_of(l2_vmcs));
      vmw(VMCS_LINK_PTR, shadow);
      vmw(VMREAD_BITMAP, pa_of(vmread_bitmap));
      vmw(VMWRITE_BITMAP, pa_of(vmwrite_bitmap));
      /* TSC_OFFSET's VMREAD exits, and so do the exit-information fields
       * when L1 cannot VMWRITE them into the shadow VMCS (IA32_VMX_MISC[29]). */
      bitmap_set(vmread_bitmap, TSC_OFFSET);
      if (!vmwrite_any) {
        bitmap_set(vmread_bitmap, EXIT_REASON);
        bitmap_set(vmread_bitmap, EXIT_INSN_LEN);
      }
      vmw(PROC_CONTROLS2, vmr(PROC_CONTROLS2) | CPU2_SHADOW_VMCS);
      vmsucceed();
    }
  }

  uint64_t l3_rip = 0, l3_rsp = 0, l2_host_rip_field = 0, l2_host_rsp = 0;
  TEST("l2-vmwrite-shadow", "L2's VMWRITEs go to the shadow VMCS without exits; its VMLAUNCH exits (reason 20)") {
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMLAUNCH)) {
      EXPECT_EQ("guest RIP", e.rip, A(l2_vmlaunch));
      shadow_begin();
      l3_rip = vmr(GUEST_RIP);
      l3_rsp = vmr(GUEST_RSP);
      l2_host_rip_field = vmr(HOST_RIP);
      l2_host_rsp = vmr(HOST_RSP);
      shadow_end();
      EXPECT_EQ("shadow GUEST_RIP (written by L2)", l3_rip, A(l3_guest));
      EXPECT_EQ("shadow GUEST_RSP", l3_rsp, pa_of(stack3) + 4096);
      EXPECT_EQ("shadow HOST_RIP", l2_host_rip_field, A(l2_host_rip));
      EXPECT_EQ("shadow HOST_RSP (L2's RSP)", l2_host_rsp, vmr(GUEST_RSP));
    }
  }

  TEST("l3-runs", "L1 runs L3 with VMCS02 built from the shadow VMCS: L3's CPUID exits to L1 with L2's registers") {
    const struct vmx_regs l2_regs = guest_regs; /* the set-up clears guest_regs */
    vmcs_load_clear(vmcs02);
    vmcs_setup64(l3_rip);
    vmw(GUEST_RSP, l3_rsp);
    guest_regs = l2_regs;
    vmx_run(&e); /* guest_regs: L2's registers, which L3 inherits */
    if (expect_exit(&e, EXIT_CPUID)) {
      EXPECT_EQ("L3 RIP", e.rip, A(l3_cpuid));
      EXPECT_EQ("L3's RBX (L2's 0x5a plus one)", guest_regs.gpr[R_RBX], 0x5b);
    }
  }

  TEST("l3-exit-reflected", "L3's exit reflected to L2: it reads the exit reason, RIP and length from its VMCS") {
    /* The exit as L2's VMCS must show it; GUEST_RIP is a guest field, the
     * others are read-only (VMWRITE to them needs IA32_VMX_MISC[29]). */
    shadow_begin();
    vmw(GUEST_RIP, e.rip);
    if (vmwrite_any) {
      vmw(EXIT_REASON, e.reason);
      vmw(EXIT_INSN_LEN, e.insn_len);
    }
    shadow_end();
    const uint32_t reason = e.reason, len = e.insn_len;
    /* L2 continues at its host RIP and RSP (§28.5.3), with L3's registers. */
    vmw(GUEST_RIP, l2_host_rip_field);
    vmw(GUEST_RSP, l2_host_rsp);
    vmw(GUEST_RFLAGS, 0x2);
    for (;;) {
      vmx_run(&e);
      if (e.status != VMX_OK || e.reason != EXIT_VMREAD) break;
      /* An exiting VMREAD (bitmap bit set): emulate it from L1's copy. */
      const uint32_t field = (uint32_t)guest_regs.gpr[(e.insn_info >> 28) & 15];
      uint64_t value = field == TSC_OFFSET ? emulated_tsc_offset : field == EXIT_REASON ? reason : len;
      if (field == TSC_OFFSET) EXPECT_EQ("RIP of the VMREAD that exits", e.rip, A(l2_vmread_bitmap));
      if (e.insn_info & 1u << 10)
        guest_regs.gpr[(e.insn_info >> 3) & 15] = value;
      else
        *(uint64_t *)(uintptr_t)operand_address() = value;
      vmsucceed();
    }
    if (expect_exit(&e, EXIT_VMCALL)) {
      EXPECT_EQ("L2: VMLAUNCH went to its host RIP", result[0], 0);
      EXPECT_EQ("L2 read EXIT_REASON", result[1], EXIT_CPUID);
      EXPECT_EQ("L2 read GUEST_RIP (L3's CPUID)", result[2], A(l3_cpuid));
      EXPECT_EQ("L2 read EXIT_INSN_LEN", result[3], 2);
      EXPECT_EQ("L2 sees L3's RBX", result[4], 0x5b);
    }
  }
  TEST("vmread-bitmap", "a VMREAD whose VMREAD-bitmap bit is set exits (reason 23) and L1 emulates it") {
    EXPECT_EQ("L2 read TSC_OFFSET (emulated)", result[5], emulated_tsc_offset);
  }
}

int kmain(uint32_t magic, uint32_t info) {
  if (!vmx_test_start(magic, info)) return vt_finish("vmx-nested");
  const int shadowing = has_proc2(CPU2_SHADOW_VMCS);
  TEST("shadowing-caps", "VMCS shadowing is reported (secondary control 14)") {
    if (!shadowing) vt_fail("no VMCS shadowing");
  }
  if (!shadowing) return vt_finish("vmx-nested");
  vmwrite_any = (caps.misc & VMX_MISC_VMWRITE_ANY) != 0;
  run_three_levels();
  return vt_finish("vmx-nested");
}

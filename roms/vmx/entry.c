/* vmx-entry: the checks of VM entry (SDM Vol. 3C chapter 27 "VM entries"),
 * one case per check group, each from a valid 64-bit guest with one field
 * made invalid, asserting the architected failure:
 *   - VM-execution, VM-exit and VM-entry control fields (§27.2.1):
 *     VMfailValid, error 7;
 *   - host-state area (§27.2.2-27.2.4): VMfailValid, error 8;
 *   - guest-state area (§27.3.1): a VM-entry failure exit, reason 33 with
 *     bit 31 set, qualification 0 (4 for the VMCS link pointer, 2 for PDPTEs
 *     loaded from memory);
 *   - MSR loading (§27.4): reason 34 with bit 31 set, qualification = the
 *     failing entry's index + 1;
 *   - VMLAUNCH/VMRESUME after MOV SS: VMfailValid, error 26;
 * plus the order of the groups, and that a failure leaves the host running
 * at HOST_RIP with the launch state unchanged. */
#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/ept.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vmx.h"
#include "vmx/lib/vtest.h"

extern char g_vmcall[];

#define A(x) ((uint64_t)(uintptr_t)(x))
#define NONCANONICAL 0x0000800000000000ull
/* A RIP VM entry refuses with 48-bit linear addresses: bits 63:48 not all
 * equal (§27.3.1.4 checks bits 63:N, N the linear-address width, so
 * NONCANONICAL itself passes the check and faults on the first fetch). */
#define BAD_RIP 0x0001000000000000ull

static uint64_t vmcs;
static struct vmx_exit e;

static void fresh(void) {
  vmcs_load_clear(vmcs);
  vmcs_setup64(A(g_vmcall));
}

/* A bit of a control field that may not be 1 (none: -1). */
static int forbidden1(uint64_t cap) {
  for (int b = 0; b < 32; b++)
    if (!((cap >> 32) & (1u << b))) return b;
  return -1;
}
/* A bit of a control field that must be 1 (none: -1). */
static int required1(uint64_t cap) {
  for (int b = 0; b < 32; b++)
    if ((uint32_t)cap & (1u << b)) return b;
  return -1;
}

static void expect_vmfail(uint32_t error) {
  vmx_run(&e);
  if (e.status != VMX_FAIL_VALID)
    vt_fail("status %d (exit reason 0x%x), want VMfailValid %u", e.status, e.reason, error);
  else
    EXPECT_EQ("VM-instruction error", e.error, error);
}

static void expect_entry_failure(uint32_t reason, uint64_t qual) {
  vmx_run(&e);
  if (e.status != VMX_OK) {
    vt_fail("VMfail (status %d, error %u), want a VM-entry failure exit %u", e.status, e.error, reason);
  } else {
    EXPECT_EQ("exit reason", e.reason, EXIT_REASON_ENTRY_FAIL | reason);
    EXPECT_EQ("exit qualification", e.qual, qual);
  }
}

/* One check: make the state invalid in one way, say what must happen. */
enum { FAIL_CONTROLS, FAIL_HOST, FAIL_GUEST, FAIL_GUEST_QUAL };
struct check {
  const char *id, *description;
  int (*make)(void); /* returns 0 (and skips the test) if the CPU cannot have this state */
  int kind;
  uint64_t qual;
};

static void set_bits(uint32_t field, uint64_t bits) { vmw(field, vmr(field) | bits); }
static void clear_bits(uint32_t field, uint64_t bits) { vmw(field, vmr(field) & ~bits); }
static int skip(const char *why) {
  vt_skip(why);
  return 0;
}

/* ---- control fields (error 7) ---- */
static int pin_reserved(void) {
  const int b = forbidden1(caps.pin);
  if (b < 0) return skip("every pin-based bit may be 1");
  set_bits(PIN_CONTROLS, 1u << b);
  return 1;
}
static int pin_default1(void) {
  const int b = required1(caps.pin);
  if (b < 0) return skip("no pin-based bit must be 1");
  clear_bits(PIN_CONTROLS, 1u << b);
  return 1;
}
static int proc_reserved(void) {
  const int b = forbidden1(caps.proc);
  if (b < 0) return skip("every primary bit may be 1");
  set_bits(PROC_CONTROLS, 1u << b);
  return 1;
}
static int proc2_reserved(void) {
  const int b = forbidden1(caps.proc2);
  if (!ctl_allowed1(caps.proc, CPU_SECONDARY) || b < 0) return skip("no secondary bit that must be 0");
  set_bits(PROC_CONTROLS2, 1u << b);
  return 1;
}
static int exit_reserved(void) {
  const int b = forbidden1(caps.exit);
  if (b < 0) return skip("every exit-control bit may be 1");
  set_bits(EXIT_CONTROLS, 1u << b);
  return 1;
}
static int entry_reserved(void) {
  const int b = forbidden1(caps.entry);
  if (b < 0) return skip("every entry-control bit may be 1");
  set_bits(ENTRY_CONTROLS, 1u << b);
  return 1;
}
static int cr3_target_count(void) {
  vmw(CR3_TARGET_COUNT, VMX_MISC_CR3_TARGETS(caps.misc) + 1);
  return 1;
}
static int io_bitmap_unaligned(void) {
  if (!ctl_allowed1(caps.proc, CPU_IO_BITMAPS)) return skip("no I/O bitmaps");
  io_bitmaps_on();
  vmw(IO_BITMAP_A, vmr(IO_BITMAP_A) + 0x10);
  return 1;
}
static int msr_bitmap_unaligned(void) {
  vmw(MSR_BITMAP, vmr(MSR_BITMAP) + 8);
  return 1;
}
static int msr_bitmap_too_wide(void) {
  vmw(MSR_BITMAP, vmr(MSR_BITMAP) | 1ull << caps.phys_bits);
  return 1;
}
static int tpr_threshold_reserved(void) {
  if (!ctl_allowed1(caps.proc, CPU_TPR_SHADOW)) return skip("no TPR shadow");
  set_bits(PROC_CONTROLS, CPU_TPR_SHADOW);
  vmw(VIRTUAL_APIC_ADDR, pa_of(page_alloc()));
  vmw(TPR_THRESHOLD, 0x10); /* bits 31:4 must be 0 */
  return 1;
}
static int virtual_apic_unaligned(void) {
  if (!ctl_allowed1(caps.proc, CPU_TPR_SHADOW)) return skip("no TPR shadow");
  set_bits(PROC_CONTROLS, CPU_TPR_SHADOW);
  vmw(VIRTUAL_APIC_ADDR, pa_of(page_alloc()) + 0x80);
  vmw(TPR_THRESHOLD, 0);
  return 1;
}
static int virtual_nmis_without_nmi_exiting(void) {
  if (!ctl_allowed1(caps.pin, PIN_VIRTUAL_NMIS) || !ctl_allowed0(caps.pin, PIN_NMI_EXITING))
    return skip("no virtual NMIs");
  set_bits(PIN_CONTROLS, PIN_VIRTUAL_NMIS);
  clear_bits(PIN_CONTROLS, PIN_NMI_EXITING);
  return 1;
}
static int nmi_window_without_virtual_nmis(void) {
  if (!ctl_allowed1(caps.proc, CPU_NMI_WINDOW)) return skip("no NMI-window exiting");
  set_bits(PROC_CONTROLS, CPU_NMI_WINDOW);
  return 1;
}
static int vpid_zero(void) {
  if (!has_proc2(CPU2_VPID)) return skip("no VPID");
  set_bits(PROC_CONTROLS2, CPU2_VPID);
  vmw(VPID, 0);
  return 1;
}
static int unrestricted_without_ept(void) {
  if (!has_proc2(CPU2_UNRESTRICTED)) return skip("no unrestricted guest");
  set_bits(PROC_CONTROLS2, CPU2_UNRESTRICTED);
  clear_bits(PROC_CONTROLS2, CPU2_EPT);
  return 1;
}
static struct ept identity;
static int ept_on(void) {
  if (!has_proc2(CPU2_EPT)) return skip("no EPT");
  if (!identity.pml4) ept_identity(&identity, 0, 0);
  ept_enable(&identity);
  return 1;
}
static int eptp_bad_memtype(void) {
  if (!ept_on()) return 0;
  vmw(EPT_POINTER, (identity.eptp & ~7ull) | 2); /* type 2 is reserved */
  return 1;
}
static int eptp_bad_walk_length(void) {
  if (!ept_on()) return 0;
  vmw(EPT_POINTER, (identity.eptp & ~0x38ull) | (5u << 3)); /* a 6-level walk */
  return 1;
}
static int eptp_reserved_bits(void) {
  if (!ept_on()) return 0;
  vmw(EPT_POINTER, identity.eptp | 1ull << 11); /* bits 11:8 reserved */
  return 1;
}
static int x2apic_and_apic_access(void) {
  if (!has_proc2(CPU2_VIRT_X2APIC | CPU2_VIRT_APIC_ACCESS)) return skip("no x2APIC / APIC-access virtualization");
  set_bits(PROC_CONTROLS, CPU_TPR_SHADOW);
  vmw(VIRTUAL_APIC_ADDR, pa_of(page_alloc()));
  vmw(TPR_THRESHOLD, 0);
  vmw(APIC_ACCESS_ADDR, pa_of(page_alloc()));
  set_bits(PROC_CONTROLS2, CPU2_VIRT_X2APIC | CPU2_VIRT_APIC_ACCESS);
  return 1;
}
static int save_timer_without_timer(void) {
  if (!ctl_allowed1(caps.exit, EXIT_SAVE_TIMER)) return skip("no save VMX-preemption timer value");
  set_bits(EXIT_CONTROLS, EXIT_SAVE_TIMER);
  clear_bits(PIN_CONTROLS, PIN_PREEMPT_TIMER);
  return 1;
}
static int exit_msr_store_unaligned(void) {
  vmw(EXIT_MSR_STORE_COUNT, 1);
  vmw(EXIT_MSR_STORE_ADDR, pa_of(page_alloc()) + 8); /* 16-byte aligned */
  return 1;
}
static int entry_msr_load_unaligned(void) {
  vmw(ENTRY_MSR_LOAD_COUNT, 1);
  vmw(ENTRY_MSR_LOAD_ADDR, pa_of(page_alloc()) + 4);
  return 1;
}
/* Event injection (§27.2.1.3). */
static int inject_reserved_type(void) {
  vmw(ENTRY_INTR_INFO, INTR_VALID | 1u << 8 | 0x20); /* type 1 is reserved */
  return 1;
}
static int inject_nmi_vector(void) {
  vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_NMI | 3); /* an NMI has vector 2 */
  return 1;
}
static int inject_exception_vector(void) {
  vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_HW_EXCEPTION | 32); /* exceptions are 0-31 */
  return 1;
}
static int inject_error_code_mismatch(void) {
  if (caps.basic & VMX_BASIC_NO_ERRCODE_CHECK) return skip("IA32_VMX_BASIC[56]: the check is not made");
  vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_HW_EXCEPTION | INTR_HAS_ERROR | 6); /* #UD has none */
  return 1;
}
static int inject_reserved_bits(void) {
  vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_HW_EXCEPTION | 6 | 1u << 20); /* bits 30:12 */
  return 1;
}
/* §27.2.1.3: a software event's instruction length is 1-15, or 0-15 where
   IA32_VMX_MISC[30] allows 0; 16 is refused everywhere. */
static int inject_length_invalid(void) {
  vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_SW_INT | 0x80);
  vmw(ENTRY_INSN_LEN, (caps.misc & VMX_MISC_INJECT_LEN0) ? 16 : 0);
  return 1;
}

/* ---- host state (error 8) ---- */
static int host_cr0_fixed(void) {
  vmw(HOST_CR0, vmr(HOST_CR0) & ~CR0_NE);
  return 1;
}
static int host_cr4_vmxe(void) {
  vmw(HOST_CR4, vmr(HOST_CR4) & ~CR4_VMXE);
  return 1;
}
static int host_cr3_too_wide(void) {
  vmw(HOST_CR3, vmr(HOST_CR3) | 1ull << caps.phys_bits);
  return 1;
}
static int host_selector_rpl(void) {
  vmw(HOST_DS_SEL, SEL_DATA | 3);
  return 1;
}
static int host_selector_ti(void) {
  vmw(HOST_ES_SEL, SEL_DATA | 4);
  return 1;
}
static int host_cs_null(void) {
  vmw(HOST_CS_SEL, 0);
  return 1;
}
static int host_tr_null(void) {
  vmw(HOST_TR_SEL, 0);
  return 1;
}
static int host_64_cleared(void) {
  clear_bits(EXIT_CONTROLS, EXIT_HOST_64); /* the processor is in IA-32e mode: must be 1 */
  return 1;
}
static int host_rip_noncanonical(void) {
  vmw(HOST_RIP, NONCANONICAL);
  return 1;
}
static int host_fs_base_noncanonical(void) {
  vmw(HOST_FS_BASE, NONCANONICAL);
  return 1;
}
static int host_gdtr_noncanonical(void) {
  vmw(HOST_GDTR_BASE, NONCANONICAL);
  return 1;
}
static int host_tr_base_noncanonical(void) {
  vmw(HOST_TR_BASE, NONCANONICAL);
  return 1;
}
static int host_sysenter_eip_noncanonical(void) {
  vmw(HOST_SYSENTER_EIP, NONCANONICAL);
  return 1;
}
static int host_efer_lma(void) {
  if (!ctl_allowed1(caps.exit, EXIT_LOAD_EFER)) return skip("no load IA32_EFER on exit");
  set_bits(EXIT_CONTROLS, EXIT_LOAD_EFER);
  vmw(HOST_EFER, vmr(HOST_EFER) & ~EFER_LMA); /* must equal host address-space size */
  return 1;
}
static int host_pat_invalid(void) {
  if (!ctl_allowed1(caps.exit, EXIT_LOAD_PAT)) return skip("no load IA32_PAT on exit");
  set_bits(EXIT_CONTROLS, EXIT_LOAD_PAT);
  vmw(HOST_PAT, 0x0706050403020102ull); /* type 2 is reserved */
  return 1;
}

/* ---- guest state (exit 33) ---- */
static int guest_cr0_pg_without_pe(void) {
  vmw(GUEST_CR0, vmr(GUEST_CR0) & ~CR0_PE);
  return 1;
}
static int guest_cr0_ne(void) {
  vmw(GUEST_CR0, vmr(GUEST_CR0) & ~CR0_NE);
  return 1;
}
static int guest_cr4_vmxe(void) {
  vmw(GUEST_CR4, vmr(GUEST_CR4) & ~CR4_VMXE);
  return 1;
}
static int guest_64_without_pae(void) {
  vmw(GUEST_CR4, vmr(GUEST_CR4) & ~CR4_PAE);
  return 1;
}
static int guest_dr7_high(void) {
  /* The check applies only with "load debug controls" (SDM 27.3.1.1); with
     the TRUE controls that control may be 0 by default. */
  set_bits(ENTRY_CONTROLS, ENTRY_LOAD_DEBUG);
  vmw(GUEST_DR7, 0x400 | 1ull << 32);
  return 1;
}
static int guest_efer_lma(void) {
  if (!ctl_allowed1(caps.entry, ENTRY_LOAD_EFER)) return skip("no load IA32_EFER on entry");
  set_bits(ENTRY_CONTROLS, ENTRY_LOAD_EFER);
  vmw(GUEST_EFER, vmr(GUEST_EFER) & ~EFER_LMA); /* must equal IA-32e mode guest */
  return 1;
}
static int guest_pat_invalid(void) {
  if (!ctl_allowed1(caps.entry, ENTRY_LOAD_PAT)) return skip("no load IA32_PAT on entry");
  set_bits(ENTRY_CONTROLS, ENTRY_LOAD_PAT);
  vmw(GUEST_PAT, 0x0706050403020103ull); /* type 3 is reserved */
  return 1;
}
static int guest_tr_unusable(void) {
  vmw(GUEST_TR_AR, 0x1008b);
  return 1;
}
static int guest_tr_available(void) {
  vmw(GUEST_TR_AR, 0x0089); /* a TSS must be busy */
  return 1;
}
static int guest_cs_data(void) {
  vmw(GUEST_CS_AR, 0xa093); /* data segment: CS must be code */
  return 1;
}
static int guest_cs_l_and_d(void) {
  vmw(GUEST_CS_AR, 0xe09b); /* L = 1 and D = 1 */
  return 1;
}
static int guest_ss_dpl(void) {
  vmw(GUEST_SS_AR, 0xc0b3); /* DPL 1: SS.DPL must equal CS.DPL for non-conforming CS */
  return 1;
}
static int guest_ds_granularity(void) {
  vmw(GUEST_DS_LIMIT, 0xffff0); /* a limit bit in 11:0 is 0, so G (1 in the AR) must be 0 */
  return 1;
}
static int guest_ar_reserved(void) {
  vmw(GUEST_ES_AR, 0xc093 | 1u << 8); /* bits 11:8 reserved */
  return 1;
}
static int guest_ldtr_type(void) {
  vmw(GUEST_LDTR_AR, 0x0089); /* a usable LDTR must be type 2 */
  vmw(GUEST_LDTR_SEL, 0);
  return 1;
}
static int guest_gdtr_noncanonical(void) {
  vmw(GUEST_GDTR_BASE, NONCANONICAL);
  return 1;
}
static int guest_idtr_limit(void) {
  vmw(GUEST_IDTR_LIMIT, 0x10000); /* bits 31:16 must be 0 */
  return 1;
}
static int guest_rip_noncanonical(void) {
  vmw(GUEST_RIP, BAD_RIP);
  return 1;
}
static int guest_rflags_bit1(void) {
  vmw(GUEST_RFLAGS, 0);
  return 1;
}
static int guest_rflags_vm_64(void) {
  vmw(GUEST_RFLAGS, 0x2 | 1u << 17); /* VM in an IA-32e mode guest */
  return 1;
}
static int guest_inject_ext_if0(void) {
  vmw(ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT_INT | 0x40);
  vmw(GUEST_RFLAGS, 0x2); /* IF = 0: an external interrupt cannot be injected */
  return 1;
}
static int guest_activity_invalid(void) {
  vmw(GUEST_ACTIVITY, 4);
  return 1;
}
static int guest_sti_and_mov_ss(void) {
  vmw(GUEST_RFLAGS, 0x202);
  vmw(GUEST_INTERRUPTIBILITY, INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
  return 1;
}
static int guest_sti_if0(void) {
  vmw(GUEST_INTERRUPTIBILITY, INTERRUPTIBILITY_STI);
  return 1;
}
static int guest_pending_dbg_reserved(void) {
  vmw(GUEST_PENDING_DBG, 1u << 4); /* bits 11:4 reserved */
  return 1;
}
static int guest_link_pointer(void) {
  vmw(VMCS_LINK_PTR, pa_of(page_alloc())); /* not ~0, and no shadow-VMCS revision id there */
  return 1;
}
/* A 32-bit PAE guest whose PDPT (in memory: no EPT) has a reserved bit set:
 * loading the PDPTEs fails, qualification 2 (§27.3.1.6, §27.8). */
static int guest_pae_pdpte(void) {
  uint64_t *pdpt = page_alloc();
  pdpt[0] = 1 | 1ull << 5 | pa_of(page_alloc()); /* P and reserved bit 5 (bits 2:1, 8:5 reserved) */
  vmw(GUEST_CR0, vmr(GUEST_CR0) | CR0_PG | CR0_PE);
  vmw(GUEST_CR4, (caps.cr4_fixed0 | CR4_VMXE | CR4_PAE) & caps.cr4_fixed1);
  vmw(GUEST_CR3, pa_of(pdpt));
  clear_bits(ENTRY_CONTROLS, ENTRY_GUEST_64);
  if (vmx_field_exists(REQ_EFER)) vmw(GUEST_EFER, vmr(GUEST_EFER) & ~(EFER_LMA | EFER_LME));
  vmw(GUEST_CS_SEL, SEL_CODE32);
  vmw(GUEST_CS_AR, 0xc09b);
  vmw(GUEST_RIP, (uint32_t)vmr(GUEST_RIP));
  return 1;
}

static const struct check checks[] = {
    {"ctl-pin-reserved", "pin-based control: a bit the capability MSR forbids", pin_reserved, FAIL_CONTROLS, 0},
    {"ctl-pin-default1", "pin-based control: a required bit cleared", pin_default1, FAIL_CONTROLS, 0},
    {"ctl-proc-reserved", "primary processor-based control: a forbidden bit", proc_reserved, FAIL_CONTROLS, 0},
    {"ctl-proc2-reserved", "secondary processor-based control: a forbidden bit", proc2_reserved, FAIL_CONTROLS, 0},
    {"ctl-exit-reserved", "VM-exit control: a forbidden bit", exit_reserved, FAIL_CONTROLS, 0},
    {"ctl-entry-reserved", "VM-entry control: a forbidden bit", entry_reserved, FAIL_CONTROLS, 0},
    {"ctl-cr3-targets", "CR3-target count above IA32_VMX_MISC's", cr3_target_count, FAIL_CONTROLS, 0},
    {"ctl-io-bitmap", "I/O bitmap A not 4-KiB aligned", io_bitmap_unaligned, FAIL_CONTROLS, 0},
    {"ctl-msr-bitmap", "MSR bitmap not 4-KiB aligned", msr_bitmap_unaligned, FAIL_CONTROLS, 0},
    {"ctl-msr-bitmap-width", "MSR bitmap beyond the physical-address width", msr_bitmap_too_wide, FAIL_CONTROLS, 0},
    {"ctl-tpr-threshold", "TPR threshold with bits 31:4 set", tpr_threshold_reserved, FAIL_CONTROLS, 0},
    {"ctl-virtual-apic", "virtual-APIC address not 4-KiB aligned", virtual_apic_unaligned, FAIL_CONTROLS, 0},
    {"ctl-virtual-nmis", "virtual NMIs without NMI exiting", virtual_nmis_without_nmi_exiting, FAIL_CONTROLS, 0},
    {"ctl-nmi-window", "NMI-window exiting without virtual NMIs", nmi_window_without_virtual_nmis, FAIL_CONTROLS, 0},
    {"ctl-vpid-zero", "enable VPID with VPID 0", vpid_zero, FAIL_CONTROLS, 0},
    {"ctl-ug-without-ept", "unrestricted guest without EPT", unrestricted_without_ept, FAIL_CONTROLS, 0},
    {"ctl-eptp-memtype", "EPTP memory type 2", eptp_bad_memtype, FAIL_CONTROLS, 0},
    {"ctl-eptp-walk", "EPTP page-walk length 6", eptp_bad_walk_length, FAIL_CONTROLS, 0},
    {"ctl-eptp-reserved", "EPTP reserved bit 11", eptp_reserved_bits, FAIL_CONTROLS, 0},
    {"ctl-x2apic-apic-access", "virtualize x2APIC mode together with virtualize APIC accesses", x2apic_and_apic_access,
     FAIL_CONTROLS, 0},
    {"ctl-save-timer", "save VMX-preemption timer value without the timer", save_timer_without_timer, FAIL_CONTROLS, 0},
    {"ctl-exit-msr-store", "VM-exit MSR-store address not 16-byte aligned", exit_msr_store_unaligned, FAIL_CONTROLS, 0},
    {"ctl-entry-msr-load", "VM-entry MSR-load address not 16-byte aligned", entry_msr_load_unaligned, FAIL_CONTROLS, 0},
    {"ctl-inject-type", "event injection: reserved interruption type 1", inject_reserved_type, FAIL_CONTROLS, 0},
    {"ctl-inject-nmi-vector", "event injection: an NMI with vector 3", inject_nmi_vector, FAIL_CONTROLS, 0},
    {"ctl-inject-exception-vector", "event injection: a hardware exception with vector 32", inject_exception_vector,
     FAIL_CONTROLS, 0},
    {"ctl-inject-error-code", "event injection: #UD with an error code", inject_error_code_mismatch, FAIL_CONTROLS, 0},
    {"ctl-inject-reserved", "event injection: reserved bits 30:12", inject_reserved_bits, FAIL_CONTROLS, 0},
    {"ctl-inject-length",
     "event injection: a software interrupt with an instruction length not allowed (16, or 0 without MISC[30])",
     inject_length_invalid, FAIL_CONTROLS, 0},
    {"host-cr0", "host CR0 without a CR0_FIXED0 bit (NE)", host_cr0_fixed, FAIL_HOST, 0},
    {"host-cr4", "host CR4 without VMXE", host_cr4_vmxe, FAIL_HOST, 0},
    {"host-cr3", "host CR3 beyond the physical-address width", host_cr3_too_wide, FAIL_HOST, 0},
    {"host-selector-rpl", "host DS selector with RPL 3", host_selector_rpl, FAIL_HOST, 0},
    {"host-selector-ti", "host ES selector with TI 1", host_selector_ti, FAIL_HOST, 0},
    {"host-cs-null", "host CS selector 0", host_cs_null, FAIL_HOST, 0},
    {"host-tr-null", "host TR selector 0", host_tr_null, FAIL_HOST, 0},
    {"host-address-space", "host address-space size 0 on a processor in IA-32e mode", host_64_cleared, FAIL_HOST, 0},
    {"host-rip", "host RIP not canonical", host_rip_noncanonical, FAIL_HOST, 0},
    {"host-fs-base", "host FS base not canonical", host_fs_base_noncanonical, FAIL_HOST, 0},
    {"host-gdtr-base", "host GDTR base not canonical", host_gdtr_noncanonical, FAIL_HOST, 0},
    {"host-tr-base", "host TR base not canonical", host_tr_base_noncanonical, FAIL_HOST, 0},
    {"host-sysenter-eip", "host IA32_SYSENTER_EIP not canonical", host_sysenter_eip_noncanonical, FAIL_HOST, 0},
    {"host-efer", "host IA32_EFER.LMA different from host address-space size", host_efer_lma, FAIL_HOST, 0},
    {"host-pat", "host IA32_PAT with a reserved memory type", host_pat_invalid, FAIL_HOST, 0},
    {"guest-cr0-pg-pe", "guest CR0.PG = 1 with PE = 0", guest_cr0_pg_without_pe, FAIL_GUEST, 0},
    {"guest-cr0-fixed", "guest CR0 without NE", guest_cr0_ne, FAIL_GUEST, 0},
    {"guest-cr4-fixed", "guest CR4 without VMXE", guest_cr4_vmxe, FAIL_GUEST, 0},
    {"guest-ia32e-pae", "IA-32e mode guest with CR4.PAE = 0", guest_64_without_pae, FAIL_GUEST, 0},
    {"guest-dr7", "guest DR7 bits 63:32 set", guest_dr7_high, FAIL_GUEST, 0},
    {"guest-efer", "guest IA32_EFER.LMA different from IA-32e mode guest", guest_efer_lma, FAIL_GUEST, 0},
    {"guest-pat", "guest IA32_PAT with a reserved memory type", guest_pat_invalid, FAIL_GUEST, 0},
    {"guest-tr-unusable", "guest TR unusable", guest_tr_unusable, FAIL_GUEST, 0},
    {"guest-tr-type", "guest TR an available (not busy) TSS", guest_tr_available, FAIL_GUEST, 0},
    {"guest-cs-type", "guest CS a data segment", guest_cs_data, FAIL_GUEST, 0},
    {"guest-cs-l-d", "guest CS with L = 1 and D = 1", guest_cs_l_and_d, FAIL_GUEST, 0},
    {"guest-ss-dpl", "guest SS.DPL different from CS.DPL", guest_ss_dpl, FAIL_GUEST, 0},
    {"guest-granularity", "guest DS limit with low bits clear and G = 1", guest_ds_granularity, FAIL_GUEST, 0},
    {"guest-ar-reserved", "guest ES access rights with a reserved bit", guest_ar_reserved, FAIL_GUEST, 0},
    {"guest-ldtr-type", "guest LDTR usable with type 9", guest_ldtr_type, FAIL_GUEST, 0},
    {"guest-gdtr-base", "guest GDTR base not canonical", guest_gdtr_noncanonical, FAIL_GUEST, 0},
    {"guest-idtr-limit", "guest IDTR limit with bits 31:16 set", guest_idtr_limit, FAIL_GUEST, 0},
    {"guest-rip", "guest RIP with bits 63:48 not all equal in 64-bit mode", guest_rip_noncanonical, FAIL_GUEST, 0},
    {"guest-rflags-bit1", "guest RFLAGS bit 1 clear", guest_rflags_bit1, FAIL_GUEST, 0},
    {"guest-rflags-vm", "guest RFLAGS.VM in an IA-32e mode guest", guest_rflags_vm_64, FAIL_GUEST, 0},
    {"guest-inject-if", "injecting an external interrupt with guest RFLAGS.IF = 0", guest_inject_ext_if0, FAIL_GUEST,
     0},
    {"guest-activity", "guest activity state 4", guest_activity_invalid, FAIL_GUEST, 0},
    {"guest-sti-mov-ss", "guest blocking by STI and by MOV SS", guest_sti_and_mov_ss, FAIL_GUEST, 0},
    {"guest-sti-if", "guest blocking by STI with RFLAGS.IF = 0", guest_sti_if0, FAIL_GUEST, 0},
    {"guest-pending-dbg", "guest pending debug exceptions with a reserved bit", guest_pending_dbg_reserved, FAIL_GUEST,
     0},
    {"guest-link-pointer", "VMCS link pointer not ~0 and not a shadow VMCS (qualification 4)", guest_link_pointer,
     FAIL_GUEST_QUAL, 4},
    {"guest-pdpte", "PAE guest whose PDPTE in memory has a reserved bit (qualification 2)", guest_pae_pdpte,
     FAIL_GUEST_QUAL, 2},
};

static void run_checks(void) {
  for (unsigned i = 0; i < sizeof checks / sizeof *checks; i++) {
    const struct check *c = &checks[i];
    TEST(c->id, c->description) {
      fresh();
      if (c->make()) {
        if (c->kind == FAIL_CONTROLS) expect_vmfail(VMERR_ENTRY_BAD_CONTROLS);
        if (c->kind == FAIL_HOST) expect_vmfail(VMERR_ENTRY_BAD_HOST);
        if (c->kind == FAIL_GUEST) expect_entry_failure(EXIT_INVALID_GUEST, 0);
        if (c->kind == FAIL_GUEST_QUAL) expect_entry_failure(EXIT_INVALID_GUEST, c->qual);
      }
    }
  }
}

struct msr_entry {
  uint32_t index, reserved;
  uint64_t value;
};

static void test_msr_loading(void) {
  TEST("msr-load-ok", "MSR areas: entry loads IA32_KERNEL_GS_BASE, exit stores the guest's and loads the host's") {
    struct msr_entry *load = page_alloc(), *restore = page_alloc();
    load[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x1234000};
    restore[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, rdmsr(MSR_KERNEL_GS_BASE)};
    fresh();
    vmw(ENTRY_MSR_LOAD_ADDR, pa_of(load));
    vmw(ENTRY_MSR_LOAD_COUNT, 1);
    vmw(EXIT_MSR_STORE_ADDR, pa_of(load + 1));
    vmw(EXIT_MSR_STORE_COUNT, 1);
    load[1] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0};
    vmw(EXIT_MSR_LOAD_ADDR, pa_of(restore));
    vmw(EXIT_MSR_LOAD_COUNT, 1);
    vmx_run(&e);
    if (expect_exit(&e, EXIT_VMCALL)) {
      EXPECT_EQ("IA32_KERNEL_GS_BASE stored at exit (the guest's)", load[1].value, 0x1234000);
      EXPECT_EQ("IA32_KERNEL_GS_BASE after exit (restored)", rdmsr(MSR_KERNEL_GS_BASE), restore[0].value);
    }
  }
  TEST("msr-load-x2apic", "VM-entry MSR load of an x2APIC MSR (entry 2): exit 34, qualification 2") {
    struct msr_entry *load = page_alloc();
    load[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0};
    load[1] = (struct msr_entry){0x808, 0, 0}; /* x2APIC TPR: not loadable (§27.4) */
    fresh();
    vmw(ENTRY_MSR_LOAD_ADDR, pa_of(load));
    vmw(ENTRY_MSR_LOAD_COUNT, 2);
    expect_entry_failure(EXIT_MSR_LOADING, 2);
  }
  TEST("msr-load-reserved", "VM-entry MSR-load entry with reserved bits 63:32 of its first quadword set: exit 34") {
    struct msr_entry *load = page_alloc();
    load[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 1, 0};
    fresh();
    vmw(ENTRY_MSR_LOAD_ADDR, pa_of(load));
    vmw(ENTRY_MSR_LOAD_COUNT, 1);
    expect_entry_failure(EXIT_MSR_LOADING, 1);
  }
  TEST("msr-load-gp", "VM-entry MSR load of a value WRMSR would refuse (non-canonical FS base): exit 34") {
    struct msr_entry *load = page_alloc();
    load[0] = (struct msr_entry){MSR_FS_BASE, 0, NONCANONICAL};
    fresh();
    vmw(ENTRY_MSR_LOAD_ADDR, pa_of(load));
    vmw(ENTRY_MSR_LOAD_COUNT, 1);
    expect_entry_failure(EXIT_MSR_LOADING, 1);
  }
}

static void test_order_and_state(void) {
  TEST("baseline", "the unmodified 64-bit guest enters and exits (VMCALL)") {
    fresh();
    vmx_run(&e);
    expect_exit(&e, EXIT_VMCALL);
  }
  TEST("order-controls-host", "controls are checked before host state: both invalid gives error 7") {
    fresh();
    vmw(CR3_TARGET_COUNT, VMX_MISC_CR3_TARGETS(caps.misc) + 1);
    vmw(HOST_CS_SEL, 0);
    expect_vmfail(VMERR_ENTRY_BAD_CONTROLS);
  }
  TEST("order-host-guest", "host state is checked before guest state: both invalid gives error 8") {
    fresh();
    vmw(HOST_TR_SEL, 0);
    vmw(GUEST_RFLAGS, 0);
    expect_vmfail(VMERR_ENTRY_BAD_HOST);
  }
  TEST("launch-before-controls", "VMLAUNCH of a launched VMCS fails (4) before the controls are checked") {
    fresh();
    vmx_run(&e);
    vmw(CR3_TARGET_COUNT, VMX_MISC_CR3_TARGETS(caps.misc) + 1);
    vmcs_launched = 0; /* VMLAUNCH */
    expect_vmfail(VMERR_VMLAUNCH_NOT_CLEAR);
  }
  TEST("entry-failure-state", "after a guest-state failure the host runs on and the VMCS is still clear") {
    fresh();
    vmw(GUEST_RFLAGS, 0);
    expect_entry_failure(EXIT_INVALID_GUEST, 0);
    vmw(GUEST_RFLAGS, 2);
    vmcs_launched = 1; /* VMRESUME must fail: the launch state is still clear */
    expect_vmfail(VMERR_VMRESUME_NOT_LAUNCHED);
    vmcs_launched = 0;
    vmx_run(&e);
    expect_exit(&e, EXIT_VMCALL);
  }
  TEST("mov-ss-blocking", "VMLAUNCH right after MOV SS: VMfailValid(26), before the host-state checks") {
    fresh();
    vmw(HOST_CS_SEL, 0); /* had the MOV SS check been skipped: error 8, never a launch */
    uint8_t cf, zf;
    __asm__ volatile(
        "mov %%ss, %%eax\n\t"
        "mov %%eax, %%ss\n\t"
        "vmlaunch"
        : "=@ccc"(cf), "=@ccz"(zf)
        :
        : "rax", "memory");
    const int s = VMX_STATUS_FROM_FLAGS(cf, zf);
    EXPECT_EQ("status (VMfailValid)", s, VMX_FAIL_VALID);
    EXPECT_EQ("VM-instruction error", vmr(VM_INSN_ERROR), VMERR_ENTRY_MOV_SS);
  }
}

int kmain(uint32_t magic, uint32_t info) {
  if (!vmx_test_start(magic, info)) return vt_finish("vmx-entry");
  vmcs = vmcs_alloc(0);
  test_order_and_state();
  run_checks();
  test_msr_loading();
  return vt_finish("vmx-entry");
}

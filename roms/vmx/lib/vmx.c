#include "vmx/lib/vmx.h"

#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vtest.h"

struct vmx_caps caps;
uint64_t vmxon_region;
struct vmx_regs guest_regs;
int vmcs_launched;
uint8_t *msr_bitmap, *io_bitmap_a, *io_bitmap_b;

/* ---- memory ---- */
enum { POOL_PAGES = 192 };
static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;

void *page_alloc(void) {
  if (pool_used == POOL_PAGES) {
    kprintf("vmx library: page pool exhausted\n");
    return 0;
  }
  uint8_t *p = pool[pool_used++];
  memset(p, 0, 4096);
  return p;
}

/* ---- the GDT and TSS (host and guests) ---- */
/* 0x08 64-bit code, 0x10 flat data, 0x18 32-bit code, 0x20 64-bit TSS (16
 * bytes), 0x30 16-bit code, 0x38 16-bit data, 0x40 an available 32-bit TSS
 * (for task switches of 32-bit guests); the same first entries as the
 * runtime's GDT (entry.S), so its selectors stay valid. */
uint64_t vmx_gdt[9] __attribute__((aligned(16))) = {
    0, 0x00af9b000000ffffull, 0x00cf93000000ffffull, 0x00cf9b000000ffffull, 0, /* TSS, filled in by load_gdt */
    0, 0x00009b000000ffffull, 0x000093000000ffffull,
};
uint8_t vmx_tss[104] __attribute__((aligned(16)));
static uint8_t tss32[104] __attribute__((aligned(16)));

/* A system-segment descriptor's low 8 bytes (SDM Vol. 3A §3.4.5). */
static uint64_t system_descriptor(uint64_t base, uint32_t limit, unsigned type) {
  return (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)(0x80 | type) << 40 |
         (uint64_t)((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
}

void vmx_load_gdt(void) {
  /* 64-bit available TSS (type 9), present; LTR marks it busy. */
  vmx_gdt[4] = system_descriptor(pa_of(vmx_tss), sizeof vmx_tss - 1, 9);
  vmx_gdt[5] = pa_of(vmx_tss) >> 32;
  vmx_gdt[8] = system_descriptor(pa_of(tss32), sizeof tss32 - 1, 9);
  vmx_tss[102] = sizeof vmx_tss; /* I/O map base past the limit: no I/O bitmap */
  struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
  } gdtr = {sizeof vmx_gdt - 1, pa_of(vmx_gdt)};
  __asm__ volatile(
      "lgdt %0\n\t"
      "pushq $0x08\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1: mov $0x10, %%eax\n\t"
      "mov %%eax, %%ds\n\t"
      "mov %%eax, %%es\n\t"
      "mov %%eax, %%ss\n\t"
      "mov %%eax, %%fs\n\t"
      "mov %%eax, %%gs\n\t"
      "mov $0x20, %%eax\n\t"
      "ltr %%ax"
      :
      : "m"(gdtr)
      : "rax", "memory");
}

/* ---- capabilities ---- */
int vmx_supported(void) {
  uint32_t r[4];
  cpuid(1, 0, r);
  return (r[2] >> 5) & 1;
}

void vmx_read_caps(void) {
  caps.basic = rdmsr(MSR_VMX_BASIC);
  const int true_ctls = (caps.basic & VMX_BASIC_TRUE_CTLS) != 0;
  caps.pin = rdmsr(true_ctls ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS);
  caps.proc = rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS);
  caps.exit = rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS);
  caps.entry = rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS);
  caps.misc = rdmsr(MSR_VMX_MISC);
  caps.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
  caps.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
  caps.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
  caps.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
  caps.vmcs_enum = rdmsr(MSR_VMX_VMCS_ENUM);
  /* The secondary controls' MSR exists only if they may be activated (A.3.3). */
  caps.proc2 = ctl_allowed1(caps.proc, CPU_SECONDARY) ? rdmsr(MSR_VMX_PROCBASED_CTLS2) : 0;
  caps.ept_vpid = (caps.proc2 >> 32) & (CPU2_EPT | CPU2_VPID) ? rdmsr(MSR_VMX_EPT_VPID_CAP) : 0;
  caps.vmfunc = (caps.proc2 >> 32) & CPU2_VMFUNC ? rdmsr(MSR_VMX_VMFUNC) : 0;
  uint32_t r[4];
  cpuid(0x80000008, 0, r);
  caps.phys_bits = r[0] & 0xff;
}

int has_proc2(uint32_t bits) { return ctl_allowed1(caps.proc, CPU_SECONDARY) && ctl_allowed1(caps.proc2, bits); }

int vmx_field_exists(enum vmcs_req req) {
  switch (req) {
    case REQ_NONE:
      return 1;
    case REQ_VPID:
      return has_proc2(CPU2_VPID);
    case REQ_POSTED:
      return ctl_allowed1(caps.pin, PIN_POSTED_INTS);
    case REQ_EPTP_INDEX:
    case REQ_VE:
      return has_proc2(CPU2_EPT_VE);
    case REQ_VINT:
      return has_proc2(CPU2_VINT_DELIVERY);
    case REQ_PML:
      return has_proc2(CPU2_PML);
    case REQ_TPR_SHADOW:
      return ctl_allowed1(caps.proc, CPU_TPR_SHADOW);
    case REQ_APIC_ACCESS:
      return has_proc2(CPU2_VIRT_APIC_ACCESS);
    case REQ_VMFUNC:
      return has_proc2(CPU2_VMFUNC);
    case REQ_EPT:
      return has_proc2(CPU2_EPT);
    case REQ_EPTP_LIST:
      return has_proc2(CPU2_VMFUNC) && (caps.vmfunc & 1);
    case REQ_SHADOW:
      return has_proc2(CPU2_SHADOW_VMCS);
    case REQ_XSAVES:
      return has_proc2(CPU2_XSAVES);
    case REQ_TSC_SCALING:
      return has_proc2(CPU2_TSC_SCALING);
    case REQ_PAT:
      return ctl_allowed1(caps.exit, EXIT_SAVE_PAT) || ctl_allowed1(caps.exit, EXIT_LOAD_PAT) ||
             ctl_allowed1(caps.entry, ENTRY_LOAD_PAT);
    case REQ_EFER:
      return ctl_allowed1(caps.exit, EXIT_SAVE_EFER) || ctl_allowed1(caps.exit, EXIT_LOAD_EFER) ||
             ctl_allowed1(caps.entry, ENTRY_LOAD_EFER);
    case REQ_PERF:
      return ctl_allowed1(caps.exit, EXIT_LOAD_PERF) || ctl_allowed1(caps.entry, ENTRY_LOAD_PERF);
    case REQ_PLE:
      return has_proc2(CPU2_PAUSE_LOOP);
    case REQ_PREEMPT:
      return ctl_allowed1(caps.pin, PIN_PREEMPT_TIMER);
  }
  return 0;
}

int vmx_enable(void) {
  vmx_load_gdt();
  vmx_read_caps();
  /* IA32_FEATURE_CONTROL (§24.7): VMXON is #GP unless locked with VMX
   * outside SMX enabled; firmware may have locked it already. */
  uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
  if (!(fc & FC_LOCK)) {
    fc |= FC_LOCK | FC_VMX_OUTSIDE_SMX;
    wrmsr(MSR_FEATURE_CONTROL, fc);
  }
  if (!(fc & FC_VMX_OUTSIDE_SMX)) return -1;
  /* CR0 and CR4 in VMX operation (§24.8, A.7, A.8). */
  write_cr0((read_cr0() | caps.cr0_fixed0) & caps.cr0_fixed1);
  write_cr4((read_cr4() | caps.cr4_fixed0 | CR4_VMXE) & caps.cr4_fixed1);
  uint32_t *region = page_alloc();
  region[0] = VMX_BASIC_REVISION(caps.basic);
  vmxon_region = pa_of(region);
  return vmxon(vmxon_region);
}

/* ---- VMCS ---- */
uint64_t vmcs_alloc(int shadow) {
  uint32_t *region = page_alloc();
  region[0] = VMX_BASIC_REVISION(caps.basic) | (shadow ? 1u << 31 : 0);
  return pa_of(region);
}

void vmcs_load_clear(uint64_t pa) {
  int s = vmclear(pa);
  if (s != VMX_OK) vt_fail("VMCLEAR 0x%lx: status %d", (unsigned long)pa, s);
  s = vmptrld(pa);
  if (s != VMX_OK) vt_fail("VMPTRLD 0x%lx: status %d", (unsigned long)pa, s);
  vmcs_launched = 0;
}

static const char *field_name(uint32_t field) {
  for (unsigned i = 0; i < vmcs_field_count; i++)
    if (vmcs_field_table[i].encoding == (field & ~1u)) return vmcs_field_table[i].name;
  return "?";
}

uint64_t vmr(uint32_t field) {
  uint64_t v = 0;
  int s = vmread(field, &v);
  if (s != VMX_OK) {
    uint64_t err = 0;
    vmread(VM_INSN_ERROR, &err);
    vt_fail("VMREAD %s (0x%x): status %d, error %lu", field_name(field), field, s, (unsigned long)err);
  }
  return v;
}

void vmw(uint32_t field, uint64_t value) {
  int s = vmwrite(field, value);
  if (s != VMX_OK) {
    uint64_t err = 0;
    vmread(VM_INSN_ERROR, &err);
    vt_fail("VMWRITE %s (0x%x) = 0x%lx: status %d, error %lu", field_name(field), field, (unsigned long)value, s,
            (unsigned long)err);
  }
}

void vmcs_init_controls(void) {
  vmw(PIN_CONTROLS, ctl_adjust(caps.pin, 0));
  const int secondary = ctl_allowed1(caps.proc, CPU_SECONDARY);
  vmw(PROC_CONTROLS, ctl_adjust(caps.proc, (secondary ? CPU_SECONDARY : 0) | CPU_MSR_BITMAPS));
  if (secondary) vmw(PROC_CONTROLS2, ctl_adjust(caps.proc2, 0));
  vmw(EXIT_CONTROLS, ctl_adjust(caps.exit, EXIT_HOST_64 | EXIT_LOAD_EFER | EXIT_SAVE_EFER));
  vmw(ENTRY_CONTROLS, ctl_adjust(caps.entry, ENTRY_GUEST_64 | ENTRY_LOAD_EFER));
  vmw(EXCEPTION_BITMAP, 0xffffffff);
  vmw(PF_ERROR_MASK, 0);
  vmw(PF_ERROR_MATCH, 0);
  vmw(CR3_TARGET_COUNT, 0);
  vmw(CR0_GUEST_HOST_MASK, 0);
  vmw(CR4_GUEST_HOST_MASK, 0);
  vmw(CR0_READ_SHADOW, read_cr0());
  vmw(CR4_READ_SHADOW, read_cr4());
  vmw(EXIT_MSR_STORE_COUNT, 0);
  vmw(EXIT_MSR_LOAD_COUNT, 0);
  vmw(ENTRY_MSR_LOAD_COUNT, 0);
  vmw(ENTRY_INTR_INFO, 0);
  if (!msr_bitmap) msr_bitmap = page_alloc();
  memset(msr_bitmap, 0, 4096);
  vmw(MSR_BITMAP, pa_of(msr_bitmap));
  vmw(VMCS_LINK_PTR, ~0ull);
  if (vmx_field_exists(REQ_VPID)) vmw(VPID, 0);
}

struct __attribute__((packed)) desc_ptr {
  uint16_t limit;
  uint64_t base;
};

static struct desc_ptr read_gdtr(void) {
  struct desc_ptr p;
  __asm__ volatile("sgdt %0" : "=m"(p));
  return p;
}

static struct desc_ptr read_idtr(void) {
  struct desc_ptr p;
  __asm__ volatile("sidt %0" : "=m"(p));
  return p;
}

void vmcs_init_host(void) {
  vmw(HOST_CR0, read_cr0());
  vmw(HOST_CR3, read_cr3());
  vmw(HOST_CR4, read_cr4());
  vmw(HOST_CS_SEL, SEL_CODE64);
  vmw(HOST_SS_SEL, SEL_DATA);
  vmw(HOST_DS_SEL, SEL_DATA);
  vmw(HOST_ES_SEL, SEL_DATA);
  vmw(HOST_FS_SEL, SEL_DATA);
  vmw(HOST_GS_SEL, SEL_DATA);
  vmw(HOST_TR_SEL, SEL_TSS);
  vmw(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
  vmw(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
  vmw(HOST_TR_BASE, pa_of(vmx_tss));
  vmw(HOST_GDTR_BASE, read_gdtr().base);
  vmw(HOST_IDTR_BASE, read_idtr().base);
  vmw(HOST_SYSENTER_CS, rdmsr(MSR_SYSENTER_CS));
  vmw(HOST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
  vmw(HOST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
  if (vmx_field_exists(REQ_EFER)) vmw(HOST_EFER, rdmsr(MSR_EFER));
  if (vmx_field_exists(REQ_PAT)) vmw(HOST_PAT, rdmsr(MSR_PAT));
  vmw(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_stub);
  vmw(HOST_RSP, 0); /* written by vmx_enter at each entry */
}

/* One segment of the guest-state area (§25.4.1). */
static void guest_segment(unsigned n, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar) {
  vmw(GUEST_ES_SEL + 2 * n, sel);
  vmw(GUEST_ES_BASE + 2 * n, base);
  vmw(GUEST_ES_LIMIT + 2 * n, limit);
  vmw(GUEST_ES_AR + 2 * n, ar);
}
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };
/* Access rights (§25.4.1, Table 25-2): type 3:0, S 4, DPL 6:5, P 7, AVL
 * 12, L 13, D/B 14, G 15, unusable 16. */
enum {
  AR_CODE64 = 0xa09b,
  AR_CODE32 = 0xc09b,
  AR_CODE16 = 0x009b,
  AR_DATA32 = 0xc093,
  AR_DATA16 = 0x0093,
  AR_TSS64_BUSY = 0x008b,
  AR_TSS16_BUSY = 0x0083,
  AR_UNUSABLE = 0x10000,
};

static void guest_common(uint64_t rip, uint64_t rsp) {
  const struct desc_ptr gdtr = read_gdtr(), idtr = read_idtr();
  vmw(GUEST_GDTR_BASE, gdtr.base);
  vmw(GUEST_GDTR_LIMIT, gdtr.limit);
  vmw(GUEST_IDTR_BASE, idtr.base);
  vmw(GUEST_IDTR_LIMIT, idtr.limit);
  guest_segment(SEG_LDTR, 0, 0, 0, AR_UNUSABLE);
  vmw(GUEST_DR7, 0x400);
  vmw(GUEST_RSP, rsp);
  vmw(GUEST_RIP, rip);
  vmw(GUEST_RFLAGS, 0x2);
  vmw(GUEST_PENDING_DBG, 0);
  vmw(GUEST_INTERRUPTIBILITY, 0);
  vmw(GUEST_ACTIVITY, ACTIVITY_ACTIVE);
  vmw(GUEST_SYSENTER_CS, 0);
  vmw(GUEST_SYSENTER_ESP, 0);
  vmw(GUEST_SYSENTER_EIP, 0);
  vmw(GUEST_DEBUGCTL, 0);
  if (vmx_field_exists(REQ_PAT)) vmw(GUEST_PAT, rdmsr(MSR_PAT));
  if (vmx_field_exists(REQ_PREEMPT)) vmw(GUEST_PREEMPT_TIMER, 0);
  vmw(VMCS_LINK_PTR, ~0ull);
  memset(&guest_regs, 0, sizeof guest_regs);
}

void vmcs_init_guest64(uint64_t rip, uint64_t rsp) {
  guest_common(rip, rsp);
  vmw(GUEST_CR0, read_cr0());
  vmw(GUEST_CR3, read_cr3());
  vmw(GUEST_CR4, read_cr4());
  if (vmx_field_exists(REQ_EFER)) vmw(GUEST_EFER, rdmsr(MSR_EFER));
  guest_segment(SEG_CS, SEL_CODE64, 0, 0xffffffff, AR_CODE64);
  guest_segment(SEG_SS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_DS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_ES, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_FS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_GS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_TR, SEL_TSS, pa_of(vmx_tss), sizeof vmx_tss - 1, AR_TSS64_BUSY);
  vmw(ENTRY_CONTROLS, vmr(ENTRY_CONTROLS) | ENTRY_GUEST_64);
}

/* A guest that is not in IA-32e mode: EFER.LME/LMA clear, IA-32e guest off. */
static void guest_legacy(uint64_t cr0) {
  vmw(GUEST_CR0, cr0);
  vmw(GUEST_CR3, 0);
  vmw(GUEST_CR4, (caps.cr4_fixed0 | CR4_VMXE) & caps.cr4_fixed1 & ~CR4_PAE);
  if (vmx_field_exists(REQ_EFER)) vmw(GUEST_EFER, rdmsr(MSR_EFER) & ~(EFER_LME | EFER_LMA));
  vmw(ENTRY_CONTROLS, vmr(ENTRY_CONTROLS) & ~ENTRY_GUEST_64);
}

void vmcs_init_guest32(uint64_t rip, uint64_t rsp) {
  guest_common(rip, rsp);
  /* CR0.PE = 1, PG = 0: only with unrestricted guest (§27.3.1.1). */
  guest_legacy((caps.cr0_fixed0 | CR0_PE | CR0_ET) & ~CR0_PG);
  guest_segment(SEG_CS, SEL_CODE32, 0, 0xffffffff, AR_CODE32);
  guest_segment(SEG_SS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_DS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_ES, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_FS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_GS, SEL_DATA, 0, 0xffffffff, AR_DATA32);
  guest_segment(SEG_TR, SEL_TSS, pa_of(vmx_tss), sizeof vmx_tss - 1, AR_TSS64_BUSY);
}

void vmcs_init_guest_real(uint64_t cs_base, uint16_t ip, uint16_t sp) {
  guest_common(ip, sp);
  guest_legacy((caps.cr0_fixed0 | CR0_ET) & ~(CR0_PE | CR0_PG));
  /* Real mode under unrestricted guest: DPL 0 everywhere, 64-KiB limits;
   * CS.base need not be selector * 16 (§27.3.1.2 checks only virtual-8086
   * bases), so the selectors are 0 and CS.base is anywhere below 4 GiB. */
  guest_segment(SEG_CS, 0, cs_base, 0xffff, AR_CODE16);
  guest_segment(SEG_SS, 0, 0, 0xffff, AR_DATA16);
  guest_segment(SEG_DS, 0, cs_base, 0xffff, AR_DATA16);
  guest_segment(SEG_ES, 0, 0, 0xffff, AR_DATA16);
  guest_segment(SEG_FS, 0, 0, 0xffff, AR_DATA16);
  guest_segment(SEG_GS, 0, 0, 0xffff, AR_DATA16);
  guest_segment(SEG_TR, 0, 0, 0xffff, AR_TSS16_BUSY);
  vmw(GUEST_IDTR_BASE, 0);
  vmw(GUEST_IDTR_LIMIT, 0x3ff);
}

void vmcs_setup64(uint64_t rip) {
  static uint8_t *stack;
  if (!stack) stack = page_alloc();
  vmcs_init_controls();
  vmcs_init_host();
  vmcs_init_guest64(rip, pa_of(stack) + 4096);
}

/* ---- running ---- */
int vmx_run(struct vmx_exit *e) {
  memset(e, 0, sizeof *e);
  e->status = vmx_enter(&guest_regs, vmcs_launched);
  if (e->status != VMX_OK) {
    if (e->status == VMX_FAIL_VALID) e->error = (uint32_t)vmr(VM_INSN_ERROR);
    return e->status;
  }
  e->reason = (uint32_t)vmr(EXIT_REASON);
  /* A VM-entry failure leaves the launch state as it was (§27.8). */
  if (!(e->reason & EXIT_REASON_ENTRY_FAIL)) vmcs_launched = 1;
  e->qual = vmr(EXIT_QUALIFICATION);
  e->intr_info = (uint32_t)vmr(EXIT_INTR_INFO);
  e->intr_error = (uint32_t)vmr(EXIT_INTR_ERROR);
  e->idt_info = (uint32_t)vmr(IDT_VECTORING_INFO);
  e->idt_error = (uint32_t)vmr(IDT_VECTORING_ERROR);
  e->insn_len = (uint32_t)vmr(EXIT_INSN_LEN);
  e->insn_info = (uint32_t)vmr(EXIT_INSN_INFO);
  e->linear = vmr(GUEST_LINEAR_ADDR);
  if (vmx_field_exists(REQ_EPT)) e->gpa = vmr(GUEST_PHYSICAL_ADDR);
  e->rip = vmr(GUEST_RIP);
  return VMX_OK;
}

void vmx_skip_insn(const struct vmx_exit *e) { vmw(GUEST_RIP, e->rip + e->insn_len); }

/* ---- bitmaps ---- */
void msr_intercept(uint32_t msr, int read, int write) {
  /* Read bitmap for low MSRs at 0, high (C0000000H-C0001FFFH) at 1024;
   * write bitmaps at 2048 and 3072 (§25.6.9). */
  unsigned base = msr >= 0xc0000000u ? 1024 : 0;
  unsigned bit = msr & 0x1fff;
  uint8_t m = (uint8_t)(1u << (bit & 7));
  if (read)
    msr_bitmap[base + bit / 8] |= m;
  else
    msr_bitmap[base + bit / 8] &= (uint8_t)~m;
  if (write)
    msr_bitmap[2048 + base + bit / 8] |= m;
  else
    msr_bitmap[2048 + base + bit / 8] &= (uint8_t)~m;
}

void io_bitmaps_on(void) {
  if (!io_bitmap_a) io_bitmap_a = page_alloc(), io_bitmap_b = page_alloc();
  memset(io_bitmap_a, 0, 4096);
  memset(io_bitmap_b, 0, 4096);
  vmw(IO_BITMAP_A, pa_of(io_bitmap_a));
  vmw(IO_BITMAP_B, pa_of(io_bitmap_b));
  vmw(PROC_CONTROLS, (vmr(PROC_CONTROLS) | CPU_IO_BITMAPS) & ~CPU_UNCOND_IO);
}

void io_intercept(uint16_t port, int on) {
  uint8_t *b = port < 0x8000 ? io_bitmap_a : io_bitmap_b;
  unsigned bit = port & 0x7fff;
  if (on)
    b[bit / 8] |= (uint8_t)(1u << (bit & 7));
  else
    b[bit / 8] &= (uint8_t) ~(1u << (bit & 7));
}

/* ---- helpers ---- */
static const char *const reason_names[] = {
    [EXIT_EXCEPTION_NMI] = "exception or NMI",
    [EXIT_EXTERNAL_INT] = "external interrupt",
    [EXIT_TRIPLE_FAULT] = "triple fault",
    [EXIT_INIT] = "INIT",
    [EXIT_SIPI] = "SIPI",
    [EXIT_INTR_WINDOW] = "interrupt window",
    [EXIT_NMI_WINDOW] = "NMI window",
    [EXIT_TASK_SWITCH] = "task switch",
    [EXIT_CPUID] = "CPUID",
    [EXIT_GETSEC] = "GETSEC",
    [EXIT_HLT] = "HLT",
    [EXIT_INVD] = "INVD",
    [EXIT_INVLPG] = "INVLPG",
    [EXIT_RDPMC] = "RDPMC",
    [EXIT_RDTSC] = "RDTSC",
    [EXIT_VMCALL] = "VMCALL",
    [EXIT_VMCLEAR] = "VMCLEAR",
    [EXIT_VMLAUNCH] = "VMLAUNCH",
    [EXIT_VMPTRLD] = "VMPTRLD",
    [EXIT_VMPTRST] = "VMPTRST",
    [EXIT_VMREAD] = "VMREAD",
    [EXIT_VMRESUME] = "VMRESUME",
    [EXIT_VMWRITE] = "VMWRITE",
    [EXIT_VMXOFF] = "VMXOFF",
    [EXIT_VMXON] = "VMXON",
    [EXIT_CR_ACCESS] = "control-register access",
    [EXIT_DR_ACCESS] = "MOV DR",
    [EXIT_IO] = "I/O instruction",
    [EXIT_RDMSR] = "RDMSR",
    [EXIT_WRMSR] = "WRMSR",
    [EXIT_INVALID_GUEST] = "entry failure: invalid guest state",
    [EXIT_MSR_LOADING] = "entry failure: MSR loading",
    [EXIT_MWAIT] = "MWAIT",
    [EXIT_MTF] = "monitor trap flag",
    [EXIT_MONITOR] = "MONITOR",
    [EXIT_PAUSE] = "PAUSE",
    [EXIT_MACHINE_CHECK] = "entry failure: machine check",
    [EXIT_TPR_BELOW] = "TPR below threshold",
    [EXIT_APIC_ACCESS] = "APIC access",
    [EXIT_VIRTUALIZED_EOI] = "virtualized EOI",
    [EXIT_GDTR_IDTR] = "GDTR/IDTR access",
    [EXIT_LDTR_TR] = "LDTR/TR access",
    [EXIT_EPT_VIOLATION] = "EPT violation",
    [EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
    [EXIT_INVEPT] = "INVEPT",
    [EXIT_RDTSCP] = "RDTSCP",
    [EXIT_PREEMPT_TIMER] = "preemption timer",
    [EXIT_INVVPID] = "INVVPID",
    [EXIT_WBINVD] = "WBINVD",
    [EXIT_XSETBV] = "XSETBV",
    [EXIT_APIC_WRITE] = "APIC write",
    [EXIT_RDRAND] = "RDRAND",
    [EXIT_INVPCID] = "INVPCID",
    [EXIT_VMFUNC] = "VMFUNC",
    [EXIT_RDSEED] = "RDSEED",
    [EXIT_PML_FULL] = "PML full",
    [EXIT_XSAVES] = "XSAVES",
    [EXIT_XRSTORS] = "XRSTORS",
};

const char *exit_reason_name(uint32_t reason) {
  reason &= 0xffff;
  if (reason < sizeof reason_names / sizeof *reason_names && reason_names[reason]) return reason_names[reason];
  return "unknown";
}

int expect_exit(const struct vmx_exit *e, uint32_t reason) {
  if (e->status != VMX_OK) {
    vt_fail("VM entry failed: status %d, VM-instruction error %u (want exit %u, %s)", e->status, e->error, reason,
            exit_reason_name(reason));
    return 0;
  }
  if (e->reason != reason) {
    vt_fail("exit reason 0x%x (%s), qualification 0x%lx, guest RIP 0x%lx, interruption 0x%x; want %u (%s)", e->reason,
            exit_reason_name(e->reason), (unsigned long)e->qual, (unsigned long)e->rip, e->intr_info, reason,
            exit_reason_name(reason));
    return 0;
  }
  return 1;
}

int vmx_test_start(uint32_t magic, uint32_t info) {
  vt_init(magic, info);
  trap_init();
  const int vmx = vmx_supported();
  int on = -1;
  if (vmx) on = vmx_enable();
  TEST("vmxon", "VMX operation entered") {
    if (!vmx)
      vt_fail("the CPU does not report VMX");
    else if (on != VMX_OK)
      vt_fail("VMXON: %d", on);
  }
  return on == VMX_OK;
}

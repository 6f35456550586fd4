/* A small VMX library for the test ROMs (roms/README.md "vmx"): entering
 * VMX operation, VMCS set-up for guests in 64-bit, 32-bit protected and
 * real mode, running a guest until its next VM exit, and reading what the
 * exit reported. Written from the Intel SDM Vol. 3C (chapters 24-31) and
 * 3D (appendices A-C); each function cites the section it follows.
 *
 * The ROM runs in 64-bit mode with the runtime's identity map (0-4 GiB,
 * 2 MiB pages): every address is its physical address, and a 64-bit guest
 * shares the host's page tables, GDT and code, so "guest code" is any
 * function or assembly label of the ROM. */
#pragma once
#include <stdint.h>

#include "vmx/lib/vmcs_fields.h"
#include "vmx/lib/vmx_arch.h"
#include "vmx/lib/vmx_insn.h"

/* ---- capabilities (Appendix A) ---- */
struct vmx_caps {
  uint64_t basic, misc, vmcs_enum, ept_vpid, vmfunc;
  uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
  /* Control capabilities: bits 31:0 the allowed 0-settings (a 1 there means
   * the control must be 1), bits 63:32 the allowed 1-settings (A.3-A.5).
   * The TRUE_ MSRs when IA32_VMX_BASIC[55] reports them. */
  uint64_t pin, proc, proc2, exit, entry;
  unsigned phys_bits; /* CPUID.80000008H:EAX[7:0] */
};
extern struct vmx_caps caps;

/* CPUID.1:ECX.VMX[bit 5]. */
int vmx_supported(void);
/* Reads the capability MSRs into `caps`. */
void vmx_read_caps(void);

static inline int ctl_allowed1(uint64_t cap, uint32_t bits) { return ((uint32_t)(cap >> 32) & bits) == bits; }
static inline int ctl_allowed0(uint64_t cap, uint32_t bits) { return ((uint32_t)cap & bits) == 0; }
/* `want` with the bits that must be 1 set and those that must be 0 cleared. */
static inline uint32_t ctl_adjust(uint64_t cap, uint32_t want) {
  return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}
int has_proc2(uint32_t bits); /* the secondary controls exist and allow `bits` */

/* Sets IA32_FEATURE_CONTROL's lock and VMX-outside-SMX bits if the MSR is
 * unlocked, CR0/CR4 to their fixed bits and CR4.VMXE, and runs VMXON on a
 * fresh VMXON region (SDM §24.7, §24.8, §24.11.5). Returns VMXON's status,
 * or -1 if a locked IA32_FEATURE_CONTROL forbids VMX. */
int vmx_enable(void);
extern uint64_t vmxon_region;
/* The common start of a VMX test ROM: the test framework and the trap
 * handler, then the "vmxon" test (CPUID reports VMX and vmx_enable succeeds).
 * Returns 1 in VMX operation; 0 if the ROM should end with vt_finish. */
int vmx_test_start(uint32_t magic, uint32_t info);

/* ---- memory ---- */
void *page_alloc(void); /* a zeroed 4-KiB page from a pool in .bss */
static inline uint64_t pa_of(const void *p) { return (uint64_t)(uintptr_t)p; }

/* A new VMCS region: revision identifier from IA32_VMX_BASIC, the shadow
 * indicator (bit 31) as asked (§25.2). */
uint64_t vmcs_alloc(int shadow);
/* VMCLEAR then VMPTRLD: `pa` becomes the current VMCS, launch state clear. */
void vmcs_load_clear(uint64_t pa);

/* VMREAD/VMWRITE of the current VMCS; a failure is reported as a test
 * failure naming the field. */
uint64_t vmr(uint32_t field);
void vmw(uint32_t field, uint64_t value);
/* Whether a field exists on this CPU (its requirement, vmcs_fields.h). */
int vmx_field_exists(enum vmcs_req req);

/* ---- VMCS set-up ---- */
/* Controls: the defaults a test starts from. Pin-based, primary and exit
 * controls at their required settings, plus: secondary controls on (all 0),
 * MSR bitmaps on (an all-zero bitmap: no MSR exits), host address-space
 * size, load/save IA32_EFER where supported, every exception exiting
 * (exception bitmap all ones), CR masks 0, no CR3 targets. */
void vmcs_init_controls(void);
/* Host state from the current CPU state (§27.2.2-27.2.4, §28.5): CR0, CR3,
 * CR4, the library's GDT selectors and TSS, GDTR/IDTR bases, SYSENTER and
 * EFER; HOST_RIP = the exit stub (vmx_entry.S). */
void vmcs_init_host(void);
/* A 64-bit guest sharing the host's address space (§27.3.1): CS 0x08 (L=1),
 * data 0x10, TR 0x20, the host's GDTR/IDTR, CR0/CR3/CR4/EFER, RFLAGS 0x2,
 * active, not blocked, VMCS link pointer ~0; entry control IA-32e guest. */
void vmcs_init_guest64(uint64_t rip, uint64_t rsp);
/* 32-bit protected mode without paging (CR0.PE = 1, PG = 0) and real mode
 * (CR0.PE = 0, CS.base = cs_base): both need "unrestricted guest" and EPT
 * (§27.2.1.1), which the caller turns on. */
void vmcs_init_guest32(uint64_t rip, uint64_t rsp);
void vmcs_init_guest_real(uint64_t cs_base, uint16_t ip, uint16_t sp);
/* All of the above for a 64-bit guest at `rip` with its own stack. */
void vmcs_setup64(uint64_t rip);

/* The GDT every guest and the host use (vmx.c): selectors. */
enum {
  SEL_CODE64 = 0x08,
  SEL_DATA = 0x10,
  SEL_CODE32 = 0x18,
  SEL_TSS = 0x20,
  SEL_CODE16 = 0x30,
  SEL_DATA16 = 0x38,
  SEL_TSS32 = 0x40
};
extern uint64_t vmx_gdt[];
/* Loads that GDT (and its TSS into TR); vmx_enable does it first. */
void vmx_load_gdt(void);
extern uint8_t vmx_tss[];

/* ---- running a guest ---- */
/* The guest's general registers, indexed by register number (RAX = 0 ...
 * R15 = 15; RSP, index 4, lives in the VMCS). Loaded at each VM entry,
 * saved at each VM exit by vmx_entry.S. */
struct vmx_regs {
  uint64_t gpr[16];
};
extern struct vmx_regs guest_regs;
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI, R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

struct vmx_exit {
  int status;     /* VMX_OK: a VM exit happened (possibly a VM-entry failure exit); else VMLAUNCH/VMRESUME failed */
  uint32_t error; /* the VM-instruction error, with VMX_FAIL_VALID */
  uint32_t reason, intr_info, intr_error, idt_info, idt_error, insn_len, insn_info;
  uint64_t qual, rip, linear, gpa;
};
/* VMLAUNCH if the current VMCS's launch state is clear, else VMRESUME;
 * fills `e` from the exit-information fields. */
int vmx_run(struct vmx_exit *e);
/* The assembly part (vmx_entry.S): enters with `regs`, returns 0 after a VM
 * exit, else VMX_FAIL_INVALID / VMX_FAIL_VALID. */
int vmx_enter(struct vmx_regs *regs, int resume);
void vmx_exit_stub(void);
/* The library's record of the current VMCS's launch state. */
extern int vmcs_launched;
/* Advances the guest past the instruction that exited. */
void vmx_skip_insn(const struct vmx_exit *e);

/* ---- bitmaps (§25.6.4, §25.6.9) ---- */
/* The MSR bitmap vmcs_init_controls installs (4 KiB: read low, read high,
 * write low, write high). */
extern uint8_t *msr_bitmap;
void msr_intercept(uint32_t msr, int read, int write);
/* I/O bitmaps A (ports 0-7fff) and B (8000-ffff), installed by io_bitmaps_on. */
extern uint8_t *io_bitmap_a, *io_bitmap_b;
void io_bitmaps_on(void);
void io_intercept(uint16_t port, int on);

/* ---- helpers for tests ---- */
/* Expects a VM exit with this basic reason (and prints what came instead). */
int expect_exit(const struct vmx_exit *e, uint32_t reason);
const char *exit_reason_name(uint32_t reason);

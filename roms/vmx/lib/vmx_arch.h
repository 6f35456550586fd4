/* Architectural constants of VMX for the test ROMs, from the Intel SDM
 * Vol. 3C/3D (written independently of the CPU's tables in cpu/vmx):
 * capability MSRs (Appendix A), control bits (§25.6-25.8), exit reasons
 * (Appendix C), VM-instruction error numbers (§31.4), the formats of the
 * interruption-information fields (§25.8.3, §25.9.2) and EPT entries
 * (§29.3.2). */
#pragma once
#include <stdint.h>

/* ---- MSRs ---- */
enum {
  MSR_FEATURE_CONTROL = 0x3a,
  MSR_SYSENTER_CS = 0x174,
  MSR_SYSENTER_ESP = 0x175,
  MSR_SYSENTER_EIP = 0x176,
  MSR_DEBUGCTL = 0x1d9,
  MSR_PAT = 0x277,
  MSR_VMX_BASIC = 0x480,
  MSR_VMX_PINBASED_CTLS = 0x481,
  MSR_VMX_PROCBASED_CTLS = 0x482,
  MSR_VMX_EXIT_CTLS = 0x483,
  MSR_VMX_ENTRY_CTLS = 0x484,
  MSR_VMX_MISC = 0x485,
  MSR_VMX_CR0_FIXED0 = 0x486,
  MSR_VMX_CR0_FIXED1 = 0x487,
  MSR_VMX_CR4_FIXED0 = 0x488,
  MSR_VMX_CR4_FIXED1 = 0x489,
  MSR_VMX_VMCS_ENUM = 0x48a,
  MSR_VMX_PROCBASED_CTLS2 = 0x48b,
  MSR_VMX_EPT_VPID_CAP = 0x48c,
  MSR_VMX_TRUE_PINBASED_CTLS = 0x48d,
  MSR_VMX_TRUE_PROCBASED_CTLS = 0x48e,
  MSR_VMX_TRUE_EXIT_CTLS = 0x48f,
  MSR_VMX_TRUE_ENTRY_CTLS = 0x490,
  MSR_VMX_VMFUNC = 0x491,
  MSR_EFER = 0xc0000080,
  MSR_STAR = 0xc0000081,
  MSR_LSTAR = 0xc0000082,
  MSR_FS_BASE = 0xc0000100,
  MSR_GS_BASE = 0xc0000101,
  MSR_KERNEL_GS_BASE = 0xc0000102,
  MSR_TSC_AUX = 0xc0000103,
};

/* IA32_FEATURE_CONTROL (SDM Vol. 3C §24.7). */
enum { FC_LOCK = 1 << 0, FC_VMX_IN_SMX = 1 << 1, FC_VMX_OUTSIDE_SMX = 1 << 2 };

/* IA32_VMX_BASIC (Appendix A.1). */
#define VMX_BASIC_REVISION(b) ((uint32_t)(b)&0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b) ((uint32_t)((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_ADDRESSES (1ull << 48)
#define VMX_BASIC_MEMTYPE(b) ((unsigned)((b) >> 50) & 0xf)
#define VMX_BASIC_INS_OUTS_INFO (1ull << 54)
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define VMX_BASIC_NO_ERRCODE_CHECK (1ull << 56)

/* IA32_VMX_MISC (Appendix A.6). */
#define VMX_MISC_TIMER_RATE(m) ((unsigned)(m)&0x1f)
#define VMX_MISC_STORE_LMA (1ull << 5)
#define VMX_MISC_HLT (1ull << 6)
#define VMX_MISC_SHUTDOWN (1ull << 7)
#define VMX_MISC_WAIT_SIPI (1ull << 8)
#define VMX_MISC_CR3_TARGETS(m) ((unsigned)((m) >> 16) & 0x1ff)
#define VMX_MISC_MAX_MSRS(m) (512u * (1u + (((unsigned)((m) >> 25)) & 7)))
#define VMX_MISC_VMWRITE_ANY (1ull << 29)
#define VMX_MISC_INJECT_LEN0 (1ull << 30)

/* ---- Pin-based controls (§25.6.1) ---- */
enum {
  PIN_EXT_INT_EXITING = 1u << 0,
  PIN_NMI_EXITING = 1u << 3,
  PIN_VIRTUAL_NMIS = 1u << 5,
  PIN_PREEMPT_TIMER = 1u << 6,
  PIN_POSTED_INTS = 1u << 7,
};
/* ---- Primary processor-based controls (§25.6.2) ---- */
enum {
  CPU_INTR_WINDOW = 1u << 2,
  CPU_TSC_OFFSET = 1u << 3,
  CPU_HLT = 1u << 7,
  CPU_INVLPG = 1u << 9,
  CPU_MWAIT = 1u << 10,
  CPU_RDPMC = 1u << 11,
  CPU_RDTSC = 1u << 12,
  CPU_CR3_LOAD = 1u << 15,
  CPU_CR3_STORE = 1u << 16,
  CPU_CR8_LOAD = 1u << 19,
  CPU_CR8_STORE = 1u << 20,
  CPU_TPR_SHADOW = 1u << 21,
  CPU_NMI_WINDOW = 1u << 22,
  CPU_MOV_DR = 1u << 23,
  CPU_UNCOND_IO = 1u << 24,
  CPU_IO_BITMAPS = 1u << 25,
  CPU_MTF = 1u << 27,
  CPU_MSR_BITMAPS = 1u << 28,
  CPU_MONITOR = 1u << 29,
  CPU_PAUSE = 1u << 30,
  CPU_SECONDARY = 1u << 31,
};
/* ---- Secondary processor-based controls (§25.6.2) ---- */
enum {
  CPU2_VIRT_APIC_ACCESS = 1u << 0,
  CPU2_EPT = 1u << 1,
  CPU2_DESC_TABLE = 1u << 2,
  CPU2_RDTSCP = 1u << 3,
  CPU2_VIRT_X2APIC = 1u << 4,
  CPU2_VPID = 1u << 5,
  CPU2_WBINVD = 1u << 6,
  CPU2_UNRESTRICTED = 1u << 7,
  CPU2_APIC_REG_VIRT = 1u << 8,
  CPU2_VINT_DELIVERY = 1u << 9,
  CPU2_PAUSE_LOOP = 1u << 10,
  CPU2_RDRAND = 1u << 11,
  CPU2_INVPCID = 1u << 12,
  CPU2_VMFUNC = 1u << 13,
  CPU2_SHADOW_VMCS = 1u << 14,
  CPU2_RDSEED = 1u << 16,
  CPU2_PML = 1u << 17,
  CPU2_EPT_VE = 1u << 18,
  CPU2_XSAVES = 1u << 20,
  CPU2_MBEC = 1u << 22,
  CPU2_TSC_SCALING = 1u << 25,
};
/* ---- VM-exit controls (§25.7.1) ---- */
enum {
  EXIT_SAVE_DEBUG = 1u << 2,
  EXIT_HOST_64 = 1u << 9,
  EXIT_LOAD_PERF = 1u << 12,
  EXIT_ACK_INT = 1u << 15,
  EXIT_SAVE_PAT = 1u << 18,
  EXIT_LOAD_PAT = 1u << 19,
  EXIT_SAVE_EFER = 1u << 20,
  EXIT_LOAD_EFER = 1u << 21,
  EXIT_SAVE_TIMER = 1u << 22,
};
/* ---- VM-entry controls (§25.8.1) ---- */
enum {
  ENTRY_LOAD_DEBUG = 1u << 2,
  ENTRY_GUEST_64 = 1u << 9,
  ENTRY_SMM = 1u << 10,
  ENTRY_DEACT_DUAL = 1u << 11,
  ENTRY_LOAD_PERF = 1u << 13,
  ENTRY_LOAD_PAT = 1u << 14,
  ENTRY_LOAD_EFER = 1u << 15,
};

/* ---- Exit reasons (Appendix C) ---- */
enum {
  EXIT_EXCEPTION_NMI = 0,
  EXIT_EXTERNAL_INT = 1,
  EXIT_TRIPLE_FAULT = 2,
  EXIT_INIT = 3,
  EXIT_SIPI = 4,
  EXIT_IO_SMI = 5,
  EXIT_OTHER_SMI = 6,
  EXIT_INTR_WINDOW = 7,
  EXIT_NMI_WINDOW = 8,
  EXIT_TASK_SWITCH = 9,
  EXIT_CPUID = 10,
  EXIT_GETSEC = 11,
  EXIT_HLT = 12,
  EXIT_INVD = 13,
  EXIT_INVLPG = 14,
  EXIT_RDPMC = 15,
  EXIT_RDTSC = 16,
  EXIT_RSM = 17,
  EXIT_VMCALL = 18,
  EXIT_VMCLEAR = 19,
  EXIT_VMLAUNCH = 20,
  EXIT_VMPTRLD = 21,
  EXIT_VMPTRST = 22,
  EXIT_VMREAD = 23,
  EXIT_VMRESUME = 24,
  EXIT_VMWRITE = 25,
  EXIT_VMXOFF = 26,
  EXIT_VMXON = 27,
  EXIT_CR_ACCESS = 28,
  EXIT_DR_ACCESS = 29,
  EXIT_IO = 30,
  EXIT_RDMSR = 31,
  EXIT_WRMSR = 32,
  EXIT_INVALID_GUEST = 33,
  EXIT_MSR_LOADING = 34,
  EXIT_MWAIT = 36,
  EXIT_MTF = 37,
  EXIT_MONITOR = 39,
  EXIT_PAUSE = 40,
  EXIT_MACHINE_CHECK = 41,
  EXIT_TPR_BELOW = 43,
  EXIT_APIC_ACCESS = 44,
  EXIT_VIRTUALIZED_EOI = 45,
  EXIT_GDTR_IDTR = 46,
  EXIT_LDTR_TR = 47,
  EXIT_EPT_VIOLATION = 48,
  EXIT_EPT_MISCONFIG = 49,
  EXIT_INVEPT = 50,
  EXIT_RDTSCP = 51,
  EXIT_PREEMPT_TIMER = 52,
  EXIT_INVVPID = 53,
  EXIT_WBINVD = 54,
  EXIT_XSETBV = 55,
  EXIT_APIC_WRITE = 56,
  EXIT_RDRAND = 57,
  EXIT_INVPCID = 58,
  EXIT_VMFUNC = 59,
  EXIT_RDSEED = 61,
  EXIT_PML_FULL = 62,
  EXIT_XSAVES = 63,
  EXIT_XRSTORS = 64,
};
/* Exit reason bit 31: VM-entry failure (§25.9.1). */
#define EXIT_REASON_ENTRY_FAIL (1u << 31)

/* ---- VM-instruction error numbers (§31.4, Table 31-1) ---- */
enum {
  VMERR_VMCALL_ROOT = 1,
  VMERR_VMCLEAR_BAD_ADDR = 2,
  VMERR_VMCLEAR_VMXON_PTR = 3,
  VMERR_VMLAUNCH_NOT_CLEAR = 4,
  VMERR_VMRESUME_NOT_LAUNCHED = 5,
  VMERR_VMRESUME_AFTER_VMXOFF = 6,
  VMERR_ENTRY_BAD_CONTROLS = 7,
  VMERR_ENTRY_BAD_HOST = 8,
  VMERR_VMPTRLD_BAD_ADDR = 9,
  VMERR_VMPTRLD_VMXON_PTR = 10,
  VMERR_VMPTRLD_BAD_REVISION = 11,
  VMERR_UNSUPPORTED_FIELD = 12,
  VMERR_VMWRITE_READ_ONLY = 13,
  VMERR_VMXON_IN_ROOT = 15,
  VMERR_ENTRY_BAD_EXECUTIVE = 16,
  VMERR_ENTRY_MOV_SS = 26,
  VMERR_INVALID_INVEPT_INVVPID = 28,
};

/* ---- Interruption information (§25.8.3 entry, §25.9.2 exit) ---- */
enum {
  INTR_TYPE_EXT_INT = 0 << 8,
  INTR_TYPE_NMI = 2 << 8,
  INTR_TYPE_HW_EXCEPTION = 3 << 8,
  INTR_TYPE_SW_INT = 4 << 8,
  INTR_TYPE_PRIV_SW_EXCEPTION = 5 << 8,
  INTR_TYPE_SW_EXCEPTION = 6 << 8,
  INTR_TYPE_OTHER = 7 << 8,
  INTR_HAS_ERROR = 1 << 11,
  INTR_NMI_UNBLOCKING = 1 << 12,
  INTR_VALID = 1u << 31,
};

/* Guest interruptibility state (§25.4.2, Table 25-3) and activity state. */
enum { INTERRUPTIBILITY_STI = 1, INTERRUPTIBILITY_MOV_SS = 2, INTERRUPTIBILITY_SMI = 4, INTERRUPTIBILITY_NMI = 8 };
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_SHUTDOWN = 2, ACTIVITY_WAIT_SIPI = 3 };

/* ---- EPT (§29.3.2, §25.6.11) ---- */
enum {
  EPT_READ = 1 << 0,
  EPT_WRITE = 1 << 1,
  EPT_EXEC = 1 << 2,
  EPT_RWX = 7,
  EPT_MEMTYPE_SHIFT = 3,
  EPT_IGNORE_PAT = 1 << 6,
  EPT_LARGE = 1 << 7,
  EPT_ACCESSED = 1 << 8,
  EPT_DIRTY = 1 << 9,
  EPT_USER_EXEC = 1 << 10,
};
enum { MEMTYPE_UC = 0, MEMTYPE_WB = 6 };
#define EPT_SUPPRESS_VE (1ull << 63)
/* EPTP: memory type (2:0), page-walk length - 1 (5:3), A/D enable (6). */
#define EPTP_WB_4LEVEL (MEMTYPE_WB | 3 << 3)
#define EPTP_AD (1u << 6)

/* IA32_VMX_EPT_VPID_CAP (Appendix A.10). */
#define EPT_CAP_EXEC_ONLY (1ull << 0)
#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_WALK5 (1ull << 7)
#define EPT_CAP_UC (1ull << 8)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)
#define EPT_CAP_1G (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_AD (1ull << 21)
#define EPT_CAP_ADV_EXIT_INFO (1ull << 22)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define EPT_CAP_INVEPT_ALL (1ull << 26)
#define VPID_CAP_INVVPID (1ull << 32)
#define VPID_CAP_ADDR (1ull << 40)
#define VPID_CAP_SINGLE (1ull << 41)
#define VPID_CAP_ALL (1ull << 42)
#define VPID_CAP_SINGLE_NONGLOBAL (1ull << 43)

/* EPT-violation exit qualification (§28.2.1, Table 28-7). */
enum {
  EPTQ_READ = 1 << 0,
  EPTQ_WRITE = 1 << 1,
  EPTQ_FETCH = 1 << 2,
  EPTQ_READABLE = 1 << 3,
  EPTQ_WRITABLE = 1 << 4,
  EPTQ_EXECUTABLE = 1 << 5,
  EPTQ_USER_EXECUTABLE = 1 << 6,
  EPTQ_LINEAR_VALID = 1 << 7,
  EPTQ_TRANSLATION = 1 << 8,
  EPTQ_NMI_UNBLOCKING = 1 << 12,
};

/* CR0/CR4 bits the library uses. */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_VMXE (1ull << 13)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

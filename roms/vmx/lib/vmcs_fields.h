/* VMCS field encodings, from the Intel SDM Vol. 3D Appendix B ("Field
 * Encoding in VMCS"), written for the test ROMs independently of the CPU's
 * own field table (cpu/vmx), so the ROMs check that table.
 *
 * An encoding (SDM Vol. 3C §25.11.2, Table 25-21): bit 0 access type
 * (1 = the high 32 bits of a 64-bit field), bits 9:1 index, bits 11:10 type
 * (0 control, 1 VM-exit information, 2 guest state, 3 host state), bit 12
 * reserved, bits 14:13 width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural).
 *
 * VMCS_FIELDS(X) lists every field the test ROMs know, X(name, encoding,
 * requirement): the requirement names the capability that makes the field
 * exist (Appendix B's "exists only on processors that support ..."). */
#pragma once
#include <stdint.h>

enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNAT = 3 };
enum vmcs_type { VMCS_CONTROL = 0, VMCS_EXIT_INFO = 1, VMCS_GUEST = 2, VMCS_HOST = 3 };

static inline unsigned vmcs_field_width(uint32_t enc) { return (enc >> 13) & 3; }
static inline unsigned vmcs_field_type(uint32_t enc) { return (enc >> 10) & 3; }
static inline unsigned vmcs_field_index(uint32_t enc) { return (enc >> 1) & 0x1ff; }

/* Requirements (checked by vmx_field_exists, vmx.c). */
enum vmcs_req {
  REQ_NONE,
  REQ_VPID,        /* secondary control 5 */
  REQ_POSTED,      /* pin-based control 7 */
  REQ_EPTP_INDEX,  /* secondary control 18 (EPT-violation #VE) */
  REQ_VINT,        /* secondary control 9 (virtual-interrupt delivery) */
  REQ_PML,         /* secondary control 17 */
  REQ_TPR_SHADOW,  /* primary control 21 */
  REQ_APIC_ACCESS, /* secondary control 0 */
  REQ_VMFUNC,      /* secondary control 13 */
  REQ_EPT,         /* secondary control 1 */
  REQ_EPTP_LIST,   /* VM function 0 (EPTP switching) */
  REQ_SHADOW,      /* secondary control 14 */
  REQ_VE,          /* secondary control 18 */
  REQ_XSAVES,      /* secondary control 20 */
  REQ_TSC_SCALING, /* secondary control 25 */
  REQ_PAT,         /* exit control 18/19 or entry control 14 */
  REQ_EFER,        /* exit control 20/21 or entry control 15 */
  REQ_PERF,        /* exit control 12 or entry control 13 */
  REQ_PLE,         /* secondary control 10 */
  REQ_PREEMPT,     /* pin-based control 6 */
};

#define VMCS_FIELDS(X)                              \
  /* 16-bit control fields (B.1.1) */               \
  X(VPID, 0x0000, REQ_VPID)                         \
  X(POSTED_INT_VECTOR, 0x0002, REQ_POSTED)          \
  X(EPTP_INDEX, 0x0004, REQ_EPTP_INDEX)             \
  /* 16-bit guest-state fields (B.1.2) */           \
  X(GUEST_ES_SEL, 0x0800, REQ_NONE)                 \
  X(GUEST_CS_SEL, 0x0802, REQ_NONE)                 \
  X(GUEST_SS_SEL, 0x0804, REQ_NONE)                 \
  X(GUEST_DS_SEL, 0x0806, REQ_NONE)                 \
  X(GUEST_FS_SEL, 0x0808, REQ_NONE)                 \
  X(GUEST_GS_SEL, 0x080a, REQ_NONE)                 \
  X(GUEST_LDTR_SEL, 0x080c, REQ_NONE)               \
  X(GUEST_TR_SEL, 0x080e, REQ_NONE)                 \
  X(GUEST_INT_STATUS, 0x0810, REQ_VINT)             \
  X(GUEST_PML_INDEX, 0x0812, REQ_PML)               \
  /* 16-bit host-state fields (B.1.3) */            \
  X(HOST_ES_SEL, 0x0c00, REQ_NONE)                  \
  X(HOST_CS_SEL, 0x0c02, REQ_NONE)                  \
  X(HOST_SS_SEL, 0x0c04, REQ_NONE)                  \
  X(HOST_DS_SEL, 0x0c06, REQ_NONE)                  \
  X(HOST_FS_SEL, 0x0c08, REQ_NONE)                  \
  X(HOST_GS_SEL, 0x0c0a, REQ_NONE)                  \
  X(HOST_TR_SEL, 0x0c0c, REQ_NONE)                  \
  /* 64-bit control fields (B.2.1) */               \
  X(IO_BITMAP_A, 0x2000, REQ_NONE)                  \
  X(IO_BITMAP_B, 0x2002, REQ_NONE)                  \
  X(MSR_BITMAP, 0x2004, REQ_NONE)                   \
  X(EXIT_MSR_STORE_ADDR, 0x2006, REQ_NONE)          \
  X(EXIT_MSR_LOAD_ADDR, 0x2008, REQ_NONE)           \
  X(ENTRY_MSR_LOAD_ADDR, 0x200a, REQ_NONE)          \
  X(EXECUTIVE_VMCS_PTR, 0x200c, REQ_NONE)           \
  X(PML_ADDR, 0x200e, REQ_PML)                      \
  X(TSC_OFFSET, 0x2010, REQ_NONE)                   \
  X(VIRTUAL_APIC_ADDR, 0x2012, REQ_TPR_SHADOW)      \
  X(APIC_ACCESS_ADDR, 0x2014, REQ_APIC_ACCESS)      \
  X(POSTED_INT_DESC_ADDR, 0x2016, REQ_POSTED)       \
  X(VMFUNC_CONTROLS, 0x2018, REQ_VMFUNC)            \
  X(EPT_POINTER, 0x201a, REQ_EPT)                   \
  X(EOI_EXIT_BITMAP0, 0x201c, REQ_VINT)             \
  X(EOI_EXIT_BITMAP1, 0x201e, REQ_VINT)             \
  X(EOI_EXIT_BITMAP2, 0x2020, REQ_VINT)             \
  X(EOI_EXIT_BITMAP3, 0x2022, REQ_VINT)             \
  X(EPTP_LIST_ADDR, 0x2024, REQ_EPTP_LIST)          \
  X(VMREAD_BITMAP, 0x2026, REQ_SHADOW)              \
  X(VMWRITE_BITMAP, 0x2028, REQ_SHADOW)             \
  X(VE_INFO_ADDR, 0x202a, REQ_VE)                   \
  X(XSS_EXITING_BITMAP, 0x202c, REQ_XSAVES)         \
  X(TSC_MULTIPLIER, 0x2032, REQ_TSC_SCALING)        \
  /* 64-bit read-only data field (B.2.2) */         \
  X(GUEST_PHYSICAL_ADDR, 0x2400, REQ_EPT)           \
  /* 64-bit guest-state fields (B.2.3) */           \
  X(VMCS_LINK_PTR, 0x2800, REQ_NONE)                \
  X(GUEST_DEBUGCTL, 0x2802, REQ_NONE)               \
  X(GUEST_PAT, 0x2804, REQ_PAT)                     \
  X(GUEST_EFER, 0x2806, REQ_EFER)                   \
  X(GUEST_PERF_GLOBAL_CTRL, 0x2808, REQ_PERF)       \
  X(GUEST_PDPTE0, 0x280a, REQ_EPT)                  \
  X(GUEST_PDPTE1, 0x280c, REQ_EPT)                  \
  X(GUEST_PDPTE2, 0x280e, REQ_EPT)                  \
  X(GUEST_PDPTE3, 0x2810, REQ_EPT)                  \
  /* 64-bit host-state fields (B.2.4) */            \
  X(HOST_PAT, 0x2c00, REQ_PAT)                      \
  X(HOST_EFER, 0x2c02, REQ_EFER)                    \
  X(HOST_PERF_GLOBAL_CTRL, 0x2c04, REQ_PERF)        \
  /* 32-bit control fields (B.3.1) */               \
  X(PIN_CONTROLS, 0x4000, REQ_NONE)                 \
  X(PROC_CONTROLS, 0x4002, REQ_NONE)                \
  X(EXCEPTION_BITMAP, 0x4004, REQ_NONE)             \
  X(PF_ERROR_MASK, 0x4006, REQ_NONE)                \
  X(PF_ERROR_MATCH, 0x4008, REQ_NONE)               \
  X(CR3_TARGET_COUNT, 0x400a, REQ_NONE)             \
  X(EXIT_CONTROLS, 0x400c, REQ_NONE)                \
  X(EXIT_MSR_STORE_COUNT, 0x400e, REQ_NONE)         \
  X(EXIT_MSR_LOAD_COUNT, 0x4010, REQ_NONE)          \
  X(ENTRY_CONTROLS, 0x4012, REQ_NONE)               \
  X(ENTRY_MSR_LOAD_COUNT, 0x4014, REQ_NONE)         \
  X(ENTRY_INTR_INFO, 0x4016, REQ_NONE)              \
  X(ENTRY_EXCEPTION_ERROR, 0x4018, REQ_NONE)        \
  X(ENTRY_INSN_LEN, 0x401a, REQ_NONE)               \
  X(TPR_THRESHOLD, 0x401c, REQ_TPR_SHADOW)          \
  X(PROC_CONTROLS2, 0x401e, REQ_NONE)               \
  X(PLE_GAP, 0x4020, REQ_PLE)                       \
  X(PLE_WINDOW, 0x4022, REQ_PLE)                    \
  /* 32-bit read-only data fields (B.3.2) */        \
  X(VM_INSN_ERROR, 0x4400, REQ_NONE)                \
  X(EXIT_REASON, 0x4402, REQ_NONE)                  \
  X(EXIT_INTR_INFO, 0x4404, REQ_NONE)               \
  X(EXIT_INTR_ERROR, 0x4406, REQ_NONE)              \
  X(IDT_VECTORING_INFO, 0x4408, REQ_NONE)           \
  X(IDT_VECTORING_ERROR, 0x440a, REQ_NONE)          \
  X(EXIT_INSN_LEN, 0x440c, REQ_NONE)                \
  X(EXIT_INSN_INFO, 0x440e, REQ_NONE)               \
  /* 32-bit guest-state fields (B.3.3) */           \
  X(GUEST_ES_LIMIT, 0x4800, REQ_NONE)               \
  X(GUEST_CS_LIMIT, 0x4802, REQ_NONE)               \
  X(GUEST_SS_LIMIT, 0x4804, REQ_NONE)               \
  X(GUEST_DS_LIMIT, 0x4806, REQ_NONE)               \
  X(GUEST_FS_LIMIT, 0x4808, REQ_NONE)               \
  X(GUEST_GS_LIMIT, 0x480a, REQ_NONE)               \
  X(GUEST_LDTR_LIMIT, 0x480c, REQ_NONE)             \
  X(GUEST_TR_LIMIT, 0x480e, REQ_NONE)               \
  X(GUEST_GDTR_LIMIT, 0x4810, REQ_NONE)             \
  X(GUEST_IDTR_LIMIT, 0x4812, REQ_NONE)             \
  X(GUEST_ES_AR, 0x4814, REQ_NONE)                  \
  X(GUEST_CS_AR, 0x4816, REQ_NONE)                  \
  X(GUEST_SS_AR, 0x4818, REQ_NONE)                  \
  X(GUEST_DS_AR, 0x481a, REQ_NONE)                  \
  X(GUEST_FS_AR, 0x481c, REQ_NONE)                  \
  X(GUEST_GS_AR, 0x481e, REQ_NONE)                  \
  X(GUEST_LDTR_AR, 0x4820, REQ_NONE)                \
  X(GUEST_TR_AR, 0x4822, REQ_NONE)                  \
  X(GUEST_INTERRUPTIBILITY, 0x4824, REQ_NONE)       \
  X(GUEST_ACTIVITY, 0x4826, REQ_NONE)               \
  X(GUEST_SMBASE, 0x4828, REQ_NONE)                 \
  X(GUEST_SYSENTER_CS, 0x482a, REQ_NONE)            \
  X(GUEST_PREEMPT_TIMER, 0x482e, REQ_PREEMPT)       \
  /* 32-bit host-state field (B.3.4) */             \
  X(HOST_SYSENTER_CS, 0x4c00, REQ_NONE)             \
  /* natural-width control fields (B.4.1) */        \
  X(CR0_GUEST_HOST_MASK, 0x6000, REQ_NONE)          \
  X(CR4_GUEST_HOST_MASK, 0x6002, REQ_NONE)          \
  X(CR0_READ_SHADOW, 0x6004, REQ_NONE)              \
  X(CR4_READ_SHADOW, 0x6006, REQ_NONE)              \
  X(CR3_TARGET0, 0x6008, REQ_NONE)                  \
  X(CR3_TARGET1, 0x600a, REQ_NONE)                  \
  X(CR3_TARGET2, 0x600c, REQ_NONE)                  \
  X(CR3_TARGET3, 0x600e, REQ_NONE)                  \
  /* natural-width read-only data fields (B.4.2) */ \
  X(EXIT_QUALIFICATION, 0x6400, REQ_NONE)           \
  X(IO_RCX, 0x6402, REQ_NONE)                       \
  X(IO_RSI, 0x6404, REQ_NONE)                       \
  X(IO_RDI, 0x6406, REQ_NONE)                       \
  X(IO_RIP, 0x6408, REQ_NONE)                       \
  X(GUEST_LINEAR_ADDR, 0x640a, REQ_NONE)            \
  /* natural-width guest-state fields (B.4.3) */    \
  X(GUEST_CR0, 0x6800, REQ_NONE)                    \
  X(GUEST_CR3, 0x6802, REQ_NONE)                    \
  X(GUEST_CR4, 0x6804, REQ_NONE)                    \
  X(GUEST_ES_BASE, 0x6806, REQ_NONE)                \
  X(GUEST_CS_BASE, 0x6808, REQ_NONE)                \
  X(GUEST_SS_BASE, 0x680a, REQ_NONE)                \
  X(GUEST_DS_BASE, 0x680c, REQ_NONE)                \
  X(GUEST_FS_BASE, 0x680e, REQ_NONE)                \
  X(GUEST_GS_BASE, 0x6810, REQ_NONE)                \
  X(GUEST_LDTR_BASE, 0x6812, REQ_NONE)              \
  X(GUEST_TR_BASE, 0x6814, REQ_NONE)                \
  X(GUEST_GDTR_BASE, 0x6816, REQ_NONE)              \
  X(GUEST_IDTR_BASE, 0x6818, REQ_NONE)              \
  X(GUEST_DR7, 0x681a, REQ_NONE)                    \
  X(GUEST_RSP, 0x681c, REQ_NONE)                    \
  X(GUEST_RIP, 0x681e, REQ_NONE)                    \
  X(GUEST_RFLAGS, 0x6820, REQ_NONE)                 \
  X(GUEST_PENDING_DBG, 0x6822, REQ_NONE)            \
  X(GUEST_SYSENTER_ESP, 0x6824, REQ_NONE)           \
  X(GUEST_SYSENTER_EIP, 0x6826, REQ_NONE)           \
  /* natural-width host-state fields (B.4.4) */     \
  X(HOST_CR0, 0x6c00, REQ_NONE)                     \
  X(HOST_CR3, 0x6c02, REQ_NONE)                     \
  X(HOST_CR4, 0x6c04, REQ_NONE)                     \
  X(HOST_FS_BASE, 0x6c06, REQ_NONE)                 \
  X(HOST_GS_BASE, 0x6c08, REQ_NONE)                 \
  X(HOST_TR_BASE, 0x6c0a, REQ_NONE)                 \
  X(HOST_GDTR_BASE, 0x6c0c, REQ_NONE)               \
  X(HOST_IDTR_BASE, 0x6c0e, REQ_NONE)               \
  X(HOST_SYSENTER_ESP, 0x6c10, REQ_NONE)            \
  X(HOST_SYSENTER_EIP, 0x6c12, REQ_NONE)            \
  X(HOST_RSP, 0x6c14, REQ_NONE)                     \
  X(HOST_RIP, 0x6c16, REQ_NONE)

#define VMCS_ENUM_ENTRY(name, enc, req) name = enc,
enum vmcs_field { VMCS_FIELDS(VMCS_ENUM_ENTRY) };
#undef VMCS_ENUM_ENTRY

struct vmcs_field_info {
  const char *name;
  uint32_t encoding;
  enum vmcs_req req;
};
/* Every field above, in the order above (vmx_fields.c). */
extern const struct vmcs_field_info vmcs_field_table[];
extern const unsigned vmcs_field_count;

/* The VMX instructions as C functions (SDM Vol. 3C Chapter 31). Each
 * returns the architected outcome from RFLAGS (§31.2): VMX_OK
 * (VMsucceed: CF = ZF = 0), VMX_FAIL_INVALID (CF = 1: no current VMCS)
 * or VMX_FAIL_VALID (ZF = 1: the reason is in the VM-instruction error
 * field). */
#pragma once
#include <stdint.h>

enum vmx_status { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };

#define VMX_STATUS_FROM_FLAGS(cf, zf) ((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_OK)

static inline int vmxon(uint64_t pa) {
  uint8_t cf, zf;
  __asm__ volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline int vmxoff(void) {
  uint8_t cf, zf;
  __asm__ volatile("vmxoff" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline int vmclear(uint64_t pa) {
  uint8_t cf, zf;
  __asm__ volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline int vmptrld(uint64_t pa) {
  uint8_t cf, zf;
  __asm__ volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline int vmptrst(uint64_t *pa) {
  uint8_t cf, zf;
  __asm__ volatile("vmptrst %2" : "=@ccc"(cf), "=@ccz"(zf), "=m"(*pa) : : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline int vmread(uint64_t field, uint64_t *value) {
  uint8_t cf, zf;
  uint64_t v = 0;
  __asm__ volatile("vmread %3, %2" : "=@ccc"(cf), "=@ccz"(zf), "+r"(v) : "r"(field) : "memory");
  *value = v;
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* VMREAD with a memory destination (64 bits written in 64-bit mode). */
static inline int vmread_mem(uint64_t field, uint64_t *dst) {
  uint8_t cf, zf;
  __asm__ volatile("vmread %3, %2" : "=@ccc"(cf), "=@ccz"(zf), "=m"(*dst) : "r"(field) : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline int vmwrite(uint64_t field, uint64_t value) {
  uint8_t cf, zf;
  __asm__ volatile("vmwrite %3, %2" : "=@ccc"(cf), "=@ccz"(zf) : "r"(field), "rm"(value) : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* INVEPT / INVVPID descriptors (§31.3). */
struct invept_desc {
  uint64_t eptp, reserved;
};
struct invvpid_desc {
  uint64_t vpid; /* bits 15:0; 63:16 reserved */
  uint64_t linear;
};
enum { INVEPT_SINGLE = 1, INVEPT_ALL = 2 };
enum { INVVPID_ADDR = 0, INVVPID_SINGLE = 1, INVVPID_ALL = 2, INVVPID_SINGLE_NONGLOBAL = 3 };

static inline int invept(uint64_t type, const struct invept_desc *d) {
  uint8_t cf, zf;
  __asm__ volatile("invept %3, %2" : "=@ccc"(cf), "=@ccz"(zf) : "r"(type), "m"(*d) : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline int invvpid(uint64_t type, const struct invvpid_desc *d) {
  uint8_t cf, zf;
  __asm__ volatile("invvpid %3, %2" : "=@ccc"(cf), "=@ccz"(zf) : "r"(type), "m"(*d) : "memory");
  return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

#define DEFINE_CR_ACCESS(n)                           \
  static inline uint64_t read_cr##n(void) {           \
    uint64_t v;                                       \
    __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); \
    return v;                                         \
  }                                                   \
  static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

/* vmx-basic: VMX operation and the VMCS instructions without a guest (SDM
 * Vol. 3C chapters 24, 25 and 31, Vol. 3D appendix A): the capability MSRs,
 * VMXON's preconditions, VMCLEAR/VMPTRLD/VMPTRST, VMREAD/VMWRITE of every
 * field the CPU reports, the VM-instruction error numbers, launch state,
 * VMCALL in VMX root operation and VMXOFF. Prints a PASS/FAIL/SKIP line per
 * test (roms/README.md "vmx"). */
#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vmx.h"
#include "vmx/lib/vtest.h"

extern char guest_vmcall[];

static uint64_t insn_error(void) {
  uint64_t e = 0;
  vmread(VM_INSN_ERROR, &e);
  return e;
}

/* Expects VMfailValid with `error` (§31.4). */
static void expect_fail_valid(const char *what, int status, uint64_t error) {
  if (status != VMX_FAIL_VALID)
    vt_fail("%s: status %d, want VMfailValid", what, status);
  else
    EXPECT_EQ(what, insn_error(), error);
}

static void test_capabilities(void) {
  TEST("caps", "capability MSRs: IA32_VMX_BASIC, fixed bits, default1 controls") {
    EXPECT(VMX_BASIC_REVISION(caps.basic) != 0, "a VMCS revision identifier");
    EXPECT_EQ("IA32_VMX_BASIC bit 31", caps.basic >> 31 & 1, 0);
    const uint32_t size = VMX_BASIC_REGION_SIZE(caps.basic);
    EXPECT(size > 0 && size <= 4096, "VMCS region size in 1..4096 (A.1)");
    EXPECT_EQ("VMCS memory type (write-back)", VMX_BASIC_MEMTYPE(caps.basic), MEMTYPE_WB);
    EXPECT_EQ("32-bit address limit (Intel 64)", !!(caps.basic & VMX_BASIC_32BIT_ADDRESSES), 0);
    /* A.7, A.8: bits fixed to 1 are also allowed to be 1. */
    EXPECT_EQ("CR0_FIXED0 within CR0_FIXED1", caps.cr0_fixed0 & ~caps.cr0_fixed1, 0);
    EXPECT_EQ("CR4_FIXED0 within CR4_FIXED1", caps.cr4_fixed0 & ~caps.cr4_fixed1, 0);
    EXPECT_EQ("CR0_FIXED0 has PE, NE, PG", caps.cr0_fixed0 & (CR0_PE | CR0_NE | CR0_PG), CR0_PE | CR0_NE | CR0_PG);
    EXPECT_EQ("CR4_FIXED0 has VMXE", caps.cr4_fixed0 & CR4_VMXE, CR4_VMXE);
    /* A.3-A.5: the non-TRUE MSRs report the default1 controls as required. */
    EXPECT_EQ("pin-based default1 (bits 1, 2, 4)", rdmsr(MSR_VMX_PINBASED_CTLS) & 0x16, 0x16);
    EXPECT_EQ("primary default1", rdmsr(MSR_VMX_PROCBASED_CTLS) & 0x0401e172, 0x0401e172);
    EXPECT_EQ("exit default1", rdmsr(MSR_VMX_EXIT_CTLS) & 0x00036dff, 0x00036dff);
    EXPECT_EQ("entry default1", rdmsr(MSR_VMX_ENTRY_CTLS) & 0x000011ff, 0x000011ff);
    /* Every allowed 0-setting is also an allowed 1-setting. */
    const uint64_t ctls[] = {caps.pin, caps.proc, caps.exit, caps.entry, caps.proc2};
    for (unsigned i = 0; i < 5; i++)
      EXPECT_EQ("allowed-0 within allowed-1", (uint32_t)ctls[i] & ~(uint32_t)(ctls[i] >> 32), 0);
    if (caps.basic & VMX_BASIC_TRUE_CTLS) {
      /* A.2: the TRUE MSRs may allow default1 controls to be 0, never less. */
      EXPECT_EQ("TRUE pin-based allowed-1", caps.pin >> 32, rdmsr(MSR_VMX_PINBASED_CTLS) >> 32);
      EXPECT_EQ("TRUE primary allowed-1", caps.proc >> 32, rdmsr(MSR_VMX_PROCBASED_CTLS) >> 32);
    }
    EXPECT(ctl_allowed1(caps.exit, EXIT_HOST_64), "host address-space size may be 1");
    EXPECT(ctl_allowed1(caps.entry, ENTRY_GUEST_64), "IA-32e mode guest may be 1");
  }
}

static void test_vmxon_preconditions(void) {
  uint32_t *region = page_alloc();
  region[0] = VMX_BASIC_REVISION(caps.basic);
  const uint64_t pa = pa_of(region);

  TEST("vmxon-ud", "VMXON with CR4.VMXE = 0 is #UD") {
    write_cr4(read_cr4() & ~CR4_VMXE);
    EXPECT_EQ("vector", TRAP_CATCH("vmxon %0", "m"(pa)), 6);
  }

  write_cr4((read_cr4() | caps.cr4_fixed0 | CR4_VMXE) & caps.cr4_fixed1);
  write_cr0((read_cr0() | caps.cr0_fixed0) & caps.cr0_fixed1);
  TEST("vmxon-feature-control", "VMXON with IA32_FEATURE_CONTROL unlocked is #GP(0)") {
    if (rdmsr(MSR_FEATURE_CONTROL) & FC_LOCK) {
      vt_skip("firmware locked IA32_FEATURE_CONTROL before the ROM ran");
    } else {
      EXPECT_EQ("vector", TRAP_CATCH("vmxon %0", "m"(pa)), 13);
      EXPECT_EQ("error code", trap_error, 0);
    }
  }
  if (!(rdmsr(MSR_FEATURE_CONTROL) & FC_LOCK)) wrmsr(MSR_FEATURE_CONTROL, FC_LOCK | FC_VMX_OUTSIDE_SMX);

  TEST("feature-control-lock", "IA32_FEATURE_CONTROL: a write once locked is #GP(0)") {
    EXPECT_EQ("vector", TRAP_CATCH("wrmsr", "c"(MSR_FEATURE_CONTROL), "a"(FC_VMX_OUTSIDE_SMX), "d"(0)), 13);
    EXPECT_EQ("lock bit", rdmsr(MSR_FEATURE_CONTROL) & FC_LOCK, FC_LOCK);
  }

  TEST("vmxon-cr0-fixed", "VMXON with a CR0 bit outside CR0_FIXED0 cleared (NE) is #GP(0)") {
    write_cr0(read_cr0() & ~CR0_NE);
    EXPECT_EQ("vector", TRAP_CATCH("vmxon %0", "m"(pa)), 13);
    write_cr0(read_cr0() | CR0_NE);
  }

  TEST("vmxon-region", "VMXON: bad revision, unaligned or too wide region is VMfailInvalid") {
    region[0] = VMX_BASIC_REVISION(caps.basic) ^ 1;
    EXPECT_EQ("wrong revision", vmxon(pa), VMX_FAIL_INVALID);
    region[0] = VMX_BASIC_REVISION(caps.basic);
    EXPECT_EQ("not 4-KiB aligned", vmxon(pa + 8), VMX_FAIL_INVALID);
    EXPECT_EQ("beyond the physical-address width", vmxon(pa | 1ull << caps.phys_bits), VMX_FAIL_INVALID);
  }

  TEST("vmxon", "VMXON succeeds; a second VMXON without a current VMCS is VMfailInvalid") {
    EXPECT_EQ("VMXON", vmxon(pa), VMX_OK);
    vmxon_region = pa;
    EXPECT_EQ("VMXON again", vmxon(pa), VMX_FAIL_INVALID);
  }

  TEST("cr4-vmxe", "CR4.VMXE cannot be cleared in VMX operation (#GP)") {
    const uint64_t cr4 = read_cr4() & ~CR4_VMXE;
    EXPECT_EQ("vector", TRAP_CATCH("mov %0, %%cr4", "r"(cr4)), 13);
    EXPECT(read_cr4() & CR4_VMXE, "CR4.VMXE still 1");
  }
}

static void test_current_vmcs(void) {
  uint64_t cur = 0;
  const uint64_t a = vmcs_alloc(0), b = vmcs_alloc(0);
  TEST("no-current-vmcs", "no current VMCS: VMPTRST gives ~0, VMREAD/VMWRITE/VMLAUNCH fail invalid") {
    EXPECT_EQ("VMPTRST status", vmptrst(&cur), VMX_OK);
    EXPECT_EQ("current-VMCS pointer", cur, ~0ull);
    uint64_t v;
    EXPECT_EQ("VMREAD", vmread(GUEST_RIP, &v), VMX_FAIL_INVALID);
    EXPECT_EQ("VMWRITE", vmwrite(GUEST_RIP, 0), VMX_FAIL_INVALID);
    struct vmx_exit e;
    vmcs_launched = 0;
    EXPECT_EQ("VMLAUNCH", vmx_run(&e), VMX_FAIL_INVALID);
  }

  TEST("vmptrld-errors",
       "VMPTRLD errors: unaligned (9), VMXON pointer (10), revision (11), shadow without shadowing (11)") {
    EXPECT_EQ("VMCLEAR", vmclear(a), VMX_OK);
    EXPECT_EQ("VMPTRLD", vmptrld(a), VMX_OK);
    expect_fail_valid("unaligned", vmptrld(b + 0x800), VMERR_VMPTRLD_BAD_ADDR);
    expect_fail_valid("too wide", vmptrld(b | 1ull << caps.phys_bits), VMERR_VMPTRLD_BAD_ADDR);
    expect_fail_valid("VMXON pointer", vmptrld(vmxon_region), VMERR_VMPTRLD_VMXON_PTR);
    uint32_t *bregion = (uint32_t *)(uintptr_t)b;
    bregion[0] ^= 1;
    expect_fail_valid("wrong revision", vmptrld(b), VMERR_VMPTRLD_BAD_REVISION);
    bregion[0] ^= 1;
    if (has_proc2(CPU2_SHADOW_VMCS)) {
      bregion[0] |= 1u << 31;
      EXPECT_EQ("shadow VMCS with shadowing supported", vmptrld(b), VMX_OK);
      bregion[0] &= ~(1u << 31);
      vmptrld(a);
    } else {
      bregion[0] |= 1u << 31;
      expect_fail_valid("shadow VMCS", vmptrld(b), VMERR_VMPTRLD_BAD_REVISION);
      bregion[0] &= ~(1u << 31);
    }
    EXPECT_EQ("VMPTRST", vmptrst(&cur), VMX_OK);
    EXPECT_EQ("current-VMCS pointer still", cur, a);
  }

  TEST("vmclear-errors",
       "VMCLEAR errors: unaligned (2), VMXON pointer (3); VMCLEAR of the current VMCS makes it invalid") {
    expect_fail_valid("unaligned", vmclear(b + 4), VMERR_VMCLEAR_BAD_ADDR);
    expect_fail_valid("too wide", vmclear(b | 1ull << caps.phys_bits), VMERR_VMCLEAR_BAD_ADDR);
    expect_fail_valid("VMXON pointer", vmclear(vmxon_region), VMERR_VMCLEAR_VMXON_PTR);
    EXPECT_EQ("VMCLEAR of another VMCS", vmclear(b), VMX_OK);
    EXPECT_EQ("VMPTRST", vmptrst(&cur), VMX_OK);
    EXPECT_EQ("current VMCS unchanged", cur, a);
    EXPECT_EQ("VMCLEAR of the current VMCS", vmclear(a), VMX_OK);
    EXPECT_EQ("VMPTRST", vmptrst(&cur), VMX_OK);
    EXPECT_EQ("current-VMCS pointer", cur, ~0ull);
  }

  TEST("vmxon-in-root", "VMXON in VMX root with a current VMCS is VMfailValid(15)") {
    vmptrld(a);
    expect_fail_valid("VMXON", vmxon(vmxon_region), VMERR_VMXON_IN_ROOT);
  }

  TEST("vmcall-root", "VMCALL in VMX root operation is VMfailValid(1)") {
    uint8_t cf, zf;
    __asm__ volatile("vmcall" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
    expect_fail_valid("VMCALL", VMX_STATUS_FROM_FLAGS(cf, zf), VMERR_VMCALL_ROOT);
  }
}

/* A value for a field of `width` that VM entry would accept (access-rights
 * reserved bits clear) and that tells the bytes apart. */
static uint64_t pattern(uint32_t enc, unsigned i) {
  uint64_t v = 0x0123456789abcdefull ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);
  switch (vmcs_field_width(enc)) {
    case VMCS_W16:
      return v & 0xffff;
    case VMCS_W32:
      v &= 0xffffffff;
      /* Access rights: bits 11:8 and 31:17 are reserved (§25.4.1). */
      if (enc >= GUEST_ES_AR && enc <= GUEST_TR_AR) v &= 0x1f0ff;
      return v;
    default:
      return v;
  }
}

static void test_fields(void) {
  const uint64_t a = vmcs_alloc(0);
  vmcs_load_clear(a);
  const int vmwrite_any = (caps.misc & VMX_MISC_VMWRITE_ANY) != 0;

  TEST("field-roundtrip", "VMWRITE then VMREAD gives the value back, for every field the CPU reports") {
    unsigned max_index = 0;
    for (unsigned i = 0; i < vmcs_field_count; i++) {
      const struct vmcs_field_info *f = &vmcs_field_table[i];
      uint64_t got = 0;
      if (!vmx_field_exists(f->req)) continue;
      if (vmcs_field_index(f->encoding) > max_index) max_index = vmcs_field_index(f->encoding);
      const int read_only = vmcs_field_type(f->encoding) == VMCS_EXIT_INFO;
      if (read_only && !vmwrite_any) {
        if (vmread(f->encoding, &got) != VMX_OK) vt_fail("VMREAD %s failed", f->name);
        continue;
      }
      const uint64_t v = pattern(f->encoding, i);
      int s = vmwrite(f->encoding, v);
      if (s != VMX_OK) {
        vt_fail("VMWRITE %s (0x%x): status %d, error %lu", f->name, f->encoding, s, (unsigned long)insn_error());
        continue;
      }
      s = vmread(f->encoding, &got);
      if (s != VMX_OK || got != v)
        vt_fail("%s (0x%x): VMREAD status %d gives 0x%lx, want 0x%lx", f->name, f->encoding, s, (unsigned long)got,
                (unsigned long)v);
    }
    /* IA32_VMX_VMCS_ENUM bits 9:1: the highest index of any field (A.9). */
    EXPECT((unsigned)(caps.vmcs_enum >> 1 & 0x1ff) >= max_index, "IA32_VMX_VMCS_ENUM covers every field's index");
  }

  TEST("field-high", "64-bit fields: the high access type reads and writes bits 63:32") {
    vmw(TSC_OFFSET, 0x1122334455667788ull);
    EXPECT_EQ("high half", vmr(TSC_OFFSET | 1), 0x11223344);
    vmw(TSC_OFFSET | 1, 0xaabbccdd);
    EXPECT_EQ("whole field", vmr(TSC_OFFSET), 0xaabbccdd55667788ull);
  }

  TEST("field-narrow", "narrow fields: VMWRITE ignores the high bits of the source, VMREAD zero-extends") {
    vmw(GUEST_CS_SEL, 0xffffffffffff1234ull);
    EXPECT_EQ("16-bit field", vmr(GUEST_CS_SEL), 0x1234);
    vmw(EXCEPTION_BITMAP, 0x12345678deadbeefull);
    EXPECT_EQ("32-bit field", vmr(EXCEPTION_BITMAP), 0xdeadbeef);
    uint64_t mem = ~0ull;
    EXPECT_EQ("VMREAD to memory", vmread_mem(GUEST_CS_SEL, &mem), VMX_OK);
    EXPECT_EQ("64 bits stored", mem, 0x1234);
  }

  TEST("field-unsupported", "VMREAD/VMWRITE of a field that does not exist: VMfailValid(12)") {
    uint64_t v;
    expect_fail_valid("VMREAD 0x0001 (16-bit, high access)", vmread(0x0001, &v), VMERR_UNSUPPORTED_FIELD);
    expect_fail_valid("VMWRITE 0x0001", vmwrite(0x0001, 0), VMERR_UNSUPPORTED_FIELD);
    expect_fail_valid("VMREAD with bits 63:32 of the encoding set", vmread(1ull << 32 | GUEST_RIP, &v),
                      VMERR_UNSUPPORTED_FIELD);
    expect_fail_valid("VMREAD index past VMCS_ENUM", vmread(HOST_CR0 | 0x1fe, &v), VMERR_UNSUPPORTED_FIELD);
  }

  TEST("field-read-only", "VMWRITE to a read-only field: VMfailValid(13) unless IA32_VMX_MISC[29]") {
    if (vmwrite_any) {
      EXPECT_EQ("VMWRITE EXIT_REASON (MISC[29] = 1)", vmwrite(EXIT_REASON, 5), VMX_OK);
      EXPECT_EQ("value", vmr(EXIT_REASON), 5);
    } else {
      expect_fail_valid("VMWRITE EXIT_REASON", vmwrite(EXIT_REASON, 5), VMERR_VMWRITE_READ_ONLY);
    }
  }

  TEST("vmcs-writeback", "VMCLEAR writes the VMCS back: its fields survive another VMCS being current") {
    vmw(GUEST_RIP, 0x1111);
    vmw(GUEST_CS_SEL, 0x22);
    const uint64_t b = vmcs_alloc(0);
    vmcs_load_clear(b);
    vmw(GUEST_RIP, 0x3333);
    EXPECT_EQ("VMPTRLD a", vmptrld(a), VMX_OK);
    EXPECT_EQ("a's GUEST_RIP", vmr(GUEST_RIP), 0x1111);
    EXPECT_EQ("a's GUEST_CS_SEL", vmr(GUEST_CS_SEL), 0x22);
    EXPECT_EQ("VMCLEAR a", vmclear(a), VMX_OK);
    EXPECT_EQ("VMPTRLD a", vmptrld(a), VMX_OK);
    EXPECT_EQ("a's GUEST_RIP after VMCLEAR", vmr(GUEST_RIP), 0x1111);
    EXPECT_EQ("VMPTRLD b", vmptrld(b), VMX_OK);
    EXPECT_EQ("b's GUEST_RIP", vmr(GUEST_RIP), 0x3333);
    /* The revision identifier stays at offset 0 (§25.2). */
    EXPECT_EQ("revision identifier in memory", *(uint32_t *)(uintptr_t)a, VMX_BASIC_REVISION(caps.basic));
  }
}

static void test_launch_state(void) {
  struct vmx_exit e;
  const uint64_t a = vmcs_alloc(0);
  vmcs_load_clear(a);
  vmcs_setup64((uint64_t)(uintptr_t)guest_vmcall);

  TEST("vmresume-clear", "VMRESUME of a clear VMCS is VMfailValid(5)") {
    vmcs_launched = 1; /* ask vmx_run for VMRESUME */
    EXPECT_EQ("status", vmx_run(&e), VMX_FAIL_VALID);
    EXPECT_EQ("error", e.error, VMERR_VMRESUME_NOT_LAUNCHED);
  }

  TEST("vmlaunch", "VMLAUNCH runs the guest (VMCALL exit); the VMCS is then launched") {
    vmcs_launched = 0;
    if (expect_exit((vmx_run(&e), &e), EXIT_VMCALL)) {
      EXPECT_EQ("guest RIP", e.rip, (uint64_t)(uintptr_t)guest_vmcall);
      EXPECT_EQ("instruction length", e.insn_len, 3);
    }
  }

  TEST("vmlaunch-launched", "VMLAUNCH of a launched VMCS is VMfailValid(4); VMRESUME works") {
    vmcs_launched = 0; /* ask vmx_run for VMLAUNCH */
    EXPECT_EQ("status", vmx_run(&e), VMX_FAIL_VALID);
    EXPECT_EQ("error", e.error, VMERR_VMLAUNCH_NOT_CLEAR);
    vmcs_launched = 1;
    vmx_run(&e);
    expect_exit(&e, EXIT_VMCALL);
  }

  TEST("vmclear-launch-state", "VMCLEAR makes the launch state clear again") {
    EXPECT_EQ("VMCLEAR", vmclear(a), VMX_OK);
    EXPECT_EQ("VMPTRLD", vmptrld(a), VMX_OK);
    vmcs_launched = 1;
    EXPECT_EQ("VMRESUME", vmx_run(&e), VMX_FAIL_VALID);
    EXPECT_EQ("error", e.error, VMERR_VMRESUME_NOT_LAUNCHED);
    vmcs_launched = 0;
    vmx_run(&e);
    expect_exit(&e, EXIT_VMCALL);
  }
}

static void test_invept_invvpid(void) {
  TEST("invept-invvpid-invalid", "INVEPT/INVVPID with an unsupported type or a bad descriptor: VMfailValid(28)") {
    if (!(caps.ept_vpid & EPT_CAP_INVEPT) && !(caps.ept_vpid & VPID_CAP_INVVPID)) {
      vt_skip("neither INVEPT nor INVVPID is reported");
    } else {
      if (caps.ept_vpid & EPT_CAP_INVEPT) {
        struct invept_desc d = {0, 0};
        /* Type 0 is never valid (§31.3 INVEPT: types 1 and 2). */
        expect_fail_valid("INVEPT type 0", invept(0, &d), VMERR_INVALID_INVEPT_INVVPID);
        if (caps.ept_vpid & EPT_CAP_INVEPT_ALL) EXPECT_EQ("INVEPT all-context", invept(INVEPT_ALL, &d), VMX_OK);
      }
      if (caps.ept_vpid & VPID_CAP_INVVPID) {
        struct invvpid_desc d = {1, 0};
        if (caps.ept_vpid & VPID_CAP_SINGLE) {
          d.vpid = 0; /* VPID 0 is not allowed for single-context (§31.3 INVVPID) */
          expect_fail_valid("INVVPID single-context, VPID 0", invvpid(INVVPID_SINGLE, &d),
                            VMERR_INVALID_INVEPT_INVVPID);
          d.vpid = 1ull << 16; /* bits 63:16 reserved */
          expect_fail_valid("INVVPID reserved descriptor bits", invvpid(INVVPID_SINGLE, &d),
                            VMERR_INVALID_INVEPT_INVVPID);
          d.vpid = 1;
          EXPECT_EQ("INVVPID single-context, VPID 1", invvpid(INVVPID_SINGLE, &d), VMX_OK);
        }
        expect_fail_valid("INVVPID type 4", invvpid(4, &d), VMERR_INVALID_INVEPT_INVVPID);
      }
    }
  }
}

static void test_vmxoff(void) {
  TEST("vmxoff", "VMXOFF leaves VMX operation: VMREAD is then #UD, CR4.VMXE may be cleared") {
    EXPECT_EQ("VMXOFF", vmxoff(), VMX_OK);
    uint64_t v = 0, f = GUEST_RIP;
    EXPECT_EQ("VMREAD vector", TRAP_CATCH("vmread %1, %0", "m"(v), "r"(f)), 6);
    EXPECT_EQ("VMXOFF again vector", TRAP_CATCH("vmxoff", "r"(f)), 6);
    write_cr4(read_cr4() & ~CR4_VMXE);
    EXPECT_EQ("CR4.VMXE", read_cr4() & CR4_VMXE, 0);
  }
}

int kmain(uint32_t magic, uint32_t info) {
  vt_init(magic, info);
  trap_init();
  const int vmx = vmx_supported();
  TEST("cpuid-vmx", "CPUID.1:ECX.VMX is 1") {
    if (!vmx) vt_fail("the CPU does not report VMX");
  }
  if (!vmx) return vt_finish("vmx-basic");
  vmx_read_caps();
  /* The library's GDT with a TSS (host TR must not be 0, §27.2.3). */
  vmx_load_gdt();
  test_capabilities();
  test_vmxon_preconditions();
  test_current_vmcs();
  test_fields();
  test_launch_state();
  test_invept_invvpid();
  test_vmxoff();
  return vt_finish("vmx-basic");
}

// Control registers and the small system instructions (SDM Vol. 2 for each;
// Vol. 3A §2.5 control registers, §10.8.6.1 CR8 and the TPR): MOV CR8 as
// the APIC's task-priority class, MOV to/from a missing CR (#UD before the
// CPL check), CLTS, LMSW/SMSW, INVD/WBINVD, CLFLUSH/CLFLUSHOPT/CLWB checked
// as byte loads (execute-only code segments allowed), RDTSC/RDTSCP with
// CR4.TSD, RDPMC without counters, RSM outside SMM, and LTR/LLDT of 16-byte
// descriptors in IA-32e mode.
#include "cpu/msr_table.h"
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(movcr8_64);
SNIPPET(movtocr5_64);
SNIPPET(movfromcr9_64);
SNIPPET(clts64);
SNIPPET(lmsw_smsw64);
SNIPPET(invd64);
SNIPPET(wbinvd64);
SNIPPET(clflush64);
SNIPPET(clflush_stack64);
SNIPPET(rdtscp64);
SNIPPET(rdtsc64);
SNIPPET(rdpmc64);
SNIPPET(rsm64);
SNIPPET(ltr64);
SNIPPET(lldt64);
SNIPPET(clflush_cs32);

constexpr u64 kCode = 0x20000;

struct Code {
  const u8* begin;
  const u8* end;
};

// 64-bit mode at CPL 0 with `code` at kCode and exceptions intercepted.
struct Rig64 : LongModeRig {
  Rig64(const u8* b, const u8* e) {
    mem.write_block(kCode, b, size_t(e - b));
    cpu.rip = kCode;
    cpu.set_intercept_exceptions(true);
  }
  int run(u64 max = 50) { return run_to_exception(*this, max); }
  const GuestFault& fault() const { return cpu.intercepted_exception(); }
  void user() { enter_user(kCode, 0x30000); }
};

// A local APIC that keeps the TPR (the interface the APIC device implements).
struct TprApic : LocalApicHooks {
  u8 tpr = 0;
  bool tpr_read(u8& out) override {
    out = tpr;
    return true;
  }
  bool tpr_written(u8 v) override {
    tpr = v;
    return true;
  }
};

}  // namespace

TEST_CASE("MOV CR8 without an APIC: a 4-bit register; reserved bits #GP(0); CPL 3 #GP(0)") {
  Rig64 r(movcr8_64, movcr8_64_end);
  r.cpu.gpr[RAX] = 0xb;
  CHECK(r.run() == kUD);  // ran to the UD2
  CHECK(r.cpu.gpr[RBX] == 0xb);
  CHECK(r.cpu.cr8 == 0xb);
  r.cpu.rip = kCode;
  r.cpu.gpr[RAX] = 0x10;
  CHECK(r.run() == kGP);
  CHECK(r.fault().error == 0);
  CHECK(r.cpu.cr8 == 0xb);
  r.user();
  r.cpu.gpr[RAX] = 1;
  CHECK(r.run() == kGP);
  CHECK(r.cpu.cr8 == 0xb);
}

TEST_CASE("MOV CR8 with an APIC: writes TPR[7:4] (TPR[3:0] cleared), reads TPR[7:4] (SDM Vol. 3A §10.8.6.1)") {
  Rig64 r(movcr8_64, movcr8_64_end);
  TprApic apic;
  apic.tpr = 0x3f;
  r.cpu.set_local_apic(&apic);
  r.cpu.gpr[RAX] = 0x9;
  CHECK(r.run() == kUD);
  CHECK(apic.tpr == 0x90);
  CHECK(r.cpu.gpr[RBX] == 0x9);
  apic.tpr = 0x7c;  // the OS wrote the TPR through the APIC's registers
  CHECK(r.cpu.read_cr(8) == 0x7);
}

TEST_CASE("MOV to or from a control register that does not exist is #UD, also at CPL 3 (before the #GP)") {
  for (const Code& c : {Code{movtocr5_64, movtocr5_64_end}, Code{movfromcr9_64, movfromcr9_64_end}}) {
    Rig64 r(c.begin, c.end);
    CHECK(r.run() == kUD);
    CHECK(r.cpu.rip == kCode);
    r.user();
    CHECK(r.run() == kUD);
    CHECK(r.cpu.rip == kCode);
  }
}

TEST_CASE("CLTS clears CR0.TS at CPL 0 and is #GP(0) at CPL 3") {
  Rig64 r(clts64, clts64_end);
  r.cpu.cr0 |= cr0::TS;
  CHECK(r.run() == kUD);
  CHECK(!(r.cpu.cr0 & cr0::TS));
  r.cpu.cr0 |= cr0::TS;
  r.user();
  CHECK(r.run() == kGP);
  CHECK(r.fault().error == 0);
  CHECK((r.cpu.cr0 & cr0::TS) != 0);
}

TEST_CASE("LMSW loads MP, EM, TS and can set but not clear PE; SMSW stores CR0's low word; both checked for CPL") {
  Rig64 r(lmsw_smsw64, lmsw_smsw64_end);
  const u64 before = r.cpu.cr0;
  r.cpu.gpr[RAX] = 0xfff0 | cr0::MP | cr0::EM | cr0::TS;  // PE clear, bits 15:4 set
  CHECK(r.run() == kUD);
  CHECK(r.cpu.cr0 == (before | cr0::MP | cr0::EM | cr0::TS));  // PE kept, NE/ET/upper bits untouched
  CHECK((r.cpu.gpr[RBX] & 0xffff) == (r.cpu.cr0 & 0xffff));
  r.cpu.gpr[RAX] = 0;  // clears MP, EM, TS
  r.cpu.rip = kCode;
  CHECK(r.run() == kUD);
  CHECK(r.cpu.cr0 == before);
  r.user();
  CHECK(r.run() == kGP);  // LMSW at CPL 3

  // Real mode: LMSW sets PE (mov ax, 1; lmsw ax; hlt).
  CpuRig real;
  real.cpu.reset();
  real.cpu.load_segment_real(CS, 0);
  real.cpu.rip = 0x7c00;
  real.put(0x7c00, {0xb8, 0x01, 0x00, 0x0f, 0x01, 0xf0, 0xf4});
  real.step(10);
  CHECK((real.cpu.cr0 & cr0::PE) != 0);
}

TEST_CASE("INVD and WBINVD run at CPL 0 and are #GP(0) at CPL 3") {
  for (const Code& c : {Code{invd64, invd64_end}, Code{wbinvd64, wbinvd64_end}}) {
    Rig64 r(c.begin, c.end);
    CHECK(r.run() == kUD);
    CHECK(r.cpu.rip == kCode + 2);
    r.user();
    CHECK(r.run() == kGP);
    CHECK(r.fault().error == 0);
    CHECK(r.cpu.rip == kCode);
  }
}

TEST_CASE("CLFLUSH, CLFLUSHOPT, CLWB check their operand like a byte load: #PF, #SS, rights; nothing read") {
  Rig64 r(clflush64, clflush64_end);
  r.cpu.gpr[RAX] = 0x50000;
  CHECK(r.run() == kUD);
  CHECK(r.cpu.rip == kCode + 3 + 4 + 4);
  // A not-present page: #PF, error code 0 (supervisor read), CR2 = the address.
  r.set_pte(0x60000, 0);
  r.cpu.gpr[RAX] = 0x60008;
  r.cpu.rip = kCode;
  CHECK(r.run() == kPF);
  CHECK(r.fault().error == 0);
  CHECK(r.fault().fault_address == 0x60008);
  // From CPL 3, a supervisor page: #PF with P and U/S set.
  r.set_pte(0x60000, 0x60000 | 3);  // present, writable, supervisor
  r.user();
  r.cpu.gpr[RAX] = 0x60008;
  CHECK(r.run() == kPF);
  CHECK(r.fault().error == (1 | 4));
  // Through the stack with a non-canonical RSP: #SS(0).
  Rig64 s(clflush_stack64, clflush_stack64_end);
  s.cpu.gpr[RSP] = u64(1) << 47;
  CHECK(s.run() == kSS);
  CHECK(s.fault().error == 0);
}

TEST_CASE("CLFLUSH may use an execute-only code segment, which a read may not (SDM Vol. 2 CLFLUSH)") {
  Prot32Rig r;
  r.desc(0x30, seg_desc(0, 0xfffff, 0x98, kFlagG | kFlagDB));  // execute-only code, DPL 0
  r.cpu.seg[CS] = Cpu::segment_from_descriptor(0x30, r.mem.read(Prot32Rig::kGdt + 0x30, 8));
  r.cpu.mode_changed();
  r.load(Prot32Rig::kCode, clflush_cs32, clflush_cs32_end);
  r.cpu.gpr[RAX] = 0x50000;
  r.cpu.rip = Prot32Rig::kCode;
  const GuestFault* f = r.run_to_exception();
  REQUIRE(f);
  CHECK(f->vector == kGP);  // the MOV, not the CLFLUSH
  CHECK(f->error == 0);
  CHECK(r.cpu.rip == Prot32Rig::kCode + 4);
}

TEST_CASE("RDTSCP: EDX:EAX = TSC, ECX = IA32_TSC_AUX; RDTSC/RDTSCP are #GP(0) at CPL 3 with CR4.TSD") {
  Rig64 r(rdtscp64, rdtscp64_end);
  REQUIRE(r.cpu.write_msr(msr_index::kTscAux, 0x12345678));
  REQUIRE(r.cpu.write_msr(msr_index::kTsc, 0x123456789ull));
  r.cpu.gpr[RCX] = ~u64(0);
  CHECK(r.run() == kUD);
  const u64 tsc = (r.cpu.gpr[RDX] << 32) | u32(r.cpu.gpr[RAX]);
  CHECK(tsc >= 0x123456789ull);
  CHECK(tsc <= 0x123456789ull + 2);
  CHECK(r.cpu.gpr[RCX] == 0x12345678);  // zero-extended into RCX
  CHECK(r.cpu.gpr[RDX] == 1);           // TSC bits 63:32, zero-extended
  for (const Code& c : {Code{rdtscp64, rdtscp64_end}, Code{rdtsc64, rdtsc64_end}}) {
    Rig64 u(c.begin, c.end);
    u.cpu.cr4 |= cr4::TSD;
    u.cpu.rip = kCode;
    CHECK(u.run() == kUD);  // CPL 0: allowed
    u.user();
    CHECK(u.run() == kGP);
    CHECK(u.fault().error == 0);
    u.cpu.cr4 &= ~cr4::TSD;
    u.user();
    CHECK(u.run() == kUD);  // CPL 3 without TSD: allowed
  }
}

TEST_CASE("RDPMC is #GP(0): this model has no performance counters (CPUID.0AH reports none)") {
  Rig64 r(rdpmc64, rdpmc64_end);
  u32 leaf[4];
  r.cpu.cpuid(0xa, 0, leaf);
  CHECK(leaf[0] == 0);
  for (u64 ecx : {u64(0), u64(1), u64(0x40000000)}) {
    r.cpu.gpr[RCX] = ecx;
    r.cpu.rip = kCode;
    CHECK(r.run() == kGP);
    CHECK(r.fault().error == 0);
  }
}

TEST_CASE("RSM outside system-management mode is #UD (vtlab has no SMM)") {
  Rig64 r(rsm64, rsm64_end);
  CHECK(r.run() == kUD);
  CHECK(r.cpu.rip == kCode);
  CHECK(r.cpu.last_unimplemented() == 0);  // an architected #UD, not a missing instruction
}

namespace {

// A 16-byte system descriptor (LDT type 2, TSS type 9) with a 64-bit base.
void put_system_desc(LongModeRig& r, u16 sel, u64 base, u32 type, u64 high_extra = 0) {
  r.put64(LongModeRig::kGdt + sel, seg_desc(u32(base), 0x67, 0x80 | type, 0));
  r.put64(LongModeRig::kGdt + sel + 8, (base >> 32) | high_extra);
}

}  // namespace

TEST_CASE(
    "LTR and LLDT in IA-32e mode read 16-byte descriptors: 64-bit base, upper type 0, canonical, within the GDT") {
  Rig64 r(ltr64, ltr64_end);
  r.cpu.gdtr.limit = 0xff;
  put_system_desc(r, 0x40, 0x00007fff00007000ull, 9);
  r.cpu.gpr[RAX] = 0x40;
  CHECK(r.run() == kUD);  // ran to the UD2
  CHECK(r.cpu.tr.selector == 0x40);
  CHECK(r.cpu.tr.base == 0x00007fff00007000ull);
  CHECK(((r.get(LongModeRig::kGdt + 0x40, 8) >> 40) & 0xf) == 0xb);  // marked busy
  struct Bad {
    const char* what;
    u64 base, high_extra;
    u16 gdt_limit;
  };
  for (const Bad& b :
       {Bad{"upper type not 0", 0x7000, u64(9) << 40, 0xff}, Bad{"base not canonical", 0x0000800000007000ull, 0, 0xff},
        Bad{"upper half beyond the GDT limit", 0x7000, 0, 0x4f}}) {
    CAPTURE(b.what);
    Rig64 t(ltr64, ltr64_end);
    t.cpu.gdtr.limit = b.gdt_limit;
    put_system_desc(t, 0x48, b.base, 9, b.high_extra);
    t.cpu.gpr[RAX] = 0x48;
    CHECK(t.run() == kGP);
    CHECK(t.fault().error == 0x48);
    CHECK(t.cpu.tr.selector == 0x30);  // unchanged
    Rig64 l(lldt64, lldt64_end);
    l.cpu.gdtr.limit = b.gdt_limit;
    put_system_desc(l, 0x48, b.base, 2, b.high_extra);
    l.cpu.gpr[RAX] = 0x48;
    CHECK(l.run() == kGP);
    CHECK(l.fault().error == 0x48);
  }
  Rig64 l(lldt64, lldt64_end);
  l.cpu.gdtr.limit = 0xff;
  put_system_desc(l, 0x40, 0xffff800000001000ull, 2);
  l.cpu.gpr[RAX] = 0x40;
  CHECK(l.run() == kUD);
  CHECK(l.cpu.ldtr.base == 0xffff800000001000ull);
}

// APIC virtualization (SDM Vol. 3C ch. 30, cpu/vmx/apic_virtualization.h):
// the arithmetic rules row by row (PPR, recognition of a virtual interrupt,
// the TPR threshold, which APIC-access page accesses are virtualized, the
// self-IPI form of the ICR), then guests that exercise EOI virtualization,
// virtual-interrupt delivery and x2APIC-MSR virtualization through VM entry.
#include <doctest/doctest.h>

#include "cpu/vmx/apic_virtualization.h"
#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

SNIPPET(g_cpuid);
SNIPPET(g_store_rbx_cpuid);
SNIPPET(g_mov_cr8_cpuid);
SNIPPET(g_wrmsr_cpuid);
SNIPPET(g_load_rbx);
SNIPPET(g_add_rbx_cpuid);
SNIPPET(g_jmp_rbx);

namespace {

constexpr u64 kApicAccess = 0x50000, kVapic = 0x51000, kHandler = 0x32000;
constexpr u32 kRav = proc2::kApicRegisterVirtualization, kVid = proc2::kVirtualInterruptDelivery;

u32 vreg(VmxRig& r, u32 offset) { return u32(r.mem.read(kVapic + offset, 4)); }
bool vbit(VmxRig& r, u32 base, u8 v) { return (vreg(r, vapic::bit_offset(base, v)) >> (v & 31)) & 1; }
void set_vbit(VmxRig& r, u32 base, u8 v) {
  const u32 off = vapic::bit_offset(base, v);
  r.mem.write(kVapic + off, 4, vreg(r, off) | 1u << (v & 31));
}

// A guest with the TPR shadow, the APIC-access page and (vid) virtual-
// interrupt delivery; vector 0x81 etc. of the guest IDT run CPUID at kHandler.
void apicv_guest(VmxRig& r, u32 proc2_bits) {
  r.enter_root();
  r.valid_vmcs();
  Vmcs& v = r.vmcs();
  v.proc_controls |= proc::kUseTprShadow | proc::kSecondaryControls;
  v.proc2_controls = proc2_bits;
  v.virtual_apic_page_addr = kVapic;
  v.apic_access_addr = kApicAccess;
  if (proc2_bits & kVid) v.pin_controls |= pin::kExternalInterruptExiting;
  v.proc_controls |= proc::kUseMsrBitmaps;  // all clear: RDMSR/WRMSR do not exit
  v.msr_bitmap = VmxRig::kMsrBitmap;
  for (u64 a = 0; a < 0x1000; a += 8) r.put64(VmxRig::kMsrBitmap + a, 0);
  for (u64 a = 0; a < 0x1000; a += 8) r.put64(kVapic + a, 0);
  r.load(kHandler, g_cpuid, g_cpuid_end);
  for (unsigned vec : {0x31u, 0x61u, 0x81u, 0x91u}) {
    r.put64(VmxRig::kIdt + 16 * vec,
            (kHandler & 0xffff) | u64(0x08) << 16 | u64(0x8e00) << 32 | ((kHandler >> 16) & 0xffff) << 48);
    r.put64(VmxRig::kIdt + 16 * vec + 8, kHandler >> 32);
  }
}

u32 access_type(VmxRig& r) { return apic_access::type_of(r.vmcs().exit_qualification); }
u32 access_offset(VmxRig& r) { return u32(r.vmcs().exit_qualification & 0xfff); }

}  // namespace

TEST_CASE("PPR virtualization (SDM Vol. 3C §30.1.3): VTPR if its class is not below SVI's, else SVI[7:4]") {
  CHECK(virtual_ppr(0x50, 0x81) == 0x80);
  CHECK(virtual_ppr(0x90, 0x81) == 0x90);
  CHECK(virtual_ppr(0x85, 0x81) == 0x85);  // same class: VTPR with its low nibble
  CHECK(virtual_ppr(0x7f, 0x81) == 0x80);
  CHECK(virtual_ppr(0x00, 0x00) == 0x00);
  CHECK(virtual_ppr(0x0c, 0x00) == 0x0c);
}

TEST_CASE("recognition of a virtual interrupt (§30.2.1) and the TPR threshold (§30.1.2) compare classes") {
  CHECK(!recognizes_virtual_interrupt(0x81, 0x80, false));  // same class as VPPR
  CHECK(recognizes_virtual_interrupt(0x91, 0x80, false));
  CHECK(recognizes_virtual_interrupt(0x10, 0x0f, false));
  CHECK(!recognizes_virtual_interrupt(0x91, 0x80, true));  // interrupt-window exiting blocks it
  CHECK(!recognizes_virtual_interrupt(0x00, 0x00, false));
  CHECK(tpr_below_threshold(0x5f, 6));
  CHECK(!tpr_below_threshold(0x60, 6));
  CHECK(!tpr_below_threshold(0x00, 0x10));  // only threshold bits 3:0 count
}

TEST_CASE("which APIC-access page reads and writes are virtualized (§30.4.2, §30.4.3.1)") {
  // Without the TPR shadow nothing is; an access wider than 32 bits or
  // leaving bytes 3:0 of its register never is.
  CHECK(!read_virtualized(0x80, 4, false, kRav));
  CHECK(read_virtualized(0x80, 4, true, 0));
  CHECK(read_virtualized(0x82, 2, true, 0));
  CHECK(!read_virtualized(0x83, 2, true, 0));
  CHECK(!read_virtualized(0x84, 4, true, 0));
  CHECK(!read_virtualized(0x80, 8, true, kRav));
  CHECK(!read_virtualized(0x30, 4, true, 0));  // version: only with APIC-register virtualization
  CHECK(read_virtualized(0x30, 4, true, kRav));
  CHECK(read_virtualized(0x170, 4, true, kRav));  // ISR, TMR, IRR
  CHECK(read_virtualized(0x270, 4, true, kRav));
  CHECK(!read_virtualized(0xa0, 4, true, kRav));   // PPR
  CHECK(!read_virtualized(0x390, 4, true, kRav));  // current count
  CHECK(!read_virtualized(0xb0, 4, true, kVid));
  // Writes: TPR always; EOI and ICR low with virtual-interrupt delivery;
  // the writable registers with APIC-register virtualization.
  CHECK(write_virtualized(0x80, 4, true, 0));
  CHECK(!write_virtualized(0xb0, 4, true, 0));
  CHECK(write_virtualized(0xb0, 4, true, kVid));
  CHECK(write_virtualized(0x300, 4, true, kVid));
  CHECK(!write_virtualized(0x310, 4, true, kVid));
  CHECK(write_virtualized(0x310, 4, true, kRav));
  CHECK(write_virtualized(0x280, 4, true, kRav));
  CHECK(!write_virtualized(0x30, 4, true, kRav));   // version is read-only
  CHECK(!write_virtualized(0x100, 4, true, kRav));  // ISR is read-only
  CHECK(!write_virtualized(0xb0, 4, false, kVid));
}

TEST_CASE("self-IPI virtualization takes only a fixed, edge-triggered self IPI of vector 10H-FFH (§30.4.3.2)") {
  CHECK(virtual_self_ipi(0x40081));
  CHECK(virtual_self_ipi(0x40010));
  CHECK(!virtual_self_ipi(0x4000f));             // vector below 16
  CHECK(!virtual_self_ipi(0x48081));             // level triggered
  CHECK(!virtual_self_ipi(0x40481));             // NMI delivery
  CHECK(!virtual_self_ipi(0x80081));             // shorthand "all including self"
  CHECK(!virtual_self_ipi(0x00081));             // no shorthand
  CHECK(!virtual_self_ipi(0x40081 | 1u << 20));  // reserved bit
}

TEST_CASE("x2APIC MSRs that RDMSR reads from the virtual-APIC page with APIC-register virtualization (§30.5)") {
  for (u32 m : {0x802u, 0x803u, 0x808u, 0x80au, 0x80du, 0x80fu, 0x810u, 0x827u, 0x828u, 0x830u, 0x832u, 0x838u, 0x83eu})
    CHECK_MESSAGE(x2apic_read_virtualized(m), m);
  for (u32 m : {0x800u, 0x809u, 0x80bu, 0x80eu, 0x831u, 0x839u, 0x83fu, 0x900u})
    CHECK_MESSAGE(!x2apic_read_virtualized(m), m);
}

TEST_CASE("EOI virtualization: VISR and SVI move to the next in-service vector, VPPR follows; the bitmap exits (45)") {
  for (bool exit_bit : {false, true}) {
    CAPTURE(exit_bit);
    VmxRig r;
    apicv_guest(r, proc2::kVirtualizeApicAccesses | kVid);
    set_vbit(r, vapic::kIsr, 0x81);
    set_vbit(r, vapic::kIsr, 0x61);
    r.vmcs().guest_interrupt_status = interrupt_status(0, 0x81);
    if (exit_bit) r.vmcs().eoi_exit_bitmap2 = u64(1) << (0x81 - 128);
    r.cpu.gpr[RBX] = kApicAccess + vapic::kEoi, r.cpu.gpr[RCX] = 0;
    REQUIRE(r.launch(g_store_rbx_cpuid, g_store_rbx_cpuid_end));
    CHECK(r.exit_reason() == (exit_bit ? 45u : 10u));
    if (exit_bit) {
      CHECK(r.vmcs().exit_qualification == 0x81);
      CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 2);  // trap-like: after the store
    }
    CHECK(!vbit(r, vapic::kIsr, 0x81));
    CHECK(vbit(r, vapic::kIsr, 0x61));
    CHECK(svi_of(u16(r.vmcs().guest_interrupt_status)) == 0x61);
    CHECK(vreg(r, vapic::kPpr) == 0x60);
  }
}

TEST_CASE("virtual-interrupt delivery: MOV to CR8 lowers VPPR, RVI is delivered through the guest IDT") {
  VmxRig r;
  apicv_guest(r, proc2::kVirtualizeApicAccesses | kVid);
  set_vbit(r, vapic::kIrr, 0x81);
  set_vbit(r, vapic::kIrr, 0x31);
  r.mem.write(kVapic + vapic::kTpr, 4, 0x90);
  r.mem.write(kVapic + vapic::kPpr, 4, 0x90);
  r.vmcs().guest_interrupt_status = interrupt_status(0x81, 0);
  r.vmcs().guest_rflags = 0x202;
  r.cpu.gpr[RAX] = 2;  // VTPR 0x20: 0x81 is above it, 0x31 too but lower
  REQUIRE(r.launch(g_mov_cr8_cpuid, g_mov_cr8_cpuid_end));
  CHECK(r.exit_reason() == 10u);
  CHECK(r.vmcs().guest_rip == kHandler);  // the CPUID of the handler, not of the snippet
  CHECK(vreg(r, vapic::kTpr) == 0x20);
  CHECK(vbit(r, vapic::kIsr, 0x81));
  CHECK(!vbit(r, vapic::kIrr, 0x81));
  CHECK(vbit(r, vapic::kIrr, 0x31));
  CHECK(r.vmcs().guest_interrupt_status == interrupt_status(0x31, 0x81));
  CHECK(vreg(r, vapic::kPpr) == 0x80);
}

TEST_CASE("without virtual-interrupt delivery a pending RVI stays pending; a TPR below the threshold exits (43)") {
  VmxRig r;
  apicv_guest(r, proc2::kVirtualizeApicAccesses);
  r.vmcs().tpr_threshold = 4;
  r.mem.write(kVapic + vapic::kTpr, 4, 0x50);
  r.cpu.gpr[RAX] = 3;
  REQUIRE(r.launch(g_mov_cr8_cpuid, g_mov_cr8_cpuid_end));
  CHECK(r.exit_reason() == 43u);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 4);  // after MOV CR8 (4 bytes with REX)
  CHECK(vreg(r, vapic::kTpr) == 0x30);
}

TEST_CASE("virtualize x2APIC mode: WRMSR of TPR with bits 31:8 set is #GP(0); SELF IPI virtualizes") {
  VmxRig r;
  apicv_guest(r, proc2::kVirtualizeX2apic);
  r.cpu.gpr[RCX] = 0x808, r.cpu.gpr[RAX] = 0x100, r.cpu.gpr[RDX] = 0;
  r.launch(g_wrmsr_cpuid, g_wrmsr_cpuid_end);
  CHECK(r.cpu.vmx_non_root());
  CHECK(r.cpu.intercepted_exception().vector == kGP);
  CHECK(vreg(r, vapic::kTpr) == 0);

  VmxRig s;
  apicv_guest(s, proc2::kVirtualizeX2apic | kVid);
  s.vmcs().guest_rflags = 0x202;
  s.cpu.gpr[RCX] = 0x83f, s.cpu.gpr[RAX] = 0x91, s.cpu.gpr[RDX] = 0;
  REQUIRE(s.launch(g_wrmsr_cpuid, g_wrmsr_cpuid_end));
  CHECK(s.exit_reason() == 10u);
  CHECK(s.vmcs().guest_rip == kHandler);
  CHECK(vbit(s, vapic::kIsr, 0x91));
  CHECK(s.vmcs().guest_interrupt_status == interrupt_status(0, 0x91));
}

// ---- APIC-access exits and their access types (SDM Vol. 3C §28.2.1
// Table 28-6, §30.4) ----

TEST_CASE("APIC-access exits are fault-like (RIP of the access, RF = 1); a read-modify-write's read is type 1") {
  // The current-count register (390H) is never virtualized (§30.4.2).
  VmxRig r;
  apicv_guest(r, proc2::kVirtualizeApicAccesses | kRav);
  r.cpu.gpr[RBX] = kApicAccess + 0x390;
  REQUIRE(r.launch(g_load_rbx, g_load_rbx_end));
  CHECK(r.exit_reason() == 44u);
  CHECK(access_type(r) == apic_access::kLinearRead);
  CHECK(access_offset(r) == 0x390);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
  CHECK((r.vmcs().guest_rflags & fl::RF) != 0);
  CHECK(r.vmcs().idt_vectoring_info == 0);

  VmxRig s;
  apicv_guest(s, proc2::kVirtualizeApicAccesses | kRav);
  s.cpu.gpr[RBX] = kApicAccess + 0x390;
  REQUIRE(s.launch(g_add_rbx_cpuid, g_add_rbx_cpuid_end));
  CHECK(s.exit_reason() == 44u);
  CHECK(access_type(s) == apic_access::kLinearWrite);  // as #PF's W/R bit would say
  CHECK(access_offset(s) == 0x390);
  CHECK(s.vmcs().guest_rip == VmxRig::kGuestCode);
}

TEST_CASE("an instruction fetch from the APIC-access page exits with access type 2, also past a page boundary") {
  VmxRig r;
  apicv_guest(r, proc2::kVirtualizeApicAccesses | kRav | kVid);
  r.cpu.gpr[RBX] = kApicAccess + 0x80;  // VTPR: data accesses there are virtualized, fetches never
  REQUIRE(r.launch(g_jmp_rbx, g_jmp_rbx_end));
  CHECK(r.exit_reason() == 44u);
  CHECK(access_type(r) == apic_access::kLinearFetch);
  CHECK(access_offset(r) == 0x80);
  CHECK(r.vmcs().guest_rip == kApicAccess + 0x80);
  CHECK((r.vmcs().guest_rflags & fl::RF) != 0);

  // A MOV r32, imm32 starting one byte before the page: its other bytes
  // are fetched from the APIC-access page.
  VmxRig s;
  apicv_guest(s, proc2::kVirtualizeApicAccesses);
  s.put(kApicAccess - 1, {0xb8});
  s.cpu.gpr[RBX] = kApicAccess - 1;
  REQUIRE(s.launch(g_jmp_rbx, g_jmp_rbx_end));
  CHECK(s.exit_reason() == 44u);
  CHECK(access_type(s) == apic_access::kLinearFetch);
  CHECK(access_offset(s) == 0);
  CHECK(s.vmcs().guest_rip == kApicAccess - 1);
}

TEST_CASE("a linear access during event delivery is type 3, with the event as IDT-vectoring information") {
  // The guest IDT lies in the APIC-access page: reading a 16-byte gate is
  // never virtualized.
  for (bool software : {false, true}) {
    CAPTURE(software);
    VmxRig r;
    apicv_guest(r, proc2::kVirtualizeApicAccesses | kRav);
    r.vmcs().guest_idtr_base = kApicAccess;
    const u32 event = software ? (intr_info::kValid | 4u << 8 | 0x81)  // INT 81H, 2 bytes
                               : (intr_info::kValid | 3u << 8 | kUD);  // #UD
    r.vmcs().entry_interruption_info = event;
    r.vmcs().entry_instruction_length = software ? 2 : 0;
    REQUIRE(r.launch(g_cpuid, g_cpuid_end, 1000, false));
    CHECK(r.exit_reason() == 44u);
    CHECK(access_type(r) == apic_access::kLinearEventDelivery);
    CHECK(access_offset(r) == (software ? 0x810u : 0x60u));
    CHECK(r.vmcs().idt_vectoring_info == event);
    CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);  // nothing of the guest ran
    if (software) CHECK(r.vmcs().exit_instruction_length == 2);
  }
}

TEST_CASE("a guest page walk through the APIC-access page (EPT) is a guest-physical access: type 15, 10 in delivery") {
  // EPT maps guest-physical addresses one to one; the APIC-access page is
  // the guest's page table (LongModeRig::kPt), so every walk reads it.
  for (bool deliver : {false, true}) {
    CAPTURE(deliver);
    VmxRig r;
    apicv_guest(r, proc2::kVirtualizeApicAccesses | proc2::kEnableEpt);
    r.build_identity_ept();
    r.vmcs().ept_pointer = VmxRig::kEptp;
    r.vmcs().apic_access_addr = LongModeRig::kPt;
    if (deliver) r.vmcs().entry_interruption_info = intr_info::kValid | 3u << 8 | kUD;
    REQUIRE(r.launch(g_cpuid, g_cpuid_end, 1000, false));
    CHECK(r.exit_reason() == 44u);
    CHECK(access_type(r) == (deliver ? apic_access::kPhysicalEventDelivery : apic_access::kPhysicalInstruction));
    CHECK(r.vmcs().idt_vectoring_info == (deliver ? (intr_info::kValid | 3u << 8 | kUD) : 0u));
    CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
  }
}

TEST_CASE("APIC-virtualization state goes with VMX snapshots; a damaged one cannot make up a trap-like exit") {
  // Stopped right after a MOV to CR8 below the TPR threshold, before the
  // instruction boundary where its trap-like exit (43) happens.
  VmxRig a;
  apicv_guest(a, proc2::kVirtualizeApicAccesses);
  a.vmcs().tpr_threshold = 4;
  a.mem.write(kVapic + vapic::kTpr, 4, 0x50);
  a.cpu.gpr[RAX] = 3;
  a.load(VmxRig::kGuestCode, g_mov_cr8_cpuid, g_mov_cr8_cpuid_end);
  a.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  a.cpu.set_intercept_exceptions(true);
  a.cpu.run(a.cpu.icount() + 2);  // VMLAUNCH, MOV CR8
  REQUIRE(a.cpu.vmx_non_root());
  Serializer save;
  a.vmx().serialize(save);

  VmxRig b;
  Serializer load(save.data());
  b.vmx().serialize(load);
  REQUIRE(b.cpu.vmx_non_root());
  ExitInfo e{ExitReason::EXCEPTION_OR_NMI};
  REQUIRE(b.vmx().apicv().take_trap_exit(e));
  CHECK(e.reason == ExitReason::TPR_BELOW_THRESHOLD);

  // recognized, trap pending, reason CPUID (10): not a trap-like exit.
  Serializer bad;
  bool recognized = false, pending = true;
  u32 reason = 10;
  u64 qualification = 0;
  bad.flag(recognized), bad.flag(pending), bad(reason), bad(qualification);
  Serializer damaged(bad.data());
  b.vmx().apicv().serialize(damaged);
  CHECK(!b.vmx().apicv().take_trap_exit(e));
}

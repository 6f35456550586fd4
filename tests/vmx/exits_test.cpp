// VM exits (SDM Vol. 3C ch. 26, 28): a guest runs until the instruction or
// event that exits; the test checks the exit reason, qualification,
// instruction length/information, the saved guest state and the host
// state the exit loaded.
#include <doctest/doctest.h>

#include "core/machine/machine.h"
#include "tests/machine/guest.h"
#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

SNIPPET(g_cpuid);
SNIPPET(g_nop_cpuid);
SNIPPET(g_hlt);
SNIPPET(g_rdtsc);
SNIPPET(g_rdtscp);
SNIPPET(g_rdmsr);
SNIPPET(g_wrmsr);
SNIPPET(g_out_imm);
SNIPPET(g_in_dx);
SNIPPET(g_rep_outsb);
SNIPPET(g_mov_cr0_rbx);
SNIPPET(g_read_cr0_rcx);
SNIPPET(g_mov_cr3_rdx);
SNIPPET(g_read_cr3_rsi);
SNIPPET(g_mov_cr8_rax);
SNIPPET(g_clts);
SNIPPET(g_mov_dr7_rax);
SNIPPET(g_invlpg);
SNIPPET(g_vmcall);
SNIPPET(g_vmread);
SNIPPET(g_ud2);
SNIPPET(g_int3);
SNIPPET(g_load_rbx);
SNIPPET(g_loop);
SNIPPET(g_sti_loop);
SNIPPET(g_pause);
SNIPPET(g_wbinvd);
SNIPPET(g_invd);
SNIPPET(g_sgdt);
SNIPPET(g_str);
SNIPPET(g_rdrand);
SNIPPET(g_xsetbv);
SNIPPET(g_mwait);
SNIPPET(g_monitor);
SNIPPET(g_rdpmc);
SNIPPET(g_inc3);
SNIPPET(g_vmclear);
SNIPPET(g_vmlaunch);
SNIPPET(g_vmptrld);
SNIPPET(g_vmptrst);
SNIPPET(g_vmresume);
SNIPPET(g_vmwrite);
SNIPPET(g_vmxoff);
SNIPPET(g_vmxon);
SNIPPET(g_invpcid);
SNIPPET(g_rdseed);
SNIPPET(g_nmi_handler);
SNIPPET(g_int_handler);
SNIPPET(g_vmwrite_vmread);

namespace {

VmxRig& ready(VmxRig& r) {
  r.enter_root();
  r.valid_vmcs();
  return r;
}
u32 basic(VmxRig& r) { return r.exit_reason() & 0xffff; }

}  // namespace

TEST_CASE("CPUID exits unconditionally: reason 10, length 2, guest RIP and RSP saved, host state loaded") {
  VmxRig r;
  ready(r);
  r.vmcs().guest_rsp = 0x37ff0;
  REQUIRE(r.launch(g_nop_cpuid, g_nop_cpuid_end));
  CHECK(basic(r) == 10);
  CHECK(r.vmcs().exit_instruction_length == 2);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 2);  // the CPUID, after two NOPs
  CHECK(r.vmcs().guest_rsp == 0x37ff0);
  CHECK(r.vmcs().guest_cs_selector == 0x08);
  CHECK(r.vmcs().guest_cs_ar == 0xa09b);
  CHECK(r.vmcs().guest_ldtr_ar == ar::Unusable);
  CHECK((r.vmcs().entry_controls & entry_ctl::kIa32eModeGuest));
  // Host state: RSP, flat CS with L, RFLAGS = 2, GDTR/IDTR limits FFFFH.
  CHECK(r.cpu.gpr[RSP] == VmxRig::kKernelStack);
  CHECK(r.cpu.long64());
  CHECK(r.cpu.seg[CS].selector == 0x08);
  CHECK(r.cpu.rflags() == 2);
  CHECK(r.cpu.gdtr.limit == 0xffff);
  CHECK((r.cpu.seg[FS].attr & ar::Unusable));  // null host FS selector
  CHECK(r.cpu.dr[7] == 0x400);
  CHECK(r.vmx().launched());
  // VMRESUME after skipping the instruction: the guest reaches its UD2,
  // which (exception bitmap 0) it takes itself: intercepted in non-root.
  r.vmcs().guest_rip += r.vmcs().exit_instruction_length;
  r.host_runs(VmxRig::vmresume_begin(), VmxRig::vmresume_end());
  CHECK(r.run_to_exception() == kUD);
  CHECK(r.cpu.vmx_non_root());
  CHECK(r.cpu.rip == VmxRig::kGuestCode + 4);
}

TEST_CASE("HLT, RDTSC, RDPMC, MWAIT, MONITOR, PAUSE, INVLPG exit by their controls; INVD always") {
  struct Case {
    const u8 *b, *e;
    u32 control;
    u32 reason;
    u32 len;
  } cases[] = {
      {g_hlt, g_hlt_end, proc::kHltExiting, 12, 1},
      {g_rdtsc, g_rdtsc_end, proc::kRdtscExiting, 16, 2},
      {g_rdpmc, g_rdpmc_end, proc::kRdpmcExiting, 15, 2},
      {g_mwait, g_mwait_end, proc::kMwaitExiting, 36, 3},
      {g_monitor, g_monitor_end, proc::kMonitorExiting, 39, 3},
      {g_pause, g_pause_end, proc::kPauseExiting, 40, 2},
      {g_invd, g_invd_end, 0, 13, 2},
  };
  for (const Case& k : cases) {
    CAPTURE(k.reason);
    VmxRig r;
    ready(r).vmcs().proc_controls |= k.control;
    r.vmcs().guest_rflags |= fl::IF;
    REQUIRE(r.launch(k.b, k.e));
    CHECK(basic(r) == k.reason);
    CHECK(r.vmcs().exit_instruction_length == k.len);
    CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
  }
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kInvlpgExiting;
  r.vmcs().guest_rsp = 0x37000;
  r.cpu.gpr[RBX] = 0x5000;  // host RBX: guest registers are the host's (VM entry does not load GPRs)
  REQUIRE(r.launch(g_invlpg, g_invlpg_end));
  CHECK(basic(r) == 14);
  CHECK(r.vmcs().exit_qualification == 0x6234);  // the linear address
}

TEST_CASE("without the control the instruction runs in the guest: HLT halts, RDTSC reads the offset TSC") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kUseTscOffsetting;
  r.vmcs().tsc_offset = 1'000'000'000;
  r.launch(g_rdtsc, g_rdtsc_end);  // stops at the guest's UD2
  REQUIRE(r.cpu.vmx_non_root());
  const u64 tsc = r.cpu.gpr[RDX] << 32 | u32(r.cpu.gpr[RAX]);
  CHECK(tsc >= 1'000'000'000);
  CHECK(tsc < 1'000'000'000 + r.cpu.icount() + 10);
}

TEST_CASE("RDTSCP: #UD in the guest without \"enable RDTSCP\", exit 51 with it and RDTSC exiting") {
  VmxRig r;
  ready(r).vmcs().exception_bitmap = 1u << kUD;
  REQUIRE(r.launch(g_rdtscp, g_rdtscp_end));
  CHECK(basic(r) == 0);
  CHECK((r.vmcs().exit_interruption_info & 0xff) == kUD);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);  // the RDTSCP itself
  VmxRig s;
  ready(s).vmcs().proc_controls |= proc::kSecondaryControls | proc::kRdtscExiting;
  s.vmcs().proc2_controls = proc2::kEnableRdtscp;
  REQUIRE(s.launch(g_rdtscp, g_rdtscp_end));
  CHECK(basic(s) == 51);
  CHECK(s.vmcs().exit_instruction_length == 3);
}

TEST_CASE("RDMSR/WRMSR: exit without MSR bitmaps; with them, by the bitmap bit of the MSR") {
  VmxRig r;
  ready(r);
  r.cpu.gpr[RCX] = msr_index::kStar;
  REQUIRE(r.launch(g_rdmsr, g_rdmsr_end));
  CHECK(basic(r) == 31);
  // Bitmaps: read of STAR (C0000081H) allowed, write of it exits.
  VmxRig b;
  ready(b).vmcs().proc_controls |= proc::kUseMsrBitmaps;
  b.vmcs().msr_bitmap = VmxRig::kMsrBitmap;
  b.mem.write(VmxRig::kMsrBitmap + 3072 + 0x81 / 8, 1, 1u << (0x81 % 8));
  b.cpu.msr.star = 0x77;
  b.cpu.gpr[RCX] = msr_index::kStar;
  b.launch(g_rdmsr, g_rdmsr_end);  // runs on to the guest's UD2
  CHECK(b.cpu.vmx_non_root());
  CHECK(b.cpu.gpr[RAX] == 0x77);
  b.vmx().vm_exit(ExitInfo{ExitReason::VMCALL});  // back to the host by hand
  b.vmcs().guest_rip = VmxRig::kGuestCode;
  b.cpu.gpr[RCX] = msr_index::kStar;
  b.load(VmxRig::kGuestCode, g_wrmsr, g_wrmsr_end);
  REQUIRE(b.resume());
  CHECK(basic(b) == 32);
  // An MSR outside both bitmap ranges always exits.
  b.vmcs().guest_rip = VmxRig::kGuestCode;
  b.cpu.gpr[RCX] = 0x40000000;
  b.load(VmxRig::kGuestCode, g_rdmsr, g_rdmsr_end);
  REQUIRE(b.resume());
  CHECK(basic(b) == 31);
}

TEST_CASE("I/O: unconditional exiting and bitmaps; qualification, string/REP, guest-linear address") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kUnconditionalIoExiting;
  REQUIRE(r.launch(g_out_imm, g_out_imm_end));
  CHECK(basic(r) == 30);
  CHECK(r.vmcs().exit_qualification == (0 | 0 << 3 | 1 << 6 | 0x80u << 16));  // byte, OUT, immediate, port 80H
  CHECK(r.vmcs().exit_instruction_length == 2);
  // Bitmaps: port 0x3f8 (byte) allowed, IN dword from 0x3fc crosses into a set bit at 0x3fe.
  VmxRig b;
  ready(b).vmcs().proc_controls |= proc::kUseIoBitmaps;
  b.vmcs().io_bitmap_a = VmxRig::kIoBitmapA, b.vmcs().io_bitmap_b = VmxRig::kIoBitmapB;
  b.mem.write(VmxRig::kIoBitmapA + 0x3fe / 8, 1, 1u << (0x3fe % 8));
  b.cpu.gpr[RDX] = 0x3fc;
  REQUIRE(b.launch(g_in_dx, g_in_dx_end));
  CHECK(basic(b) == 30);
  CHECK(b.vmcs().exit_qualification == (3 | 1 << 3 | 0x3fcu << 16));  // dword, IN, DX
  // REP OUTSB: string, REP, DS:RSI linear address, address size 64 (2).
  VmxRig s;
  ready(s).vmcs().proc_controls |= proc::kUnconditionalIoExiting;
  s.cpu.gpr[RSI] = 0x9000, s.cpu.gpr[RCX] = 4, s.cpu.gpr[RDX] = 0xe9;
  REQUIRE(s.launch(g_rep_outsb, g_rep_outsb_end));
  CHECK(basic(s) == 30);
  CHECK(s.vmcs().exit_qualification == (1 << 4 | 1 << 5 | 0xe9u << 16));
  CHECK(s.vmcs().guest_linear_address == 0x9000);
  CHECK(((s.vmcs().exit_instruction_info >> 7) & 7) == 2);
  CHECK(((s.vmcs().exit_instruction_info >> 15) & 7) == DS);
  CHECK(s.cpu.gpr[RCX] == 4);  // nothing was output
}

TEST_CASE("control registers: masks and read shadows, CR3 targets, CR8, CLTS; MOV DR") {
  // MOV to CR0 changing a host-owned bit (TS) against the shadow exits.
  VmxRig r;
  ready(r).vmcs().cr0_guest_host_mask = cr0::TS;
  r.vmcs().cr0_read_shadow = 0;
  r.cpu.gpr[RBX] = r.cpu.cr0 | cr0::TS;
  REQUIRE(r.launch(g_mov_cr0_rbx, g_mov_cr0_rbx_end));
  CHECK(basic(r) == 28);
  CHECK(r.vmcs().exit_qualification == (0 | 0 << 4 | RBX << 8));
  // Reading CR0 returns the shadow's TS; a write that agrees with the
  // shadow runs, the host-owned bit keeping its value.
  VmxRig s;
  ready(s).vmcs().cr0_guest_host_mask = cr0::TS;
  s.vmcs().cr0_read_shadow = cr0::TS;
  s.launch(g_read_cr0_rcx, g_read_cr0_rcx_end);
  REQUIRE(s.cpu.vmx_non_root());
  CHECK((s.cpu.gpr[RCX] & cr0::TS));
  CHECK(!(s.cpu.cr0 & cr0::TS));
  // CLTS with TS owned by the host and shadow TS = 1: exit (type 2).
  VmxRig c;
  ready(c).vmcs().cr0_guest_host_mask = cr0::TS;
  c.vmcs().cr0_read_shadow = cr0::TS;
  REQUIRE(c.launch(g_clts, g_clts_end));
  CHECK(basic(c) == 28);
  CHECK(c.vmcs().exit_qualification == (2u << 4));
  // CR3: a load of a CR3-target value runs, another exits; store exiting.
  VmxRig t;
  ready(t).vmcs().proc_controls |= proc::kCr3LoadExiting;
  t.vmcs().cr3_target_count = 1, t.vmcs().cr3_target0 = t.cpu.cr3;
  t.cpu.gpr[RDX] = t.cpu.cr3;
  t.launch(g_mov_cr3_rdx, g_mov_cr3_rdx_end);
  CHECK(t.cpu.vmx_non_root());  // ran on to the UD2
  VmxRig u;
  ready(u).vmcs().proc_controls |= proc::kCr3LoadExiting;
  u.cpu.gpr[RDX] = u.cpu.cr3;
  REQUIRE(u.launch(g_mov_cr3_rdx, g_mov_cr3_rdx_end));
  CHECK(u.vmcs().exit_qualification == (3 | RDX << 8));
  VmxRig w;
  ready(w).vmcs().proc_controls |= proc::kCr3StoreExiting;
  REQUIRE(w.launch(g_read_cr3_rsi, g_read_cr3_rsi_end));
  CHECK(w.vmcs().exit_qualification == (3 | 1 << 4 | RSI << 8));
  VmxRig e;
  ready(e).vmcs().proc_controls |= proc::kCr8LoadExiting;
  REQUIRE(e.launch(g_mov_cr8_rax, g_mov_cr8_rax_end));
  CHECK(e.vmcs().exit_qualification == (8 | RAX << 8));
  VmxRig d;
  ready(d).vmcs().proc_controls |= proc::kMovDrExiting;
  REQUIRE(d.launch(g_mov_dr7_rax, g_mov_dr7_rax_end));
  CHECK(basic(d) == 29);
  CHECK(d.vmcs().exit_qualification == (7 | RAX << 8));
}

TEST_CASE("VMX instructions in non-root operation exit: VMCALL (18), VMREAD (23, instruction information)") {
  VmxRig r;
  ready(r);
  REQUIRE(r.launch(g_vmcall, g_vmcall_end));
  CHECK(basic(r) == 18);
  CHECK(r.vmcs().exit_instruction_length == 3);
  VmxRig s;
  ready(s);
  REQUIRE(s.launch(g_vmread, g_vmread_end));
  CHECK(basic(s) == 23);
  const u32 info = s.vmcs().exit_instruction_info;
  CHECK(((info >> 10) & 1) == 1);      // register operand
  CHECK(((info >> 3) & 0xf) == RBX);   // reg1: the destination
  CHECK(((info >> 28) & 0xf) == RAX);  // reg2: the field encoding
}

TEST_CASE("exceptions by the bitmap: #UD exits (RIP of the faulting instruction), INT3 with its length") {
  VmxRig r;
  ready(r).vmcs().exception_bitmap = 1u << kUD;
  REQUIRE(r.launch(g_ud2, g_ud2_end));
  CHECK(basic(r) == 0);
  CHECK(r.vmcs().exit_interruption_info == (intr_info::kValid | 3u << 8 | kUD));
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
  CHECK((r.vmcs().guest_rflags & fl::RF));  // a fault: RF saved as 1
  VmxRig s;
  ready(s).vmcs().exception_bitmap = 1u << kBP;
  REQUIRE(s.launch(g_int3, g_int3_end));
  CHECK(s.vmcs().exit_interruption_info == (intr_info::kValid | 6u << 8 | kBP));  // software exception
  CHECK(s.vmcs().exit_instruction_length == 1);
  CHECK(s.vmcs().guest_rip == VmxRig::kGuestCode);
}

TEST_CASE("#PF by the bitmap with the error-code mask and match; qualification is the address, CR2 unchanged") {
  // Not present at 0x7000: a read's error code is 0.
  for (int bit : {1, 0}) {
    VmxRig r;
    ready(r).vmcs().exception_bitmap = u32(bit) << kPF;
    r.vmcs().pf_error_code_mask = 1, r.vmcs().pf_error_code_match = bit ? 0 : 1;  // match iff bit set
    r.set_pte(0x7000, 0);
    r.cpu.gpr[RBX] = 0x7010;
    r.cpu.cr2 = 0x1111;
    REQUIRE(r.launch(g_load_rbx, g_load_rbx_end));
    CHECK(basic(r) == 0);
    CHECK(r.vmcs().exit_interruption_info == (intr_info::kValid | 3u << 8 | intr_info::kErrorValid | kPF));
    CHECK(r.vmcs().exit_interruption_error_code == 0);
    CHECK(r.vmcs().exit_qualification == 0x7010);
    CHECK(r.cpu.cr2 == 0x1111);
  }
}

TEST_CASE("a fault while delivering an event: IDT-vectoring information; triple fault exits (2)") {
  // #UD delivered through an IDT with no gate for 6: #GP while delivering,
  // #GP intercepted: the exit names #GP and the #UD being delivered.
  VmxRig r;
  ready(r).vmcs().exception_bitmap = 1u << kGP;
  r.vmcs().guest_idtr_limit = 0x5f;  // vector 6's gate beyond the limit
  REQUIRE(r.launch(g_ud2, g_ud2_end, 1000, false));
  CHECK(basic(r) == 0);
  CHECK((r.vmcs().exit_interruption_info & 0xff) == kGP);
  CHECK(r.vmcs().idt_vectoring_info == (intr_info::kValid | 3u << 8 | kUD));
  // Nothing intercepted and no IDT at all: #UD -> #GP -> #DF -> triple fault.
  VmxRig t;
  ready(t).vmcs().guest_idtr_limit = 0;
  REQUIRE(t.launch(g_ud2, g_ud2_end, 1000, false));
  CHECK(basic(t) == 2);
  CHECK(t.cpu.retired() > 0);
}

TEST_CASE("interrupt window: exits at the first boundary where IF = 1 and nothing blocks") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kInterruptWindowExiting;
  REQUIRE(r.launch(g_sti_loop, g_sti_loop_end));
  CHECK(basic(r) == 7);
  // STI's shadow covers the next instruction: the exit comes after it.
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 4);  // past STI (1) and INC RCX (3)
  CHECK(r.cpu.gpr[RCX] == 1);
}

namespace {
struct OneIrq : InterruptSource {
  int pending = 1;
  bool has_interrupt() override { return pending > 0; }
  u8 acknowledge() override { return pending-- > 0 ? 0x41 : 0; }
};
}  // namespace

TEST_CASE("external interrupts exit (1) whatever IF says; acknowledge-on-exit records the vector") {
  for (bool ack : {false, true}) {
    VmxRig r;
    OneIrq irq;
    r.cpu.set_interrupt_source(&irq);
    ready(r).vmcs().pin_controls |= pin::kExternalInterruptExiting;
    if (ack) r.vmcs().exit_controls |= exit_ctl::kAckInterruptOnExit;
    REQUIRE(r.launch(g_loop, g_loop_end));
    CHECK(basic(r) == 1);
    CHECK(r.vmcs().exit_interruption_info == (ack ? (intr_info::kValid | 0x41) : 0u));
    CHECK(irq.pending == (ack ? 0 : 1));
  }
}

TEST_CASE("NMI exiting: an NMI exits (0, type NMI) and leaves NMIs blocked") {
  VmxRig r;
  ready(r).vmcs().pin_controls |= pin::kNmiExiting;
  r.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.cpu.set_intercept_exceptions(true);
  r.cpu.run(r.cpu.icount() + 20);
  REQUIRE(r.cpu.vmx_non_root());
  r.cpu.raise_nmi();
  r.run_to_exception();
  CHECK(basic(r) == 0);
  CHECK(r.vmcs().exit_interruption_info == (intr_info::kValid | 2u << 8 | kNMI));
  CHECK(r.cpu.nmi_blocked_);
}

TEST_CASE("the VMX-preemption timer exits (52) after value * 2^rate TSC ticks; save-timer stores 0") {
  VmxRig r;
  ready(r).vmcs().pin_controls |= pin::kPreemptionTimer;
  r.vmcs().exit_controls |= exit_ctl::kSavePreemptionTimer;
  r.vmcs().preemption_timer_value = 10;
  const u64 start = r.cpu.icount();
  REQUIRE(r.launch(g_loop, g_loop_end, 100000));
  CHECK(basic(r) == 52);
  const u64 ran = r.cpu.icount() - start;
  CHECK(ran >= 9 * (u64(1) << kPreemptionTimerShift));
  CHECK(ran <= 11 * (u64(1) << kPreemptionTimerShift) + 4);
  CHECK(r.vmcs().preemption_timer_value == 0);
}

TEST_CASE("the monitor trap flag exits (37) after each guest instruction") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kMonitorTrapFlag;
  REQUIRE(r.launch(g_inc3, g_inc3_end));
  CHECK(basic(r) == 37);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 3);
  CHECK(r.cpu.gpr[RCX] == 1);
  REQUIRE(r.resume());
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 6);
  CHECK(r.cpu.gpr[RCX] == 2);
}

TEST_CASE("WBINVD, RDRAND, descriptor-table exiting, XSETBV: secondary controls and unconditional") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kSecondaryControls;
  r.vmcs().proc2_controls = proc2::kWbinvdExiting;
  REQUIRE(r.launch(g_wbinvd, g_wbinvd_end));
  CHECK(basic(r) == 54);
  VmxRig d;
  ready(d).vmcs().proc_controls |= proc::kSecondaryControls;
  d.vmcs().proc2_controls = proc2::kRdrandExiting;
  REQUIRE(d.launch(g_rdrand, g_rdrand_end));
  CHECK(basic(d) == 57);
  CHECK(d.vmcs().exit_instruction_info == (RCX << 3 | 1u << 11));  // ECX, 32-bit
  VmxRig g;
  ready(g).vmcs().proc_controls |= proc::kSecondaryControls;
  g.vmcs().proc2_controls = proc2::kDescriptorTableExiting;
  REQUIRE(g.launch(g_sgdt, g_sgdt_end));
  CHECK(basic(g) == 46);
  CHECK(((g.vmcs().exit_instruction_info >> 28) & 3) == 0);  // SGDT
  CHECK(g.vmcs().exit_qualification == 16);                  // the displacement
  VmxRig s;
  ready(s).vmcs().proc_controls |= proc::kSecondaryControls;
  s.vmcs().proc2_controls = proc2::kDescriptorTableExiting;
  REQUIRE(s.launch(g_str, g_str_end));
  CHECK(basic(s) == 47);
  CHECK(((s.vmcs().exit_instruction_info >> 28) & 3) == 1);  // STR
  VmxRig x;
  ready(x);
  x.cpu.cr4 |= cr4::OSXSAVE;
  x.vmcs().guest_cr4 |= cr4::OSXSAVE, x.vmcs().host_cr4 |= cr4::OSXSAVE;
  REQUIRE(x.launch(g_xsetbv, g_xsetbv_end));
  CHECK(basic(x) == 55);
}

TEST_CASE("MSR-store and MSR-load areas on exit; EFER and PAT saved and loaded") {
  VmxRig r;
  ready(r);
  const u64 store = VmxRig::kMsrArea, load = VmxRig::kMsrArea + 0x100;
  r.put64(store, msr_index::kStar);
  r.put64(load, msr_index::kLstar), r.put64(load + 8, 0xffffffff80001000ull);
  r.vmcs().exit_msr_store_addr = store, r.vmcs().exit_msr_store_count = 1;
  r.vmcs().exit_msr_load_addr = load, r.vmcs().exit_msr_load_count = 1;
  r.vmcs().exit_controls |= exit_ctl::kSaveEfer | exit_ctl::kSavePat | exit_ctl::kLoadPat;
  r.vmcs().host_pat = 0x0606060606060606ull;
  r.cpu.msr.star = 0xabcdef;
  REQUIRE(r.launch(g_cpuid, g_cpuid_end));
  CHECK(r.get(store + 8, 8) == 0xabcdef);
  CHECK(r.cpu.msr.lstar == 0xffffffff80001000ull);
  CHECK((r.vmcs().guest_efer & efer::LMA));
  CHECK(r.vmcs().guest_pat == 0x0007040600070406ull);
  CHECK(r.cpu.msr.pat == 0x0606060606060606ull);
}

TEST_CASE("event injection: a hardware exception with error code is delivered through the guest IDT") {
  VmxRig r;
  ready(r);
  // Guest #GP handler at 0x31000: CPUID (exits, so the test sees it ran).
  r.gate(kGP, 0x31000);
  r.load(0x31000, g_cpuid, g_cpuid_end);
  r.vmcs().entry_interruption_info = intr_info::kValid | 3u << 8 | intr_info::kErrorValid | kGP;
  r.vmcs().entry_exception_error_code = 0x18;
  REQUIRE(r.launch(g_ud2, g_ud2_end));
  CHECK(basic(r) == 10);
  CHECK(r.vmcs().guest_rip == 0x31000);
  CHECK(r.get(VmxRig::kGuestStack - 48, 8) == 0x18);                // the error code
  CHECK(r.get(VmxRig::kGuestStack - 40, 8) == VmxRig::kGuestCode);  // the return RIP
  CHECK(!(r.vmcs().entry_interruption_info & intr_info::kValid));   // cleared by the exit
}

TEST_CASE("INIT: blocked in VMX root operation (the vCPU is not reset; tests/vmx/activity_test.cpp: held)") {
  MachineConfig cfg;
  cfg.cpus = 2;
  Machine m(cfg);
  m.load(machine_test::code_at(0x7c00, {0xf4}));
  Vcpu& ap = m.vcpu(1);
  Cpu& c = ap.cpu();
  m.vcpu(1).startup(0x10);  // running, out of wait-for-SIPI
  c.vmx().enter_operation(VmxRig::kVmxon);
  const u64 rip = c.rip;
  ap.init();
  CHECK(c.vmx().in_operation());
  CHECK(c.rip == rip);
  CHECK(!ap.waiting_for_sipi());
}

TEST_CASE("INIT in non-root operation is a VM exit (3) at the next instruction boundary") {
  VmxRig r;
  ready(r);
  r.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.cpu.set_intercept_exceptions(true);
  r.cpu.run(r.cpu.icount() + 20);
  REQUIRE(r.cpu.vmx_non_root());
  r.vmx().hold_init();
  r.run_to_exception();
  CHECK(basic(r) == 3);
  CHECK(!r.cpu.vmx_non_root());
  CHECK(r.in_host());
  CHECK(r.vmcs().guest_activity_state == u32(Activity::Active));
  CHECK(!r.vmx().init_pending());
}

TEST_CASE("every VMX instruction exits in non-root operation with its reason, length and information") {
  struct Case {
    const u8 *b, *e;
    u32 reason, len;
    u64 qualification;
  } cases[] = {
      {g_vmclear, g_vmclear_end, 19, 4, 0},   {g_vmlaunch, g_vmlaunch_end, 20, 3, 0},
      {g_vmptrld, g_vmptrld_end, 21, 4, 8},   {g_vmptrst, g_vmptrst_end, 22, 3, 0},
      {g_vmresume, g_vmresume_end, 24, 3, 0}, {g_vmwrite, g_vmwrite_end, 25, 3, 0},
      {g_vmxoff, g_vmxoff_end, 26, 3, 0},     {g_vmxon, g_vmxon_end, 27, 4, 0},
  };
  for (const Case& k : cases) {
    CAPTURE(k.reason);
    VmxRig r;
    ready(r);
    r.cpu.gpr[RAX] = VmxRig::kData;
    REQUIRE(r.launch(k.b, k.e));
    CHECK(basic(r) == k.reason);
    CHECK(r.vmcs().exit_instruction_length == k.len);
    CHECK(r.vmcs().exit_qualification == k.qualification);
    CHECK(r.vmx().current_vmcs_pointer() == VmxRig::kVmcs);  // the guest's instruction did nothing
  }
  // VMPTRLD 8(%rax): memory operand, base RAX, no index, 64-bit addresses, DS.
  VmxRig r;
  ready(r);
  REQUIRE(r.launch(g_vmptrld, g_vmptrld_end));
  const u32 info = r.vmcs().exit_instruction_info;
  CHECK(((info >> 7) & 7) == 2);
  CHECK(((info >> 15) & 7) == DS);
  CHECK(((info >> 22) & 1) == 1);  // no index register
  CHECK(((info >> 23) & 0xf) == RAX);
  CHECK(((info >> 27) & 1) == 0);
}

TEST_CASE("INVPCID: #UD without \"enable INVPCID\", exit 58 with it and INVLPG exiting; RDSEED exiting") {
  VmxRig r;
  ready(r).vmcs().exception_bitmap = 1u << kUD;
  r.cpu.gpr[RSI] = VmxRig::kData;
  REQUIRE(r.launch(g_invpcid, g_invpcid_end));
  CHECK(basic(r) == 0);
  CHECK((r.vmcs().exit_interruption_info & 0xff) == kUD);
  VmxRig s;
  ready(s).vmcs().proc_controls |= proc::kSecondaryControls | proc::kInvlpgExiting;
  s.vmcs().proc2_controls = proc2::kEnableInvpcid;
  s.cpu.gpr[RSI] = VmxRig::kData;
  REQUIRE(s.launch(g_invpcid, g_invpcid_end));
  CHECK(basic(s) == 58);
  CHECK(s.vmcs().exit_qualification == 0x10);
  CHECK(((s.vmcs().exit_instruction_info >> 28) & 0xf) == RDX);
  VmxRig d;
  ready(d).vmcs().proc_controls |= proc::kSecondaryControls;
  d.vmcs().proc2_controls = proc2::kRdseedExiting;
  REQUIRE(d.launch(g_rdseed, g_rdseed_end));
  CHECK(basic(d) == 61);
  CHECK(d.vmcs().exit_instruction_info == (RAX << 3 | 2u << 11));
}

TEST_CASE("a task switch in non-root operation exits (9): new TSS selector, source JMP, instruction length") {
  // A 32-bit protected-mode guest with 4-MByte identity paging, sharing the
  // host's GDT, where 0x40 is an available 32-bit TSS.
  VmxRig r;
  ready(r);
  constexpr u64 kPd = 0x108000;
  r.put64(kPd, 0x83);  // 4 MiB at 0: present, writable, PS
  r.put64(VmxRig::kGdt + 0x40, seg_desc(0x7800, 0x67, 0x89, 0));
  r.cpu.gdtr.limit = 0x4f;
  Vmcs& v = r.vmcs();
  v.entry_controls &= ~entry_ctl::kIa32eModeGuest;
  v.guest_cr4 = cr4::VMXE | cr4::PSE, v.guest_cr3 = kPd;
  v.guest_cs_ar = 0xc09b;  // 32-bit code
  v.guest_gdtr_limit = 0x4f;
  r.put(VmxRig::kGuestCode, {0xea, 0, 0, 0, 0, 0x40, 0});  // ljmp $0x40, $0
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.run_to_exception();
  REQUIRE(r.in_host());
  CHECK(basic(r) == 9);
  CHECK(r.vmcs().exit_qualification == (0x40u | 2u << 30));
  CHECK(r.vmcs().exit_instruction_length == 7);
  CHECK(r.vmcs().guest_tr_selector == 0x30);  // no task switch happened
}

TEST_CASE("virtual NMIs: an injected NMI blocks NMIs until the guest's IRET; then the NMI window exits (8)") {
  VmxRig r;
  ready(r).vmcs().pin_controls |= pin::kNmiExiting | pin::kVirtualNmis;
  r.vmcs().proc_controls |= proc::kNmiWindowExiting;
  r.vmcs().entry_interruption_info = intr_info::kValid | 2u << 8 | kNMI;
  r.gate(kNMI, 0x31000);
  r.load(0x31000, g_nmi_handler, g_nmi_handler_end);
  r.cpu.gpr[RDX] = 0;
  r.cpu.nmi_blocked_ = false;
  REQUIRE(r.launch(g_loop, g_loop_end));
  CHECK(basic(r) == 8);
  CHECK(r.cpu.gpr[RDX] == 1);                       // the handler ran once, before the window opened
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);  // IRET returned to the interrupted RIP
  CHECK((r.vmcs().guest_interruptibility & interruptibility::kBlockingByNmi) == 0);
  // Without IRET (blocked), no NMI-window exit: the injected NMI's handler
  // loops; a real NMI still exits (NMI exiting) and the host's NMI
  // blocking is what it was before entry.
  VmxRig s;
  ready(s).vmcs().pin_controls |= pin::kNmiExiting | pin::kVirtualNmis;
  s.vmcs().proc_controls |= proc::kNmiWindowExiting;
  s.vmcs().guest_interruptibility = interruptibility::kBlockingByNmi;
  s.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  s.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  s.cpu.set_intercept_exceptions(true);
  s.cpu.run(s.cpu.icount() + 50);
  REQUIRE(s.cpu.vmx_non_root());
  s.cpu.raise_nmi();
  s.run_to_exception();
  CHECK(basic(s) == 0);
  CHECK(s.vmcs().exit_interruption_info == (intr_info::kValid | 2u << 8 | kNMI));
  CHECK((s.vmcs().guest_interruptibility & interruptibility::kBlockingByNmi) != 0);
  CHECK(!s.cpu.nmi_blocked_);
}

TEST_CASE("an NMI-window exit takes priority over a pending NMI (SDM Vol. 3C §26.7.6)") {
  VmxRig r;
  ready(r).vmcs().pin_controls |= pin::kNmiExiting | pin::kVirtualNmis;
  r.load(VmxRig::kGuestCode, g_loop, g_loop_end);
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  r.cpu.set_intercept_exceptions(true);
  r.cpu.run(r.cpu.icount() + 50);
  REQUIRE(r.cpu.vmx_non_root());
  // The window opens while an NMI is pending: the window's exit comes first
  // (the NMI is then the host's, as NMI exiting no longer applies).
  r.vmcs().proc_controls |= proc::kNmiWindowExiting;
  r.cpu.raise_nmi();
  r.run_to_exception();
  CHECK(basic(r) == 8);
  CHECK((r.vmcs().exit_interruption_info & intr_info::kValid) == 0);
}

TEST_CASE("injection: a software interrupt returns past the instruction length; an external interrupt") {
  VmxRig r;
  ready(r);
  r.gate(0x80, 0x31000);
  r.load(0x31000, g_int_handler, g_int_handler_end);
  r.vmcs().entry_interruption_info = intr_info::kValid | 4u << 8 | 0x80;  // INT 80H
  r.vmcs().entry_instruction_length = 2;
  REQUIRE(r.launch(g_loop, g_loop_end));
  CHECK(basic(r) == 10);  // the handler's CPUID
  CHECK(r.cpu.gpr[RSI] == 0x99);
  CHECK(r.get(VmxRig::kGuestStack - 40, 8) == VmxRig::kGuestCode + 2);  // return RIP: past the "INT"
  VmxRig e;
  ready(e);
  e.gate(0x41, 0x31000);
  e.load(0x31000, g_int_handler, g_int_handler_end);
  e.vmcs().guest_rflags |= fl::IF;
  e.vmcs().entry_interruption_info = intr_info::kValid | 0x41;  // external interrupt 41H
  REQUIRE(e.launch(g_loop, g_loop_end));
  CHECK(basic(e) == 10);
  CHECK(e.get(VmxRig::kGuestStack - 40, 8) == VmxRig::kGuestCode);  // return RIP: the guest RIP
  CHECK((e.get(VmxRig::kGuestStack - 24, 8) & fl::IF) != 0);        // RFLAGS image with IF
  CHECK((e.cpu.rflags() & fl::IF) == 0);                            // host RFLAGS = 2 after the exit
}

TEST_CASE("activity state HLT: the guest waits; an interrupt-window exit when it may take an interrupt") {
  VmxRig r;
  ready(r).vmcs().guest_activity_state = u32(Activity::Hlt);
  r.vmcs().guest_rflags |= fl::IF;
  r.vmcs().proc_controls |= proc::kInterruptWindowExiting;
  REQUIRE(r.launch(g_loop, g_loop_end));
  CHECK(basic(r) == 7);
  CHECK(r.vmcs().guest_activity_state == u32(Activity::Hlt));  // it exited from the HLT state
  CHECK(r.cpu.gpr[RCX] == 0);                                  // no guest instruction ran
  // External-interrupt exiting wakes a halted guest with IF = 0 too.
  VmxRig e;
  OneIrq irq;
  e.cpu.set_interrupt_source(&irq);
  ready(e).vmcs().guest_activity_state = u32(Activity::Hlt);
  e.vmcs().pin_controls |= pin::kExternalInterruptExiting;
  e.sched.schedule_at(e.cpu.icount() + 500, "nothing", [] {});  // something in the future to wait for
  REQUIRE(e.launch(g_loop, g_loop_end));
  CHECK(basic(e) == 1);
  CHECK(e.cpu.gpr[RCX] == 0);
}

TEST_CASE("pending debug exceptions: BS with TF loaded at entry is a #DB before the first guest instruction") {
  VmxRig r;
  ready(r).vmcs().exception_bitmap = 1u << kDB;
  r.vmcs().guest_rflags |= fl::TF;
  r.vmcs().guest_pending_debug = dr6::BS;
  r.vmcs().guest_interruptibility = interruptibility::kBlockingByMovSs;
  REQUIRE(r.launch(g_inc3, g_inc3_end));
  CHECK(basic(r) == 0);
  CHECK((r.vmcs().exit_interruption_info & 0xff) == kDB);
  CHECK(r.cpu.gpr[RCX] == 0);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
}

TEST_CASE("a PAE guest: VM entry loads its PDPTEs from CR3; it runs and exits") {
  VmxRig r;
  ready(r);
  constexpr u64 kPdpt = 0x108000, kPd = 0x109000;
  r.put64(kPdpt, kPd | 1);
  r.put64(kPd, 0x83);  // 2 MiB at 0
  Vmcs& v = r.vmcs();
  v.entry_controls &= ~entry_ctl::kIa32eModeGuest;
  v.guest_cr3 = kPdpt;
  v.guest_cs_ar = 0xc09b;
  REQUIRE(r.launch(g_cpuid, g_cpuid_end));
  CHECK(basic(r) == 10);
  CHECK(r.vmcs().guest_cr3 == kPdpt);
  CHECK(!(r.vmcs().entry_controls & entry_ctl::kIa32eModeGuest));  // EFER.LMA was 0
  CHECK(r.cpu.long64());                                           // and the host is back in 64-bit mode
}

namespace {
// Runs the same VMX scenario (timer, interrupts, MSR exits) and returns a
// digest of everything the CPU and VMX hold.
std::vector<u8> scenario_state() {
  VmxRig r;
  ready(r).vmcs().pin_controls |= pin::kPreemptionTimer;
  r.vmcs().exit_controls |= exit_ctl::kSavePreemptionTimer;
  r.vmcs().preemption_timer_value = 7;
  r.launch(g_loop, g_loop_end, 100000);
  for (int k = 0; k < 5; ++k) {
    r.vmcs().preemption_timer_value = 3 + k;
    r.resume(100000);
  }
  Serializer s;
  r.vmx().serialize(s);
  std::vector<u8> out = s.data();
  for (u64 g : r.cpu.gpr)
    for (int b = 0; b < 8; ++b) out.push_back(u8(g >> (8 * b)));
  for (int b = 0; b < 8; ++b) out.push_back(u8(r.cpu.icount() >> (8 * b)));
  return out;
}
}  // namespace

TEST_CASE("determinism: the same VMX run twice gives the same state, bit for bit") {
  const std::vector<u8> a = scenario_state(), b = scenario_state();
  CHECK(a.size() > 100);
  CHECK(a == b);
}

TEST_CASE("use TPR shadow: MOV CR8 uses the virtual TPR; below the threshold a trap-like exit (43)") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kUseTprShadow;
  r.vmcs().virtual_apic_page_addr = VmxRig::kData;
  r.mem.write(VmxRig::kData + 0x80, 4, 0x50);  // VTPR 5
  r.vmcs().tpr_threshold = 3;
  r.cpu.gpr[RAX] = 7;
  r.launch(g_mov_cr8_rax, g_mov_cr8_rax_end);  // no exit: the guest runs to its UD2
  REQUIRE(r.cpu.vmx_non_root());
  CHECK(r.get(VmxRig::kData + 0x80, 4) == 0x70);
  CHECK(r.cpu.cr8 == 0);  // the real TPR did not change
  // Lowering it below the threshold (3): exit after the MOV.
  VmxRig b;
  ready(b).vmcs().proc_controls |= proc::kUseTprShadow;
  b.vmcs().virtual_apic_page_addr = VmxRig::kData;
  b.mem.write(VmxRig::kData + 0x80, 4, 0x50);
  b.vmcs().tpr_threshold = 3;
  b.cpu.gpr[RAX] = 2;
  REQUIRE(b.launch(g_mov_cr8_rax, g_mov_cr8_rax_end));
  CHECK(basic(b) == 43);
  CHECK(b.vmcs().guest_rip == VmxRig::kGuestCode + 4);  // trap-like: after MOV CR8 (4 bytes)
  CHECK(b.get(VmxRig::kData + 0x80, 4) == 0x20);
  // MOV from CR8 reads VTPR[7:4].
  VmxRig f;
  ready(f).vmcs().proc_controls |= proc::kUseTprShadow;
  f.vmcs().virtual_apic_page_addr = VmxRig::kData;
  f.mem.write(VmxRig::kData + 0x80, 4, 0x90);
  f.put(VmxRig::kGuestCode, {0x44, 0x0f, 0x20, 0xc0, 0x0f, 0x0b});  // mov rax, cr8; ud2
  f.cpu.gpr[RAX] = 0;
  f.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  f.run_to_exception();
  REQUIRE(f.cpu.vmx_non_root());
  CHECK(f.cpu.gpr[RAX] == 9);
}

TEST_CASE("VMCS shadowing: the guest's VMREAD/VMWRITE use the shadow VMCS; a bitmap bit makes them exit") {
  auto setup = [](VmxRig& r) {
    ready(r).vmcs().proc_controls |= proc::kSecondaryControls;
    r.vmcs().proc2_controls = proc2::kVmcsShadowing;
    r.mem.write(VmxRig::kVmcs2, 4, kVmcsRevision | 0x80000000u);  // the shadow VMCS
    r.vmcs().vmcs_link_pointer = VmxRig::kVmcs2;
    r.vmcs().vmread_bitmap = VmxRig::kIoBitmapA, r.vmcs().vmwrite_bitmap = VmxRig::kIoBitmapB;  // zero pages
    r.cpu.gpr[RAX] = u32(Field::GUEST_RIP), r.cpu.gpr[RBX] = 0x4321;
  };
  VmxRig r;
  setup(r);
  REQUIRE(r.launch(g_vmwrite_vmread, g_vmwrite_vmread_end));
  CHECK(basic(r) == 10);                                // both ran in the guest; its CPUID exited
  CHECK(r.cpu.gpr[RCX] == 0x4321);                      // read back from the shadow VMCS
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode + 6);  // the current VMCS was not written
  bool high = false;
  CHECK(read_region_field(r.mem, VmxRig::kVmcs2, *find_field(u32(Field::GUEST_RIP), &high)) == 0x4321);
  // The VMWRITE-bitmap bit of GUEST_RIP set: VMWRITE exits (25).
  VmxRig b;
  setup(b);
  const u32 enc = u32(Field::GUEST_RIP);
  b.mem.write(VmxRig::kIoBitmapB + enc / 8, 1, 1u << (enc % 8));
  REQUIRE(b.launch(g_vmwrite_vmread, g_vmwrite_vmread_end));
  CHECK(basic(b) == 25);
}

TEST_CASE("TSC scaling: RDTSC in the guest returns TSC * multiplier / 2^48 + offset") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kUseTscOffsetting | proc::kSecondaryControls;
  r.vmcs().proc2_controls = proc2::kUseTscScaling;
  r.vmcs().tsc_multiplier = u64(3) << 47;  // 1.5
  r.vmcs().tsc_offset = 1000;
  r.cpu.msr.tsc_adjust = 1'000'000;  // so the scaled part dominates
  r.launch(g_rdtsc, g_rdtsc_end);
  REQUIRE(r.cpu.vmx_non_root());
  const u64 guest = r.cpu.gpr[RDX] << 32 | u32(r.cpu.gpr[RAX]);
  const u64 host = r.cpu.icount() + r.cpu.msr.tsc_adjust;  // now, a few ticks after the RDTSC
  CHECK(guest >= 1'500'000 + 1000);
  CHECK(guest <= host * 3 / 2 + 1000);
  CHECK(guest + 30 >= host * 3 / 2 + 1000);
}

TEST_CASE("PAUSE-loop exiting: PAUSEs closer than PLE_Gap for longer than PLE_Window exit (40)") {
  VmxRig r;
  ready(r).vmcs().proc_controls |= proc::kSecondaryControls;
  r.vmcs().proc2_controls = proc2::kPauseLoopExiting;
  r.vmcs().ple_gap = 8, r.vmcs().ple_window = 100;
  r.put(VmxRig::kGuestCode, {0xf3, 0x90, 0xeb, 0xfc});  // 1: pause; jmp 1b
  r.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  const u64 start = r.cpu.icount();
  r.run_to_exception(1000);
  REQUIRE(r.in_host());
  CHECK(basic(r) == 40);
  CHECK(r.vmcs().guest_rip == VmxRig::kGuestCode);
  const u64 took = r.cpu.icount() - start;
  CHECK(took > 100);
  CHECK(took < 110);
  // PAUSEs farther apart than the gap never make a loop that long.
  VmxRig g;
  ready(g).vmcs().proc_controls |= proc::kSecondaryControls;
  g.vmcs().proc2_controls = proc2::kPauseLoopExiting;
  g.vmcs().ple_gap = 3, g.vmcs().ple_window = 20;
  g.put(VmxRig::kGuestCode, {0xf3, 0x90, 0x90, 0x90, 0x90, 0xeb, 0xf9});  // 1: pause; nop x4; jmp 1b
  g.host_runs(VmxRig::vmlaunch_begin(), VmxRig::vmlaunch_end());
  g.run_to_exception(500);
  CHECK(g.cpu.vmx_non_root());
}

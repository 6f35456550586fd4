// A 64-bit host at CPL 0 (LongModeRig) with VMX enabled, a VMXON region and
// a VMCS region, and a VMCS that enters a 64-bit guest sharing the host's
// GDT, IDT and page tables: the starting point every VMX test changes.
#pragma once
#include <doctest/doctest.h>

#include "cpu/msr_table.h"
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/entry_checks.h"
#include "cpu/vmx/guest_segments.h"
#include "cpu/vmx/vmx.h"
#include "tests/support/cpu_rig.h"

#define SNIPPET(name) extern "C" const vtlab::u8 name[], name##_end[]

namespace vmx_test {

using namespace vtlab;
using namespace vtlab::testing;
using namespace vtlab::vmx;

struct VmxRig : LongModeRig {
  static constexpr u64 kVmxon = 0x100000, kVmcs = 0x101000, kVmcs2 = 0x102000;
  static constexpr u64 kMsrBitmap = 0x103000, kIoBitmapA = 0x104000, kIoBitmapB = 0x105000, kMsrArea = 0x106000;
  static constexpr u64 kHostCode = 0x20000, kHostExit = 0x21000, kGuestCode = 0x30000, kGuestStack = 0x38000;
  static constexpr u64 kData = 0x40000;

  VmxRig() {
    cpu.cr4 |= cr4::VMXE;
    cpu.cr0 |= cr0::NE;
    cpu.msr.feature_control = kFeatureControlLock | kFeatureControlVmxOutsideSmx;
    mem.write(kVmxon, 4, kVmcsRevision);
    mem.write(kVmcs, 4, kVmcsRevision);
    mem.write(kVmcs2, 4, kVmcsRevision);
    // The TSS descriptor busy (type 0BH), as LTR leaves it: the guest's TR.
    put64(kGdt + 0x30, mem.read(kGdt + 0x30, 8) | u64(2) << 40);
    cpu.tr.attr |= 2;
    put(kHostExit, {0xf4, 0x0f, 0x0b});  // the host resumes at HLT (IF = 0: the run stops there)
    cpu.mode_changed();
  }
  Vmx& vmx() { return cpu.vmx(); }
  Vmcs& vmcs() { return cpu.vmx().vmcs(); }
  void load(u64 pa, const u8* b, const u8* e) { mem.write_block(pa, b, size_t(e - b)); }

  // VMX root operation with kVmcs current, as VMXON and VMPTRLD leave it.
  void enter_root() {
    vmx().enter_operation(kVmxon);
    vmx().load_current(kVmcs);
  }

  // A VMCS that passes every entry check: the must-be-one controls, a
  // 64-bit host resuming at kHostExit, a 64-bit guest at `guest_rip`.
  void valid_vmcs(u64 guest_rip = kGuestCode) {
    Vmcs& v = vmcs();
    v = Vmcs{};
    v.pin_controls = pin_rule().must_be_one;
    v.proc_controls = proc_rule().must_be_one;
    v.exit_controls = exit_rule().must_be_one | exit_ctl::kHostAddressSpaceSize;
    v.entry_controls = entry_rule().must_be_one | entry_ctl::kIa32eModeGuest;
    v.vmcs_link_pointer = ~u64(0);
    v.host_cr0 = cpu.cr0, v.host_cr3 = cpu.cr3, v.host_cr4 = cpu.cr4;
    v.host_cs_selector = 0x08, v.host_ss_selector = 0x10, v.host_ds_selector = 0x10, v.host_es_selector = 0x10;
    v.host_fs_selector = 0, v.host_gs_selector = 0, v.host_tr_selector = 0x30;
    v.host_tr_base = kTss, v.host_gdtr_base = kGdt, v.host_idtr_base = kIdt;
    v.host_rsp = kKernelStack, v.host_rip = kHostExit;
    v.guest_cr0 = cpu.cr0, v.guest_cr3 = cpu.cr3, v.guest_cr4 = cpu.cr4;
    v.guest_dr7 = 0x400;
    v.guest_rsp = kGuestStack, v.guest_rip = guest_rip, v.guest_rflags = 2;
    v.guest_cs_selector = 0x08, v.guest_cs_limit = 0xffffffff, v.guest_cs_ar = 0xa09b;  // code, L, G
    for (unsigned s : {ES, SS, DS, FS, GS}) {
      v.*kGuestSegs[s].selector = 0x10;
      v.*kGuestSegs[s].limit = 0xffffffff;
      v.*kGuestSegs[s].ar = 0xc093;  // data, D/B, G
    }
    v.guest_ldtr_ar = ar::Unusable;
    v.guest_tr_selector = 0x30, v.guest_tr_base = kTss, v.guest_tr_limit = 0x67, v.guest_tr_ar = 0x8b;
    v.guest_gdtr_base = kGdt, v.guest_gdtr_limit = 0x3f, v.guest_idtr_base = kIdt, v.guest_idtr_limit = 0xfff;
  }
  // EPT tables at kEpt mapping the first 2 MiB one to one in 4-KiB pages
  // (PML4, PDPT, PD, PT), write-back; kEptp points at them (4 levels).
  static constexpr u64 kEpt = 0x110000, kEptp = kEpt | 6 | 3 << 3;
  void build_identity_ept() {
    put64(kEpt, (kEpt + 0x1000) | 7);
    put64(kEpt + 0x1000, (kEpt + 0x2000) | 7);
    put64(kEpt + 0x2000, (kEpt + 0x3000) | 7);
    for (u64 p = 0; p < 512; ++p) put64(kEpt + 0x3000 + 8 * p, p << 12 | 7 | 6 << 3);
  }
  // The EPT PTE of guest-physical page `gpa` (identity frame, `bits`).
  void ept_pte(u64 gpa, u64 bits) { put64(kEpt + 0x3000 + 8 * (gpa >> 12), (gpa & ~u64(0xfff)) | bits); }
  const EntryCheck* failed_check() { return first_failed_check(EntryContext(vmcs(), mem, cpu.efer & efer::LMA)); }

  // Host code at kHostCode: `snippet` (a VMX instruction then UD2).
  void host_runs(const u8* b, const u8* e) {
    load(kHostCode, b, e);
    cpu.rip = kHostCode;
    cpu.halted = false;
  }
  // Runs until an exception stops it (exceptions intercepted); the vector.
  int run_to_exception(u64 max = 1000, bool intercept = true) {
    cpu.set_intercept_exceptions(intercept);
    const StopCause s = cpu.run(cpu.icount() + max);
    return s == StopCause::Exception ? cpu.intercepted_exception().vector : -1;
  }
  // VMLAUNCH of the current VMCS into `guest` (copied to kGuestCode); runs
  // until the host halts at kHostExit after the VM exit (or, with
  // `intercept`, until any exception). True if it stopped there.
  bool launch(const u8* gb, const u8* ge, u64 max = 1000, bool intercept = true) {
    load(kGuestCode, gb, ge);
    host_runs(vmlaunch_begin(), vmlaunch_end());
    run_to_exception(max, intercept);
    return in_host();
  }
  // After an exit: VMRESUME and run to the next exit.
  bool resume(u64 max = 1000) {
    host_runs(vmresume_begin(), vmresume_end());
    run_to_exception(max);
    return in_host();
  }
  bool in_host() { return !cpu.vmx_non_root() && cpu.halted && cpu.rip == kHostExit + 1; }
  u32 exit_reason() { return vmcs().exit_reason; }
  bool zf() { return cpu.rflags() & fl::ZF; }
  bool cf() { return cpu.rflags() & fl::CF; }
  static const u8* vmlaunch_begin();
  static const u8* vmlaunch_end();
  static const u8* vmresume_begin();
  static const u8* vmresume_end();
};

}  // namespace vmx_test

SNIPPET(vmlaunch_);
SNIPPET(vmresume_);
inline const vtlab::u8* vmx_test::VmxRig::vmlaunch_begin() { return vmlaunch_; }
inline const vtlab::u8* vmx_test::VmxRig::vmlaunch_end() { return vmlaunch__end; }
inline const vtlab::u8* vmx_test::VmxRig::vmresume_begin() { return vmresume_; }
inline const vtlab::u8* vmx_test::VmxRig::vmresume_end() { return vmresume__end; }

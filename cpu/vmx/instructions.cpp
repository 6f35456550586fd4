// The VMX instructions (SDM Vol. 3C ch. 31, "VMX Instruction Reference"):
// each handler follows its instruction's "Operation" pseudocode, in order:
// #UD conditions, the VM exit in non-root operation, #GP(0) at CPL > 0,
// then VMsucceed / VMfailInvalid / VMfailValid(error). Faults on a memory
// operand come before any flag or VMCS change (precise faults).
#include <Zydis/Zydis.h>

#include "cpu/dispatch.h"
#include "cpu/insn_table.h"
#include "cpu/msr_table.h"
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/entry_checks.h"
#include "cpu/vmx/instruction_info.h"
#include "cpu/vmx/vmx.h"
#include "mmu/paging.h"

namespace vtlab {
namespace {

using namespace vmx;

// Compatibility mode: IA32_EFER.LMA = 1 and CS.L = 0.
bool compatibility_mode(const Cpu& c) { return (c.efer & efer::LMA) && !c.long64(); }

// A physical address a VMCS or VMXON region can have: 4-KByte aligned,
// within the physical-address width (SDM Vol. 3C §31.3).
bool valid_region_address(u64 pa) { return (pa & 0xfff) == 0 && (pa >> kMaxPhysAddrBits) == 0; }

// The checks that begin VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMLAUNCH,
// VMRESUME, INVEPT and INVVPID: #UD outside VMX operation, in
// virtual-8086 or compatibility mode; a VM exit in non-root operation;
// #GP(0) at CPL > 0.
void common_checks(Cpu& c, const Insn& i, ExitReason reason, u64 qualification = 0, u32 info = 0) {
  if (!c.vmx().in_operation() || !c.protected_mode() || c.v86() || compatibility_mode(c)) c.raise(kUD);
  if (c.vmx_non_root()) c.vmx().instruction_exit(ExitInfo{reason, qualification, 0, 0, 0, info}, i.len);
  if (c.cpl > 0) c.raise(kGP, 0);
}

// The 64-bit operand of VMXON, VMCLEAR, VMPTRLD (a register operand would
// be #UD; those encodings do not decode).
u64 read_pointer_operand(Cpu& c, const Insn& i) {
  if (i.op[0].kind != OpKind::Mem) c.raise(kUD);
  return c.read_lin<u64>(c.mem_linear(i, 8, Access::Read));
}

ExitInfo memory_operand_exit(ExitReason r, const Insn& i) {
  return ExitInfo{r, displacement(i, 0), 0, 0, 0, instruction_info(i, 0, -1)};
}

// VMXON m64.
void vmxon(Cpu& c, const Insn& i) {
  Vmx& v = c.vmx();
  if (i.op[0].kind != OpKind::Mem || !c.protected_mode() || !(c.cr4 & cr4::VMXE) || c.v86() || compatibility_mode(c))
    c.raise(kUD);
  if (!v.in_operation()) {
    // IA32_FEATURE_CONTROL must be locked with VMX outside SMX enabled.
    const u64 fc = c.msr.feature_control;
    if (c.cpl > 0 || !v.cr0_allowed(c.cr0) || !v.cr4_allowed(c.cr4) || !(fc & kFeatureControlLock) ||
        !(fc & kFeatureControlVmxOutsideSmx))
      c.raise(kGP, 0);
    const u64 pa = read_pointer_operand(c, i);
    if (!valid_region_address(pa)) return v.fail_invalid();
    const u32 rev = u32(c.mem().read(pa, 4));
    if ((rev & 0x7fffffff) != kVmcsRevision || (rev >> 31)) return v.fail_invalid();
    v.enter_operation(pa);
    return v.succeed();
  }
  if (c.vmx_non_root()) v.instruction_exit(memory_operand_exit(ExitReason::VMXON, i), i.len);
  if (c.cpl > 0) c.raise(kGP, 0);
  v.fail(VmError::VmxonInRoot);
}

void vmxoff(Cpu& c, const Insn& i) {
  common_checks(c, i, ExitReason::VMXOFF);
  c.vmx().leave_operation();
  c.vmx().succeed();
  c.end_block();  // CR4.VMXE may be cleared again; INIT is unblocked
}

void vmclear(Cpu& c, const Insn& i) {
  common_checks(c, i, ExitReason::VMCLEAR, displacement(i, 0), instruction_info(i, 0, -1));
  Vmx& v = c.vmx();
  const u64 pa = read_pointer_operand(c, i);
  if (!valid_region_address(pa)) return v.fail(VmError::VmclearInvalidAddress);
  if (pa == v.vmxon_pointer()) return v.fail(VmError::VmclearVmxonPointer);
  v.clear(pa);
  v.succeed();
}

void vmptrld(Cpu& c, const Insn& i) {
  common_checks(c, i, ExitReason::VMPTRLD, displacement(i, 0), instruction_info(i, 0, -1));
  Vmx& v = c.vmx();
  const u64 pa = read_pointer_operand(c, i);
  if (!valid_region_address(pa)) return v.fail(VmError::VmptrldInvalidAddress);
  if (pa == v.vmxon_pointer()) return v.fail(VmError::VmptrldVmxonPointer);
  const u32 rev = u32(c.mem().read(pa, 4));
  // Bit 31, the shadow-VMCS indicator, is allowed only with VMCS shadowing.
  if ((rev & 0x7fffffff) != kVmcsRevision || ((rev >> 31) && !supports_proc2(proc2::kVmcsShadowing)))
    return v.fail(VmError::VmptrldBadRevision);
  v.load_current(pa);
  v.succeed();
}

void vmptrst(Cpu& c, const Insn& i) {
  common_checks(c, i, ExitReason::VMPTRST, displacement(i, 0), instruction_info(i, 0, -1));
  if (i.op[0].kind != OpKind::Mem) c.raise(kUD);
  c.write_lin<u64>(c.mem_linear(i, 8, Access::Write), c.vmx().current_vmcs_pointer());
  c.vmx().succeed();
}

// VMREAD r/m, r and VMWRITE r, r/m: 64-bit operands in 64-bit mode, 32-bit
// outside it (SDM Vol. 3C §31.3).
unsigned vmcs_operand_size(const Cpu& c) { return c.long64() ? 8 : 4; }

u64 read_gpr_operand(const Cpu& c, const Insn& i, int n) {
  const u64 v = c.gpr[i.op[n].reg];
  return vmcs_operand_size(c) == 8 ? v : u32(v);
}

// In non-root operation VMREAD/VMWRITE exit unless "VMCS shadowing" is 1,
// the encoding fits in bits 14:0 and its bit in the VMREAD/VMWRITE bitmap
// is 0; then they access the shadow VMCS the VMCS link pointer names (SDM
// Vol. 3C §26.1.3, §25.6.15). Returns the shadow VMCS's address, or 0 when
// the instruction works on the current VMCS (root operation).
u64 shadow_target(Cpu& c, const Insn& i, ExitReason reason, int rm, int reg, int encoding_op) {
  if (!c.vmx_non_root()) return 0;
  const Vmcs& s = c.vmx().vmcs();
  const bool shadowing = (s.proc_controls & proc::kSecondaryControls) && (s.proc2_controls & proc2::kVmcsShadowing);
  const u64 enc = read_gpr_operand(c, i, encoding_op);
  bool exits = !shadowing || (enc >> 15);
  if (!exits) {
    const u64 bitmap = reason == ExitReason::VMREAD ? s.vmread_bitmap : s.vmwrite_bitmap;
    exits = (c.mem().read(bitmap + (enc & 0x7fff) / 8, 1) >> (enc & 7)) & 1;
  }
  if (exits)
    c.vmx().instruction_exit(ExitInfo{reason, displacement(i, rm), 0, 0, 0, instruction_info(i, rm, reg)}, i.len);
  return s.vmcs_link_pointer;
}

// The VMREAD/VMWRITE checks before the field is looked up; false if the
// instruction ended (VMfailInvalid). *shadow: the shadow VMCS to access.
bool vmread_vmwrite_checks(Cpu& c, const Insn& i, ExitReason reason, int rm, int reg, u64* shadow) {
  if (!c.vmx().in_operation() || c.v86() || compatibility_mode(c)) c.raise(kUD);
  *shadow = shadow_target(c, i, reason, rm, reg, reg);
  if (c.cpl > 0) c.raise(kGP, 0);
  const bool valid = c.vmx_non_root() ? *shadow != ~u64(0) : c.vmx().current_valid();
  if (!valid) {
    c.vmx().fail_invalid();
    return false;
  }
  return true;
}

// VMREAD r/m, r: the field named by the register, into r/m.
void vmread(Cpu& c, const Insn& i) {
  u64 shadow = 0;
  if (!vmread_vmwrite_checks(c, i, ExitReason::VMREAD, 0, 1, &shadow)) return;
  Vmx& v = c.vmx();
  bool high = false;
  const FieldInfo* f = find_field(read_gpr_operand(c, i, 1), &high);
  if (!f) return v.fail(VmError::UnsupportedComponent);
  u64 value = shadow ? read_region_field(c.mem(), shadow, *f) : read_field(v.vmcs(), *f);
  if (high) value >>= 32;
  if (i.op[0].kind == OpKind::Mem) {
    if (vmcs_operand_size(c) == 8)
      c.write_lin<u64>(c.mem_linear(i, 8, Access::Write), value);
    else
      c.write_lin<u32>(c.mem_linear(i, 4, Access::Write), u32(value));
  } else {
    c.gpr[i.op[0].reg] = vmcs_operand_size(c) == 8 ? value : u32(value);
  }
  v.succeed();
}

// VMWRITE r, r/m: r/m into the field named by the register. A field
// wider than the operand is zero-extended; the high encoding of a 64-bit
// field writes bits 63:32 (SDM Vol. 3C §25.11.2).
void vmwrite(Cpu& c, const Insn& i) {
  u64 shadow = 0;
  if (!vmread_vmwrite_checks(c, i, ExitReason::VMWRITE, 1, 0, &shadow)) return;
  Vmx& v = c.vmx();
  u64 value;
  if (i.op[1].kind == OpKind::Mem)
    value = vmcs_operand_size(c) == 8 ? c.read_lin<u64>(c.mem_linear(i, 8, Access::Read))
                                      : c.read_lin<u32>(c.mem_linear(i, 4, Access::Read));
  else
    value = read_gpr_operand(c, i, 1);
  bool high = false;
  const FieldInfo* f = find_field(read_gpr_operand(c, i, 0), &high);
  if (!f) return v.fail(VmError::UnsupportedComponent);
  // IA32_VMX_MISC[29]: VMWRITE may write the VM-exit information fields.
  if (f->access == FieldAccess::RO && !(capability(cap_msr::kMisc) & (u64(1) << 29)))
    return v.fail(VmError::VmwriteReadOnly);
  const u64 old = shadow ? read_region_field(c.mem(), shadow, *f) : read_field(v.vmcs(), *f);
  if (high) value = (old & 0xffffffff) | (value & 0xffffffff) << 32;
  if (shadow)
    write_region_field(c.mem(), shadow, *f, value);
  else
    write_field(v.vmcs(), *f, value);
  v.succeed();
}

void vmlaunch(Cpu& c, const Insn& i) {
  common_checks(c, i, ExitReason::VMLAUNCH);
  c.vmx().vm_entry(true);
}

void vmresume(Cpu& c, const Insn& i) {
  common_checks(c, i, ExitReason::VMRESUME);
  c.vmx().vm_entry(false);
}

// VMCALL: a VM exit in non-root operation; in root operation it would
// call the SMM monitor, which vtlab does not have (no dual-monitor
// treatment): VMfail(VMCALL executed in VMX root operation).
void vmcall(Cpu& c, const Insn& i) {
  Vmx& v = c.vmx();
  if (!v.in_operation()) c.raise(kUD);
  if (c.vmx_non_root()) v.instruction_exit(ExitInfo{ExitReason::VMCALL}, i.len);
  if (c.v86() || compatibility_mode(c)) c.raise(kUD);
  if (c.cpl > 0) c.raise(kGP, 0);
  v.fail(VmError::VmcallInRoot);
}

// INVEPT r, m128 / INVVPID r, m128: #UD unless the processor supports
// them (IA32_VMX_EPT_VPID_CAP bits 20 and 32); the type in the register
// must be one the capability MSR reports (VMfail 28).
template <bool EPT>
void invept_invvpid(Cpu& c, const Insn& i) {
  const u64 caps = capability(cap_msr::kEptVpidCap);
  const bool supported = EPT ? supports_proc2(proc2::kEnableEpt) && (caps & (u64(1) << 20))
                             : supports_proc2(proc2::kEnableVpid) && (caps & (u64(1) << 32));
  if (!supported) c.raise(kUD);
  common_checks(c, i, EPT ? ExitReason::INVEPT : ExitReason::INVVPID, displacement(i, 1), instruction_info(i, 1, 0));
  Vmx& v = c.vmx();
  const u64 type = c.long64() ? c.gpr[i.op[0].reg] : u32(c.gpr[i.op[0].reg]);
  const u64 lin = c.mem_linear(i, 16, Access::Read);
  const u64 lo = c.read_lin<u64>(lin), hi = c.read_lin<u64>(lin + 8);
  // INVEPT types 1 (single context, cap bit 25), 2 (all contexts, bit 26);
  // INVVPID types 0-3 (bits 40-43).
  const bool type_ok = EPT ? (type == 1 || type == 2) && (caps & (u64(1) << (24 + type)))
                           : type <= 3 && (caps & (u64(1) << (40 + type)));
  if (!type_ok) return v.fail(VmError::InvalidInveptInvvpidOperand);
  // Single-context INVEPT fails where VM entry would fail on the EPTP (its
  // memory type, walk length, reserved bits; SDM Vol. 3C §31.3 INVEPT).
  if (EPT && type == 1 && !eptp_valid(lo)) return v.fail(VmError::InvalidInveptInvvpidOperand);
  if (!EPT && type != 2 && (lo & 0xffff) == 0) return v.fail(VmError::InvalidInveptInvvpidOperand);  // VPID 0
  if (!EPT && lo >> 16) return v.fail(VmError::InvalidInveptInvvpidOperand);  // descriptor bits 63:16 reserved
  if (!EPT && type == 0 && !Cpu::is_canonical(hi)) return v.fail(VmError::InvalidInveptInvvpidOperand);
  // SDM Vol. 3C §29.4.3.3 (INVEPT: one EP4TA or all; INVVPID: an address,
  // one VPID with or without its global mappings, or every VPID but 0).
  if (EPT) {
    if (type == 1)
      c.invalidate_ept(lo);
    else
      c.invalidate_all_ept();
  } else {
    const u16 vpid = u16(lo);
    switch (type) {
      case 0:
        c.invalidate_vpid_address(vpid, hi);
        break;
      case 1:
        c.invalidate_vpid(vpid, false);
        break;
      case 2:
        c.invalidate_all_vpids();
        break;
      default:
        c.invalidate_vpid(vpid, true);
        break;
    }
  }
  v.succeed();
}

// VMFUNC: #UD outside non-root operation or with "enable VM functions"
// 0; a function the VM-function controls do not enable exits (SDM Vol. 3C
// §26.5.6). Function 0, EPTP switching (§26.5.6.3): ECX indexes the
// 512-entry EPTP list; a valid entry becomes the EPT pointer (translations
// stay tagged by it), an index >= 512 or an invalid entry exits.
void vmfunc(Cpu& c, const Insn& i) {
  if (!c.vmx_non_root()) c.raise(kUD);
  const Vmcs& s = c.vmx().vmcs();
  const bool enabled = (s.proc_controls & proc::kSecondaryControls) && (s.proc2_controls & proc2::kEnableVmfunc);
  if (!enabled) c.raise(kUD);
  const u64 function = u32(c.gpr[RAX]), index = u32(c.gpr[RCX]);
  if (function != 0 || !(s.vm_function_control & 1) || index >= 512)
    c.vmx().instruction_exit(ExitInfo{ExitReason::VMFUNC}, i.len);
  const u64 eptp = c.mem().read(s.eptp_list_addr + 8 * index, 8);
  if (!eptp_valid(eptp)) c.vmx().instruction_exit(ExitInfo{ExitReason::VMFUNC}, i.len);
  c.vmx().switch_eptp(eptp, u16(index));
}

constexpr u8 kEnds = attr::kEndsBlock;

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_VMXON, VTLAB_ONE(vmxon), kEnds},
    {ZYDIS_MNEMONIC_VMXOFF, VTLAB_ONE(vmxoff), kEnds},
    {ZYDIS_MNEMONIC_VMCLEAR, VTLAB_ONE(vmclear), kEnds},
    {ZYDIS_MNEMONIC_VMPTRLD, VTLAB_ONE(vmptrld), kEnds},
    {ZYDIS_MNEMONIC_VMPTRST, VTLAB_ONE(vmptrst)},
    {ZYDIS_MNEMONIC_VMREAD, VTLAB_ONE(vmread)},
    {ZYDIS_MNEMONIC_VMWRITE, VTLAB_ONE(vmwrite)},
    {ZYDIS_MNEMONIC_VMLAUNCH, VTLAB_ONE(vmlaunch), kEnds},
    {ZYDIS_MNEMONIC_VMRESUME, VTLAB_ONE(vmresume), kEnds},
    {ZYDIS_MNEMONIC_VMCALL, VTLAB_ONE(vmcall), kEnds},
    {ZYDIS_MNEMONIC_INVEPT, VTLAB_ONE(invept_invvpid<true>), kEnds},
    {ZYDIS_MNEMONIC_INVVPID, VTLAB_ONE(invept_invvpid<false>), kEnds},
    {ZYDIS_MNEMONIC_VMFUNC, VTLAB_ONE(vmfunc), kEnds},
};

}  // namespace

std::span<const InsnRow> vmx_rows() { return kRows; }

}  // namespace vtlab

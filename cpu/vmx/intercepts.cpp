// Exit conditions of instructions in VMX non-root operation (SDM Vol. 3C
// §26.1.2 unconditional, §26.1.3 by control; §26.3 changed behaviour;
// §28.2.1 exit qualifications, §28.2.5 instruction information).
#include "cpu/vmx/intercepts.h"

#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/instruction_info.h"
#include "cpu/vmx/vmx.h"

namespace vtlab::vmx {
namespace {

const Vmcs& vmcs(Cpu& c) { return c.vmx().vmcs(); }
u32 secondary(Cpu& c) {
  const Vmcs& v = vmcs(c);
  return (v.proc_controls & proc::kSecondaryControls) ? v.proc2_controls : 0;
}
[[noreturn]] void exit_now(Cpu& c, const Insn& i, ExitInfo e) { c.vmx().instruction_exit(e, i.len); }

}  // namespace

void exit_always(Cpu& c, const Insn& i, ExitReason r) { exit_now(c, i, ExitInfo{r}); }

void exit_if(Cpu& c, const Insn& i, u32 proc_bit, ExitReason r) {
  if (vmcs(c).proc_controls & proc_bit) exit_now(c, i, ExitInfo{r});
}

void exit_if2(Cpu& c, const Insn& i, u32 proc2_bit, ExitReason r) {
  if (secondary(c) & proc2_bit) exit_now(c, i, ExitInfo{r});
}

void pause(Cpu& c, const Insn& i) {
  exit_if(c, i, proc::kPauseExiting, ExitReason::PAUSE);
  if ((secondary(c) & proc2::kPauseLoopExiting) && c.cpl == 0 && c.vmx().pause_loop_exits())
    exit_now(c, i, ExitInfo{ExitReason::PAUSE});
}

void invlpg(Cpu& c, const Insn& i, u64 lin) {
  if (vmcs(c).proc_controls & proc::kInvlpgExiting) exit_now(c, i, ExitInfo{ExitReason::INVLPG, lin});
}

void rdtscp(Cpu& c, const Insn& i) {
  if (!(secondary(c) & proc2::kEnableRdtscp)) c.raise(kUD);  // §26.3
  if ((c.cr4 & cr4::TSD) && c.cpl != 0) c.raise(kGP, 0);
  exit_if(c, i, proc::kRdtscExiting, ExitReason::RDTSCP);
}

void invpcid(Cpu& c, const Insn& i) {
  if (!(secondary(c) & proc2::kEnableInvpcid)) c.raise(kUD);  // §26.3
  if (c.v86()) c.raise(kUD);
  if (c.cpl > 0) c.raise(kGP, 0);
  if (vmcs(c).proc_controls & proc::kInvlpgExiting)
    exit_now(c, i, ExitInfo{ExitReason::INVPCID, displacement(i, 1), 0, 0, 0, instruction_info(i, 1, 0)});
}

void rdrand(Cpu& c, const Insn& i, bool seed) {
  if (!(secondary(c) & (seed ? proc2::kRdseedExiting : proc2::kRdrandExiting))) return;
  // Table 28-15: destination register in 6:3, operand size in 12:11.
  const u32 size = i.op[0].size == 2 ? 0 : i.op[0].size == 4 ? 1 : 2;
  exit_now(
      c, i,
      ExitInfo{seed ? ExitReason::RDSEED : ExitReason::RDRAND, 0, 0, 0, 0, u32(i.op[0].reg & 0xf) << 3 | size << 11});
}

// §26.1.3 RDMSR/WRMSR and §25.6.9: the MSR bitmap page holds read bitmaps
// for MSRs 0-1FFFH (offset 0) and C0000000H-C0001FFFH (1024), then the
// write bitmaps (2048, 3072). Other MSRs, or no bitmaps, always exit.
bool msr_access(Cpu& c, const Insn& i, bool write) {
  const Vmcs& v = vmcs(c);
  const u32 index = u32(c.gpr[RCX]);
  bool exits = true;
  if (v.proc_controls & proc::kUseMsrBitmaps) {
    u64 offset = write ? 2048 : 0;
    if (index <= 0x1fff) {
      exits = (c.mem().read(v.msr_bitmap + offset + index / 8, 1) >> (index % 8)) & 1;
    } else if (index >= 0xc0000000 && index <= 0xc0001fff) {
      const u32 k = index - 0xc0000000;
      exits = (c.mem().read(v.msr_bitmap + offset + 1024 + k / 8, 1) >> (k % 8)) & 1;
    }
  }
  if (exits) exit_now(c, i, ExitInfo{write ? ExitReason::WRMSR : ExitReason::RDMSR});
  // §30.5: MSRs 800H-8FFH under "virtualize x2APIC mode".
  if (!(secondary(c) & proc2::kVirtualizeX2apic) || index < 0x800 || index > 0x8ff) return false;
  ApicVirtualization& apicv = c.vmx().apicv();
  if (write) {
    if (!apicv.wrmsr(index, c.gpr[RDX] << 32 | u32(c.gpr[RAX]))) return false;
    c.end_block();
    return true;
  }
  u64 value = 0;
  if (!apicv.rdmsr(index, value)) return false;
  c.gpr[RAX] = u32(value), c.gpr[RDX] = value >> 32;
  return true;
}

// §26.1.3 I/O instructions and §25.6.4: unconditional I/O exiting, or the
// bitmaps (A: ports 0-7FFFH, B: 8000H-FFFFH), one bit per byte accessed;
// an access that wraps past FFFFH exits.
void io(Cpu& c, const Insn& i, u16 port, unsigned size, bool in, bool string) {
  const Vmcs& v = vmcs(c);
  bool exits;
  if (v.proc_controls & proc::kUseIoBitmaps) {
    exits = u32(port) + size - 1 > 0xffff;
    for (unsigned k = 0; k < size && !exits; ++k) {
      const u32 p = port + k;
      const u64 bitmap = p < 0x8000 ? v.io_bitmap_a : v.io_bitmap_b;
      exits = (c.mem().read(bitmap + (p & 0x7fff) / 8, 1) >> (p % 8)) & 1;
    }
  } else {
    exits = v.proc_controls & proc::kUnconditionalIoExiting;
  }
  if (!exits) return;
  // Table 28-5: size - 1, direction, string, REP, immediate operand, port.
  const bool imm = !string && (i.op[0].kind == OpKind::Imm || i.op[1].kind == OpKind::Imm);
  ExitInfo e{ExitReason::IO_INSTRUCTION};
  e.qualification =
      (size - 1) | u64(in) << 3 | u64(string) << 4 | u64(string && i.rep) << 5 | u64(imm) << 6 | u64(port) << 16;
  if (string) {
    // The guest-linear address of the memory operand (§28.2.1), and the
    // address size and segment (Table 28-9, IA32_VMX_BASIC[54]).
    const u64 amask = i.asize == 8 ? ~u64(0) : i.asize == 4 ? 0xffffffffull : 0xffffull;
    const unsigned seg = in ? unsigned(ES) : unsigned(i.mem.seg);
    const u64 off = (in ? c.gpr[RDI] : c.gpr[RSI]) & amask;
    const bool base = !c.long64() || seg >= FS;
    e.guest_linear = c.long64() ? off + (base ? c.seg[seg].base : 0) : u32(c.seg[seg].base + off);
    e.instruction_info = u32(i.asize == 2 ? 0 : i.asize == 4 ? 1 : 2) << 7 | u32(seg) << 15;
  }
  exit_now(c, i, e);
}

namespace {

u64 cr_qualification(unsigned n, unsigned type, unsigned gpr) { return n | type << 4 | gpr << 8; }

// §26.1.3 MOV to CR3: exits unless the value is one of the first
// CR3-target-count CR3-target values.
bool cr3_target(const Vmcs& v, u64 value) {
  const u64 targets[] = {v.cr3_target0, v.cr3_target1, v.cr3_target2, v.cr3_target3};
  for (u32 k = 0; k < v.cr3_target_count && k < 4; ++k)
    if (targets[k] == value) return true;
  return false;
}

}  // namespace

bool mov_to_cr(Cpu& c, const Insn& i, unsigned n, u64& value) {
  const Vmcs& v = vmcs(c);
  const ExitInfo e{ExitReason::CR_ACCESS, cr_qualification(n, 0, i.op[1].reg)};
  switch (n) {
    case 0:
    case 4: {
      const u64 mask = n == 0 ? v.cr0_guest_host_mask : v.cr4_guest_host_mask;
      const u64 shadow = n == 0 ? v.cr0_read_shadow : v.cr4_read_shadow;
      if ((value ^ shadow) & mask) exit_now(c, i, e);
      const u64 current = n == 0 ? c.cr0 : c.cr4;
      value = (value & ~mask) | (current & mask);
      return true;
    }
    case 3:
      if ((v.proc_controls & proc::kCr3LoadExiting) && !cr3_target(v, value)) exit_now(c, i, e);
      return true;
    case 8:
      if (v.proc_controls & proc::kCr8LoadExiting) exit_now(c, i, e);
      if (!(v.proc_controls & proc::kUseTprShadow)) return true;
      if (value & ~u64(0xf)) c.raise(kGP, 0);  // bits 63:4 reserved, as without the shadow
      c.vmx().apicv().write_cr8(value);        // §30.3: VTPR, then TPR virtualization
      return false;
    default:
      return true;
  }
}

u64 mov_from_cr(Cpu& c, const Insn& i, unsigned n) {
  const Vmcs& v = vmcs(c);
  const ExitInfo e{ExitReason::CR_ACCESS, cr_qualification(n, 1, i.op[0].reg)};
  switch (n) {
    case 0:
      return (c.cr0 & ~v.cr0_guest_host_mask) | (v.cr0_read_shadow & v.cr0_guest_host_mask);
    case 4:
      return (c.cr4 & ~v.cr4_guest_host_mask) | (v.cr4_read_shadow & v.cr4_guest_host_mask);
    case 3:
      if (v.proc_controls & proc::kCr3StoreExiting) exit_now(c, i, e);
      return c.read_cr(3);
    case 8:
      if (v.proc_controls & proc::kCr8StoreExiting) exit_now(c, i, e);
      if (v.proc_controls & proc::kUseTprShadow) return c.vmx().apicv().read_cr8();  // §30.3: VTPR[7:4]
      return c.read_cr(8);
    default:
      return c.read_cr(n);
  }
}

bool clts(Cpu& c, const Insn& i) {
  const Vmcs& v = vmcs(c);
  if (!(v.cr0_guest_host_mask & cr0::TS)) return true;
  if (v.cr0_read_shadow & cr0::TS) exit_now(c, i, ExitInfo{ExitReason::CR_ACCESS, cr_qualification(0, 2, 0)});
  return false;  // §26.3: TS owned by the host, shadow 0: CLTS changes nothing
}

u64 lmsw(Cpu& c, const Insn& i, u64 new_cr0) {
  // §26.1.3: LMSW exits if, for a bit among PE MP EM TS owned by the host,
  // the source differs from the shadow (PE only when it would set it).
  const Vmcs& v = vmcs(c);
  const u64 src = new_cr0 & 0xf;
  const u64 mask = v.cr0_guest_host_mask & 0xf, shadow = v.cr0_read_shadow;
  const bool pe_sets = (mask & cr0::PE) && !(shadow & cr0::PE) && (src & cr0::PE);
  if ((((src ^ shadow) & mask & 0xe) != 0) || pe_sets) {
    const bool mem = i.op[0].kind == OpKind::Mem;
    ExitInfo e{ExitReason::CR_ACCESS, cr_qualification(0, 3, 0) | u64(mem) << 6 | src << 16};
    if (mem) e.guest_linear = c.mem_linear(i, 2, Access::Read);
    exit_now(c, i, e);
  }
  return (new_cr0 & ~mask) | (c.cr0 & mask);
}

void mov_dr(Cpu& c, const Insn& i, unsigned dr, unsigned gpr, bool to_dr) {
  if (vmcs(c).proc_controls & proc::kMovDrExiting)
    exit_now(c, i, ExitInfo{ExitReason::DR_ACCESS, dr | u64(!to_dr) << 4 | u64(gpr) << 8});
}

void descriptor_table(Cpu& c, const Insn& i, bool gdt_idt, unsigned identity) {
  if (!(secondary(c) & proc2::kDescriptorTableExiting)) return;
  // Tables 28-10, 28-11: operand information, operand size (GDTR/IDTR:
  // bit 11 set for 32-bit), identity in 29:28.
  u32 info = instruction_info(i, 0, -1) | identity << 28;
  if (gdt_idt && i.opsize != 2) info |= 1u << 11;
  if (gdt_idt) info &= ~(1u << 10);
  exit_now(
      c, i,
      ExitInfo{gdt_idt ? ExitReason::GDTR_IDTR_ACCESS : ExitReason::LDTR_TR_ACCESS, displacement(i, 0), 0, 0, 0, info});
}

}  // namespace vtlab::vmx

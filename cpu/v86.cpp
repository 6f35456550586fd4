// Virtual-8086 mode (SDM Vol. 3A ch. 20): entering it by IRET, IRET inside
// it, software interrupts with the VME interrupt redirection bitmap, and
// the virtual interrupt flag (VIF/VIP) of VME and PVI. Interrupts out of
// virtual-8086 mode are in cpu/interrupts.cpp; IOPL-sensitive CLI/STI/
// PUSHF/POPF in cpu/handlers/flagops.cpp; the I/O bitmap in cpu/system.cpp.
#include "cpu/cpu.h"

namespace vtlab {

unsigned Cpu::iopl() const { return unsigned((flags.bits & fl::IOPL) >> 12); }

// IRET with VM=1 in the popped EFLAGS at CPL 0 (SDM Vol. 2 IRET,
// RETURN-TO-VIRTUAL-8086-MODE): the 32-bit frame continues with ESP, SS,
// ES, DS, FS, GS; EFLAGS is loaded whole; CPL becomes 3.
void Cpu::iret_to_v86(u64 eip, u16 cs_sel, u64 new_flags) {
  u64 v[6];
  for (unsigned k = 0; k < 6; ++k) v[k] = peek<4>(12 + 4 * k);  // ESP SS ES DS FS GS
  if (u32(eip) > 0xffff) raise(kGP, 0);
  flags.set((new_flags & ~u64(0xffc08028)) | fl::kFixed1);
  load_segment_real(CS, cs_sel);
  const unsigned order[5] = {SS, ES, DS, FS, GS};
  for (unsigned k = 0; k < 5; ++k) load_segment_real(order[k], u16(v[1 + k]));
  gpr[RSP] = u32(v[0]);
  set_cpl(3);
  nmi_blocked_ = false;
  next_rip = u32(eip);
  mode_changed();
}

// IRET inside virtual-8086 mode (SDM Vol. 2 IRET, §20.2.7, §20.4.3.2):
// real-mode style with IOPL = 3; with IOPL < 3 only the 16-bit form under
// CR4.VME, which moves IF into VIF; otherwise #GP(0).
void Cpu::v86_iret(unsigned opsize) {
  const u64 ip = peek_sized(opsize, 0);
  const u16 cs_sel = u16(peek_sized(opsize, opsize));
  const u64 image = peek_sized(opsize, 2 * opsize);
  if (ip > 0xffff) raise(kGP, 0);
  u64 mask = fl::kArith | fl::TF | fl::DF | fl::NT | fl::RF | fl::AC | fl::ID | fl::IF;
  if (opsize == 2) mask &= 0xffff;
  if (iopl() == 3) {
    write_rflags(image, mask);
  } else if ((cr4 & cr4::VME) && opsize == 2) {
    if (((image & fl::IF) && (flags.bits & fl::VIP)) || (image & fl::TF)) raise(kGP, 0);
    write_rflags(image, mask & ~fl::IF);
    flags.bits = (flags.bits & ~fl::VIF) | ((image & fl::IF) ? fl::VIF : 0);
  } else {
    raise(kGP, 0);
  }
  load_segment_real(CS, cs_sel);
  set_sp(gpr[RSP] + 3 * opsize);
  nmi_blocked_ = false;
  next_rip = ip;
  end_block();
}

// INT n in virtual-8086 mode (SDM Vol. 3A §20.3.3, Table 20-2; Vol. 2 INT
// n): without VME, IOPL-sensitive; with VME, bit n of the TSS's interrupt
// redirection bitmap (32 bytes below the I/O map base) sends it to the
// 8086 handler in the IVT at linear 0 (clear) or to the protected-mode
// handler (set, with IOPL = 3; #GP(0) with IOPL < 3).
void Cpu::v86_software_interrupt(u8 vector) {
  if (!(cr4 & cr4::VME)) {
    if (iopl() < 3) raise(kGP, 0);
    return software_interrupt(vector);
  }
  const u32 type = tr.attr & ar::kTypeMask;
  if ((type != 0x9 && type != 0xb) || tr.limit < 0x67) raise(kGP, 0);
  const u32 map = read_sys<u16>(tr.base + 0x66);
  const u32 byte = map - 32 + vector / 8;
  if (map < 32 || byte > tr.limit) raise(kGP, 0);
  const bool to_protected_mode = (read_sys<u8>(tr.base + byte) >> (vector % 8)) & 1;
  if (to_protected_mode) {
    if (iopl() < 3) raise(kGP, 0);
    return software_interrupt(vector);
  }
  // The 8086 program's handler: a real-mode style frame on SS:SP.
  const u32 entry = read_lin<u32>(u32(vector) * 4);
  u64 image = u16(rflags());
  if (iopl() < 3) image = (image & ~fl::IF) | ((flags.bits & fl::VIF) ? fl::IF : 0) | fl::IOPL;
  const u64 frame[3] = {image, seg[CS].selector, u16(next_rip)};
  const u64 sp = write_frame(seg[SS], gpr[RSP], 2, frame, 3, 0, kUserAccess);
  set_sp(sp);
  if (iopl() == 3)
    flags.bits &= ~(fl::IF | fl::TF);
  else
    flags.bits &= ~(fl::VIF | fl::TF);
  load_segment_real(CS, u16(entry >> 16));
  next_rip = entry & 0xffff;
  end_block();
}

// CLI/STI under VME (virtual-8086 mode) and PVI (CPL 3 in protected mode)
// with IOPL < 3 change VIF instead of IF (SDM Vol. 2 CLI, STI; §20.4).
bool Cpu::virtual_interrupt_flag_mode() const {
  if (v86()) return iopl() < 3 && (cr4 & cr4::VME);
  return protected_mode() && cpl == 3 && iopl() < 3 && (cr4 & cr4::PVI);
}

}  // namespace vtlab

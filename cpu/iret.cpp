// IRET in real, protected and IA-32e mode, and the RFLAGS write rules it
// shares with POPF (SDM Vol. 2 "IRET/IRETD/IRETQ").
#include "cpu/cpu.h"

namespace vtlab {

void Cpu::iret(unsigned opsize) {
  // IRET ends NMI blocking, even one that faults (SDM Vol. 3A §6.7.1); an
  // EPT fault in it says so (Vol. 3C Table 27-7 bit 12).
  if (nmi_blocked_) iret_unblocked_nmi_ = instructions_now() + 1;
  nmi_blocked_ = false;
  if (!protected_mode()) {
    // Real mode (and the flags rules of SDM Vol. 2 IRET "REAL-ADDRESS-MODE").
    u64 ip = peek_sized(opsize, 0);
    u16 cs_sel = u16(peek_sized(opsize, opsize));
    u64 fl = peek_sized(opsize, 2 * opsize);
    // The new EIP must lie within the CS limit of real mode (SDM Vol. 2 IRET).
    if (ip > 0xffff) raise(kGP, 0);
    set_sp(gpr[RSP] + 3 * opsize);
    load_segment_real(CS, cs_sel);
    u64 mask = fl::kArith | fl::TF | fl::IF | fl::DF | fl::IOPL | fl::NT | fl::RF | fl::AC | fl::ID;
    if (opsize == 2) mask &= 0xffff;
    write_rflags(fl, mask);
    next_rip = opsize == 4 ? ip : u16(ip);
    end_block();
    return;
  }
  if (v86()) return v86_iret(opsize);
  if (flags.bits & fl::NT) {
    // Return to the previous task, named by the back link (SDM Vol. 3A
    // §7.3); IA-32e mode has no tasks.
    if (efer & efer::LMA) raise(kGP, 0);
    task_switch(read_sys<u16>(tr.base), TaskSwitch::Iret, next_rip, 0, false, 0);
    return;
  }
  // Read the whole frame first (precise), then commit.
  const unsigned w = opsize;
  u64 new_ip = peek_sized(w, 0);
  u16 cs_sel = u16(peek_sized(w, w));
  u64 new_fl = peek_sized(w, 2 * w);
  // EFLAGS.VM in a 32-bit image at CPL 0: return to virtual-8086 mode.
  if (w == 4 && (new_fl & fl::VM) && cpl == 0 && !(efer & efer::LMA)) return iret_to_v86(new_ip, cs_sel, new_fl);
  unsigned rpl = cs_sel & 3;
  if ((cs_sel & 0xfffc) == 0) raise(kGP, 0);
  if (rpl < cpl) raise(kGP, cs_sel & 0xfffc);
  const bool pop_stack = mode64_ || rpl > cpl;
  u64 new_sp = 0;
  u16 ss_sel = 0;
  if (pop_stack) {
    new_sp = peek_sized(w, 3 * w);
    ss_sel = u16(peek_sized(w, 4 * w));
  }
  u64 d = read_descriptor(cs_sel);
  Segment cs_new = segment_from_descriptor(cs_sel, d);
  u32 ctype = cs_new.attr & ar::kTypeMask;
  if (!(cs_new.attr & ar::S) || !(ctype & ar::kTypeCode)) raise(kGP, cs_sel & 0xfffc);
  if ((ctype & ar::kTypeConforming) ? cs_new.dpl() > rpl : cs_new.dpl() != rpl) raise(kGP, cs_sel & 0xfffc);
  if (!(cs_new.attr & ar::P)) raise(kNP, cs_sel & 0xfffc);
  Segment ss_new = seg[SS];
  if (pop_stack) {
    if ((ss_sel & 0xfffc) == 0) {
      // Null SS is allowed when returning to 64-bit code below CPL 3.
      if (!(mode64_ && (cs_new.attr & ar::L) && rpl < 3)) raise(kGP, 0);
      ss_new = Segment{ss_sel, 0, 0, ar::Unusable | (rpl << ar::kDplShift)};
    } else {
      if ((ss_sel & 3) != rpl) raise(kGP, ss_sel & 0xfffc);
      ss_new = segment_from_descriptor(ss_sel, read_descriptor(ss_sel));
      if (ss_new.dpl() != rpl || (ss_new.attr & ar::kTypeCode) || !(ss_new.attr & ar::kTypeWritable))
        raise(kGP, ss_sel & 0xfffc);
      if (!(ss_new.attr & ar::P)) raise(kSS, ss_sel & 0xfffc);
    }
  }
  // The return address: canonical when returning to 64-bit code, within
  // the new CS limit otherwise (SDM Vol. 2 IRET: #GP(0) before any change).
  const bool to64 = (efer & efer::LMA) && (cs_new.attr & ar::L);
  const u64 target = to64 ? new_ip : w == 2 ? u16(new_ip) : u32(new_ip);
  if (to64 ? !is_canonical(target) : target > cs_new.limit) raise(kGP, 0);
  // Commit. Which flags may change depends on the old CPL (SDM IRET).
  unsigned old_cpl = cpl;
  u64 mask = fl::kArith | fl::TF | fl::DF | fl::NT | fl::RF | fl::AC | fl::ID;
  if (old_cpl <= ((flags.bits & fl::IOPL) >> 12)) mask |= fl::IF;
  if (old_cpl == 0) mask |= fl::IOPL | fl::VIF | fl::VIP;
  if (w == 2) mask &= 0xffff;
  cpl = u8(rpl);  // mode_changed() below, once CS, SS and RFLAGS are loaded
  seg[CS] = cs_new;
  if (pop_stack) {
    seg[SS] = ss_new;
    gpr[RSP] = w == 4 && !mode64_ ? (gpr[RSP] & ~0xffffffffull) | u32(new_sp) : new_sp;
  } else {
    set_sp(gpr[RSP] + 3 * w);
  }
  write_rflags(new_fl, mask);
  mode_changed();
  // Data segments no longer accessible at the new CPL become null.
  if (rpl > old_cpl) null_inaccessible_data_segments();
  next_rip = target;
  end_block();
}

void Cpu::write_rflags(u64 value, u64 mask) {
  u64 cur = flags.get();
  u64 changed = (cur ^ value) & mask;
  flags.set((cur & ~mask) | (value & mask));
  if (changed & (fl::IF | fl::TF)) end_block();
  if (changed & fl::AC) update_alignment_check();
  if (mask & value & fl::RF) rf_loaded_ = true;  // IRET: RF holds for the next instruction
}

}  // namespace vtlab

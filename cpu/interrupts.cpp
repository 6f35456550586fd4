// Exception and interrupt delivery in real, protected and IA-32e mode, and
// IRET (SDM Vol. 3A ch. 6; §6.12 protected mode, §6.14 64-bit mode,
// §6.15 double fault rules; Vol. 2 "IRET").
#include <string>

#include "cpu/cpu.h"

namespace vtlab {
namespace {

struct Gate {
  u16 selector;
  u64 offset;
  unsigned type;  // descriptor type: 0x5 task, 0x6/0x7 16-bit, 0xE/0xF 32/64-bit
  unsigned dpl;
  bool present;
  unsigned ist;
};

bool is_trap_gate(unsigned type) { return type & 1; }

}  // namespace

void Cpu::external_interrupt(u8 vector) { deliver(vector, false, 0, rip, false); }

void Cpu::software_interrupt(u8 vector, bool int3_or_into) {
  // INT n / INT3 / INTO: a fault while delivering is a fault of the
  // instruction itself (it propagates to the execution loop).
  (void)int3_or_into;
  if (intercept_exceptions_) {
    intercepted_ = GuestFault{vector, false, 0};
    exception_stop_ = true;
    request_stop();
    return;
  }
  int outer = delivering_;
  delivering_ = vector;
  try {
    deliver(vector, false, 0, next_rip, true);
  } catch (...) {
    delivering_ = outer;
    throw;
  }
  delivering_ = outer;
}

// Delivers an event; handles a second fault during delivery (#DF, triple fault).
void Cpu::deliver(u8 vector, bool has_error, u32 error, u64 return_rip, bool software) {
  static thread_local int depth = 0;
  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& x) : d(x) { ++d; }
    ~DepthGuard() { --d; }
  } guard(depth);

  const u32 ext = software ? 0 : 1;  // EXT bit of error codes raised while delivering
  u64 old_rflags = flags.get();
  try {
    if (depth > 8) throw GuestFault{kDF, true, 0};
    if (!protected_mode()) {
      // Real mode: the IVT at IDTR.base, 4 bytes per vector (SDM Vol. 3A §20.1.4).
      if (u32(vector) * 4 + 3 > idtr.limit) raise(kGP, 0);
      u32 entry = read_sys<u32>(idtr.base + u32(vector) * 4);
      push<2>(u16(old_rflags));
      push<2>(seg[CS].selector);
      push<2>(u16(return_rip));
      flags.set(old_rflags & ~(fl::IF | fl::TF | fl::AC | fl::RF));
      load_segment_real(CS, u16(entry >> 16));
      rip = next_rip = entry & 0xffff;
    } else {
      const bool ia32e = efer & efer::LMA;
      const unsigned gate_bytes = ia32e ? 16 : 8;
      const u32 idt_err = u32(vector) * 8 + 2 + ext;
      if (u32(vector) * gate_bytes + gate_bytes - 1 > idtr.limit) raise(kGP, idt_err);
      u64 lo = read_sys<u64>(idtr.base + u64(vector) * gate_bytes);
      u64 hi = ia32e ? read_sys<u64>(idtr.base + u64(vector) * gate_bytes + 8) : 0;
      Gate g;
      g.selector = u16(lo >> 16);
      g.type = (lo >> 40) & 0xf;
      g.dpl = (lo >> 45) & 3;
      g.present = (lo >> 47) & 1;
      g.ist = ia32e ? (lo >> 32) & 7 : 0;
      g.offset = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16) | (ia32e ? (hi & 0xffffffff) << 32 : 0);
      bool valid_type = ia32e ? (g.type == 0xe || g.type == 0xf)
                              : (g.type == 0x5 || g.type == 0x6 || g.type == 0x7 || g.type == 0xe || g.type == 0xf);
      if (!valid_type) raise(kGP, idt_err);
      if (software && g.dpl < cpl) raise(kGP, u32(vector) * 8 + 2);
      if (!g.present) raise(kNP, idt_err);
      if (g.type == 0x5) {
        fatal_ = StopCause::InternalError;
        stop_detail_ = "interrupt through a task gate: hardware task switching is not supported yet";
        request_stop();
        return;
      }
      if ((g.selector & 0xfffc) == 0) raise(kGP, ext);
      u64 d = read_descriptor(g.selector);
      Segment cs_new = segment_from_descriptor(g.selector, d);
      u32 ctype = cs_new.attr & ar::kTypeMask;
      const u32 sel_err = (g.selector & 0xfffc) + ext;
      if (!(cs_new.attr & ar::S) || !(ctype & ar::kTypeCode) || cs_new.dpl() > cpl) raise(kGP, sel_err);
      if (!(cs_new.attr & ar::P)) raise(kNP, sel_err);
      if (ia32e && (!(cs_new.attr & ar::L) || (cs_new.attr & ar::DB))) raise(kGP, sel_err);
      unsigned new_cpl = (ctype & ar::kTypeConforming) ? cpl : cs_new.dpl();
      const bool gate32 = g.type & 8;

      if (ia32e) {
        // 64-bit delivery (SDM Vol. 3A §6.14.2-6.14.5): stack switch on a
        // privilege change or IST, RSP aligned to 16, SS:RSP always pushed.
        u64 new_rsp = gpr[RSP];
        u16 new_ss = seg[SS].selector;
        bool switch_stack = new_cpl < cpl;
        if (switch_stack || g.ist) {
          u64 off = g.ist ? 36 + 8 * (g.ist - 1) : 4 + 8 * new_cpl;
          if (off + 7 > tr.limit) raise(kTS, (tr.selector & 0xfffc) + ext);
          new_rsp = read_sys<u64>(tr.base + off);
          if (!is_canonical(new_rsp)) raise(kSS, ext);
        }
        if (switch_stack) new_ss = u16(new_cpl);  // a null selector with RPL = new CPL
        new_rsp &= ~u64(0xf);
        u64 frame[6];
        unsigned n = 0;
        if (has_error) frame[n++] = error;
        frame[n++] = return_rip;
        frame[n++] = seg[CS].selector;
        frame[n++] = old_rflags;
        frame[n++] = gpr[RSP];
        frame[n++] = seg[SS].selector;
        // Push order: SS first, at the highest address.
        u64 sp = new_rsp;
        for (int k = int(n) - 1; k >= 0; --k) {
          sp -= 8;
          write_sys<u64>(sp, frame[k]);
        }
        set_cpl(new_cpl);
        cs_new.selector = u16((g.selector & ~3u) | new_cpl);
        seg[CS] = cs_new;
        if (switch_stack) {
          seg[SS].selector = new_ss;
          seg[SS].attr = ar::Unusable | (new_cpl << ar::kDplShift);
          seg[SS].base = 0;
        }
        gpr[RSP] = sp;
        rip = next_rip = g.offset;
      } else {
        // 32/16-bit protected mode (SDM Vol. 3A §6.12.1).
        const unsigned w = gate32 ? 4 : 2;
        const bool switch_stack = new_cpl < cpl;
        u64 frame[6];
        unsigned n = 0;
        if (has_error) frame[n++] = error;
        frame[n++] = return_rip;
        frame[n++] = seg[CS].selector;
        frame[n++] = old_rflags;
        Segment ss_new = seg[SS];
        u64 sp;
        if (switch_stack) {
          const bool tss32 = (tr.attr & ar::kTypeMask) == 0x9 || (tr.attr & ar::kTypeMask) == 0xb;
          u32 off = tss32 ? 4 + 8 * new_cpl : 2 + 4 * new_cpl;
          u32 tss_err = (tr.selector & 0xfffc) + ext;
          if (off + (tss32 ? 7 : 3) > tr.limit) raise(kTS, tss_err);
          u64 esp = tss32 ? read_sys<u32>(tr.base + off) : read_sys<u16>(tr.base + off);
          u16 ss_sel = tss32 ? read_sys<u16>(tr.base + off + 4) : read_sys<u16>(tr.base + off + 2);
          if ((ss_sel & 0xfffc) == 0 || (ss_sel & 3) != new_cpl) raise(kTS, (ss_sel & 0xfffc) + ext);
          u64 sd = read_descriptor(ss_sel);
          ss_new = segment_from_descriptor(ss_sel, sd);
          if (ss_new.dpl() != new_cpl || (ss_new.attr & ar::kTypeCode) || !(ss_new.attr & ar::kTypeWritable))
            raise(kTS, (ss_sel & 0xfffc) + ext);
          if (!(ss_new.attr & ar::P)) raise(kSS, (ss_sel & 0xfffc) + ext);
          frame[n++] = gpr[RSP];
          frame[n++] = seg[SS].selector;
          sp = esp;
        } else {
          sp = gpr[RSP];
        }
        const u64 mask = (ss_new.attr & ar::DB) ? 0xffffffffull : 0xffffull;
        // Compute and check the whole frame before writing (precise).
        u64 top = sp & mask;
        for (int k = int(n) - 1; k >= 0; --k) {
          top = (top - w) & mask;
          if (top + w - 1 > ss_new.limit) raise(kSS, switch_stack ? (ss_new.selector & 0xfffc) + ext : ext);
          u64 lin = u32(ss_new.base + top);
          if (w == 4)
            write_sys<u32>(lin, u32(frame[k]));
          else
            write_sys<u16>(lin, u16(frame[k]));
        }
        set_cpl(new_cpl);
        if (switch_stack) seg[SS] = ss_new;
        cs_new.selector = u16((g.selector & ~3u) | new_cpl);
        seg[CS] = cs_new;
        mode_changed();
        set_sp(top);
        if (!(ss_new.attr & ar::DB)) gpr[RSP] = (gpr[RSP] & ~0xffffull) | (top & 0xffff);
        rip = next_rip = gate32 ? u32(g.offset) : u16(g.offset);
      }
      u64 clear = fl::TF | fl::NT | fl::RF | fl::VM;
      if (!is_trap_gate(g.type)) clear |= fl::IF;
      flags.set(old_rflags & ~clear);
    }
    mode_changed();
  } catch (const GuestFault& second) {
    if (software) throw;
    // SDM Vol. 3A Table 6-5.
    if (vector == kDF || depth > 8) {
      fatal_ = StopCause::TripleFault;
      stop_detail_ = std::string("triple fault: ") + vector_name(second.vector) + " while delivering " +
                     vector_name(vector);
      request_stop();
      return;
    }
    FaultClass a = fault_class(vector), b = fault_class(second.vector);
    bool df = (a == FaultClass::Contributory && b == FaultClass::Contributory) ||
              (a == FaultClass::PageFault && (b == FaultClass::Contributory || b == FaultClass::PageFault));
    if (df) {
      deliver(kDF, true, 0, return_rip, false);
    } else {
      if (second.vector == kPF) cr2 = second.fault_address;
      deliver(second.vector, second.has_error, second.error, return_rip, false);
    }
  }
}

void Cpu::iret(unsigned opsize) {
  if (!protected_mode()) {
    // Real mode (and the flags rules of SDM Vol. 2 IRET "REAL-ADDRESS-MODE").
    u64 ip = opsize == 4 ? peek<4>(0) : peek<2>(0);
    u16 cs_sel = opsize == 4 ? u16(peek<4>(4)) : peek<2>(2);
    u64 fl = opsize == 4 ? peek<4>(8) : peek<2>(4);
    set_sp(gpr[RSP] + 3 * opsize);
    load_segment_real(CS, cs_sel);
    u64 mask = opsize == 4 ? (fl::kArith | fl::TF | fl::IF | fl::DF | fl::IOPL | fl::NT | fl::RF | fl::AC | fl::ID)
                           : 0x7fd5 & ~u64(0);
    write_rflags(fl, mask);
    next_rip = opsize == 4 ? ip : u16(ip);
    end_block();
    return;
  }
  if (v86()) raise(kGP, 0);  // with IOPL < 3; V86 IRET comes with V86 support
  if (flags.bits & fl::NT) {
    if (efer & efer::LMA) raise(kGP, 0);
    fatal_ = StopCause::InternalError;
    stop_detail_ = "IRET with NT=1 (task return): hardware task switching is not supported yet";
    request_stop();
    return;
  }
  // Read the whole frame first (precise), then commit.
  const unsigned w = opsize;
  u64 new_ip = w == 8 ? peek<8>(0) : w == 4 ? peek<4>(0) : peek<2>(0);
  u16 cs_sel = u16(w == 8 ? peek<8>(w) : w == 4 ? peek<4>(w) : peek<2>(w));
  u64 new_fl = w == 8 ? peek<8>(2 * w) : w == 4 ? peek<4>(2 * w) : peek<2>(2 * w);
  unsigned rpl = cs_sel & 3;
  if ((cs_sel & 0xfffc) == 0) raise(kGP, 0);
  if (rpl < cpl) raise(kGP, cs_sel & 0xfffc);
  const bool pop_stack = mode64_ || rpl > cpl;
  u64 new_sp = 0;
  u16 ss_sel = 0;
  if (pop_stack) {
    new_sp = w == 8 ? peek<8>(3 * w) : w == 4 ? peek<4>(3 * w) : peek<2>(3 * w);
    ss_sel = u16(w == 8 ? peek<8>(4 * w) : w == 4 ? peek<4>(4 * w) : peek<2>(4 * w));
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
  // Commit. Which flags may change depends on the old CPL (SDM IRET).
  unsigned old_cpl = cpl;
  u64 mask = fl::kArith | fl::TF | fl::DF | fl::NT | fl::RF | fl::AC | fl::ID;
  if (old_cpl <= ((flags.bits & fl::IOPL) >> 12)) mask |= fl::IF;
  if (old_cpl == 0) mask |= fl::IOPL | fl::VIF | fl::VIP;
  if (w == 2) mask &= 0xffff;
  set_cpl(rpl);
  seg[CS] = cs_new;
  if (pop_stack) {
    seg[SS] = ss_new;
    gpr[RSP] = w == 4 && !mode64_ ? (gpr[RSP] & ~0xffffffffull) | u32(new_sp) : new_sp;
  } else {
    set_sp(gpr[RSP] + 3 * w);
  }
  write_rflags(new_fl, mask);
  mode_changed();
  if (rpl > old_cpl) {
    // Data segments no longer accessible at the new CPL become null.
    for (unsigned s : {ES, DS, FS, GS}) {
      u32 t = seg[s].attr & ar::kTypeMask;
      bool conforming_code = (t & ar::kTypeCode) && (t & ar::kTypeConforming);
      if (!(seg[s].attr & ar::Unusable) && !conforming_code && seg[s].dpl() < rpl) {
        seg[s].selector = 0;
        seg[s].attr = ar::Unusable;
      }
    }
  }
  next_rip = mode64_ ? new_ip : w == 2 ? u16(new_ip) : u32(new_ip);
  end_block();
}

void Cpu::write_rflags(u64 value, u64 mask) {
  u64 cur = flags.get();
  u64 changed = (cur ^ value) & mask;
  flags.set((cur & ~mask) | (value & mask));
  if (changed & (fl::IF | fl::TF)) end_block();
}

}  // namespace vtlab

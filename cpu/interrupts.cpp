// Exception and interrupt delivery in real, protected and IA-32e mode
// (SDM Vol. 3A ch. 6; §6.12 protected mode, §6.14 64-bit mode, §6.15 double
// fault rules).
#include <string>

#include "cpu/cpu.h"
#include "cpu/vmx/vmx.h"

namespace vtlab {
namespace {

// What is being delivered. `ext` is the EXT bit for error codes of faults
// raised while delivering: 1 for events from outside the instruction stream.
struct Event {
  u8 vector;
  bool has_error;
  u32 error;
  u64 return_rip;
  bool software;
  u32 ext;
};

struct Gate {
  u16 selector;
  u64 offset;
  unsigned type;  // 0x5 task, 0x6/0x7 16-bit, 0xE/0xF 32/64-bit (odd: trap gate)
  unsigned dpl;
  bool present;
  unsigned ist;
};

// The values an interrupt pushes, lowest address first: [error] EIP CS
// EFLAGS [ESP SS] (SDM Vol. 3A Figures 6-4 and 6-9).
struct Frame {
  u64 v[10];
  unsigned n = 0;
  Frame(const Cpu& c, const Event& e, u64 rflags) {
    if (e.has_error) v[n++] = e.error;
    v[n++] = e.return_rip;
    v[n++] = c.seg[CS].selector;
    v[n++] = rflags;
  }
  void add_stack(u64 sp, u16 ss) { v[n++] = sp, v[n++] = ss; }
  // Leaving virtual-8086 mode: ES DS FS GS above SS (SDM Vol. 3A Figure 20-4).
  void add_v86_segments(const Cpu& c) {
    for (unsigned s : {ES, DS, FS, GS}) v[n++] = c.seg[s].selector;
  }
};

bool is_trap_gate(unsigned type) { return type & 1; }

// Reads and checks the IDT gate (SDM Vol. 3A §6.12.1.1, §6.14.1).
Gate read_gate(Cpu& c, const Event& e, bool ia32e) {
  const unsigned bytes = ia32e ? 16 : 8;
  const u32 idt_err = u32(e.vector) * 8 + 2 + e.ext;
  if (u32(e.vector) * bytes + bytes - 1 > c.idtr.limit) c.raise(kGP, idt_err);
  u64 lo = c.read_sys<u64>(c.idtr.base + u64(e.vector) * bytes);
  u64 hi = ia32e ? c.read_sys<u64>(c.idtr.base + u64(e.vector) * bytes + 8) : 0;
  Gate g;
  g.selector = u16(lo >> 16);
  g.type = (lo >> 40) & 0xf;
  g.dpl = (lo >> 45) & 3;
  g.present = (lo >> 47) & 1;
  g.ist = ia32e ? (lo >> 32) & 7 : 0;
  g.offset = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16) | (ia32e ? (hi & 0xffffffff) << 32 : 0);
  bool valid = ia32e ? (g.type == 0xe || g.type == 0xf)
                     : (g.type == 0x5 || g.type == 0x6 || g.type == 0x7 || g.type == 0xe || g.type == 0xf);
  if (!valid) c.raise(kGP, idt_err);
  if (e.software && g.dpl < c.cpl) c.raise(kGP, u32(e.vector) * 8 + 2);
  if (!g.present) c.raise(kNP, idt_err);
  return g;
}

// Real mode: the IVT at IDTR.base, 4 bytes per vector (SDM Vol. 3A §20.1.4).
void deliver_real(Cpu& c, const Event& e, u64 rflags) {
  if (u32(e.vector) * 4 + 3 > c.idtr.limit) c.raise(kGP, 0);
  u32 entry = c.read_sys<u32>(c.idtr.base + u32(e.vector) * 4);
  c.push<2>(u16(rflags));
  c.push<2>(c.seg[CS].selector);
  c.push<2>(u16(e.return_rip));
  c.flags.set(rflags & ~(fl::IF | fl::TF | fl::AC | fl::RF));
  c.load_segment_real(CS, u16(entry >> 16));
  c.rip = c.next_rip = entry & 0xffff;
}

// IA-32e mode (SDM Vol. 3A §6.14.2-6.14.5): 64-bit frame; stack switch on a
// privilege change or IST; RSP aligned to 16; SS:RSP always pushed.
void deliver_ia32e(Cpu& c, const Event& e, const Gate& g, Segment cs_new, unsigned new_cpl, u64 rflags) {
  u64 new_rsp = c.gpr[RSP];
  const bool switch_stack = new_cpl < c.cpl;
  if (switch_stack || g.ist) {
    u64 off = g.ist ? 36 + 8 * (g.ist - 1) : 4 + 8 * new_cpl;
    if (off + 7 > c.tr.limit) c.raise(kTS, (c.tr.selector & 0xfffc) + e.ext);
    new_rsp = c.read_sys<u64>(c.tr.base + off);
    if (!Cpu::is_canonical(new_rsp)) c.raise(kSS, e.ext);
  }
  new_rsp &= ~u64(0xf);
  Frame f(c, e, rflags);
  f.add_stack(c.gpr[RSP], c.seg[SS].selector);
  u64 sp = new_rsp;
  for (int k = int(f.n) - 1; k >= 0; --k) c.write_sys<u64>(sp -= 8, f.v[k]);
  c.cpl = u8(new_cpl);  // deliver() calls mode_changed() once CS is loaded
  cs_new.selector = u16((g.selector & ~3u) | new_cpl);
  c.seg[CS] = cs_new;
  if (switch_stack) c.seg[SS] = Segment{u16(new_cpl), 0, 0, ar::Unusable | (new_cpl << ar::kDplShift)};
  c.gpr[RSP] = sp;
  c.rip = c.next_rip = g.offset;
}

// 16/32-bit protected mode (SDM Vol. 3A §6.12.1): inner-privilege handlers
// get the stack from the TSS; the gate's size sets the frame's width.
void deliver_legacy(Cpu& c, const Event& e, const Gate& g, Segment cs_new, unsigned new_cpl, u64 rflags) {
  const unsigned w = (g.type & 8) ? 4 : 2;
  const bool switch_stack = new_cpl < c.cpl;
  const bool from_v86 = rflags & fl::VM;
  Frame f(c, e, rflags);
  Segment ss_new = c.seg[SS];
  u64 sp = c.gpr[RSP];
  if (switch_stack) {
    const bool tss32 = (c.tr.attr & ar::kTypeMask) == 0x9 || (c.tr.attr & ar::kTypeMask) == 0xb;
    u32 off = tss32 ? 4 + 8 * new_cpl : 2 + 4 * new_cpl;
    if (off + (tss32 ? 7 : 3) > c.tr.limit) c.raise(kTS, (c.tr.selector & 0xfffc) + e.ext);
    u64 esp = tss32 ? c.read_sys<u32>(c.tr.base + off) : c.read_sys<u16>(c.tr.base + off);
    u16 ss_sel = tss32 ? c.read_sys<u16>(c.tr.base + off + 4) : c.read_sys<u16>(c.tr.base + off + 2);
    const u32 ss_err = (ss_sel & 0xfffc) + e.ext;
    if ((ss_sel & 0xfffc) == 0 || (ss_sel & 3) != new_cpl) c.raise(kTS, ss_err);
    ss_new = Cpu::segment_from_descriptor(ss_sel, c.read_descriptor(ss_sel));
    if (ss_new.dpl() != new_cpl || (ss_new.attr & ar::kTypeCode) || !(ss_new.attr & ar::kTypeWritable))
      c.raise(kTS, ss_err);
    if (!(ss_new.attr & ar::P)) c.raise(kSS, ss_err);
    f.add_stack(c.gpr[RSP], c.seg[SS].selector);
    if (from_v86) f.add_v86_segments(c);
    sp = esp;
  }
  const u64 mask = (ss_new.attr & ar::DB) ? 0xffffffffull : 0xffffull;
  u64 top = sp & mask;
  for (int k = int(f.n) - 1; k >= 0; --k) {
    top = (top - w) & mask;
    if (top + w - 1 > ss_new.limit) c.raise(kSS, switch_stack ? (ss_new.selector & 0xfffc) + e.ext : e.ext);
    u64 lin = u32(ss_new.base + top);
    if (w == 4)
      c.write_sys<u32>(lin, u32(f.v[k]));
    else
      c.write_sys<u16>(lin, u16(f.v[k]));
  }
  c.cpl = u8(new_cpl);  // deliver() calls mode_changed() once CS is loaded
  if (switch_stack) c.seg[SS] = ss_new;
  cs_new.selector = u16((g.selector & ~3u) | new_cpl);
  c.seg[CS] = cs_new;
  if (from_v86)
    for (unsigned s : {ES, DS, FS, GS}) c.seg[s] = Segment{0, 0, 0, ar::Unusable};
  c.mode_changed();
  if (ss_new.attr & ar::DB)
    c.gpr[RSP] = (c.gpr[RSP] & ~0xffffffffull) | u32(top);
  else
    c.gpr[RSP] = (c.gpr[RSP] & ~0xffffull) | (top & 0xffff);
  c.rip = c.next_rip = w == 4 ? u32(g.offset) : u16(g.offset);
}

}  // namespace

void Cpu::external_interrupt(u8 vector, EventType type) { deliver(vector, false, 0, rip, false, type); }

void Cpu::software_interrupt(u8 vector, bool exception) {
  // INT n / INT3 / INTO: a fault while delivering is a fault of the
  // instruction itself (it propagates to the execution loop).
  const EventType type = exception ? EventType::SoftwareException : EventType::SoftwareInterrupt;
  if (exception && vmx_non_root_) vmx_->software_exception_exits(vector, type);  // unwinds if it exits
  if (stop_if_intercepted(GuestFault{vector, false, 0})) return;
  deliver(vector, false, 0, next_rip, true, type);
}

void Cpu::trap(u8 vector) {
  if (vmx_non_root_) vmx_->software_exception_exits(vector, EventType::PrivilegedSoftwareException);
  if (stop_if_intercepted(GuestFault{vector, false, 0})) return;
  deliver(vector, false, 0, next_rip, false, EventType::PrivilegedSoftwareException);
}

// Delivers an event through the IVT/IDT. A fault while delivering combines
// with the event as SDM Vol. 3A Table 6-5 says (#DF, triple fault); for
// software interrupts it propagates to the instruction instead.
void Cpu::deliver(u8 vector, bool has_error, u32 error, u64 return_rip, bool software, EventType type) {
  const Event e{vector, has_error, error, return_rip, software, software ? 0u : 1u};
  // Delivering an event ends a wait in HLT or MWAIT (SDM Vol. 2 HLT: an
  // interrupt, NMI or debug exception resumes execution) and the interrupt
  // shadow of STI / MOV SS (Vol. 2 STI: "the inhibition ends after delivery
  // of another event").
  wake();
  interrupt_shadow = false;
  // Faults push RF=1 (SDM Vol. 3A §17.3.1.1), so IRET does not trip an
  // instruction breakpoint again.
  const u64 rflags = flags.get() | pushed_rf_;
  pushed_rf_ = 0;
  // Entering the #DB handler clears DR7.GD (§18.2.4).
  if (vector == kDB) dr[7] &= ~dr7::GD;
  // A fault while delivering must reach the catch below (it becomes #DF,
  // or for INT n a fault of the instruction): raise() throws in here, and
  // the guard below is destroyed however this ends.
  FaultThrowScope throw_faults(*this);
  // Each nested delivery (a fault while delivering) counts until it returns,
  // so a chain of faults ends in a triple fault instead of recursing on.
  struct DepthGuard {
    int& depth;
    explicit DepthGuard(int& d) : depth(++d) {}
    ~DepthGuard() { --depth; }
  } guard(delivery_depth_);
  if (log_->on(LogCategory::Int))
    log_delivery(*this, vector, has_error, error, return_rip, software, delivery_depth_ > 1);
  try {
    if (delivery_depth_ > 8) raise(kDF, 0);
    if (!protected_mode()) {
      deliver_real(*this, e, rflags);
    } else {
      const bool ia32e = efer & efer::LMA;
      Gate g = read_gate(*this, e, ia32e);
      if (g.type == 0x5) {
        // A task gate: the handler is another task (SDM Vol. 3A §6.12.2).
        // The gate's selector names the TSS; the old task resumes at the
        // return address; an error code goes on the new task's stack.
        if (vmx_non_root_) {  // a VM exit, with this event as the IDT-vectoring information
          vmx_->task_switch_exit(g.selector, 3, vmx::intr_info::make(vector, type, has_error), error);
          return;
        }
        task_switch(g.selector, TaskSwitch::Interrupt, return_rip, e.ext, has_error, error);
        return;
      }
      // The handler's code segment (SDM Vol. 3A §6.12.1.1).
      if ((g.selector & 0xfffc) == 0) raise(kGP, e.ext);
      Segment cs_new = segment_from_descriptor(g.selector, read_descriptor(g.selector));
      const u32 ctype = cs_new.attr & ar::kTypeMask;
      const u32 sel_err = (g.selector & 0xfffc) + e.ext;
      if (!(cs_new.attr & ar::S) || !(ctype & ar::kTypeCode) || cs_new.dpl() > cpl) raise(kGP, sel_err);
      if (!(cs_new.attr & ar::P)) raise(kNP, sel_err);
      if (ia32e && (!(cs_new.attr & ar::L) || (cs_new.attr & ar::DB))) raise(kGP, sel_err);
      const unsigned new_cpl = (ctype & ar::kTypeConforming) ? cpl : cs_new.dpl();
      // From virtual-8086 mode only to a CPL 0 handler in a nonconforming
      // segment (SDM Vol. 2 INT n, INTERRUPT-FROM-VIRTUAL-8086-MODE).
      if (v86() && new_cpl != 0) raise(kGP, sel_err);
      // The gate's target must be canonical, checked before anything is
      // pushed (SDM Vol. 3A §6.14.1; INT n pseudo-code: #GP(EXT)).
      if (ia32e && !is_canonical(g.offset)) raise(kGP, e.ext);
      if (ia32e)
        deliver_ia32e(*this, e, g, cs_new, new_cpl, rflags);
      else
        deliver_legacy(*this, e, g, cs_new, new_cpl, rflags);
      u64 clear = fl::TF | fl::NT | fl::RF | fl::VM;
      if (!is_trap_gate(g.type)) clear |= fl::IF;
      flags.set(rflags & ~clear);
    }
    mode_changed();
  } catch (const GuestFault& second) {
    // A software event's instruction length goes with a VM exit during its
    // delivery (SDM Vol. 3C §27.2.5).
    const bool software_event = type == EventType::SoftwareInterrupt || type == EventType::SoftwareException ||
                                type == EventType::PrivilegedSoftwareException;
    const u32 insn_len = software_event ? u32(return_rip - rip) : 0;
    if (second.vector == kVmExitUnwind) {
      // An access of the delivery exited (APIC access, §30.4): the event is
      // saved as IDT-vectoring information (§27.2.3).
      if (vmx_->exit_during_delivery(vmx::intr_info::make(vector, type, has_error), error, insn_len, rflags & fl::RF))
        return;
      throw;
    }
    if (second.ept) {
      // An EPT-induced VM exit while delivering: the event is saved as
      // IDT-vectoring information (SDM Vol. 3C §27.2.3), not combined.
      ept_fault_.during_delivery = true;
      ept_fault_.vector = vector, ept_fault_.has_error = has_error, ept_fault_.error = error;
      ept_fault_.software = software;
      ept_fault_.instruction_length = u8(insn_len);
      deliver_ept_fault();
      return;
    }
    // VMX non-root: the second exception may exit (with the first event in
    // the IDT-vectoring information), a triple fault always does.
    if (vmx_non_root_ &&
        vmx_->fault_during_delivery(vector, type, has_error, error, second, delivery_depth_, u32(return_rip - rip)))
      return;
    if (software) throw;
    if (delivery_depth_ == 1) chain_start_ = {true, vector, has_error, error, rip, seg[CS].selector, u8(code_size())};
    if (vector == kDF || delivery_depth_ > 8) {
      fatal_ = StopCause::TripleFault;
      stop_detail_ =
          std::string("triple fault: ") + vector_name(second.vector) + " while delivering " + vector_name(vector);
      request_stop();
      return;
    }
    // A page fault loads CR2 when it is detected, also one that becomes #DF.
    if (second.vector == kPF) cr2 = second.fault_address;
    FaultClass a = fault_class(vector), b = fault_class(second.vector);
    bool df = (a == FaultClass::Contributory && b == FaultClass::Contributory) ||
              (a == FaultClass::PageFault && (b == FaultClass::Contributory || b == FaultClass::PageFault));
    if (df) {
      deliver(kDF, true, 0, return_rip, false);
    } else {
      deliver(second.vector, second.has_error, second.error, return_rip, false);
    }
  }
}

}  // namespace vtlab

// One x86-64 logical processor: architectural state, the decoded-block
// cache, memory access through the software TLB, and the execution loop.
// Instruction semantics live in cpu/handlers/ (one definition each).
#pragma once
#include <csetjmp>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/base/input.h"
#include "core/base/log.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "core/base/types.h"
#include "cpu/diagnostics.h"
#include "cpu/exceptions.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/platform.h"
#include "cpu/state.h"
#include "mmu/ept.h"
#include "mmu/gpa_tlb.h"
#include "mmu/paging.h"
#include "mmu/phys_mem.h"
#include "mmu/tlb.h"
#include "mmu/translation_tlb.h"

namespace vtlab {

template <unsigned S>
using uint_t = std::conditional_t<S == 1, u8, std::conditional_t<S == 2, u16, std::conditional_t<S == 4, u32, u64>>>;
template <unsigned S>
using sint_t = std::make_signed_t<uint_t<S>>;

// Asked by the CPU between blocks when RFLAGS.IF=1 (PIC/APIC attach here).
class InterruptSource {
 public:
  virtual ~InterruptSource() = default;
  virtual bool has_interrupt() = 0;
  virtual u8 acknowledge() = 0;  // returns the vector
};

// Who makes a memory access (SDM Vol. 3A §4.6.1): CPL 0-2 (explicit), CPL 3,
// or the processor itself reading system structures (GDT, LDT, IDT, TSS:
// "implicit supervisor-mode accesses", whatever the CPL).
inline constexpr unsigned kSupervisorAccess = 0, kUserAccess = 1, kImplicitAccess = 2;

// Halted: the CPU is halted with nothing to take (only with
// set_halt_yields(true); the caller decides how time passes).
enum class StopCause { None, InsnLimit, Requested, TripleFault, HaltedForever, InternalError, Exception, Halted };

struct Block;
class Decoder;
class X87ErrorPins;

struct CpuidBit;
struct CpuidContext;
class Vmx;

// VMX interruption types (SDM Vol. 3C §25.8.3, Table 25-17): how an event
// is delivered, recorded in the VM-exit interruption and IDT-vectoring
// information fields.
enum class EventType : u8 {
  ExternalInterrupt = 0,
  Nmi = 2,
  HardwareException = 3,
  SoftwareInterrupt = 4,            // INT n
  PrivilegedSoftwareException = 5,  // INT1 (ICEBP)
  SoftwareException = 6,            // INT3, INTO
  Other = 7,
};
// raise_fault() with this vector unwinds an instruction that ended in a VM
// exit (cpu/vmx/): the exit has already happened, nothing is delivered.
inline constexpr u8 kVmExitUnwind = 0xff;

class Cpu final : public CodeWriteListener {
 public:
  Cpu(PhysMem& mem, PortBus& ports, Scheduler& sched);
  ~Cpu() override;

  // ---- architectural state (public: handlers, debugger and tests read it) ----
  u64 gpr[16] = {};
  u64 rip = 0;
  LazyFlags flags;
  Segment seg[kNumSegs];
  Segment ldtr, tr;
  TableReg gdtr, idtr;
  u64 cr0 = cr0::ET | cr0::CD | cr0::NW, cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
  u64 efer = 0;
  u64 xcr0 = 1;
  Xmm xmm[16] = {};
  u32 mxcsr = 0x1f80;
  X87State x87;
  u64 dr[8] = {0, 0, 0, 0, 0xffff0ff0, 0xffff0ff0, 0xffff0ff0, 0x400};
  MsrFile msr;
  u8 cpl = 0;
  u64 pdpte[4] = {};  // PAE paging: the PDPTE registers (SDM Vol. 3A §4.4.1)
  u32 pkru = 0;       // protection-key rights for user pages (§4.6.2)
  bool halted = false;
  // Interrupts are inhibited for one instruction after STI / MOV SS / POP SS.
  bool interrupt_shadow = false;
  // NMIs are blocked from the delivery of one until the next IRET (SDM Vol.
  // 3A §6.7.1).
  bool nmi_blocked_ = false;
  bool nmi_pending_ = false;
  // The shadow after MOV SS / POP SS also holds off NMIs and debug traps
  // (SDM Vol. 2 MOV, §6.8.3); STI's holds off maskable interrupts only.
  enum class Shadow : u8 { Sti, MovSs };
  void set_interrupt_shadow(Shadow kind) {
    interrupt_shadow = true, shadow_kind_ = kind, shadow_fresh_ = true;
    end_block();
  }
  // A nonmaskable interrupt (LINT1, an NMI IPI, the chipset): delivered
  // before the next instruction unless blocked; wakes HLT.
  void raise_nmi() {
    nmi_pending_ = true;
    end_block();
  }
  bool nmi_pending() const { return nmi_pending_; }

  // ---- mode ----
  bool long64() const { return mode64_; }
  bool protected_mode() const { return cr0 & cr0::PE; }
  bool v86() const { return flags.bits & fl::VM; }
  unsigned code_size() const;   // 2, 4 or 8: default operand/address size of CS
  unsigned stack_size() const;  // 2, 4 or 8: SS.B / long mode
  // Recomputes cached mode bits and drops what depends on them. Call after
  // changing CR0/CR4/EFER/CS or CPL directly.
  void mode_changed();
  // Debug traps (DR6 bits) to deliver as #DB after the current instruction.
  u64 pending_debug_ = 0;
  // Debug registers (cpu/debug_regs.cpp). MOV DR goes through these.
  u64 read_dr(unsigned n);
  void write_dr(unsigned n, u64 v);
  // DR7 (or CR4.DE) changed: recomputes which breakpoints are armed.
  void debug_changed();
  void check_io_breakpoints(u16 port, unsigned size);
  // After CR0/CR3/CR4/EFER were set directly (tests, debugger, loaders):
  // recomputes the paging mode, loads the PAE PDPTE registers from CR3
  // without checks, and flushes every TLB. MOV to CR does its own,
  // architectural, loading and flushing (cpu/system.cpp).
  void paging_changed();
  PagingMode paging_mode() const { return paging_; }
  static PagingMode paging_mode_for(u64 cr0_value, u64 cr4_value, u64 efer_value);
  u16 current_pcid() const { return (cr4 & cr4::PCIDE) ? u16(cr3 & 0xfff) : 0; }
  // TLB invalidations (SDM Vol. 3A §4.10.4.1, cpu/address_translation.cpp).
  void invalidate_page(u64 lin);                           // INVLPG
  void invalidate_pcid(unsigned type, u16 pcid, u64 lin);  // INVPCID types 0-3
  // CR0.WP, CR4.SMEP/SMAP/PKE or PKRU changed: rights are decided anew.
  void access_rights_changed();
  const TranslationTlb& tlb() const { return tlb_; }
  const GpaTlb& gpa_tlb() const { return gpa_tlb_; }

  // ---- VMX second-level translation (mmu/ept.h, cpu/address_translation.cpp) ----
  // The VMX code sets the state at VM entry and VM exit (root: SecondLevel{}).
  // With "enable VPID" = 0 on the non-root side, the transition drops the
  // entries of VPID 0 (SDM Vol. 3C §28.3.3.1).
  void set_second_level(const SecondLevel& s);
  const SecondLevel& second_level() const { return second_level_; }
  // Where EPT violations, misconfigurations and PML-full events go (the VMX
  // exit path); without one, the run stops with an internal error.
  void set_ept_fault_sink(EptFaultSink* s) { ept_sink_ = s; }
  // The last EPT fault raised (what the sink is given).
  const EptFault& ept_fault() const { return ept_fault_; }
  // Abandons the current instruction for an EPT-induced VM exit.
  [[noreturn]] void raise_ept_fault(const EptFault& f);
  // INVEPT (SDM Vol. 2 INVEPT; Vol. 3C §28.3.3.1): guest-physical and
  // combined mappings of one EP4TA (every VPID and PCID), or of all.
  void invalidate_ept(u64 eptp);
  void invalidate_all_ept();
  // INVVPID: linear and combined mappings of one VPID (every PCID and
  // EP4TA) for one address (globals too, type 0) or all (type 1; type 3
  // keeps global ones), or of every VPID but 0000H (type 2).
  void invalidate_vpid_address(u16 vpid, u64 lin);
  void invalidate_vpid(u16 vpid, bool keep_global);
  void invalidate_all_vpids();

  // ---- running ----
  // Runs until `icount() == stop_at`, a stop request, or a fatal condition.
  StopCause run(u64 stop_at);
  void request_stop() { stop_requested_ = true, break_block_ = true; }
  // Virtual time in ticks (docs/architecture.md "Virtual time"): one per
  // instruction retired (each iteration of a REP string instruction counts
  // as one), one per exception or interrupt delivered, plus the time
  // skipped while halted. retired() leaves out deliveries and halted time.
  u64 icount() const { return icount_; }
  u64 retired() const { return icount_ - halted_time_ - delivery_ticks_; }
  u64 deliveries() const { return delivery_ticks_; }
  // DR6 bits of debug traps due at the boundary where the last run stopped.
  u64 debug_traps_pending() const { return boundary_debug_traps_; }
  // True when the last run stopped inside an instruction that takes several
  // ticks (a REP string instruction between iterations): RIP still points
  // at it and running on resumes it.
  bool mid_instruction() const { return mid_instruction_; }
  void set_interrupt_source(InterruptSource* s) { irq_source_ = s; }
  // FERR#/IGNNE# for x87 errors with CR0.NE=0 (cpu/x87/error_pins.h); the
  // chipset attaches here.
  void set_x87_error_pins(X87ErrorPins* p) { x87_pins_ = p; }
  X87ErrorPins* x87_error_pins() const { return x87_pins_; }
  const std::string& stop_detail() const { return stop_detail_; }
  // When on, an exception (fault, INT3/INTO/INT n, single-step trap) stops
  // the run with StopCause::Exception instead of being delivered, with the
  // state exactly as delivery would have found it (debugger "stop on
  // exception"; instruction tests). For a fault RIP is the faulting
  // instruction; for a trap or software interrupt, the next one.
  void set_intercept_exceptions(bool on) { intercept_exceptions_ = on; }
  const GuestFault& intercepted_exception() const { return intercepted_; }
  // The last valid instruction the guest ran that vtlab does not implement
  // (it raised #UD); mnemonic 0 if none. Run summaries name it.
  u16 last_unimplemented() const { return last_unimplemented_.mnemonic; }
  const InsnSite& last_unimplemented_site() const { return last_unimplemented_; }
  void note_unimplemented(const InsnSite& site) { last_unimplemented_ = site; }
  // The event that began the last delivery chain in which a delivery
  // faulted (what a triple fault's summary names first).
  const ChainStart& chain_start() const { return chain_start_; }
  // Instructions retired up to the one running now (for log lines).
  u64 instructions_now() const { return retired() + insns_this_block(); }
  Log& log() const { return *log_; }
  void set_log(Log& log) { log_ = &log; }
  // Resets to the power-on state (SDM Vol. 3A §9.1.1). A vCPU whose
  // initial APIC ID is not 0 comes out of reset as an application
  // processor (IA32_APIC_BASE.BSP = 0): vCPU 0 is the bootstrap processor.
  void reset();
  // The INIT signal (SDM Vol. 3A §9.1, Table 9-1): the reset state, except
  // that MSRs (IA32_APIC_BASE, the MTRRs, ...), CR0.CD/NW, the x87 and SSE
  // state and XCR0 are kept.
  void init_signal();
  // A start-up IPI to a processor waiting for one (SDM Vol. 3A §9.4.3,
  // §10.6.1): real mode at vector:0000, CS = vector << 8, base vector << 12.
  void startup(u8 vector);
  // While on, a halted CPU with nothing to take returns StopCause::Halted
  // from run() instead of advancing virtual time to the next event itself:
  // the Machine's vCPU scheduler decides (core/machine/vcpu_scheduler.h).
  void set_halt_yields(bool on) { halt_yields_ = on; }

  // ---- used by handlers ----
  u64 next_rip = 0;  // RIP after the current instruction; branches change it
  // Ends the current block after this instruction (mode changes, SMC, ...).
  void end_block() { break_block_ = true; }
  bool block_must_end() const { return break_block_; }
  // The instruction running reads and writes its memory destination (a
  // LOCK-able form): its read counts as a write where the SDM reports an
  // access type (EPT-violation and APIC-access exit qualifications).
  bool read_modify_write() const;
  // Dispatch position in the block being executed (cpu/dispatch.h): `cur`
  // is the instruction running (or the next to run), `end` one past the
  // last one allowed to run.
  struct ExecCursor {
    const Insn* start = nullptr;
    const Insn* cur = nullptr;
    const Insn* end = nullptr;
    Block* block = nullptr;  // the block `start` belongs to
    u64 start_rip = 0;       // RIP of the block's first instruction
    u64 limit = 0;           // virtual time at which the run must stop
    // Blocks that may still be entered by chaining before control returns
    // to the run loop. Without tail calls (a Debug build) every chained step
    // is a stack frame; this bounds the depth to about kMaxChained * 65.
    unsigned chain_budget = 0;
  } exec;
  static constexpr unsigned kMaxChained = 16;
  // A branch at the end of the current block jumped to the block's own
  // start: retire this pass and return the first instruction to run again,
  // or nullptr if the deadline does not allow another full pass.
  [[gnu::always_inline]] const Insn* restart_self_loop(const Insn* sentinel) {
    const u64 count = u64(sentinel - exec.start);
    icount_ += count;
    if (icount_ + count > exec.limit || --exec.chain_budget == 0) {
      exec.start = exec.cur = sentinel;  // accounted: nothing more to add
      return nullptr;
    }
    exec.cur = exec.start;
    return exec.start;
  }
  // The record after a block's last instruction: retires the block and
  // continues into the linked successor block without leaving the
  // threaded code (cpu.cpp).
  static void block_end(Cpu& c, const Insn& sentinel);
  PortBus& ports() { return ports_; }
  PhysMem& mem() { return mem_; }
  Scheduler& scheduler() { return sched_; }
  // For instructions that take several ticks (REP string iterations): the
  // ticks left before the deadline the current block runs to (at least 1
  // while an instruction runs), and accounting for `n` extra ticks spent.
  u64 ticks_left() const { return exec.limit - (icount_ + insns_this_block()); }
  void add_ticks(u64 n) { icount_ += n; }
  // Virtual time that passes while the processor does not run (the machine
  // resetting and reloading its image): counted like halted time, so
  // retired() does not include it.
  void pass_time(u64 n) { icount_ += n, halted_time_ += n; }
  void set_mid_instruction(bool on) { mid_instruction_ = on; }
  // Before a device access: bring the scheduler's clock to this instruction,
  // and stop after it so the run loop sees any event or interrupt the
  // device raises (a device may schedule an event sooner than the deadline
  // this block runs to).
  void sync_time() {
    sched_.advance_to(icount_ + insns_this_block());
    end_block();
  }

  // Register access by operand.
  template <unsigned S>
  uint_t<S> read_reg(const Operand& o) const {
    if (S == 1 && o.kind == OpKind::GprHigh) return uint_t<S>(gpr[o.reg] >> 8);
    return uint_t<S>(gpr[o.reg]);
  }
  template <unsigned S>
  void write_reg(const Operand& o, uint_t<S> v) {
    write_gpr<S>(o.reg, v, o.kind == OpKind::GprHigh);
  }
  template <unsigned S>
  void write_gpr(unsigned r, uint_t<S> v, bool high8 = false) {
    if constexpr (S == 8) {
      gpr[r] = v;
    } else if constexpr (S == 4) {
      gpr[r] = v;  // 32-bit writes zero-extend (SDM Vol. 1 §3.4.1.1)
    } else if constexpr (S == 2) {
      gpr[r] = (gpr[r] & ~u64(0xffff)) | v;
    } else {
      if (high8)
        gpr[r] = (gpr[r] & ~u64(0xff00)) | (u64(v) << 8);
      else
        gpr[r] = (gpr[r] & ~u64(0xff)) | v;
    }
  }

  // Effective address of the memory operand (before segmentation).
  [[gnu::always_inline]] u64 effective_address(const Insn& i) const {
    const MemRef& m = i.mem;
    u64 ea = u64(m.disp);
    if (m.base != kNoReg) ea += m.base == kRipReg ? next_rip : gpr[m.base];
    if (m.index != kNoReg) ea += gpr[m.index] << m.scale;
    if (i.asize == 4) return u32(ea);
    if (i.asize == 2) return u16(ea);
    return ea;
  }
  // Linear address of a data access through segment `s` (checks limits and
  // rights outside 64-bit mode, canonical form inside it).
  [[gnu::always_inline]] u64 linear(unsigned s, u64 ea, unsigned size, Access acc) {
    if (mode64_) {
      u64 lin = (s >= FS) ? ea + seg[s].base : ea;
      if (!is_canonical(lin)) raise_canonical(s);
      return lin;
    }
    return legacy_linear(s, ea, size, acc);
  }
  [[gnu::always_inline]] u64 mem_linear(const Insn& i, unsigned size, Access acc) {
    return linear(i.mem.seg, effective_address(i), size, acc);
  }
  static bool is_canonical(u64 a) { return u64(i64(a << 16) >> 16) == a; }

  // Data reads/writes by linear address at the current privilege.
  template <typename T>
  [[gnu::always_inline]] T read_lin(u64 lin) {
    if ((lin & 0xfff) <= 0x1000 - sizeof(T)) [[likely]]
      if (u8* h = tlb_read_.lookup(lin, user_access())) [[likely]] {
        T v;
        std::memcpy(&v, h, sizeof v);
        return v;
      }
    T v;
    read_slow(lin, &v, sizeof v, user_access());
    return v;
  }
  template <typename T>
  [[gnu::always_inline]] void write_lin(u64 lin, T v) {
    if ((lin & 0xfff) <= 0x1000 - sizeof(T)) [[likely]]
      if (u8* h = tlb_write_.lookup(lin, user_access())) [[likely]] {
        std::memcpy(h, &v, sizeof v);
        return;
      }
    write_slow(lin, &v, sizeof v, user_access());
  }
  // Supervisor-implicit accesses (descriptor tables, TSS, IDT, the stack of
  // an interrupt frame): CPL ignored. They share the supervisor TLB entries,
  // so exception delivery does not walk the page tables every time.
  template <typename T>
  T read_sys(u64 lin) {
    T v;
    // A supervisor entry exists only where every supervisor access is
    // allowed (never for a user page under SMAP: mmu/tlb.h), so implicit
    // accesses may use it; a miss walks as an implicit access.
    if ((lin & 0xfff) <= 0x1000 - sizeof(T))
      if (u8* h = tlb_read_.lookup(lin, false)) {
        std::memcpy(&v, h, sizeof v);
        return v;
      }
    read_slow(lin, &v, sizeof v, kImplicitAccess);
    return v;
  }
  template <typename T>
  void write_sys(u64 lin, T v) {
    if ((lin & 0xfff) <= 0x1000 - sizeof(T))
      if (u8* h = tlb_write_.lookup(lin, false)) {
        std::memcpy(h, &v, sizeof v);
        return;
      }
    write_slow(lin, &v, sizeof v, kImplicitAccess);
  }
  // Checks that [lin, lin+len) is writable without writing (for precise
  // multi-part stores: check everything first, then store).
  void probe_write(u64 lin, unsigned len);
  // The page checks and faults of a one-byte read at `lin`, without reading
  // (CLFLUSH, CLFLUSHOPT, CLWB: no device access, no data breakpoint).
  void probe_read(u64 lin) { translate_or_fault(lin, Access::Read, user_access()); }
  void read_block(u64 lin, void* dst, unsigned len) { read_slow(lin, dst, len, user_access()); }
  void write_block(u64 lin, const void* src, unsigned len) { write_slow(lin, src, len, user_access()); }

  // Operand access by size. Memory operands go through the segment and TLB.
  template <unsigned S>
  uint_t<S> read_op(const Insn& i, int n) {
    const Operand& o = i.op[n];
    switch (o.kind) {
      case OpKind::Gpr:
        return uint_t<S>(gpr[o.reg]);
      case OpKind::GprHigh:
        return uint_t<S>(gpr[o.reg] >> 8);
      case OpKind::Mem:
        return read_lin<uint_t<S>>(mem_linear(i, S, Access::Read));
      default:
        return uint_t<S>(i.imm);
    }
  }
  template <unsigned S>
  void write_op(const Insn& i, int n, uint_t<S> v) {
    const Operand& o = i.op[n];
    if (o.kind == OpKind::Mem)
      write_lin<uint_t<S>>(mem_linear(i, S, Access::Write), v);
    else
      write_reg<S>(o, v);
  }

  // Stack.
  u64 rsp_mask() const { return stack_mask_; }
  template <unsigned S>
  void push(uint_t<S> v) {
    u64 sp = (gpr[RSP] - S) & stack_mask_;
    write_lin<uint_t<S>>(linear(SS, sp, S, Access::Write), v);
    set_sp(sp);
  }
  template <unsigned S>
  uint_t<S> pop() {
    u64 sp = gpr[RSP] & stack_mask_;
    uint_t<S> v = read_lin<uint_t<S>>(linear(SS, sp, S, Access::Read));
    set_sp(sp + S);
    return v;
  }
  // Reads the stack slot `offset` bytes above RSP without popping.
  template <unsigned S>
  uint_t<S> peek(u64 offset) {
    u64 sp = (gpr[RSP] + offset) & stack_mask_;
    return read_lin<uint_t<S>>(linear(SS, sp, S, Access::Read));
  }
  // The same for an operand size known only at run time (2, 4 or 8).
  u64 peek_sized(unsigned size, u64 offset) {
    return size == 8 ? peek<8>(offset) : size == 4 ? u64(peek<4>(offset)) : u64(peek<2>(offset));
  }
  void set_sp(u64 sp) {
    if (stack_mask_ == ~u64(0))
      gpr[RSP] = sp;
    else
      gpr[RSP] = (gpr[RSP] & ~stack_mask_) | (sp & stack_mask_);
  }

  // Control transfer within CS: sets next_rip, truncated to the operand size.
  void branch_to(u64 target, unsigned opsize) {
    if (opsize == 2)
      target &= 0xffff;
    else if (opsize == 4)
      target &= 0xffffffff;
    else if (!is_canonical(target))
      raise(kGP, 0);  // SDM: #GP(0) for a non-canonical RIP
    if (!mode64_ && target > seg[CS].limit) raise(kGP, 0);
    next_rip = target;
  }

  // RFLAGS as software sees it, and the rules for writing it.
  u64 rflags() const { return flags.get(); }
  // Writes the bits of `mask` (POPF/IRET decide the mask by mode and CPL).
  void write_rflags(u64 value, u64 mask);

  // Far JMP/CALL/RET (cpu/far_transfer.cpp) and task switches
  // (cpu/task_switch.cpp). `opsize` is the instruction's operand size.
  void far_jump(u16 selector, u64 offset, unsigned opsize);
  void far_call(u16 selector, u64 offset, unsigned opsize);
  void far_return(unsigned opsize, u64 release);
  enum class TaskSwitch : u8 { Jmp, Call, Iret, Interrupt };
  // Switches to the task of TSS `tss_sel`; the old task resumes at
  // `return_rip`. An exception's error code is pushed on the new stack.
  void task_switch(u16 tss_sel, TaskSwitch why, u64 return_rip, u32 ext, bool has_error, u32 error);

  // Segments (cpu/segments.cpp).
  void load_segment(unsigned s, u16 selector);  // MOV/POP Sreg semantics
  void load_segment_real(unsigned s, u16 selector);
  void load_cs(u16 selector);
  u64 read_descriptor(u16 selector);  // raw 8 bytes; #GP(selector) beyond the table limit
  static Segment segment_from_descriptor(u16 selector, u64 desc);
  void set_cpl(unsigned c);

  // Faults and interrupts (cpu/interrupts.cpp).
  //
  // raise() abandons the current instruction and unwinds to the execution
  // loop, which delivers the fault. Inside a run slice it unwinds with
  // longjmp (C++ unwinding costs about a microsecond, and guests take
  // faults by the million); elsewhere, and inside a FaultThrowScope, it
  // throws GuestFault. Hence the rule for code a handler runs: no object
  // with a non-trivial destructor may be alive across a call that can
  // raise, unless a FaultThrowScope is active (docs/architecture.md).
  [[noreturn]] void raise(u8 vector, u32 error_code) { raise_fault(GuestFault{vector, true, error_code}); }
  [[noreturn]] void raise(u8 vector) { raise_fault(GuestFault{vector, false, 0}); }
  [[noreturn, gnu::cold]] void raise_fault(const GuestFault& f);
  // Software interrupt (INT n, INT3, INTO): delivered at next_rip. INT3
  // and INTO are software exceptions (`exception`): VMX intercepts them by
  // the exception bitmap, INT n not (SDM Vol. 3C §26.2).
  void software_interrupt(u8 vector, bool exception = false);
  // A trap raised by the current instruction that is delivered like a
  // hardware event (no gate DPL check): INT1/ICEBP's #DB.
  void trap(u8 vector);
  void external_interrupt(u8 vector, EventType type = EventType::ExternalInterrupt);
  void iret(unsigned opsize);
  // Virtual-8086 mode (cpu/v86.cpp).
  unsigned iopl() const;
  void v86_software_interrupt(u8 vector);  // INT n in virtual-8086 mode
  // CLI/STI act on VIF (VME in virtual-8086 mode, PVI at CPL 3).
  bool virtual_interrupt_flag_mode() const;

  // System registers (cpu/system.cpp; MSRs and CPUID: cpu/msr.cpp).
  void write_cr(unsigned n, u64 v);
  u64 read_cr(unsigned n) const;
  // Whether MOV to/from CRn exists (CR0, CR2, CR3, CR4, CR8; others #UD).
  static bool cr_exists(unsigned n) { return n == 0 || n == 2 || n == 3 || n == 4 || n == 8; }
  bool read_msr(u32 index, u64& out);
  bool write_msr(u32 index, u64 v);
  u64 tsc() const;
  void cpuid(u32 leaf, u32 subleaf, u32 out[4]) const;
  // Whether this vCPU's CPUID reports the feature (with its current state:
  // IA32_MISC_ENABLE, the APIC).
  bool reports(const CpuidBit& b) const;
  CpuidContext cpuid_context() const;

  // ---- VMX (cpu/vmx/, docs/vmx.md) ----
  Vmx& vmx() { return *vmx_; }
  const Vmx& vmx() const { return *vmx_; }
  // VMX non-root operation (SDM Vol. 3C ch. 26): the handlers of
  // instructions that can exit test this first (cpu/vmx/intercepts.h).
  bool vmx_non_root() const { return vmx_non_root_; }
  // Ends the running instruction after a VM exit that has been performed:
  // unwinds like a fault, and nothing is delivered.
  [[noreturn]] void vm_exit_unwind() { raise_fault(GuestFault{kVmExitUnwind, false, 0}); }
  // The interrupt/NMI checks between instructions outside VMX non-root
  // operation (Vmx calls it when nothing is intercepted).
  bool check_interrupts_native();
  // The APIC-access page in VMX non-root operation ("virtualize APIC
  // accesses", SDM Vol. 3C §30.4): data accesses whose physical address is
  // on it go to the VMX code (cpu/vmx/apic_virtualization.h) and never into
  // the host-pointer TLBs.
  static constexpr u64 kNoApicAccessPage = ~u64(0);
  void set_apic_access_page(u64 page_pa) {
    apic_access_page_ = page_pa;
    flush_host_tlbs();
  }

  // ---- platform (cpu/platform.h): set by the Machine ----
  void set_topology(const CpuTopology& t) { topology_ = t; }
  const CpuTopology& topology() const { return topology_; }
  void set_local_apic(LocalApicHooks* apic) { apic_ = apic; }
  // RDRAND/RDSEED read from here (default: DeterministicEntropy, constant seed).
  void set_entropy(EntropySource* e) { entropy_ = e ? e : &default_entropy_; }
  EntropySource& entropy() { return *entropy_; }
  void require_cpl0() {
    if (cpl != 0) raise(kGP, 0);
  }
  bool io_allowed(u16 port, unsigned size);
  void halt();
  // MONITOR/MWAIT (cpu/monitor_wait.cpp): MONITOR arms the monitor on the
  // 64-byte line of `lin` (checked like a byte read); MWAIT waits like HLT
  // until the line is written, an interrupt (also a masked one when
  // `extensions` bit 0 is set) or another event, or returns at once if the
  // monitor is not armed (SDM Vol. 2 MONITOR, MWAIT).
  void monitor(u64 lin);
  void mwait(u64 extensions);
  bool monitor_armed() const { return monitor_.armed; }
  bool waiting_in_mwait() const { return halted && monitor_.waiting; }

  // Called by PhysMem when code pages are written, and when a page becomes
  // a code page (of this or another vCPU: no fast writes to it from here).
  void on_code_write(u64 page_pa) override;
  void on_code_page_marked(u64 page_pa) override;

  // ---- debugger/test helpers ----
  // Translates through the page tables in memory as an access would, without
  // the TLB and without setting A/D flags; ~0 and *pf_error if it faults.
  // With EPT active the result is host-physical, the trace two-dimensional,
  // and an EPT fault is returned in *ept (pf_error 0). Each step carries its
  // memory type, *typing that of the access (mmu/memory_type.h).
  u64 translate(u64 lin, Access acc, bool user, std::vector<WalkStep>* trace, u32* pf_error, EptFault* ept = nullptr,
                MemoryTyping* typing = nullptr);
  // A guest-physical address through EPT, the same way (the identity
  // without EPT).
  u64 translate_guest_physical(u64 gpa, Access acc, std::vector<WalkStep>* trace, EptFault* ept,
                               MemoryTyping* typing = nullptr);
  u64 blocks_decoded() const { return blocks_decoded_; }
  void flush_decoded_blocks();
  // The decoded-block cache's budget (DESIGN: every cache has a fixed
  // budget and a stated eviction rule). When a new block would exceed
  // either limit, every block is dropped (a full flush, as QEMU does when
  // its code buffer fills); the running block is freed only after it ends.
  struct BlockCacheBudget {
    size_t max_blocks = 64 * 1024;
    size_t max_records = 1024 * 1024;  // decoded instruction records, sentinels included
  };
  void set_block_cache_budget(const BlockCacheBudget& b) { budget_ = b; }
  size_t cached_blocks() const { return blocks_.size(); }
  size_t cached_records() const { return cached_records_; }
  u64 block_cache_flushes() const { return cache_flushes_; }

 private:
  bool user_access() const { return cpl == 3; }
  // Linear addresses are 32 bits wide outside 64-bit mode (they wrap).
  u64 wrap_linear(u64 lin) const { return mode64_ ? lin : u32(lin); }
  u64 legacy_linear(unsigned s, u64 ea, unsigned size, Access acc);
  [[noreturn]] void raise_canonical(unsigned s) { raise(s == SS ? kSS : kGP, 0); }
  // Translates for an access by `who` (k*Access) through the TLB, walking on
  // a miss; raises #PF. host_for also fills the host-pointer TLBs.
  u64 translate_or_fault(u64 lin, Access acc, unsigned who);
  u8* host_for(u64 lin, Access acc, unsigned who, u64* pa_out);
  void read_slow(u64 lin, void* dst, unsigned len, unsigned who);
  void write_slow(u64 lin, const void* src, unsigned len, unsigned who);

  // ---- far transfers (cpu/far_transfer.cpp, cpu/task_switch.cpp) ----
  struct CallGate {
    u16 code_sel;
    u64 offset;
    unsigned size, params;
  };
  enum class FarKind : u8 { Code, CallGate, Task };
  bool selector_in_table(u16 sel) const;
  void set_accessed(u16 sel, u64 desc);
  Segment checked_stack_segment(u16 sel, unsigned new_cpl, u8 vec, u32 ext);
  u64 write_frame(const Segment& ss, u64 sp, unsigned w, const u64* v, unsigned n, u32 err, unsigned who);
  Segment gate_code_segment(u16 code_sel, bool jump, u64* raw);
  Segment direct_code_segment(u16 sel, u64 desc);
  u64 checked_target(const Segment& cs, u64 off, unsigned size);
  CallGate read_call_gate(u16 sel, u64 lo);
  FarKind far_kind(u16 sel, u64 desc);
  void task_switch_to(u16 sel, u64 desc, TaskSwitch why, u64 return_rip);
  void null_inaccessible_data_segments();
  void iret_to_v86(u64 eip, u16 cs_sel, u64 new_flags);
  // ---- debug (cpu/debug_regs.cpp) ----
  u8 exec_breakpoints_ = 0, data_breakpoints_ = 0, io_breakpoints_ = 0;  // DR0-3 masks
  bool debug_armed() const { return exec_breakpoints_ | data_breakpoints_ | io_breakpoints_; }
  unsigned dr_index(unsigned n);
  void check_general_detect();
  u64 instruction_breakpoint_hits() const;
  void check_data_breakpoints(u64 lin, unsigned len, bool write);
  Shadow shadow_kind_ = Shadow::Sti;
  bool shadow_fresh_ = false;  // set by the instruction running now
  bool rf_loaded_ = false;     // the instruction running now loaded RF (IRET, task switch)
  u64 deferred_debug_ = 0;     // debug traps held off by a MOV SS shadow
  u64 pushed_rf_ = 0;          // RF to set in the EFLAGS image of the next delivery (faults)
  void v86_iret(unsigned opsize);
  // ---- MONITOR/MWAIT (cpu/monitor_wait.cpp) ----
  static constexpr unsigned kMonitorLine = 64;  // CPUID.05H: smallest = largest monitor line
  struct MonitorState {
    bool armed = false;
    bool waiting = false;             // halted by MWAIT (not HLT)
    bool break_on_interrupt = false;  // MWAIT ECX[0]: a masked interrupt ends the wait
    u64 line_pa = 0;
    u8 line[kMonitorLine] = {};  // the line's bytes when MONITOR armed it
  } monitor_;
  bool monitor_triggered() const;
  // While halted: whether an event other than a delivered interrupt ends
  // the wait (MWAIT: the line written, a masked interrupt with ECX[0]).
  bool wait_ends_without_delivery();
  // Whether anything could ever end the wait (else the run stops).
  bool wait_can_end() const;
  // Leaves the halt state (an event was delivered or the wait ended).
  void wake();

  friend class FaultThrowScope;
  friend class Vmx;
  std::unique_ptr<Vmx> vmx_;
  bool vmx_non_root_ = false;
  // Non-root with the monitor trap flag: one instruction per slice.
  bool vmx_single_step_ = false;
  u64 apic_access_page_ = kNoApicAccessPage;
  bool on_apic_access_page(u64 pa) const { return (pa & ~u64(0xfff)) == apic_access_page_; }
  // Runs blocks from RIP until `limit`, a block break or a fault (which it
  // delivers). The setjmp target of raise() while it runs.
  [[gnu::noinline]] void run_slice(u64 limit);
  // Accounts the instructions of a block cut short by a fault.
  void abandon_block();
  Block* fetch_block();
  // Fetches the bytes of an instruction that continues on the next page,
  // checking execute rights on both pages (SDM Vol. 3A §4.6).
  void fetch_across_pages(u64 lin, const u8* first, unsigned first_len, u8* out, unsigned out_len);
  Block* next_block(Block* prev);  // chained successor, or fetch_block()
  Block* decode_block(u64 lin, u64 pa);
  // Runs b (and the blocks it chains into); returns the block running last.
  Block* execute_block(Block* b, u64 stop_at);
  u64 insns_this_block() const { return exec.cur ? u64(exec.cur - exec.start) : 0; }
  void deliver(u8 vector, bool has_error, u32 error, u64 return_rip, bool software,
               EventType type = EventType::HardwareException);
  bool check_interrupts();  // true if it delivered an NMI or interrupt
  void after_instruction(bool tf, bool rf, bool single, u64 stop_at);
  void deliver_debug_traps(u64 dr6_bits);
  void drop_blocks_on_page(u64 page_pa);
  void retire_block_storage();

  PhysMem& mem_;
  PortBus& ports_;
  Scheduler& sched_;
  unsigned code_listener_id_ = 0;  // this vCPU's code-page bit in PhysMem
  std::unique_ptr<Decoder> decoder_;
  InterruptSource* irq_source_ = nullptr;
  X87ErrorPins* x87_pins_ = nullptr;
  CpuTopology topology_;
  LocalApicHooks* apic_ = nullptr;
  DeterministicEntropy default_entropy_;
  EntropySource* entropy_ = &default_entropy_;

  // ---- translation (cpu/address_translation.cpp, cpu/system.cpp) ----
  // The architectural TLB, and the host-pointer TLBs of the fast path,
  // filled from it for the current context (mmu/tlb.h says what they hold).
  TranslationTlb tlb_;
  SoftTlb tlb_read_, tlb_write_, tlb_exec_;
  PagingMode paging_ = PagingMode::None;
  enum class TlbFlush : u8 { Rights, CurrentContext, All };
  TlbContext tlb_context() const { return TlbContext{current_pcid()}; }
  WalkRequest walk_request(u64 lin, Access acc, unsigned who) const;
  u64 translate_access(u64 lin, Access acc, unsigned who, bool* host_cacheable, bool* large_page = nullptr);
  // The slow path in VMX non-root operation with EPT (two-dimensional).
  u64 translate_nested(u64 lin, Access acc, unsigned who, bool* host_cacheable, bool* large_page);
  // MOV to CR with PAE paging: the PDPTEs from the guest's CR3 (through EPT
  // when active, as reads); false for a reserved bit (#GP).
  bool load_pdptes(u64 cr3_value, u64 out[4]);
  // Turns an EPT fault into a VM exit through the sink (run loop).
  void deliver_ept_fault();
  SecondLevel second_level_;
  bool ept_active_ = false;  // second_level_.ept_active(), read on every TLB miss
  GpaTlb gpa_tlb_;
  EptFault ept_fault_;
  EptFaultSink* ept_sink_ = nullptr;
  // instructions_now() + 1 of an IRET that ended NMI blocking (exit
  // qualification bit 12 of an EPT fault in the same instruction).
  u64 iret_unblocked_nmi_ = 0;
  void update_paging_mode() { paging_ = paging_mode_for(cr0, cr4, efer); }
  void flush_tlb(TlbFlush what);
  void flush_host_tlbs();  // and every block link: translations may differ
  // Drops the host-pointer entries of a page of 2^shift bytes (4 KiB if
  // shift is 0); `invalidation` also drops block links (not needed when the
  // TLB merely evicted an entry).
  void drop_host_range(u64 lin, unsigned shift, bool invalidation);
  void load_pdptes_or_fault(u64 cr3_value);
  u64 cr8_value() const;
  void write_cr0(u64 v);
  void write_cr3(u64 v);
  void write_cr4(u64 v);

  bool mode64_ = false;
  u64 stack_mask_ = 0xffff;
  // Alignment checking (SDM Vol. 3A §6.15 #AC): CR0.AM, EFLAGS.AC and CPL 3.
  // While on, user data accesses bypass the host-pointer TLBs, so the slow
  // path sees (and checks) every one of them; the fast path pays nothing.
  bool ac_active_ = false;
  void update_alignment_check();
  void check_alignment(u64 lin, unsigned len);
  // What instruction fetch depends on besides paging: block links made
  // under another context are stale (mode_changed() starts a new epoch).
  struct FetchContext {
    u64 cs_base;
    u32 cs_limit;
    u8 code_size;
    u8 cpl;
    bool operator==(const FetchContext&) const = default;
  } fetch_context_{};

  // Block cache keyed by the code's host address + code size (Block::make_key).
  std::unordered_map<u64, Block*> blocks_;
  std::unordered_map<u64, std::vector<Block*>> blocks_by_page_;
  // How often each code page has been written while holding blocks. A page
  // written again and again (code and data mixed, or self-modifying loops)
  // gets one-instruction blocks, so an invalidation wastes one decode, not 64.
  std::unordered_map<u64, u32> page_invalidations_;
  static constexpr u32 kVolatilePage = 8;
  static constexpr unsigned kFastCacheSize = 4096;
  Block* fast_cache_[kFastCacheSize] = {};
  std::vector<Block*> retired_blocks_;  // freed at the next block boundary
  Block* spare_block_ = nullptr;        // being decoded; reused if decoding faults
  BlockCacheBudget budget_;
  size_t cached_records_ = 0;
  u64 cache_flushes_ = 0;
  u64 blocks_decoded_ = 0;
  u64 chain_epoch_ = 0;
  static unsigned fast_slot(u64 key) { return unsigned((key ^ (key >> 14)) % kFastCacheSize); }

  u64 icount_ = 0;
  u64 halted_time_ = 0;
  u64 delivery_ticks_ = 0;
  bool mid_instruction_ = false;
  // Debug traps (DR6 bits) due at the boundary where a run reached its
  // limit: delivered first thing in the next run (a tick of its own).
  u64 boundary_debug_traps_ = 0;
  // Where raise() longjmps to while a run slice executes (null: throw).
  std::jmp_buf* fault_jmp_ = nullptr;
  GuestFault pending_fault_{};
  bool break_block_ = false;
  bool stop_requested_ = false;
  StopCause fatal_ = StopCause::None;
  std::string stop_detail_;
  // Exception nesting for #DF / triple fault (SDM Vol. 3A §6.15, Table 6-5).
  int delivery_depth_ = 0;  // nested deliveries (a fault while delivering)
  bool intercept_exceptions_ = false;
  InsnSite last_unimplemented_;
  ChainStart chain_start_;
  Log* log_ = &Log::off();
  bool exception_stop_ = false;
  bool halt_yields_ = false;
  GuestFault intercepted_{};
  // Delivers f, or stops the run if exceptions are intercepted.
  // `fault`: a fault-class exception (RF=1 in the pushed EFLAGS image).
  void handle_event(const GuestFault& f, u64 return_rip, bool fault = true);
  // With interception on: records f and stops the run (true).
  bool stop_if_intercepted(const GuestFault& f);
};

// While alive, raise() throws GuestFault instead of longjmp-ing, so that
// a catch block (undoing a partly done instruction, or combining a fault
// during delivery into #DF) sees it.
class FaultThrowScope {
 public:
  explicit FaultThrowScope(Cpu& c) : c_(c), saved_(c.fault_jmp_) { c.fault_jmp_ = nullptr; }
  ~FaultThrowScope() { c_.fault_jmp_ = saved_; }
  FaultThrowScope(const FaultThrowScope&) = delete;
  FaultThrowScope& operator=(const FaultThrowScope&) = delete;

 private:
  Cpu& c_;
  std::jmp_buf* saved_;
};

}  // namespace vtlab

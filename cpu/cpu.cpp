#include "cpu/cpu.h"

#include <algorithm>
#include <csetjmp>
#include <utility>

#include "cpu/block.h"
#include "cpu/cpuid_table.h"
#include "cpu/decoder.h"
#include "cpu/msr_table.h"
#include "cpu/vmx/vmx.h"

namespace vtlab {

Cpu::Cpu(PhysMem& mem, PortBus& ports, Scheduler& sched)
    : mem_(mem), ports_(ports), sched_(sched), decoder_(std::make_unique<Decoder>()) {
  vmx_ = std::make_unique<Vmx>(*this);
  code_listener_id_ = mem_.add_code_listener(this);
  reset();
}

Cpu::~Cpu() {
  flush_decoded_blocks();
  retire_block_storage();
  delete spare_block_;
  mem_.remove_code_listener(code_listener_id_);
}

void Cpu::reset() {
  // Power-on state, SDM Vol. 3A §9.1.1 Table 9-1.
  std::fill(std::begin(gpr), std::end(gpr), 0);
  u32 sig[4];
  cpuid_lookup(1, 0, sig);
  gpr[RDX] = sig[0];  // family/model/stepping signature, as CPUID.1:EAX
  flags.set(fl::kFixed1);
  rip = 0xfff0;
  for (Segment& s : seg) s = Segment{0, 0, 0xffff, ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed};
  seg[CS] = Segment{0xf000, 0xffff0000, 0xffff, ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed};
  ldtr = Segment{0, 0, 0xffff, ar::P | 2};
  tr = Segment{0, 0, 0xffff, ar::P | 3};
  gdtr = idtr = TableReg{0, 0xffff};
  cr0 = cr0::ET | cr0::CD | cr0::NW;
  cr2 = cr3 = cr4 = cr8 = 0;
  efer = 0;
  xcr0 = 1;
  for (Xmm& x : xmm) x = Xmm{};
  mxcsr = 0x1f80;
  x87 = X87State{};
  std::fill(std::begin(dr), std::end(dr), 0);
  dr[6] = dr6::kFixed1;
  dr[7] = 0x400;
  reset_msrs(msr);
  if (topology_.apic_id != 0) msr.apic_base &= ~apic_base::kBsp;
  cpl = 0;
  pkru = 0;
  halted = false;
  monitor_ = MonitorState{};
  interrupt_shadow = false;
  shadow_fresh_ = false;
  nmi_blocked_ = nmi_pending_ = false;
  pending_debug_ = deferred_debug_ = pushed_rf_ = 0;
  delivery_depth_ = 0;
  chain_start_ = ChainStart{};
  boundary_debug_traps_ = 0;
  fatal_ = StopCause::None;
  vmx_->reset();  // outside VMX operation (SDM Vol. 3C §24.7: RESET and INIT leave it)
  // Reset invalidates every cached translation (SDM Vol. 3C §28.3.3.1).
  second_level_ = SecondLevel{};
  ept_active_ = false;
  tlb_.set_context(0, 0);
  tlb_.flush_all();
  gpa_tlb_.flush_all();
  mode_changed();
  paging_changed();
  debug_changed();
}

void Cpu::init_signal() {
  const MsrFile kept_msr = msr;
  const u64 kept_cache_bits = cr0 & (cr0::CD | cr0::NW), kept_xcr0 = xcr0;
  Xmm kept_xmm[16];
  std::copy(std::begin(xmm), std::end(xmm), kept_xmm);
  const u32 kept_mxcsr = mxcsr;
  const X87State kept_x87 = x87;
  reset();
  msr = kept_msr;
  cr0 = (cr0 & ~(cr0::CD | cr0::NW)) | kept_cache_bits;
  xcr0 = kept_xcr0;
  std::copy(std::begin(kept_xmm), std::end(kept_xmm), xmm);
  mxcsr = kept_mxcsr;
  x87 = kept_x87;
  mode_changed();
}

void Cpu::startup(u8 vector) {
  seg[CS] = Segment{u16(vector << 8), u64(vector) << 12, 0xffff,
                    ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed};
  rip = 0;
  wake();
  mode_changed();
}

unsigned Cpu::code_size() const {
  if (mode64_) return 8;
  if (!protected_mode() || v86()) return 2;
  return (seg[CS].attr & ar::DB) ? 4 : 2;
}

unsigned Cpu::stack_size() const {
  if (mode64_) return 8;
  if (!protected_mode() || v86()) return 2;
  return (seg[SS].attr & ar::DB) ? 4 : 2;
}

void Cpu::mode_changed() {
  bool lma = (efer & efer::LMA) != 0;
  mode64_ = lma && (seg[CS].attr & ar::L);
  unsigned ss = stack_size();
  stack_mask_ = ss == 8 ? ~u64(0) : ss == 4 ? 0xffffffffull : 0xffffull;
  // Exception delivery and IRET call this on every round trip; most leave
  // the fetch context as it was, and then the block links stay valid.
  update_alignment_check();
  const FetchContext now{mode64_ ? 0 : seg[CS].base, mode64_ ? ~u32(0) : seg[CS].limit, u8(code_size()), cpl};
  if (!(now == fetch_context_)) {
    fetch_context_ = now;
    ++chain_epoch_;
  }
  end_block();
}

void Cpu::update_alignment_check() {
  const bool on = (cr0 & cr0::AM) && (flags.bits & fl::AC) && cpl == 3;
  if (on && !ac_active_) {
    // Drop the user entries that would let accesses skip the check.
    tlb_read_.flush();
    tlb_write_.flush();
  }
  ac_active_ = on;
}

void Cpu::check_alignment(u64 lin, unsigned len) {
  // Alignment each data size needs (SDM Vol. 3A Table 6-7): a word 2, a
  // doubleword 4, a quadword 8, a 48-bit far pointer 4, an 80-bit value 8.
  unsigned align;
  switch (len) {
    case 2:
      align = 2;
      break;
    case 4:
    case 6:
      align = 4;
      break;
    case 8:
    case 10:
      align = 8;
      break;
    default:
      return;
  }
  if (lin & (align - 1)) raise(kAC, 0);
}

void Cpu::set_cpl(unsigned c) {
  cpl = u8(c);
  mode_changed();  // fetches use the new privilege; links made at the old one are stale
}

// ---------------------------------------------------------------- memory

u64 Cpu::legacy_linear(unsigned s, u64 ea, unsigned size, Access acc) {
  // Segment checks outside 64-bit mode (SDM Vol. 3A §5.3 limit checking,
  // §5.4 type checking). Real mode keeps the cached limits too.
  const Segment& sg = seg[s];
  u32 fault_vec = s == SS ? kSS : kGP;
  if (protected_mode() && !v86()) {
    if (sg.attr & ar::Unusable) raise(fault_vec, 0);
    u32 type = sg.attr & ar::kTypeMask;
    bool code = type & ar::kTypeCode;
    if (acc == Access::Write && (code || !(type & ar::kTypeWritable))) raise(fault_vec, 0);
    if (acc == Access::Read && code && !(type & ar::kTypeReadable)) raise(fault_vec, 0);
    if (!code && (type & ar::kTypeExpandDown)) {
      u64 upper = (sg.attr & ar::DB) ? 0xffffffffull : 0xffffull;
      if (ea <= sg.limit || ea + size - 1 > upper) raise(fault_vec, 0);
      return u32(sg.base + ea);
    }
  }
  if (ea + size - 1 > sg.limit) raise(fault_vec, 0);
  return u32(sg.base + ea);
}

void Cpu::read_slow(u64 lin, void* dst, unsigned len, unsigned who) {
  if (ac_active_ && who == kUserAccess) check_alignment(lin, len);
  if (data_breakpoints_) check_data_breakpoints(lin, len, false);
  auto* d = static_cast<u8*>(dst);
  while (len) {
    unsigned chunk = std::min<u64>(len, 0x1000 - (lin & 0xfff));
    u64 pa;
    if (u8* h = host_for(lin, Access::Read, who, &pa)) {
      std::memcpy(d, h, chunk);
    } else {
      sync_time();
      mem_.read_block(pa, d, chunk);
    }
    lin = wrap_linear(lin + chunk), d += chunk, len -= chunk;
  }
}

void Cpu::probe_write(u64 lin, unsigned len) {
  while (len) {
    unsigned chunk = std::min<u64>(len, 0x1000 - (lin & 0xfff));
    translate_or_fault(lin, Access::Write, user_access());
    lin += chunk, len -= chunk;
  }
}

void Cpu::write_slow(u64 lin, const void* src, unsigned len, unsigned who) {
  if (ac_active_ && who == kUserAccess) check_alignment(lin, len);
  if (data_breakpoints_) check_data_breakpoints(lin, len, true);
  auto* s = static_cast<const u8*>(src);
  auto put = [&](u64 pa, u8* host, const u8* p, unsigned n) {
    if (host) {
      std::memcpy(host, p, n);
      mem_.note_write(pa, n);  // pages holding code drop their blocks
    } else {
      sync_time();
      mem_.write_block(pa, p, n);
    }
  };
  const u64 first_chunk = std::min<u64>(len, 0x1000 - (lin & 0xfff));
  u64 pa1;
  u8* h1 = host_for(lin, Access::Write, who, &pa1);  // walks once and refills the write TLB
  if (first_chunk == len) {
    put(pa1, h1, s, len);
    return;
  }
  // Crossing a page: translate the second page too before writing either,
  // so a fault there leaves the first unwritten (precise faults).
  u64 lin2 = wrap_linear(lin + first_chunk);
  u64 pa2;
  u8* h2 = host_for(lin2, Access::Write, who, &pa2);
  put(pa1, h1, s, unsigned(first_chunk));
  put(pa2, h2, s + first_chunk, unsigned(len - first_chunk));
}

// ---------------------------------------------------------------- blocks

void Cpu::on_code_page_marked(u64 page_pa) {
  if (u8* host = mem_.ram_ptr(page_pa)) tlb_write_.flush_host_page(host);
}

void Cpu::on_code_write(u64 page_pa) {
  drop_blocks_on_page(page_pa & ~u64(0xfff));
  end_block();  // the current block may be the one just overwritten
}

void Cpu::drop_blocks_on_page(u64 page_pa) {
  auto it = blocks_by_page_.find(page_pa);
  if (it == blocks_by_page_.end()) return;
  ++chain_epoch_;  // links may point at the blocks dropped here
  ++page_invalidations_[page_pa];
  for (Block* b : it->second) {
    blocks_.erase(b->key);
    Block*& slot = fast_cache_[fast_slot(b->key)];
    if (slot == b) slot = nullptr;
    retired_blocks_.push_back(b);
  }
  blocks_by_page_.erase(it);
  mem_.unmark_code_page(page_pa, code_listener_id_);
}

void Cpu::flush_decoded_blocks() {
  ++chain_epoch_;
  for (auto& [key, b] : blocks_) retired_blocks_.push_back(b);
  for (auto& [page, list] : blocks_by_page_) mem_.unmark_code_page(page, code_listener_id_);
  blocks_.clear();
  blocks_by_page_.clear();
  cached_records_ = 0;
  std::fill(std::begin(fast_cache_), std::end(fast_cache_), nullptr);
}

void Cpu::retire_block_storage() {
  for (Block* b : retired_blocks_) delete b;
  retired_blocks_.clear();
}

Block* Cpu::fetch_block() {
  const unsigned csize = code_size();
  u64 lin;
  if (mode64_) {
    lin = rip;  // CS.base is not used in 64-bit mode (SDM Vol. 3A §3.4.4)
  } else {
    // EIP is 32 bits wide; fetching at an offset beyond the CS limit is
    // #GP(0) (SDM Vol. 3A §5.3). In real mode too: processors since the
    // Intel386 do not wrap at offset FFFFH as the 8086 did (SDM Vol. 3B
    // §22.33.1), so execution never runs on into the next segment.
    rip = u32(rip);
    if (rip > seg[CS].limit) raise(kGP, 0);
    lin = u32(seg[CS].base + rip);
  }
  bool user = user_access();
  u8* host = tlb_exec_.lookup(lin, user);
  u64 pa = 0;
  if (!host) host = host_for(lin, Access::Exec, user, &pa);
  if (host) {
    u64 key = Block::make_key(host, csize);
    Block* b = fast_cache_[fast_slot(key)];
    if (!b || b->key != key) {
      auto it = blocks_.find(key);
      b = it != blocks_.end() ? it->second : nullptr;
      if (b) fast_cache_[fast_slot(key)] = b;
    }
    // A cached block decoded under a larger CS limit must not run past
    // this one: decode afresh (uncached) near the limit.
    if (b && (mode64_ || rip + b->code_bytes - 1 <= seg[CS].limit)) return b;
    if (!pa) pa = translate_or_fault(lin, Access::Exec, user);
  }
  return decode_block(lin, pa);
}

Block* Cpu::next_block(Block* prev) {
  for (Block::Link& l : prev->links)
    if (l.rip == rip && l.epoch == chain_epoch_) return l.block;
  Block* b = fetch_block();
  if (b->key != 0 && prev->key != 0) {
    // Keep the two most recent successors (taken / not taken).
    prev->links[1] = prev->links[0];
    prev->links[0] = Block::Link{rip, chain_epoch_, b, b->insns.data(), b->insns.size() - 1};
  }
  return b;
}

void Cpu::fetch_across_pages(u64 lin, const u8* first, unsigned first_len, u8* out, unsigned out_len) {
  std::memcpy(out, first, first_len);
  // The rest is an instruction fetch too: execute rights (NX, U/S) of the
  // second page apply, and a fault there reports that page (SDM Vol. 3A §4.6).
  const u64 lin2 = wrap_linear(lin + first_len);
  u64 pa2 = 0;
  if (u8* h = host_for(lin2, Access::Exec, user_access(), &pa2))
    std::memcpy(out + first_len, h, out_len - first_len);
  else
    mem_.read_block(pa2, out + first_len, out_len - first_len);
}

namespace {

// Fetching an instruction's bytes past the CS limit (SDM Vol. 3A §5.3).
void handler_fetch_beyond_limit(Cpu& c, const Insn&) { c.raise(kGP, 0); }

}  // namespace

Block* Cpu::decode_block(u64 lin, u64 pa) {
  // The block under construction is kept in a member: if fetching the rest
  // of a page-crossing instruction faults, raise() unwinds past this frame
  // and the next decode reuses it (nothing leaks).
  if (!spare_block_) spare_block_ = new Block;
  Block* b = spare_block_;
  b->insns.clear();
  b->links[0] = b->links[1] = Block::Link{};
  const unsigned csize = code_size();
  u8* host = mem_.ram_ptr(pa);
  u8 bytes[32];
  const u64 page_left = 0x1000 - (lin & 0xfff);
  // Bytes that may be fetched before the CS limit (no limit in 64-bit mode).
  const u64 limit_left = mode64_ ? ~u64(0) : u64(seg[CS].limit) - rip + 1;
  const u8* src = host;
  bool cacheable = host != nullptr;
  if (!host) {  // executing from MMIO/open bus: read byte by byte, do not cache
    mem_.read_block(pa, bytes, std::min<u64>(page_left, sizeof bytes));
    src = bytes;
  }
  u64 off = 0;
  auto inval = page_invalidations_.find(pa & ~u64(0xfff));
  const size_t max_insns =
      host && inval != page_invalidations_.end() && inval->second >= kVolatilePage ? 1 : Block::kMaxInsns;
  for (;;) {
    Insn insn;
    const u64 in_page = host ? page_left - off : std::min<u64>(page_left, sizeof bytes) - off;
    const u64 in_limit = limit_left - off;
    unsigned avail = unsigned(std::min<u64>(in_page, in_limit));
    if (!decoder_->decode(src + off, avail, csize, insn)) {
      if (!b->insns.empty()) break;
      if (in_limit <= in_page) {
        // The instruction would run past the CS limit.
        insn = Insn{};
        insn.fn = &handler_fetch_beyond_limit;
        insn.len = 1;
        insn.attrs = attr::kEndsBlock;
      } else {
        // The instruction continues on the next page.
        u8 tmp[16];
        const unsigned first = unsigned(in_page);
        const unsigned want = unsigned(std::min<u64>(16, in_limit));
        fetch_across_pages(lin + off, src + off, first, tmp, want);
        if (!decoder_->decode(tmp, want, csize, insn)) {
          insn = Insn{};
          insn.fn = &handler_fetch_beyond_limit;
          insn.len = 1;
          insn.attrs = attr::kEndsBlock;
        }
      }
      b->insns.push_back(insn);
      cacheable = false;
      break;
    }
    b->insns.push_back(insn);
    off += insn.len;
    if ((insn.attrs & attr::kEndsBlock) || off >= page_left || b->insns.size() >= max_insns) break;
    if (off >= limit_left) {
      cacheable = false;  // ends at the CS limit: another segment may allow more
      break;
    }
    if (!host && off + 16 > sizeof bytes) break;
  }
  spare_block_ = nullptr;  // decoding can no longer fault
  b->code_bytes = u32(std::min<u64>(off ? off : b->insns[0].len, 0x1000));
  Insn sentinel;
  sentinel.fn = &Cpu::block_end;
  b->insns.push_back(sentinel);
  ++blocks_decoded_;
  if (!cacheable) {
    b->key = 0;
    retired_blocks_.push_back(b);  // freed after it has run once
    return b;
  }
  if (blocks_.size() + 1 > budget_.max_blocks || cached_records_ + b->insns.size() > budget_.max_records) {
    // Over budget: drop everything (nothing is running between blocks;
    // the dropped blocks are freed at the next block boundary).
    flush_decoded_blocks();
    ++cache_flushes_;
  }
  b->key = Block::make_key(host, csize);
  b->page_pa = pa & ~u64(0xfff);
  blocks_[b->key] = b;
  cached_records_ += b->insns.size();
  fast_cache_[fast_slot(b->key)] = b;
  blocks_by_page_[b->page_pa].push_back(b);
  mem_.mark_code_page(pa, code_listener_id_);  // drops every fast write path to it
  return b;
}

// ---------------------------------------------------------------- running

Block* Cpu::execute_block(Block* b, u64 stop_at) {
  const Insn* start = b->insns.data();
  const u64 n = b->insns.size() - 1;  // the last record is the block-end sentinel
  exec.start = exec.cur = start;
  exec.block = b;
  exec.start_rip = rip;
  exec.limit = stop_at;
  exec.chain_budget = kMaxChained;
  // A block that fits runs through its sentinel (which may chain on);
  // otherwise it stops exactly at the deadline.
  exec.end = icount_ + n <= stop_at ? start + n + 1 : start + (stop_at - icount_);
  next_rip = rip + start->len;
  start->fn(*this, *start);  // chained handlers run the rest from here
  icount_ += u64(exec.cur - exec.start);
  exec.cur = nullptr;
  return exec.block;
}

void Cpu::block_end(Cpu& c, const Insn& sentinel) {
  c.icount_ += u64(&sentinel - c.exec.start);
  c.exec.start = c.exec.cur = &sentinel;  // accounted: nothing more to add
  if (c.break_block_ || c.icount_ >= c.exec.limit || --c.exec.chain_budget == 0) return;
  Block* b = c.exec.block;
  for (const Block::Link& l : b->links) {
    if (l.rip != c.rip || l.epoch != c.chain_epoch_) continue;
    if (c.icount_ + l.count > c.exec.limit) return;  // the run loop will run it partially
    const Insn* first = l.first;
    c.exec.start = c.exec.cur = first;
    c.exec.end = first + l.count + 1;
    c.exec.block = l.block;
    c.exec.start_rip = c.rip;
    c.next_rip = c.rip + first->len;
    return first->fn(c, *first);
  }
}

void Cpu::raise_fault(const GuestFault& f) {
  if (fault_jmp_) {
    pending_fault_ = f;
    std::longjmp(*fault_jmp_, 1);
  }
  throw f;
}

void Cpu::abandon_block() {
  // The instructions before the faulting one retired; it did not.
  if (exec.cur) icount_ += u64(exec.cur - exec.start);
  exec.cur = nullptr;
  break_block_ = true;
}

void Cpu::run_slice(u64 limit) {
  std::jmp_buf env;
  if (setjmp(env)) {  // raise() came back here: nothing below is running any more
    fault_jmp_ = nullptr;
    abandon_block();
    handle_event(pending_fault_, rip);
    return;
  }
  try {
    fault_jmp_ = &env;
    // The hot loop: run chained blocks until the deadline or until
    // something needs the outer loop (events, faults, mode changes, SMC).
    Block* b = fetch_block();
    for (;;) {
      b = execute_block(b, limit);
      // Uncached blocks (page-crossing or MMIO code) are freed in the outer loop.
      if (break_block_ || icount_ >= limit || b->key == 0) break;
      b = next_block(b);
    }
    fault_jmp_ = nullptr;
  } catch (const GuestFault& f) {  // thrown inside a FaultThrowScope
    fault_jmp_ = nullptr;
    abandon_block();
    handle_event(f, rip);
  }
}

StopCause Cpu::run(u64 stop_at) {
  mid_instruction_ = false;
  for (;;) {
    if (fatal_ != StopCause::None) return fatal_;
    if (exception_stop_) {
      exception_stop_ = stop_requested_ = false;
      return StopCause::Exception;
    }
    if (stop_requested_) {
      stop_requested_ = false;
      return StopCause::Requested;
    }
    if (icount_ >= stop_at) return StopCause::InsnLimit;
    if (boundary_debug_traps_) {  // a trap of the previous instruction outranks interrupts (SDM Vol. 3A §6.9)
      deliver_debug_traps(std::exchange(boundary_debug_traps_, 0));
      continue;
    }
    sched_.advance_to(icount_);
    sched_.run_due();
    if (stop_requested_) continue;
    if (halted) {
      check_interrupts();
      if (halted && wait_ends_without_delivery()) wake();  // MWAIT: the line written, a masked interrupt
      if (halted && halt_yields_) return StopCause::Halted;
      if (halted) {
        // HLT and MWAIT advance virtual time to the next event (DESIGN).
        // With no event pending, or no interrupt able to end the wait,
        // nothing can ever wake the CPU. (An NMI raised by a later event
        // would; with IF=0 vtlab stops instead, which is what a `cli; hlt`
        // at the end means.)
        // Not sticky: a later run() wakes if an NMI was raised meanwhile
        // (by another agent, or the debugger).
        if (!wait_can_end()) {
          const char* insn = monitor_.waiting ? "MWAIT" : "HLT";
          stop_detail_ =
              std::string(insn) + ((flags.bits & fl::IF) ? " with nothing to wake it" : " with interrupts disabled");
          if (const char* parked = vmx_->parked_state_name())  // shutdown, wait-for-SIPI (cpu/vmx/activity_state.cpp)
            stop_detail_ = std::string("the VMX guest activity state ") + parked + " with nothing to end it";
          return StopCause::HaltedForever;
        }
        u64 wake_at = std::min(std::max(sched_.next_deadline(), icount_), stop_at);
        halted_time_ += wake_at - icount_;
        icount_ = wake_at;
        continue;
      }
      if (icount_ >= stop_at) continue;  // the interrupt's delivery used the last tick
    }
    if (check_interrupts()) continue;  // an NMI or interrupt was delivered
    const bool tf = flags.bits & fl::TF, rf = flags.bits & fl::RF;
    // One instruction per slice while something must happen between two
    // instructions: an interrupt shadow ends, a single-step or debug trap,
    // RF clears, an instruction breakpoint is checked.
    const bool single = interrupt_shadow || tf || rf || debug_armed() || deferred_debug_ || vmx_single_step_;
    // Instruction breakpoints are faults before the instruction, unless RF
    // suppresses them (SDM Vol. 3A §17.3.1.1); no RF in the pushed image.
    if (exec_breakpoints_ && !rf) {
      if (const u64 hits = instruction_breakpoint_hits()) {
        dr[6] = (dr[6] & ~dr6::kHits) | hits;
        handle_event(GuestFault{kDB, false, 0}, rip, false);
        continue;
      }
    }
    retire_block_storage();
    break_block_ = false;
    mid_instruction_ = false;
    u64 limit = std::min(stop_at, sched_.next_deadline());
    if (limit <= icount_) limit = icount_ + 1;
    if (single) limit = icount_ + 1;
    const u64 before = retired();
    shadow_fresh_ = rf_loaded_ = false;
    pending_debug_ = 0;
    const bool mtf = vmx_single_step_;  // a guest instruction with the monitor trap flag
    run_slice(limit);
    if (retired() > before) {
      after_instruction(tf, rf, single, stop_at);
      if (mtf && vmx_single_step_) vmx_->instruction_completed();
    }
  }
}

bool Cpu::stop_if_intercepted(const GuestFault& f) {
  if (!intercept_exceptions_) return false;
  intercepted_ = f;
  exception_stop_ = true;
  request_stop();
  return true;
}

// After an instruction (or one REP iteration) completed in a single-
// instruction slice, or ended a block with debug traps pending: the
// interrupt shadow it was under ends, RF clears (unless it loaded RF), and
// debug traps are delivered as one #DB: single-step (BS, SDM §17.3.1.4),
// data and I/O breakpoints (B0-B3, §17.3.1.2), the task-switch T bit (BT).
// After MOV SS / POP SS they wait one more instruction (SDM Vol. 2 MOV).
void Cpu::after_instruction(bool tf, bool rf, bool single, u64 stop_at) {
  if (single) {
    if (interrupt_shadow && !shadow_fresh_) interrupt_shadow = false;
    if (rf && !rf_loaded_ && !mid_instruction_) flags.bits &= ~fl::RF;
  }
  u64 traps = pending_debug_ | deferred_debug_;
  if (tf) traps |= dr6::BS;
  pending_debug_ = deferred_debug_ = 0;
  if (!traps || fatal_ != StopCause::None) return;
  if (interrupt_shadow && shadow_fresh_ && shadow_kind_ == Shadow::MovSs) {
    deferred_debug_ = traps;
    return;
  }
  // At the run's limit the trap belongs to the next run: delivering it is a
  // tick, and a run cut there and resumed must equal one longer run.
  if (icount_ >= stop_at) {
    boundary_debug_traps_ = traps;
    return;
  }
  deliver_debug_traps(traps);
}

void Cpu::deliver_debug_traps(u64 traps) {
  if (traps & dr6::kHits) dr[6] = (dr[6] & ~dr6::kHits) | (traps & dr6::kHits);
  dr[6] |= traps & ~dr6::kHits;
  handle_event(GuestFault{kDB, false, 0}, rip, false);
}

void Cpu::handle_event(const GuestFault& f, u64 return_rip, bool fault) {
  if (f.vector == kVmExitUnwind) {  // the instruction ended in a VM exit: a tick, as a delivery
    ++icount_, ++delivery_ticks_;
    vmx_->complete_pending_exit();
    return;
  }
  if (f.ept) return deliver_ept_fault();
  // In VMX non-root operation the exception bitmap may turn it into a VM
  // exit (which does not load CR2 for a #PF, SDM Vol. 3C §26.2).
  if (vmx_non_root_ && vmx_->exception_exits(f, fault)) {
    ++icount_, ++delivery_ticks_;
    return;
  }
  pushed_rf_ = fault ? fl::RF : 0;
  if (stop_if_intercepted(f)) return;
  if (f.vector == kPF) cr2 = f.fault_address;
  // Delivering takes a tick of virtual time: a loop of faults in which no
  // instruction retires still reaches every deadline and the run's limit.
  ++icount_, ++delivery_ticks_;
  deliver(f.vector, f.has_error, f.error, return_rip, false);
}

bool Cpu::check_interrupts() {
  if (vmx_non_root_) return vmx_->check_events();  // exits, windows, injection (cpu/vmx/events.cpp)
  return check_interrupts_native();
}

bool Cpu::check_interrupts_native() {
  // NMI first (SDM Vol. 3A §6.9 priorities): blocked while an NMI handler
  // runs (until IRET) and in a MOV SS shadow, not by IF or STI's shadow.
  if (nmi_pending_ && !nmi_blocked_ && !(interrupt_shadow && shadow_kind_ == Shadow::MovSs)) {
    nmi_pending_ = false;
    nmi_blocked_ = true;
    ++icount_, ++delivery_ticks_;
    external_interrupt(kNMI, EventType::Nmi);
    return true;
  }
  if (!irq_source_ || !(flags.bits & fl::IF) || interrupt_shadow) return false;
  if (!irq_source_->has_interrupt()) return false;
  u8 v = irq_source_->acknowledge();
  ++icount_, ++delivery_ticks_;
  external_interrupt(v);
  return true;
}

void Cpu::halt() {
  halted = true;
  end_block();
}

}  // namespace vtlab

#include "tests/sse/rig.h"

#include <cstring>
#include <stdexcept>

#include "cpu/fpu_state.h"

namespace sse_test {

using namespace vtlab;

namespace {

// Physical layout (16 MiB of RAM).
constexpr u64 kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kPtCode = 0x4000, kPtData = 0x5000,
              kPtStack = 0x6000, kGdt = 0x8000, kTss = 0x9000, kIdt = 0xa000, kHandlers = 0xb000,
              kKernelStack = 0x1f0000, kCodePhys = 0x400000, kDataPhys = 0x500000, kStackPhys = 0x600000;
constexpr unsigned kVectors = 32;
constexpr u64 kP = 1, kRW = 2, kUS = 4, kPS = 0x80;

u32 code_attr(bool l, bool db, unsigned dpl) {
  return ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::G | (dpl << ar::kDplShift) |
         (l ? ar::L : 0) | (db ? ar::DB : 0);
}
u32 data_attr(unsigned dpl) {
  return ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::G | ar::DB | (dpl << ar::kDplShift);
}

}  // namespace

Rig::Rig() : mem_(16 << 20) {
  cpu_ = std::make_unique<Cpu>(mem_, ports_, sched_);
  build_tables();
}

void Rig::build_tables() {
  auto put64 = [&](u64 pa, u64 v) { mem_.write_block(pa, &v, 8); };
  // Paging: the first 2 MiB (supervisor) identity-mapped, plus the user
  // windows of tests/insn/case.h with 4 KiB pages and nothing around them.
  put64(kPml4, kPdpt | kP | kRW | kUS);
  put64(kPdpt, kPd | kP | kRW | kUS);
  put64(kPd, 0 | kP | kRW | kPS);
  put64(kPd + 8 * (insn::kCodeBase >> 21), kPtCode | kP | kRW | kUS);
  put64(kPd + 8 * (insn::kDataBase >> 21), kPtData | kP | kRW | kUS);
  put64(kPd + 8 * ((insn::kStackBase) >> 21), kPtStack | kP | kRW | kUS);
  put64(kPtCode + 8 * ((insn::kCodeBase >> 12) & 511), kCodePhys | kP | kUS);
  for (u64 k = 0; k < insn::kDataSize / 4096; ++k)
    put64(kPtData + 8 * (((insn::kDataBase >> 12) + k) & 511), (kDataPhys + 4096 * k) | kP | kRW | kUS);
  for (u64 k = 0; k < insn::kStackSize / 4096; ++k)
    put64(kPtStack + 8 * (((insn::kStackBase >> 12) + k) & 511), (kStackPhys + 4096 * k) | kP | kRW | kUS);
  // GDT: null, kernel code64 (0x08), kernel data (0x10), user data (0x1b),
  // user code64 (0x23), user code32 (0x2b).
  const u64 gdt[] = {0, 0x00af9a000000ffffull, 0x00cf92000000ffffull, 0x00cff2000000ffffull,
                     0x00affa000000ffffull, 0x00cffa000000ffffull};
  mem_.write_block(kGdt, gdt, sizeof gdt);
  put64(kTss + 4, kKernelStack);  // RSP0
  // IDT: vector v -> kHandlers + 16*v, which holds HLT.
  for (u64 v = 0; v < kVectors; ++v) {
    u64 off = kHandlers + 16 * v;
    u64 lo = (off & 0xffff) | (u64(0x08) << 16) | (u64(0x8e) << 40) | (((off >> 16) & 0xffff) << 48);
    put64(kIdt + 16 * v, lo);
    put64(kIdt + 16 * v + 8, off >> 32);
    u8 hlt = 0xf4;
    mem_.write_block(off, &hlt, 1);
  }
}

void Rig::load_state(const insn::Case& c, const RigControl& ctl) {
  Cpu& p = *cpu_;
  p.reset();
  p.flush_decoded_blocks();
  // Code page: the bytes, then int3 filler (never reached).
  std::vector<u8> code(insn::kCodeSize, 0xcc);
  std::memcpy(code.data(), c.bytes.data(), c.bytes.size());
  mem_.write_block(kCodePhys, code.data(), code.size());
  auto data = insn::initial_window(c, insn::kDataBase);
  auto stack = insn::initial_window(c, insn::kStackBase);
  mem_.write_block(kDataPhys, data.data(), data.size());
  mem_.write_block(kStackPhys, stack.data(), stack.size());

  p.efer = efer::LME | efer::LMA | efer::SCE | efer::NXE;
  p.cr0 = ((cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::PG) | ctl.cr0_set) & ~ctl.cr0_clear;
  p.cr4 = ((cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT | cr4::OSXSAVE) | ctl.cr4_set) & ~ctl.cr4_clear;
  p.xcr0 = ctl.xcr0;
  p.cr3 = kPml4;
  p.gdtr = TableReg{kGdt, 6 * 8 - 1};
  p.idtr = TableReg{kIdt, kVectors * 16 - 1};
  p.tr = Segment{0x30, kTss, 0x67, ar::P | 0xb};
  for (unsigned s = 0; s < kNumSegs; ++s) p.seg[s] = Segment{0x1b, 0, 0xffffffff, data_attr(3)};
  p.seg[CS] = ctl.compat32 ? Segment{0x2b, 0, 0xffffffff, code_attr(false, true, 3)}
                           : Segment{0x23, 0, 0xffffffff, code_attr(true, false, 3)};
  p.set_cpl(3);
  for (int r = 0; r < 16; ++r) p.gpr[r] = c.init.gpr[r];
  p.rip = c.init.rip;
  p.flags.set((c.init.rflags & insn::kSettableFlags) | insn::kFixedFlags);
  p.mode_changed();
  p.paging_changed();
  u8 fx[kLegacyRegionSize];
  insn::fxsave_image(c.init, fx);  // as the native runner's FXRSTOR64
  load_x87_legacy(p, fx, true);
  std::memcpy(p.xmm, c.init.xmm, sizeof c.init.xmm);
  p.mxcsr = c.init.mxcsr;
}

insn::Outcome Rig::run(const insn::Case& c, const RigControl& ctl) {
  load_state(c, ctl);
  Cpu& p = *cpu_;
  p.run(p.icount() + u64(c.insn_count));

  insn::Outcome out;
  insn::State& s = out.state;
  for (int r = 0; r < 16; ++r) s.gpr[r] = p.gpr[r];
  s.rip = p.rip;
  s.rflags = p.rflags();
  u8 fx[kLegacyRegionSize];
  insn::fxsave_image(c.init, fx);
  save_x87_legacy(p, fx, true);
  std::memcpy(fx + 160, p.xmm, sizeof p.xmm);
  std::memcpy(fx + 24, &p.mxcsr, 4);
  insn::state_from_fxsave(fx, s);
  if (p.rip >= kHandlers && p.rip <= kHandlers + 16 * kVectors) {
    // Delivered to a handler: unpack the 64-bit frame. RIP is at the
    // handler's HLT, or just past it if the run had a tick left to run it.
    u8 v = u8((p.rip - kHandlers) / 16);
    bool has_error = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
    u64 sp = p.gpr[RSP];
    auto pop = [&] {
      u64 x = 0;
      mem_.read_block(sp, &x, 8);
      sp += 8;
      return x;
    };
    insn::Exception e;
    e.vector = v;
    e.error_code = has_error ? u32(pop()) : 0;
    e.rip = pop();
    pop();  // cs
    s.rflags = pop() & ~fl::RF;
    s.gpr[RSP] = pop();
    s.rip = e.rip;
    e.cr2 = v == kPF ? p.cr2 : 0;
    out.exception = e;
  }
  std::vector<u8> after(insn::kDataSize);
  mem_.read_block(kDataPhys, after.data(), after.size());
  insn::append_memory_changes(insn::kDataBase, insn::initial_window(c, insn::kDataBase), after, out.mem_changes);
  after.assign(insn::kStackSize, 0);
  mem_.read_block(kStackPhys, after.data(), after.size());
  insn::append_memory_changes(insn::kStackBase, insn::initial_window(c, insn::kStackBase), after, out.mem_changes);
  return out;
}

insn::Case make_case(std::string name, std::vector<u8> bytes) {
  insn::Case c;
  c.name = std::move(name);
  c.bytes = std::move(bytes);
  c.init.gpr[insn::RSP] = insn::kDefaultRsp;
  return c;
}

void set_xmm(insn::State& s, int n, u64 lo, u64 hi) {
  std::memcpy(s.xmm[n], &lo, 8);
  std::memcpy(s.xmm[n] + 8, &hi, 8);
}
u64 xmm_lo(const insn::State& s, int n) {
  u64 v;
  std::memcpy(&v, s.xmm[n], 8);
  return v;
}
u64 xmm_hi(const insn::State& s, int n) {
  u64 v;
  std::memcpy(&v, s.xmm[n] + 8, 8);
  return v;
}

}  // namespace sse_test

// Builds the hostile 64-bit guests of hostile_long_mode_guest.h. Structures:
// SDM Vol. 3A §3.4.5 (segment descriptors), §4.5 (4-level paging entries),
// §6.14.1 (64-bit IDT gates), §7.7 (64-bit TSS).
#include "tests/robustness/hostile_long_mode_guest.h"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <vector>

#include "tests/robustness/code_emitter.h"

namespace vtlab::robustness {
namespace {

// Guest-physical layout; the builder identity-maps it before spoiling it.
constexpr u64 kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000;
constexpr u64 kPml4 = 0x10000, kPdpt = 0x11000, kPd0 = 0x12000, kPt0 = 0x13000, kPt1 = 0x14000, kPd3 = 0x15000;
constexpr u64 kTables[] = {kPml4, kPdpt, kPd0, kPt0, kPt1, kPd3};
constexpr u64 kTablesEnd = 0x16000;
constexpr u64 kStubs = 0x20000, kStubSize = 32;  // one handler stub per vector
constexpr u64 kKernelStackTop = 0x90000;
constexpr u64 kIstStacks = 0x90000;  // IST k's stack top: kIstStacks + k * 4 KiB
constexpr u64 kKernelCode = 0x100000, kUserCode = 0x200000, kCodeSize = 0x10000;
constexpr u64 kData = 0x300000, kDataSize = 0x10000;
constexpr u64 kUserStackTop = 0x3f0000;
// Two scratch device pages in the free MMIO space between the IOAPIC, the
// HPET and the local APIC (platform_layout.h).
constexpr u64 kMmio = 0xfec10000, kMmio2 = 0xfed10000;
constexpr u64 kHole = PhysMem::kHoleStart;
constexpr u64 kBeyondRam = 0x3f00000000;  // 252 GiB: RAM only in the 1 TiB configuration
constexpr u64 kUnmapped = 0x8000000000;   // PML4[1]: not present
constexpr u64 kNonCanonical = 0x0000800000000000;

constexpr u16 kKernelCs = 0x08, kKernelDs = 0x10, kUserCs32 = 0x1b, kUserDs = 0x23, kUserCs = 0x2b, kTr = 0x30;

// Page-table entry bits (SDM Vol. 3A Table 4-14 ff.).
constexpr u64 kP = 1, kRw = 2, kUs = 4, kPs = 0x80, kNx = u64(1) << 63;
constexpr u64 kTableFlags = kP | kRw | kUs;

u64 seg_desc(u32 base, u32 limit, u32 access, u32 flags) {
  return u64(limit & 0xffff) | u64(base & 0xffffff) << 16 | u64(access & 0xff) << 40 | u64((limit >> 16) & 0xf) << 48 |
         u64(flags & 0xf) << 52 | u64(base >> 24) << 56;
}

// Vectors for which the processor pushes an error code (SDM Vol. 3A Table 6-1).
bool pushes_error(unsigned v) { return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30; }

enum class Stub { Return, SkipByte, SkipSome, Ud2, Halt, DebugExit, RandomBytes, Redirect, SetTf, JumpBack, kCount };

struct Builder {
  std::mt19937_64 rng;
  PhysMem& mem;
  Cpu& cpu;
  u64 ram;
  bool user;             // the program runs at CPL 3
  u64 code;              // where the program is
  std::vector<u8> text;  // the program's 64 KiB, written to `code` at the end

  Builder(u64 seed, Machine& m, u64 ram_bytes)
      : rng(seed), mem(m.memory()), cpu(m.cpu()), ram(ram_bytes), user(false), code(kKernelCode) {}

  u64 below(u64 n) { return rng() % n; }
  bool one_in(u64 n) { return below(n) == 0; }
  void put64(u64 pa, u64 v) { mem.write(pa, 8, v); }
  u64 get64(u64 pa) { return mem.read(pa, 8); }
  void put(u64 pa, const std::vector<u8>& b) { mem.write_block(pa, b.data(), b.size()); }
  std::vector<u8> random_bytes(size_t n) {
    std::vector<u8> b(n);
    for (u8& x : b) x = u8(rng());
    return b;
  }
  // Copies an emitter's bytes into the program at its address.
  void place(const CodeEmitter& e, u64 at) {
    if (at < code || at - code + e.size() > text.size()) throw std::out_of_range("snippet outside the program");
    std::copy(e.bytes().begin(), e.bytes().end(), text.begin() + ptrdiff_t(at - code));
  }

  // An address a hostile access likes: RAM, MMIO, the hole, beyond RAM,
  // unmapped, non-canonical, code, the system tables, a stack.
  u64 target() {
    switch (below(14)) {
      case 0:
        return kData + below(kDataSize);
      case 1:
        return below(std::min<u64>(ram, kHole));
      case 2:
        return kMmio + below(0x1000);
      case 3:
        return kMmio2 + 0x1000 - below(16);  // the end of a device page: the next one is open bus
      case 4:
        return kHole + below(0x3f000000);
      case 5:
        return 0x100000000 - below(0x20);  // crosses from the hole into RAM above 4 GiB
      case 6:
        return 0x100000000 + below(u64(4) << 30);
      case 7:
        return kBeyondRam + below(u64(1) << 30);
      case 8:
        return kUnmapped + below(u64(1) << 39);
      case 9:
        return kNonCanonical | (rng() & 0x00007fffffffffffull);
      case 10:
        return code + below(kCodeSize);
      case 11:
        return kGdt + below(kTablesEnd - kGdt);
      case 12:
        return kKernelStackTop - below(0x1000);
      default:
        return (code & ~u64(0xfff)) + 0x1000 * (1 + below(15)) - below(8);  // a page boundary
    }
  }
  u64 count() {
    switch (below(6)) {
      case 0:
        return rng();
      case 1:
        return 0xffffffff;
      case 2:
        return u64(1) << below(40);
      case 3:
        return below(100);
      case 4:
        return 0x100000000 + below(16);  // ECX small, RCX huge: 0x67 decides
      default:
        return 0x10000 + below(0x100000);
    }
  }
  u16 port() {
    switch (below(5)) {
      case 0:
        return u16(0x3f8 + below(8));  // COM1
      case 1:
        return one_in(4) ? 0xf4 : 0x80;  // the debug-exit port ends the run
      default:
        return u16(rng());
    }
  }
};

// ---------------------------------------------------------------- tables

void gate(Builder& b, unsigned v, u64 target, unsigned dpl, unsigned ist, unsigned type = 0xe, u16 sel = kKernelCs) {
  u64 lo = (target & 0xffff) | u64(sel) << 16 | u64(ist & 7) << 32 | u64(type & 0xf) << 40 | u64(dpl & 3) << 45 |
           u64(1) << 47 | ((target >> 16) & 0xffff) << 48;
  b.put64(kIdt + v * 16, lo);
  b.put64(kIdt + v * 16 + 8, target >> 32);
}

void build_gdt_and_tss(Builder& b) {
  b.put64(kGdt + 0x00, 0);
  b.put64(kGdt + 0x08, seg_desc(0, 0xfffff, 0x9a, 0xa));     // 64-bit code, DPL 0
  b.put64(kGdt + 0x10, seg_desc(0, 0xfffff, 0x92, 0xc));     // data, DPL 0
  b.put64(kGdt + 0x18, seg_desc(0, 0xfffff, 0xfa, 0xc));     // 32-bit code, DPL 3
  b.put64(kGdt + 0x20, seg_desc(0, 0xfffff, 0xf2, 0xc));     // data, DPL 3
  b.put64(kGdt + 0x28, seg_desc(0, 0xfffff, 0xfa, 0xa));     // 64-bit code, DPL 3
  b.put64(kGdt + 0x30, seg_desc(u32(kTss), 0x67, 0x89, 0));  // 64-bit TSS (two slots)
  b.put64(kGdt + 0x38, 0);
  b.put64(kGdt + 0x40, seg_desc(0, 0xfffff, 0x9a, 0xc));                    // 32-bit code, DPL 0 (compatibility mode)
  b.put64(kGdt + 0x48, seg_desc(0, 0xffff, 0x9a, 0));                       // 16-bit code
  for (u64 off = 0x50; off < 0x80; off += 8) b.put64(kGdt + off, b.rng());  // garbage descriptors
  b.put64(kTss + 4, kKernelStackTop);                                       // RSP0
  b.put64(kTss + 12, kKernelStackTop - 0x4000);
  b.put64(kTss + 20, kKernelStackTop - 0x8000);
  for (u64 k = 1; k <= 7; ++k) b.put64(kTss + 36 + 8 * (k - 1), kIstStacks + k * 0x1000);
  b.mem.write(kTss + 0x66, 2, 0x68);  // I/O bitmap right after the TSS (within the limit only if TR says so)
  b.put(kTss + 0x68, b.random_bytes(0x2000 + 1));
}

void build_page_tables(Builder& b) {
  b.put64(kPml4, kPdpt | kTableFlags);
  b.put64(kPdpt + 0 * 8, kPd0 | kTableFlags);
  b.put64(kPdpt + 1 * 8, (u64(1) << 30) | kTableFlags | kPs);  // 1-2 GiB and 2-3 GiB: 1 GiB pages
  b.put64(kPdpt + 2 * 8, (u64(2) << 30) | kTableFlags | kPs);
  b.put64(kPdpt + 3 * 8, kPd3 | kTableFlags);  // 3-4 GiB: the hole and the MMIO pages, 2 MiB pages
  for (u64 g = 4; g < 8; ++g) b.put64(kPdpt + g * 8, (g << 30) | kTableFlags | kPs);  // RAM above 4 GiB, if any
  b.put64(kPdpt + (kBeyondRam >> 30) * 8, kBeyondRam | kTableFlags | kPs);
  b.put64(kPd0 + 0, kPt0 | kTableFlags);  // 0-4 MiB: 4 KiB pages
  b.put64(kPd0 + 8, kPt1 | kTableFlags);
  for (u64 i = 2; i < 512; ++i) b.put64(kPd0 + i * 8, (i << 21) | kTableFlags | kPs);
  for (u64 i = 0; i < 512; ++i) {
    b.put64(kPt0 + i * 8, (i << 12) | kTableFlags);
    b.put64(kPt1 + i * 8, (0x200000 + (i << 12)) | kTableFlags);
    b.put64(kPd3 + i * 8, (kHole + (i << 21)) | kTableFlags | kPs);
  }
}

// The PTE of a 4 KiB page below 4 MiB.
u64 pte_of(u64 lin) { return (lin < 0x200000 ? kPt0 : kPt1 - 0x200 * 8) + (lin >> 12) * 8; }

// ---------------------------------------------------------------- handlers

void stub(Builder& b, unsigned v, Stub kind) {
  const u64 at = kStubs + v * kStubSize;
  CodeEmitter e(at, kStubSize);
  const bool pops = pushes_error(v) && kind != Stub::Ud2 && kind != Stub::Halt;
  if (pops) e.add_rsp_8();
  switch (kind) {
    case Stub::Return:
      e.iretq();
      break;  // a fault retries forever
    case Stub::SkipByte:
      e.add_to_saved_rip(1), e.iretq();
      break;  // enters code at every byte
    case Stub::SkipSome:
      e.add_to_saved_rip(u8(1 + b.below(15))), e.iretq();
      break;
    case Stub::Ud2:
      e.ud2();
      break;  // an exception loop in which nothing retires
    case Stub::Halt:
      e.raw({0xf4, 0xeb, 0xfd});
      break;
    case Stub::DebugExit:
      e.raw({0xb0, u8(b.rng()), 0xe6, 0xf4});
      break;  // mov al, x; out 0xf4, al
    case Stub::RandomBytes:
      b.put(at, b.random_bytes(kStubSize));
      return;
    case Stub::Redirect:
      e.mov_imm64(RAX, b.target()), e.mov_saved_rip_rax(), e.iretq();
      break;
    case Stub::SetTf:
      e.set_saved_tf(), e.iretq();
      break;
    case Stub::JumpBack:
      e.jmp_to(b.code + b.below(kCodeSize));
      break;
    case Stub::kCount:
      break;
  }
  b.put(at, e.bytes());
}

// Gates and stubs for every vector: one style for most vectors, a few odd ones.
void build_idt(Builder& b) {
  const auto main_style = Stub(b.below(size_t(Stub::kCount)));
  for (unsigned v = 0; v < 256; ++v) {
    const Stub s = b.one_in(8) ? Stub(b.below(size_t(Stub::kCount))) : main_style;
    stub(b, v, s);
    const unsigned dpl = (v == 3 || v == 4 || b.one_in(4)) ? 3 : 0;
    gate(b, v, kStubs + v * kStubSize, dpl, b.one_in(4) ? unsigned(1 + b.below(7)) : 0, b.one_in(3) ? 0xf : 0xe);
  }
}

// ---------------------------------------------------------------- programs

void emit_rep_op(Builder& b, CodeEmitter& e) {
  // MOVSB CMPSB STOSB LODSB SCASB INSB OUTSB; the word/dword/qword form is the next opcode.
  static constexpr u8 kOps[] = {0xa4, 0xa6, 0xaa, 0xac, 0xae, 0x6c, 0x6e};
  const u8 op = kOps[b.below(std::size(kOps))];
  const bool io = op == 0x6c || op == 0x6e;
  const unsigned size = unsigned(b.below(io ? 3 : 4));  // 0 byte, 1 word, 2 dword, 3 qword
  if (b.one_in(4)) e.byte(0x67);                        // 32-bit addresses: ECX/ESI/EDI
  if (size == 1) e.byte(0x66);
  e.byte(b.one_in(4) ? 0xf2 : 0xf3);  // REPNE also repeats MOVS/STOS/LODS/INS/OUTS
  if (size == 3) e.byte(0x48);
  e.byte(size == 0 ? op : u8(op + 1));
}

// One byte into each of 384 chunks of 2 MiB of RAM above 4 GiB, over and
// over: sparse writes over a large RAM (what the state hash and snapshots
// must not pay 2 MiB each for).
void emit_stride_storm(Builder& b, CodeEmitter& e) {
  const u64 start = e.here();
  e.byte(0xfc);  // CLD
  e.mov_imm64(RDI, 0x100000000 + b.below(u64(1) << 30));
  e.mov_imm64(RCX, 384);
  const u64 loop = e.here();
  e.byte(0xaa);                                  // stosb
  e.raw({0x48, 0x81, 0xc7}), e.imm32(0x1fffff);  // add rdi, 2 MiB - 1
  e.raw({0x48, 0xff, 0xc9});                     // dec rcx
  e.raw({0x75, u8(loop - (e.here() + 2))});      // jnz loop
  e.jmp_to(start);
}

// Long REP string instructions to RAM, MMIO, the hole and beyond, in both
// directions, over and over; with RAM above 4 GiB, sometimes sparse writes.
void emit_rep_storm(Builder& b, CodeEmitter& e) {
  if (b.ram > 0x100000000 && b.one_in(2)) return emit_stride_storm(b, e);
  const u64 loop = e.here();
  for (u64 n = 1 + b.below(6); n > 0; --n) {
    e.byte(b.one_in(2) ? 0xfd : 0xfc);  // STD / CLD
    e.mov_imm64(RSI, b.target());
    e.mov_imm64(RDI, b.target());
    e.mov_imm64(RCX, b.count());
    e.mov_imm64(RAX, b.rng());
    e.mov_dx_imm16(b.port());
    emit_rep_op(b, e);
  }
  e.jmp_to(loop);
}

// Code that rewrites itself in a loop.
void emit_smc_storm(Builder& b, CodeEmitter& e) {
  const u64 loop = e.here();
  switch (b.below(5)) {
    case 0:  // bump the immediate of the next instruction: inc byte [next+1]; mov eax, imm32; add ebx, eax
      e.inc_byte_at(e.here() + 6 + 1);
      e.byte(0xb8), e.imm32(u32(b.rng()));
      e.raw({0x01, 0xc3});
      e.jmp_to(loop);
      break;
    case 1:  // bump the opcode of the next instruction: it runs through all 256 opcodes
      e.inc_byte_at(e.here() + 6);
      for (int k = 0; k < 8; ++k) e.byte(0x90);
      e.jmp_to(loop);
      break;
    case 2: {  // store a changing qword over the next instruction: rol rax, 7; add rax, imm32; mov [next], rax
      e.mov_imm64(RAX, b.rng());
      const u64 again = e.here();
      e.raw({0x48, 0xc1, 0xc0, 0x07});
      e.raw({0x48, 0x05}), e.imm32(u32(b.rng()));
      e.store_rax_at(e.here() + 7);
      for (int k = 0; k < 8; ++k) e.byte(0x90);
      e.jmp_to(again);
      break;
    }
    case 3:  // REP STOS over the program's own pages
      e.byte(b.one_in(2) ? 0xfd : 0xfc);
      e.mov_imm64(RDI, b.code + b.below(kCodeSize));
      e.mov_imm64(RCX, b.count());
      e.mov_imm64(RAX, b.rng());
      e.raw({0xf3, 0x48, 0xab});
      e.jmp_to(loop);
      break;
    default: {  // two pages that rewrite each other and jump across
      const u64 other = b.code + 0x3000 + 16 * b.below(64);
      CodeEmitter o(other, 64);
      e.raw({0x90, 0x90});
      e.inc_byte_at(other + 1);
      e.jmp_to(other);
      o.raw({0x90, 0x90});
      o.inc_byte_at(loop + 1);
      o.jmp_to(loop);
      b.place(o, other);
      break;
    }
  }
}

// A faulting instruction whose handler (one of Return/Ud2/...) brings it
// back: the loops in which no instruction retires.
void emit_exception_loop(Builder& b, CodeEmitter& e) {
  const u64 loop = e.here();
  unsigned vector = 0;
  switch (b.below(5)) {
    case 0:
      e.ud2(), vector = 6;
      break;
    case 1:
      e.mov_imm64(RAX, kNonCanonical | b.rng()), e.jmp_rax(), vector = 13;
      break;
    case 2:  // mov rax, [moffs64] from an unmapped address
      e.raw({0x48, 0xa1}), e.imm64(kUnmapped + b.below(u64(1) << 30)), vector = 14;
      break;
    case 3:
      e.raw({0x31, 0xc9, 0xf7, 0xf1}), vector = 0;
      break;  // xor ecx, ecx; div ecx
    default:
      e.byte(0xcc), vector = 3;
      break;
  }
  e.jmp_to(loop);
  static constexpr Stub kLoopStubs[] = {Stub::Return, Stub::Ud2, Stub::Ud2, Stub::SkipByte, Stub::Redirect};
  stub(b, vector, kLoopStubs[b.below(std::size(kLoopStubs))]);
  if (b.one_in(2)) stub(b, 6, Stub::Ud2);
  // Often through an IST gate: the stack is reset each time and never overflows.
  gate(b, vector, kStubs + vector * kStubSize, 3, b.one_in(2) ? unsigned(1 + b.below(7)) : 0);
  if (b.one_in(2)) gate(b, 6, kStubs + 6 * kStubSize, 0, unsigned(b.below(8)));
}

// INT3 at every byte of the program; the #BP handler returns to the next one.
void emit_int3_sled(Builder& b) {
  std::fill(b.text.begin(), b.text.end() - 16, 0xcc);
  CodeEmitter e(b.code + kCodeSize - 16, 16);
  e.jmp_to(b.code);
  b.place(e, b.code + kCodeSize - 16);
  stub(b, 3, b.one_in(4) ? Stub::SkipByte : Stub::Return);
  gate(b, 3, kStubs + 3 * kStubSize, 3, unsigned(b.below(8)));
}

// Faulting bytes everywhere, each handler skipping one byte: every byte is
// a new block entry point. In the zero sled every byte starts "add [rax],
// al" with RAX non-canonical: each entry decodes a block of 64 instructions
// of which the first faults, the most decoding a tick can cause.
void emit_fault_sled(Builder& b, CodeEmitter& e) {
  static constexpr u8 kBytes[] = {0x0f, 0x0b, 0xcc, 0xfa, 0x8e, 0x62, 0x06, 0xd6, 0xce, 0xff, 0xcd, 0xf4};
  const size_t kinds = b.user ? std::size(kBytes) : std::size(kBytes) - 1;  // HLT only where it faults
  const bool zeros = b.one_in(2);
  for (u8& x : b.text) x = zeros ? 0 : kBytes[b.below(kinds)];
  if (zeros) e.mov_imm64(RAX, kNonCanonical | b.rng());
  for (unsigned v = 0; v < 32; ++v) stub(b, v, Stub::SkipByte);
}

// Instructions that cross into a page that faults (not present, NX,
// supervisor-only, reserved bits), fetched and retried over and over; and
// data accesses that cross the same way.
void emit_page_cross(Builder& b, CodeEmitter& e) {
  const unsigned n = unsigned(1 + b.below(4));
  std::vector<u64> starts;
  for (unsigned k = 0; k < n; ++k) {
    const u64 page = b.code + 0x2000 * (k + 2);
    const u64 at = page - (1 + b.below(4));
    starts.push_back(at);
    u64 pte = b.get64(pte_of(page));
    switch (b.below(4)) {
      case 0:
        pte &= ~kP;
        break;
      case 1:
        pte |= kNx;
        break;
      case 2:
        pte &= b.user ? ~kUs : ~kP;
        break;
      default:
        pte |= u64(1) << (46 + b.below(6));
        break;
    }
    b.put64(pte_of(page), pte);
  }
  for (unsigned k = 0; k < n; ++k) {
    CodeEmitter c(starts[k], 32);
    if (b.one_in(2))
      c.byte(0xb8), c.imm32(u32(b.rng()));  // mov eax, imm32
    else
      c.raw({0x48, 0xa1}), c.imm64(b.code + 0x2000 * (1 + b.below(n + 1)) - b.below(8));  // mov rax, [moffs64]
    c.jmp_to(k + 1 < n ? starts[k + 1] : starts[0]);
    b.place(c, starts[k]);
  }
  e.jmp_to(starts[0]);
  static constexpr Stub kRetry[] = {Stub::Return, Stub::Return, Stub::SkipByte, Stub::SkipSome};
  stub(b, 14, kRetry[b.below(std::size(kRetry))]);
}

void emit_program(Builder& b, HostileProgram p, CodeEmitter& e) {
  switch (p) {
    case HostileProgram::Random:
      break;
    case HostileProgram::SmcStorm:
      emit_smc_storm(b, e);
      break;
    case HostileProgram::RepStorm:
      emit_rep_storm(b, e);
      break;
    case HostileProgram::ExceptionLoop:
      emit_exception_loop(b, e);
      break;
    case HostileProgram::Int3Sled:
      emit_int3_sled(b);
      break;
    case HostileProgram::FaultSled:
      emit_fault_sled(b, e);
      break;
    case HostileProgram::PageCross:
      emit_page_cross(b, e);
      break;
    case HostileProgram::Mixed:
    case HostileProgram::kCount:
      break;
  }
}

// Random code with storms at random places: random code runs into them, or
// the handlers' jumps do.
void emit_mixed(Builder& b, CodeEmitter& entry) {
  static constexpr HostileProgram kParts[] = {HostileProgram::SmcStorm, HostileProgram::RepStorm,
                                              HostileProgram::ExceptionLoop};
  for (unsigned k = 0; k < 6; ++k) {
    const u64 at = b.code + 0x800 * (1 + b.below(30)) + b.below(0x100);
    CodeEmitter e(at, 0x200);
    emit_program(b, kParts[b.below(std::size(kParts))], e);
    b.place(e, at);
    if (k == 0 && b.one_in(2)) entry.jmp_to(at);
  }
}

// ---------------------------------------------------------------- spoiling

u64 hostile_entry(Builder& b, u64 e, int level) {
  const u64 flags = e & 0xfff;
  switch (b.below(12)) {
    case 0:
      return e ^ (u64(1) << b.below(64));
    case 1:
      return e | (u64(1) << (46 + b.below(6)));  // reserved (above MAXPHYADDR)
    case 2:
      return level == 4 ? e | kPs : e | kNx;
    case 3:
      return e & ~kUs;
    case 4:
      return e & ~kRw;
    case 5:
      return e & ~kP;
    case 6:
      return kMmio | flags;
    case 7:
      return (kHole + (b.below(0x3f000000) & ~u64(0xfff))) | flags;
    case 8:
      return (kBeyondRam + (b.below(u64(1) << 30) & ~u64(0xfff))) | flags;
    case 9:
      return kTables[b.below(std::size(kTables))] | flags;  // self-referencing or crossed tables
    case 10:
      return (b.rng() & 0x3ffffe00000ull) | kTableFlags | kPs | (b.one_in(2) ? 0x1000 : 0);  // huge page
    default:
      return b.rng();
  }
}

void spoil_paging(Builder& b) {
  struct Pick {
    u64 table;
    int level;
    u64 index;
  };
  const u64 code_page = (b.code >> 12) & 0x1ff;
  const Pick picks[] = {
      {kPml4, 4, 0},
      {kPml4, 4, b.below(512)},
      {kPdpt, 3, b.below(9)},
      {kPd0, 2, b.below(3)},
      {kPt0, 1, b.below(0x30)},                                       // GDT, IDT, TSS, page tables, stubs
      {kPt0, 1, 0x80 + b.below(0x18)},                                // stacks
      {b.code < 0x200000 ? kPt0 : kPt1, 1, code_page + b.below(16)},  // the program
      {kPt1, 1, 0x100 + b.below(16)},                                 // data
      {kPd3, 2, 0x1f6 + b.below(2)},                                  // the MMIO pages
      {kPd3, 2, b.below(512)},
  };
  const Pick& p = picks[b.below(std::size(picks))];
  const u64 pa = p.table + p.index * 8;
  b.put64(pa, hostile_entry(b, b.get64(pa), p.level));
}

void spoil_gate(Builder& b) {
  const unsigned v = unsigned(b.one_in(2) ? b.below(32) : b.below(256));
  const u64 at = kIdt + v * 16;
  u64 lo = b.get64(at), hi = b.get64(at + 8);
  switch (b.below(8)) {
    case 0:
      hi = b.rng();
      break;  // non-canonical target (mostly)
    case 1:
      lo = (lo & ~(u64(0xf) << 40)) | b.below(16) << 40;
      break;  // wrong type
    case 2:
      lo &= ~(u64(1) << 47);
      break;  // not present
    case 3:
      lo = (lo & ~(u64(7) << 32)) | (1 + b.below(7)) << 32;
      break;  // IST
    case 4:
      lo = (lo & ~(u64(0xffff) << 16)) | (b.one_in(2) ? b.below(0x80) : b.below(0x10000)) << 16;
      break;
    case 5:
      lo ^= u64(3) << 45;
      break;   // DPL
    case 6: {  // target somewhere hostile
      const u64 t = b.target();
      lo = (lo & 0x0000ffffffff0000ull) | (t & 0xffff) | ((t >> 16) & 0xffff) << 48;
      hi = t >> 32;
      break;
    }
    default:
      lo = b.rng(), hi = b.rng();
      break;
  }
  b.put64(at, lo);
  b.put64(at + 8, hi);
}

void spoil_tss(Builder& b) {
  const u64 off = b.one_in(4) ? 4 : 36 + 8 * b.below(7);  // RSP0 or an IST pointer
  const u64 v = b.one_in(4) ? b.rng() : b.target();
  b.put64(kTss + off, v);
  if (b.one_in(4)) b.mem.write(kTss + 0x66, 2, b.rng());  // I/O bitmap base
}

void spoil_descriptor(Builder& b) {
  const u64 at = kGdt + 8 * (1 + b.below(15));
  b.put64(at, b.one_in(2) ? b.get64(at) ^ (u64(1) << b.below(64)) : b.rng());
}

// System registers in states software can reach (LIDT/LGDT/LTR, MOV CR,
// WRMSR would allow them).
void spoil_registers(Builder& b) {
  Cpu& c = b.cpu;
  switch (b.below(7)) {
    case 0:
      c.idtr.limit = u16(b.below(0x1000));
      break;
    case 1:
      c.idtr.base = b.target() & 0x00007fffffffffffull;
      break;
    case 2:
      c.gdtr.limit = u16(b.below(0x80));
      break;
    case 3:
      c.tr.limit = u32(b.below(0x2100));
      break;
    case 4:
      c.tr.base = b.target() & 0x00007fffffffffffull;
      break;
    case 5:
      c.cr0 ^= cr0::WP;
      break;
    default:
      c.efer ^= efer::NXE;
      break;  // NX bits become reserved
  }
}

void spoil(Builder& b, unsigned n) {
  for (; n > 0; --n) {
    switch (b.below(8)) {
      case 0:
      case 1:
      case 2:
        spoil_paging(b);
        break;
      case 3:
      case 4:
        spoil_gate(b);
        break;
      case 5:
        spoil_tss(b);
        break;
      case 6:
        spoil_descriptor(b);
        break;
      default:
        spoil_registers(b);
        break;
    }
  }
}

// IA-32e mode, paging on, at CPL 0 or 3 (as after the usual boot sequence).
void enter_long_mode(Builder& b, u64 entry) {
  Cpu& c = b.cpu;
  c.gdtr = TableReg{kGdt, 0x7f};
  c.idtr = TableReg{kIdt, 0xfff};
  c.cr3 = kPml4;
  c.cr4 = cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT | (b.one_in(2) ? cr4::PGE : 0);
  c.efer = efer::LME | efer::LMA | efer::NXE | efer::SCE;
  c.cr0 = cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::PG;
  c.msr.star = u64(kUserCs32 & ~3) << 48 | u64(kKernelCs) << 32;
  c.msr.lstar = kKernelCode + b.below(kCodeSize);
  c.msr.sfmask = b.rng() & 0x47fd7;
  auto load = [&](u16 sel) { return Cpu::segment_from_descriptor(sel, b.get64(kGdt + (sel & ~7u))); };
  for (unsigned s = 0; s < kNumSegs; ++s) c.seg[s] = load(b.user ? kUserDs : kKernelDs);
  c.seg[CS] = load(b.user ? kUserCs : kKernelCs);
  c.tr = load(kTr);
  c.tr.limit = b.one_in(4) ? 0x68 + 0x2000 : 0x67;  // with an I/O bitmap, sometimes
  c.gpr[RSP] = b.user ? kUserStackTop : kKernelStackTop;
  for (unsigned r = 0; r < 16; ++r)
    if (r != RSP) c.gpr[r] = b.one_in(2) ? b.target() : b.rng();
  c.rip = entry;
  c.flags.set(fl::kFixed1 | (b.one_in(4) ? fl::IOPL : 0) | (b.one_in(8) ? fl::DF : 0));
  c.set_cpl(b.user ? 3 : 0);
  c.mode_changed();
  c.paging_changed();
}

constexpr const char* kProgramNames[] = {"random",    "smc-storm",  "rep-storm",  "exception-loop",
                                         "int3-sled", "fault-sled", "page-cross", "mixed"};
static_assert(std::size(kProgramNames) == size_t(HostileProgram::kCount));

}  // namespace

const char* program_name(HostileProgram p) { return kProgramNames[size_t(p)]; }

u64 ScratchMmio::mmio_read(u64 offset, unsigned size) {
  u64 v = 0;
  for (unsigned k = 0; k < size; ++k) v |= u64(regs_[(offset + k) & 0xfff]) << (8 * k);
  return v;
}

void ScratchMmio::mmio_write(u64 offset, unsigned size, u64 value) {
  for (unsigned k = 0; k < size; ++k) regs_[(offset + k) & 0xfff] = u8(value >> (8 * k));
}

void PeriodicInterrupt::start(Scheduler& s, u64 period, u8 vector) {
  period_ = period;
  vector_ = vector;
  arm(s);
}

void PeriodicInterrupt::arm(Scheduler& s) {
  s.schedule_in(period_, "hostile timer", [this, &s] {
    pending_ = true;
    arm(s);
  });
}

HostileLongModeGuest::HostileLongModeGuest(u64 seed) {
  std::mt19937_64 pick(seed ^ 0x5eed);
  // Mostly 64 MiB; some guests have RAM above 4 GiB, a few 1 TiB (lazily backed).
  static constexpr u64 kRamSizes[] = {64ull << 20, 64ull << 20, 64ull << 20, 64ull << 20, 64ull << 20,
                                      64ull << 20, 16ull << 20, 6ull << 30,  u64(1) << 40};
  MachineConfig cfg;
  cfg.ram_bytes = kRamSizes[pick() % std::size(kRamSizes)];
  machine_ = std::make_unique<Machine>(cfg);
  Machine& m = *machine_;
  m.memory().map_mmio(kMmio, 0x1000, &mmio_[0], "scratch");
  m.memory().map_mmio(kMmio2, 0x1000, &mmio_[1], "scratch2");
  m.load(BootImage{});

  Builder b(seed, m, cfg.ram_bytes);
  b.user = b.one_in(4);
  b.code = b.user ? kUserCode : kKernelCode;
  program_ = HostileProgram(seed % size_t(HostileProgram::kCount));  // every kind in any 8 seeds in a row
  build_gdt_and_tss(b);
  build_page_tables(b);
  b.put(kKernelCode, b.random_bytes(kCodeSize));  // handlers' jumps land here
  b.put(kData, b.random_bytes(kDataSize));
  b.text = b.random_bytes(kCodeSize);
  build_idt(b);

  CodeEmitter entry(b.code, 0x800);
  const bool single_step = b.one_in(8);
  if (single_step) {
    entry.set_tf();
    stub(b, 1, Stub::Return);
  }
  const bool timer = b.one_in(4);
  if (timer) entry.byte(0xfb);  // STI
  if (program_ == HostileProgram::Mixed)
    emit_mixed(b, entry);
  else
    emit_program(b, program_, entry);
  b.place(entry, b.code);
  b.put(b.code, b.text);

  // Mostly a few spoils, so that most guests live long enough to meet them;
  // some guests get many.
  static constexpr unsigned kSpoils[][2] = {{0, 1}, {0, 1}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {4, 8}, {12, 20}};
  const auto& range = kSpoils[b.below(std::size(kSpoils))];
  const unsigned spoils = range[0] + unsigned(b.below(range[1]));
  enter_long_mode(b, b.code);
  spoil(b, spoils);
  m.cpu().paging_changed();  // the spoils may have changed CR0.WP or EFER.NXE
  if (timer) {
    const u8 vector = u8(b.one_in(4) ? b.below(32) : 32 + b.below(224));
    timer_.start(m.scheduler(), 1 + b.below(5000), vector);
    m.cpu().set_interrupt_source(&timer_);
  }
  description_ = std::string(program_name(program_)) + (b.user ? " at CPL 3" : " at CPL 0") +
                 (single_step ? ", single-step" : "") + (timer ? ", timer" : "") + ", " + std::to_string(spoils) +
                 " spoils, " + std::to_string(cfg.ram_bytes >> 20) + " MiB";
}

}  // namespace vtlab::robustness

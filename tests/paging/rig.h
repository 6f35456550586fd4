// A CPU on hand-built page tables, for the paging tests: builders for each
// table format (SDM Vol. 3A §4.3 32-bit, §4.4 PAE, §4.5 4-level), and short
// code runs through the interpreter with exceptions intercepted, so a test
// sees the fault exactly as delivery would (vector, error code, faulting
// address for CR2, RIP of the faulting instruction). Test code ends with
// UD2 (Asm::end).
#pragma once
#include <doctest/doctest.h>

#include <functional>
#include <initializer_list>
#include <vector>

#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "cpu/cpu.h"
#include "mmu/phys_mem.h"

namespace paging_test {

using namespace vtlab;

inline constexpr u64 P = 1, W = 2, U = 4, PWT = 8, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
inline constexpr u64 XD = u64(1) << 63;
inline constexpr u64 MiB = 1 << 20;

// Where the tests put things (physical = linear where identity mapped).
inline constexpr u64 kCode = 0x1000;      // supervisor code page
inline constexpr u64 kTables = 0x100000;  // page tables are allocated from here

// A segment descriptor (SDM Vol. 3A §3.4.5).
inline u64 seg_desc(u32 base, u32 limit, u32 access, u32 flags) {
  return u64(limit & 0xffff) | u64(base & 0xffffff) << 16 | u64(access & 0xff) << 40 | u64((limit >> 16) & 0xf) << 48 |
         u64(flags & 0xf) << 52 | u64(base >> 24) << 56;
}

// A few instructions, encoded the same way in 32-bit and 64-bit mode (memory
// operands as [disp32] through a SIB byte with neither base nor index).
struct Asm {
  std::vector<u8> b;
  Asm& raw(std::initializer_list<u8> x) {
    b.insert(b.end(), x);
    return *this;
  }
  Asm& d32(u32 v) {
    for (int i = 0; i < 4; ++i) b.push_back(u8(v >> (8 * i)));
    return *this;
  }
  Asm& d64(u64 v) { return d32(u32(v)).d32(u32(v >> 32)); }
  Asm& load(u32 addr) { return raw({0x8b, 0x04, 0x25}).d32(addr); }      // mov eax, [addr]
  Asm& load_ebx(u32 addr) { return raw({0x8b, 0x1c, 0x25}).d32(addr); }  // mov ebx, [addr]
  Asm& store(u32 addr) { return raw({0x89, 0x04, 0x25}).d32(addr); }     // mov [addr], eax
  Asm& store_imm(u32 addr, u32 v) { return raw({0xc7, 0x04, 0x25}).d32(addr).d32(v); }
  Asm& mov_eax(u32 v) { return raw({0xb8}).d32(v); }
  Asm& mov_ebx(u32 v) { return raw({0xbb}).d32(v); }
  Asm& mov_ecx(u32 v) { return raw({0xb9}).d32(v); }
  Asm& mov_edx(u32 v) { return raw({0xba}).d32(v); }
  Asm& mov_rax(u64 v) { return raw({0x48, 0xb8}).d64(v); }                          // 64-bit mode only
  Asm& load_at(u64 addr) { return raw({0x48, 0xbb}).d64(addr).raw({0x8b, 0x03}); }  // mov rbx, addr; mov eax, [rbx]
  Asm& to_cr(unsigned n) { return raw({0x0f, 0x22, u8(0xc0 | n << 3)}); }           // mov crN, eax/rax
  Asm& from_cr(unsigned n) { return raw({0x0f, 0x20, u8(0xc0 | n << 3)}); }         // mov eax/rax, crN
  Asm& invlpg(u32 addr) { return raw({0x0f, 0x01, 0x3c, 0x25}).d32(addr); }
  Asm& invpcid() { return raw({0x66, 0x0f, 0x38, 0x82, 0x03}); }  // invpcid eax/rax, [ebx/rbx]
  Asm& stac() { return raw({0x0f, 0x01, 0xcb}); }
  Asm& clac() { return raw({0x0f, 0x01, 0xca}); }
  Asm& rdpkru() { return raw({0x0f, 0x01, 0xee}); }
  Asm& wrpkru() { return raw({0x0f, 0x01, 0xef}); }
  Asm& jmp_eax() { return raw({0xff, 0xe0}); }
  Asm& mov_ds_ax() { return raw({0x8e, 0xd8}); }
  // UD2: the end of a test's code. (Not HLT: a halt with interrupts off
  // ends the CPU's runs for good, and HLT at CPL 3 is #GP.)
  Asm& end() { return raw({0x0f, 0x0b}); }
};

struct Rig {
  Scheduler sched;
  PortBus ports;
  PhysMem mem;
  Cpu cpu{mem, ports, sched};
  u64 next_table = kTables;

  explicit Rig(u64 ram = 64 * MiB) : mem(ram) { cpu.set_intercept_exceptions(true); }

  u64 alloc_table() {
    u64 t = next_table;
    next_table += 0x1000;
    std::vector<u8> zero(0x1000, 0);
    mem.write_block(t, zero.data(), zero.size());
    return t;
  }
  void put(u64 pa, std::initializer_list<u8> bytes) {
    std::vector<u8> v(bytes);
    mem.write_block(pa, v.data(), v.size());
  }
  void put32(u64 pa, u32 v) { mem.write(pa, 4, v); }
  void put64(u64 pa, u64 v) { mem.write(pa, 8, v); }
  u64 get32(u64 pa) { return mem.read(pa, 4); }
  u64 get64(u64 pa) { return mem.read(pa, 8); }

  // Flat 32-bit protected mode at CPL 0 (segments as a Multiboot loader
  // leaves them), paging off; the caller turns paging on.
  void protected32() {
    const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
    cpu.cr0 = cr0::PE | cr0::ET;
    for (unsigned s = 0; s < kNumSegs; ++s) cpu.seg[s] = Segment{0x10, 0, 0xffffffff, data};
    cpu.seg[CS] = Segment{0x08, 0, 0xffffffff,
                          ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::DB | ar::G};
    cpu.efer = 0;
    cpu.mode_changed();
    cpu.paging_changed();
  }
  // 64-bit mode at CPL 0 with 4-level paging on `pml4`.
  void long64(u64 pml4, u64 extra_cr4 = 0) {
    const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
    for (unsigned s = 0; s < kNumSegs; ++s) cpu.seg[s] = Segment{0x10, 0, 0xffffffff, data};
    cpu.seg[CS] = Segment{0x08, 0, 0xffffffff,
                          ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::L | ar::G};
    cpu.cr3 = pml4;
    cpu.cr4 = cr4::PAE | extra_cr4;
    cpu.efer = efer::LME | efer::LMA | efer::NXE;
    cpu.cr0 = cr0::PE | cr0::ET | cr0::PG | cr0::WP;
    cpu.mode_changed();
    cpu.paging_changed();
  }
  // Switches the current code to CPL 3 (64-bit or 32-bit code segment).
  void user_mode() {
    cpu.seg[CS].attr |= 3u << ar::kDplShift;
    cpu.seg[CS].selector |= 3;
    cpu.seg[SS].attr |= 3u << ar::kDplShift;
    cpu.seg[SS].selector |= 3;
    cpu.set_cpl(3);
    cpu.mode_changed();
  }

  // Runs `code` at linear `at` (already mapped, at physical `at_pa`) until
  // an exception, at most `max` instructions.
  StopCause run(const Asm& code, u64 at = kCode, u64 at_pa = kCode, u64 max = 100) {
    mem.write_block(at_pa, code.b.data(), code.b.size());
    cpu.rip = at;
    return cpu.run(cpu.icount() + max);
  }
  // Whether the run stopped at the UD2 that ends code placed at `end_rip - 2`.
  bool ended_at(u64 end_rip) const { return cpu.intercepted_exception().vector == kUD && cpu.rip == end_rip - 2; }
  // Runs and expects an exception before the end.
  const GuestFault& run_fault(const Asm& code, u64 at = kCode, u64 at_pa = kCode) {
    StopCause s = run(code, at, at_pa);
    REQUIRE(s == StopCause::Exception);
    CHECK_MESSAGE(!ended_at(at + code.b.size()), "the code ran to its end without the expected fault");
    return cpu.intercepted_exception();
  }
  // Runs and expects the code to run to its end.
  void run_ok(const Asm& code, u64 at = kCode, u64 at_pa = kCode, u64 max = 100) {
    StopCause s = run(code, at, at_pa, max);
    REQUIRE(s == StopCause::Exception);
    const GuestFault& f = cpu.intercepted_exception();
    if (!ended_at(at + code.b.size()))
      FAIL_CHECK("unexpected exception " << int(f.vector) << " error 0x" << std::hex << f.error << " at 0x"
                                         << f.fault_address << ", rip 0x" << cpu.rip);
  }
};

// The vector and error code `f` raises (-1 if it raises nothing).
inline int fault_of(const std::function<void()>& f, u32* error = nullptr) {
  try {
    f();
  } catch (const GuestFault& g) {
    if (error) *error = g.error;
    return g.vector;
  }
  return -1;
}

// 32-bit paging tables: one page directory.
struct Tables32 {
  Rig& r;
  u64 pd;
  explicit Tables32(Rig& rig) : r(rig), pd(rig.alloc_table()) {}
  u64 pde_addr(u64 lin) const { return pd + ((lin >> 22) & 0x3ff) * 4; }
  u64 pte_addr(u64 lin) {
    u64 pde = r.get32(pde_addr(lin));
    if (!(pde & P)) {
      pde = r.alloc_table() | P | W | U;
      r.put32(pde_addr(lin), u32(pde));
    }
    return (pde & 0xfffff000) + ((lin >> 12) & 0x3ff) * 4;
  }
  void map4k(u64 lin, u64 pa, u64 flags) { r.put32(pte_addr(lin), u32(pa | flags)); }
  void pde(u64 lin, u32 value) { r.put32(pde_addr(lin), value); }
};

// PAE tables: a 32-byte PDPT (in its own page) and page directories.
struct TablesPae {
  Rig& r;
  u64 pdpt;
  explicit TablesPae(Rig& rig) : r(rig), pdpt(rig.alloc_table()) {}
  u64 pdpte_addr(u64 lin) const { return pdpt + ((lin >> 30) & 3) * 8; }
  u64 pde_addr(u64 lin) {
    u64 e = r.get64(pdpte_addr(lin));
    if (!(e & P)) {
      e = r.alloc_table() | P;  // PDPTE: no R/W or U/S bits (reserved)
      r.put64(pdpte_addr(lin), e);
    }
    return (e & 0xffffffffff000ull) + ((lin >> 21) & 0x1ff) * 8;
  }
  u64 pte_addr(u64 lin) {
    u64 pde = r.get64(pde_addr(lin));
    if (!(pde & P)) {
      pde = r.alloc_table() | P | W | U;
      r.put64(pde_addr(lin), pde);
    }
    return (pde & 0xffffffffff000ull) + ((lin >> 12) & 0x1ff) * 8;
  }
  void map4k(u64 lin, u64 pa, u64 flags) { r.put64(pte_addr(lin), pa | flags); }
  void map2m(u64 lin, u64 pa, u64 flags) { r.put64(pde_addr(lin), pa | flags | PS); }
};

// 4-level tables. Upper levels get P|W|U unless `upper` says otherwise.
struct Tables4 {
  Rig& r;
  u64 pml4;
  explicit Tables4(Rig& rig) : r(rig), pml4(rig.alloc_table()) {}
  // Address of the entry at `level` (4..1) for `lin`, creating tables above it.
  u64 entry_addr(u64 lin, int level, u64 upper = P | W | U) {
    u64 table = pml4;
    for (int l = 4; l > level; --l) {
      u64 ea = table + ((lin >> (12 + 9 * (l - 1))) & 0x1ff) * 8;
      u64 e = r.get64(ea);
      if (!(e & P)) {
        e = r.alloc_table() | upper;
        r.put64(ea, e);
      }
      table = e & 0xffffffffff000ull;
    }
    return table + ((lin >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
  }
  void map4k(u64 lin, u64 pa, u64 flags, u64 upper = P | W | U) { r.put64(entry_addr(lin, 1, upper), pa | flags); }
  void map2m(u64 lin, u64 pa, u64 flags) { r.put64(entry_addr(lin, 2), pa | flags | PS); }
  void map1g(u64 lin, u64 pa, u64 flags) { r.put64(entry_addr(lin, 3), pa | flags | PS); }
};

}  // namespace paging_test

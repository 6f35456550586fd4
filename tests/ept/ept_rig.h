// A CPU in VMX non-root operation with EPT tables built by hand (SDM Vol.
// 3C §28.2.2): the guest's RAM is guest-physical [0, 16 MiB), backed by
// host-physical [32 MiB, 48 MiB) (so a wrong translation reads the wrong
// bytes), the EPT tables live in host-physical [16 MiB, 32 MiB), and guest
// page tables of each paging mode are built in guest-physical memory.
// Guest code runs through the interpreter with exceptions intercepted; an
// EPT fault stops the run like one (GuestFault::ept) with its record in
// Cpu::ept_fault(). No VMX instructions are involved: the tests set the
// second-level state directly, as the VMX code does at VM entry.
#pragma once
#include <doctest/doctest.h>

#include <initializer_list>
#include <vector>

#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "cpu/cpu.h"
#include "mmu/ept_walk.h"
#include "mmu/phys_mem.h"

namespace ept_test {

using namespace vtlab;

inline constexpr u64 MiB = u64(1) << 20;
inline constexpr u64 kEptPool = 16 * MiB;    // host-physical: EPT tables
inline constexpr u64 kGuestBase = 32 * MiB;  // host-physical base of guest RAM
inline constexpr u64 kGuestSize = 16 * MiB;

// EPT entry bits (Tables 28-1 .. 28-6).
inline constexpr u64 R = 1, W = 2, X = 4, RW = 3, RX = 5, RWX = 7, UX = 0x400;
inline constexpr u64 WB = 6 << 3, UC = 0, IPAT = 0x40, LARGE = 0x80, EA = 0x100, ED = 0x200;
inline constexpr u64 SVE = u64(1) << 63;
// Guest paging bits.
inline constexpr u64 P = 1, GW = 2, U = 4, GA = 0x20, GD = 0x40, PS = 0x80, G = 0x100;
inline constexpr u64 XD = u64(1) << 63;

// EPT paging structures in host-physical memory.
struct Ept {
  PhysMem& mem;
  int levels;
  u64 next = kEptPool;
  u64 root;
  Ept(PhysMem& m, int lv = 4, u64 pool = kEptPool) : mem(m), levels(lv), next(pool), root(alloc()) {}
  u64 alloc() {
    const u64 t = next;
    next += 0x1000;
    std::vector<u8> zero(0x1000, 0);
    mem.write_block(t, zero.data(), zero.size());
    return t;
  }
  u64 eptp(bool ad = false) const { return root | 6 | u64(levels - 1) << 3 | (ad ? 0x40 : 0); }
  // Host-physical address of the entry at `level` (levels..1) for `gpa`,
  // creating tables above it (those entries get `upper` rights).
  u64 entry(u64 gpa, int level, u64 upper = RWX) {
    u64 table = root;
    for (int l = levels; l > level; --l) {
      const u64 ea = table + ((gpa >> (12 + 9 * (l - 1))) & 0x1ff) * 8;
      u64 e = mem.read(ea, 8);
      if (!(e & 7)) {
        e = alloc() | upper;
        mem.write(ea, 8, e);
      } else if (e & LARGE) {
        // Split a large page into a table of the same mappings.
        const u64 t = alloc(), step = u64(1) << (12 + 9 * (l - 2));
        const u64 frame = e & 0xffffffffff000ull, low = (e & 0xfff & ~LARGE) | (l - 1 > 1 ? LARGE : 0);
        for (u64 i = 0; i < 512; ++i) mem.write(t + 8 * i, 8, (frame + i * step) | low);
        e = t | upper;
        mem.write(ea, 8, e);
      }
      table = e & 0xffffffffff000ull;
    }
    return table + ((gpa >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
  }
  u64 get(u64 gpa, int level) { return mem.read(entry(gpa, level), 8); }
  void set(u64 gpa, int level, u64 v) { mem.write(entry(gpa, level), 8, v); }
  // Changes the rights bits (2:0 and 10) of the entry at `level`.
  void rights(u64 gpa, int level, u64 r) { set(gpa, level, (get(gpa, level) & ~u64(7 | UX)) | r); }
  // Maps the page of `gpa` (4 KiB, or 2 MiB / 1 GiB with shift 21 / 30).
  void map(u64 gpa, u64 hpa, u64 bits = RWX | WB, unsigned shift = 12) {
    const int level = int(shift - 12) / 9 + 1;
    set(gpa, level, hpa | bits | (level > 1 ? LARGE : 0));
  }
  void map_range(u64 gpa, u64 hpa, u64 size, u64 bits = RWX | WB, unsigned shift = 12) {
    for (u64 o = 0; o < size; o += u64(1) << shift) map(gpa + o, hpa + o, bits, shift);
  }
};

// Guest paging structures in guest-physical memory (written at their
// host-physical backing).
struct GuestTables {
  PhysMem& mem;
  PagingMode mode;
  u64 next;
  u64 root;
  GuestTables(PhysMem& m, PagingMode md, u64 pool) : mem(m), mode(md), next(pool), root(alloc()) {}
  u64 alloc() {
    const u64 t = next;
    next += 0x1000;
    std::vector<u8> zero(0x1000, 0);
    mem.write_block(kGuestBase + t, zero.data(), zero.size());
    return t;
  }
  unsigned entry_bytes() const { return mode == PagingMode::Legacy32 ? 4 : 8; }
  int top() const {
    switch (mode) {
      case PagingMode::Legacy32:
        return 2;
      case PagingMode::Pae:
        return 3;
      case PagingMode::Level5:
        return 5;
      default:
        return 4;
    }
  }
  unsigned index(u64 lin, int level) const {
    if (mode == PagingMode::Legacy32) return unsigned(lin >> (level == 2 ? 22 : 12)) & 0x3ff;
    if (mode == PagingMode::Pae && level == 3) return unsigned(lin >> 30) & 3;
    return unsigned(lin >> (12 + 9 * (level - 1))) & 0x1ff;
  }
  // Guest-physical address of the entry at `level` for `lin`, creating
  // tables above it (P|W|U, PAE PDPTEs only P).
  u64 entry(u64 lin, int level) {
    u64 table = root;
    for (int l = top(); l > level; --l) {
      const u64 ea = table + index(lin, l) * entry_bytes();
      u64 e = mem.read(kGuestBase + ea, entry_bytes());
      if (!(e & P)) {
        e = alloc() | P | (mode == PagingMode::Pae && l == 3 ? 0 : GW | U);
        mem.write(kGuestBase + ea, entry_bytes(), e);
      }
      table = e & (mode == PagingMode::Legacy32 ? 0xfffff000ull : 0xffffffffff000ull);
    }
    return table + index(lin, level) * entry_bytes();
  }
  u64 get(u64 lin, int level) { return mem.read(kGuestBase + entry(lin, level), entry_bytes()); }
  void set(u64 lin, int level, u64 v) { mem.write(kGuestBase + entry(lin, level), entry_bytes(), v); }
  void map4k(u64 lin, u64 gpa, u64 flags = P | GW | U) { set(lin, 1, gpa | flags); }
  void map_large(u64 lin, u64 gpa, int level, u64 flags = P | GW | U) { set(lin, level, gpa | flags | PS); }
  // The PDPTE registers of PAE paging (as MOV to CR3 loads them).
  void pdptes(u64 out[4]) {
    for (unsigned i = 0; i < 4; ++i) out[i] = mem.read(kGuestBase + root + 8 * i, 8);
  }
};

struct Rig {
  Scheduler sched;
  PortBus ports;
  PhysMem mem{64 * MiB};
  Cpu cpu{mem, ports, sched};
  Ept ept;

  // EPT maps all guest RAM to its backing, RWX, write-back, with 2 MiB
  // pages; tests change what they look at.
  explicit Rig(int ept_levels = 4) : ept(mem, ept_levels) {
    ept.map_range(0, kGuestBase, kGuestSize, RWX | WB, 21);
    cpu.set_intercept_exceptions(true);
  }
  static u64 hpa(u64 gpa) { return kGuestBase + gpa; }
  void gput(u64 gpa, std::initializer_list<u8> bytes) {
    std::vector<u8> v(bytes);
    mem.write_block(hpa(gpa), v.data(), v.size());
  }
  void gput64(u64 gpa, u64 v) { mem.write(hpa(gpa), 8, v); }
  void gput32(u64 gpa, u32 v) { mem.write(hpa(gpa), 4, v); }
  u64 gget64(u64 gpa) { return mem.read(hpa(gpa), 8); }
  u64 gget32(u64 gpa) { return mem.read(hpa(gpa), 4); }

  SecondLevel second_level(bool ad = false, u16 vpid = 1) const {
    SecondLevel s;
    s.non_root = true;
    s.ept = true;
    s.eptp = ept.eptp(ad);
    s.vpid_enabled = vpid != 0;
    s.vpid = vpid;
    return s;
  }
  void enter(bool ad = false, u16 vpid = 1) { cpu.set_second_level(second_level(ad, vpid)); }
  // An EPT context for mmu-level walks of the current second-level state.
  SecondLevel sl;
  EptContext context(bool ad = false) {
    sl = second_level(ad);
    return EptContext{mem, sl, nullptr, true};
  }
};

// A few instructions for 64-bit guest code.
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
  Asm& mov_rbx(u64 v) { return raw({0x48, 0xbb}).d64(v); }
  Asm& mov_rax(u64 v) { return raw({0x48, 0xb8}).d64(v); }
  Asm& load(u64 lin) { return mov_rbx(lin).raw({0x8b, 0x03}); }          // mov eax, [rbx]
  Asm& store(u64 lin) { return mov_rbx(lin).raw({0x89, 0x03}); }         // mov [rbx], eax
  Asm& jmp(u64 lin) { return mov_rbx(lin).raw({0xff, 0xe3}); }           // jmp rbx
  Asm& invlpg(u64 lin) { return mov_rbx(lin).raw({0x0f, 0x01, 0x3b}); }  // invlpg [rbx]
  Asm& to_cr3() { return raw({0x0f, 0x22, 0xd8}); }                      // mov cr3, rax
  Asm& iretq() { return raw({0x48, 0xcf}); }
  Asm& end() { return raw({0x0f, 0x0b}); }  // ud2
};

// A 64-bit guest at CPL 0 on 4-level paging: GDT 0x5000, IDT 0x6000, stack
// below 0x90000, code at 0x1000, guest tables from 0x100000; the first
// 2 MiB of linear space identity-mapped with 4 KiB pages.
struct LongGuest : Rig {
  static constexpr u64 kGdt = 0x5000, kIdt = 0x6000, kCode = 0x1000, kStack = 0x90000;
  GuestTables gt;
  explicit LongGuest(int ept_levels = 4, PagingMode mode = PagingMode::Level4)
      : Rig(ept_levels), gt(mem, mode, 0x100000) {
    for (u64 p = 0; p < 0x200000; p += 0x1000) gt.map4k(p, p, P | GW | U);
    gput64(kGdt + 0x08, 0x00af9a000000ffffull);  // 64-bit code, DPL 0
    gput64(kGdt + 0x10, 0x00cf92000000ffffull);  // data, DPL 0
    const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
    for (unsigned s = 0; s < kNumSegs; ++s) cpu.seg[s] = Segment{0x10, 0, 0xffffffff, data};
    cpu.seg[CS] = Segment{0x08, 0, 0xffffffff,
                          ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::L | ar::G};
    cpu.gdtr = TableReg{kGdt, 0x3f};
    cpu.idtr = TableReg{kIdt, 0xfff};
    cpu.cr3 = gt.root;
    cpu.cr4 = cr4::PAE | (mode == PagingMode::Level5 ? cr4::LA57 : 0);
    cpu.efer = efer::LME | efer::LMA | efer::NXE;
    cpu.cr0 = cr0::PE | cr0::PG | cr0::ET | cr0::WP;
    cpu.gpr[RSP] = kStack;
    cpu.mode_changed();
    enter();
    cpu.paging_changed();
  }
  // 64-bit interrupt gate for `vector` to `handler` (code selector 0x08).
  void gate(unsigned vector, u64 handler) {
    gput64(kIdt + vector * 16,
           (handler & 0xffff) | u64(0x08) << 16 | u64(0x8e) << 40 | ((handler >> 16) & 0xffff) << 48);
    gput64(kIdt + vector * 16 + 8, handler >> 32);
  }
  StopCause run(const Asm& code, u64 at = kCode, u64 max = 200) {
    mem.write_block(hpa(at), code.b.data(), code.b.size());
    cpu.rip = at;
    return cpu.run(cpu.icount() + max);
  }
  // Runs to the UD2 at the end of `code`.
  void run_ok(const Asm& code, u64 at = kCode) {
    REQUIRE(run(code, at) == StopCause::Exception);
    const GuestFault& f = cpu.intercepted_exception();
    CHECK_MESSAGE(!f.ept, "EPT fault at guest-physical 0x" << std::hex << cpu.ept_fault().gpa);
    CHECK_MESSAGE((f.vector == kUD && cpu.rip == at + code.b.size() - 2),
                  "stopped by vector " << int(f.vector) << " at rip 0x" << std::hex << cpu.rip);
  }
  // Runs and expects an EPT fault before the end; returns its record.
  const EptFault& run_ept_fault(const Asm& code, u64 at = kCode) {
    REQUIRE(run(code, at) == StopCause::Exception);
    REQUIRE_MESSAGE(cpu.intercepted_exception().ept, "no EPT fault: vector " << int(cpu.intercepted_exception().vector)
                                                                             << " at rip 0x" << std::hex << cpu.rip);
    return cpu.ept_fault();
  }
};

}  // namespace ept_test

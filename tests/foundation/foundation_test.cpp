// The layers under the CPU: virtual-time scheduler, port bus, guest-physical
// memory with MMIO and code tracking, the 4-level page walker (SDM Vol. 3A
// §4.5-4.7) and the software TLB.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "mmu/paging.h"
#include "mmu/phys_mem.h"
#include "mmu/tlb.h"

using namespace vtlab;

TEST_CASE("scheduler fires events in time order, ties in scheduling order, and cancels") {
  Scheduler s;
  std::string log;
  s.schedule_at(30, "c", [&] { log += 'c'; });
  s.schedule_at(10, "a", [&] { log += 'a'; });
  u64 id = s.schedule_at(20, "x", [&] { log += 'x'; });
  s.schedule_at(10, "b", [&] { log += 'b'; });
  s.cancel(id);
  CHECK(s.next_deadline() == 10);
  s.advance_to(25);
  s.run_due();
  CHECK(log == "ab");
  CHECK(s.next_deadline() == 30);
  s.advance_to(30);
  s.run_due();
  CHECK(log == "abc");
  CHECK(s.next_deadline() == Scheduler::kNever);
  CHECK(s.ns_to_insns(1000) == 1000);  // default: one instruction per virtual ns
}

TEST_CASE("port bus: owners, open bus reads all ones, overlaps refused") {
  struct Echo final : PortDevice {
    u32 last = 0;
    u32 port_read(u16 port, unsigned) override { return port + 1; }
    void port_write(u16, unsigned, u32 v) override { last = v; }
  } dev;
  PortBus bus;
  bus.attach(0x60, 2, &dev, "kbd");
  CHECK(bus.read(0x61, 1) == 0x62);
  bus.write(0x60, 1, 0xab);
  CHECK(dev.last == 0xab);
  CHECK(bus.read(0x70, 1) == 0xff);
  CHECK(bus.read(0x70, 2) == 0xffff);
  CHECK(bus.read(0x70, 4) == 0xffffffffu);
  CHECK(std::string(bus.owner_name(0x61)) == "kbd");
  CHECK_THROWS_AS(bus.attach(0x61, 1, &dev, "other"), Error);
}

TEST_CASE("physical memory: lazy RAM, the 3 GiB hole, MMIO, open bus") {
  struct Regs final : MmioDevice {
    u64 last_off = 0, last_val = 0;
    unsigned last_size = 0;
    u64 mmio_read(u64 off, unsigned size) override { return off * 16 + size; }
    void mmio_write(u64 off, unsigned size, u64 v) override { last_off = off, last_size = size, last_val = v; }
  } regs;
  PhysMem m(4ull << 30);  // 4 GiB: 1 GiB of it lives above 4 GiB
  CHECK(m.ram_ptr(0xbffff000) != nullptr);
  CHECK(m.ram_ptr(0xc0000000) == nullptr);  // the hole
  CHECK(m.ram_ptr(0x100000000) != nullptr);
  CHECK(m.ram_ptr(0x140000000) == nullptr);  // past the end
  CHECK(m.is_ram(0x100000, 0x1000));
  CHECK(!m.is_ram(0xbffff000, 0x2000));       // runs into the hole
  CHECK(!m.is_ram(0xc0000000, 16));           // in the hole
  CHECK(m.is_ram(0x13ffff000, 0x1000));       // the last page above 4 GiB
  CHECK(!m.is_ram(0x13ffff000, 0x1001));      // one byte past the end
  CHECK(!m.is_ram(~u64(0) - 4, 16));          // wraps around
  m.write(0x100000010, 8, 0x1122334455667788);
  CHECK(m.read(0x100000010, 8) == 0x1122334455667788);
  m.write(0xfff, 2, 0xbbaa);  // across a page boundary
  CHECK(m.read(0xfff, 1) == 0xaa);
  CHECK(m.read(0x1000, 1) == 0xbb);
  m.map_mmio(0xfee00000, 0x1000, &regs, "lapic");
  CHECK(m.read(0xfee00020, 4) == 0x20 * 16 + 4);
  m.write(0xfee000b0, 4, 7);
  CHECK(regs.last_off == 0xb0);
  CHECK(regs.last_size == 4);
  CHECK(regs.last_val == 7);
  // Block accesses outside RAM keep the CPU's access size for devices.
  u32 v = 0;
  m.read_block(0xfee00030, &v, 4);
  CHECK(v == 0x30 * 16 + 4);
  const u32 w = 0x12345678;
  m.write_block(0xfee00040, &w, 4);
  CHECK(regs.last_off == 0x40);
  CHECK(regs.last_size == 4);
  CHECK(regs.last_val == 0x12345678);
  CHECK(m.read(0xd0000000, 4) == 0xffffffffu);  // nothing there
  CHECK_THROWS_AS(m.map_mmio(0xfee00800, 0x100, &regs, "overlap"), Error);
  CHECK_THROWS_AS(PhysMem(1u << 20), Error);  // below the 2 MiB minimum
}

TEST_CASE("physical memory tells the listener about writes to code pages") {
  struct Listener final : CodeWriteListener {
    std::vector<u64> pages;
    void on_code_write(u64 page) override { pages.push_back(page); }
  } l;
  PhysMem m(8u << 20);
  m.set_code_listener(&l);
  m.write(0x5000, 4, 1);
  CHECK(l.pages.empty());
  m.mark_code_page(0x5000);
  m.write(0x5ffe, 4, 1);  // touches 0x5000 and 0x6000
  REQUIRE(l.pages.size() == 1);
  CHECK(l.pages[0] == 0x5000);
  m.unmark_code_page(0x5000);
  m.write(0x5000, 1, 1);
  CHECK(l.pages.size() == 1);
}

namespace {

// Builds 4-level tables in guest RAM.
struct Tables {
  PhysMem mem{16u << 20};
  u64 next = 0x100000;
  u64 cr3 = alloc();
  u64 alloc() {
    u64 p = next;
    next += 0x1000;
    return p;
  }
  // Maps lin -> pa with a page of `size` (4K, 2M, 1G), leaf flags `flags`.
  void map(u64 lin, u64 pa, u64 size, u64 flags, u64 upper_flags = 7) {
    u64 table = cr3;
    for (int level = 4; level >= 1; --level) {
      unsigned shift = 12 + 9 * (level - 1);
      u64 entry_pa = table + ((lin >> shift) & 0x1ff) * 8;
      if ((u64(1) << shift) == size) {
        mem.write(entry_pa, 8, pa | flags | (size > 4096 ? 0x80 : 0));
        return;
      }
      u64 e = mem.read(entry_pa, 8);
      if (!(e & 1)) {
        e = alloc() | upper_flags;
        mem.write(entry_pa, 8, e);
      }
      table = e & 0x000ffffffffff000ull;
    }
  }
  WalkResult walk(u64 lin, Access acc, bool user, bool wp = true, bool nxe = true,
                  std::vector<WalkStep>* trace = nullptr) {
    WalkRequest r;
    r.cr3 = cr3, r.linear = lin, r.access = acc, r.user = user, r.wp = wp, r.nxe = nxe;
    return walk_page_tables(mem, r, trace);
  }
};

constexpr u64 P = 1, W = 2, U = 4, A = 0x20, D = 0x40, NX = u64(1) << 63;

}  // namespace

TEST_CASE("page walk: 4 KiB, 2 MiB and 1 GiB pages translate; A and D are set") {
  Tables t;
  t.map(0x400000, 0x7000, 4096, P | W | U);
  t.map(0x40000000, 0x200000, 2u << 20, P | W);
  t.map(0x8000000000, 0x40000000, 1u << 30, P);
  std::vector<WalkStep> steps;
  WalkResult r = t.walk(0x400123, Access::Read, true, true, true, &steps);
  REQUIRE(r.ok);
  CHECK(r.pa == 0x7123);
  CHECK(r.page_size == 4096);
  CHECK(steps.size() == 4);
  CHECK((t.mem.read(steps.back().entry_pa, 8) & (A | D)) == A);  // read: accessed, not dirty
  r = t.walk(0x400123, Access::Write, true);
  CHECK((t.mem.read(steps.back().entry_pa, 8) & (A | D)) == (A | D));
  r = t.walk(0x40012345, Access::Read, false);
  CHECK(r.pa == 0x212345);
  CHECK(r.page_size == 2u << 20);
  r = t.walk(0x8012345678, Access::Read, false);
  CHECK(r.pa == 0x52345678);
  CHECK(r.page_size == 1u << 30);
}

TEST_CASE("page walk: #PF error codes for not-present, rights, NX and reserved bits (SDM §4.7)") {
  Tables t;
  t.map(0x1000, 0x9000, 4096, P | U);            // user, read-only
  t.map(0x2000, 0xa000, 4096, P | W);            // supervisor
  t.map(0x3000, 0xb000, 4096, P | W | U | NX);   // no execute
  t.map(0x4000, 0xc000 | (u64(1) << 50), 4096, P | W | U);  // reserved bit 50 (MAXPHYADDR 46)
  CHECK(t.walk(0x5000, Access::Read, false).pf_error == 0);                 // not present
  CHECK(t.walk(0x5000, Access::Write, true).pf_error == (2 | 4));           // not present, user write
  CHECK(t.walk(0x1000, Access::Write, true).pf_error == (1 | 2 | 4));       // read-only, user
  CHECK(t.walk(0x1000, Access::Write, false).pf_error == (1 | 2));          // supervisor, WP=1
  CHECK(t.walk(0x1000, Access::Write, false, /*wp=*/false).ok);             // WP=0 lets it write
  CHECK(t.walk(0x2000, Access::Read, true).pf_error == (1 | 4));            // supervisor page
  CHECK(t.walk(0x3000, Access::Exec, true).pf_error == (1 | 4 | 16));       // NX, instruction fetch
  CHECK(t.walk(0x4000, Access::Read, false).pf_error == (1 | 8));           // reserved bit
  // With EFER.NXE=0 the XD bit itself is reserved.
  CHECK(t.walk(0x3000, Access::Read, false, true, /*nxe=*/false).pf_error == (1 | 8));
  CHECK(!t.walk(0x5000, Access::Read, false).ok);
}

TEST_CASE("software TLB: associativity keeps 4 pages that share a set") {
  SoftTlb tlb;
  u8 pages[4][4096];
  const u64 stride = u64(SoftTlb::kSets) * 4096;  // same set index
  for (int k = 0; k < 4; ++k) tlb.insert(0x10000000 + k * stride, false, pages[k]);
  for (int k = 0; k < 4; ++k) CHECK(tlb.lookup(0x10000000 + k * stride + 5, false) == pages[k] + 5);
  CHECK(tlb.lookup(0x10000000, true) == nullptr);  // user and supervisor are separate entries
  tlb.flush_page(0x10000000 + stride);
  CHECK(tlb.lookup(0x10000000 + stride, false) == nullptr);
  CHECK(tlb.lookup(0x10000000, false) == pages[0]);
  tlb.flush_host_page(pages[2]);
  CHECK(tlb.lookup(0x10000000 + 2 * stride, false) == nullptr);
  tlb.flush();
  CHECK(tlb.lookup(0x10000000, false) == nullptr);
}

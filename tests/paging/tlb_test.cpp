// The TLB and its invalidation rules (SDM Vol. 3A §4.10): global pages,
// PCIDs and MOV to CR3 without flush, INVLPG, INVPCID, the dirty-flag rule
// and the invalidation a page fault makes. A stale translation is asserted
// where the SDM lets the TLB keep it, because vtlab models the TLB; after
// each architectural invalidation the new mapping must be used.
#include "tests/paging/rig.h"

using namespace paging_test;

namespace {

constexpr u64 kOld = 0x200000, kNew = 0x210000;  // two frames with different contents
constexpr u64 kDesc = 0x6000;                    // an INVPCID descriptor

struct TlbRig : Rig {
  Tables4 t{*this};
  explicit TlbRig(u64 extra_cr4 = 0) {
    t.map4k(kCode, kCode, P | G);
    t.map4k(kDesc, kDesc, P | W);
    put32(kOld, 0x01d);
    put32(kNew, 0x2e3);
    long64(t.pml4, extra_cr4);
  }
  u32 read(u32 lin) {
    run_ok(Asm().load(lin).end());
    return u32(cpu.gpr[RAX]);
  }
  void mov_cr3(u64 v) {
    cpu.gpr[RAX] = v;
    run_ok(Asm().to_cr(3).end());
  }
  // INVPCID type, PCID, address; returns the exception vector (-1: none).
  int invpcid(u64 type, u64 pcid, u64 lin) {
    put64(kDesc, pcid);
    put64(kDesc + 8, lin);
    cpu.gpr[RAX] = type;
    cpu.gpr[RBX] = kDesc;
    const Asm code = Asm().invpcid().end();
    StopCause s = run(code);
    REQUIRE(s == StopCause::Exception);
    return ended_at(kCode + code.b.size()) ? -1 : cpu.intercepted_exception().vector;
  }
};

}  // namespace

TEST_CASE("global pages survive MOV to CR3, not INVLPG or a CR4.PGE change (SDM §4.10.2.4, §4.10.4.1)") {
  TlbRig r(cr4::PGE);
  r.t.map4k(0x400000, kOld, P | G);
  r.t.map4k(0x401000, kOld, P);
  CHECK(r.read(0x400000) == 0x01d);
  CHECK(r.read(0x401000) == 0x01d);
  r.t.map4k(0x400000, kNew, P | G);
  r.t.map4k(0x401000, kNew, P);
  r.mov_cr3(r.cpu.cr3);
  CHECK(r.read(0x400000) == 0x01d);  // global: kept
  CHECK(r.read(0x401000) == 0x2e3);  // not global: flushed
  r.cpu.write_cr(4, r.cpu.cr4 & ~cr4::PGE);
  CHECK(r.read(0x400000) == 0x2e3);  // a PGE change flushes global entries
  // G counts only with CR4.PGE=1: without it the page is flushed by CR3 loads.
  r.t.map4k(0x400000, kOld, P | G);
  r.mov_cr3(r.cpu.cr3);
  CHECK(r.read(0x400000) == 0x01d);
  r.t.map4k(0x400000, kNew, P | G);
  r.mov_cr3(r.cpu.cr3);
  CHECK(r.read(0x400000) == 0x2e3);
  // INVLPG drops a global entry.
  r.cpu.write_cr(4, r.cpu.cr4 | cr4::PGE);
  CHECK(r.read(0x400000) == 0x2e3);
  r.t.map4k(0x400000, kOld, P | G);
  r.run_ok(Asm().invlpg(0x400000).end());
  CHECK(r.read(0x400000) == 0x01d);
}

TEST_CASE("PCID: MOV to CR3 with bit 63 keeps the new PCID's entries; without it, flushes that PCID only") {
  TlbRig r;
  r.cpu.write_cr(4, r.cpu.cr4 | cr4::PCIDE);
  r.t.map4k(0x400000, kOld, P);
  const u64 pml4 = r.t.pml4;
  r.mov_cr3(pml4 | 1);
  CHECK(r.cpu.current_pcid() == 1);
  CHECK(r.read(0x400000) == 0x01d);  // cached under PCID 1
  r.t.map4k(0x400000, kNew, P);
  r.mov_cr3(pml4 | 1 | (u64(1) << 63));
  CHECK(r.cpu.cr3 == (pml4 | 1));    // bit 63 is not stored
  CHECK(r.read(0x400000) == 0x01d);  // no flush: PCID 1's entry is used
  r.mov_cr3(pml4 | 2);               // PCID 2, flushed: the tables in memory
  CHECK(r.read(0x400000) == 0x2e3);
  r.mov_cr3(pml4 | 1 | (u64(1) << 63));
  CHECK(r.read(0x400000) == 0x01d);  // back to PCID 1, whose entry survived
  r.mov_cr3(pml4 | 1);
  CHECK(r.read(0x400000) == 0x2e3);  // flushed now
}

TEST_CASE("INVPCID: individual address, single context, all contexts with and without globals (SDM Vol. 2 INVPCID)") {
  TlbRig r(cr4::PGE | cr4::PCIDE);
  const u64 pml4 = r.t.pml4;
  r.t.map4k(0x400000, kOld, P);
  r.t.map4k(0x500000, kOld, P | G);
  r.mov_cr3(pml4 | 1);
  CHECK(r.read(0x400000) == 0x01d);
  CHECK(r.read(0x500000) == 0x01d);
  r.t.map4k(0x400000, kNew, P);
  r.t.map4k(0x500000, kNew, P | G);
  // Type 0: the address in PCID 1; the global translation stays.
  CHECK(r.invpcid(0, 1, 0x400000) == -1);
  CHECK(r.invpcid(0, 1, 0x500000) == -1);
  CHECK(r.read(0x400000) == 0x2e3);
  CHECK(r.read(0x500000) == 0x01d);
  // Type 3: every PCID, globals kept.
  r.t.map4k(0x400000, kOld, P);
  CHECK(r.invpcid(3, 0, 0) == -1);
  CHECK(r.read(0x400000) == 0x01d);
  CHECK(r.read(0x500000) == 0x01d);
  // Type 2: everything.
  CHECK(r.invpcid(2, 0, 0) == -1);
  CHECK(r.read(0x500000) == 0x2e3);
  // Type 1: one other PCID; PCID 1's entries stay.
  r.mov_cr3(pml4 | 5);
  CHECK(r.read(0x400000) == 0x01d);  // cached under PCID 5
  r.mov_cr3(pml4 | 1 | (u64(1) << 63));
  CHECK(r.read(0x400000) == 0x01d);  // cached under PCID 1
  r.t.map4k(0x400000, kNew, P);
  CHECK(r.invpcid(1, 5, 0) == -1);
  CHECK(r.read(0x400000) == 0x01d);  // PCID 1 untouched
  r.mov_cr3(pml4 | 5 | (u64(1) << 63));
  CHECK(r.read(0x400000) == 0x2e3);  // PCID 5 was flushed
}

TEST_CASE("INVPCID faults: bad type, reserved descriptor bits, PCID without PCIDE, non-canonical address, CPL 3") {
  TlbRig r;
  CHECK(r.invpcid(4, 0, 0) == kGP);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.invpcid(1, 0x1000, 0) == kGP);    // descriptor bits 63:12
  CHECK(r.invpcid(0, 1, 0x400000) == kGP);  // PCID 1 with CR4.PCIDE=0
  CHECK(r.invpcid(1, 1, 0) == kGP);
  CHECK(r.invpcid(2, 1, 0) == -1);  // types 2 and 3 ignore the PCID
  CHECK(r.invpcid(0, 0, 0x8000000000000000ull) == kGP);
  CHECK(r.invpcid(1, 0, 0x8000000000000000ull) == -1);  // the address is used by type 0 only
  CHECK(r.invpcid(0, 0, 0x400000) == -1);
  r.t.map4k(0x402000, 0x202000, P | U);
  r.t.map4k(kDesc, kDesc, P | W | U);
  r.cpu.write_cr(3, r.cpu.cr3);
  r.user_mode();
  r.put64(kDesc, 0);
  r.cpu.gpr[RAX] = 2;
  r.cpu.gpr[RBX] = kDesc;
  CHECK(r.run_fault(Asm().invpcid().end(), 0x402000, 0x202000).vector == kGP);
}

TEST_CASE("MOV to CR and PCIDE: the #GP(0) conditions (SDM Vol. 2 MOV CR, Vol. 3A §4.10.1)") {
  TlbRig r;
  u32 error = 1;
  // CR3 bit 63 is reserved while CR4.PCIDE=0.
  CHECK(fault_of([&] { r.cpu.write_cr(3, r.t.pml4 | (u64(1) << 63)); }, &error) == kGP);
  CHECK(error == 0);
  // PCIDE can be set only while CR3[11:0] = 0.
  r.cpu.write_cr(3, r.t.pml4 | 0x8);  // PWT
  CHECK(fault_of([&] { r.cpu.write_cr(4, r.cpu.cr4 | cr4::PCIDE); }) == kGP);
  CHECK(!(r.cpu.cr4 & cr4::PCIDE));
  r.cpu.write_cr(3, r.t.pml4);
  CHECK(fault_of([&] { r.cpu.write_cr(4, r.cpu.cr4 | cr4::PCIDE); }) == -1);
  // With PCIDE=1, paging cannot be turned off (compatibility mode here;
  // 64-bit mode refuses it anyway).
  r.cpu.seg[CS].attr &= ~ar::L;
  r.cpu.seg[CS].attr |= ar::DB;
  r.cpu.mode_changed();
  REQUIRE(!r.cpu.long64());
  CHECK(fault_of([&] { r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::PG); }) == kGP);
  CHECK((r.cpu.cr0 & cr0::PG) != 0);
  r.cpu.write_cr(4, r.cpu.cr4 & ~cr4::PCIDE);
  CHECK(fault_of([&] { r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::PG); }) == -1);
  CHECK(r.cpu.paging_mode() == PagingMode::None);
  CHECK(!(r.cpu.efer & efer::LMA));

  // Outside IA-32e mode CR4.PCIDE cannot be set.
  Rig p;
  p.protected32();
  CHECK(fault_of([&] { p.cpu.write_cr(4, cr4::PCIDE); }) == kGP);
  // Nor CR4.LA57: 5-level paging is not reported (CPUID.7:ECX[16] = 0).
  CHECK(fault_of([&] { p.cpu.write_cr(4, cr4::LA57); }) == kGP);
}

TEST_CASE("INVLPG on any address of a 2 MiB page invalidates the whole page") {
  TlbRig r;
  r.t.map2m(0x600000, 0x800000, P | W);
  r.put32(0x800000, 1);
  r.put32(0x9ff000, 2);
  r.put32(0xa00000, 3);
  r.put32(0xbff000, 4);
  CHECK(r.read(0x600000) == 1);
  CHECK(r.read(0x7ff000) == 2);
  r.t.map2m(0x600000, 0xa00000, P | W);
  CHECK(r.read(0x7ff000) == 2);  // cached
  r.run_ok(Asm().invlpg(0x600000).end());
  CHECK(r.read(0x7ff000) == 4);
  CHECK(r.read(0x600000) == 3);
}

TEST_CASE("a write through a TLB entry with D=0 walks again; a page fault drops the address's entries") {
  TlbRig r;
  r.t.map4k(0x400000, kOld, P | W);
  CHECK(r.read(0x400000) == 0x01d);  // cached, D=0
  // The PTE is made not present without INVLPG. Reads may use the cached
  // entry; the write must set D, walks, and faults.
  r.t.map4k(0x400000, 0, 0);
  CHECK(r.read(0x400000) == 0x01d);
  const GuestFault& f = r.run_fault(Asm().store_imm(0x400000, 1).end());
  CHECK(f.error == pf::kWrite);
  CHECK(r.get32(kOld) == 0x01d);
  // The fault invalidated the entry: a read walks and faults too.
  CHECK(r.run_fault(Asm().load(0x400000).end()).error == 0);
}

TEST_CASE("MOV to CR4.SMEP 0->1 flushes; CR0.PG 1->0 flushes global entries too") {
  TlbRig r(cr4::PGE);
  r.t.map4k(0x400000, kOld, P | G);
  CHECK(r.read(0x400000) == 0x01d);
  r.t.map4k(0x400000, kNew, P | G);
  r.cpu.write_cr(4, r.cpu.cr4 | cr4::SMEP);
  CHECK(r.read(0x400000) == 0x2e3);
  r.t.map4k(0x400000, kOld, P | G);
  CHECK(r.read(0x400000) == 0x2e3);  // still cached (global)
  // Leave IA-32e mode and come back: clearing PG invalidates everything.
  r.cpu.seg[CS].attr = (r.cpu.seg[CS].attr & ~ar::L) | ar::DB;
  r.cpu.mode_changed();
  r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::PG);
  r.cpu.write_cr(0, r.cpu.cr0 | cr0::PG);
  r.cpu.seg[CS].attr = (r.cpu.seg[CS].attr & ~ar::DB) | ar::L;
  r.cpu.mode_changed();
  REQUIRE(r.cpu.long64());
  CHECK(r.read(0x400000) == 0x01d);
}

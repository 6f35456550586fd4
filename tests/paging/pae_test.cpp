// PAE paging (SDM Vol. 3A §4.4): the PDPTE registers and their loading
// rules (§4.4.1), 2 MiB and 4 KiB pages, XD with EFER.NXE, reserved bits.
#include "tests/paging/rig.h"

using namespace paging_test;

namespace {

// 32-bit protected mode with PAE paging turned on by MOV to CR0.
struct Pae : Rig {
  TablesPae t{*this};
  static constexpr u64 kStack = 0x8000;
  explicit Pae(u64 nxe = 0) {
    protected32();
    if (nxe) REQUIRE(cpu.write_msr(0xc0000080, efer::NXE));
    t.map4k(kCode, kCode, P);
    t.map4k(kStack - 0x1000, kStack - 0x1000, P | W);
    cpu.gpr[RSP] = kStack;
    cpu.write_cr(4, cr4::PAE);
    cpu.write_cr(3, t.pdpt);
    cpu.write_cr(0, cpu.cr0 | cr0::PG | cr0::WP);
    REQUIRE(cpu.paging_mode() == PagingMode::Pae);
  }
};

}  // namespace

TEST_CASE("PAE paging: MOV to CR0 loads the PDPTEs; 4 KiB and 2 MiB pages; A and D (SDM §4.4, §4.8)") {
  Pae r;
  r.t.map4k(0x00400000, 0x200000, P | W);
  r.t.map2m(0x40200000, 0x600000, P | W);  // a second PDPTE, one 2 MiB page
  CHECK(r.cpu.pdpte[0] == r.get64(r.t.pdpt));
  CHECK(r.cpu.pdpte[1] == 0);  // loaded before the second directory existed
  CHECK(r.get64(r.t.pdpt + 8) != 0);
  // Reload CR3 so the PDPTE for 1-2 GiB is loaded too.
  r.put32(0x200008, 0x0badf00d);
  r.put32(0x7ffff0, 0x600d);
  r.run_ok(Asm().from_cr(3).to_cr(3).load(0x00400008).load_ebx(0x403ffff0).store_imm(0x40300000, 9).end());
  CHECK(r.cpu.pdpte[1] == r.get64(r.t.pdpt + 8));
  CHECK(u32(r.cpu.gpr[RAX]) == 0x0badf00d);
  CHECK(u32(r.cpu.gpr[RBX]) == 0x600d);
  CHECK(r.get32(0x700000) == 9);
  CHECK(r.cpu.translate(0x403ffff0, Access::Read, false, nullptr, nullptr) == 0x7ffff0);
  CHECK((r.get64(r.t.pte_addr(0x00400000)) & (A | D)) == A);
  CHECK((r.get64(r.t.pde_addr(0x40200000)) & (A | D)) == (A | D));  // the 2 MiB PDE was written through
  CHECK((r.get64(r.t.pdpte_addr(0x40200000)) & A) == 0);            // PDPTEs have no A flag (§4.4.1)
}

TEST_CASE("PAE paging: translation uses the PDPTE registers, not memory, until CR3 is loaded (SDM §4.4.1)") {
  Pae r;
  // Linear 1 GiB..2 GiB: PDPTE 1 is not present when paging is turned on.
  CHECK(r.run_fault(Asm().load(0x40001000).end()).error == 0);
  r.t.map4k(0x40001000, 0x200000, P);  // makes PDPTE 1 present in memory
  r.put32(0x200000, 0x4321);
  const GuestFault& f = r.run_fault(Asm().load(0x40001000).end());
  CHECK(f.vector == kPF);
  CHECK(f.error == 0);  // the PDPTE register still says not present
  r.run_ok(Asm().from_cr(3).to_cr(3).load(0x40001000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0x4321);
}

TEST_CASE("PAE paging: a PDPTE with a reserved bit makes MOV to CR3, CR0 or CR4 raise #GP(0) (SDM §4.4.1)") {
  Pae r;
  r.t.map4k(0x80000000, 0x200000, P);  // PDPTE 2 present
  r.run_ok(Asm().from_cr(3).to_cr(3).end());
  const u64 good = r.get64(r.t.pdpt + 16);
  REQUIRE(r.cpu.pdpte[2] == good);
  const u64 cr3 = r.cpu.cr3, cr4 = r.cpu.cr4, cr0 = r.cpu.cr0;
  for (u64 bad : {good | W, good | (u64(1) << 5), good | XD, good | (u64(1) << kMaxPhysAddrBits)}) {
    CAPTURE(bad);
    r.put64(r.t.pdpt + 16, bad);
    // MOV to CR3 in PAE mode loads the PDPTEs from the new CR3.
    const GuestFault& f = r.run_fault(Asm().from_cr(3).to_cr(3).end());
    CHECK(f.vector == kGP);
    CHECK(f.error == 0);
    CHECK(r.cpu.rip == kCode + 3);  // the MOV to CR3
    CHECK(r.cpu.cr3 == cr3);
    CHECK(r.cpu.pdpte[2] == good);
    // MOV to CR4 that changes PGE (a reload trigger) faults too, and changes nothing.
    CHECK(r.run_fault(Asm().mov_eax(u32(cr4 | cr4::PGE)).to_cr(4).end()).vector == kGP);
    CHECK(r.cpu.cr4 == cr4);
  }
  // MOV to CR4 that changes no trigger bit does not reload: no fault.
  r.run_ok(Asm().mov_eax(u32(cr4 | cr4::OSFXSR)).to_cr(4).end());
  CHECK(r.cpu.cr4 == (cr4 | cr4::OSFXSR));
  // Turning paging off is fine; turning it on again loads, and faults.
  r.cpu.write_cr(0, cr0 & ~cr0::PG);
  CHECK(fault_of([&] { r.cpu.write_cr(0, cr0); }) == kGP);
  CHECK(!(r.cpu.cr0 & cr0::PG));
  // A PDPTE that is not present may hold anything.
  r.put64(r.t.pdpt + 16, 0xfffffffffffffffeull);
  CHECK(fault_of([&] { r.cpu.write_cr(0, cr0); }) == -1);
  CHECK(r.cpu.paging_mode() == PagingMode::Pae);
}

TEST_CASE("PAE paging: XD with EFER.NXE; XD and bits 62:MAXPHYADDR are reserved otherwise (SDM §4.4.2)") {
  Pae nx(1);
  nx.t.map4k(0x400000, 0x200000, P | W | XD);
  nx.put(0x200000, {0x0f, 0x0b});
  nx.run_ok(Asm().load(0x400000).end());  // data reads are fine
  nx.cpu.gpr[RAX] = 0x400000;
  const GuestFault& f = nx.run_fault(Asm().jmp_eax());
  CHECK(f.error == (pf::kPresent | pf::kFetch));
  CHECK(f.fault_address == 0x400000);
  // Not present: the fetch still reports I/D (PAE with NXE=1, §4.7).
  nx.cpu.gpr[RAX] = 0x500000;
  CHECK(nx.run_fault(Asm().jmp_eax()).error == pf::kFetch);

  Pae r;  // NXE=0
  r.t.map4k(0x400000, 0x200000, P | W | XD);
  CHECK(r.run_fault(Asm().load(0x400000).end()).error == (pf::kPresent | pf::kRsvd));
  r.t.map4k(0x401000, 0x201000 | (u64(1) << 52), P | W);  // ignored in 4-level paging, reserved here
  CHECK(r.run_fault(Asm().load(0x401000).end()).error == (pf::kPresent | pf::kRsvd));
  r.t.map2m(0x600000, 0x600000 | (1u << 13), P | W);  // bits 20:13 of a 2 MiB PDE
  CHECK(r.run_fault(Asm().store_imm(0x600000, 1).end()).error == (pf::kPresent | pf::kWrite | pf::kRsvd));
  r.cpu.gpr[RAX] = 0x500000;
  CHECK(r.run_fault(Asm().jmp_eax()).error == 0);  // NXE=0 and no SMEP: no I/D bit
}

TEST_CASE("MOV to CR4.PAE with paging on switches from 32-bit to PAE paging and loads the PDPTEs (SDM §4.1.2)") {
  Rig r;
  r.protected32();
  // The same linear page through both formats, to different frames.
  Tables32 t32(r);
  t32.map4k(kCode, kCode, P);
  t32.map4k(0x400000, 0x200000, P);
  TablesPae tp(r);
  tp.map4k(kCode, kCode, P);
  tp.map4k(0x400000, 0x300000, P);
  r.put32(0x200000, 32);
  r.put32(0x300000, 64);
  r.cpu.write_cr(3, t32.pd);
  r.cpu.write_cr(0, r.cpu.cr0 | cr0::PG);
  r.run_ok(Asm().load(0x400000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 32);
  r.cpu.write_cr(3, tp.pdpt);  // 32-bit paging: nothing is loaded
  r.cpu.write_cr(4, cr4::PAE);
  CHECK(r.cpu.paging_mode() == PagingMode::Pae);
  CHECK(r.cpu.pdpte[0] == r.get64(tp.pdpt));
  r.run_ok(Asm().load(0x400000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 64);
  // The 32-bit directory read as a PDPT: its PDE 0 has R/W and U/S set,
  // reserved bits in a PDPTE.
  CHECK(fault_of([&] { r.cpu.write_cr(3, t32.pd); }) == kGP);
  CHECK(r.cpu.cr3 == tp.pdpt);
}
